"""Argument checks shared by ops and shapes: every refusal names the parameter and the rule it broke."""
from numbers import Integral

import torch


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
    elif isinstance(value, torch.Tensor) and value.numel() in (1, 2) and not value.is_floating_point():
        return pair(value.tolist(), name, minimum=minimum)
    else:
        raise TypeError(f"{name} must be an int or a pair (h, w) of ints; got {value!r}")
    items = tuple(int(v) for v in items)
    for v in items:
        if v < minimum:
            rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise ValueError(f"{name} must be {rule} (each of h, w); got {value!r}")
    return items


def positive_int(value, name):
    """Return `value` as an int, refusing anything that is not a whole number of at least 1."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def tensor(value, name):
    """Return `value` as a floating-point tensor (integer and bool inputs become the default float dtype)."""
    if isinstance(value, torch.Tensor):
        t = value.detach()
    else:
        try:
            t = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a tensor or an array-like of numbers; got {type(value).__name__}") from err
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
    """output_padding must be smaller than the stride or the dilation, on each axis (PyTorch's rule)."""
    for axis, op, s, d in zip("hw", output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding must be smaller than the stride or the dilation on each axis; "
                f"on axis {axis} output_padding={op}, stride={s}, dilation={d}"
            )
