"""The catalog: one SQLite file (``catalog.db``) indexing everything in the data home.

Written with sqlite-utils in WAL mode so that readers never block writers and
two processes can share a data home. The schema version lives in
``PRAGMA user_version``; :func:`ensure_shape` applies the migrations in order,
each in its own transaction, so a catalog is never left half-migrated.

Tables (documented for users in ``corpus/README.md``):
``artists``, ``works``, ``runs`` and ``cache_entries``; since schema 2 also the
batch manifest, ``batches`` and ``jobs``.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import random
import re
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlite_utils

from artstyle import names
from artstyle.errors import NotFoundError, StorageError, UsageError

WORK_STATUSES = ("listed", "downloaded", "skipped", "failed")


def now() -> str:
    """UTC timestamp in ISO 8601, the one time format the catalog stores."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _migrate_1(db: sqlite_utils.Database) -> None:
    db["artists"].create(
        {
            "slug": str, "name": str, "birth": str, "death": str, "birth_year": int,
            "death_year": int, "wikipedia_url": str, "source": str, "fetched_at": str,
            "content_id": int, "meta": str,
        },
        pk="slug",
    )
    db["works"].create(
        {
            "id": str, "artist": str, "title": str, "year_raw": str, "year_start": int,
            "year_end": int, "styles": str, "genres": str, "media": str, "period": str,
            "tags": str, "page_url": str, "image_urls": str, "content_id": int,
            "local_path": str, "sha256": str, "bytes": int, "width": int, "height": int,
            "phash": str, "duplicate_of": str, "status": str, "reason": str, "source": str,
            "added_at": str, "updated_at": str,
        },
        pk="id",
        foreign_keys=[("artist", "artists", "slug")],
        defaults={"status": "listed", "source": "wikiart"},
    )
    db["works"].create_index(["artist", "status"])
    db["works"].create_index(["sha256"])
    db["runs"].create(
        {
            "id": int, "created_at": str, "kind": str, "content_path": str, "content_sha256": str,
            "output_path": str, "works": str, "params": str, "seed": int, "device": str,
            "weights": str, "seconds": float, "final_loss": float, "provenance": str,
        },
        pk="id",
    )
    db["cache_entries"].create(
        {
            "key": str, "work_id": str, "kind": str, "path": str, "bytes": int,
            "config": str, "created_at": str, "last_used": str,
        },
        pk="key",
    )
    db["cache_entries"].create_index(["work_id"])


def _migrate_2(db: sqlite_utils.Database) -> None:
    """The batch manifest: one ``batches`` row per batch, one ``jobs`` row per painting in it."""
    db["batches"].create(
        {"id": str, "created_at": str, "params": str, "out_dir": str},
        pk="id",
    )
    db["batches"].create_index(["out_dir"])
    db["jobs"].create(
        {
            "id": str, "batch_id": str, "position": int, "input_path": str, "input_sha256": str,
            "request": str, "repeat": int, "seed": int, "status": str, "reason": str,
            "output_path": str, "provenance": str, "started_at": str, "finished_at": str,
        },
        pk="id",
        foreign_keys=[("batch_id", "batches", "id")],
        defaults={"status": "pending"},
    )
    db["jobs"].create_index(["batch_id", "status", "position"])


