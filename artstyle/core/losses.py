"""Losses for neural style transfer after Gatys, Ecker & Bethge (2015), one small module each.

Each loss is an ``nn.Module`` holding its target as a buffer; small combinators
(:class:`Scale`, :class:`LayerApply`, :class:`ImageApply`, :class:`SumLoss`,
:class:`WeightedSum`) compose them into one objective instead of if-chains.

Normalisation (where we depart from Gatys et al.), chosen so that one set of
default weights works across image sizes, layers, weights files and one or
many style targets:

- **Gram matrix** ``G = F Fᵀ / (H·W)`` for features ``F`` of shape ``[C, H·W]``:
  the mean outer product of the feature vectors over positions. Gatys et al.
  use the plain sum and divide the loss by ``4 N² M²``; dividing by the number
  of positions makes ``G`` independent of the image size at a fixed feature
  scale, so targets computed at one size serve another.
- **Style loss per layer** ``‖G − T‖² / ‖T̄‖²`` (sums over the ``C×C``
  entries), where ``T̄`` is the weighted mean target of that layer: a relative
  error, so layers whose activations differ by orders of magnitude (and
  ImageNet versus random weights) contribute comparably. Per-layer weights are
  normalised to sum to 1.
- **Content loss** ``‖F − P‖² / ‖P‖²``: relative, for the same reason.
- **Total variation**: the mean squared difference of neighbouring pixels (a
  mean, so independent of the image size).

Several style targets (a blend, or several works of one artist) combine as a
weighted sum of per-target losses, ``Σₖ wₖ ‖G − Tₖ‖²`` with ``Σₖ wₖ = 1``. For
this squared-error loss the sum equals ``‖G − T̄‖² + Σₖ wₖ ‖Tₖ − T̄‖²`` with
``T̄ = Σₖ wₖ Tₖ``: the second term does not depend on the image, so optimising
toward many works is exactly optimising toward their weighted *mean* Gram
matrix. Averaging many works' Grams blurs the strokes and palettes that make
each one distinctive (it washes the style out), which is why Mu & Francl
(2015) paint each request from one randomly drawn work, and why artstyle
draws one work per request by default. All targets of a layer share the
normaliser ``1/‖T̄‖²`` so that this identity holds exactly.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor, nn

from artstyle import shares

EPS = 1e-8


class _Gram(torch.autograd.Function):
    """flat [B,N,C] (or [B,C,N] with ``channels_first``) -> the Gram [B,C,C] / N, with a one-product backward.

    Autograd's own backward of ``Rᵀ @ R`` runs two batched products and an add
    (one per operand); the Gram is symmetric in R, so one product of R with the
    symmetrised incoming gradient gives the same result, laid out like R. The
    Grams were a fifth of a bf16 step on the CPU before this.
    """

    @staticmethod
    def forward(ctx, flat: Tensor, channels_first: bool) -> Tensor:
        ctx.save_for_backward(flat)
        ctx.channels_first = channels_first
        if channels_first:
            return flat @ flat.transpose(1, 2) / flat.shape[2]
        return flat.transpose(1, 2) @ flat / flat.shape[1]

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        (flat,) = ctx.saved_tensors
        if ctx.channels_first:
            return (grad + grad.transpose(1, 2)) @ flat / flat.shape[2], None
        return flat @ ((grad + grad.transpose(1, 2)) / flat.shape[1]), None


def gram_matrix(features: Tensor) -> Tensor:
    """features [B,C,H,W] -> Gram matrices [B,C,C], divided by the number of positions H·W."""
    b, c, h, w = features.shape
    if c > 1 and features.is_contiguous(memory_format=torch.channels_last):
        # A channels-last map flattens to [B,N,C] without a copy, and its gradient comes back
        # channels-last too. Flattening to [B,C,N] would copy it, and autograd's sum of that
        # channels-first gradient with the next convolution's channels-last one is a slow strided add.
        return _Gram.apply(features.permute(0, 2, 3, 1).reshape(b, h * w, c), False)
    return _Gram.apply(features.reshape(b, c, h * w), True)


def relative_scale(target: Tensor) -> Tensor:
    """1 / ‖target‖²: turns a squared error into a relative one."""
    return 1.0 / (target.detach().pow(2).sum() + EPS)


class ContentLoss(nn.Module):
    """‖F − P‖² / ‖P‖² between features and the content image's features."""

    def __init__(self, target: Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target.detach())  # [1,C,h,w]
        self.register_buffer("scale", relative_scale(target))

    def forward(self, features: Tensor) -> Tensor:
        return (features - self.target).pow(2).flatten(1).sum(1) * self.scale  # [B]


