"""Transposed convolution inside networks: upsamplers, a tiny generator, a tiny U-Net, the
checkerboard measure, ICNR, and other frameworks' documented rules computed in PyTorch.

Introduced in 07-transposed-convolution-in-real-networks.ipynb.
"""

import torch
import torch.nn.functional as F
from torch import nn

from . import _checks
from .ops import spread_zeros
from .upsampling import bilinear_kernel

UPSAMPLERS = [
    "ConvTranspose2d k2 s2",
    "ConvTranspose2d k4 s2 p1",
    "ConvTranspose2d k3 s2 p1 op1",
    "ConvTranspose2d k4 s2 p1, bilinear init",
    "nearest + Conv2d k3",
    "bilinear + Conv2d k3",
    "Conv2d k3 + PixelShuffle",
    "Conv2d k3 + PixelShuffle, ICNR",
]


def checkerboard_score(Y, stride=2):
    """The share of Y's variation that repeats with period `stride` along both axes, from 0 to 1.

    Y (H, W) or (C, H, W), with H and W multiples of `stride`. The period-s part of an image is its
    phase means (the mean of the cells whose row is r mod s and column c mod s), tiled; the score is
    its energy over the energy of Y minus its mean, per channel, summed over channels. It equals the
    share of spectral energy at the frequencies that are multiples of H/s and W/s, without the zero
    frequency. A flat image scores 0, a pure checkerboard 1.
    """
    Y, centred, phases = _phase_means(Y, stride)
    (_, H, W), (_, s_h, s_w) = Y.shape, phases.shape
    periodic = (phases**2).sum() * (H // s_h) * (W // s_w)
    total = (centred**2).sum()
    if total <= 1e-24 * (Y**2).sum():  # flat, up to rounding
        return 0.0
    return float(periodic / total)


def checkerboard_amplitude(Y, stride=2):
    """The root mean square of Y's period-`stride` part, in Y's own units.

    Y (H, W) or (C, H, W), with H and W multiples of `stride`. The period-s part is the phase
    means of Y minus its mean, tiled over the image (per channel); its root mean square over all
    cells equals sqrt(checkerboard_score(Y)) times Y's standard deviation (about its per-channel
    means). A flat image gives 0, a checkerboard of values m - a and m + a gives a.
    """
    _, _, phases = _phase_means(Y, stride)
    return float((phases**2).mean().sqrt())


def _phase_means(Y, stride):
    """Y as (C, H, W) float64, Y minus its channel means, and the latter's phase means (C, s, s)."""
    s = _checks.positive_int(stride, "stride")
    Y = _checks.tensor(Y, "Y").double()
    if Y.ndim == 2:
        Y = Y[None]
    if Y.ndim != 3:
        raise ValueError(f"Y must have shape (H, W) or (C, H, W); got shape {tuple(Y.shape)}")
    C, H, W = Y.shape
    if H % s or W % s:
        raise ValueError(f"H and W must be multiples of stride={s}; got H={H}, W={W}")
    centred = Y - Y.mean(dim=(1, 2), keepdim=True)
    return Y, centred, centred.reshape(C, H // s, s, W // s, s).mean(dim=(1, 3))


def icnr_(weight, stride=2):
    """ICNR initialisation in place: each group of stride² output channels gets its first's kernel.

    weight (C_out * stride², C_in, kH, kW), the weight of a Conv2d followed by PixelShuffle(stride);
    PixelShuffle sends channel c * stride² + r to sub-pixel r of output channel c, so all
    sub-pixels of a block then compute the same value. Returns weight (Aitken et al. 2017,
    fastai's PixelShuffle_ICNR).
    """
    s2 = _checks.positive_int(stride, "stride") ** 2
    if weight.ndim != 4 or weight.shape[0] % s2:
        raise ValueError(
            f"weight must have shape (C_out * stride², C_in, kH, kW) with stride²={s2}; "
            f"got shape {tuple(weight.shape)}"
        )
    with torch.no_grad():
        weight.copy_(weight[::s2].repeat_interleave(s2, dim=0))
    return weight


class Upsampler(nn.Module):
    """One upsampling layer by a factor of 2, of a `kind` from UPSAMPLERS (named for stride 2).

    forward(X, output_size=None): X (N, C_in, H, W) -> (N, C_out, stride*H, stride*W) by default;
    `output_size` (H_out, W_out) asks for another size, which a transposed convolution accepts
    within its range of `stride` sizes, a resize accepts always, and PixelShuffle refuses unless
    it is stride*H, stride*W (stride = 2).
    """

    def __init__(self, kind, in_channels, out_channels):
        super().__init__()
        if kind not in UPSAMPLERS:
            raise ValueError(f"kind must be one of {UPSAMPLERS}; got {kind!r}")
        s = self.stride = 2
        self.kind = kind
        if kind.startswith("ConvTranspose2d"):
            k, p, op = {
                "k2": (s, 0, 0),
                "k4": (2 * s, s // 2, 0),
                "k3": (2 * s - 1, s // 2, s - 1),
            }[kind[16:18]]
            self.layer = nn.ConvTranspose2d(
                in_channels, out_channels, k, stride=s, padding=p, output_padding=op
            )
            if kind.endswith("bilinear init"):
                if in_channels != out_channels:
                    raise ValueError(
                        "a bilinear initialisation needs in_channels == out_channels (one kernel "
                        f"per channel); got {in_channels} and {out_channels}"
                    )
                with torch.no_grad():
                    self.layer.weight.zero_()
                    for c in range(in_channels):  # the diagonal only: channel c upsamples channel c
                        self.layer.weight[c, c] = bilinear_kernel(s)
                    self.layer.bias.zero_()
        elif "PixelShuffle" in kind:
            self.layer = nn.Conv2d(in_channels, out_channels * s * s, 3, padding=1)
            if kind.endswith("ICNR"):
                icnr_(self.layer.weight, s)
                with torch.no_grad():
                    self.layer.bias.copy_(self.layer.bias[:: s * s].repeat_interleave(s * s))
        else:
            self.mode = kind.split()[0]
            self.layer = nn.Conv2d(in_channels, out_channels, 3, padding=1)

    def forward(self, X, output_size=None):
        s, size = self.stride, None if output_size is None else tuple(output_size)[-2:]
        if isinstance(self.layer, nn.ConvTranspose2d):
            return self.layer(X, output_size=size)
        if "PixelShuffle" in self.kind:
            if size is not None and size != (s * X.shape[-2], s * X.shape[-1]):
                raise ValueError(
                    f"PixelShuffle({s}) only returns {s} times the input size, "
                    f"{(s * X.shape[-2], s * X.shape[-1])}; output_size={size} is out of reach"
                )
            return F.pixel_shuffle(self.layer(X), s)
        up = F.interpolate(
            X,
            size=size,
            scale_factor=None if size else s,
            mode=self.mode,
            **({} if self.mode == "nearest" else {"align_corners": False}),
        )
        return self.layer(up)


class Generator(nn.Module):
    """A DCGAN-style generator: a code z -> a 4x4 map -> three upsampling layers -> a 32x32 image.

    forward(z): z (N, z_dim) -> (N, 1, 32, 32), values in (0, 1) (a sigmoid at the end). `kind` is
    one of UPSAMPLERS, used for all three layers, with ReLU between them.
    """

    def __init__(self, kind, z_dim=16, widths=(32, 16, 8)):
        super().__init__()
        self.start = widths[0]
        self.project = nn.Linear(z_dim, widths[0] * 16)
        outs = tuple(widths[1:]) + (1,)
        self.ups = nn.ModuleList(Upsampler(kind, c_in, c_out) for c_in, c_out in zip(widths, outs))

    def forward(self, z):
        x = F.relu(self.project(z).reshape(len(z), self.start, 4, 4))
        for k, up in enumerate(self.ups):
            x = up(x)
            x = F.relu(x) if k + 1 < len(self.ups) else x
        return torch.sigmoid(x)


def make_generator(kind, seed=0, **kwargs):
    """A Generator of this `kind` whose random initial weights depend only on `seed`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Generator(kind, **kwargs)


def fit(model, inputs, targets, steps=60, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
    """Train model(inputs) towards targets with Adam on the mean squared error; returns the losses.

    Adam is written out here (the same update as torch.optim.Adam with its defaults), because
    creating a torch.optim optimiser first imports the compiler machinery, seconds of work on a
    small machine.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    m, v = [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]
    (b1, b2), losses = betas, []
    for t in range(1, steps + 1):
        loss = F.mse_loss(model(inputs), targets)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g, m_p, v_p in zip(params, grads, m, v):
                m_p.mul_(b1).add_(g, alpha=1 - b1)
                v_p.mul_(b2).addcmul_(g, g, value=1 - b2)
                denom = (v_p / (1 - b2**t)).sqrt_().add_(eps)
                p.addcdiv_(m_p, denom, value=-lr / (1 - b1**t))
        losses.append(loss.item())
    return losses


class TinyUNet(nn.Module):
    """A U-Net with one level: conv, max-pool 2, conv, a k2 s2 transposed convolution up,
    concatenate the skip, conv.

    forward(X): X (N, 1, H, W) -> (N, 1, H, W). `fix` says how the upsampled map is brought to the
    skip's size when H or W is odd: None (torch.cat fails), "output_size", "pad", "crop" (the
    skip is cropped, so the output is smaller) or "interpolate" (nearest resize to the skip's
    size, then a conv, instead of the transposed convolution).
    """

    FIXES = (None, "output_size", "pad", "crop", "interpolate")

    def __init__(self, fix=None, width=4):
        super().__init__()
        if fix not in self.FIXES:
            raise ValueError(f"fix must be one of {self.FIXES}; got {fix!r}")
        self.fix = fix
        self.down = nn.Conv2d(1, width, 3, padding=1)
        self.bottom = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.up = nn.ConvTranspose2d(2 * width, width, kernel_size=2, stride=2)
        self.resize_conv = nn.Conv2d(2 * width, width, 3, padding=1)
        self.out = nn.Conv2d(2 * width, 1, 3, padding=1)

    def forward(self, X):
        skip = F.relu(self.down(X))
        x = F.relu(self.bottom(F.max_pool2d(skip, 2)))
        size = skip.shape[-2:]
        if self.fix == "output_size":
            x = self.up(x, output_size=size)
        elif self.fix == "interpolate":
            x = self.resize_conv(F.interpolate(x, size=size, mode="nearest"))
        else:
            x = self.up(x)
        if self.fix == "pad":
            x = F.pad(x, (0, size[1] - x.shape[-1], 0, size[0] - x.shape[-2]))
        if self.fix == "crop":
            skip = skip[..., : x.shape[-2], : x.shape[-1]]
        return self.out(torch.cat([x, skip], dim=1))


def keras_conv_transpose_length(i, kernel_size, stride, padding, output_padding=None):
    """The output length of Keras' Conv2DTranspose along one axis, from its documented rule
    (keras' deconv_output_length, dilation 1): `padding` is "valid" or "same"."""
    i, k, s = (
        _checks.positive_int(v, n)
        for v, n in ((i, "i"), (kernel_size, "kernel_size"), (stride, "stride"))
    )
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}")
    if output_padding is None:
        return i * s + max(k - s, 0) if padding == "valid" else i * s
    if not 0 <= output_padding < s:
        raise ValueError(f"output_padding must be in [0, stride={s}); got {output_padding}")
    pad = 0 if padding == "valid" else k // 2
    return (i - 1) * s + k - 2 * pad + output_padding


def tf_same_conv_transpose2d(X, K, stride):
    """TensorFlow's conv2d_transpose with padding SAME and output shape stride * input, computed in
    PyTorch from its definition: the gradient of a SAME convolution, which pads the extra row and
    column at the end (bottom and right).

    X (N, C_in, H, W); K in PyTorch's ConvTranspose2d layout (C_in, C_out, kH, kW).
    Returns (N, C_out, stride*H, stride*W).
    """
    s = _checks.positive_int(stride, "stride")
    N, _, H, W = X.shape
    kh, kw = K.shape[-2:]
    pads = []
    for n, k in ((W, kw), (H, kh)):  # F.pad lists the last axis first
        total = max((n - 1) * s + k - n * s, 0)  # SAME on the conv whose input is n*s long
        pads += [total // 2, total - total // 2]
    x = torch.zeros(N, K.shape[1], H * s, W * s, dtype=X.dtype, requires_grad=True)
    Y = F.conv2d(F.pad(x, pads), K, stride=s)  # the forward conv maps C_out -> C_in: weight K as is
    (grad,) = torch.autograd.grad((Y * X).sum(), x)
    return grad


def keras_to_torch_kernel(K):
    """A Keras Conv2DTranspose kernel (kH, kW, C_out, C_in) in PyTorch's ConvTranspose2d layout
    (C_in, C_out, kH, kW): the axes are moved, never reshaped."""
    K = _checks.tensor(K, "K")
    if K.ndim != 4:
        raise ValueError(f"K must have shape (kH, kW, C_out, C_in); got shape {tuple(K.shape)}")
    return K.permute(3, 2, 0, 1)


def jax_conv_transpose(X, K, stride, transpose_kernel=False):
    """JAX's lax.conv_transpose with padding VALID, one channel, computed in PyTorch from its
    documented rule: zeros inserted between the inputs, padding, then a correlation with K as given;
    the kernel is flipped only when transpose_kernel=True.

    X (H, W), K (kH, kW) -> (stride*H + max(kH - stride, 0), stride*W + max(kW - stride, 0)).
    """
    s = _checks.positive_int(stride, "stride")
    X, K = _checks.tensor(X, "X"), _checks.tensor(K, "K")
    if X.ndim != 2 or K.ndim != 2:
        raise ValueError(f"X and K must be 2-D; got shapes {tuple(X.shape)} and {tuple(K.shape)}")
    up = spread_zeros(X, s)
    (kh, kw) = K.shape
    pads = []
    for k in (kw, kh):  # JAX's VALID for conv_transpose: k - 1 before, s - 1 + max(k - s, 0) after
        pads += [k - 1, s - 1 + max(k - s, 0)]
    K = K.flip(0, 1) if transpose_kernel else K
    return F.conv2d(F.pad(up, pads)[None, None], K[None, None])[0, 0]


def compare_upsamplers(X, low, target, inits=8, steps=60):
    """One row per kind in UPSAMPLERS: the checkerboard score at initialisation, the parameters,
    whether 37 becomes exactly 74, whether 75 is within reach from 37, and how well a one-channel
    layer learns.

    X (1, C, H, W): the input of a C -> C layer, scored (mean and max) over `inits` random
    initialisations (seeds 0 .. inits-1). low (1, 1, h, w) and target (1, 1, 2h, 2w): a 1 -> 1 layer
    (seed 0) is fitted from low to target for `steps` Adam steps; its final mean squared error and
    its score after fitting are reported.
    """
    C, rows = X.shape[1], []
    for kind in UPSAMPLERS:
        scores = []
        for seed in range(inits):
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                torch.manual_seed(seed)
                layer = Upsampler(kind, C, C)
                scores.append(checkerboard_score(layer(X)[0]))
        with torch.no_grad():
            doubles = layer(torch.zeros(1, C, 37, 37)).shape[-2:] == (74, 74)
        try:
            with torch.no_grad():
                layer(torch.zeros(1, C, 37, 37), output_size=(75, 75))
            reach = "yes"
        except (ValueError, RuntimeError):
            reach = "no"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            small = Upsampler(kind, 1, 1)
            mse = fit(small, low, target, steps=steps)[-1]
        with torch.no_grad():
            after = checkerboard_score(small(low)[0])
        rows.append(
            dict(
                kind=kind,
                score_mean=sum(scores) / inits,
                score_max=max(scores),
                parameters=sum(p.numel() for p in layer.parameters()),
                doubles="yes" if doubles else "no",
                reaches_75=reach,
                mse_after=mse,
                score_after=after,
            )
        )
    return rows


def time_per_call(module, X, repeats=20):
    """The median time of module(X) without gradients, in milliseconds, over `repeats` calls."""
    import time

    times = []
    with torch.no_grad():
        module(X)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            module(X)
            times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[len(times) // 2]
