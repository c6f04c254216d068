"""Checkers for the notebooks' exercises.

Each check_* takes the learner's function, runs it on cases with known answers (computed by
torch.nn.functional, never hard-coded) and returns a Check whose text says "not attempted",
"correct", or what differs. The reference solutions run through the same checkers in tests/.

A checker never raises: whatever the learner's function raises or returns (an error from PyTorch, a
NaN, complex numbers, an object that cannot be compared) is reported as the answer's problem. A
NumPy array or an integer tensor is compared like a tensor. A function that never returns (an
endless loop) is stopped by the kernel's interrupt (the stop button, or I I in JupyterLab): the
interrupt is not caught here, so it stops the checker too.
"""
from numbers import Integral

import torch
import torch.nn.functional as F

from .ops import spread_zeros
from .shapes import trans_conv_output_shape


class Check:
    """The outcome of a checker: `status` is "not attempted", "correct" or "incorrect"."""

    def __init__(self, status, message):
        self.status, self.message = status, message

    def __bool__(self):
        return self.status == "correct"

    def __repr__(self):
        return f"{self.status}: {self.message}"


def _name(fn):
    return getattr(fn, "__name__", "your function")


def _run(fn, cases, expected, name=None):
    """Call fn(*args) for each case and compare with the answer; the first difference is reported.

    `expected` is a function of the same arguments, or a list of answers in the order of `cases`;
    `name` is how the learner's function is called in the messages (default: fn's own name).
    KeyboardInterrupt (the kernel's interrupt) is not caught: it stops an endless loop in fn.
    """
    name = name or _name(fn)
    answers = expected if isinstance(expected, list) else [expected(*args) for args in cases]
    for args, want in zip(cases, answers):
        # fn may modify its arguments: it gets copies
        args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
        try:
            got = fn(*args)
        except NotImplementedError:
            return Check("not attempted", f"{name} still raises NotImplementedError")
        except (Exception, SystemExit) as err:  # a learner's bug is reported, never raised
            return Check("incorrect", f"{name}{_describe(args)} raised {type(err).__name__}: {err}")
        problem = _compare(got, want)
        if problem:
            return Check("incorrect", f"{name}{_describe(args)}: {problem}")
    return Check("correct", f"{name} agrees with PyTorch on all {len(cases)} cases")


def _describe(args):
    parts = [f"shape {tuple(a.shape)}" if isinstance(a, torch.Tensor) else repr(a) for a in args]
    return "(" + ", ".join(parts) + ")"


def _compare(got, want):
    """_differs, with anything that goes wrong while comparing reported as the answer's problem."""
    try:
        return _differs(got, want)
    except (Exception, SystemExit) as err:  # e.g. an object whose == raises
        return f"returned {type(got).__name__} that cannot be compared with the answer ({err})"


def _as_tensor(got):
    """The answer as a dense tensor when it is a tensor or a NumPy array; otherwise None."""
    if isinstance(got, torch.Tensor):
        return got.detach().to_dense() if got.layout != torch.strided else got.detach()
    if type(got).__module__ == "numpy" and hasattr(got, "shape") and hasattr(got, "dtype"):
        return torch.as_tensor(got)
    return None


def _differs(got, want):
    """What differs between the answer `got` and `want` (a tensor or a number), in the learner's
    words; "" when they agree. NaN, inf and complex numbers never agree with a real, finite
    answer."""
    if isinstance(want, torch.Tensor):
        t = _as_tensor(got)
        if t is None:
            return f"returned {type(got).__name__}, expected a tensor"
        if t.is_complex():
            return f"returned complex numbers (dtype {t.dtype}), expected real numbers"
        if t.shape != want.shape:
            return f"returned shape {tuple(t.shape)}, expected {tuple(want.shape)}"
        t, want = t.double(), want.detach().double()
        wrong = torch.isfinite(want) & ~torch.isfinite(t)
        if wrong.any():
            where = tuple(torch.nonzero(wrong)[0].tolist())
            return (
                f"returned {t[where].item()} at index {where}, "
                f"where the answer is {want[where].item():g}"
            )
        gap = (t - want).abs().nan_to_num(nan=float("inf")).max().item() if t.numel() else 0.0
        return f"values differ by up to {gap:g}" if not gap <= 1e-4 else ""
    t = _as_tensor(got)
    if t is not None:
        if t.numel() != 1:
            return f"returned a tensor of shape {tuple(t.shape)}, expected the number {want!r}"
        got = t.reshape(()).item()
    if isinstance(got, complex):
        return f"returned the complex number {got!r}, expected {want!r}"
    if isinstance(got, float) and got != got:
        return f"returned NaN, expected {want!r}"
    return "" if bool(got == want) else f"returned {got!r}, expected {want!r}"


