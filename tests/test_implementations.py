"""helpers.implementations: every way of computing the transposed convolution agrees with
F.conv_transpose2d, in every layout (2-D, channels, batch). That they refuse bad input as trans_conv
does is tested in test_errors.py, with the same `implementation` fixture (conftest.py)."""
import random

import pytest
import torch
import torch.nn.functional as F

import helpers
from helpers import (
    implementations,
    kernel2matrix,
    recovering_output_padding,
    trans_conv_matrix,
)


@pytest.fixture
def random_case(random_trans_conv_config):
    """A function (seed, layout) -> X, K and the keyword arguments of one random configuration;
    layout is "2d" (X is (H, W)), "channels" (C_in, H, W) or "batch" (N, C_in, H, W)."""

    def case(seed, layout):
        r = random.Random(f"{layout}-{seed}")
        cfg = random_trans_conv_config(r)
        g = torch.Generator().manual_seed(seed)
        i, k = cfg.pop("i"), cfg.pop("k")
        if layout == "2d":
            return torch.randn(i, generator=g), torch.randn(k, generator=g), cfg
        groups = r.randint(1, 3)
        c_in, c_group = groups * r.randint(1, 2), r.randint(1, 3)
        batch = (r.randint(1, 4),) if layout == "batch" else ()
        X = torch.randn((*batch, c_in, *i), generator=g)
        return X, torch.randn((c_in, c_group, *k), generator=g), dict(cfg, groups=groups)

    return case


def expected(X, K, cfg):
    """F.conv_transpose2d in the layout of X."""
    leading = 4 - X.ndim
    Xb, Kb = X[(None,) * leading], (K[None, None] if K.ndim == 2 else K)
    return F.conv_transpose2d(Xb, Kb, **cfg)[(0,) * leading]


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("layout", ["2d", "channels", "batch"])
def test_matches_conv_transpose2d(layout, seed, implementation, random_case):
    X, K, cfg = random_case(seed, layout)
    want = expected(X, K, cfg)
    got = implementation(X, K, **cfg)
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_float64_and_integer_inputs(implementation):
    X = torch.arange(12, dtype=torch.float64).reshape(1, 3, 4)
    K = torch.ones(1, 2, 3, 3, dtype=torch.float64)
    Y = implementation(X, K, stride=2, padding=1, output_padding=1)
    assert Y.dtype == torch.float64
    want = F.conv_transpose2d(X[None], K, stride=2, padding=1, output_padding=1)[0]
    torch.testing.assert_close(Y, want)
    small = implementation([[0, 1], [2, 3]], [[0, 1], [2, 3]], stride=2)  # lists, as in notebook 01
    assert small.dtype == torch.get_default_dtype()
    assert small.tolist() == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]


def test_sparse_must_be_a_choice():
    with pytest.raises(TypeError, match="sparse must be True, False or None"):
        helpers.trans_conv_via_matrix(torch.ones(2, 2), torch.ones(2, 2), sparse="yes")


def test_via_matrix_goes_sparse_only_when_the_matrix_is_large(monkeypatch):
    built = []
    real = implementations._matrix
    monkeypatch.setattr(implementations, "_matrix",
                        lambda args, sparse: built.append(sparse) or real(args, sparse))
    X, K = torch.ones(2, 8, 8), torch.ones(2, 3, 3, 3)
    entries = 3 * 10 * 10 * 2 * 8 * 8  # C_out*H_out*W_out by C_in*H*W
    monkeypatch.setattr(implementations, "DENSE_LIMIT", entries)
    small = helpers.trans_conv_via_matrix(X, K)
    monkeypatch.setattr(implementations, "DENSE_LIMIT", entries - 1)
    large = helpers.trans_conv_via_matrix(X, K)
    assert built == [False, True]
    torch.testing.assert_close(small, large)


