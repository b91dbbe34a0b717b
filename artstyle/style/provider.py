"""Style targets through the cache: what ``paint``, ``batch`` and ``cache build`` call.

:func:`cached_style_targets` has the shape of
:func:`artstyle.style.targets.compute_style_targets` plus the identity of each style
image, and returns the same tensors: a hit skips decoding the image and the
VGG-19 forward pass (Gatys et al. 2015) entirely; a miss computes through
``compute_style_targets`` (the only place style Grams are computed) and
stores the result. float32 entries round-trip bit for bit, so a cached run
paints exactly what an uncached run paints.

:func:`build_cache` fills the cache for whole artists, batching works whose
prepared images have the same size through the network;
:func:`artist_aggregate` stores the weighted mean of an artist's works (the
seed paper's "mean of many works" experiment; Mu & Francl 2015).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import sqlite_utils
import torch
from torch import Tensor

from artstyle.style.cache import KIND_IMAGE, KIND_PALETTE, KIND_WORK, StyleCache, cached_aggregate
from artstyle.style.key import TargetSpec, exact_stats
from artstyle.style.entries import CorruptEntry, read_entry
from artstyle.corpus.catalog import open_catalog, query_works, resolve_artist
from artstyle.core.color import ColorMode, lab_stats
from artstyle.errors import InputError, NotFoundError
from artstyle.core.features import FeatureNet
from artstyle.core.recolor import mixture_stats
from artstyle.files import decode_image, load_image, sha256_bytes, sha256_file
from artstyle.settings import Settings
from artstyle.style.targets import TargetConfig, compute_style_targets, prepare_style

log = logging.getLogger(__name__)

Targets = dict[str, Tensor]  # layer -> Gram [C, C]
PALETTE = "lab_stats"  # the one tensor of a palette entry: lαβ mean and deviation [2, 3]


@dataclass(frozen=True)
class StyleSource:
    """One style image: where its pixels are, their sha256, and its work id when catalogued."""

    path: Path
    sha256: str
    work_id: str | None = None
    artist: str | None = None

    @classmethod
    def from_file(cls, path: Path | str) -> "StyleSource":
        """An explicit style image (``--style-image``), hashed now."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path} does not exist", hint="check the path and try again")
        return cls(path=path, sha256=sha256_file(path))

    @classmethod
    def from_work(cls, home: Path, work: dict) -> "StyleSource":
        """A catalogued, downloaded work (a ``works`` row); trusts the catalog's sha256."""
        if work.get("status") != "downloaded" or not work.get("local_path") or not work.get("sha256"):
            raise NotFoundError(
                f"work {work['id']} has no downloaded image", hint=f"run `artstyle corpus download {work['artist']}` first"
            )
        return cls(path=Path(home) / work["local_path"], sha256=work["sha256"], work_id=work["id"], artist=work["artist"])


def style_transform(config: TargetConfig, stats: Tensor | None) -> str:
    """The colour transform ``prepare_style`` will apply: a content-dependent mode, or ``none``."""
    color = ColorMode(config.color)
    if stats is not None and color in (ColorMode.reinhard, ColorMode.luminance):
        return color.value
    return "none"  # the work's own palette: shared by every content photo


def target_spec(net: FeatureNet, source: StyleSource, config: TargetConfig, stats: Tensor | None) -> TargetSpec:
    """The cache key inputs for one style image (weights and pooling read from the net itself)."""
    transform = style_transform(config, stats)
    return TargetSpec(
        image_sha256=source.sha256,
        weights_identity=net.weights_identity,
        layers=tuple(config.layers),
        pooling=net.pooling.value,
        style_size=config.effective_size,
        color=transform,
        preprocess_version=config.preprocess_version,
        color_stats=exact_stats(stats) if transform != "none" else None,
    )


def _read_style(source: StyleSource):
    """Decode a style image, checking that its bytes are still the ones the key names."""
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read style image {source.path}: {exc.strerror}", hint="check the file, or run `artstyle corpus verify`") from exc
    if sha256_bytes(data) != source.sha256:
        raise InputError(
            f"style image {source.path} changed since it was catalogued (sha256 differs)",
            hint="run `artstyle corpus verify` to re-check the corpus",
        )
    return decode_image(data, name=str(source.path))


def _prepared(sources: Sequence[StyleSource], config: TargetConfig, stats: Tensor | None, device) -> list[Tensor]:
    return [prepare_style(_read_style(s), config, stats, device) for s in sources]  # each [1,3,h,w]


def _compute_grouped(net: FeatureNet, images: Sequence[Tensor], layers: Sequence[str], batch_size: int) -> list[Targets]:
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