def _int(value):
    """value as an int if it is a whole number a learner would write (an int, a NumPy integer, an
    integer tensor of one element), else None. bools and floats are not ints here."""
    t = _as_tensor(value)
    if t is not None and t.numel() == 1 and not t.is_floating_point() and not t.is_complex() \
            and t.dtype != torch.bool:
        return int(t.reshape(()).item())
    if isinstance(value, Integral) and not isinstance(value, bool):
        return int(value)
    return None


def _ints(shape, gen):
    return torch.randint(-4, 5, shape, generator=gen).float()


def check_kernel_length(fn):
    """fn(n, o): the kernel length of a stride-1 transposed convolution turning length n into o."""
    cases, answers = [], []
    for n in range(1, 7):
        for k in range(1, 6):
            cases.append((n, _transposed_size(n, k, 1, 0, 0, 1)))
            answers.append(k)
    return _run(fn, cases, answers)


def check_trans_conv_stride(fn):
    """fn(X, K, stride): the 2-D loop with an integer stride, as
    F.conv_transpose2d(..., stride=stride)."""
    gen = torch.Generator().manual_seed(0)
    cases = [
        (_ints((h, w), gen), _ints((kh, kw), gen), s)
        for h, w, kh, kw, s in [
            (2, 2, 2, 2, 1),
            (2, 2, 2, 2, 2),
            (3, 4, 2, 3, 2),
            (2, 3, 3, 2, 3),
            (4, 2, 1, 2, 2),
        ]
    ]
    def expected(X, K, s):
        return F.conv_transpose2d(X[None, None], K[None, None], stride=s)[0, 0]

    return _run(fn, cases, expected)


def check_trans_conv_channels(fn):
    """fn(X, K): X (C_in, H, W), K (C_in, C_out, kH, kW) to Y (C_out, H', W'), stride 1."""
    gen = torch.Generator().manual_seed(1)
    cases = [
        (_ints((ci, h, w), gen), _ints((ci, co, kh, kw), gen))
        for ci, co, h, w, kh, kw in [
            (1, 1, 2, 2, 2, 2),
            (2, 1, 2, 3, 2, 2),
            (1, 3, 3, 2, 2, 3),
            (3, 2, 2, 2, 3, 1),
        ]
    ]
    def expected(X, K):
        return F.conv_transpose2d(X[None], K)[0]

    return _run(fn, cases, expected)


def _builds(i, k, s, p, op=0, d=1):
    """Whether a transposed convolution with these arguments (one axis) has an output at all."""
    try:
        trans_conv_output_shape(i, k, s, p, op, d)
    except ValueError:
        return False
    return True


def _transposed_size(i, k, s, p, op, d):
    """One axis of a transposed convolution's output, as torch computes it."""
    return F.conv_transpose1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s, padding=p,
                              output_padding=op, dilation=d).shape[-1]


def check_transposed_input_size(fn):
    """fn(o, k, s, p, op, d): the input size from which a transposed convolution makes size o."""
    cases, answers = [], []
    for i in (1, 2, 5):
        for k in (1, 2, 3):
            for s in (1, 2, 3):
                for p in (0, 1):
                    for d in (1, 2):
                        for op in range(max(s, d)):
                            if _builds(i, k, s, p, op, d):
                                cases.append((_transposed_size(i, k, s, p, op, d), k, s, p, op, d))
                                answers.append(i)
    return _run(fn, cases, answers)


