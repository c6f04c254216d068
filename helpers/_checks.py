"""Argument checks behind the maths: every refusal names the parameter and the rule it broke.

`check_arguments` checks a transposed convolution's arguments for every implementation (the loop in
helpers.ops and those in helpers.implementations), so all of them accept the same inputs and refuse
the same ones in the same words. The smaller checks (`pair`, `positive_int`, `tensor`, ...) serve
the other helpers. `affordable` and `loop_steps` refuse, before any work starts, what cannot fit in
memory or finish in reasonable time, and say which implementation fits instead.
"""

import math
import os
from numbers import Integral, Real
from typing import NamedTuple

import torch


class Arguments(NamedTuple):
    """A transposed convolution's checked arguments: X batched, K 4-D, every size an (h, w) pair."""

    X: torch.Tensor  # (N, C_in, H, W)
    K: torch.Tensor  # (C_in, C_out/groups, kH, kW), in the same dtype as X
    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple
    groups: int
    output_shape: tuple  # (H_out, W_out)
    leading: int  # leading dimensions the caller's X lacked: 2 for (H, W), 1 for (C_in, H, W), 0

    def restore(self, Y):
        """Y (N, C_out, H_out, W_out) as the caller's X was laid out: 2-D, channels, or batched."""
        return Y[(0,) * self.leading]


def check_arguments(
    X, K, stride=1, padding=0, output_padding=0, dilation=1, groups=1, *, input_name="X"
):
    """Check a transposed convolution's arguments and return them as `Arguments`.

    X may be (H, W) with K (kH, kW), or (C_in, H, W) or (N, C_in, H, W) with K (C_in, C_out/groups,
    kH, kW); a batch of N = 0 is accepted, as in PyTorch. Tensors keep their autograd history (no
    detaching), so gradients flow through every implementation. The output must fit in memory
    (`affordable`). `input_name` is how the messages call X (trans_conv_matrix passes
    "input_shape").
    """
    X, K = tensor(X, input_name), tensor(K, "K")
    if X.ndim == 2:
        if K.ndim != 2:
            raise ValueError(
                f"K must have shape (kH, kW) when {input_name} has shape (H, W); "
                f"got K of shape {tuple(K.shape)}"
            )
    elif X.ndim in (3, 4):
        layout = "(C_in, H, W)" if X.ndim == 3 else "(N, C_in, H, W)"
        if K.ndim != 4:
            raise ValueError(
                f"K must have shape (C_in, C_out, kH, kW) when {input_name} has shape "
                f"{layout}; got K of shape {tuple(K.shape)}"
            )
        if K.shape[0] != X.shape[-3]:
            raise ValueError(
                f"K.shape[0] must equal the input channels C_in of {input_name} {layout} "
                f"(ConvTranspose2d's weight layout is (C_in, C_out, kH, kW)); "
                f"got K.shape[0]={K.shape[0]}, C_in={X.shape[-3]}"
            )
    else:
        raise ValueError(
            f"{input_name} must have shape (H, W), (C_in, H, W) or (N, C_in, H, W); "
            f"got shape {tuple(X.shape)}"
        )
    if 0 in X.shape[X.ndim - 3 if X.ndim == 4 else 0 :]:  # a batch of N = 0 samples is fine
        raise ValueError(f"{input_name} must not be empty; got shape {tuple(X.shape)}")
    nonempty(K, "K")
    groups = positive_int(groups, "groups")
    if X.ndim == 2 and groups != 1:
        raise ValueError(
            f"groups needs channels: {input_name} must have shape (C_in, H, W) when groups={groups}"
        )
    if X.ndim > 2 and X.shape[-3] % groups:
        raise ValueError(
            f"groups must divide the input channels; got C_in={X.shape[-3]}, groups={groups}"
        )
    leading = 4 - X.ndim
    X, K = X[(None,) * leading], (K[None, None] if K.ndim == 2 else K)
    s = pair(stride, "stride", minimum=1)
    p = pair(padding, "padding", minimum=0)
    op = pair(output_padding, "output_padding", minimum=0)
    d = pair(dilation, "dilation", minimum=1)
    from .shapes import trans_conv_output_shape  # shapes imports this module

    out = trans_conv_output_shape(X.shape[-2:], K.shape[-2:], s, p, op, d)  # refuses what crops all
    dtype = torch.promote_types(X.dtype, K.dtype)
    c_out = K.shape[1] * groups
    affordable(
        X.shape[0] * c_out * out[0] * out[1],
        dtype,
        f"the output Y (N, C_out, H_out, W_out) = {(X.shape[0], c_out, *out)}",
        "a smaller input, stride, dilation or kernel",
    )
    return Arguments(X.to(dtype), K.to(dtype), s, p, op, d, groups, out, leading)


