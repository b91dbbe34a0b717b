"""Collecting works from WikiArt: add an artist, fetch one listed work's image, and the catalog writes they share.

Why this module: everything that turns WikiArt answers into catalog rows and
stored images lives here (``local`` imports a folder, ``integrity`` verifies and repairs,
``browse`` reads; all three reuse the ``save_*`` writers below). Each
function opens the catalog, does its work in short transactions (one per
listing and one per finished download) so that a crash, kill -9 or Ctrl-C
loses at most the downloads in flight, and reports progress through a
callback ``progress(stage, done, total)``; nothing here prints.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import sqlite_utils

from artstyle import names
from artstyle.corpus import catalog
from artstyle.corpus import store
from artstyle.errors import NetworkError, NotFoundError, UsageError
from artstyle.files import sweep_parts
from artstyle.settings import IMAGES_DIR, Settings
from artstyle.corpus.wikiart import Client, ClientConfig, UnreachableError, directory, fetch_artist, fetch_artist_list, fetch_details, list_works

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]
LISTING_COLUMNS = ("title", "year_raw", "year_start", "year_end", "page_url", "image_urls", "content_id")
DETAIL_COLUMNS = ("styles", "genres", "media", "period", "tags")
RESULT_COLUMNS = ("status", "reason", "local_path", "sha256", "bytes", "width", "height", "phash")


def no_progress(stage: str, done: int, total: int | None) -> None:
    """The default ``progress`` callback: report nothing."""


# ---------------------------------------------------------------- catalog writes

def save_artist(db: sqlite_utils.Database, record: dict) -> None:
    row = {**record, "fetched_at": catalog.now()}
    columns = list(row)
    updates = ", ".join(f"{c} = coalesce(excluded.{c}, artists.{c})" for c in columns if c != "slug")
    with catalog.transaction(db) as conn:
        conn.execute(
            f"INSERT INTO artists ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            f" ON CONFLICT(slug) DO UPDATE SET {updates}", [row[c] for c in columns])


def _work_values(work: dict) -> dict:
    values = {k: work.get(k) for k in ("id", "artist", *LISTING_COLUMNS, *DETAIL_COLUMNS)}
    for column in ("styles", "genres", "media", "tags", "image_urls"):
        values[column] = catalog.dumps(values[column] if values[column] is not None else [])
    return values


def save_listed(db: sqlite_utils.Database, works: list[dict], source: str = "wikiart") -> int:
    """Upsert listing metadata without touching download results; return how many rows are new."""
    stamp = catalog.now()
    keep_old = ("CASE WHEN excluded.{c} IS NULL OR excluded.{c} IN ('[]', '') THEN works.{c} ELSE excluded.{c} END")
    updates = ", ".join([f"{c} = excluded.{c}" for c in LISTING_COLUMNS if c != "content_id"]
                        + ["content_id = coalesce(excluded.content_id, works.content_id)"]
                        + [f"{c} = {keep_old.format(c=c)}" for c in DETAIL_COLUMNS])
    with catalog.transaction(db) as conn:
        before = conn.execute("SELECT count(*) FROM works").fetchone()[0]
        for work in works:
            values = {**_work_values(work), "status": "listed", "source": source, "added_at": stamp, "updated_at": stamp}
            columns = list(values)
            conn.execute(
                f"INSERT INTO works ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
                f" ON CONFLICT(id) DO UPDATE SET {updates}", [values[c] for c in columns])
        return conn.execute("SELECT count(*) FROM works").fetchone()[0] - before


def save_details(db: sqlite_utils.Database, work_id: str, details: dict) -> None:
    values = {c: catalog.dumps(details[c]) if c != "period" else details[c] for c in DETAIL_COLUMNS if c in details}
    if values:
        with catalog.transaction(db) as conn:
            conn.execute(f"UPDATE works SET {', '.join(f'{c} = ?' for c in values)}, updated_at = ? WHERE id = ?",
                         [*values.values(), catalog.now(), work_id])


def save_result(db: sqlite_utils.Database, work_id: str, result: dict) -> None:
    """Record a download result; a row is 'downloaded' only with a verified file behind it."""
    values = [result.get(c) for c in RESULT_COLUMNS]
    with catalog.transaction(db) as conn:
        conn.execute(f"UPDATE works SET {', '.join(f'{c} = ?' for c in RESULT_COLUMNS)}, updated_at = ? WHERE id = ?",
                     [*values, catalog.now(), work_id])


# ---------------------------------------------------------------- add (WikiArt)

@dataclass
class ArtistReport:
    """What a command did to one artist's works; the collecting steps each add their own counts."""

    slug: str
    name: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class AddReport(ArtistReport):
    route: str
    listed: int
    new: int
    downloaded: int = 0
    already: int = 0
    skipped: int = 0
    failed: int = 0
    duplicates: int = 0
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # "<work id>: reason" per failed download
    rejected: list[str] = field(default_factory=list)  # listed items dropped for unsafe values, with reasons


def _lenient_slug(db: sqlite_utils.Database | None, name: str) -> tuple[str, bool]:
    """(slug, True) when ``name`` resolves to a catalog artist, else (``name`` as a WikiArt URL name, False)."""
    if db is not None:
        try:
            return catalog.resolve_artist(db, name)["slug"], True
        except (NotFoundError, UsageError):
            pass
    slug = names.slug(name)
    if not slug:
        raise UsageError(f"{name!r} is not an artist name", hint="give a WikiArt URL name such as pablo-picasso")
    return slug, False


