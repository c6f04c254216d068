"""kernel2matrix against F.conv2d and F.conv_transpose2d over many random configurations."""

import random

import pytest
import torch
import torch.nn.functional as F

from helpers import conv_output_shape, kernel2matrix, recovering_output_padding


def random_conv_config(r):
    """i, k, stride, padding, dilation of a convolution whose output is not empty."""
    while True:
        k = (r.randint(1, 4), r.randint(1, 4))
        s, p, d = (
            (r.randint(1, 3), r.randint(1, 3)),
            (r.randint(0, 2), r.randint(0, 2)),
            (r.randint(1, 2), r.randint(1, 2)),
        )
        i = (r.randint(1, 8), r.randint(1, 8))
        try:  # refused when the input is smaller than the dilated kernel (test_ops)
            conv_output_shape(i, k, s, p, d)
            return i, k, s, p, d
        except ValueError:
            continue


@pytest.mark.parametrize("seed", range(200))
def test_W_is_the_convolution_and_W_T_the_transposed_convolution(seed):
    r = random.Random(seed)
    (h, w), k, s, p, d = random_conv_config(r)
    g = torch.Generator().manual_seed(seed)
    X, K = (
        torch.randn(h, w, generator=g, dtype=torch.float64),
        torch.randn(k, generator=g, dtype=torch.float64),
    )
    W = kernel2matrix(K, (h, w), s, p, d)
    Y = F.conv2d(X[None, None], K[None, None], stride=s, padding=p, dilation=d)[0, 0]
    assert W.shape == (Y.numel(), h * w)
    torch.testing.assert_close(W @ X.reshape(-1), Y.reshape(-1))
    op = recovering_output_padding((h, w), k, s, p, d)
    Z = F.conv_transpose2d(
        Y[None, None], K[None, None], stride=s, padding=p, output_padding=op, dilation=d
    )[0, 0]
    assert Z.shape == (h, w)
    torch.testing.assert_close(W.T @ Y.reshape(-1), Z.reshape(-1))
    S = kernel2matrix(K, (h, w), s, p, d, sparse=True)
    assert S.is_sparse and S._nnz() == int((W != 0).sum())
    torch.testing.assert_close(S.to_dense(), W)


def test_the_matrix_of_d2l_example():
    """d2l's K = [[1, 2], [3, 4]] on a 3x3 input, as notebook 03 shows it."""
    W = kernel2matrix(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), (3, 3))
    assert W.tolist() == [
        [1, 2, 0, 3, 4, 0, 0, 0, 0],
        [0, 1, 2, 0, 3, 4, 0, 0, 0],
        [0, 0, 0, 1, 2, 0, 3, 4, 0],
        [0, 0, 0, 0, 1, 2, 0, 3, 4],
    ]


def test_integer_kernels_and_array_likes():
    W = kernel2matrix([[1, 2], [3, 4]], [3, 3])
    assert W.dtype == torch.get_default_dtype() and W.shape == (4, 9)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (
            lambda: kernel2matrix(torch.ones(2, 2), (1, 3)),
            ValueError,
            ["input_shape is smaller than the dilated kernel", "height"],
        ),
        (
            lambda: kernel2matrix(torch.ones(2, 2), (3, 3), dilation=3),
            ValueError,
            ["3*(2-1) + 1 = 4"],
        ),
        (
            lambda: kernel2matrix(torch.ones(2, 2), 3),
            TypeError,
            ["input_shape must be two positive ints (H, W)"],
        ),
        (
            lambda: kernel2matrix(torch.ones(2, 2), (3, 3, 1)),
            TypeError,
            ["input_shape must be two positive ints"],
        ),
        (
            lambda: kernel2matrix(torch.ones(2, 2), (0, 3)),
            ValueError,
            ["input_shape must be a positive integer"],
        ),
        (
            lambda: kernel2matrix(torch.ones(2, 2), (3.0, 3)),
            TypeError,
            ["input_shape must be an int or a pair"],
        ),
        (
            lambda: kernel2matrix(torch.ones(1, 2, 2), (3, 3)),
            ValueError,
            ["K must have shape (kH, kW)"],
        ),
        (lambda: kernel2matrix(torch.ones(0, 2), (3, 3)), ValueError, ["K must not be empty"]),
        (
            lambda: kernel2matrix(torch.ones(2, 2), (3, 3), stride=0),
            ValueError,
            ["stride must be a positive integer"],
        ),
        (
            lambda: kernel2matrix(torch.ones(2, 2), (3, 3), padding=-1),
            ValueError,
            ["padding must be an integer >= 0"],
        ),
    ],
)
def test_bad_input_is_refused_in_words(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), str(info.value)


def test_sparse_form_is_small():
    S = kernel2matrix(torch.ones(3, 3), (64, 64), padding=1, sparse=True)
    assert S.shape == (64 * 64, 64 * 64) and S._nnz() < 9 * 64 * 64


def test_upsampling_methods_and_their_equalities():
    from helpers.upsampling import METHODS, bilinear_kernel, psnr, upsample

    g = torch.Generator().manual_seed(0)
    x = torch.rand(9, 7, generator=g)
    for s in (2, 4):
        for m in METHODS:
            assert upsample(x, m, s).shape == (9 * s, 7 * s)
        assert torch.equal(
            upsample(x, METHODS[2], s), x.repeat_interleave(s, 0).repeat_interleave(s, 1)
        )
        gap = (upsample(x, METHODS[0], s) - upsample(x, METHODS[1], s)).abs()
        assert gap[s:-s, s:-s].max() < 1e-5 and gap.max() > 1e-3
    assert bilinear_kernel(2).sum() == 4  # each of the s*s = 4 phases sums to 1
    assert psnr(x, x) == float("inf")
    assert abs(psnr(torch.zeros(4, 4), torch.full((4, 4), 0.1)) - 20.0) < 1e-4
    for odd in (1, 3):
        with pytest.raises(ValueError, match="factor must be even"):
            bilinear_kernel(odd)
        with pytest.raises(ValueError, match="factor must be even"):
            upsample(x, METHODS[0], odd)
    with pytest.raises(ValueError, match="method must be one of"):
        upsample(x, "bicubic", 2)
    with pytest.raises(ValueError, match=r"x must have shape \(H, W\)"):
        upsample(x[None], METHODS[0], 2)


@pytest.mark.parametrize("seed", range(40))
def test_kernel2matrix_computes_what_its_plain_loop_computes(seed):
    from helpers.matrix import kernel2matrix_loop

    r = random.Random(seed)
    i, k, s, p, d = random_conv_config(r)
    K = torch.randint(-3, 4, k, generator=torch.Generator().manual_seed(seed)).float()
    assert torch.equal(kernel2matrix(K, i, s, p, d), kernel2matrix_loop(K, i, s, p, d))


def test_sparse_w_agrees_with_conv2d_on_nan_and_inf_and_dense_w_is_nan_everywhere():
    X = torch.zeros(4, 5)
    X[1, 2], X[3, 0] = float("nan"), float("inf")
    K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    want = F.conv2d(X[None, None], K[None, None])[0, 0].reshape(-1)
    sparse = kernel2matrix(K, (4, 5), sparse=True) @ X.reshape(-1)
    for kind in (torch.isnan, torch.isposinf, torch.isneginf):
        assert torch.equal(kind(sparse), kind(want))
    assert torch.isnan(kernel2matrix(K, (4, 5)) @ X.reshape(-1)).all()  # 0 * inf = NaN, documented
    assert "0 * inf = NaN" in kernel2matrix.__doc__