def loop_arguments(X, K, stride, padding, output_padding, dilation, groups):
    """check_arguments, then refuse what the loop in helpers.ops cannot finish or hold."""
    args = check_arguments(X, K, stride, padding, output_padding, dilation, groups)
    n, c_in, h, w = args.X.shape
    loop_steps(
        c_in * h * w,
        f"the loop over C_in*H*W = {c_in}*{h}*{w}",
        "trans_conv_fold or F.conv_transpose2d",
    )
    full = [o + 2 * p for o, p in zip(args.output_shape, args.padding)]
    affordable(
        n * args.K.shape[1] * args.groups * full[0] * full[1],
        args.X.dtype,
        f"the uncropped output before cropping {(n, args.K.shape[1] * args.groups, *full)}",
        "a smaller input, stride, dilation or padding",
    )
    return args


def corr2d_arguments(X, K):
    """X (H, W) and K (h, w) for corr2d: K fits inside X, one dtype, and the loop can finish."""
    X, K = grids(X, K)
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError(
            f"K must fit inside X: K has shape {tuple(K.shape)}, X has shape {tuple(X.shape)}"
        )
    rows, cols = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    loop_steps(
        rows * cols,
        f"the loop over the output (H-h+1)*(W-w+1) = {rows}*{cols}",
        "F.conv2d(X[None, None], K[None, None])[0, 0]",
    )
    dtype = torch.promote_types(X.dtype, K.dtype)
    return X.to(dtype), K.to(dtype)


def matrix_arguments(K, input_shape, stride, padding, dilation, sparse=False):
    """kernel2matrix's arguments: K (h, w) as a tensor, input_shape, stride, padding and dilation as
    (h, w) pairs, and the convolution's output (H_out, W_out); a dense W must fit in memory."""
    from .shapes import conv_output_shape  # shapes imports this module

    K = tensor(K, "K")
    if K.ndim != 2:
        raise ValueError(f"K must have shape (kH, kW); got shape {tuple(K.shape)}")
    nonempty(K, "K")
    if not (isinstance(input_shape, (tuple, list, torch.Size)) and len(input_shape) == 2):
        raise TypeError(f"input_shape must be two positive ints (H, W); got {input_shape!r}")
    size = pair(input_shape, "input_shape", minimum=1)
    s = pair(stride, "stride", minimum=1)
    p = pair(padding, "padding", minimum=0)
    d = pair(dilation, "dilation", minimum=1)
    out = conv_output_shape(size, K.shape, s, p, d, input_name="input_shape")
    if not choice(sparse, "sparse", (True, False)):
        affordable(
            out[0] * out[1] * size[0] * size[1],
            K.dtype,
            f"the dense W (H_out*W_out, H_in*W_in) = {(out[0] * out[1], size[0] * size[1])}",
            "sparse=True, which stores only the kernel's taps",
        )
    return K, size, s, p, d, out