class StyleLoss(nn.Module):
    """‖gram(F) − T‖² · scale for one target Gram T [C,C] (scale shared by a layer's targets)."""

    def __init__(self, target: Tensor, scale: Tensor | float | None = None) -> None:
        super().__init__()
        self.register_buffer("target", target.detach())  # [C,C]
        scale = relative_scale(target) if scale is None else torch.as_tensor(scale, dtype=target.dtype)
        self.register_buffer("scale", scale.to(target.device))

    def forward(self, features: Tensor) -> Tensor:
        gram = gram_matrix(features)  # [B,C,C]
        return (gram - self.target).pow(2).sum((1, 2)) * self.scale  # [B]


class TVLoss(nn.Module):
    """Mean squared difference of horizontally and vertically neighbouring pixels."""

    def forward(self, image: Tensor) -> Tensor:
        dx = image[..., :, 1:] - image[..., :, :-1]  # [B,3,H,W-1]
        dy = image[..., 1:, :] - image[..., :-1, :]  # [B,3,H-1,W]
        return dx.pow(2).flatten(1).mean(1) + dy.pow(2).flatten(1).mean(1)  # [B]


class Scale(nn.Module):
    """weight · module(...)."""

    def __init__(self, module: nn.Module, weight: float) -> None:
        super().__init__()
        self.module = module
        self.weight = float(weight)

    def forward(self, *args) -> Tensor:
        return self.module(*args) * self.weight


class LayerApply(nn.Module):
    """Applies a loss to one layer of a features dict: module(features[layer])."""

    def __init__(self, module: nn.Module, layer: str) -> None:
        super().__init__()
        self.module = module
        self.layer = layer

    def forward(self, features: Mapping[str, Tensor], image: Tensor) -> Tensor:
        return self.module(features[self.layer])


