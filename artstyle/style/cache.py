"""The style cache: per-work style targets computed once, kept on disk and on the device.

Gatys et al. (2015) describe a style by the Gram matrices of a VGG-19's
feature maps; for a given network and preprocessing they are a pure function
of the style image, so a whole artist's corpus can be processed once
(``artstyle cache build``) and every later ``paint`` or batch request skips the
style images' forward passes. The pieces, one module each:

- :mod:`artstyle.style.config`: :class:`TargetConfig` and the key, a sha256 over
  everything that changes a target (image sha256, weights identity, layers,
  pooling, style size, colour transform and the exact content statistics it
  reads, preprocessing version);
- :mod:`artstyle.style.entries`: safetensors files with an integrity check;
- :mod:`artstyle.style.residency`: a byte-bounded LRU on the compute device, shared
  by every request in the process;
- this module: :class:`StyleCache` (resident -> disk -> compute, with the
  ``cache_entries`` catalog rows) and the kinds of entry;
- :mod:`artstyle.style.sources`, :mod:`artstyle.style.aggregates`,
  :mod:`artstyle.style.provider`: per-image targets, artist means, and the
  providers ``paint`` calls; :mod:`artstyle.style.build` fills the cache
  ahead of time, :mod:`artstyle.style.maintenance` lists, verifies and clears it.

A corrupt, truncated, mismatched or missing entry is never used: it is logged
as a warning, removed and rebuilt. A cache folder that is a file
(:func:`check_cache_dir`) is never touched: a painting goes on without the
disk cache (the cache only saves time, so it never fails a run), and the
``cache`` commands, whose whole subject it is, refuse with a clear error.

Colour and caching (issue 5 §2). With ``--color reinhard`` as the seed paper
defines it, each style image is recoloured to the photo's lαβ statistics
(Reinhard et al. 2001) before its Grams are computed, so its entries are keyed
by that photo's statistics exactly and every new photo misses. The exact,
cache-friendly variant ``--color reinhard-inverse`` (:mod:`artstyle.core.recolor`)
recolours the photo to the work's palette instead, optimises against the
work's own entry (shared with ``--color none`` and prebuilt by ``cache
build``), and maps the result back with the inverse lαβ map. Measured with
``scripts/compare_color_modes.py`` (2 photos × 4 artists, 128 px, 30
iterations, random weights; ``docs/color-modes.jpg``/``.json``), the
painting's lαβ statistics end closer to the photo's with reinhard-inverse
(median distance 0.077) than with reinhard (0.112; better in 7 of 8 pairs;
``none``: 0.601), and the two paintings differ by 0.04–0.09 mean absolute
pixel value. So ``reinhard-inverse`` is the default (``PaintOptions.color``);
``reinhard`` stays available for the seed paper's exact recipe.

Storage format, measured with ``scripts/bench_cache.py`` for the five default
layers (bytes; load time from disk on the 2-core development CPU, a quick run):
fp32 2.44 MB, 4.5 ms (bit-exact; the default); fp16 1.22 MB, 7 ms (widening
costs more than the smaller read saves); upper triangle 1.22 MB, 6–15 ms (exact,
the mirror costs the time); both 0.61 MB. All are far below the forward pass a
hit saves (1.9 s at 512 px), so the default favours exactness and load speed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Callable, Mapping

import sqlite_utils
import torch

from artstyle.settings import CACHE_DIR
from artstyle.style.entries import CorruptEntry, StoreOptions, Targets, encode_entry, entry_path, read_entry, write_entry
from artstyle.corpus.catalog import now, resolve_artist
from artstyle.errors import StorageError
from artstyle.style.residency import DeviceLRU, shared_lru

log = logging.getLogger(__name__)

KIND_WORK = "work"  # one catalogued work's targets
KIND_IMAGE = "image"  # an explicit style image that is not in the catalog
KIND_AGGREGATE = "aggregate"  # the weighted mean over several entries
KIND_PALETTE = "palette"  # a work's own lαβ colour statistics (for --color reinhard-inverse)


def check_cache_dir(home: Path) -> None:
    """Raise StorageError when ``<home>/cache`` exists but is not a folder (an absent one is made when needed)."""
    cache_dir = Path(home) / CACHE_DIR
    if cache_dir.exists() and not cache_dir.is_dir():
        raise StorageError(
            f"the style cache folder {cache_dir} is a file, not a folder",
            hint="move or delete that file (artstyle leaves it as it is); the cache is made again as a folder when next needed",
        )


class StyleCache:
    """Targets by key: device-resident LRU first, then the verified disk entry, then compute.

    ``db`` is the catalog (for ``cache_entries`` rows); ``options`` says how
    new entries are written (fp32 or fp16, full or upper-triangle). When the
    cache folder is a file, the cache warns once and serves from the device
    LRU and computation only (``on_disk`` is False), leaving the file alone.
    """

    def __init__(
        self,
        home: Path,
        db: sqlite_utils.Database,
        device: torch.device | str = "cpu",
        *,
        options: StoreOptions = StoreOptions(),
        lru: DeviceLRU | None = None,
    ) -> None:
        self.home = Path(home)
        self.db = db
        self.device = torch.device(device)
        self.options = options
        self.lru = lru if lru is not None else shared_lru(self.device)
        self.disk_hits = 0
        self.computed = 0
        self.on_disk = self._disk_usable()

    def _disk_usable(self) -> bool:
        try:
            check_cache_dir(self.home)
        except StorageError as exc:
            log.warning("%s; painting without the style cache (%s)", exc.message, exc.hint)
            return False
        return True

    @property
    def cache_dir(self) -> Path:
        return self.home / CACHE_DIR

    def path_of(self, key: str) -> Path:
        return entry_path(self.cache_dir, key)

    def get(self, key: str) -> Targets | None:
        """The resident or stored targets for ``key`` (on the device), or None on a miss."""
        resident = self.lru.get(key)
        if resident is not None:
            return resident
        targets = self._load(key) if self.on_disk else None
        if targets is None:
            return None
        self.disk_hits += 1
        self._touch(key)
        return self.lru.put(key, targets)

    def get_or_compute(
        self, key: str, compute: Callable[[], Mapping[str, torch.Tensor]], *, work_id: str | None, kind: str, config: Mapping
    ) -> Targets:
        """``get(key)``, or ``compute()`` then store and keep it resident."""
        targets = self.get(key)
        if targets is not None:
            return targets
        return self.put(key, compute(), work_id=work_id, kind=kind, config=config)

    def put(
        self, key: str, targets: Mapping[str, torch.Tensor], *, work_id: str | None, kind: str, config: Mapping, resident: bool = True
    ) -> Targets:
        """Write the entry (atomically) and its catalog row; return the targets as later loads will see them.

        With ``resident`` (the default) they are also kept in the device LRU;
        ``cache build`` passes False so that a long build does not churn it.
        """
        self.computed += 1
        stored = self._as_stored(targets)
        try:
            if self.on_disk:
                self._write(key, targets, work_id=work_id, kind=kind, config=config)
        except (StorageError, OSError, sqlite3.Error) as exc:  # a read-only or full home must not stop a run
            log.warning("cannot store style cache entry %s (%s); going on without it", key[:12], exc)
        return self.lru.put(key, stored) if resident else stored

    def _write(self, key: str, targets: Mapping[str, torch.Tensor], *, work_id: str | None, kind: str, config: Mapping) -> None:
        full_config = {**dict(config), "fp16": self.options.fp16, "triangle": self.options.triangle}
        data = encode_entry(key, targets, self.options, full_config)
        path = self.path_of(key)
        write_entry(path, data)
        stamp = now()
        with self.db.conn:
            self.db["cache_entries"].upsert(
                {
                    "key": key, "work_id": work_id, "kind": kind, "path": str(path.relative_to(self.home)),
                    "bytes": len(data), "config": json.dumps(full_config, sort_keys=True, default=str),
                    "created_at": stamp, "last_used": stamp,
                },
                pk="key",
            )

    def stored_options(self, key: str) -> StoreOptions | None:
        """How the existing entry for ``key`` was written (None when there is none)."""
        row = self._row(key)
        if row is None:
            return None
        config = json.loads(row["config"] or "{}")
        return StoreOptions(fp16=bool(config.get("fp16")), triangle=bool(config.get("triangle")))

    def intact(self, key: str) -> bool:
        """True when the entry exists, checks out, and was written with this cache's options."""
        if self.stored_options(key) != self.options:
            return False
        try:
            read_entry(self.path_of(key), key)
            return True
        except CorruptEntry:
            return False

    def _as_stored(self, targets: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """What a later load of this entry will return: fp16 entries lose precision once, here too.

        For fp32 these are the caller's own tensors, so a first (computing) run
        and a later (loading) run see the same values.
        """
        dtype = self.options.dtype
        return {layer: t.detach().to(dtype).to(torch.float32) for layer, t in targets.items()}

    def _load(self, key: str) -> Targets | None:
        path = self.path_of(key)
        try:
            return read_entry(path, key)
        except CorruptEntry as exc:
            if path.exists() or self._row(key) is not None:
                log.warning("style cache entry %s is unusable (%s); rebuilding it", key[:12], exc)
                self._forget(key)
            return None

    def _row(self, key: str) -> dict | None:
        rows = list(self.db["cache_entries"].rows_where("key = ?", [key]))
        return rows[0] if rows else None

    def _touch(self, key: str) -> None:
        with self.db.conn:
            self.db.conn.execute("UPDATE cache_entries SET last_used = ? WHERE key = ?", [now(), key])

    def _forget(self, key: str) -> None:
        self.lru.discard(key)
        try:
            self.path_of(key).unlink(missing_ok=True)
        except OSError as exc:  # e.g. the folder became a file, or is read-only: the entry stays unused
            log.warning("cannot remove style cache entry %s (%s)", key[:12], exc.strerror or exc)
        with self.db.conn:
            self.db.conn.execute("DELETE FROM cache_entries WHERE key = ?", [key])
