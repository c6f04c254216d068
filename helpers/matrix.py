"""Convolution as a matrix: W such that vec(conv(X)) = W vec(X); the transposed convolution is W^T.

Introduced in 03-the-matrix-view.ipynb.
"""

import torch

from . import _checks
from .shapes import conv_output_shape


def kernel2matrix_loop(K, input_shape, stride=1, padding=0, dilation=1):
    """kernel2matrix written as plain loops: what the vectorised kernel2matrix computes.

    Output cell (r, c) reads input cell (i, j) = (r*s - p + a*d, c*s - p + b*d) with kernel tap (a,
    b); when that cell is inside the input (not in the padding), row r*W_out + c of W holds K[a, b]
    in column i*W_in + j. K (h, w); input_shape (H_in, W_in); W (H_out*W_out, H_in*W_in). Introduced
    in 03-the-matrix-view.ipynb.
    """
    K, (H_in, W_in), s, p, d, (H_out, W_out) = _checks.matrix_arguments(
        K, input_shape, stride, padding, dilation
    )
    h, w = K.shape
    _checks.loop_steps(
        H_out * W_out * h * w,
        f"the loop over H_out*W_out*h*w = {H_out}*{W_out}*{h}*{w}",
        "kernel2matrix",
    )
    W = K.new_zeros((H_out * W_out, H_in * W_in))
    for r in range(H_out):
        for c in range(W_out):
            for a in range(h):
                for b in range(w):
                    i, j = r * s[0] - p[0] + a * d[0], c * s[1] - p[1] + b * d[1]
                    if 0 <= i < H_in and 0 <= j < W_in:
                        W[r * W_out + c, i * W_in + j] = K[a, b]
    return W


def kernel2matrix(K, input_shape, stride=1, padding=0, dilation=1, sparse=False):
    """The matrix W (H_out*W_out, H_in*W_in) of the convolution with K (h, w) of input_shape.

    W @ X.reshape(-1) is F.conv2d(X, K, stride, padding, dilation) flattened, and
    W.T @ Y.reshape(-1) is the transposed convolution of Y with the same arguments (and the
    output_padding that recovers input_shape). It computes what kernel2matrix_loop computes, every
    (output cell, tap) pair at once. sparse=True returns a sparse COO tensor holding only the
    kernel's taps (sparse must be True or False).

    Non-finite values: dense W holds zeros where an output cell does not read an input cell, and
    0 * inf = NaN, so an inf or NaN in X makes W @ X NaN in every output cell, where F.conv2d gives
    NaN or inf only in the cells that read it. Sparse W holds only the taps and agrees with
    F.conv2d.
    Gradients flow to K. Introduced in 03-the-matrix-view.ipynb.
    """
    K, (H_in, W_in), s, p, d, (H_out, W_out) = _checks.matrix_arguments(
        K, input_shape, stride, padding, dilation, sparse
    )
    rows, cols, a, b = conv_taps((H_in, W_in), K.shape, s, p, d, output_shape=(H_out, W_out))
    values = K[a, b]
    shape = (H_out * W_out, H_in * W_in)
    if sparse:
        return torch.sparse_coo_tensor(
            torch.stack([rows, cols]), values, shape, check_invariants=True
        ).coalesce()
    W = K.new_zeros(shape)
    W.index_put_((rows, cols), values, accumulate=True)
    return W


def conv_taps(input_shape, kernel_size, stride, padding, dilation, output_shape):
    """Where a convolution reads: for every (output cell, kernel tap) that lands inside the input,
    the output's flat index, the input's flat index and the tap (a, b). Four 1-D tensors of equal
    length.

    W[rows, cols] = K[a, b] is the convolution's matrix; sizes are (h, w) pairs, already checked.
    `output_shape` is the convolution's output (H_out, W_out), or only its first rows and columns
    (the transposed convolution's input, when its output_padding is at least the stride).
    """
    (H_in, W_in), (h, w), s, p, d, (H_out, W_out) = (
        input_shape,
        kernel_size,
        stride,
        padding,
        dilation,
        output_shape,
    )
    _checks.affordable(
        H_out * W_out * h * w * 8,
        torch.int64,
        f"the indices of the {H_out * W_out}*{h * w} (output cell, tap) pairs",
        "a smaller input or kernel, or an implementation without a matrix "
        "(trans_conv_fold, F.conv2d or F.conv_transpose2d)",
    )
    # every (output position, kernel tap) pair; keep those that read a cell of the unpadded input
    r, c, a, b = torch.meshgrid(
        torch.arange(H_out), torch.arange(W_out), torch.arange(h), torch.arange(w), indexing="ij"
    )
    i, j = r * s[0] - p[0] + a * d[0], c * s[1] - p[1] + b * d[1]
    inside = (i >= 0) & (i < H_in) & (j >= 0) & (j < W_in)
    return (r * W_out + c)[inside], (i * W_in + j)[inside], a[inside], b[inside]


def recovering_output_padding(input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """The output_padding (h, w) with which the transposed convolution returns input_shape exactly.

    A strided convolution maps `stride` input sizes to one output size: it divides
    i + 2*p - d*(k-1) - 1 by s and drops the remainder. That remainder is the output_padding that
    gives the dropped rows back. Every argument is an int or an (h, w) pair.
    Introduced in 02-padding-stride-and-channels.ipynb.
    """
    i = _checks.pair(input_shape, "input_shape", minimum=1)
    k = _checks.pair(kernel_size, "kernel_size", minimum=1)
    s = _checks.pair(stride, "stride", minimum=1)
    p = _checks.pair(padding, "padding", minimum=0)
    d = _checks.pair(dilation, "dilation", minimum=1)
    conv_output_shape(i, k, s, p, d, input_name="input_shape")  # refuses an input smaller than K
    return tuple(
        (ia + 2 * pa - da * (ka - 1) - 1) % sa for ia, ka, sa, pa, da in zip(i, k, s, p, d)
    )
