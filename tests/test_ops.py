"""helpers.ops and helpers.shapes against torch.nn.functional over many random configurations."""

import random

import pytest
import torch
import torch.nn.functional as F

import helpers
from helpers import (
    conv_output_shape,
    corr2d,
    costs,
    trans_conv,
    trans_conv_output_shape,
    trans_conv_stamps,
)
from helpers.ops import spread_zeros


@pytest.mark.parametrize("seed", range(300))
def test_trans_conv_matches_torch_2d(seed, random_trans_conv_config):
    r = random.Random(seed)
    cfg = random_trans_conv_config(r)
    g = torch.Generator().manual_seed(seed)
    X, K = torch.randn(cfg.pop("i"), generator=g), torch.randn(cfg.pop("k"), generator=g)
    expected = F.conv_transpose2d(X[None, None], K[None, None], **cfg)[0, 0]
    got = trans_conv(X, K, **cfg)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(150))
def test_trans_conv_matches_torch_multichannel(seed, random_trans_conv_config):
    r = random.Random(1000 + seed)
    cfg = random_trans_conv_config(r)
    c_in, c_out = r.randint(1, 4), r.randint(1, 4)
    g = torch.Generator().manual_seed(seed)
    X = torch.randn((c_in, *cfg.pop("i")), generator=g)
    K = torch.randn((c_in, c_out, *cfg.pop("k")), generator=g)
    expected = F.conv_transpose2d(X[None], K, **cfg)[0]
    got = trans_conv(X, K, **cfg)
    assert got.shape == (c_out, *expected.shape[1:])
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(300))
def test_trans_conv_output_shape_matches_torch(seed, random_trans_conv_config):
    cfg = random_trans_conv_config(random.Random(5000 + seed))
    i, k = cfg.pop("i"), cfg.pop("k")
    y = F.conv_transpose2d(torch.zeros(1, 1, *i), torch.zeros(1, 1, *k), **cfg)
    assert trans_conv_output_shape(i, k, **cfg) == tuple(y.shape[-2:])


@pytest.mark.parametrize("seed", range(100))
def test_trans_conv_output_shape_refuses_what_torch_refuses(seed):
    """Paddings drawn up to 4, whatever the output: an empty output is refused by both."""
    r = random.Random(3000 + seed)
    i, k = (r.randint(1, 3), r.randint(1, 3)), (r.randint(1, 3), r.randint(1, 3))
    s, d = (r.randint(1, 3), r.randint(1, 3)), (r.randint(1, 2), r.randint(1, 2))
    cfg = dict(stride=s, padding=(r.randint(0, 4), r.randint(0, 4)), dilation=d,
               output_padding=tuple(r.randint(0, max(sa, da) - 1) for sa, da in zip(s, d)))
    try:
        y = F.conv_transpose2d(torch.zeros(1, 1, *i), torch.zeros(1, 1, *k), **cfg)
    except RuntimeError as err:
        assert "Output size is too small" in str(err)
        with pytest.raises(ValueError, match="crops the whole output"):
            trans_conv_output_shape(i, k, **cfg)
    else:
        assert trans_conv_output_shape(i, k, **cfg) == tuple(y.shape[-2:])


@pytest.mark.parametrize("seed", range(300))
def test_conv_output_shape_matches_torch(seed):
    """Configurations are drawn until F.conv2d accepts one; each it refuses on the way (an input
    smaller than the dilated kernel) conv_output_shape refuses too."""
    r = random.Random(9000 + seed)
    while True:
        i, k = (r.randint(1, 12), r.randint(1, 12)), (r.randint(1, 4), r.randint(1, 4))
        s, p, d = (
            (r.randint(1, 3), r.randint(1, 3)),
            (r.randint(0, 2), r.randint(0, 2)),
            (r.randint(1, 3), r.randint(1, 3)),
        )
        try:
            y = F.conv2d(torch.zeros(1, 1, *i), torch.zeros(1, 1, *k), stride=s, padding=p,
                         dilation=d)
            break
        except RuntimeError as err:
            assert "Kernel size can't be greater than actual input size" in str(err)
            with pytest.raises(ValueError, match="input_size is smaller than the dilated kernel"):
                conv_output_shape(i, k, s, p, d)
    assert conv_output_shape(i, k, s, p, d) == tuple(y.shape[-2:])