def pair(value, name, *, minimum):
    """Return `value` as an (h, w) pair of ints, each at least `minimum`.

    Accepts an int or a sequence of two ints (bools, floats and strings are refused).
    """
    if _is_int(value):
        items = (value, value)
    elif isinstance(value, (tuple, list, torch.Size)):
        if len(value) != 2 or not all(_is_int(v) for v in value):
            raise TypeError(f"{name} must be an int or a pair (h, w) of ints; got {value!r}")
        items = tuple(value)
    elif (
        isinstance(value, torch.Tensor)
        and value.numel() in (1, 2)
        and not value.is_floating_point()
    ):
        return pair(value.tolist(), name, minimum=minimum)
    else:
        raise TypeError(f"{name} must be an int or a pair (h, w) of ints; got {value!r}")
    items = tuple(int(v) for v in items)
    for v in items:
        if v < minimum:
            rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise ValueError(f"{name} must be {rule} (each of h, w); got {value!r}")
    return items


def positive_int(value, name, *, minimum=1):
    """Return `value` as an int, refusing anything but a whole number of at least `minimum`."""
    rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if not _is_int(value):
        raise TypeError(f"{name} must be {rule}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {rule}; got {value!r}")
    return int(value)


def number(value, name, *, positive=False):
    """Return `value` as a finite float (ints and floats; bools and strings are refused)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite real number; got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}")
    return float(value)


def choice(value, name, allowed):
    """Return `value` if it is one of `allowed` (compared by identity for True, False and None)."""
    if not any(value is a for a in allowed):
        words = ", ".join(repr(a) for a in allowed)
        raise TypeError(f"{name} must be one of {words}; got {value!r}")
    return value


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def tensor(value, name):
    """Return `value` as a floating-point tensor (integers and bools become the default dtype).

    A tensor keeps its autograd history: nothing is detached.
    """
    if isinstance(value, torch.Tensor):
        t = value
    else:
        try:
            t = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"{name} must be a tensor or an array-like of numbers; got {type(value).__name__}"
            ) from err
    if t.is_complex():
        raise TypeError(f"{name} must hold real numbers; got dtype {t.dtype}")
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    return t


def nonempty(t, name):
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty; got shape {tuple(t.shape)}")


def grids(X, K):
    """X (H, W) and K (kH, kW) as non-empty 2-D floating-point tensors."""
    X, K = tensor(X, "X"), tensor(K, "K")
    for t, name, shape in ((X, "X", "(H, W)"), (K, "K", "(kH, kW)")):
        if t.ndim != 2:
            raise ValueError(f"{name} must have shape {shape}; got shape {tuple(t.shape)}")
        nonempty(t, name)
    return X, K


def output_padding_rule(output_padding, stride, dilation):
    """output_padding must be below the stride or the dilation on each axis (PyTorch's rule)."""
    for axis, op, s, d in zip("hw", output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding must be smaller than the stride or the dilation on each axis; "
                f"on axis {axis} output_padding={op}, stride={s}, dilation={d}"
            )


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 16 * 2**30


MEMORY_LIMIT = _physical_memory() // 2
"""The most bytes one tensor a helper builds may take: half of this machine's memory."""

LOOP_LIMIT = 10**6
"""The most steps a Python loop here may take: about half a minute at some 25 microseconds a
step."""


def _size(nbytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024


def affordable(count, dtype, what, instead):
    """Refuse, before allocating it, a tensor of `count` `dtype` numbers larger than MEMORY_LIMIT.

    `what` names the tensor and its shape; `instead` says what would fit.
    """
    nbytes = count * (
        torch.empty((), dtype=dtype).element_size() if isinstance(dtype, torch.dtype) else dtype
    )
    if nbytes > MEMORY_LIMIT:
        raise MemoryError(
            f"{what} would take {_size(nbytes)}, more than the {_size(MEMORY_LIMIT)} "
            f"(half of this machine's memory) a helper may use; try {instead}"
        )


def loop_steps(steps, what, instead):
    """Refuse a Python loop of more than LOOP_LIMIT steps before it starts; `what` says how they are
    counted, `instead` names an implementation that computes the same without a Python loop."""
    if steps > LOOP_LIMIT:
        raise ValueError(
            f"{what} = {steps} steps of a Python loop, more than {LOOP_LIMIT} (about half "
            f"a minute); it would take about {steps * 25e-6:.0f} s or more. Use {instead}, "
            f"which computes the same without a Python loop"
        )