def test_fold_makes_one_product_and_one_fold(monkeypatch):
    """No Python loop over positions or samples: one F.fold call for a whole batch."""
    folds = []
    real = F.fold
    monkeypatch.setattr(F, "fold", lambda *a, **k: folds.append(a[0].shape) or real(*a, **k))
    X, K = torch.randn(5, 4, 6, 7), torch.randn(4, 3, 4, 4)
    helpers.trans_conv_fold(X, K, stride=2, padding=1)
    assert folds == [(5, 3 * 4 * 4, 6 * 7)]  # the columns: C_out*kH*kW numbers per input position


def test_via_conv_is_one_direct_convolution(monkeypatch):
    calls = []
    real = F.conv2d
    monkeypatch.setattr(F, "conv2d",
                        lambda *a, **k: calls.append((a[0].shape, k)) or real(*a, **k))
    X, K = torch.randn(2, 3, 4, 5), torch.randn(3, 2, 3, 3)
    helpers.trans_conv_via_conv(X, K, stride=2, padding=1, output_padding=1)
    # spread: (4-1)*2+1 = 7 rows, padded by d*(k-1)-p = 1 on each side, plus output_padding 1
    assert calls == [((2, 3, 7 + 3, 9 + 3), {"dilation": (1, 1), "groups": 1})]


@pytest.mark.parametrize("seed", range(40))
def test_trans_conv_matrix_is_the_transpose_of_kernel2matrix(seed):
    r = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    K = torch.randint(-3, 4, (r.randint(1, 3), r.randint(1, 3)), generator=g).float()
    out = (r.randint(3, 8), r.randint(3, 8))  # the transposed convolution's output, conv's input
    s, p = (r.randint(1, 3), r.randint(1, 3)), (r.randint(0, 1), r.randint(0, 1))
    W = kernel2matrix(K, out, stride=s, padding=p)
    op = recovering_output_padding(out, K.shape, s, p)
    in_shape = helpers.conv_output_shape(out, K.shape, s, p)
    T = trans_conv_matrix(K, in_shape, stride=s, padding=p, output_padding=op)
    assert torch.equal(T, W.T)
    S = trans_conv_matrix(K, in_shape, stride=s, padding=p, output_padding=op, sparse=True)
    assert torch.equal(S.to_dense(), T)


def test_trans_conv_matrix_with_channels_and_groups():
    g = torch.Generator().manual_seed(0)
    X, K = torch.randn(4, 3, 5, generator=g), torch.randn(4, 3, 2, 3, generator=g)
    T = trans_conv_matrix(K, (3, 5), stride=2, groups=2)
    Y = F.conv_transpose2d(X[None], K, stride=2, groups=2)[0]
    assert T.shape == (Y.numel(), X.numel())
    torch.testing.assert_close(T @ X.reshape(-1), Y.reshape(-1))
    # with two groups, half of the channel blocks are zero
    blocks = T.reshape(6, -1, 4, 15)
    assert blocks[:3, :, 2:].abs().sum() == 0 and blocks[3:, :, :2].abs().sum() == 0
    with pytest.raises(TypeError, match="input_shape must be two positive ints"):
        trans_conv_matrix(K, 5)
    for bad, exc, words in [((3, 0), ValueError, "input_shape must be a positive integer"),
                            ((3, 2.5), TypeError, "input_shape must be an int or a pair"),
                            ("ab", TypeError, "input_shape must be two positive ints")]:
        with pytest.raises(exc, match=words):
            trans_conv_matrix(K, bad)
    with pytest.raises(TypeError, match="K must be a tensor or an array-like of numbers"):
        trans_conv_matrix("kernel", (3, 3))
    with pytest.raises(ValueError, match="K must have shape"):
        trans_conv_matrix(torch.ones(2, 2, 2), (3, 3))


def test_public_api():
    for name in ["trans_conv_via_conv", "trans_conv_via_matrix", "trans_conv_fold",
                 "trans_conv_matrix", "trans_conv_subpixel"]:
        assert callable(getattr(helpers, name)) and name in helpers.__all__


@pytest.mark.parametrize("seed", range(60, 200))
@pytest.mark.parametrize("layout", ["2d", "channels", "batch"])
def test_subpixel_matches_conv_transpose2d_on_more_configurations(layout, seed, random_case):
    """With the 180 cases of test_matches_conv_transpose2d: 600 random configurations in all."""
    X, K, cfg = random_case(seed, layout)
    got = helpers.trans_conv_subpixel(X, K, **cfg)
    torch.testing.assert_close(got, expected(X, K, cfg), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(40))