@pytest.mark.parametrize("seed", range(100))
def test_corr2d_matches_conv2d(seed):
    r = random.Random(seed)
    kh, kw = r.randint(1, 4), r.randint(1, 4)
    g = torch.Generator().manual_seed(seed)
    X, K = (
        torch.randn(kh + r.randint(0, 5), kw + r.randint(0, 5), generator=g),
        torch.randn(kh, kw, generator=g),
    )
    torch.testing.assert_close(
        corr2d(X, K), F.conv2d(X[None, None], K[None, None])[0, 0], rtol=1e-5, atol=1e-5
    )


def test_corr2d_equals_d2l():
    from d2l import torch as d2l

    g = torch.Generator().manual_seed(0)
    for h, w, kh, kw in [(3, 3, 2, 2), (5, 4, 3, 2), (4, 6, 1, 3), (2, 2, 2, 2)]:
        X, K = (
            torch.randint(-5, 6, (h, w), generator=g).float(),
            torch.randint(-5, 6, (kh, kw), generator=g).float(),
        )
        assert torch.equal(corr2d(X, K), d2l.corr2d(X, K))


def test_the_examples_of_notebook_01():
    """The numbers notebook 01 prints: the 5x5 grid of 0 to 24 with a 3x3 kernel of ones, and
    d2l's [[0, 1], [2, 3]] as input and kernel."""
    X = torch.linspace(0, 24, steps=25).reshape(5, 5)
    Y = trans_conv(X, torch.ones(3, 3))
    assert Y.shape == (7, 7) and Y[3, 3] == 108 and Y[0].tolist() == [0, 1, 3, 6, 9, 7, 4]
    assert trans_conv(X, torch.ones(3, 3), stride=2).shape == (11, 11)
    small = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert trans_conv(small, small).tolist() == [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    assert trans_conv(small, small, padding=1).tolist() == [[4]]
    assert corr2d(torch.arange(9.0).reshape(3, 3), [[1, 2], [3, 4]]).tolist() == [
        [27, 37],
        [57, 67],
    ]


def test_array_likes_and_integers_are_computed_in_floating_point():
    Y = trans_conv([[0, 1], [2, 3]], torch.tensor([[0, 1], [2, 3]]), stride=2)
    assert Y.dtype == torch.get_default_dtype()
    assert Y.tolist() == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]
    assert (
        trans_conv(torch.ones(2, 2, dtype=torch.float64), torch.ones(1, 1)).dtype == torch.float64
    )
    assert corr2d([[1, 2], [3, 4]], [[1]]).dtype == torch.get_default_dtype()


def test_inputs_are_not_modified():
    X, K = torch.ones(2, 2), torch.ones(2, 2)
    trans_conv(X, K, stride=2)
    assert torch.equal(X, torch.ones(2, 2)) and torch.equal(K, torch.ones(2, 2))


@pytest.mark.parametrize("name", costs.IMPLEMENTATIONS)
@pytest.mark.parametrize("layout", ["2d", "groups"])
def test_gradients_flow_as_through_conv_transpose2d(name, layout):
    """trans_conv(X, K).sum().backward() gives X and K the gradients F.conv_transpose2d gives
    them."""
    g = torch.Generator().manual_seed(0)
    if layout == "2d":
        X, K = torch.randn(3, 4, generator=g), torch.randn(2, 3, generator=g)
        cfg = dict(stride=2, padding=1, output_padding=(1, 0), dilation=(1, 2))
    else:
        X, K = torch.randn(2, 4, 3, 5, generator=g), torch.randn(4, 3, 2, 3, generator=g)
        cfg = dict(stride=(2, 3), padding=1, groups=2)

    def batch(X, K):  # in F.conv_transpose2d's layout
        return (X[None, None], K[None, None]) if layout == "2d" else (X, K)

    X, K = X.double().requires_grad_(), K.double().requires_grad_()
    Xt, Kt = X.detach().clone().requires_grad_(), K.detach().clone().requires_grad_()
    weights = torch.randn(F.conv_transpose2d(*batch(Xt, Kt), **cfg).shape, generator=g).double()
    (costs.IMPLEMENTATIONS[name](X, K, **cfg).reshape(weights.shape) * weights).sum().backward()
    (F.conv_transpose2d(*batch(Xt, Kt), **cfg) * weights).sum().backward()
    torch.testing.assert_close(X.grad, Xt.grad)
    torch.testing.assert_close(K.grad, Kt.grad)


