"""Style targets: from a style image to its Gram matrices (Gatys et al. 2015).

A style target is the set of Gram matrices of one style image at the style
layers. It depends on the pixels and on everything listed in
:class:`artstyle.style.config.TargetConfig`: the weights, layers, pooling, the size the image is
resized to (``style_size × style_scale``, longest side: resizing the style
image changes the scale of the features it contributes), the colour mode, and
this module's preprocessing (:data:`PREPROCESS_VERSION`; bump it whenever
``prepare_style`` changes what it produces). In the ``reinhard`` and
``luminance`` colour modes the style image is first recoloured to the content
photo's statistics, so targets then also depend on those statistics, which are
passed alongside the config.

:func:`compute_style_targets` is the only place style Grams are computed, so
that the cache can wrap it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import torch
from PIL import Image
from torch import Tensor

from artstyle.core.images import image_to_tensor
from artstyle.core.color import ColorMode, lab_stats, luminance_stats, match_lab_stats, match_luminance
from artstyle.core.features import FeatureNet
from artstyle.core.losses import gram_matrix

if TYPE_CHECKING:
    from artstyle.style.config import TargetConfig

PREPROCESS_VERSION = 1  # part of every cache key (artstyle.style.config): bump it when prepare_style changes its output


def color_stats(content: Tensor, color: ColorMode) -> Tensor | None:
    """The content statistics a colour mode recolours style images to: [1,2,3], [1,2] or None."""
    color = ColorMode(color)
    if color is ColorMode.reinhard:
        return lab_stats(content)
    if color is ColorMode.luminance:
        return luminance_stats(content)
    return None


def prepare_style(image: Image.Image, config: TargetConfig, stats: Tensor | None, device: torch.device | str = "cpu") -> Tensor:
    """A style image as the network sees it: resized, then recoloured per the colour mode -> [1,3,h,w]."""
    style = image_to_tensor(image, config.effective_size).to(device)
    if config.color is ColorMode.reinhard and stats is not None:
        return match_lab_stats(style, stats.to(device))
    if config.color is ColorMode.luminance and stats is not None:
        return match_luminance(style, stats.to(device))
    return style


@torch.no_grad()
def compute_style_targets(net: FeatureNet, style: Tensor, layers: Sequence[str]) -> list[dict[str, Tensor]]:
    """style [B,3,H,W] in [0,1] -> one {layer: Gram [C,C]} per image."""
    features = net(style)
    grams = {layer: gram_matrix(features[layer]) for layer in layers}  # each [B,C,C]
    return [{layer: g[i] for layer, g in grams.items()} for i in range(style.shape[0])]
