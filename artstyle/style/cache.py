"""The style cache: per-work style targets computed once, kept on disk and on the device.

Gatys et al. (2015) describe a style by the Gram matrices of a VGG-19's
feature maps; for a given network and preprocessing they are a pure function
of the style image, so a whole artist's corpus can be processed once
(``artstyle cache build``) and every later ``paint`` or batch request skips the
style images' forward passes. The pieces, one module each:

- :mod:`artstyle.style.key`: the key, a sha256 over everything that changes a
  target (image sha256, weights identity, layers, pooling, style size,
  colour transform and the exact content statistics it reads, preprocessing
  version);
- :mod:`artstyle.style.entries`: safetensors files with an integrity check;
- :mod:`artstyle.style.residency`: a byte-bounded LRU on the compute device, shared
  by every request in the process;
- this module: :class:`StyleCache` (resident -> disk -> compute, with the
  ``cache_entries`` catalog rows), streamed artist aggregates, and the
  library side of ``artstyle cache list|verify|clear``.

A corrupt, truncated, mismatched or missing entry is never used: it is logged
as a warning, removed and rebuilt.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import sqlite_utils
import torch

from artstyle.style.key import aggregate_key
from artstyle.style.entries import CorruptEntry, StoreOptions, Targets, encode_entry, entry_path, read_entry, write_entry
from artstyle.corpus.catalog import now, resolve_artist
from artstyle.errors import StorageError
from artstyle.style.residency import DeviceLRU, all_shared, shared_lru

log = logging.getLogger(__name__)

KIND_WORK = "work"  # one catalogued work's targets
KIND_IMAGE = "image"  # an explicit style image that is not in the catalog
KIND_AGGREGATE = "aggregate"  # the weighted mean over several entries
KIND_PALETTE = "palette"  # a work's own lαβ colour statistics (for --color reinhard-inverse)


class StyleCache:
    """Targets by key: device-resident LRU first, then the verified disk entry, then compute.

    ``db`` is the catalog (for ``cache_entries`` rows); ``options`` says how
    new entries are written (fp32 or fp16, full or upper-triangle).
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

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def path_of(self, key: str) -> Path:
        return entry_path(self.cache_dir, key)

    def get(self, key: str) -> Targets | None:
        """The resident or stored targets for ``key`` (on the device), or None on a miss."""
        resident = self.lru.get(key)
        if resident is not None:
            return resident
        targets = self._load(key)
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
        self.path_of(key).unlink(missing_ok=True)
        with self.db.conn:
            self.db.conn.execute("DELETE FROM cache_entries WHERE key = ?", [key])


# --- aggregates -------------------------------------------------------------------------------


def weighted_mean(members: Iterable[tuple[Mapping[str, torch.Tensor], float]]) -> dict[str, torch.Tensor]:
    """Σ w_i G_i / Σ w_i per layer, streamed: one member's Grams in memory at a time.

    Accumulates in float64 on the CPU so that the order of members barely
    matters, then returns float32. For Gram MSE the weighted sum of per-work
    style losses has the same gradient as one loss against this mean (Mu &
    Francl 2015), which is why one aggregate entry can stand for many works.
    """
    total: dict[str, torch.Tensor] = {}
    weight_sum = 0.0
    for targets, weight in members:
        for layer, gram in targets.items():
            term = gram.detach().to("cpu", torch.float64) * float(weight)
            total[layer] = total[layer] + term if layer in total else term
        weight_sum += float(weight)
    if not total or weight_sum <= 0:
        raise ValueError("a weighted mean needs at least one member with positive total weight")
    return {layer: (value / weight_sum).to(torch.float32) for layer, value in total.items()}


def cached_aggregate(
    cache: StyleCache,
    member_keys: Sequence[str],
    weights: Sequence[float],
    member_targets: Callable[[str], Targets],
    *,
    config: Mapping,
) -> Targets:
    """The stored weighted mean of the members' targets, computed (streamed) on a miss.

    ``member_targets(key)`` returns one member's targets (typically through the
    same cache, computing them if needed); members are visited in key order.
    """
    key = aggregate_key(member_keys, weights)
    order = sorted(range(len(member_keys)), key=lambda i: member_keys[i])

    def compute() -> dict[str, torch.Tensor]:
        return weighted_mean((member_targets(member_keys[i]), weights[i]) for i in order)

    document = {**dict(config), "members": [member_keys[i] for i in order], "weights": [float(weights[i]) for i in order]}
    return cache.get_or_compute(key, compute, work_id=None, kind=KIND_AGGREGATE, config=document)


