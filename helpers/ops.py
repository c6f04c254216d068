"""Tensor operations written as loops for reading, each checked against torch.nn.functional in tests/.

No plotting here: figures live in helpers.plots, size arithmetic in helpers.shapes.
"""
from typing import NamedTuple

import torch

from . import _checks
from .shapes import trans_conv_output_shape


def corr2d(X, K):
    """2-D cross-correlation of X (H, W) with K (kH, kW): Y of shape (H-kH+1, W-kW+1), as d2l.corr2d.

    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    X, K = _checks.grids(X, K)
    (h, w), (kh, kw) = X.shape, K.shape
    if kh > h or kw > w:
        raise ValueError(f"K must fit inside X: K has shape {(kh, kw)}, X has shape {(h, w)}")
    Y = torch.zeros((h - kh + 1, w - kw + 1), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
    return Y


class Arguments(NamedTuple):
    """A transposed convolution's arguments after checking: X batched, K 4-D, every size an (h, w) pair."""

    X: torch.Tensor  # (N, C_in, H, W)
    K: torch.Tensor  # (C_in, C_out/groups, kH, kW), in the same dtype as X
    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple
    groups: int
    output_shape: tuple  # (H_out, W_out)
    leading: int  # how many leading dimensions the caller's X lacked: 2 for (H, W), 1 for (C_in, H, W), 0

    def restore(self, Y):
        """Y (N, C_out, H_out, W_out) in the caller's layout: (H_out, W_out), (C_out, H_out, W_out) or batched."""
        return Y[(0,) * self.leading]