def check_recovering_output_padding(fn):
    """fn(n, k, s, p): the output_padding that makes the transposed convolution return length n."""
    cases = [
        (n, k, s, p)
        for n in range(3, 12)
        for k in (1, 2, 3, 4)
        for s in (1, 2, 3)
        for p in (0, 1)
        if n + 2 * p >= k
    ]

    def expected(n, k, s, p):
        o = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p).shape[-1]
        return n - _transposed_size(o, k, s, p, 0, 1)

    return _run(fn, cases, expected)


def check_kernel2matrix_1d(fn):
    """fn(k, n): the (n-len(k)+1, n) matrix of the 1-D convolution of a length-n input with
    kernel k."""
    gen = torch.Generator().manual_seed(3)
    cases = [(_ints((m,), gen), n) for m, n in [(1, 3), (2, 3), (2, 5), (3, 4), (3, 7), (4, 4)]]

    def expected(k, n):
        # column j of W is the convolution of the j-th unit vector
        return F.conv1d(torch.eye(n)[:, None, :], k[None, None])[:, 0, :].T

    return _run(fn, cases, expected)


def check_trans_conv_via_matrix(fn):
    """fn(Y, K, input_shape, stride, padding): the transposed convolution computed as W^T vec(Y)."""
    gen = torch.Generator().manual_seed(4)
    cases = []
    for (h, w), (kh, kw), s, p in [
        ((3, 3), (2, 2), 1, 0),
        ((4, 5), (3, 2), 2, 1),
        ((5, 4), (3, 3), 2, 0),
        ((6, 6), (4, 4), 2, 1),
        ((4, 4), (1, 2), 3, 0),
    ]:
        K = _ints((kh, kw), gen)
        o = F.conv2d(torch.zeros(1, 1, h, w), K[None, None], stride=s, padding=p).shape[-2:]
        cases.append((_ints(tuple(o), gen), K, (h, w), s, p))

    def expected(Y, K, input_shape, s, p):
        base = F.conv_transpose2d(Y[None, None], K[None, None], stride=s, padding=p).shape[-2:]
        op = tuple(i - b for i, b in zip(input_shape, base))
        return F.conv_transpose2d(
            Y[None, None], K[None, None], stride=s, padding=p, output_padding=op
        )[0, 0]

    return _run(fn, cases, expected)


def check_equivalent_conv(fn):
    """fn(X, K, stride, padding, output_padding, dilation): F.conv_transpose2d computed with
    F.conv2d (zeros, pad, flip) for one channel and a kernel K (kh, kw)."""
    gen = torch.Generator().manual_seed(5)
    cases = [
        (_ints((h, w), gen), _ints(kernel, gen), s, p, a, d)
        for h, w, kernel, s, p, a, d in [
            (2, 2, (2, 2), 1, 0, 0, 1),
            (2, 3, (3, 2), 2, 1, 1, 1),
            (3, 2, (2, 3), 2, 0, 1, 2),
            (3, 3, (3, 3), 3, 2, 2, 2),
            (2, 2, (3, 1), 1, 0, 0, 3),
            (3, 3, (1, 3), 2, 2, 1, 2),
        ]
    ]
    def expected(X, K, s, p, a, d):
        return F.conv_transpose2d(
            X[None, None], K[None, None], stride=s, padding=p, output_padding=a, dilation=d
        )[0, 0]

    return _run(fn, cases, expected)


def check_overlap_count(fn):
    """fn(n, k, s): how many stamps land on each cell of a 1-D transposed convolution (a list or
    tensor)."""
    cases = [(n, k, s) for n in (1, 3, 5) for k in (1, 2, 3, 4, 5) for s in (1, 2, 3)]

    def expected(n, k, s):
        return F.conv_transpose1d(torch.ones(1, 1, n), torch.ones(1, 1, k), stride=s)[0, 0]

    return _run(
        lambda n, k, s: torch.as_tensor(fn(n, k, s), dtype=torch.float32),
        cases,
        expected,
        _name(fn),
    )


