"""The exercise checkers: the solutions the notebooks show are "correct", a stub is "not attempted",
and each wrong answer is told what differs.

The reference solutions come from the notebooks themselves (the `reference_solutions` fixture in
conftest.py runs each exercise's Solution block), so what a learner reads is what is tested here.
"""
import json
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from helpers import exercises

ROOT = Path(__file__).resolve().parents[1]


# A wrong answer is written as a function of `ref`, the notebook's solution, and of the arguments
# the checker passes: most are the reference with one mistake in it.
def wrong_set_kernel_copy_only(ref, layer, K):
    with torch.no_grad():
        layer.weight.copy_(K)  # copy_ broadcasts a kernel of the wrong shape


def wrong_bilinear_every_pair(ref, C, s):
    layer = ref(C, s)
    with torch.no_grad():
        layer.weight.copy_(layer.weight[0, 0].expand_as(layer.weight))  # every (in, out) pair
    return layer


def wrong_to_transposed_no_swap(ref, conv):
    up = torch.nn.ConvTranspose2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                                  stride=conv.stride, bias=False)
    up.weight.data = conv.weight.data  # Conv2d's (out, in) layout, unswapped
    return up


def wrong_to_transposed_flipped(ref, conv):
    up = ref(conv)
    with torch.no_grad():
        up.weight.copy_(up.weight.flip(-2, -1))
    return up


def wrong_bias_then_zero_rows(ref, X, K, b, s, op):
    return F.pad(ref(X, K, b, s, 0), (0, op, 0, op))  # the extra rows left at zero


def wrong_up_to_zero_pad(ref, up, x, skip):
    y = up(x)
    dh, dw = skip.shape[-2] - y.shape[-2], skip.shape[-1] - y.shape[-1]
    return F.pad(y, (0, dw, 0, dh))


