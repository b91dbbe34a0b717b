"""Read-only questions about the corpus for a user: which artists, which works, one work.

Why this module: these take :class:`~artstyle.settings.Settings` (open the
catalog, never create it) and answer the ``corpus list``, ``works`` and
``show`` commands; the SQL-level queries they build on live in
:mod:`artstyle.corpus.catalog`.
"""

from __future__ import annotations

from artstyle.corpus import catalog
from artstyle.settings import Settings


def artist_summaries(settings: Settings) -> list[dict]:
    """One row per artist: work counts by status, duplicates and disk use (bytes)."""
    db = catalog.open_catalog(settings.catalog_path, create=False)
    sql = """
        SELECT a.slug, a.name, a.source, count(w.id) AS works,
               sum(w.status = 'listed') AS listed, sum(w.status = 'downloaded') AS downloaded,
               sum(w.status = 'skipped') AS skipped, sum(w.status = 'failed') AS failed,
               sum(w.duplicate_of IS NOT NULL) AS duplicates,
               coalesce(sum(CASE WHEN w.status = 'downloaded' THEN w.bytes END), 0) AS bytes
        FROM artists a LEFT JOIN works w ON w.artist = a.slug
        GROUP BY a.slug ORDER BY a.slug"""
    rows = [dict(zip([d[0] for d in cursor.description], r)) for cursor in [db.conn.execute(sql)] for r in cursor]
    for row in rows:
        for key in ("listed", "downloaded", "skipped", "failed", "duplicates"):
            row[key] = row[key] or 0
    return rows


def find_works(settings: Settings, artist: str, *, style: str | None = None, genre: str | None = None,
               years: str | None = None) -> tuple[dict, list[dict]]:
    """The resolved artist and its works, filtered by style, genre (substrings) and overlapping years."""
    db = catalog.open_catalog(settings.catalog_path, create=False)
    found = catalog.resolve_artist(db, artist)
    return found, catalog.query_works(db, found["slug"], style=style, genre=genre, years=years)


def show_work(settings: Settings, work_id: str) -> dict:
    """One work with its JSON columns decoded, the absolute path of its image and its duplicates.

    ``duplicates`` lists the works flagged as copies of this one (id and
    title), so that a user who looks at the kept work learns what was set
    aside; ``duplicate_of_title`` names the kept work when this one is a copy.
    """
    db = catalog.open_catalog(settings.catalog_path, create=False)
    work = catalog.get_work(db, work_id)
    work["path"] = str(settings.home / work["local_path"]) if work.get("local_path") else None
    rows = db.conn.execute("SELECT id, title FROM works WHERE duplicate_of = ? ORDER BY id", [work["id"]])
    work["duplicates"] = [{"id": r[0], "title": r[1]} for r in rows]
    kept = db.conn.execute("SELECT title FROM works WHERE id = ?", [work["duplicate_of"]]).fetchone() \
        if work.get("duplicate_of") else None
    work["duplicate_of_title"] = kept[0] if kept else None
    return work
