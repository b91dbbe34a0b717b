"""Style images and their per-image targets and palettes, through the cache.

:func:`cached_style_targets` has the shape of
:func:`artstyle.style.targets.compute_style_targets` plus the identity of each
style image, and returns the same tensors: a hit skips decoding the image and
the VGG-19 forward pass (Gatys et al. 2015) entirely; a miss computes through
``compute_style_targets`` (the only place style Grams are computed) and stores
the result. float32 entries round-trip bit for bit, so a cached run paints
exactly what an uncached run paints.

This is the layer both the providers (:mod:`artstyle.style.provider`) and the
aggregates and builds (:mod:`artstyle.style.aggregates`,
:mod:`artstyle.style.build`) stand on; it is its own module so that those can
import it without importing each other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from PIL import Image
from torch import Tensor

from artstyle.core.color import lab_stats
from artstyle.core.features import FeatureNet
from artstyle.errors import InputError, NotFoundError
from artstyle.files import decode_image, sha256_bytes
from artstyle.style.cache import KIND_IMAGE, KIND_PALETTE, KIND_WORK, StyleCache
from artstyle.style.config import PALETTE, TargetConfig
from artstyle.style.targets import compute_style_targets, prepare_style

Targets = dict[str, Tensor]  # layer -> Gram [C, C]


@dataclass(frozen=True)
class StyleSource:
    """One style image: where its pixels are, their sha256, and its work id when catalogued."""

    path: Path
    sha256: str
    work_id: str | None = None
    artist: str | None = None

    @classmethod
    def from_work(cls, home: Path, work: dict) -> "StyleSource":
        """A catalogued, downloaded work (a ``works`` row); trusts the catalog's sha256."""
        if work.get("status") != "downloaded" or not work.get("local_path") or not work.get("sha256"):
            raise NotFoundError(
                f"work {work['id']} has no downloaded image", hint=f"run `artstyle corpus download {work['artist']}` first"
            )
        return cls(path=Path(home) / work["local_path"], sha256=work["sha256"], work_id=work["id"], artist=work["artist"])

    def read(self) -> Image.Image:
        """Decode the image, checking that its bytes are still the ones the key names."""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read style image {self.path}: {exc.strerror}",
                             hint="check the file, or run `artstyle corpus verify`") from exc
        if sha256_bytes(data) != self.sha256:
            raise InputError(
                f"style image {self.path} changed since it was catalogued (sha256 differs)",
                hint="run `artstyle corpus verify` to re-check the corpus",
            )
        return decode_image(data, name=str(self.path))

    def entry_config(self, document: dict[str, Any]) -> dict[str, Any]:
        """What an entry of this image records beside its key document: the artist and the path."""
        return {**document, "artist": self.artist, "path": str(self.path)}


def grouped_style_targets(net: FeatureNet, images: Sequence[Tensor], layers: Sequence[str], batch_size: int) -> list[Targets]:
    """Targets per image, running images of equal size through the net together (batch_size at most)."""
    out: list[Targets | None] = [None] * len(images)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, image in enumerate(images):
        groups[tuple(image.shape[-2:])].append(index)
    for indices in groups.values():
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            batch = torch.cat([images[i] for i in chunk])  # [b,3,h,w]
            for i, targets in zip(chunk, compute_style_targets(net, batch, layers)):
                out[i] = {layer: gram.clone() for layer, gram in targets.items()}  # own storage per entry
    return out  # type: ignore[return-value]


def cached_style_targets(
    net: FeatureNet,
    sources: Sequence[StyleSource],
    config: TargetConfig,
    stats: Tensor | None = None,
    *,
    cache: StyleCache,
    batch_size: int = 1,
) -> list[Targets]:
    """One {layer: Gram [C,C]} per source, as ``compute_style_targets`` would return, via the cache.

    ``stats`` are the content statistics of the colour mode
    (``targets.color_stats(content, config.color)``), or None.
    """
    config = config.for_net(net)
    documents = [config.target_document(s.sha256, stats) for s in sources]
    keys = [config.target_key(s.sha256, stats) for s in sources]
    found = [cache.get(key) for key in keys]
    missing = [i for i, hit in enumerate(found) if hit is None]
    if missing:
        device = next(net.parameters()).device
        images = [prepare_style(sources[i].read(), config, stats, device) for i in missing]  # each [1,3,h,w]
        for i, targets in zip(missing, grouped_style_targets(net, images, config.layers, batch_size)):
            source = sources[i]
            kind = KIND_WORK if source.work_id else KIND_IMAGE
            found[i] = cache.put(keys[i], targets, work_id=source.work_id, kind=kind, config=source.entry_config(documents[i]))
    return found  # type: ignore[return-value]


def own_palette(image: Tensor) -> Targets:
    """A palette entry's tensors: the prepared image's lαβ mean and deviation [2,3]."""
    return {PALETTE: lab_stats(image)[0]}


def cached_palettes(sources: Sequence[StyleSource], config: TargetConfig, *, cache: StyleCache) -> list[Tensor]:
    """Each source's lαβ mean and deviation [1,2,3] as ``prepare_style`` sees it, through the cache.

    ``reinhard-inverse`` recolours the content to this palette; caching it
    keeps a hit free of image decoding.
    """
    out = []
    for source in sources:

        def compute(source=source) -> Targets:
            return own_palette(prepare_style(source.read(), config, None, cache.device))  # [1,3,h,w], own palette

        entry = cache.get_or_compute(config.palette_key(source.sha256), compute, work_id=source.work_id, kind=KIND_PALETTE,
                                     config=source.entry_config(config.palette_document(source.sha256)))
        out.append(entry[PALETTE][None])
    return out
