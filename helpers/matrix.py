"""Convolution as a matrix: W such that vec(conv(X)) = W vec(X) and the transposed convolution is W^T.

Introduced in 03-the-matrix-view.ipynb.
"""
import torch

from . import _checks
from .shapes import conv_output_shape


def recovering_output_padding(input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """The output_padding (h, w) with which the transposed convolution returns `input_shape` exactly.

    A strided convolution maps `stride` input sizes to one output size; this picks the one it came from.
    """
    i = _checks.pair(input_shape, "input_shape", minimum=1)
    k = _checks.pair(kernel_size, "kernel_size", minimum=1)
    s = _checks.pair(stride, "stride", minimum=1)
    p = _checks.pair(padding, "padding", minimum=0)
    d = _checks.pair(dilation, "dilation", minimum=1)
    o = conv_output_shape(i, k, s, p, d)
    return tuple(ia - ((oa - 1) * sa - 2 * pa + da * (ka - 1) + 1) for ia, oa, sa, pa, da, ka in zip(i, o, s, p, d, k))


def kernel2matrix(K, input_shape, stride=1, padding=0, dilation=1, sparse=False):
    """The matrix W (H_out*W_out, H_in*W_in) of the convolution of an input of `input_shape` with K (kH, kW).

    W @ X.reshape(-1) is F.conv2d(X, K, stride, padding, dilation) flattened, and W.T @ Y.reshape(-1) is
    the transposed convolution of Y with the same arguments (and the output_padding that recovers
    input_shape). With sparse=True, W is a sparse COO tensor holding only the kernel's taps.
    """
    K = _checks.tensor(K, "K")
    if K.ndim != 2:
        raise ValueError(f"K must have shape (kH, kW); got shape {tuple(K.shape)}")
    _checks.nonempty(K, "K")
    if isinstance(input_shape, (tuple, list, torch.Size)) and len(input_shape) == 2:
        h, w = _checks.pair(input_shape, "input_shape", minimum=1)
    else:
        raise TypeError(f"input_shape must be two positive ints (H, W); got {input_shape!r}")
    (kh, kw) = K.shape
    s, p, d = (_checks.pair(v, n, minimum=m) for v, n, m in ((stride, "stride", 1), (padding, "padding", 0),
                                                             (dilation, "dilation", 1)))
    for axis, n, pa, da, ka in (("height", h, p[0], d[0], kh), ("width", w, p[1], d[1], kw)):
        if n + 2 * pa < da * (ka - 1) + 1:
            raise ValueError(
                f"input_shape is smaller than the dilated kernel on the {axis}: i + 2*p = {n} + 2*{pa} = {n + 2 * pa} "
                f"< d*(k-1) + 1 = {da}*({ka}-1) + 1 = {da * (ka - 1) + 1}"
            )
    h_out, w_out = conv_output_shape((h, w), (kh, kw), s, p, d)
    rows, cols, a, b = conv_taps((h, w), (kh, kw), s, p, d, output_shape=(h_out, w_out))
    values = K[a, b]
    if sparse:
        shape = (h_out * w_out, h * w)
        return torch.sparse_coo_tensor(torch.stack([rows, cols]), values, shape, check_invariants=True).coalesce()
    W = torch.zeros((h_out * w_out, h * w), dtype=K.dtype)
    W.index_put_((rows, cols), values, accumulate=True)
    return W


def conv_taps(input_shape, kernel_size, stride, padding, dilation, output_shape=None):
    """Where a convolution reads: for every (output cell, kernel tap) that lands inside the input, the
    output's flat index, the input's flat index and the tap (a, b). Four 1-D tensors of equal length.

    W[rows, cols] = K[a, b] is the convolution's matrix; sizes are (h, w) pairs, already checked.
    `output_shape` keeps only the first rows and columns of the output (the transposed convolution's input
    when its output_padding is at least the stride), instead of every one the convolution computes.
    """
    (h, w), (kh, kw), s, p, d = input_shape, kernel_size, stride, padding, dilation
    h_out, w_out = output_shape or conv_output_shape((h, w), (kh, kw), s, p, d)
    # every (output position, kernel tap) pair; keep those that read a cell inside the (unpadded) input
    r, c, a, b = torch.meshgrid(torch.arange(h_out), torch.arange(w_out), torch.arange(kh), torch.arange(kw),
                                indexing="ij")
    i, j = r * s[0] - p[0] + a * d[0], c * s[1] - p[1] + b * d[1]
    inside = (i >= 0) & (i < h) & (j >= 0) & (j < w)
    return (r * w_out + c)[inside], (i * w + j)[inside], a[inside], b[inside]