# checker name -> wrong answers, each with the words the checker must say about it
CHECKERS = {
    "check_trans_conv_stride": [
        (lambda ref, X, K, s: ref(X, K, 1), "returned shape"),
        (lambda ref, X, K, s: ref(X, K.T, s), "values differ by up to"),
        (lambda ref, X, K, s: X.foo, "raised AttributeError"),
    ],
    "check_trans_conv_channels": [
        (lambda ref, X, K: ref(X, K)[:1], "returned shape"),
        (lambda ref, X, K: ref(X, K).tolist(), "expected a tensor"),
        (lambda ref, X, K: ref(X, K.flip(0)), "values differ"),
    ],
    "check_recovering_output_padding": [
        (lambda ref, n, k, s, p: 0, "returned 0, expected 2"),
        (lambda ref, n, k, s, p: (n + 2 * p - k) % s + 1, "returned"),
    ],
    "check_kernel2matrix_1d": [
        (lambda ref, k, n: ref(k, n).T, "returned shape"),
        (lambda ref, k, n: ref(k.flip(0), n), "values differ"),
    ],
    "check_trans_conv_via_matrix": [
        (lambda ref, Y, K, shape, s, p: ref(Y, K.flip(0, 1), shape, s, p), "values differ"),
        (lambda ref, Y, K, shape, s, p: ref(Y, K, shape, 1, p), "raised"),
    ],
    "check_equivalent_conv": [
        (lambda ref, X, K, s, p, a, d: ref(X, K.flip(0, 1), s, p, a, d), "values differ"),
        (lambda ref, X, K, s, p, a, d: ref(X, K, s, p, a, 1), "returned shape"),
        (lambda ref, X, K, s, p, a, d: ref(X, K, s, p, 0, d), "returned shape"),
    ],
    "check_overlap_count": [
        (lambda ref, n, k, s: [1] * ((n - 1) * s + k), "values differ"),
        (lambda ref, n, k, s: [1] * (n * s), "returned shape"),
    ],
    "check_doubling": [
        (lambda ref: (3, 1), "not 2"),
        (lambda ref: (4, 0), "not 2"),
        (lambda ref: (4, "1"), "expected ints"),
    ],
    "check_bilinear_kernel": [
        (lambda ref, s: torch.ones(2 * s, 2 * s) / (s * s), "differs from F.interpolate"),
        (lambda ref, s: ref(s)[:-1], "expected a tensor of shape"),
    ],
    "check_round_trip_size": [
        (lambda ref, n, levels: n, "expected 2"),
        (lambda ref, n, levels: n + n % 2, "returned"),
    ],
    "check_matrix_entries": [
        (lambda ref, ci, co, n, k, s, p: ref(ci, co, n, k, s, p) // (ci * co), "returned"),
        (lambda ref, ci, co, n, k, s, p: co * ((n - 1) * s + k) ** 2 * ci * n * n,
         "expected"),  # forgets the crop
    ],
    "check_columns_shape": [
        (lambda ref, x, k, s: (x[0], k[1], x[2] * x[3]), "returned"),  # forgets the kernel's taps
        (lambda ref, x, k, s: (x[0], k[1] * k[2] * k[3], x[2] * x[3] * s * s), "expected"),
        (lambda ref, x, k, s: None, "raised TypeError"),
    ],
    "check_zero_multiply_adds": [
        (lambda ref, n, k, s, p: k * k * (((n - 1) * s - 2 * p + k) ** 2 - n * n),
         "expected"),  # forgets the crop
        (lambda ref, n, k, s, p: 0, "returned 0"),
    ],
    "check_set_kernel": [
        (lambda ref, layer, K: setattr(layer.weight, "data", K),
         "accepted a kernel of shape (1, 1, 2, 2)"),
        (wrong_set_kernel_copy_only, "accepted a kernel of shape (1, 1, 1, 1)"),
    ],
    "check_bilinear_upsampler": [
        (wrong_bilinear_every_pair, "the channels are mixed"),
        (lambda ref, C, s: torch.nn.ConvTranspose2d(C, C, 2 * s, stride=s), "returns shape"),
    ],
    "check_to_transposed": [
        (wrong_to_transposed_no_swap, "expected (C_in, C_out, kH, kW)"),
        (wrong_to_transposed_flipped, "values differ"),
    ],
    "check_trans_conv_with_bias": [
        (wrong_bias_then_zero_rows, "values differ"),
        (lambda ref, X, K, b, s, op: ref(X, K, b, s, 0), "returned shape"),
    ],
    "check_up_to": [
        (lambda ref, up, x, skip: up(x), "returned shape"),
        (wrong_up_to_zero_pad, "values differ"),
    ],
    "check_even_sizes": [
        (lambda ref, s, largest: [k for k in range(1, largest + 1) if k >= s], "returned"),
        (lambda ref, s, largest: [k for k in range(1, largest + 1) if s % k == 0], "returned"),
    ],
    "check_trans_conv_by_phases": [
        (lambda ref, x, k, s: ref(x, k.flip(0), s), "values differ"),
        (lambda ref, x, k, s: ref(x, k, s)[:len(x) * s], "returned shape"),
    ],
    "check_flat_kernel": [
        (lambda ref: [1, 1, 1], "a multiple of 3"),
        (lambda ref: [1, 1, 1, 1], "not one value"),
        (lambda ref: [1, 0, 0, -1], "turns a constant into zeros"),
        (lambda ref: "flat", "did not return a kernel"),
    ],
    "check_upsample_by_three": [
        (lambda ref: (1, 0), "not 3"),  # the rule p = s // 2 of even factors
        (lambda ref: (3, 3), "refuses output_padding"),
        (lambda ref: (2, "1"), "expected two ints"),
    ],
    "check_kernel_length": [
        (lambda ref, n, o: o - n, "returned"),
        (lambda ref, n, o: o - n + 1.5, "expected"),
    ],
    "check_transposed_input_size": [
        (lambda ref, o, k, s, p, op, d: (o - 1 + 2 * p - d * (k - 1)) // s + 1,
         "expected"),  # forgets output_padding
        (lambda ref, o, k, s, p, op, d: (o - 1 - d * (k - 1) - op) // s + 1,
         "returned"),  # forgets padding
    ],
}


def learners_function(wrong, ref):
    """The wrong answer as a learner writes it: a function of the checker's arguments only."""

    def answer(*args):
        return wrong(ref, *args)

    return answer


@pytest.mark.parametrize("name", CHECKERS)
def test_reference_solution_is_correct(name, reference_solutions):
    result = getattr(exercises, name)(reference_solutions[name])
    assert result.status == "correct", result
    assert bool(result)


@pytest.mark.parametrize("name", CHECKERS)
def test_stub_is_not_attempted(name):
    def stub(*args):
        raise NotImplementedError

    result = getattr(exercises, name)(stub)
    assert result.status == "not attempted" and not result
    assert repr(result).startswith("not attempted")


@pytest.mark.parametrize("name", CHECKERS)
def test_wrong_answers_say_what_differs(name, reference_solutions):
    for wrong, words in CHECKERS[name]:
        result = getattr(exercises, name)(learners_function(wrong, reference_solutions[name]))
        assert result.status == "incorrect" and words in result.message, result


def test_every_checker_is_exercised_here_and_used_by_a_notebook(reference_solutions):
    checkers = {n for n in dir(exercises) if n.startswith("check_")}
    assert checkers == set(CHECKERS) == set(reference_solutions)
    used = set()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for nb in notebooks:
        for cell in json.loads(nb.read_text())["cells"]:
            used |= set(re.findall(r"\b(check_\w+)\(", "".join(cell["source"])))
    assert checkers <= used, f"checkers no notebook calls: {checkers - used}"


def test_odd_answers_are_reported_not_raised(reference_solutions):
    def as_tensor(n, o):
        return torch.tensor([o - n + 1, 0])

    def as_complex(X, K, s):
        return reference_solutions["check_trans_conv_stride"](X, K, s).to(torch.complex64)

    assert "expected the number" in exercises.check_kernel_length(as_tensor).message
    assert exercises.check_kernel_length(lambda n, o: torch.tensor(o - n + 1)).status == "correct"
    result = exercises.check_trans_conv_stride(as_complex)
    assert result.status == "incorrect" and "complex numbers" in result.message


def _transformed(solution, change):
    """The reference solution with change(tensor or number) applied to what it returns (inside
    tuples and lists too), and a list that records whether anything was changed."""
    changed = []

    def apply(v):
        if isinstance(v, (tuple, list)):
            return type(v)(apply(x) for x in v)
        if isinstance(v, (torch.Tensor, int, float)) and not isinstance(v, bool):
            out = change(v)
            if out is not None:
                changed.append(True)
                return out
        return v

    return (lambda *args: apply(solution(*args))), changed


def _poison(value, bad):
    """value with its first number replaced by `bad` (a NaN or an inf)."""
    if isinstance(value, torch.Tensor):
        if value.numel() == 0 or value.is_complex():
            return None
        out = value.detach().double().clone()
        out.view(-1)[0] = bad
        return out
    return bad


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "complex"])
@pytest.mark.parametrize("name", CHECKERS)
def test_nan_inf_and_complex_answers_are_never_correct(name, bad, reference_solutions):
    if bad == "complex":
        def change(v):
            return v.detach().to(torch.complex128) if isinstance(v, torch.Tensor) else complex(v)
    else:
        def change(v):
            return _poison(v, bad)
    answer, changed = _transformed(reference_solutions[name], change)
    answer.__name__ = "answer"
    result = getattr(exercises, name)(answer)
    if changed:
        assert result.status == "incorrect", result
    else:  # the answer is a layer or None: nothing to poison
        assert result.status == "correct", result