def _config_document(spec: TargetSpec, source: StyleSource) -> dict:
    return {**spec.document(), "artist": source.artist, "path": str(source.path)}


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
    specs = [target_spec(net, s, config, stats) for s in sources]
    found = [cache.get(spec.key) for spec in specs]
    missing = [i for i, hit in enumerate(found) if hit is None]
    if missing:
        images = _prepared([sources[i] for i in missing], config, stats, next(net.parameters()).device)
        for i, targets in zip(missing, _compute_grouped(net, images, config.layers, batch_size)):
            source = sources[i]
            kind = KIND_WORK if source.work_id else KIND_IMAGE
            found[i] = cache.put(specs[i].key, targets, work_id=source.work_id, kind=kind, config=_config_document(specs[i], source))
    return found  # type: ignore[return-value]


def palette_spec(source: StyleSource, config: TargetConfig) -> TargetSpec:
    """Key inputs of a work's own lαβ statistics at the style size (no network involved)."""
    return TargetSpec(
        image_sha256=source.sha256, weights_identity="-", layers=(PALETTE,), pooling="-",
        style_size=config.effective_size, color="palette", preprocess_version=config.preprocess_version,
    )


def cached_palettes(sources: Sequence[StyleSource], config: TargetConfig, *, cache: StyleCache) -> list[Tensor]:
    """Each source's lαβ mean and deviation [1,2,3] as ``prepare_style`` sees it, through the cache.

    ``reinhard-inverse`` recolours the content to this palette; caching it
    keeps a hit free of image decoding.
    """
    out = []
    for source in sources:
        spec = palette_spec(source, config)

        def compute(source=source) -> Targets:
            image = prepare_style(_read_style(source), config, None, cache.device)  # [1,3,h,w], own palette
            return {PALETTE: lab_stats(image)[0]}  # [2,3]

        entry = cache.get_or_compute(spec.key, compute, work_id=source.work_id, kind=KIND_PALETTE,
                                     config=_config_document(spec, source))
        out.append(entry[PALETTE][None])
    return out


