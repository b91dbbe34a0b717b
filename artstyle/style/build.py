"""``cache build``: fill the style cache for whole artists ahead of any request.

Only content-independent targets can be prebuilt (colour transform ``none``,
which ``--color none`` and the default ``--color reinhard-inverse`` read), so a
build stores, per downloaded work, its own-palette Gram matrices (Gatys et al.
2015) and its lαβ palette, batching works whose prepared images have the same
size through the network; with ``aggregate``, each artist's mean entry too
(Mu & Francl 2015). :func:`build` is the whole command given the settings
(catalog, device, feature net); :func:`build_cache` the same on a net, catalog
and cache the caller already holds. Its own module because it is the one bulk writer: it
resolves artists in the catalog, skips intact entries and keeps the device
LRU out of it, none of which a single request needs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import sqlite_utils
import torch

from artstyle.core.device import resolve_device
from artstyle.core.features import DEFAULT_STYLE_LAYERS, FeatureNet, Pooling, check_layers, load_feature_net
from artstyle.corpus.catalog import open_catalog, query_works, resolve_artist
from artstyle.errors import InputError, NotFoundError
from artstyle.settings import Settings
from artstyle.style.aggregates import artist_aggregate
from artstyle.style.cache import KIND_PALETTE, KIND_WORK, StyleCache, check_cache_dir
from artstyle.style.config import TargetConfig
from artstyle.style.entries import StoreOptions
from artstyle.style.sources import StyleSource, Targets, grouped_style_targets, own_palette
from artstyle.style.targets import prepare_style

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    artists: list[str] = field(default_factory=list)
    works: int = 0
    built: int = 0
    skipped: int = 0  # already cached and intact
    failed: list[tuple[str, str]] = field(default_factory=list)  # (work id, reason)
    aggregates: list[str] = field(default_factory=list)  # artist slugs


Computed = tuple[StyleSource, "Targets | None", "Targets | None", "str | None"]  # (source, targets, palette, reason)


class TargetComputer(Protocol):
    """Where ``cache build`` computes targets: here (:func:`local_targets`) or on Ray actors
    (``RayExecutor.style_targets``). Either way this module writes the entries."""

    def __call__(self, net: FeatureNet, sources: Sequence[StyleSource], config: TargetConfig, batch_size: int) -> Iterator[Computed]: ...


def local_targets(net: FeatureNet, sources: Sequence[StyleSource], config: TargetConfig, batch_size: int) -> Iterator[Computed]:
    """Own-palette targets and palette per source, in this process, a few batches' worth decoded at a time."""
    device = next(net.parameters()).device
    for start in range(0, len(sources), batch_size * 4):
        readable, images = [], []
        for source in sources[start : start + batch_size * 4]:
            try:
                images.append(prepare_style(source.read(), config, None, device))
                readable.append(source)
            except InputError as exc:
                yield source, None, None, exc.message
        for source, image, targets in zip(readable, images, grouped_style_targets(net, images, config.layers, batch_size)):
            yield source, targets, own_palette(image), None


def artist_sources(db: sqlite_utils.Database, home: Path, artist: str, **filters) -> list[StyleSource]:
    """The downloaded, non-duplicate works of an artist (filters: style, genre, years) as sources."""
    slug = resolve_artist(db, artist)["slug"]
    works = query_works(db, slug, statuses=["downloaded"], include_duplicates=False, **filters)
    if not works:
        raise NotFoundError(f"artist {slug!r} has no downloaded works" + (" matching the filters" if filters else ""),
                            hint=f"run `artstyle corpus add {slug}` (or loosen the filters)")
    return [StyleSource.from_work(home, w) for w in works]


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
    compute: TargetComputer | None = None,
) -> BuildReport:
    """Compute and store the own-palette targets (and lαβ palette) of every downloaded work of ``artists``.

    ``on_start(total)`` then ``on_work(source, 'built'|'cached'|'failed')``
    report progress. With ``aggregate``, each artist's mean entry is stored too.
    ``compute`` computes the targets (default :func:`local_targets`); the
    entries are written here either way.
    """
    config = config.for_net(net)
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
        if cache.intact(config.target_key(source.sha256)) and cache.intact(config.palette_key(source.sha256)):
            report.skipped += 1
            if on_work:
                on_work(source, "cached")
        else:
            todo.append(source)
    for computed in (compute or local_targets)(net, todo, config, batch_size):
        _store(cache, config, computed, report, on_work)
    if aggregate:
        for slug, sources in per_artist.items():
            artist_aggregate(net, cache, sources, config, artist=slug)
            report.aggregates.append(slug)
    return report


def _store(cache: StyleCache, config: TargetConfig, computed: Computed, report: BuildReport, on_work) -> None:
    """Write one work's target and palette entries, or record why it could not be computed."""
    source, targets, palette, reason = computed
    if reason is not None:
        log.warning("skipping %s: %s", source.work_id, reason)
        report.failed.append((source.work_id or str(source.path), reason))
    else:
        sha = source.sha256
        cache.put(config.target_key(sha), targets, work_id=source.work_id, kind=KIND_WORK,
                  config=source.entry_config(config.target_document(sha)), resident=False)
        cache.put(config.palette_key(sha), palette, work_id=source.work_id, kind=KIND_PALETTE,
                  config=source.entry_config(config.palette_document(sha)), resident=False)
        report.built += 1
    if on_work:
        on_work(source, "failed" if reason is not None else "built")


def build(
    settings: Settings,
    artists: Sequence[str],
    *,
    size: int = TargetConfig.style_size,
    style_scale: float = TargetConfig.style_scale,
    layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
    pooling: Pooling | str = Pooling.max,
    fp16: bool = False,
    triangle: bool = False,
    aggregate: bool = False,
    batch_size: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_work: Callable[[StyleSource, str], None] | None = None,
    compute: TargetComputer | None = None,
) -> BuildReport:
    """``artstyle cache build``: the catalog, device and feature net of ``settings``, then :func:`build_cache`.

    ``size`` × ``style_scale`` is the style size (as ``paint --size`` and
    ``--style-scale``); ``fp16`` and ``triangle`` say how entries are stored
    (:class:`~artstyle.style.entries.StoreOptions`). A missing catalog, an
    unknown layer, an unknown artist or a cache folder that is a file raises
    before any work is done. ``compute`` is where targets are computed (``--executor ray``: on actors).
    """
    db = open_catalog(settings.catalog_path, create=False)
    check_cache_dir(settings.home)
    try:
        device = resolve_device(settings.device)
        config = TargetConfig(layers=check_layers(tuple(layers)), style_size=size, style_scale=style_scale, pooling=Pooling(pooling))
        net = load_feature_net(settings.weights, config.layers, config.pooling, device)
        cache = StyleCache(settings.home, db, device, options=StoreOptions(fp16=fp16, triangle=triangle))
        return build_cache(net, db, cache, artists, config, batch_size=batch_size, aggregate=aggregate,
                           on_start=on_start, on_work=on_work, compute=compute)
    finally:
        db.conn.close()
