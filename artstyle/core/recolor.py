"""``--color reinhard-inverse``: Reinhard colour transfer that leaves the style targets cacheable.

The seed paper recolours each style image to the content photo's lαβ
statistics (Reinhard et al. 2001) before computing its Gram matrices, so its
targets depend on the photo and a per-work cache cannot serve them. This mode
moves the transfer to the other side, exactly:

1. recolour the *content* to the work's palette with the affine lαβ map
   ``T(x) = (x − μ_c) / σ_c · σ_w + μ_w`` per channel;
2. optimise against the work's own (cached, palette-independent) targets;
3. map the result back with the inverse map
   ``T⁻¹(y) = (y − μ_w) / σ_w · σ_c + μ_c``, using the same two sets of
   statistics (not the result's own), so that ``T⁻¹(T(x)) = x`` wherever no
   channel was clipped.

Several works (a blend) share one palette: the statistics of the weighted
mixture of their pixels (means average; variances add the spread of the
means). The comparison with ``reinhard`` is in ``scripts/compare_color_modes.py``
and the README's "Style cache" section.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor

from artstyle.core.color import lab_affine, lab_stats


def mixture_stats(stats: Sequence[Tensor], weights: Sequence[float]) -> Tensor:
    """lαβ mean and deviation [1,2,3] of the weighted mixture of images with ``stats`` (each [1,2,3])."""
    w = torch.tensor([float(x) for x in weights], dtype=torch.float64)
    w = w / w.sum()
    stacked = torch.cat([s.to("cpu", torch.float64) for s in stats])  # [K,2,3]
    mean = (w[:, None] * stacked[:, 0]).sum(0)  # [3]
    second = (w[:, None] * (stacked[:, 1] ** 2 + stacked[:, 0] ** 2)).sum(0)
    std = (second - mean**2).clamp_min(0).sqrt()
    return torch.stack([mean, std])[None].to(stats[0])  # [1,2,3]


def to_palette(content: Tensor, content_stats: Tensor, palette: Tensor) -> Tensor:
    """Step 1: the content [1,3,H,W] recoloured to ``palette`` [1,2,3]."""
    return lab_affine(content, content_stats, palette)


def from_palette(image: Tensor, content_stats: Tensor, palette: Tensor) -> Tensor:
    """Step 3: the exact inverse of :func:`to_palette` applied to the optimised image."""
    return lab_affine(image, palette, content_stats)


def inverse_maps(content: Tensor, palettes: Sequence[Tensor], weights: Sequence[float]) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
    """(the content [1,3,H,W] in the works' palette, the map that takes an optimised image back)."""
    content_stats = lab_stats(content)  # [1,2,3]
    palette = mixture_stats(palettes, weights).to(content)

    def finish(image: Tensor) -> Tensor:
        return from_palette(image.clamp(0, 1), content_stats, palette)

    return to_palette(content, content_stats, palette), finish