def _numpy(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else None


def _integer_tensor(value):
    if isinstance(value, torch.Tensor) and torch.equal(value, value.round()):
        return value.detach().long()
    return None


@pytest.mark.parametrize("change", [_numpy, _integer_tensor])
@pytest.mark.parametrize("name", CHECKERS)
def test_numpy_arrays_and_integer_tensors_are_accepted(name, change, reference_solutions):
    answer, changed = _transformed(reference_solutions[name], change)
    answer.__name__ = "answer"
    assert getattr(exercises, name)(answer).status == "correct"


def test_errors_from_pytorch_are_the_answers_problem(reference_solutions):
    def huge(X, K, s):
        return torch.zeros(10**6, 10**6)  # asks for 4 TB

    def sparse(X, K, s):
        return reference_solutions["check_trans_conv_stride"](X, K, s).to_sparse()

    class Odd:
        def __eq__(self, other):
            raise RuntimeError("no comparison")

    def leaves(X, K, s):
        raise SystemExit

    result = exercises.check_trans_conv_stride(huge)
    assert result.status == "incorrect" and "raised RuntimeError" in result.message
    assert exercises.check_trans_conv_stride(sparse).status == "correct"
    result = exercises.check_kernel_length(lambda n, o: Odd())
    assert result.status == "incorrect" and "cannot be compared" in result.message
    assert "raised SystemExit" in exercises.check_trans_conv_stride(leaves).message
    result = exercises.check_kernel_length(lambda n, o: float("nan"))
    assert result.message.endswith("returned NaN, expected 1")


def test_the_kernel_interrupt_stops_an_endless_loop():
    """KeyboardInterrupt (the kernel's interrupt) is not swallowed, so it stops a checker."""
    def endless(X, K, s):
        raise KeyboardInterrupt  # what the interrupt raises inside `while True: pass`

    with pytest.raises(KeyboardInterrupt):
        exercises.check_trans_conv_stride(endless)
    assert "interrupt" in exercises.__doc__


def test_doubling_accepts_every_right_answer():
    for k, p in [(2, 0), (4, 1), (6, 2)]:
        assert exercises.check_doubling(lambda k=k, p=p: (k, p)).status == "correct"


def test_bilinear_upsampler_accepts_groups():
    """A second right answer, which the notebook does not show: one channel per group."""
    from helpers.upsampling import bilinear_kernel

    def bilinear_upsampler_grouped(C, s):
        layer = torch.nn.ConvTranspose2d(C, C, 2 * s, stride=s, padding=s // 2, groups=C,
                                         bias=False)
        with torch.no_grad():
            layer.weight.copy_(bilinear_kernel(s).expand(C, 1, 2 * s, 2 * s))
        return layer

    result = exercises.check_bilinear_upsampler(bilinear_upsampler_grouped)
    assert result.status == "correct", result