def check_doubling(fn):
    """fn(): (kernel_size, padding) of a stride-2 ConvTranspose2d that turns every size i into
    exactly 2i."""
    name = _name(fn)
    try:
        k, p = fn()
    except NotImplementedError:
        return Check("not attempted", f"{name} still raises NotImplementedError")
    except Exception as err:
        return Check(
            "incorrect",
            f"{name}() did not return a pair (kernel_size, padding): {type(err).__name__}: {err}",
        )
    if _int(k) is None or _int(p) is None or _int(k) < 1 or _int(p) < 0:
        return Check(
            "incorrect",
            f"{name}() returned {(k, p)!r}; expected ints kernel_size >= 1 and padding >= 0",
        )
    k, p = _int(k), _int(p)
    for i in range(1, 9):
        if not _builds(i, k, 2, p):
            return Check(
                "incorrect",
                f"kernel_size={k}, padding={p} crops the whole output of size {i}, not {2 * i}",
            )
        o = F.conv_transpose1d(
            torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=2, padding=p
        ).shape[-1]
        if o != 2 * i:
            return Check(
                "incorrect", f"kernel_size={k}, padding={p} turns size {i} into {o}, not {2 * i}"
            )
    return Check("correct", f"kernel_size={k}, padding={p} doubles every size from 1 to 8")


def check_bilinear_kernel(fn):
    """fn(s): the (2s, 2s) kernel with which ConvTranspose2d(2s, stride=s, padding=s/2) matches
    F.interpolate(mode="bilinear") away from the border."""
    gen = torch.Generator().manual_seed(6)
    name = _name(fn)
    for s in (2, 4, 6):
        try:
            K = fn(s)
        except NotImplementedError:
            return Check("not attempted", f"{name} still raises NotImplementedError")
        except Exception as err:
            return Check("incorrect", f"{name}({s}) raised {type(err).__name__}: {err}")
        K = _as_tensor(K) if _as_tensor(K) is not None else K
        if not isinstance(K, torch.Tensor) or tuple(K.shape) != (2 * s, 2 * s):
            shape = tuple(K.shape) if isinstance(K, torch.Tensor) else type(K).__name__
            return Check(
                "incorrect",
                f"{name}({s}) returned {shape}, expected a tensor of shape {(2 * s, 2 * s)}",
            )
        if K.is_complex() or not torch.isfinite(K.double()).all():
            return Check(
                "incorrect",
                f"{name}({s}) holds complex, NaN or infinite numbers; expected real ones",
            )
        x = torch.rand(1, 1, 6, 6, generator=gen)
        got = F.conv_transpose2d(x, K.float()[None, None], stride=s, padding=s // 2)[
            0, 0, s:-s, s:-s
        ]
        want = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)[
            0, 0, s:-s, s:-s
        ]
        gap = (got - want).abs().max().item()
        if not gap <= 1e-5:
            return Check(
                "incorrect",
                f"with {name}({s}) the interior differs from F.interpolate by up to {gap:.3g}",
            )
    return Check(
        "correct", f"{name} upsamples like F.interpolate(mode='bilinear') for factors 2, 4 and 6"
    )


def check_round_trip_size(fn):
    """fn(n, levels): the size after `levels` Conv2d(k=3, s=2, p=1) then `levels`
    ConvTranspose2d(k=4, s=2, p=1)."""
    cases = [(n, levels) for n in (1, 2, 7, 8, 15, 16, 75, 100) for levels in (1, 2, 3)]

    def expected(n, levels):
        x = torch.zeros(1, 1, n, 1)
        for _ in range(levels):
            x = F.conv2d(x, torch.zeros(1, 1, 3, 1), stride=(2, 1), padding=(1, 0))
        for _ in range(levels):
            x = F.conv_transpose2d(x, torch.zeros(1, 1, 4, 1), stride=(2, 1), padding=(1, 0))
        return x.shape[2]

    return _run(fn, cases, expected)