class ImageApply(nn.Module):
    """Applies a loss to the image itself (for total variation)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, features: Mapping[str, Tensor], image: Tensor) -> Tensor:
        return self.module(image)


class SumLoss(nn.Module):
    """The sum of several losses called with the same arguments."""

    def __init__(self, losses: Sequence[nn.Module]) -> None:
        super().__init__()
        self.losses = nn.ModuleList(losses)

    def forward(self, *args) -> Tensor:
        return sum(loss(*args) for loss in self.losses)  # type: ignore[return-value]


class WeightedSum(nn.Module):
    """Σₖ wₖ · lossₖ(...), weights normalised to sum to 1 (several style targets)."""

    def __init__(self, losses: Sequence[nn.Module], weights: Sequence[float]) -> None:
        super().__init__()
        self.losses = nn.ModuleList(losses)
        self.weights = shares.normalise(weights)

    def forward(self, *args) -> Tensor:
        return sum(w * loss(*args) for w, loss in zip(self.weights, self.losses))  # type: ignore[return-value]


def mean_gram(grams: Sequence[Tensor], weights: Sequence[float]) -> Tensor:
    """The weighted mean Gram Σₖ wₖ Tₖ (weights normalised): what a weighted sum optimises toward."""
    return sum(w * g for w, g in zip(shares.normalise(weights), grams))


def style_term(
    targets: Sequence[Mapping[str, Tensor]],
    weights: Sequence[float],
    layer_weights: Mapping[str, float],
) -> SumLoss:
    """Σ_layers λ_l Σₖ wₖ ‖gram(F_l) − Tₖ,l‖² / ‖T̄_l‖², with λ normalised to sum to 1."""
    lam = dict(zip(layer_weights, shares.normalise(list(layer_weights.values()))))
    per_layer = []
    for layer, lam_l in lam.items():
        grams = [t[layer] for t in targets]
        scale = relative_scale(mean_gram(grams, weights))  # shared by every target of this layer
        blend = WeightedSum([StyleLoss(g, scale) for g in grams], weights)
        per_layer.append(Scale(LayerApply(blend, layer), lam_l))
    return SumLoss(per_layer)


def content_term(targets: Mapping[str, Tensor]) -> SumLoss:
    """The mean over content layers of the relative content loss."""
    n = len(targets)
    return SumLoss([Scale(LayerApply(ContentLoss(t), layer), 1.0 / n) for layer, t in targets.items()])


class Objective(nn.Module):
    """images [B,3,H,W] -> (per-image totals [B], {"content", "style", "tv": [B] weighted terms}).

    One feature-net pass serves the whole batch; image i is judged by its own
    terms (``terms[i]``, or the one mapping for every image), so images with
    different photos and targets can be optimised together.
    """

    def __init__(self, net: nn.Module, terms: Mapping[str, nn.Module] | Sequence[Mapping[str, nn.Module]]) -> None:
        super().__init__()
        self.net = net
        per_image = [terms] if isinstance(terms, Mapping) else list(terms)
        self.terms = nn.ModuleList(nn.ModuleDict(dict(t)) for t in per_image)

    def forward(self, images: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        features = self.net(images)
        if len(self.terms) == 1:
            parts = {name: term(features, images) for name, term in self.terms[0].items()}
            return sum(parts.values()), parts  # type: ignore[return-value]
        if len(self.terms) != images.shape[0]:
            raise ValueError(f"{images.shape[0]} images for {len(self.terms)} sets of terms")
        split = {layer: f.split(1) for layer, f in features.items()}  # views; their gradients are concatenated once
        rows = [{name: term({k: v[i] for k, v in split.items()}, image) for name, term in terms.items()}
                for i, (terms, image) in enumerate(zip(self.terms, images.split(1)))]
        parts = {name: torch.cat([row[name] for row in rows]) for name in rows[0]}
        return sum(parts.values()), parts  # type: ignore[return-value]


def batched(objectives: Sequence[Objective]) -> Objective:
    """Several one-image objectives over the same network as one objective over their batch."""
    return Objective(objectives[0].net, [o.terms[0] for o in objectives])


def build_objective(
    net: nn.Module,
    content_features: Mapping[str, Tensor],
    style_targets: Sequence[Mapping[str, Tensor]],
    style_weights: Sequence[float],
    layer_weights: Mapping[str, float],
    *,
    content_weight: float,
    style_weight: float,
    tv_weight: float,
) -> Objective:
    """content_weight·content + style_weight·style + tv_weight·TV, each term normalised as above."""
    terms = {
        "content": Scale(content_term(content_features), content_weight),
        "style": Scale(style_term(style_targets, style_weights, layer_weights), style_weight),
        "tv": Scale(ImageApply(TVLoss()), tv_weight),
    }
    return Objective(net, terms)


class TemporalLoss(nn.Module):
    """Σ c·(x − w)² / (3·Σ c): keep a video frame close to the previous painted frame ``w`` warped
    into it, over the pixels ``c`` the optical flow trusts (Ruder, Dosovitskiy & Brox 2016).

    ``target`` [1,3,H,W] is the warped previous frame and ``mask`` [1,1,H,W] is 1 where the
    forward-backward flow check passed, 0 at occlusions and motion the flow got wrong. A mean over
    the trusted pixels (not a sum, as Ruder et al. write it) keeps one weight right at any size.
    """

    def __init__(self, target: Tensor, mask: Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target.detach())
        self.register_buffer("mask", mask.detach())
        self.count = float(mask.sum()) * target.shape[1] + EPS

    def forward(self, image: Tensor) -> Tensor:
        return ((image - self.target).pow(2) * self.mask).flatten(1).sum(1) / self.count  # [B]


def with_temporal(objective: Objective, loss: TemporalLoss, weight: float) -> Objective:
    """A one-image objective plus ``weight`` × the temporal term, reported as the ``temporal`` part."""
    terms = dict(objective.terms[0].items())
    terms["temporal"] = Scale(ImageApply(loss), weight)
    return Objective(objective.net, terms)