class CachedTargets:
    """The target provider ``paint`` uses: ``provider(pick, config, stats, net)`` through the cache.

    Built once per request on the data home of ``settings``; the device LRU
    behind it is the process-wide one, so a batch of requests shares it.
    """

    def __init__(self, settings: Settings, device: torch.device | str) -> None:
        self.home = Path(settings.home)
        self.cache = StyleCache(self.home, open_catalog(settings.catalog_path), device)

    def __call__(self, pick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> Targets:
        if getattr(pick, "members", ()):  # an artist aggregate: one stored weighted-mean entry
            sources = [self.source(m) for m in pick.members]
            return artist_aggregate(net, self.cache, sources, config, artist=pick.artist,
                                    weights=[m.weight for m in pick.members], stats=stats)
        return cached_style_targets(net, [self.source(pick)], config, stats, cache=self.cache)[0]

    def palette(self, pick, config: TargetConfig) -> Tensor:
        """The pick's own lαβ statistics [1,2,3] (for ``--color reinhard-inverse``).

        An aggregate's palette is that of the weighted pixel mixture of its
        members (``recolor.mixture_stats``), exactly what a blend of them gets.
        """
        if getattr(pick, "members", ()):
            palettes = cached_palettes([self.source(m) for m in pick.members], config, cache=self.cache)
            return mixture_stats(palettes, [m.weight for m in pick.members])
        return cached_palettes([self.source(pick)], config, cache=self.cache)[0]

    @staticmethod
    def source(pick) -> StyleSource:
        """A sampler ``StylePick`` (catalogued work or explicit file) as a StyleSource."""
        path = Path(pick.path)
        catalogued = pick.artist is not None and pick.sha256
        return StyleSource(path=path, sha256=pick.sha256 or sha256_file(path),
                           work_id=pick.work_id if catalogued else None, artist=pick.artist)


def palette_of(provider, pick, config: TargetConfig, device: torch.device | str) -> Tensor:
    """A pick's own palette through ``provider.palette`` when it has one, else computed from the image."""
    if hasattr(provider, "palette"):
        return provider.palette(pick, config)
    if getattr(pick, "members", ()):  # an aggregate: the palette of its members' pixel mixture
        palettes = [palette_of(provider, m, config, device) for m in pick.members]
        return mixture_stats(palettes, [m.weight for m in pick.members])
    return lab_stats(prepare_style(load_image(pick.path), config, None, device))


# --- cache build --------------------------------------------------------------------------


@dataclass
class BuildReport:
    artists: list[str] = field(default_factory=list)
    works: int = 0
    built: int = 0
    skipped: int = 0  # already cached and intact
    failed: list[tuple[str, str]] = field(default_factory=list)  # (work id, reason)
    aggregates: list[str] = field(default_factory=list)  # keys


def artist_sources(db: sqlite_utils.Database, home: Path, artist: str, **filters) -> list[StyleSource]:
    """The downloaded, non-duplicate works of an artist (filters: style, genre, years) as sources."""
    slug = resolve_artist(db, artist)["slug"]
    works = query_works(db, slug, statuses=["downloaded"], include_duplicates=False, **filters)
    if not works:
        raise NotFoundError(f"artist {slug!r} has no downloaded works" + (" matching the filters" if filters else ""),
                            hint=f"run `artstyle corpus add {slug}` (or loosen the filters)")
    return [StyleSource.from_work(home, w) for w in works]


def _intact(cache: StyleCache, key: str) -> bool:
    """True when the entry exists, checks out, and was written with this cache's options."""
    if cache.stored_options(key) != cache.options:
        return False
    try:
        read_entry(cache.path_of(key), key)
        return True
    except CorruptEntry:
        return False


def default_batch_size(device: torch.device | str) -> int:
    """Works per forward pass in ``cache build``: 1 on the CPU, 8 on an accelerator.

    On the CPU a batch brings no throughput (the convolutions already use
    every core: 2.1 works/s at 256 px for batch sizes 1, 2 and 4 on the
    reference machine) and changes float rounding (by up to 2e-7), so
    building one work at a time keeps entries bit-identical to what an
    uncached ``paint`` computes.
    """
    return 1 if torch.device(device).type == "cpu" else 8


def build_cache(
    net: FeatureNet,
    db: sqlite_utils.Database,
    cache: StyleCache,
    artists: Sequence[str],
    config: TargetConfig,
    *,
    batch_size: int | None = None,
    aggregate: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_work: Callable[[StyleSource, str], None] | None = None,
) -> BuildReport:
    """Compute and store the own-palette targets (and lαβ palette) of every downloaded work of ``artists``.

    Only content-independent targets can be prebuilt (colour transform
    ``none``, which ``--color none`` and ``--color reinhard-inverse`` read);
    ``on_start(total)`` then ``on_work(source, 'built'|'cached'|'failed')``
    report progress. With ``aggregate``, each artist's mean entry is stored too.
    """
    report = BuildReport()
    batch_size = batch_size or default_batch_size(cache.device)
    per_artist = {}
    for name in artists:
        sources = artist_sources(db, cache.home, name)
        per_artist[sources[0].artist] = sources
    report.artists = list(per_artist)
    everything = [s for sources in per_artist.values() for s in sources]
    report.works = len(everything)
    if on_start:
        on_start(report.works)
    todo = []
    for source in everything:
        if _intact(cache, target_spec(net, source, config, None).key) and _intact(cache, palette_spec(source, config).key):
            report.skipped += 1
            on_work and on_work(source, "cached")
        else:
            todo.append(source)
    for start in range(0, len(todo), batch_size * 4):  # decode a few batches' worth at a time
        _build_chunk(net, cache, todo[start : start + batch_size * 4], config, batch_size, report, on_work)
    if aggregate:
        for slug, sources in per_artist.items():
            artist_aggregate(net, cache, sources, config, artist=slug)
            report.aggregates.append(slug)
    return report


def _build_chunk(net, cache, sources, config, batch_size, report, on_work) -> None:
    readable, images = [], []
    device = next(net.parameters()).device
    for source in sources:
        try:
            images.append(prepare_style(_read_style(source), config, None, device))
            readable.append(source)
        except InputError as exc:
            log.warning("skipping %s: %s", source.work_id, exc.message)
            report.failed.append((source.work_id or str(source.path), exc.message))
            on_work and on_work(source, "failed")
    for source, image, targets in zip(readable, images, _compute_grouped(net, images, config.layers, batch_size)):
        spec = target_spec(net, source, config, None)
        cache.put(spec.key, targets, work_id=source.work_id, kind=KIND_WORK, config=_config_document(spec, source), resident=False)
        spec = palette_spec(source, config)
        cache.put(spec.key, {PALETTE: lab_stats(image)[0]}, work_id=source.work_id, kind=KIND_PALETTE,
                  config=_config_document(spec, source), resident=False)
        report.built += 1
        on_work and on_work(source, "built")


def artist_aggregate(
    net: FeatureNet,
    cache: StyleCache,
    sources: Sequence[StyleSource],
    config: TargetConfig,
    *,
    artist: str,
    weights: Sequence[float] | None = None,
    stats: Tensor | None = None,
) -> Targets:
    """The weighted mean (default: plain mean) of the sources' targets, as one entry.

    Streamed: one work's Grams are read (or computed) at a time. With content
    ``stats`` (``--color reinhard``) the members, and so the aggregate's key,
    are those of the content's palette.
    """
    weights = list(weights) if weights is not None else [1.0] * len(sources)
    specs = [target_spec(net, s, config, stats) for s in sources]
    by_key = {spec.key: source for spec, source in zip(specs, sources)}

    def member(key: str) -> Targets:
        return cached_style_targets(net, [by_key[key]], config, stats, cache=cache)[0]

    document = {"artist": artist, "layers": list(config.layers), "pooling": net.pooling.value,
                "style_size": config.effective_size, "weights_identity": net.weights_identity}
    return cached_aggregate(cache, [s.key for s in specs], weights, member, config=document)