def test_gradients_flow_through_corr2d_stamps_and_kernel2matrix():
    g = torch.Generator().manual_seed(1)
    X, K = (
        torch.randn(5, 4, generator=g, requires_grad=True),
        torch.randn(2, 3, generator=g, requires_grad=True),
    )
    corr2d(X, K).sum().backward()
    want_X, want_K = torch.autograd.grad(F.conv2d(X[None, None], K[None, None]).sum(), (X, K))
    torch.testing.assert_close((X.grad, K.grad), (want_X, want_K))
    K.grad = None
    trans_conv_stamps(X, K, 2).sum().backward()
    torch.testing.assert_close(K.grad, torch.full_like(K, float(X.detach().sum())))
    for sparse in (False, True):
        K.grad = None
        W = helpers.kernel2matrix(K, (5, 4), stride=1, sparse=sparse)
        (W.to_dense() if sparse else W).sum().backward()
        # every tap appears once in each row of W (each output cell reads the whole kernel here)
        torch.testing.assert_close(K.grad, torch.full_like(K, float(W.shape[0])))


@pytest.mark.parametrize("seed", range(40))
def test_stamps_sum_to_trans_conv(seed):
    r = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(-3, 4, (r.randint(1, 4), r.randint(1, 4)), generator=g)
    K = torch.randint(-3, 4, (r.randint(1, 3), r.randint(1, 3)), generator=g)
    s = (r.randint(1, 3), r.randint(1, 3))
    stamps = trans_conv_stamps(X, K, s)
    assert stamps.shape[0] == X.numel()
    torch.testing.assert_close(stamps.sum(0), trans_conv(X, K, stride=s))
    # each stamp is non-zero only inside its own window
    i, j = divmod(r.randrange(X.numel()), X.shape[1])
    window = stamps[
        i * X.shape[1] + j, i * s[0] : i * s[0] + K.shape[0], j * s[1] : j * s[1] + K.shape[1]
    ]
    torch.testing.assert_close(window, X[i, j] * K.float())
    assert stamps[i * X.shape[1] + j].abs().sum() == window.abs().sum()


@pytest.mark.parametrize("seed", range(20))
def test_spread_zeros_is_a_stride_s_transposed_convolution_with_a_single_one(seed):
    """Spreading X by s is what F.conv_transpose2d does with the 1x1 kernel [[1]] at stride s."""
    r = random.Random(seed)
    g = torch.Generator().manual_seed(seed)
    n, c = r.randint(1, 2), r.randint(1, 3)
    X = torch.randn(n, c, r.randint(1, 5), r.randint(1, 5), generator=g)
    s = (r.randint(1, 4), r.randint(1, 4))
    ones = torch.eye(c)[:, :, None, None]  # channel i to channel i, weight 1
    expected = F.conv_transpose2d(X, ones, stride=s)
    assert torch.equal(spread_zeros(X, s), expected)
    assert torch.equal(spread_zeros(X[0, 0], s), expected[0, 0])  # (H, W) alone too


def test_spread_zeros_refuses_an_empty_grid_and_a_bad_stride():
    with pytest.raises(ValueError, match="must not be empty"):
        spread_zeros(torch.zeros(2, 0), 2)
    with pytest.raises(ValueError, match="stride"):
        spread_zeros(torch.zeros(2, 2), 0)


