"""Bad input is refused with a ValueError or TypeError that names the parameter and the rule it
broke; what cannot fit in memory or finish is refused before any work, with a MemoryError or a
ValueError that names the sizes."""

import random
import re

import pytest
import torch
import torch.nn.functional as F

import helpers
import helpers.matrix
from helpers import (
    conv_output_shape,
    corr2d,
    costs,
    trans_conv,
    trans_conv_output_shape,
    trans_conv_stamps,
)
from helpers.upsampling import METHODS, psnr, upsample

X2, K2 = torch.ones(3, 3), torch.ones(2, 2)
X3, K4 = torch.ones(2, 3, 3), torch.ones(2, 4, 2, 2)


def _huge(*shape):
    """A zero tensor of `shape` that takes no memory (every element is the same number)."""
    return torch.zeros(()).expand(*shape)


def assert_says(error, words):
    for w in words:
        assert w in str(error), f"{w!r} not in {str(error)!r}"


# Bad input to a transposed convolution: (args, kwargs, exception, words the message must contain).
# Every implementation (the `implementation` fixture) refuses it in the same words.
TRANS_CONV_REFUSALS = [
    ((torch.ones(3), K2), {}, ValueError,
     ["X must have shape (H, W), (C_in, H, W) or (N, C_in, H, W)", "(3,)"]),
    ((torch.ones(1, 1, 1, 3, 3), K4), {}, ValueError, ["X must have shape", "(1, 1, 1, 3, 3)"]),
    ((torch.ones(1, 1, 3, 3), K2), {}, ValueError,
     ["K must have shape (C_in, C_out, kH, kW) when X has shape (N, C_in, H, W)"]),
    ((X2, K4), {}, ValueError, ["K must have shape (kH, kW) when X has shape (H, W)"]),
    ((X3, K2), {}, ValueError, ["K must have shape (C_in, C_out, kH, kW)"]),
    ((torch.ones(0, 3), K2), {}, ValueError, ["X must not be empty", "(0, 3)"]),
    ((X2, torch.ones(2, 0)), {}, ValueError, ["K must not be empty", "(2, 0)"]),
    ((torch.ones(3, 2, 2), K4), {}, ValueError,
     ["K.shape[0] must equal the input channels", "K.shape[0]=2", "C_in=3"]),
    ((X2, K2), dict(stride=0), ValueError, ["stride must be a positive integer", "0"]),
    ((X2, K2), dict(stride=(2, -1)), ValueError, ["stride must be a positive integer", "(2, -1)"]),
    ((X2, K2), dict(stride=1.5), TypeError,
     ["stride must be an int or a pair (h, w) of ints", "1.5"]),
    ((X2, K2), dict(stride=True), TypeError, ["stride must be an int or a pair"]),
    ((X2, K2), dict(stride=(1, 2, 3)), TypeError, ["stride must be an int or a pair (h, w)"]),
    ((X2, K2), dict(dilation=0), ValueError, ["dilation must be a positive integer"]),
    ((X2, K2), dict(dilation="2"), TypeError, ["dilation must be an int or a pair"]),
    ((X2, K2), dict(padding=-1), ValueError, ["padding must be an integer >= 0", "-1"]),
    ((X2, K2), dict(output_padding=-1), ValueError, ["output_padding must be an integer >= 0"]),
    ((X2, K2), dict(output_padding=1), ValueError,
     ["output_padding must be smaller than the stride or the dilation",
      "output_padding=1, stride=1, dilation=1"]),
    ((X2, K2), dict(stride=2, output_padding=(0, 2)), ValueError,
     ["output_padding must be smaller than the stride or the dilation", "axis w",
      "output_padding=2, stride=2"]),
    ((X2, K2), dict(padding=2), ValueError,
     ["padding=2 crops the whole output height", "(i-1)*s - 2*p + d*(k-1) + output_padding + 1",
      "(3-1)*1 - 2*2 + 1*(2-1) + 0 + 1 = 0", "at least 1"]),
    ((X2, K2), dict(padding=(0, 3)), ValueError,
     ["padding=3 crops the whole output width", "= -2"]),
    (("not numbers", K2), {}, TypeError, ["X must be a tensor or an array-like of numbers", "str"]),
    ((X2, [[1, 2], [3]]), {}, TypeError, ["K must be a tensor or an array-like of numbers"]),
    ((X2, torch.ones(2, 2, dtype=torch.complex64)), {}, TypeError, ["K must hold real numbers"]),
    ((X3, K4), dict(groups=0), ValueError, ["groups must be a positive integer", "0"]),
    ((X3, K4), dict(groups=1.0), TypeError, ["groups must be a positive integer"]),
    ((torch.ones(3, 2, 2), torch.ones(3, 1, 2, 2)), dict(groups=2), ValueError,
     ["groups must divide the input channels", "C_in=3, groups=2"]),
    ((X2, K2), dict(groups=2), ValueError, ["groups needs channels", "(C_in, H, W)"]),
    ((X2, K2), dict(stride=10**6), MemoryError,
     ["the output Y (N, C_out, H_out, W_out) = (1, 1, 2000002, 2000002)", "TiB",
      "half of this machine"]),
]