# --- list, verify, clear ----------------------------------------------------------------------


def list_entries(db: sqlite_utils.Database) -> list[dict]:
    """Catalog rows of every entry, with the artist of work entries, newest use first."""
    sql = """
        SELECT c.key, c.kind, c.work_id, coalesce(w.artist, json_extract(c.config, '$.artist')) AS artist,
               c.path, c.bytes, c.created_at, c.last_used, c.config
        FROM cache_entries c LEFT JOIN works w ON w.id = c.work_id
        ORDER BY c.last_used DESC, c.key
    """
    rows = [dict(zip(("key", "kind", "work_id", "artist", "path", "bytes", "created_at", "last_used", "config"), r))
            for r in db.conn.execute(sql)]
    for row in rows:
        row["config"] = json.loads(row["config"] or "{}")
    return rows


@dataclass
class VerifyReport:
    checked: int = 0
    ok: int = 0
    bad: list[dict] = field(default_factory=list)  # {"key", "path", "problem"}
    orphans: list[str] = field(default_factory=list)  # files under cache/ with no catalog row
    removed: int = 0

    @property
    def clean(self) -> bool:
        return not self.bad and not self.orphans


def verify_cache(
    home: Path, db: sqlite_utils.Database, *, fix: bool = False, on_entry: Callable[[dict], None] | None = None
) -> VerifyReport:
    """Check every catalogued entry's file (header, key, payload checksum, size) and look for orphans.

    With ``fix``, bad entries and orphan files are removed; they are rebuilt
    the next time they are needed.
    """
    home = Path(home)
    report = VerifyReport()
    known = set()
    for row in db["cache_entries"].rows_where(order_by="key"):
        report.checked += 1
        path = home / row["path"]
        known.add(path.resolve())
        problem = _entry_problem(path, row)
        if problem:
            report.bad.append({"key": row["key"], "path": row["path"], "problem": problem})
        else:
            report.ok += 1
        if on_entry:
            on_entry(row)
    cache_dir = home / "cache"
    if cache_dir.is_dir():
        report.orphans = sorted(str(p.relative_to(home)) for p in cache_dir.rglob("*") if p.is_file() and p.resolve() not in known)
    if fix:
        report.removed = _remove(home, db, [b["key"] for b in report.bad], [b["path"] for b in report.bad] + report.orphans)
    return report


def _entry_problem(path: Path, row: dict) -> str | None:
    if not path.is_file():
        return "file is missing"
    if path.stat().st_size != row["bytes"]:
        return f"size is {path.stat().st_size} bytes, the catalog says {row['bytes']}"
    try:
        read_entry(path, row["key"])
    except CorruptEntry as exc:
        return str(exc)
    return None


def clear_cache(home: Path, db: sqlite_utils.Database, artist: str | None = None) -> tuple[int, int]:
    """Remove every entry (or one artist's work entries and aggregates); return (entries, bytes)."""
    home = Path(home)
    if artist is None:
        rows = list(db["cache_entries"].rows)
    else:
        slug = resolve_artist(db, artist)["slug"]
        rows = [dict(zip(("key", "path", "bytes"), r)) for r in db.conn.execute(
            """SELECT c.key, c.path, c.bytes FROM cache_entries c LEFT JOIN works w ON w.id = c.work_id
               WHERE w.artist = ? OR json_extract(c.config, '$.artist') = ?""", [slug, slug])]
    freed = sum(row["bytes"] or 0 for row in rows)
    paths = [row["path"] for row in rows]
    if artist is None and (home / "cache").is_dir():
        paths += [str(p.relative_to(home)) for p in (home / "cache").rglob("*") if p.is_file()]
    _remove(home, db, [row["key"] for row in rows], paths)
    for lru_key in (row["key"] for row in rows):
        for lru in all_shared():
            lru.discard(lru_key)
    return len(rows), freed


def _remove(home: Path, db: sqlite_utils.Database, keys: Sequence[str], paths: Iterable[str]) -> int:
    removed = 0
    for rel in set(paths):
        target = home / rel
        if target.is_file():
            target.unlink()
            removed += 1
    with db.conn:
        for key in keys:
            db.conn.execute("DELETE FROM cache_entries WHERE key = ?", [key])
    return removed
