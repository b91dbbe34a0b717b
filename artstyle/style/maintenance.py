"""The library side of ``artstyle cache list|verify|clear``: looking after the cache as a whole.

:class:`artstyle.style.cache.StyleCache` serves one entry at a time and never
needs these; they walk every ``cache_entries`` row and every file under
``<home>/cache`` instead, so they live apart from it. A bad entry found here
is only reported (or, with ``fix``, removed): the cache rebuilds it the next
time it is needed. A cache folder that is a file is an error here
(:func:`artstyle.style.cache.check_cache_dir`): these commands exist to look
after the cache, and reporting on one that cannot exist would mislead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import sqlite_utils

from artstyle.settings import CACHE_DIR
from artstyle.corpus.catalog import resolve_artist
from artstyle.style.cache import check_cache_dir
from artstyle.style.entries import CorruptEntry, read_entry
from artstyle.style.residency import all_shared


def list_entries(db: sqlite_utils.Database, home: Path | None = None) -> list[dict]:
    """Catalog rows of every entry, with the artist of work entries, newest use first.

    With ``home``, first check that its cache folder is one (StorageError otherwise).
    """
    if home is not None:
        check_cache_dir(home)
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
    check_cache_dir(home)
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
    cache_dir = home / CACHE_DIR
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
    check_cache_dir(home)
    if artist is None:
        rows = list(db["cache_entries"].rows)
    else:
        slug = resolve_artist(db, artist)["slug"]
        rows = [dict(zip(("key", "path", "bytes"), r)) for r in db.conn.execute(
            """SELECT c.key, c.path, c.bytes FROM cache_entries c LEFT JOIN works w ON w.id = c.work_id
               WHERE w.artist = ? OR json_extract(c.config, '$.artist') = ?""", [slug, slug])]
    freed = sum(row["bytes"] or 0 for row in rows)
    paths = [row["path"] for row in rows]
    if artist is None and (home / CACHE_DIR).is_dir():
        paths += [str(p.relative_to(home)) for p in (home / CACHE_DIR).rglob("*") if p.is_file()]
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