@pytest.mark.parametrize("args, kwargs, exc, words", TRANS_CONV_REFUSALS,
                         ids=[words[0] for *_, words in TRANS_CONV_REFUSALS])
def test_bad_input_is_refused_in_words(implementation, args, kwargs, exc, words):
    with pytest.raises(exc) as info:
        implementation(*args, **kwargs)
    assert_says(info.value, words)


# The other helpers: (function, args, kwargs, exception, words the message must contain).
REFUSALS = [
    (corr2d, (X2, torch.ones(4, 2)), {}, ValueError, ["K must fit inside X", "(4, 2)", "(3, 3)"]),
    (corr2d, (X3, K2), {}, ValueError, ["X must have shape (H, W)", "(2, 3, 3)"]),
    (corr2d, (X2, torch.ones(0, 1)), {}, ValueError, ["K must not be empty"]),
    (trans_conv_stamps, (X3, K2), {}, ValueError, ["X must have shape (H, W)"]),
    (trans_conv_output_shape, (0, 3), {}, ValueError, ["input_size must be a positive integer"]),
    (trans_conv_output_shape, ((3, 3), (3, 0)), {}, ValueError,
     ["kernel_size must be a positive integer"]),
    (trans_conv_output_shape, (3, 3), dict(stride=2, dilation=2, output_padding=2), ValueError,
     ["output_padding must be smaller than the stride or the dilation"]),
    (conv_output_shape, (2, 3), {}, ValueError,
     ["input_size is smaller than the dilated kernel on the height", "i + 2*p = 2 + 2*0 = 2",
      "d*(k-1) + 1 = 1*(3-1) + 1 = 3"]),
    (conv_output_shape, (4, 2), dict(dilation=4), ValueError,
     ["dilated kernel", "4*(2-1) + 1 = 5", "= 4 + 2*0 = 4"]),
    (conv_output_shape, (5, 2), dict(padding=-2), ValueError, ["padding must be an integer >= 0"]),
    # what cannot fit or finish is refused before any work, naming the sizes and what would fit
    (trans_conv, (_huge(2000, 2000), K2), {}, ValueError,
     ["the loop over C_in*H*W = 1*2000*2000 = 4000000 steps",
      "trans_conv_fold or F.conv_transpose2d"]),
    (corr2d, (_huge(20000, 20000), K2), {}, ValueError,
     ["(H-h+1)*(W-w+1) = 19999*19999", "F.conv2d(X[None, None], K[None, None])[0, 0]"]),
    (helpers.kernel2matrix, (K2, (4096, 4096)), {}, MemoryError,
     ["the dense W (H_out*W_out, H_in*W_in) = (16769025, 16777216)", "sparse=True"]),
    (helpers.matrix.kernel2matrix_loop, (K2, (4096, 4096)), {}, MemoryError, ["the dense W"]),
    (helpers.trans_conv_matrix, (K2, (2048, 2048)), {}, MemoryError,
     ["the dense W^T", "sparse=True"]),
    (helpers.trans_conv_via_matrix, (_huge(2048, 2048), K2), dict(sparse=False), MemoryError,
     ["the dense W^T"]),
    (trans_conv_stamps, (_huge(300, 300), K2), dict(stride=3), MemoryError,
     ["the stamps (H*W, H_out, W_out) = (90000, 899, 899)"]),
    # the smaller helpers check their arguments like the core ones
    (helpers.interior, (torch.ones(5, 5), -1), {}, ValueError,
     ["margin must be an integer >= 0", "-1"]),
    (helpers.interior, (torch.ones(5, 5), 1.5), {}, TypeError, ["margin must be an integer >= 0"]),
    (helpers.interior, (torch.ones(2, 5, 5), 1), {}, ValueError, ["Y must be a 2-D tensor (H, W)"]),
    (psnr, (torch.ones(4, 4), torch.ones(4, 1)), {}, ValueError,
     ["a and b must have the same shape", "(4, 4) and (4, 1)"]),
    (psnr, (torch.ones(4, 4), torch.ones(4, 4)), dict(peak=0), ValueError,
     ["peak must be positive"]),
    (psnr, (torch.ones(0), torch.ones(0)), {}, ValueError, ["a must not be empty"]),
    (upsample, (torch.ones(0, 3), METHODS[0], 2), {}, ValueError,
     ["x must not be empty", "(0, 3)"]),
    (costs.growth_exponent, ([1, 2], [1, float("nan")]), {}, TypeError,
     ["values must hold finite"]),
    (costs.growth_exponent, (3, [1, 2]), {}, TypeError, ["sizes must be a list"]),
    (costs.growth_exponent, ([1, 2], ["1", "2"]), {}, TypeError,
     ["values must hold finite real numbers"]),
    (helpers.conv_input_sizes, (3, 3, 2), dict(padding=(1, 2)), TypeError,
     ["padding must be an integer >= 0", "(1, 2)"]),
    (helpers.conv_input_sizes, (3, 3, 2), dict(padding=-1), ValueError,
     ["padding must be an integer >= 0"]),
    (helpers.kernel2matrix, (K2, (3, 3)), dict(sparse="yes"), TypeError,
     ["sparse must be one of True, False", "'yes'"]),
    (helpers.trans_conv_matrix, (K2, (3, 3)), dict(sparse=1), TypeError,
     ["sparse must be one of True, False"]),
    (helpers.trans_conv_matrix, (K2, (3, 3)), dict(groups=2), ValueError,
     ["groups needs channels: input_shape must have shape"]),
]