def check_matrix_entries(fn):
    """fn(c_in, c_out, n, k, s, p): how many entries the dense matrix W^T of a
    ConvTranspose2d(c_in, c_out, k, stride=s, padding=p) has, for an n x n input (zeros
    included)."""
    cases = [(ci, co, n, k, s, p) for ci, co in ((1, 1), (3, 2)) for n in (1, 4, 7) for k, s, p in
             ((1, 1, 0), (3, 1, 1), (4, 2, 1), (3, 3, 0))]

    def expected(ci, co, n, k, s, p):
        Y = F.conv_transpose2d(
            torch.zeros(1, ci, n, n), torch.zeros(ci, co, k, k), stride=s, padding=p
        )
        return Y.numel() * ci * n * n  # one row per output number, one column per input number

    return _run(fn, cases, expected)


def check_columns_shape(fn):
    """fn(x_shape, k_shape, s): the shape of the columns that trans_conv_fold hands to F.fold, for
    an input of x_shape (N, C_in, H, W), a kernel of k_shape (C_in, C_out, kH, kW) and stride s
    (padding 0)."""
    cases = [
        ((1, 1, 3, 3), (1, 1, 2, 2), 1),
        ((2, 3, 4, 5), (3, 2, 3, 3), 2),
        ((8, 16, 32, 32), (16, 16, 4, 4), 2),
        ((1, 4, 1, 6), (4, 5, 1, 3), 3),
    ]

    def expected(x_shape, k_shape, s):
        # the columns are what F.unfold cuts out of the output: one column of C_out*kH*kW numbers
        # per window
        Y = F.conv_transpose2d(torch.zeros(x_shape), torch.zeros(k_shape), stride=s)
        return tuple(F.unfold(Y, k_shape[2:], stride=s).shape)

    return _run(lambda *args: tuple(int(v) for v in fn(*args)), cases, expected, _name(fn))


def check_zero_multiply_adds(fn):
    """fn(n, k, s, p): how many of the direct convolution's k*k*H_out*W_out multiply-adds take their
    input from an inserted or padded zero (one channel, n x n input, k x k kernel, dilation 1)."""
    cases = [
        (3, 4, 2, 1),
        (5, 3, 1, 0),
        (4, 3, 2, 0),
        (6, 4, 2, 1),
        (3, 3, 3, 2),
        (4, 2, 3, 2),
        (5, 5, 2, 3),
    ]

    def expected(n, k, s, p):
        # 1 where an input number sits, 0 where a zero was inserted
        spread = spread_zeros(torch.ones(1, 1, n, n), s)
        padded = F.pad(spread, [k - 1 - p] * 4)  # a negative pad crops
        inputs_read = F.conv2d(padded, torch.ones(1, 1, k, k))  # input numbers under each window
        return inputs_read.numel() * k * k - int(inputs_read.sum())

    return _run(fn, cases, expected)


# 07-transposed-convolution-in-real-networks.ipynb
def _call(fn, args, name):
    """fn(*args), or the Check that reports why it could not be called."""
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, Check("not attempted", f"{name} still raises NotImplementedError")
    except Exception as err:
        return None, Check(
            "incorrect", f"{name}{_describe(args)} raised {type(err).__name__}: {err}"
        )


