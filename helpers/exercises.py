"""Checkers for the notebooks' exercises.

Each check_* takes the learner's function, runs it on cases with known answers (computed by
torch.nn.functional, never hard-coded) and returns a Check whose text says "not attempted",
"correct", or what differs. The reference solutions run through the same checkers in tests/.
"""
import torch
import torch.nn.functional as F


class Check:
    """The outcome of a checker: `status` is "not attempted", "correct" or "incorrect"."""

    def __init__(self, status, message):
        self.status, self.message = status, message

    def __bool__(self):
        return self.status == "correct"

    def __repr__(self):
        return f"{self.status}: {self.message}"


def _run(fn, cases, expected):
    """Call fn(*args) for each case and compare with expected(*args); the first difference is reported."""
    name = getattr(fn, "__name__", "your function")
    for args in cases:
        want = expected(*args)
        try:
            got = fn(*args)
        except NotImplementedError:
            return Check("not attempted", f"{name} still raises NotImplementedError")
        except Exception as err:  # a learner's bug is reported, never raised into the notebook
            return Check("incorrect", f"{name}{_describe(args)} raised {type(err).__name__}: {err}")
        problem = _differs(got, want)
        if problem:
            return Check("incorrect", f"{name}{_describe(args)}: {problem}")
    return Check("correct", f"{name} agrees with PyTorch on all {len(cases)} cases")


def _describe(args):
    parts = [f"shape {tuple(a.shape)}" if isinstance(a, torch.Tensor) else repr(a) for a in args]
    return "(" + ", ".join(parts) + ")"


def _differs(got, want):
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"returned {type(got).__name__}, expected a tensor"
        if got.shape != want.shape:
            return f"returned shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        gap = (got.double() - want.double()).abs().max().item()
        return f"values differ by up to {gap:g}" if gap > 1e-4 else ""
    return "" if got == want else f"returned {got!r}, expected {want!r}"


def _ints(shape, gen):
    return torch.randint(-4, 5, shape, generator=gen).float()


def check_output_size(fn):
    """fn(n, k): the output length of a stride-1 transposed convolution of an n-long input, k-long kernel."""
    cases = [(n, k) for n in range(1, 7) for k in range(1, 5)]
    expected = lambda n, k: F.conv_transpose2d(torch.zeros(1, 1, 1, n), torch.zeros(1, 1, 1, k)).shape[-1]
    return _run(fn, cases, expected)


def check_trans_conv_stride(fn):
    """fn(X, K, stride): the 2-D loop with an integer stride, as F.conv_transpose2d(..., stride=stride)."""
    gen = torch.Generator().manual_seed(0)
    cases = [
        (_ints((h, w), gen), _ints((kh, kw), gen), s)
        for h, w, kh, kw, s in [(2, 2, 2, 2, 1), (2, 2, 2, 2, 2), (3, 4, 2, 3, 2), (2, 3, 3, 2, 3), (4, 2, 1, 2, 2)]
    ]
    expected = lambda X, K, s: F.conv_transpose2d(X[None, None], K[None, None], stride=s)[0, 0]
    return _run(fn, cases, expected)


def check_trans_conv_channels(fn):
    """fn(X, K): X (C_in, H, W), K (C_in, C_out, kH, kW) to Y (C_out, H', W'), stride 1."""
    gen = torch.Generator().manual_seed(1)
    cases = [
        (_ints((ci, h, w), gen), _ints((ci, co, kh, kw), gen))
        for ci, co, h, w, kh, kw in [(1, 1, 2, 2, 2, 2), (2, 1, 2, 3, 2, 2), (1, 3, 3, 2, 2, 3), (3, 2, 2, 2, 3, 1)]
    ]
    expected = lambda X, K: F.conv_transpose2d(X[None], K)[0]
    return _run(fn, cases, expected)
