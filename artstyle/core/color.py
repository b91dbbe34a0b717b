"""Colour handling for style transfer: Reinhard transfer and luminance-only transfer.

``reinhard``: Reinhard, Ashikhmin, Gooch & Shirley (2001), "Color Transfer
between Images". Images go RGB → LMS cone space → log₁₀ → lαβ, a decorrelated
space where each channel is shifted and scaled to the target's mean and
standard deviation, then back. Style images are recoloured to the content
photo's statistics before their style targets are computed, so the painting
keeps the photo's palette and takes the work's brushwork. We apply the paper's
matrices to sRGB values in [0, 1] directly, as the paper does, and floor LMS at
``LMS_FLOOR`` before the logarithm so that pure black stays finite.

``luminance``: Gatys, Bethge, Hertzmann & Shechtman (2016), "Preserving color
in neural artistic style transfer". Style transfer runs on luminance only (the
Y of YIQ), after matching the style's luminance mean and deviation to the
content's; the output's luminance is then joined with the content's I and Q
channels, so the content's colours are kept exactly.

All functions take batches ``[B,3,H,W]`` on any device and keep the dtype.
"""

from __future__ import annotations

import math
from enum import Enum

import torch
from torch import Tensor

LMS_FLOOR = 1e-3
EPS = 1e-8  # keeps a flat channel's zero deviation from dividing

_RGB_TO_LMS = torch.tensor(
    [[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]], dtype=torch.float64
)
_LOGLMS_TO_LAB = torch.diag(torch.tensor([1 / math.sqrt(3), 1 / math.sqrt(6), 1 / math.sqrt(2)], dtype=torch.float64)) @ torch.tensor(
    [[1.0, 1.0, 1.0], [1.0, 1.0, -2.0], [1.0, -1.0, 0.0]], dtype=torch.float64
)
_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], dtype=torch.float64
)


class ColorMode(str, Enum):
    """How the painting's colours are chosen."""

    reinhard = "reinhard"  # recolour the style images to the photo's lαβ statistics
    luminance = "luminance"  # transfer luminance only; keep the photo's colours exactly
    none = "none"  # take the work's own palette
    reinhard_inverse = "reinhard-inverse"  # recolour the photo to the work's palette and back (artstyle.core.recolor)


def _apply(matrix: Tensor, images: Tensor) -> Tensor:
    """3×3 matrix times every pixel: [3,3] @ [B,3,H,W] -> [B,3,H,W]."""
    return torch.einsum("ij,bjhw->bihw", matrix.to(images), images)


def rgb_to_lab(images: Tensor) -> Tensor:
    """RGB [B,3,H,W] -> Reinhard's lαβ [B,3,H,W]."""
    lms = _apply(_RGB_TO_LMS, images).clamp_min(LMS_FLOOR)
    return _apply(_LOGLMS_TO_LAB, torch.log10(lms))


def lab_to_rgb(lab: Tensor) -> Tensor:
    """lαβ [B,3,H,W] -> RGB [B,3,H,W] (not clipped)."""
    log_lms = _apply(torch.linalg.inv(_LOGLMS_TO_LAB), lab)
    return _apply(torch.linalg.inv(_RGB_TO_LMS), torch.pow(10.0, log_lms))


def lab_stats(images: Tensor) -> Tensor:
    """RGB [B,3,H,W] -> per-channel lαβ mean and standard deviation [B,2,3]."""
    lab = rgb_to_lab(images).flatten(2)  # [B,3,N]
    return torch.stack([lab.mean(-1), lab.std(-1, unbiased=False)], dim=1)


def lab_affine(images: Tensor, source: Tensor, target: Tensor, clip: bool = True) -> Tensor:
    """The one per-channel lαβ map (Reinhard et al. 2001): statistics ``source`` to ``target``.

    ``T(x) = (x − μ_s) / σ_s · σ_t + μ_t`` on RGB [B,3,H,W], statistics each
    [B or 1,2,3]. With the image's own statistics as ``source`` it is colour
    transfer; with the two swapped it is the exact inverse (``--color
    reinhard-inverse``, :mod:`artstyle.core.recolor`).
    """
    lab = rgb_to_lab(images)  # [B,3,H,W]
    mean_s, std_s = source[:, 0, :, None, None].to(lab), source[:, 1, :, None, None].to(lab)
    mean_t, std_t = target[:, 0, :, None, None].to(lab), target[:, 1, :, None, None].to(lab)
    rgb = lab_to_rgb((lab - mean_s) / (std_s + EPS) * std_t + mean_t)
    return rgb.clamp(0, 1) if clip else rgb


def match_lab_stats(images: Tensor, stats: Tensor, clip: bool = True) -> Tensor:
    """Shift and scale each lαβ channel of ``images`` [B,3,H,W] to ``stats`` [B or 1,2,3]."""
    return lab_affine(images, lab_stats(images), stats, clip=clip)


def rgb_to_yiq(images: Tensor) -> Tensor:
    """RGB [B,3,H,W] -> YIQ [B,3,H,W]; Y is the luminance."""
    return _apply(_RGB_TO_YIQ, images)


def yiq_to_rgb(yiq: Tensor) -> Tensor:
    return _apply(torch.linalg.inv(_RGB_TO_YIQ), yiq)


def luminance(images: Tensor) -> Tensor:
    """RGB [B,3,H,W] -> luminance Y [B,1,H,W]."""
    return rgb_to_yiq(images)[:, :1]


def luminance_stats(images: Tensor) -> Tensor:
    """RGB [B,3,H,W] -> luminance mean and standard deviation [B,2]."""
    y = luminance(images).flatten(1)  # [B,N]
    return torch.stack([y.mean(-1), y.std(-1, unbiased=False)], dim=1)


def match_luminance(images: Tensor, stats: Tensor) -> Tensor:
    """Grey RGB [B,3,H,W] whose luminance has mean and deviation ``stats`` [B or 1,2] (Gatys et al. 2016)."""
    y = luminance(images)  # [B,1,H,W]
    own = luminance_stats(images)
    mean_s, std_s = own[:, 0, None, None, None], own[:, 1, None, None, None]
    mean_t, std_t = stats[:, 0, None, None, None].to(y), stats[:, 1, None, None, None].to(y)
    return grey_rgb((y - mean_s) / (std_s + 1e-8) * std_t + mean_t)


def grey_rgb(y: Tensor) -> Tensor:
    """Luminance [B,1,H,W] -> grey RGB [B,3,H,W] (luminance(grey_rgb(y)) == y)."""
    return y.expand(-1, 3, -1, -1).clamp(0, 1)


def with_chroma(y: Tensor, chroma_source: Tensor, clip: bool = True) -> Tensor:
    """Join luminance [B,1,H,W] with the I and Q channels of RGB ``chroma_source`` [B,3,H,W]."""
    iq = rgb_to_yiq(chroma_source)[:, 1:]
    rgb = yiq_to_rgb(torch.cat([y, iq], dim=1))
    return rgb.clamp(0, 1) if clip else rgb
