"""What changes a style target, and the cache key that names it: :class:`TargetConfig`.

A style target (the Gram matrices of a style image, Gatys et al. 2015) is a
pure function of the image's pixels and of the way they reach the network:
the weights, the layers read, the pooling, the size the image is resized to
(``style_size × style_scale``, longest side: resizing the style image changes
the scale of the features it contributes), the colour transform applied first,
and the preprocessing code itself (:data:`artstyle.style.targets.PREPROCESS_VERSION`).
:class:`TargetConfig` holds exactly those inputs besides the pixels, so one
type answers both "what do I compute" and "what is it called in the cache".

The key is the sha256 of a canonical JSON document (sorted keys, no
whitespace) of those inputs, so two requests share an entry if and only if
they would compute the same tensors. Anything that is not in the key must not
change a target; anything that does must be in it (bump :data:`KEY_VERSION`
when the document's own layout changes). The documents, and so the keys of
existing caches, are byte for byte those of the earlier ``TargetSpec``
(``tests/test_cache_store.py`` pins them).

Colour transforms that read the *content* image (Reinhard et al. 2001 transfer
of the style to the content's lαβ statistics, luminance matching) make a
target depend on that content: their keys carry the content's colour
statistics exactly, as the hex of their float32 bytes, so a different photo
(or the same photo at another size) never reuses them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import torch

from artstyle.core.color import ColorMode
from artstyle.core.features import DEFAULT_STYLE_LAYERS, Pooling
from artstyle.style.targets import PREPROCESS_VERSION

if TYPE_CHECKING:
    from artstyle.core.features import FeatureNet

KEY_VERSION = 1
PALETTE = "lab_stats"  # the one tensor of a palette entry: lαβ mean and deviation [2, 3]


@dataclass(frozen=True)
class TargetConfig:
    """Everything besides the pixels (and content colour statistics) that changes a style target."""

    layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS
    pooling: Pooling = Pooling.max
    style_size: int = 512  # longest side in pixels before style_scale
    style_scale: float = 1.0
    color: ColorMode = ColorMode.reinhard_inverse  # the product default (PaintOptions.color reads it)
    weights_identity: str = ""
    preprocess_version: int = PREPROCESS_VERSION

    @property
    def effective_size(self) -> int:
        """Longest side the style image is resized to."""
        return max(1, round(self.style_size * self.style_scale))

    def as_dict(self) -> dict:
        """Plain JSON-able values (for provenance)."""
        data = asdict(self)
        data.update(layers=list(self.layers), pooling=self.pooling.value, color=self.color.value)
        data["effective_size"] = self.effective_size
        return data

    def for_net(self, net: "FeatureNet") -> "TargetConfig":
        """This config as ``net`` computes it: the weights identity and pooling are read from the net itself."""
        return replace(self, weights_identity=net.weights_identity, pooling=Pooling(net.pooling))

    def transform(self, stats: torch.Tensor | None) -> str:
        """The colour transform ``prepare_style`` applies: a content-dependent mode, or ``none``."""
        color = ColorMode(self.color)
        if stats is not None and color in (ColorMode.reinhard, ColorMode.luminance):
            return color.value
        return "none"  # the work's own palette: shared by every content photo

    def target_document(self, image_sha256: str, stats: torch.Tensor | None = None) -> dict[str, Any]:
        """The key document of one image's targets under this config and content ``stats``."""
        transform = self.transform(stats)
        return _document(
            image_sha256, self.weights_identity, self.layers, self.pooling.value, self.effective_size, transform,
            exact_stats(stats) if transform != "none" else None, self.preprocess_version,
        )

    def target_key(self, image_sha256: str, stats: torch.Tensor | None = None) -> str:
        return sha256_of(self.target_document(image_sha256, stats))

    def palette_document(self, image_sha256: str) -> dict[str, Any]:
        """The key document of an image's own lαβ statistics at the style size (no network involved)."""
        return _document(image_sha256, "-", (PALETTE,), "-", self.effective_size, "palette", None, self.preprocess_version)

    def palette_key(self, image_sha256: str) -> str:
        return sha256_of(self.palette_document(image_sha256))


def _document(image_sha256: str, weights: str, layers: Sequence[str], pooling: str, style_size: int, color: str,
              color_stats: str | None, preprocess: int) -> dict[str, Any]:
    return {
        "v": KEY_VERSION,
        "image": image_sha256,
        "weights": weights,
        "layers": list(layers),  # order kept: it is the order targets are listed in
        "pooling": pooling,
        "style_size": int(style_size),
        "color": color,
        "color_stats": color_stats,
        "preprocess": int(preprocess),
        "extra": {},
    }


def exact_stats(stats: torch.Tensor | None) -> str | None:
    """The exact bytes of a statistics tensor (float32, CPU) as hex; None stays None."""
    if stats is None:
        return None
    return stats.detach().to("cpu", torch.float32).contiguous().numpy().tobytes().hex()


def canonical_json(document: Mapping[str, Any]) -> str:
    """JSON with sorted keys and no whitespace: equal documents give equal text."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def sha256_of(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document).encode("ascii")).hexdigest()


def aggregate_key(member_keys: Sequence[str], weights: Sequence[float]) -> str:
    """The key of a weighted mean of entries: the members' keys and their exact weights."""
    members = sorted(zip(member_keys, (float(w).hex() for w in weights)))
    return sha256_of({"v": KEY_VERSION, "kind": "aggregate", "members": members})