# Append new migrations here; never edit a released one.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_migrate_1, _migrate_2]
SCHEMA_VERSION = len(MIGRATIONS)


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One write transaction that takes the write lock up front (``BEGIN IMMEDIATE``), yielding the connection.

    Committed when the block ends, rolled back when it raises. Taking the lock
    at BEGIN rather than at the first write means two processes never deadlock
    upgrading a read lock, and concurrent first opens are serialised. Every
    catalog writer (corpus, image store, batch manifest) goes through here.
    """
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        yield db.conn


def ensure_shape(db: sqlite_utils.Database) -> None:
    """Bring the schema up to :data:`SCHEMA_VERSION`, one transaction per migration."""
    with transaction(db):  # serialises concurrent first opens
        version = db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"the catalog was written by a newer artstyle (schema {version}, this one knows {SCHEMA_VERSION})",
                hint="upgrade artstyle: pip install -U artstyle",
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[number - 1](db)
            db.conn.execute(f"PRAGMA user_version = {number}")


WAL_TRIES = 200  # x up to 0.25 s: a minute of other processes creating the same catalog


def damaged(path: Path | str, exc: Exception) -> StorageError:
    """The one message for a catalog file that is not an SQLite database or is corrupt (never rewritten)."""
    return StorageError(
        f"the catalog {path} is damaged ({exc}); artstyle left it untouched",
        hint=f"move it aside (e.g. mv {path} {path}.damaged) and rebuild with `artstyle corpus add`/`import`,"
             " or restore it from a backup",
    )


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """WAL mode, retried: switching a new file takes a lock that ``busy_timeout`` does not wait for."""
    for attempt in range(WAL_TRIES):
        try:
            mode = conn.execute("PRAGMA journal_mode = wal").fetchone()[0]
            if str(mode).lower() == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        time.sleep(min(0.25, 0.005 * 2 ** min(attempt, 6)) * (0.5 + random.random()))
    raise sqlite3.OperationalError("database is locked (could not switch to WAL)")


def open_catalog(path: Path | str, create: bool = True) -> sqlite_utils.Database:
    """Open (and by default create) the catalog at ``path``, migrated and in WAL mode.

    Several processes may do this at once on a new home (WAL switch retried,
    migrations under ``BEGIN IMMEDIATE``). A file that is not a database is
    reported as damaged and never written to.
    """
    path = Path(path)
    if not create and not path.exists():
        raise NotFoundError(
            f"no catalog at {path}",
            hint="add works first with `artstyle corpus add ARTIST` or `artstyle corpus import DIR`",
        )
    if path.is_dir():
        raise StorageError(f"the catalog {path} is a folder", hint="move it aside; the catalog is a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header: not a database fails here
        _switch_to_wal(conn)
        db = sqlite_utils.Database(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        ensure_shape(db)
    except sqlite3.OperationalError as exc:
        raise StorageError(
            f"cannot open the catalog at {path}: {exc}",
            hint="check that the data home is writable, or choose another with --home / ARTSTYLE_HOME",
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from exc
    except OSError as exc:
        raise StorageError(
            f"cannot open the catalog at {path}: {exc}",
            hint="check that the data home is writable, or choose another with --home / ARTSTYLE_HOME",
        ) from exc
    return db


def discard_if_empty(db: sqlite_utils.Database, path: Path | str) -> bool:
    """Close and delete a catalog that holds no artist or work (made by a command that then failed)."""
    if db["artists"].count or db["works"].count:
        return False
    db.conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return True


def dumps(value) -> str | None:
    """JSON text for list and dict columns (None stays NULL)."""
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(value, default=None):
    return default if value in (None, "") else json.loads(value)


def decode_work(row: dict) -> dict:
    """A works row with its JSON columns turned back into lists and dicts."""
    row = dict(row)
    for column in ("styles", "genres", "media", "tags"):
        row[column] = loads(row.get(column), [])
    row["image_urls"] = loads(row.get("image_urls"), {})
    return row


def resolve_artist(db: sqlite_utils.Database, name: str) -> dict:
    """Find one artist by slug, name or a unique part of either; list the closest on failure.

    ``picasso``, ``Pablo Picasso`` and ``pablo-picasso`` all resolve to
    pablo-picasso when that is unambiguous.
    """
    wanted = names.slug(name)
    artists = list(db["artists"].rows) if db["artists"].exists() else []
    exact = [a for a in artists if wanted in (a["slug"], names.slug(a["name"] or ""))]
    if exact:
        return exact[0]
    partial = [a for a in artists if names.has_words(wanted, a["slug"])] if wanted else []
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        slugs = ", ".join(sorted(a["slug"] for a in partial))
        raise UsageError(f"artist {name!r} is ambiguous: {slugs}", hint="give the full slug")
    close = difflib.get_close_matches(wanted, [a["slug"] for a in artists], n=3, cutoff=0.5)
    hint = f"did you mean: {', '.join(close)}?" if close else "see `artstyle corpus list` for the artists in the catalog"
    raise NotFoundError(f"no artist {name!r} in the catalog", hint=hint)


def parse_years(text: str) -> tuple[int, int]:
    """Parse a ``--years`` range such as ``1901-1904``, ``1907`` or ``1900-``."""
    match = re.fullmatch(r"\s*(\d{1,4})?\s*(-)?\s*(\d{1,4})?\s*", text or "")
    if not match or not (match.group(1) or match.group(3)) or (match.group(1) and match.group(3) and not match.group(2)):
        raise UsageError(f"malformed year range {text!r}", hint="use A-B, A, A- or -B, e.g. --years 1901-1904")
    start = int(match.group(1)) if match.group(1) else -10_000
    end = int(match.group(3)) if match.group(3) else (10_000 if match.group(2) else start)
    if start > end:
        raise UsageError(f"year range {text!r} ends before it starts", hint="write the earlier year first")
    return start, end


def query_works(
    db: sqlite_utils.Database,
    artist: str | None = None,
    *,
    style: str | None = None,
    genre: str | None = None,
    years: str | tuple[int, int] | None = None,
    statuses: Iterable[str] | None = None,
    include_duplicates: bool = True,
) -> list[dict]:
    """Works filtered by artist slug, style, genre (substring, case-insensitive) and year overlap."""
    where, params = [], []
    if artist:
        where.append("artist = ?")
        params.append(artist)
    for column, value in (("styles", style), ("genres", genre)):
        if value:
            where.append(f"EXISTS (SELECT 1 FROM json_each(works.{column}) WHERE lower(value) LIKE ?)")
            params.append(f"%{value.lower()}%")
    if years:
        start, end = parse_years(years) if isinstance(years, str) else years
        where.append("year_start IS NOT NULL AND year_start <= ? AND coalesce(year_end, year_start) >= ?")
        params += [end, start]
    if statuses:
        statuses = list(statuses)
        where.append(f"status IN ({', '.join('?' for _ in statuses)})")
        params += statuses
    if not include_duplicates:
        where.append("duplicate_of IS NULL")
    rows = db["works"].rows_where(" AND ".join(where) or None, params, order_by="artist, id")
    return [decode_work(row) for row in rows]


def get_work(db: sqlite_utils.Database, work_id: str) -> dict:
    try:
        return decode_work(db["works"].get(work_id))
    except sqlite_utils.db.NotFoundError:
        raise NotFoundError(f"no work {work_id!r} in the catalog", hint="see `artstyle corpus works ARTIST` for ids") from None