def check_set_kernel(fn):
    """fn(layer, K): put K into the layer's weight when the shapes agree, and refuse any other shape
    (raise), leaving the layer as it was."""
    name, gen = _name(fn), torch.Generator().manual_seed(9)
    X = torch.rand(1, 1, 3, 3, generator=gen)
    layer = torch.nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, bias=False)
    K = torch.rand(1, 1, 3, 3, generator=gen)
    _, problem = _call(fn, (layer, K.clone()), name)
    if problem is not None:
        return problem
    want = F.conv_transpose2d(X, K, stride=2)
    with torch.no_grad():
        got = layer(X)
    if got.shape != want.shape or not torch.allclose(got, want):
        return Check("incorrect", f"after {name}(layer, K) the layer does not compute with K")
    for shape in [(1, 1, 2, 2), (1, 1, 1, 1), (3, 3)]:
        before = layer.weight.detach().clone()
        try:
            fn(layer, torch.rand(shape, generator=gen))
        except NotImplementedError:
            return Check("not attempted", f"{name} still raises NotImplementedError")
        except Exception:
            if not torch.equal(layer.weight.detach(), before):
                return Check(
                    "incorrect",
                    f"{name} raised for a kernel of shape {shape} but changed the weight first",
                )
            continue
        with torch.no_grad():
            out = tuple(layer(X).shape[-2:])
        return Check(
            "incorrect",
            f"{name} accepted a kernel of shape {shape} for a weight of shape (1, 1, 3, 3); "
            f"the layer, built with kernel_size=3, now returns {out} instead of (7, 7)",
        )
    return Check(
        "correct",
        f"{name} sets a (1, 1, 3, 3) kernel and refuses shapes (1, 1, 2, 2), (1, 1, 1, 1) "
        "and (3, 3)",
    )


def check_bilinear_upsampler(fn):
    """fn(C, s): a module that upsamples each of C channels bilinearly by s (as F.interpolate does
    away from a border s wide), without mixing the channels."""
    name, gen = _name(fn), torch.Generator().manual_seed(10)
    for C, s in [(1, 2), (3, 2), (2, 4)]:
        layer, problem = _call(fn, (C, s), name)
        if problem is not None:
            return problem
        X = torch.rand(1, C, 6, 6, generator=gen)
        try:
            with torch.no_grad():
                got = layer(X)
        except Exception as err:
            return Check(
                "incorrect", f"the module from {name}({C}, {s}) raised {type(err).__name__}: {err}"
            )
        want = F.interpolate(X, scale_factor=s, mode="bilinear", align_corners=False)
        if got.shape != want.shape:
            return Check(
                "incorrect",
                f"{name}({C}, {s}) returns shape {tuple(got.shape)} for an input of shape "
                f"{tuple(X.shape)}, expected {tuple(want.shape)}",
            )
        gap = (got - want)[..., s:-s, s:-s].abs().max().item()
        if not gap <= 1e-5:  # a NaN is never close
            one = torch.zeros_like(X)
            one[:, 0] = 1
            with torch.no_grad():
                leak = layer(one)[:, 1:].abs().max().item() if C > 1 else 0.0
            if leak > 1e-6:
                return Check(
                    "incorrect",
                    f"with {name}({C}, {s}) input channel 0 reaches the other output "
                    "channels: the channels are mixed",
                )
            return Check(
                "incorrect",
                f"with {name}({C}, {s}) the interior differs from F.interpolate by up to {gap:.3g}",
            )
    return Check(
        "correct",
        f"{name} upsamples each channel like F.interpolate(mode='bilinear') "
        "for (C, s) = (1, 2), (3, 2) and (2, 4)",
    )