@pytest.mark.parametrize("function, args, kwargs, exc, words", REFUSALS,
                         ids=[f"{f.__name__}: {words[0]}" for f, *_, words in REFUSALS])
def test_helpers_refuse_bad_input_in_words(function, args, kwargs, exc, words):
    with pytest.raises(exc) as info:
        function(*args, **kwargs)
    assert_says(info.value, words)


def test_output_padding_below_dilation_is_allowed():
    # PyTorch's rule is "smaller than the stride OR the dilation"
    assert trans_conv(X2, K2, dilation=2, output_padding=1).shape == (6, 6)


BAD_VALUES = [0, -1, -3, 1.5, float("nan"), True, None, "2", (1,), (1, 2, 3), (0, 1), (1, -1),
              [2.0, 1], object()]


@pytest.mark.parametrize("seed", range(200))
def test_random_bad_arguments_never_leak_torch_errors(seed, implementation):
    """Random mixtures of good and bad arguments: the call succeeds and agrees with
    F.conv_transpose2d, or says which parameter is wrong."""
    r = random.Random(seed)
    kwargs = {}
    for name, good in [
        ("stride", [1, 2, (1, 3)]),
        ("padding", [0, 1, (2, 0)]),
        ("output_padding", [0, 1, (1, 0)]),
        ("dilation", [1, 2, (2, 1)]),
    ]:
        kwargs[name] = r.choice(BAD_VALUES) if r.random() < 0.3 else r.choice(good)
    shapes = [(r.randint(0, 3), r.randint(1, 3)), (r.randint(1, 3),) * r.choice([1, 2, 3])]
    if r.random() < 0.3:
        X = torch.ones(*r.choice(shapes))
    else:
        X = torch.ones(r.randint(1, 4), r.randint(1, 4))
    K = torch.ones(r.randint(1, 3), r.randint(1, 3)) if r.random() < 0.8 else torch.ones(1, 1, 2, 2)
    try:
        Y = implementation(X, K, **kwargs)
    except (ValueError, TypeError) as err:
        assert any(n in str(err) for n in ["X", "K", *kwargs]), str(err)
    else:
        expected = F.conv_transpose2d(X[None, None], K[None, None], **kwargs)[0, 0]
        torch.testing.assert_close(Y, expected)


@pytest.mark.parametrize(
    "kwargs", [dict(groups=2), dict(padding=5), dict(stride=0), dict(sparse=None)]
)
def test_trans_conv_matrix_names_only_what_its_caller_passed(kwargs):
    with pytest.raises((ValueError, TypeError)) as info:
        helpers.trans_conv_matrix(K2, (3, 3), **kwargs)
    assert not re.search(r"\bX\b", str(info.value)), str(info.value)


def test_loops_refuse_more_steps_than_the_limit(monkeypatch):
    monkeypatch.setattr(helpers._checks, "LOOP_LIMIT", 100)
    assert trans_conv(torch.ones(10, 10), K2).shape == (11, 11)  # 100 steps
    with pytest.raises(ValueError, match=r"C_in\*H\*W = 1\*10\*11 = 110 steps"):
        trans_conv(torch.ones(10, 11), K2)
    with pytest.raises(
        ValueError, match=r"H_out\*W_out\*h\*w = 9\*9\*2\*2 = 324 steps.*Use kernel2matrix"
    ):
        helpers.matrix.kernel2matrix_loop(K2, (10, 10))
    assert corr2d(torch.ones(11, 11), K2).shape == (10, 10)
    with pytest.raises(ValueError, match="F.conv2d"):
        corr2d(torch.ones(12, 11), K2)