def check_arguments(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Check a transposed convolution's arguments and return them as `Arguments`.

    Every implementation (the loop here, and those in helpers.implementations) calls this first, so all of
    them accept the same inputs and refuse the same ones with the same words.
    """
    X, K = _checks.tensor(X, "X"), _checks.tensor(K, "K")
    if X.ndim == 2:
        if K.ndim != 2:
            raise ValueError(f"K must have shape (kH, kW) when X has shape (H, W); got K of shape {tuple(K.shape)}")
    elif X.ndim in (3, 4):
        layout = "(C_in, H, W)" if X.ndim == 3 else "(N, C_in, H, W)"
        if K.ndim != 4:
            raise ValueError(
                f"K must have shape (C_in, C_out, kH, kW) when X has shape {layout}; got K of shape {tuple(K.shape)}"
            )
        if K.shape[0] != X.shape[-3]:
            raise ValueError(
                f"K.shape[0] must equal the input channels C_in of X {layout} (ConvTranspose2d's weight layout "
                f"is (C_in, C_out, kH, kW)); got K.shape[0]={K.shape[0]}, C_in={X.shape[-3]}"
            )
    else:
        raise ValueError(f"X must have shape (H, W), (C_in, H, W) or (N, C_in, H, W); got shape {tuple(X.shape)}")
    _checks.nonempty(X, "X")
    _checks.nonempty(K, "K")
    groups = _checks.positive_int(groups, "groups")
    if X.ndim == 2 and groups != 1:
        raise ValueError(f"groups needs channels: X must have shape (C_in, H, W) when groups={groups}")
    if X.ndim > 2 and X.shape[-3] % groups:
        raise ValueError(f"groups must divide the input channels; got C_in={X.shape[-3]}, groups={groups}")
    leading = 4 - X.ndim
    X, K = X[(None,) * leading], (K[None, None] if K.ndim == 2 else K)
    s = _checks.pair(stride, "stride", minimum=1)
    p = _checks.pair(padding, "padding", minimum=0)
    op = _checks.pair(output_padding, "output_padding", minimum=0)
    d = _checks.pair(dilation, "dilation", minimum=1)
    out = trans_conv_output_shape(X.shape[-2:], K.shape[-2:], s, p, op, d)  # refuses what crops everything
    dtype = torch.promote_types(X.dtype, K.dtype)
    return Arguments(X.to(dtype), K.to(dtype), s, p, op, d, groups, out, leading)


def trans_conv(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution by the loop: each input element adds a scaled copy of K to the output.

    X (H, W) with K (kH, kW) gives Y (H_out, W_out);
    X (C_in, H, W) with K (C_in, C_out/groups, kH, kW), ConvTranspose2d's weight layout, gives
    Y (C_out, H_out, W_out), and a batch X (N, C_in, H, W) gives Y (N, C_out, H_out, W_out).
    stride, padding, output_padding and dilation are ints or (h, w) pairs, as in nn.ConvTranspose2d;
    with groups=g, input channel c feeds only the output channels of its group.
    Introduced in 01-transposed-convolution-loop.ipynb (groups in 02-padding-stride-and-channels.ipynb).
    """
    a = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    return a.restore(torch.stack([_trans_conv(x, a) for x in a.X]))


def _trans_conv(X, a):
    """The loop itself, on one X (C_in, H, W) with the checked arguments `a`."""
    c_in, h, w = X.shape
    _, c_group, kh, kw = a.K.shape
    c_out, in_per_group = c_group * a.groups, c_in // a.groups
    (h_out, w_out), (sh, sw), (ph, pw), (dh, dw) = a.output_shape, a.stride, a.padding, a.dilation
    # The uncropped output: every stamp fits, plus the output_padding rows and columns at the far end.
    full = torch.zeros((c_out, h_out + 2 * ph, w_out + 2 * pw), dtype=X.dtype)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    for c in range(c_in):
        g = c // in_per_group  # this input channel stamps into its group's output channels only
        out = full[g * c_group:(g + 1) * c_group]
        for i in range(h):
            for j in range(w):
                out[:, i * sh:i * sh + span_h:dh, j * sw:j * sw + span_w:dw] += X[c, i, j] * a.K[c]
    return full[:, ph:ph + h_out, pw:pw + w_out]


def trans_conv_stamps(X, K, stride=1):
    """Every stamp of the loop, one per input element in row-major order: shape (H*W, H_out, W_out).

    Stamp number i*W + j is X[i, j] * K placed at rows i*s .. i*s+kH-1 and columns j*s .. j*s+kW-1;
    the stamps sum to trans_conv(X, K, stride). X (H, W) and K (kH, kW) only.
    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    X, K = _checks.grids(X, K)
    (h, w), (kh, kw) = X.shape, K.shape
    sh, sw = _checks.pair(stride, "stride", minimum=1)
    h_out, w_out = trans_conv_output_shape((h, w), (kh, kw), (sh, sw))
    stamps = torch.zeros((h * w, h_out, w_out), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(h):
        for j in range(w):
            stamps[i * w + j, i * sh:i * sh + kh, j * sw:j * sw + kw] = X[i, j] * K
    return stamps


def overlap_counts(input_size, kernel_size, stride, layers=1):
    """How many stamps land on each output cell: `layers` stacked transposed convolutions of an all-ones
    input with all-ones kernels. Sizes are ints or (h, w) pairs; returns a 2-D tensor of counts.

    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    import torch.nn.functional as F

    i = _checks.pair(input_size, "input_size", minimum=1)
    k = _checks.pair(kernel_size, "kernel_size", minimum=1)
    s = _checks.pair(stride, "stride", minimum=1)
    layers = _checks.positive_int(layers, "layers")
    Y = torch.ones((1, 1, *i), dtype=torch.float64)
    for _ in range(layers):
        Y = F.conv_transpose2d(Y, torch.ones((1, 1, *k), dtype=torch.float64), stride=s)
    return Y[0, 0]


def interior(Y, margin):
    """Y without `margin` cells on every border, where edge effects end; Y itself if nothing would be left."""
    if Y.shape[0] > 2 * margin and Y.shape[1] > 2 * margin:
        return Y[margin:Y.shape[0] - margin, margin:Y.shape[1] - margin]
    return Y
