"""Cache keys for style targets: one sha256 over everything that changes a target.

A style target (the Gram matrices of a style image, Gatys et al. 2015) is a
pure function of the image's pixels and of the way they reach the network:
the weights, the layers read, the pooling, the size the image is resized to,
the colour transform applied first, and the preprocessing code itself. The key
is the sha256 of a canonical JSON document (sorted keys, no whitespace) of
exactly those inputs, so two requests share an entry if and only if they would
compute the same tensors. Anything that is not in the key must not change a
target; anything that does must be in it (bump :data:`KEY_VERSION` when this
module's own layout changes).

Colour transforms that read the *content* image (Reinhard et al. 2001 transfer
of the style to the content's lαβ statistics, luminance matching) make a
target depend on that content: their keys carry the content's colour
statistics exactly, as the hex of their float32 bytes, so a different photo
(or the same photo at another size) never reuses them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch

KEY_VERSION = 1


def exact_stats(stats: torch.Tensor | None) -> str | None:
    """The exact bytes of a statistics tensor (float32, CPU) as hex; None stays None."""
    if stats is None:
        return None
    return stats.detach().to("cpu", torch.float32).contiguous().numpy().tobytes().hex()


def canonical_json(document: Mapping[str, Any]) -> str:
    """JSON with sorted keys and no whitespace: equal documents give equal text."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


@dataclass(frozen=True)
class TargetSpec:
    """Everything that changes a per-image style target, in plain values.

    ``color`` names the transform applied to the style image before its
    targets are computed (``none`` for the work's own palette); ``color_stats``
    is the exact content statistics that transform reads, or None when it
    reads none.
    """

    image_sha256: str
    weights_identity: str
    layers: Sequence[str]
    pooling: str
    style_size: int  # longest side in pixels, after --style-scale
    color: str
    preprocess_version: int
    color_stats: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {
            "v": KEY_VERSION,
            "image": self.image_sha256,
            "weights": self.weights_identity,
            "layers": list(self.layers),  # order kept: it is the order targets are listed in
            "pooling": self.pooling,
            "style_size": int(self.style_size),
            "color": self.color,
            "color_stats": self.color_stats,
            "preprocess": int(self.preprocess_version),
            "extra": dict(self.extra),
        }

    @property
    def key(self) -> str:
        return sha256_of(self.document())


def sha256_of(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document).encode("ascii")).hexdigest()


def aggregate_key(member_keys: Sequence[str], weights: Sequence[float]) -> str:
    """The key of a weighted mean of entries: the members' keys and their exact weights."""
    members = sorted(zip(member_keys, (float(w).hex() for w in weights)))
    return sha256_of({"v": KEY_VERSION, "kind": "aggregate", "members": members})