def check_to_transposed(fn):
    """fn(conv): a ConvTranspose2d with conv's in and out channels, kernel size and stride, whose
    kernel for the pair (input channel i, output channel o) is conv.weight[o, i]."""
    name, gen = _name(fn), torch.Generator().manual_seed(11)
    for c_in, c_out, k, s in [(2, 3, 3, 2), (3, 3, 2, 1), (1, 2, 3, 3)]:
        conv = torch.nn.Conv2d(c_in, c_out, k, stride=s, bias=False)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen))
        up, problem = _call(fn, (conv,), name)
        if problem is not None:
            return problem
        X = torch.randn(1, c_in, 4, 4, generator=gen)
        want = F.conv_transpose2d(X, conv.weight.detach().transpose(0, 1), stride=s)
        if not isinstance(up, torch.nn.ConvTranspose2d):
            return Check(
                "incorrect", f"{name} returned {type(up).__name__}, expected a ConvTranspose2d"
            )
        if tuple(up.weight.shape) != (c_in, c_out, k, k):
            return Check(
                "incorrect",
                f"for Conv2d({c_in}, {c_out}, {k}) the weight has shape "
                f"{tuple(up.weight.shape)}, expected (C_in, C_out, kH, kW) = "
                f"{(c_in, c_out, k, k)}",
            )
        try:
            with torch.no_grad():
                got = up(X)
        except Exception as err:
            return Check("incorrect", f"the layer from {name} raised {type(err).__name__}: {err}")
        problem = _differs(got, want)
        if problem:
            return Check("incorrect", f"for Conv2d({c_in}, {c_out}, {k}, stride={s}): {problem}")
    return Check(
        "correct", f"{name} carries every kernel to its (input, output) pair in three layers"
    )


def check_trans_conv_with_bias(fn):
    """fn(X, K, b, stride, output_padding): F.conv_transpose2d of X (H, W) with K (kH, kW), the
    bias b (a number) and output_padding, padding 0, as an (H_out, W_out) tensor."""
    gen = torch.Generator().manual_seed(12)
    cases = [
        (_ints((2, 3), gen), _ints((3, 3), gen), b, s, op)
        for b, s, op in [(0.0, 2, 1), (1.5, 2, 1), (-2.0, 3, 2), (0.5, 2, 0), (1.0, 1, 0)]
    ]

    def expected(X, K, b, s, op):
        return F.conv_transpose2d(
            X[None, None], K[None, None], torch.tensor([b]), stride=s, output_padding=op
        )[0, 0]

    return _run(fn, cases, expected)


def check_up_to(fn):
    """fn(up, x, skip): up(x) at the skip's height and width, with the values the layer computes
    there."""
    name, gen = _name(fn), torch.Generator().manual_seed(13)
    cases = []
    for k, p, small, big in [(2, 0, 37, 75), (2, 0, 4, 8), (3, 1, 5, 10), (4, 1, 6, 13)]:
        up = torch.nn.ConvTranspose2d(2, 2, k, stride=2, padding=p)
        with torch.no_grad():
            up.weight.copy_(torch.randn(up.weight.shape, generator=gen))
        cases.append(
            (up, torch.randn(1, 2, small, small, generator=gen), torch.zeros(1, 3, big, big))
        )
    for up, x, skip in cases:
        got, problem = _call(fn, (up, x, skip), name)
        if problem is not None:
            return problem
        want = up(x, output_size=skip.shape[-2:])
        problem = _differs(got, want)
        if problem:
            return Check(
                "incorrect",
                f"{name}(ConvTranspose2d(k={up.kernel_size[0]}, s=2, p={up.padding[0]}), "
                f"x {tuple(x.shape)}, skip {tuple(skip.shape)}): {problem}",
            )
    return Check(
        "correct",
        f"{name} meets the skip's size with the layer's own values in all {len(cases)} cases",
    )


# 04-checkerboard-artifacts.ipynb, the sub-pixel view
def _even_sizes(s, largest):
    """The kernel sizes 1..largest whose stamps at stride s cover the interior evenly, counted by a
    transposed convolution of ones (not by the rule)."""
    sizes = []
    for k in range(1, largest + 1):
        counts = F.conv_transpose1d(torch.ones(1, 1, 4 * k), torch.ones(1, 1, k), stride=s)[0, 0]
        if len(set(counts[k:-k].tolist())) == 1:
            sizes.append(k)
    return sizes


def check_even_sizes(fn):
    """fn(s, largest): the list of kernel sizes from 1 to `largest` that overlap evenly at
    stride s."""
    cases = [(s, largest) for s in (2, 3, 4) for largest in (4, 9)]
    return _run(lambda s, n: [int(k) for k in fn(s, n)], cases, _even_sizes, _name(fn))


