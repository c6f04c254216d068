"""Four more ways to compute the transposed convolution, each with trans_conv's signature and checks.

- trans_conv_via_conv: insert zeros between the inputs, pad, flip the kernel, run a direct convolution.
- trans_conv_via_matrix: multiply by the transposed convolution's matrix W^T (dense, or sparse when large).
- trans_conv_fold: one matrix multiplication makes every stamp; F.fold (col2im) adds them into place.
- trans_conv_subpixel: one stride-1 convolution computes the s*s phases of the output, then they are
  interleaved (the sub-pixel view; the phases are introduced in 04-checkerboard-artifacts.ipynb).

Each accepts X (H, W), (C_in, H, W) or a batch (N, C_in, H, W), as helpers.trans_conv does, and agrees
with F.conv_transpose2d (tests/test_implementations.py). Introduced in 06-what-each-implementation-costs.ipynb.
"""
import warnings

import torch
import torch.nn.functional as F

from . import _checks
from .matrix import conv_taps
from .ops import check_arguments

DENSE_LIMIT = 2 ** 22
"""trans_conv_via_matrix builds W^T sparse when it would have more entries than this (16 MiB of float32)."""


def trans_conv_via_conv(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution as a direct convolution: spread X out with stride-1 zeros between its
    elements, pad it by d*(k-1) - p on each side (a negative pad crops) plus output_padding at the far
    end, and convolve with the kernel flipped and its two channel axes swapped, at stride 1.
    Non-finite values: the convolution multiplies K by the inserted and padded zeros too, and
    0 * inf = NaN, so an inf or NaN in K gives NaN in more cells than F.conv_transpose2d does.
    """
    a = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, c_in, h, w = a.X.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = a.stride, a.padding, a.output_padding, a.dilation
    kh, kw = a.K.shape[-2:]
    spread = a.X.new_zeros((n, c_in, (h - 1) * sh + 1, (w - 1) * sw + 1))
    spread[:, :, ::sh, ::sw] = a.X
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    spread = F.pad(spread, (qw, qw + opw, qh, qh + oph))
    return a.restore(F.conv2d(spread, conv_weight(a.K, a.groups), dilation=a.dilation, groups=a.groups))


def conv_weight(K, groups=1):
    """The Conv2d weight (C_out, C_in/groups, kH, kW) whose convolution equals the transposed convolution
    with K (C_in, C_out/groups, kH, kW) on a zero-spread, padded input: channel axes swapped within each
    group, and the kernel turned by 180 degrees."""
    c_in, c_group, kh, kw = K.shape
    per_group = K.reshape(groups, c_in // groups, c_group, kh, kw).transpose(1, 2)
    return per_group.reshape(groups * c_group, c_in // groups, kh, kw).flip(-2, -1)


def trans_conv_matrix(K, input_shape, stride=1, padding=0, output_padding=0, dilation=1, groups=1, sparse=False):
    """The matrix W^T (C_out*H_out*W_out, C_in*H*W) of the transposed convolution of an input (C_in, H, W)
    of `input_shape` (H, W) with K: Y.reshape(-1) = W^T @ X.reshape(-1). K (kH, kW) means one channel.

    With sparse=True it is a sparse CSR tensor holding only the kernel's taps (COO for float16 and
    bfloat16, whose CSR product PyTorch lacks on CPU); sparse must be True or False.
    """
    if not (isinstance(input_shape, (tuple, list, torch.Size)) and len(input_shape) == 2):
        raise TypeError(f"input_shape must be two positive ints (H, W); got {input_shape!r}")
    h, w = _checks.pair(input_shape, "input_shape", minimum=1)
    K = _checks.tensor(K, "K")
    X = K.new_zeros(()).expand((K.shape[0], h, w) if K.ndim == 4 else (h, w))  # stands in for the input
    a = check_arguments(X, K, stride, padding, output_padding, dilation, groups, input_name="input_shape")
    return _matrix(a, _checks.choice(sparse, "sparse", (True, False)))


def _matrix(a, sparse):
    c_in, c_group, kh, kw = a.K.shape
    h, w = a.X.shape[-2:]
    (ho, wo), in_per_group = a.output_shape, c_in // a.groups
    if not sparse:
        _checks.affordable(c_group * a.groups * ho * wo * c_in * h * w, a.X.dtype,
                           f"the dense W^T {(c_group * a.groups * ho * wo, c_in * h * w)}",
                           "sparse=True, which stores only the kernel's taps")
    # The transposed convolution writes where the convolution of its output would read.
    out_flat, in_flat, ta, tb = conv_taps((ho, wo), (kh, kw), a.stride, a.padding, a.dilation, output_shape=(h, w))
    ci = torch.arange(c_in)[:, None, None]
    cg = torch.arange(c_group)[None, :, None]
    co = ci // in_per_group * c_group + cg
    rows = (co * (ho * wo) + in_flat).reshape(-1)
    cols = (ci * (h * w) + out_flat).expand(c_in, c_group, -1).reshape(-1)
    values = a.K[ci, cg, ta, tb].reshape(-1)
    shape = (c_group * a.groups * ho * wo, c_in * h * w)
    if sparse:
        M = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, shape, check_invariants=True).coalesce()
        if M.dtype in (torch.float16, torch.bfloat16):
            return M  # PyTorch has no CSR product in half precision on CPU; COO's works
        with warnings.catch_warnings():  # torch announces, once, that its CSR layout is in beta
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)
            return M.to_sparse_csr()  # CSR: its matrix product is many times faster than COO's on CPU
    M = a.X.new_zeros(shape)
    M.index_put_((rows, cols), values, accumulate=True)
    return M


def trans_conv_via_matrix(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1, *, sparse=None):
    """Transposed convolution as one matrix product: Y = W^T X with X and Y flattened (W^T from
    trans_conv_matrix). sparse=None builds W^T sparse when it would hold more than DENSE_LIMIT entries;
    True or False forces the choice. Non-finite values: the dense W^T multiplies its structural zeros too,
    and 0 * inf = NaN, so an inf or NaN in X makes every output NaN, where F.conv_transpose2d spreads it
    only over the cells it reaches; the sparse W^T stores only the taps and agrees with PyTorch.
    """
    a = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, c_in, h, w = a.X.shape
    c_out, (ho, wo) = a.K.shape[1] * a.groups, a.output_shape
    if sparse is None:
        sparse = c_out * ho * wo * c_in * h * w > DENSE_LIMIT
    elif not isinstance(sparse, bool):
        raise TypeError(f"sparse must be True, False or None (choose by size); got {sparse!r}")
    M = _matrix(a, sparse)
    Y = M @ a.X.reshape(n, c_in * h * w).T  # (C_out*H_out*W_out, N); N may be 0
    return a.restore(Y.T.reshape(n, c_out, ho, wo))


def trans_conv_fold(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution the way frameworks compute it: one matrix product makes every stamp at once
    (the columns: C_out*kH*kW numbers for each of the H*W input positions), then F.fold (col2im) adds each
    column into its window of the output, stride apart, and crops the padding.
    """
    a = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, c_in, h, w = a.X.shape
    c_group, kh, kw = a.K.shape[1:]
    g = a.groups
    # stamps[n, g, (c, a, b), (i, j)] = sum over the group's input channels of K[ci, c, a, b] * X[n, ci, i, j]
    kernels = a.K.reshape(g, c_in // g, c_group * kh * kw).transpose(1, 2)
    columns = kernels @ a.X.reshape(n, g, c_in // g, h * w)
    columns = columns.reshape(n, g * c_group * kh * kw, h * w)
    fold = dict(kernel_size=(kh, kw), dilation=a.dilation, stride=a.stride)
    if all(op < s for op, s in zip(a.output_padding, a.stride)):
        # fold's padding crops p from each side of an output that has room for every stamp
        return a.restore(F.fold(columns, a.output_shape, padding=a.padding, **fold))
    # output_padding >= stride (possible when dilation > stride): fold uncropped, then pad and crop
    (sh, sw), (dh, dw), (ph, pw), (oph, opw) = a.stride, a.dilation, a.padding, a.output_padding
    full = F.fold(columns, ((h - 1) * sh + dh * (kh - 1) + 1, (w - 1) * sw + dw * (kw - 1) + 1), **fold)
    return a.restore(F.pad(full, (-pw, opw - pw, -ph, oph - ph)))


def trans_conv_subpixel(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution in the sub-pixel (phase) view: one stride-1 convolution of the small
    input to s_h*s_w*C_out channels, then an interleave (PixelShuffle's rearrangement), then a crop.

    Output row y = i*s + d*a - p receives X[i] * K[a]. The rows whose uncropped index is r mod s
    (a "phase") take only the taps with d*a = r mod s: the sub-kernel K[r::s] when d = 1. So each
    phase is an ordinary convolution of X with its own (flipped) sub-kernel, no zero is inserted
    into X, and the s_h*s_w phases are computed at once as the output channels of one F.conv2d.
    Dilation d > 1 is supported: the kernel is spread out by d first (zero taps in the sub-kernels).
    Same inputs, shapes and refusals as helpers.trans_conv. With a square stride the interleave is
    F.pixel_shuffle and the result is a cropped view of its output (no copy for the crop). Non-finite values: the sub-kernels hold
    zero taps (between dilated taps, or where s does not divide d*(k-1) + 1), and 0 * inf = NaN, so an
    inf or NaN in X can give NaN in more cells than F.conv_transpose2d does.
    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    a = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, g, c_group = a.X.shape[0], a.groups, a.K.shape[1]
    (sh, sw), (ph, pw), (ho, wo) = a.stride, a.padding, a.output_shape
    weight, (qh, qw) = subpixel_weight(a.K, a.stride, a.dilation, g)
    last = torch.channels_last  # the layout oneDNN's convolution prefers
    h_all, w_all = ph + ho, pw + wo
    if sh == sw and h_all <= (a.X.shape[2] + qh - 1) * sh and w_all <= (a.X.shape[3] + qw - 1) * sw:
        # every phase of every output channel at once, then PixelShuffle's interleave, then the crop
        phases = F.conv2d(a.X.contiguous(memory_format=last), weight.contiguous(memory_format=last),
                          padding=(qh - 1, qw - 1), groups=g)
        return a.restore(F.pixel_shuffle(phases, sh)[..., ph:ph + ho, pw:pw + wo])
    # Rectangular strides, or output_padding past the interleaved rows: the same steps, interleaved
    # by hand. PixelShuffle's channel order (group, c, rh, rw) -> (group, rh, rw, c) first.
    weight = weight.reshape(g, c_group, sh * sw, -1, qh, qw).transpose(1, 2).reshape(weight.shape)
    phases = F.conv2d(a.X.contiguous(memory_format=last), weight.contiguous(memory_format=last),
                      padding=(qh - 1, qw - 1), groups=g)  # (N, g*sh*sw*c_group, hp, wp)
    hp, wp = phases.shape[-2:]
    # interleave: channel (group, rh, rw, c) at (m, l) goes to row m*sh + rh, column l*sw + rw.
    # Done in channels_last order (N, H, W, C), where it moves whole runs of channels at a time;
    # rows and columns past the interleaved ones (output_padding) stay zero.
    h_all, w_all = max(hp * sh, ph + ho), max(wp * sw, pw + wo)
    fill = phases.new_empty if (h_all, w_all) == (hp * sh, wp * sw) else phases.new_zeros
    Y = fill((n, h_all, w_all, g * c_group))
    Y[:, :hp * sh, :wp * sw].view(n, hp, sh, wp, sw, g, c_group).copy_(
        phases.permute(0, 2, 3, 1).reshape(n, hp, wp, g, sh, sw, c_group).permute(0, 1, 4, 2, 5, 3, 6))
    # crop the padding, and return the (N, C, H, W) layout F.conv_transpose2d returns
    return a.restore(Y[:, ph:ph + ho, pw:pw + wo].permute(0, 3, 1, 2).contiguous())


def subpixel_weight(K, stride, dilation=(1, 1), groups=1):
    """The F.conv2d weight (C_out*s_h*s_w, C_in/groups, q_h, q_w) of the sub-pixel view, and
    (q_h, q_w), the taps per phase, for K (C_in, C_out/groups, kH, kW) and (h, w) pairs stride and
    dilation.

    Output channel (group, c, r_h, r_w) holds the sub-kernel of phase (r_h, r_w) for output channel
    c of the group: K's taps a with d*a = r mod s (K[:, c, r_h::s_h, r_w::s_w] when d = 1), padded
    with zeros after its last tap to q taps and turned by 180 degrees, so that F.conv2d (a
    correlation) computes the convolution. That is nn.PixelShuffle's order (output channel j reads
    channels j*s*s to j*s*s + s*s - 1, phase by phase), so with s_h = s_w = s, F.conv2d(X, weight,
    padding=q - 1, groups=groups), then nn.PixelShuffle(s), then the crop of the padding, equals
    F.conv_transpose2d.
    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    c_in, c_group, kh, kw = K.shape
    (sh, sw), (dh, dw) = stride, dilation
    # the kernel spread out by the dilation, then padded so that each axis is whole phases long
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    qh, qw = -(-span_h // sh), -(-span_w // sw)
    if (dh, dw) == (1, 1) and (span_h, span_w) == (qh * sh, qw * sw):
        spread = K  # the stride divides the kernel: nothing to spread or pad
    else:
        spread = K.new_zeros((c_in, c_group, qh * sh, qw * sw))
        spread[:, :, :span_h:dh, :span_w:dw] = K
    # tap a = q*s + r: split each axis into (q, r), order the channels (c, r_h, r_w) within a group
    sub = spread.reshape(c_in, c_group, qh, sh, qw, sw).permute(0, 1, 3, 5, 2, 4).flip(-2, -1)
    per_group = sub.reshape(groups, c_in // groups, c_group * sh * sw, qh, qw).transpose(1, 2)
    return per_group.reshape(groups * sh * sw * c_group, c_in // groups, qh, qw), (qh, qw)
