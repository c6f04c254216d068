"""The notebooks' loops on tensors: corr2d, the transposed convolution, its stamps and overlaps.

Each is checked against torch.nn.functional in tests/. Argument checking lives in helpers._checks
(one line at the top of each function); figures live in helpers.plots, size arithmetic in
helpers.shapes.
"""

import torch
import torch.nn.functional as F

from . import _checks
from ._checks import Arguments, check_arguments  # noqa: F401  (helpers.ops.check_arguments is public)
from .shapes import trans_conv_output_shape


def corr2d(X, K):
    """2-D cross-correlation of X (H, W) with K (h, w): Y of shape (H-h+1, W-w+1), as d2l.corr2d.

    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    X, K = _checks.corr2d_arguments(X, K)
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def trans_conv(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution by notebook 01's loop: each X[i, j] adds X[i, j] * K to the output.

    Extended from notebook 01: the window of X[i, j] starts at (i*s, j*s) for a stride s, its taps
    are d apart for a dilation d, the uncropped output is cropped by `padding` on each side, and
    output_padding adds rows and columns at the far end. With channels, input channel c adds
    X[c, i, j] * K[c] to the output channels of its group.

    X (H, W) with K (h, w) gives Y (H_out, W_out); X (C_in, H, W) with K (C_in, C_out/groups, h, w),
    ConvTranspose2d's weight layout, gives Y (C_out, H_out, W_out); a batch X (N, C_in, H, W) gives
    Y (N, C_out, H_out, W_out). stride, padding, output_padding and dilation are ints or (h, w)
    pairs, as in nn.ConvTranspose2d. Gradients flow to X and K as through F.conv_transpose2d.
    Introduced in 01-transposed-convolution-loop.ipynb, groups in 02-padding-stride-and-channels.
    """
    args = _checks.loop_arguments(X, K, stride, padding, output_padding, dilation, groups)
    X, K = args.X, args.K  # X (N, C_in, H, W), K (C_in, C_out/groups, h, w)
    h, w = K.shape[-2:]
    (sh, sw), (ph, pw), (dh, dw) = args.stride, args.padding, args.dilation
    H_out, W_out = args.output_shape
    c_group = K.shape[1]  # output channels per group
    in_group = X.shape[1] // args.groups  # input channels per group
    # The uncropped output: every window fits; output_padding's rows and columns are at the far end.
    Y = X.new_zeros((X.shape[0], c_group * args.groups, H_out + 2 * ph, W_out + 2 * pw))
    for c in range(X.shape[1]):
        o = c // in_group * c_group  # input channel c adds to output channels o .. o + c_group - 1
        for i in range(X.shape[2]):
            for j in range(X.shape[3]):
                rows = slice(i * sh, i * sh + dh * (h - 1) + 1, dh)  # h rows from i*s, d apart
                cols = slice(j * sw, j * sw + dw * (w - 1) + 1, dw)
                Y[:, o:o + c_group, rows, cols] += X[:, c, i, j, None, None, None] * K[c]
    return args.restore(Y[:, :, ph:ph + H_out, pw:pw + W_out].clone())  # cropped by padding


def trans_conv_stamps(X, K, stride=1):
    """Every stamp of the loop, one per input element in row-major order: shape (H*W, H_out, W_out).

    Stamp number i*W + j is X[i, j] * K placed at rows i*s .. i*s+h-1 and columns j*s .. j*s+w-1;
    the stamps sum to trans_conv(X, K, stride). X (H, W) and K (h, w) only.
    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    X, K = _checks.grids(X, K)
    h, w = K.shape
    sh, sw = _checks.pair(stride, "stride", minimum=1)
    H_out, W_out = trans_conv_output_shape(X.shape, K.shape, (sh, sw))
    _checks.affordable(
        X.numel() * H_out * W_out,
        X.dtype,
        f"the stamps (H*W, H_out, W_out) = {(X.numel(), H_out, W_out)}",
        "a smaller X or stride, or trans_conv, which adds the stamps as it goes",
    )
    stamps = X.new_zeros((X.numel(), H_out, W_out), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            stamps[i * X.shape[1] + j, i * sh:i * sh + h, j * sw:j * sw + w] = X[i, j] * K
    return stamps


def spread_zeros(X, stride):
    """X with stride - 1 zeros inserted between neighbouring elements along its last two axes:
    (..., H, W) -> (..., (H - 1)*s_h + 1, (W - 1)*s_w + 1), X[..., i, j] at (i*s_h, j*s_w).

    A stride-1 transposed convolution of the spread input equals the stride-s one of X.
    Introduced in 02-padding-stride-and-channels.ipynb.
    """
    X = _checks.tensor(X, "X")
    if X.ndim < 2:
        raise ValueError(f"X must have at least two axes (H, W); got shape {tuple(X.shape)}")
    sh, sw = _checks.pair(stride, "stride", minimum=1)
    h, w = X.shape[-2:]
    if h == 0 or w == 0:
        raise ValueError(f"X must not be empty; got shape {tuple(X.shape)}")
    spread = X.new_zeros((*X.shape[:-2], (h - 1) * sh + 1, (w - 1) * sw + 1))
    spread[..., ::sh, ::sw] = X
    return spread


def overlap_counts(input_size, kernel_size, stride, layers=1):
    """How many stamps land on each output cell: `layers` stacked transposed convolutions of an
    all-ones input with all-ones kernels. Sizes are ints or (h, w) pairs; returns a 2-D tensor of
    counts.

    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    i = _checks.pair(input_size, "input_size", minimum=1)
    k = _checks.pair(kernel_size, "kernel_size", minimum=1)
    s = _checks.pair(stride, "stride", minimum=1)
    layers = _checks.positive_int(layers, "layers")
    Y = torch.ones((1, 1, *i), dtype=torch.float64)
    for _ in range(layers):
        shape = trans_conv_output_shape(Y.shape[-2:], k, s)
        _checks.affordable(
            shape[0] * shape[1],
            Y.dtype,
            f"the counts after {layers} layers {shape}",
            "fewer layers or a smaller input, kernel or stride",
        )
        Y = F.conv_transpose2d(Y, torch.ones((1, 1, *k), dtype=torch.float64), stride=s)
    return Y[0, 0]


def interior(Y, margin):
    """Y (H, W) without `margin` cells on every border, where edge effects end; Y itself if nothing
    would be left. `margin` is an int >= 0.

    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    margin = _checks.positive_int(margin, "margin", minimum=0)
    if not isinstance(Y, torch.Tensor) or Y.ndim != 2:
        shape = tuple(Y.shape) if isinstance(Y, torch.Tensor) else type(Y).__name__
        raise ValueError(f"Y must be a 2-D tensor (H, W); got {shape}")
    if Y.shape[0] > 2 * margin and Y.shape[1] > 2 * margin:
        return Y[margin:Y.shape[0] - margin, margin:Y.shape[1] - margin]
    return Y