def check_trans_conv_by_phases(fn):
    """fn(x, k, s): the 1-D transposed convolution (padding 0) of x by k at stride s, computed
    phase by phase; compared with F.conv_transpose1d, kernels shorter than the stride included."""
    gen = torch.Generator().manual_seed(14)
    cases = [
        (_ints((n,), gen), _ints((k,), gen), s)
        for n, k, s in [
            (4, 3, 2),
            (5, 4, 2),
            (3, 5, 3),
            (4, 2, 3),
            (2, 1, 2),
            (6, 6, 3),
            (3, 7, 4),
            (1, 3, 2),
        ]
    ]

    def expected(x, k, s):
        return F.conv_transpose1d(x[None, None], k[None, None], stride=s)[0, 0]

    return _run(fn, cases, expected)


def check_flat_kernel(fn):
    """fn(): a 1-D kernel (a list or tensor) whose size is not a multiple of 3 and whose transposed
    convolution at stride 3 turns a constant input into a constant (non-zero) interior."""
    name = _name(fn)
    try:
        K = torch.as_tensor(fn(), dtype=torch.float64).flatten()
    except NotImplementedError:
        return Check("not attempted", f"{name} still raises NotImplementedError")
    except Exception as err:
        return Check("incorrect", f"{name}() did not return a kernel: {type(err).__name__}: {err}")
    k = K.numel()
    if not torch.isfinite(K).all():
        return Check("incorrect", f"{name}() holds NaN or infinite taps; expected real numbers")
    if k % 3 == 0:
        return Check(
            "incorrect", f"{name}() has {k} taps, a multiple of 3: that overlaps evenly already"
        )
    Y = F.conv_transpose1d(
        torch.ones(1, 1, 4 * k + 4, dtype=torch.float64), K[None, None], stride=3
    )[0, 0]
    inner = Y[k:-k]
    if inner.abs().max() < 1e-9:
        return Check(
            "incorrect", f"{name}() turns a constant into zeros: flat, but nothing passes through"
        )
    if inner.max() - inner.min() > 1e-6:
        return Check(
            "incorrect",
            f"{name}() turns a constant into values from {inner.min().item():g} to "
            f"{inner.max().item():g}, not one value",
        )
    return Check(
        "correct",
        f"{name}() has {k} taps and keeps a constant flat: {inner[0].item():g} everywhere "
        f"inside the border",
    )


# 05-upsampling-in-practice.ipynb
def check_upsample_by_three(fn):
    """fn(): (padding, output_padding) with which ConvTranspose2d(kernel_size=6, stride=3) turns
    every size i into exactly 3i."""
    name = _name(fn)
    try:
        p, op = fn()
    except NotImplementedError:
        return Check("not attempted", f"{name} still raises NotImplementedError")
    except Exception as err:
        return Check("incorrect", f"{name}() did not return a pair (padding, output_padding): "
                                  f"{type(err).__name__}: {err}")
    if _int(p) is None or _int(op) is None or _int(p) < 0 or _int(op) < 0:
        return Check("incorrect", f"{name}() returned {(p, op)!r}; expected two ints >= 0")
    p, op = _int(p), _int(op)
    if op >= 3:
        return Check(
            "incorrect", f"output_padding={op}: PyTorch refuses output_padding >= stride (3)"
        )
    for i in range(1, 9):
        if not _builds(i, 6, 3, p, op):
            return Check(
                "incorrect",
                f"padding={p}, output_padding={op} crops the whole output of size {i}, not {3 * i}",
            )
        layer = torch.nn.ConvTranspose2d(
            1, 1, 6, stride=3, padding=p, output_padding=op, bias=False
        )
        o = layer(torch.zeros(1, 1, i, i)).shape[-1]
        if o != 3 * i:
            return Check(
                "incorrect",
                f"padding={p}, output_padding={op} turns size {i} into {o}, not {3 * i}",
            )
    return Check("correct", f"padding={p}, output_padding={op} triples every size from 1 to 8")