def find_on_wikiart(client: Client, db: sqlite_utils.Database | None, name: str) -> dict:
    """The WikiArt artist record ``name`` means: a catalog artist, a URL name, or a lenient match in WikiArt's list.

    The name is tried as a URL name first, so ``pablo-picasso`` (or ``Pablo
    Picasso``) costs no extra request; only when WikiArt does not know it is
    the artist list fetched (once per process) to resolve ``picasso`` or
    ``van gogh``. Ambiguous: UsageError listing the candidates; unknown:
    NotFoundError whose hint lists the closest URL names.
    """
    slug, known = _lenient_slug(db, name)
    if known:
        return fetch_artist(client, slug)
    try:
        # No retries here: an unknown URL name answers 500, and the list below settles it
        # (a passing fault on a real URL name is retried when the list resolves to it).
        return fetch_artist(client, slug, retries=0)
    except NotFoundError:
        pass
    try:
        artists = fetch_artist_list(client)
    except UnreachableError:
        raise
    except NetworkError as exc:
        log.warning("cannot fetch WikiArt's artist list to resolve %r: %s", name, exc)
        return fetch_artist(client, slug)  # the URL name again, with retries: its error is the answer
    try:
        found = directory.resolve(artists, name)
    except NotFoundError:
        try:
            return fetch_artist(client, slug)  # not listed: one patient try before saying so
        except NotFoundError as missing:
            raise NotFoundError(missing.message, hint=directory.closest_hint(artists, name)) from None
    return fetch_artist(client, found["url"])


def add_artist(
    settings: Settings, name: str, *, limit: int | None = None, metadata_only: bool = False,
    details: bool = False, workers: int = 4, config: ClientConfig | None = None,
    progress: Progress = no_progress, client: Client | None = None,
) -> AddReport:
    """List every work of an artist on WikiArt into the catalog and download the images (resumable)."""
    started = time.monotonic()
    # An existing catalog is opened first, so a read-only home fails before any request;
    # a new one is created only once WikiArt has answered, so an unknown artist changes nothing.
    db = catalog.open_catalog(settings.catalog_path) if settings.catalog_path.exists() else None
    client = client or Client(settings.wikiart_url, config)
    artist = find_on_wikiart(client, db, name)
    slug = artist["slug"]
    rejected: list[str] = []
    works, route = list_works(client, slug, limit, on_listed=lambda n: progress("listing", n, None), rejected=rejected)
    progress("listing", len(works), len(works))
    db = db or catalog.open_catalog(settings.catalog_path)
    save_artist(db, artist)
    new = save_listed(db, works)
    report = AddReport(slug=slug, name=artist["name"], route=route, listed=len(works), new=new, rejected=rejected)
    if details:
        _fetch_all_details(db, client, [w["id"] for w in works], progress)
    if not metadata_only:
        _download(db, client, settings.home, [w["id"] for w in works], workers, progress, report)
        report.duplicates = store.flag_duplicates(db, slug)
    report.requests, report.retries = client.stats.requests, client.stats.retries
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _fetch_all_details(db, client: Client, ids: list[str], progress: Progress) -> None:
    rows = [catalog.decode_work(r) for r in db["works"].rows_where(
        f"id IN ({', '.join('?' for _ in ids)}) AND styles = '[]' AND genres = '[]'", ids)] if ids else []
    for done, work in enumerate(rows, 1):
        save_details(db, work["id"], fetch_details(client, work))
        progress("details", done, len(rows))


def _download(db, client: Client, home: Path, ids: list[str], workers: int, progress: Progress,
              report: AddReport) -> None:
    rows = {r["id"]: catalog.decode_work(r) for r in db["works"].rows_where(
        f"id IN ({', '.join('?' for _ in ids)})", ids)} if ids else {}
    ordered = [rows[i] for i in ids if i in rows]
    pending = [w for w in ordered if w["status"] in ("listed", "failed")]
    report.already = sum(1 for w in ordered if w["status"] == "downloaded")
    report.skipped = sum(1 for w in ordered if w["status"] == "skipped")
    if pending:
        sweep_parts(home / IMAGES_DIR / report.slug)
    progress("downloading", 0, len(pending))
    for done, (work, result) in enumerate(store.download_many(client, home, pending, workers), 1):
        save_result(db, work["id"], result)
        status = result["status"]
        report.downloaded += status == "downloaded"
        report.skipped += status == "skipped"
        report.failed += status == "failed"
        if status == "failed":
            report.problems.append(f"{work['id']}: {result['reason']}")
        progress("downloading", done, len(pending))


def ensure_image(settings: Settings, work_id: str, *, config: ClientConfig | None = None,
                 client: Client | None = None) -> Path:
    """The verified local image of one work, downloading it first when the catalog only lists it.

    For callers that draw works from the catalog (the sampler): a 'downloaded'
    row whose file is present is returned as is; anything else is fetched.
    """
    db = catalog.open_catalog(settings.catalog_path, create=False)
    work = catalog.get_work(db, work_id)
    if work["status"] == "downloaded" and work["local_path"] and (settings.home / work["local_path"]).is_file():
        return settings.home / work["local_path"]
    if work["source"] == "local":
        raise NotFoundError(f"the image of {work_id} is missing", hint="import the folder again with `artstyle corpus import`")
    result = store.download_work(client or Client(settings.wikiart_url, config), settings.home, work)
    save_result(db, work_id, result)
    store.flag_duplicates(db, work["artist"])
    if result["status"] != "downloaded":
        raise NotFoundError(f"no image for {work_id}: {result['reason']}", hint="pick another work")
    return settings.home / result["local_path"]