def test_subpixel_with_kernels_smaller_than_the_stride(seed):
    """Strides up to 5 and kernels up to 2 wide: some phases have no tap at all and stay zero."""
    r = random.Random(f"empty-{seed}")
    g = torch.Generator().manual_seed(seed)
    s, k = (r.randint(2, 5), r.randint(2, 5)), (r.randint(1, 2), r.randint(1, 2))
    op = (r.randint(0, s[0] - 1), r.randint(0, s[1] - 1))
    X, K = torch.randn(r.randint(1, 3), 2, 4, 3, generator=g), torch.randn(2, 3, *k, generator=g)
    cfg = {"stride": s, "padding": (r.randint(0, 1), 0), "output_padding": op}
    got = helpers.trans_conv_subpixel(X, K, **cfg)
    torch.testing.assert_close(got, F.conv_transpose2d(X, K, **cfg))


def test_subpixel_is_one_stride_1_convolution_of_the_small_input(monkeypatch):
    calls = []
    real = F.conv2d
    monkeypatch.setattr(F, "conv2d",
                        lambda *a, **k: calls.append((a[0].shape, a[1].shape, k)) or real(*a, **k))
    X, K = torch.randn(2, 4, 5, 6), torch.randn(4, 3, 4, 3)
    helpers.trans_conv_subpixel(X, K, stride=(2, 3), padding=1, groups=2)
    # no zeros inserted: the input keeps its 5x6; 2*3 phases of 2*3 output channels, 2x1 taps each
    assert calls == [((2, 4, 5, 6), (2 * 3 * 6, 2, 2, 1), {"padding": (1, 0), "groups": 2})]


def test_subpixel_weight_holds_the_flipped_sub_kernels():
    K = torch.arange(1.0, 1 + 5 * 4).reshape(1, 1, 5, 4)
    weight, taps = implementations.subpixel_weight(K, (2, 2))
    assert taps == (3, 2)
    for rh in range(2):
        for rw in range(2):
            sub = K[0, 0, rh::2, rw::2]  # the taps of phase (rh, rw)
            padded = F.pad(sub, (0, 2 - sub.shape[1], 0, 3 - sub.shape[0]))
            assert torch.equal(weight[rh * 2 + rw, 0], padded.flip(0, 1))


def test_subpixel_passes_gradients_like_the_operator():
    g = torch.Generator().manual_seed(0)
    X, K = torch.randn(2, 2, 4, 5, generator=g), torch.randn(2, 3, 3, 4, generator=g)
    grads = []
    for f in (helpers.trans_conv_subpixel, lambda X, K, **c: F.conv_transpose2d(X, K, **c)):
        Xg, Kg = X.clone().requires_grad_(), K.clone().requires_grad_()
        f(Xg, Kg, stride=2, padding=1, output_padding=1).square().sum().backward()
        grads.append((Xg.grad, Kg.grad))
    torch.testing.assert_close(grads[0], grads[1])


def test_subpixel_weight_then_pixel_shuffle_is_the_transposed_convolution():
    # several output channels and groups: the weight's channels must be in PixelShuffle's order
    g = torch.Generator().manual_seed(1)
    cases = [(3, 2, 1, 2, 3, 0), (4, 3, 2, 2, 4, 1), (2, 2, 2, 3, 5, 2)]
    for c_in, c_group, groups, s, k, p in cases:
        X = torch.randn(2, c_in, 5, 4, generator=g)
        K = torch.randn(c_in, c_group, k, k, generator=g)
        weight, (q, _) = implementations.subpixel_weight(K, (s, s), groups=groups)
        shuffled = torch.nn.PixelShuffle(s)(F.conv2d(X, weight, padding=q - 1, groups=groups))
        Y = F.conv_transpose2d(X, K, stride=s, padding=p, groups=groups)
        H, W = Y.shape[-2:]
        torch.testing.assert_close(shuffled[..., p:p + H, p:p + W], Y)
