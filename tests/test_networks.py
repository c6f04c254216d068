"""helpers.networks: the checkerboard measure, ICNR, the upsamplers, the generator, the U-Net fixes,
and other frameworks' rules against hand-checked values and against PyTorch."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from helpers import networks
from helpers.networks import (
    UPSAMPLERS,
    TinyUNet,
    Upsampler,
    checkerboard_amplitude,
    checkerboard_score,
    icnr_,
    jax_conv_transpose,
    keras_conv_transpose_length,
    keras_to_torch_kernel,
    make_generator,
    tf_same_conv_transpose2d,
)


def test_score_is_zero_for_flat_and_one_for_a_checkerboard():
    assert checkerboard_score(torch.full((8, 8), 0.3)) == 0.0
    board = (torch.arange(8)[:, None] + torch.arange(8)[None]) % 2
    assert checkerboard_score(board.float()) == pytest.approx(1.0)
    assert checkerboard_score(
        torch.tensor([[1.0, 0, 0], [0, 0, 0], [0, 0, 0]] * 2).repeat(1, 2), 3
    ) == pytest.approx(1.0)


def test_score_is_small_for_a_smooth_image_and_sees_a_faint_checkerboard():
    r = torch.linspace(0, 1, 32)
    smooth = torch.outer(torch.sin(3 * r), torch.cos(2 * r)) + 1
    board = ((torch.arange(32)[:, None] + torch.arange(32)[None]) % 2).float()
    assert checkerboard_score(smooth) < 0.01
    assert checkerboard_score(smooth + 0.2 * board) > 0.05


def test_score_equals_the_share_of_spectral_energy_at_period_s_frequencies():
    gen = torch.Generator().manual_seed(0)
    for s, (h, w) in itertools.product((2, 3), ((6, 12), (12, 6), (18, 18))):
        Y = torch.rand(2, h, w, generator=gen, dtype=torch.float64)
        energy = torch.fft.fft2(Y - Y.mean(dim=(1, 2), keepdim=True)).abs() ** 2
        mask = torch.zeros(h, w, dtype=torch.bool)
        mask[:: h // s, :: w // s] = True
        assert checkerboard_score(Y, s) == pytest.approx(
            (energy[:, mask].sum() / energy.sum()).item()
        )


def test_score_refuses_sizes_that_are_not_multiples_of_the_stride():
    with pytest.raises(ValueError, match="multiples of stride"):
        checkerboard_score(torch.rand(5, 6))
    with pytest.raises(ValueError, match=r"\(H, W\) or \(C, H, W\)"):
        checkerboard_score(torch.rand(1, 1, 4, 4))


def test_amplitude_is_the_rms_of_the_tiled_phase_means_and_a_for_a_checkerboard_of_a():
    board = ((torch.arange(8)[:, None] + torch.arange(8)[None]) % 2).double() * 2 - 1
    assert checkerboard_amplitude(0.5 + 0.25 * board) == pytest.approx(0.25)
    assert checkerboard_amplitude(torch.full((6, 6), 0.3), 3) == 0.0
    gen = torch.Generator().manual_seed(3)
    for s, shape in [(2, (8, 6)), (3, (2, 9, 6)), (2, (3, 4, 4))]:
        Y = torch.rand(*shape, generator=gen, dtype=torch.float64)
        Y3 = Y if Y.ndim == 3 else Y[None]
        centred = Y3 - Y3.mean(dim=(1, 2), keepdim=True)
        tiled = torch.zeros_like(centred)
        for a, b in itertools.product(range(s), repeat=2):
            tiled[:, a::s, b::s] = centred[:, a::s, b::s].mean(dim=(1, 2), keepdim=True)
        assert checkerboard_amplitude(Y, s) == pytest.approx(tiled.pow(2).mean().sqrt().item())
        assert checkerboard_amplitude(Y, s) == pytest.approx(
            (checkerboard_score(Y, s) * centred.pow(2).mean()).sqrt().item()
        )
    with pytest.raises(ValueError, match="multiples of stride"):
        checkerboard_amplitude(torch.rand(5, 6))


def test_icnr_makes_pixel_shuffle_a_nearest_resize_of_the_convolution():
    gen = torch.Generator().manual_seed(1)
    for s, c_in, c_out in [(2, 3, 2), (3, 1, 4)]:
        conv = torch.nn.Conv2d(c_in, c_out * s * s, 3, padding=1)
        icnr_(conv.weight, s)
        X = torch.rand(1, c_in, 5, 7, generator=gen)
        first = F.conv2d(X, conv.weight[:: s * s])
        got = F.pixel_shuffle(F.conv2d(X, conv.weight, padding=1), s)
        want = F.interpolate(
            F.conv2d(X, conv.weight[:: s * s], padding=1), scale_factor=s, mode="nearest"
        )
        assert first.shape[1] == c_out
        torch.testing.assert_close(got, want)
    with pytest.raises(ValueError, match="C_out"):
        icnr_(torch.zeros(3, 1, 3, 3), 2)


def test_icnr_upsampler_equals_nearest_resize_then_dilated_convolution():
    torch.manual_seed(2)
    up = Upsampler("Conv2d k3 + PixelShuffle, ICNR", 2, 3)
    X = torch.rand(1, 2, 6, 5)
    want = F.conv2d(
        F.interpolate(X, scale_factor=2, mode="nearest"),
        up.layer.weight[::4],
        up.layer.bias[::4],
        padding=2,
        dilation=2,
    )
    torch.testing.assert_close(up(X), want)


@pytest.mark.parametrize("kind", UPSAMPLERS)
def test_every_upsampler_doubles_and_the_layers_match_their_names(kind):
    torch.manual_seed(3)
    up = Upsampler(kind, 4, 4)
    for h, w in [(5, 5), (6, 9)]:
        assert up(torch.rand(2, 4, h, w)).shape == (2, 4, 2 * h, 2 * w)
    if kind.startswith("ConvTranspose2d"):
        k = int(kind.split()[1][1])
        assert up.layer.kernel_size == (k, k) and up.layer.stride == (2, 2)


def test_bilinear_init_fills_the_diagonal_and_upsamples_each_channel_bilinearly():
    up = Upsampler("ConvTranspose2d k4 s2 p1, bilinear init", 3, 3)
    X = torch.rand(1, 3, 6, 6)
    want = F.interpolate(X, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up(X)[..., 2:-2, 2:-2], want[..., 2:-2, 2:-2])
    assert up.layer.weight[0, 1].abs().sum() == 0
    with pytest.raises(ValueError, match="in_channels == out_channels"):
        Upsampler("ConvTranspose2d k4 s2 p1, bilinear init", 3, 2)


def test_output_size_is_reached_or_refused_in_words():
    X = torch.rand(1, 2, 37, 37)
    assert Upsampler("ConvTranspose2d k2 s2", 2, 2)(X, output_size=(75, 75)).shape[-2:] == (75, 75)
    assert Upsampler("bilinear + Conv2d k3", 2, 2)(X, output_size=(75, 80)).shape[-2:] == (75, 80)
    with pytest.raises(ValueError, match="out of reach"):
        Upsampler("Conv2d k3 + PixelShuffle", 2, 2)(X, output_size=(75, 75))
    with pytest.raises(ValueError, match="kind must be one of"):
        Upsampler("deconv", 2, 2)


def test_generator_shape_range_and_seed():
    z = torch.randn(3, 16)
    for kind in UPSAMPLERS[:3] + UPSAMPLERS[4:]:
        Y = make_generator(kind, seed=5)(z)
        assert Y.shape == (3, 1, 32, 32) and 0 <= Y.min() and Y.max() <= 1
    a, b = make_generator(UPSAMPLERS[0], seed=5), make_generator(UPSAMPLERS[0], seed=5)
    assert torch.equal(a(z), b(z))
    assert not torch.equal(a(z), make_generator(UPSAMPLERS[0], seed=6)(z))


def test_generators_at_initialisation_show_the_checkerboard_unless_resized_or_icnr():
    z = torch.randn(4, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        scores = {
            kind: max(checkerboard_score(y) for y in make_generator(kind, seed=0)(z))
            for kind in (
                "ConvTranspose2d k3 s2 p1 op1",
                "nearest + Conv2d k3",
                "Conv2d k3 + PixelShuffle, ICNR",
            )
        }
    assert scores["ConvTranspose2d k3 s2 p1 op1"] > 0.3
    assert scores["nearest + Conv2d k3"] < 0.05 and scores["Conv2d k3 + PixelShuffle, ICNR"] < 1e-6


def test_fit_lowers_the_loss():
    torch.manual_seed(4)
    model = Upsampler("nearest + Conv2d k3", 1, 1)
    X, Y = torch.rand(1, 1, 4, 4), torch.rand(1, 1, 8, 8)
    losses = networks.fit(model, X, Y, steps=30)
    assert len(losses) == 30 and losses[-1] < losses[0]


def test_unet_fails_at_cat_on_odd_sizes_and_every_fix_works():
    X = torch.rand(1, 1, 75, 74)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        TinyUNet()(X)
    assert TinyUNet()(torch.rand(1, 1, 74, 74)).shape == (1, 1, 74, 74)
    for fix in TinyUNet.FIXES[1:]:
        want = (74, 74) if fix == "crop" else (75, 74)
        assert TinyUNet(fix)(X).shape[-2:] == want, fix
    with pytest.raises(ValueError, match="fix must be one of"):
        TinyUNet("trim")


def test_keras_lengths_against_hand_checked_values():
    assert keras_conv_transpose_length(5, 3, 2, "valid") == 11
    assert keras_conv_transpose_length(5, 3, 2, "same") == 10
    assert keras_conv_transpose_length(5, 1, 3, "valid") == 15  # max(k - s, 0) = 0
    assert (
        keras_conv_transpose_length(4, 4, 2, "same", output_padding=1) == 7
    )  # (4-1)*2 + 4 - 2*2 + 1
    assert keras_conv_transpose_length(4, 3, 2, "valid", output_padding=0) == 9
    with pytest.raises(ValueError, match="output_padding must be in"):
        keras_conv_transpose_length(4, 3, 2, "same", output_padding=2)
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        keras_conv_transpose_length(4, 3, 2, "full")


def test_keras_with_output_padding_is_pytorchs_formula_with_padding_k_over_2():
    checked = 0
    for i, k, s in itertools.product((1, 4, 7), (1, 2, 3, 5), (1, 2, 3)):
        for op, (pad, p) in itertools.product(range(s), (("valid", 0), ("same", k // 2))):
            try:
                Y = F.conv_transpose1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s,
                                       padding=p, output_padding=op)
            except RuntimeError as err:  # PyTorch refuses an empty output
                assert "Output size is too small" in str(err)
                continue
            assert keras_conv_transpose_length(i, k, s, pad, op) == Y.shape[-1]
            checked += 1
    assert checked > 100


def test_tf_same_is_the_gradient_of_a_same_convolution_and_pytorch_is_shifted_by_one():
    gen = torch.Generator().manual_seed(7)
    X, K = torch.randn(2, 3, 4, 5, generator=gen), torch.randn(3, 2, 3, 3, generator=gen)
    tf = tf_same_conv_transpose2d(X, K, 2)
    pt = F.conv_transpose2d(X, K, stride=2, padding=1, output_padding=1)
    assert tf.shape == pt.shape == (2, 2, 8, 10)
    torch.testing.assert_close(tf[..., 1:, 1:], pt[..., :-1, :-1])
    assert not torch.allclose(tf, pt)
    torch.testing.assert_close(tf, F.conv_transpose2d(X, K, stride=2)[..., :8, :10])
    # k = 4: SAME pads one row before and two after; PyTorch's padding=1 crops one on each side
    K4 = torch.randn(3, 2, 4, 4, generator=gen)
    torch.testing.assert_close(
        tf_same_conv_transpose2d(X, K4, 2), F.conv_transpose2d(X, K4, stride=2)[..., 1:9, 1:11]
    )


def test_keras_kernel_conversion_moves_axes():
    K = torch.randn(3, 2, 5, 4)  # (kH, kW, C_out, C_in)
    T = keras_to_torch_kernel(K)
    assert T.shape == (4, 5, 3, 2)
    for i, o in itertools.product(range(4), range(5)):
        assert torch.equal(T[i, o], K[:, :, o, i])
    with pytest.raises(ValueError, match="kH, kW, C_out, C_in"):
        keras_to_torch_kernel(torch.zeros(3, 3))


def test_jax_conv_transpose_flips_only_with_transpose_kernel():
    gen = torch.Generator().manual_seed(8)
    for s, k, (h, w) in itertools.product((1, 2, 3), (1, 2, 3, 4), ((3, 3), (2, 5))):
        X, K = torch.randn(h, w, generator=gen), torch.randn(k, k, generator=gen)
        plain = jax_conv_transpose(X, K, s)
        assert plain.shape == (
            keras_conv_transpose_length(h, k, s, "valid"),
            keras_conv_transpose_length(w, k, s, "valid"),
        )
        if k >= s:  # then VALID pads k - 1 on both sides, PyTorch's padding=0
            torch.testing.assert_close(
                jax_conv_transpose(X, K, s, transpose_kernel=True),
                F.conv_transpose2d(X[None, None], K[None, None], stride=s)[0, 0],
            )
            torch.testing.assert_close(
                plain, F.conv_transpose2d(X[None, None], K.flip(0, 1)[None, None], stride=s)[0, 0]
            )


def test_fit_takes_the_same_steps_as_torch_optim_adam():
    torch.manual_seed(5)
    a = Upsampler("ConvTranspose2d k3 s2 p1 op1", 2, 1)
    b = Upsampler("ConvTranspose2d k3 s2 p1 op1", 2, 1)
    b.load_state_dict(a.state_dict())
    X, Y = torch.rand(3, 2, 5, 5), torch.rand(3, 1, 10, 10)
    losses = networks.fit(a, X, Y, steps=15, lr=1e-2)
    opt = torch.optim.Adam(b.parameters(), lr=1e-2)
    for step in range(15):
        loss = F.mse_loss(b(X), Y)
        assert loss.item() == pytest.approx(losses[step], rel=1e-5)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)


def test_compare_upsamplers_reports_every_kind_with_the_sizes_each_can_reach():
    X, target = torch.rand(1, 2, 8, 8), torch.rand(1, 1, 16, 16)
    rows = networks.compare_upsamplers(X, X[:, :1], target, inits=2, steps=3)
    assert [r["kind"] for r in rows] == UPSAMPLERS
    reach = {r["kind"]: r["reaches_75"] for r in rows}
    assert reach["ConvTranspose2d k2 s2"] == "yes" and reach["ConvTranspose2d k3 s2 p1 op1"] == "no"
    assert reach["bilinear + Conv2d k3"] == "yes" and reach["Conv2d k3 + PixelShuffle"] == "no"
    assert all(r["doubles"] == "yes" for r in rows)
    bilinear = rows[UPSAMPLERS.index("ConvTranspose2d k4 s2 p1, bilinear init")]
    assert bilinear["score_max"] < 1e-3 and bilinear["parameters"] == 2 * 2 * 16 + 2
