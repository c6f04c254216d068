"""Four more ways to compute the transposed convolution, with trans_conv's signature and checks.

- trans_conv_via_conv: insert zeros between the inputs, pad, flip the kernel, convolve directly.
- trans_conv_via_matrix: multiply by the transposed convolution's matrix W^T (dense, or sparse if
  large).
- trans_conv_fold: one matrix product makes every stamp; F.fold (col2im) adds them into place.
- trans_conv_subpixel: one stride-1 convolution computes the s*s phases of the output, then they are
  interleaved (the sub-pixel view; the phases are introduced in 04-checkerboard-artifacts.ipynb).

Each accepts X (H, W), (C_in, H, W) or a batch (N, C_in, H, W), as helpers.trans_conv does, and
agrees with F.conv_transpose2d (tests/test_implementations.py).
Introduced in 06-what-each-implementation-costs.ipynb.
"""

import warnings

import torch
import torch.nn.functional as F

from . import _checks
from .matrix import conv_taps
from .ops import check_arguments, spread_zeros
from .shapes import trans_conv_output_shape

DENSE_LIMIT = 2**22
"""trans_conv_via_matrix builds W^T sparse when it would have more entries than this (16 MiB of
float32)."""


def trans_conv_via_conv(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution as a direct convolution: spread X out with stride - 1 zeros between
    its elements, pad it by d*(k-1) - p on each side (a negative pad crops) plus output_padding at
    the far end, and convolve with the kernel flipped and its two channel axes swapped, at stride 1.
    Non-finite values: the convolution multiplies K by the inserted and padded zeros too, and
    0 * inf = NaN, so an inf or NaN in K gives NaN in more cells than F.conv_transpose2d does.
    """
    args = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    (ph, pw), (dh, dw), (oph, opw) = args.padding, args.dilation, args.output_padding
    kh, kw = args.K.shape[-2:]
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    spread = F.pad(spread_zeros(args.X, args.stride), (qw, qw + opw, qh, qh + oph))
    weight = conv_weight(args.K, args.groups)
    return args.restore(F.conv2d(spread, weight, dilation=args.dilation, groups=args.groups))


def conv_weight(K, groups=1):
    """The Conv2d weight (C_out, C_in/groups, kH, kW) whose convolution equals the transposed
    convolution with K (C_in, C_out/groups, kH, kW) on a zero-spread, padded input: channel axes
    swapped within each group, and the kernel turned by 180 degrees."""
    c_in, c_group, kh, kw = K.shape
    per_group = K.reshape(groups, c_in // groups, c_group, kh, kw).transpose(1, 2)
    return per_group.reshape(groups * c_group, c_in // groups, kh, kw).flip(-2, -1)


def trans_conv_matrix(
    K, input_shape, stride=1, padding=0, output_padding=0, dilation=1, groups=1, sparse=False
):
    """The matrix W^T (C_out*H_out*W_out, C_in*H*W) of the transposed convolution of an input
    (C_in, H, W) of `input_shape` (H, W) with K: Y.reshape(-1) = W^T @ X.reshape(-1). K (kH, kW)
    means one channel.

    With sparse=True it is a sparse CSR tensor holding only the kernel's taps (COO for float16 and
    bfloat16, whose CSR product PyTorch lacks on CPU); sparse must be True or False.
    """
    if not (isinstance(input_shape, (tuple, list, torch.Size)) and len(input_shape) == 2):
        raise TypeError(f"input_shape must be two positive ints (H, W); got {input_shape!r}")
    h, w = _checks.pair(input_shape, "input_shape", minimum=1)
    K = _checks.tensor(K, "K")
    # a tensor of the input's shape, with no memory of its own, stands in for the input
    X = K.new_zeros(()).expand((K.shape[0], h, w) if K.ndim == 4 else (h, w))
    args = check_arguments(
        X, K, stride, padding, output_padding, dilation, groups, input_name="input_shape"
    )
    return _matrix(args, _checks.choice(sparse, "sparse", (True, False)))


def _matrix(args, sparse):
    c_in, c_group, kh, kw = args.K.shape
    h, w = args.X.shape[-2:]
    (ho, wo), in_per_group = args.output_shape, c_in // args.groups
    if not sparse:
        height = c_group * args.groups * ho * wo
        _checks.affordable(height * c_in * h * w, args.X.dtype,
                           f"the dense W^T {(height, c_in * h * w)}",
                           "sparse=True, which stores only the kernel's taps")
    # The transposed convolution writes where the convolution of its output would read.
    out_flat, in_flat, ta, tb = conv_taps(
        (ho, wo), (kh, kw), args.stride, args.padding, args.dilation, output_shape=(h, w)
    )
    ci = torch.arange(c_in)[:, None, None]
    cg = torch.arange(c_group)[None, :, None]
    co = ci // in_per_group * c_group + cg
    rows = (co * (ho * wo) + in_flat).reshape(-1)
    cols = (ci * (h * w) + out_flat).expand(c_in, c_group, -1).reshape(-1)
    values = args.K[ci, cg, ta, tb].reshape(-1)
    shape = (c_group * args.groups * ho * wo, c_in * h * w)
    if sparse:
        M = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, shape, check_invariants=True)
        M = M.coalesce()
        if M.dtype in (torch.float16, torch.bfloat16):
            return M  # PyTorch has no CSR product in half precision on CPU; COO's works
        with warnings.catch_warnings():  # torch announces, once, that its CSR layout is in beta
            warnings.filterwarnings(
                "ignore", message="Sparse CSR tensor support is in beta", category=UserWarning
            )
            return M.to_sparse_csr()  # CSR: its matrix product is many times faster than COO's
    M = args.X.new_zeros(shape)
    M.index_put_((rows, cols), values, accumulate=True)
    return M


def trans_conv_via_matrix(
    X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1, *, sparse=None
):
    """Transposed convolution as one matrix product: Y = W^T X with X and Y flattened (W^T from
    trans_conv_matrix). sparse=None builds W^T sparse when it would hold more than DENSE_LIMIT
    entries; True or False forces the choice. Non-finite values: the dense W^T multiplies its
    structural zeros too, and 0 * inf = NaN, so an inf or NaN in X makes every output NaN, where
    F.conv_transpose2d spreads it only over the cells it reaches; the sparse W^T stores only the
    taps and agrees with PyTorch.
    """
    args = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, c_in, h, w = args.X.shape
    c_out, (ho, wo) = args.K.shape[1] * args.groups, args.output_shape
    if sparse is None:
        sparse = c_out * ho * wo * c_in * h * w > DENSE_LIMIT
    elif not isinstance(sparse, bool):
        raise TypeError(f"sparse must be True, False or None (choose by size); got {sparse!r}")
    M = _matrix(args, sparse)
    Y = M @ args.X.reshape(n, c_in * h * w).T  # (C_out*H_out*W_out, N); N may be 0
    return args.restore(Y.T.reshape(n, c_out, ho, wo))


def trans_conv_fold(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution the way frameworks compute it: one matrix product makes every stamp at
    once (the columns: C_out*kH*kW numbers for each of the H*W input positions), then F.fold
    (col2im) adds each column into its window of the output, stride apart, and crops the padding.
    """
    args = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, c_in, h, w = args.X.shape
    c_group, kh, kw = args.K.shape[1:]
    g = args.groups
    # stamps[n, g, (c, a, b), (i, j)]
    #     = sum over the group's input channels ci of K[ci, c, a, b] * X[n, ci, i, j]
    kernels = args.K.reshape(g, c_in // g, c_group * kh * kw).transpose(1, 2)
    columns = kernels @ args.X.reshape(n, g, c_in // g, h * w)
    columns = columns.reshape(n, g * c_group * kh * kw, h * w)
    fold = dict(kernel_size=(kh, kw), dilation=args.dilation, stride=args.stride)
    if all(op < s for op, s in zip(args.output_padding, args.stride)):
        # fold's padding crops p from each side of an output that has room for every stamp
        return args.restore(F.fold(columns, args.output_shape, padding=args.padding, **fold))
    # output_padding >= stride (possible when dilation > stride): fold uncropped, then pad and crop
    (ph, pw), (oph, opw) = args.padding, args.output_padding
    uncropped = trans_conv_output_shape((h, w), (kh, kw), args.stride, dilation=args.dilation)
    full = F.fold(columns, uncropped, **fold)
    return args.restore(F.pad(full, (-pw, opw - pw, -ph, oph - ph)))


def trans_conv_subpixel(X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution in the sub-pixel (phase) view: one stride-1 convolution of the small
    input to s_h*s_w*C_out channels, then an interleave (PixelShuffle's rearrangement), then a
    crop.

    Output row y = i*s + d*a - p receives X[i] * K[a]. The rows whose uncropped index is r mod s
    (a "phase") take only the taps with d*a = r mod s: the sub-kernel K[r::s] when d = 1. So each
    phase is an ordinary convolution of X with its own (flipped) sub-kernel, no zero is inserted
    into X, and the s_h*s_w phases are computed at once as the output channels of one F.conv2d.
    Dilation d > 1 is supported: the kernel is spread out by d first (zero taps in the sub-kernels).
    Same inputs, shapes and refusals as helpers.trans_conv.
    With a square stride, and output_padding within the interleaved rows and columns, the
    interleave is F.pixel_shuffle (04 shows the equivalence), and the result is a cropped view of
    its output. Otherwise (rectangular strides, or output_padding rows past the last phase) the
    same interleave is written out as one copy into (N, H, W, C) memory, with the rows past the
    last phase left zero. Either way the result is not contiguous in general (`.contiguous()`
    makes it dense) and holds F.conv_transpose2d's values up to rounding.
    Non-finite values: the sub-kernels hold zero taps (between dilated taps, or where s does not
    divide d*(k-1) + 1), and 0 * inf = NaN, so an inf or NaN in X can give NaN in more cells than
    F.conv_transpose2d does.
    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    args = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, g, c_group = args.X.shape[0], args.groups, args.K.shape[1]
    (sh, sw), (ph, pw), (ho, wo) = args.stride, args.padding, args.output_shape
    weight, (qh, qw) = subpixel_weight(args.K, args.stride, args.dilation, g)
    last = torch.channels_last  # the layout oneDNN's convolution prefers on the CPU
    phases = F.conv2d(args.X.contiguous(memory_format=last), weight.contiguous(memory_format=last),
                      padding=(qh - 1, qw - 1), groups=g)  # (N, g*c_group*sh*sw, hp, wp)
    hp, wp = phases.shape[-2:]
    h_all, w_all = ph + ho, pw + wo  # the output before the crop
    if sh == sw and h_all <= hp * sh and w_all <= wp * sw:
        return args.restore(F.pixel_shuffle(phases, sh)[..., ph:h_all, pw:w_all])
    # channel (group, c, rh, rw) at (m, l) goes to row m*sh + rh, column l*sw + rw; rows and
    # columns past the interleaved ones (output_padding) stay zero
    h_all, w_all = max(hp * sh, h_all), max(wp * sw, w_all)
    fill = phases.new_empty if (h_all, w_all) == (hp * sh, wp * sw) else phases.new_zeros
    Y = fill((n, h_all, w_all, g * c_group))  # (N, H, W, C) memory
    Y[:, :hp * sh, :wp * sw].view(n, hp, sh, wp, sw, g, c_group).copy_(
        phases.unflatten(1, (g, c_group, sh, sw)).permute(0, 5, 3, 6, 4, 1, 2))
    # crop the padding; (N, H, W, C) memory seen as the (N, C, H, W) tensor F.conv_transpose2d gives
    return args.restore(Y[:, ph:ph + ho, pw:pw + wo].permute(0, 3, 1, 2))


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
