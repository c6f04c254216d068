"""Upsampling in practice: a sample photograph, the bilinear kernel, the methods compared, PSNR.

Introduced in 05-upsampling-in-practice.ipynb.
"""
import torch
import torch.nn.functional as F

from . import _checks

METHODS = ["transposed conv, bilinear kernel", "F.interpolate bilinear", "F.interpolate nearest"]


def sample_image(size=(120, 104)):
    """Grace Hopper's portrait from matplotlib's sample data, grayscale in [0, 1], `size` (H, W).

    No download: the file ships with matplotlib.
    """
    import matplotlib.cbook as cbook
    import numpy as np
    from PIL import Image

    h, w = _checks.pair(size, "size", minimum=1)
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        image = Image.open(f).convert("L").resize((w, h), Image.Resampling.LANCZOS)
    return torch.tensor(np.asarray(image), dtype=torch.float32) / 255


def bilinear_kernel(factor):
    """The (2s, 2s) kernel with which ConvTranspose2d(kernel_size=2s, stride=s, padding=s/2)
    upsamples bilinearly by s, as in d2l's FCN section. `factor` is an even positive int: for an
    odd one (1 included) padding = factor/2 is not a whole number, and the layer would not
    upsample by s."""
    s = _checks.positive_int(factor, "factor")
    if s % 2:
        raise ValueError(f"factor must be even, so that padding = factor/2 is whole; got {s}")
    k = 2 * s
    center = (k - 1) / 2 if k % 2 == 0 else s - 1
    og = torch.arange(k, dtype=torch.float32)
    filt = 1 - (og - center).abs() / s
    return torch.outer(filt, filt)


def upsample(x, method, factor):
    """x (H, W) upsampled by `factor` with one of METHODS; returns (factor*H, factor*W)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    s = _checks.positive_int(factor, "factor")
    x = _checks.tensor(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (H, W); got shape {tuple(x.shape)}")
    _checks.nonempty(x, "x")
    _checks.affordable(
        x.numel() * s * s,
        x.dtype,
        f"the upsampled x {(x.shape[0] * s, x.shape[1] * s)}",
        "a smaller factor or image",
    )
    batch = x[None, None]
    if method == METHODS[0]:
        K = bilinear_kernel(s)[None, None].to(x.dtype)
        return F.conv_transpose2d(batch, K, stride=s, padding=s // 2)[0, 0]
    if method == METHODS[1]:
        return F.interpolate(batch, scale_factor=s, mode="bilinear", align_corners=False)[0, 0]
    return F.interpolate(batch, scale_factor=s, mode="nearest")[0, 0]


def psnr(a, b, peak=1.0):
    """Peak signal-to-noise ratio of b against a (two tensors of the same shape), in dB: infinite
    when they are equal, NaN when either holds a NaN. `peak` is the largest possible value (1 for
    images in [0, 1])."""
    a, b = _checks.tensor(a, "a"), _checks.tensor(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    _checks.nonempty(a, "a")
    peak = _checks.number(peak, "peak", positive=True)
    mse = float(((a.detach() - b.detach()) ** 2).mean())
    return float("inf") if mse == 0 else 10 * torch.log10(torch.tensor(peak ** 2 / mse)).item()