def test_public_api():
    for name in [
        "corr2d",
        "trans_conv",
        "trans_conv_output_shape",
        "conv_output_shape",
        "trans_conv_stamps",
    ]:
        assert callable(getattr(helpers, name))


@pytest.mark.parametrize("seed", range(100))
def test_trans_conv_matches_torch_with_groups(seed, random_trans_conv_config):
    r = random.Random(7000 + seed)
    cfg = random_trans_conv_config(r)
    groups = r.randint(1, 3)
    c_in, c_group = groups * r.randint(1, 2), r.randint(1, 2)
    g = torch.Generator().manual_seed(seed)
    X = torch.randn((c_in, *cfg.pop("i")), generator=g)
    K = torch.randn((c_in, c_group, *cfg.pop("k")), generator=g)
    expected = F.conv_transpose2d(X[None], K, groups=groups, **cfg)[0]
    got = trans_conv(X, K, groups=groups, **cfg)
    assert got.shape == (c_group * groups, *expected.shape[1:])
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


# Where an implementation multiplies zeros that F.conv_transpose2d never multiplies (0 * inf = NaN),
# its docstring says so; then it may give NaN in more cells than PyTorch, never a finite number
# instead.
ZEROS_MULTIPLIED = {("dense matrix", "X"), ("via conv", "K"), ("sub-pixel", "X")}


@pytest.mark.parametrize("name", costs.IMPLEMENTATIONS)
@pytest.mark.parametrize("where", ["X", "K"])
@pytest.mark.parametrize(
    "cfg",
    [
        dict(stride=1),
        dict(stride=2, padding=1, groups=2, dilation=(1, 2)),
        dict(stride=3, padding=2, output_padding=2),
    ],
)
def test_nan_and_inf_as_pytorch(name, where, cfg):
    g = torch.Generator().manual_seed(0)
    X, K = torch.randn(2, 4, 4, 5, generator=g), torch.randn(4, 3, 3, 3, generator=g)
    if where == "X":
        X[0, 1, 2, 3], X[1, 0, 1, 1], X[1, 3, 0, 4] = float("nan"), float("inf"), -float("inf")
    else:
        K[1, 0, 0, 0], K[2, 1, 1, 2] = float("inf"), float("nan")
    want, got = F.conv_transpose2d(X, K, **cfg), costs.IMPLEMENTATIONS[name](X, K, **cfg)
    finite = torch.isfinite(want)
    if (name, where) in ZEROS_MULTIPLIED:
        assert "0 * inf = NaN" in costs.IMPLEMENTATIONS[name].__doc__
        assert not torch.isfinite(got[~finite]).any()  # never finite where PyTorch is not
        finite &= torch.isfinite(got)
    else:
        for kind in (torch.isnan, torch.isposinf, torch.isneginf):
            assert torch.equal(kind(got), kind(want))
    torch.testing.assert_close(got[finite], want[finite], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", costs.IMPLEMENTATIONS)
def test_a_batch_of_zero_gives_an_empty_result_as_pytorch(name):
    X, K = torch.ones(0, 4, 3, 5), torch.ones(4, 3, 2, 2)
    want = F.conv_transpose2d(X, K, stride=2, padding=1, groups=2)
    got = costs.IMPLEMENTATIONS[name](X, K, stride=2, padding=1, groups=2)
    assert got.shape == want.shape == (0, 6, 4, 8)


@pytest.mark.parametrize("name", costs.IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_works_on_every_path(name, dtype):
    g = torch.Generator().manual_seed(0)
    X, K = torch.randn(2, 4, 3, 5, generator=g), torch.randn(4, 3, 3, 2, generator=g)
    cfg = dict(stride=2, padding=1, groups=2, dilation=(2, 1))
    got = costs.IMPLEMENTATIONS[name](X.to(dtype), K.to(dtype), **cfg)
    want = F.conv_transpose2d(X.to(dtype).double(), K.to(dtype).double(), **cfg)
    assert got.dtype == dtype
    torch.testing.assert_close(got.double(), want, rtol=0.05, atol=0.1)
