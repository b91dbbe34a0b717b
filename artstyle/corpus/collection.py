"""Corpus operations a notebook or the CLI calls: add an artist from WikiArt, import a folder, verify.

Each function opens the catalog, does its work in short transactions (one per
listing and one per finished download) so that a crash, kill -9 or Ctrl-C
loses at most the downloads in flight, and reports progress through a
callback ``progress(stage, done, total)``; nothing here prints.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import sqlite_utils

from artstyle import names
from artstyle.corpus import catalog
from artstyle.corpus import store
from artstyle.errors import InputError, NetworkError, NotFoundError, UsageError
from artstyle.files import IMAGE_SUFFIXES, atomic_write_bytes, sweep_parts
from artstyle.settings import Settings
from artstyle.corpus.wikiart import Client, ClientConfig, UnreachableError, directory, fetch_artist, fetch_artist_list, fetch_details, list_works
from artstyle.corpus.wikiart.records import work_record

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]
LISTING_COLUMNS = ("title", "year_raw", "year_start", "year_end", "page_url", "image_urls", "content_id")
DETAIL_COLUMNS = ("styles", "genres", "media", "period", "tags")
RESULT_COLUMNS = ("status", "reason", "local_path", "sha256", "bytes", "width", "height", "phash")


def _quiet(stage: str, done: int, total: int | None) -> None:
    pass


# ---------------------------------------------------------------- catalog writes

def _write(db: sqlite_utils.Database):
    """A write transaction taken up front, so two processes never deadlock on upgrade."""
    db.conn.execute("BEGIN IMMEDIATE")
    return db.conn


def save_artist(db: sqlite_utils.Database, record: dict) -> None:
    row = {**record, "fetched_at": catalog.now()}
    columns = list(row)
    updates = ", ".join(f"{c} = coalesce(excluded.{c}, artists.{c})" for c in columns if c != "slug")
    with db.conn:
        _write(db).execute(
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
    with db.conn:
        conn = _write(db)
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
        with db.conn:
            _write(db).execute(f"UPDATE works SET {', '.join(f'{c} = ?' for c in values)}, updated_at = ? WHERE id = ?",
                               [*values.values(), catalog.now(), work_id])


def save_result(db: sqlite_utils.Database, work_id: str, result: dict) -> None:
    """Record a download result; a row is 'downloaded' only with a verified file behind it."""
    values = [result.get(c) for c in RESULT_COLUMNS]
    with db.conn:
        _write(db).execute(f"UPDATE works SET {', '.join(f'{c} = ?' for c in RESULT_COLUMNS)}, updated_at = ? WHERE id = ?",
                           [*values, catalog.now(), work_id])


# ---------------------------------------------------------------- add (WikiArt)

@dataclass
class AddReport:
    slug: str
    name: str
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
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


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
    progress: Progress = _quiet, client: Client | None = None,
) -> AddReport:
    """List every work of an artist on WikiArt into the catalog and download the images (resumable)."""
    started = time.monotonic()
    # An existing catalog is opened first, so a read-only home fails before any request;
    # a new one is created only once WikiArt has answered, so an unknown artist changes nothing.
    db = catalog.open_catalog(settings.catalog_path) if settings.catalog_path.exists() else None
    client = client or Client(settings.wikiart_url, config)
    artist = find_on_wikiart(client, db, name)
    slug = artist["slug"]
    works, route = list_works(client, slug, limit, on_listed=lambda n: progress("listing", n, None))
    progress("listing", len(works), len(works))
    db = db or catalog.open_catalog(settings.catalog_path)
    save_artist(db, artist)
    new = save_listed(db, works)
    report = AddReport(slug=slug, name=artist["name"], route=route, listed=len(works), new=new)
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
        sweep_parts(home / "images" / report.slug)
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


# ---------------------------------------------------------------- import (local folder)

@dataclass
class ImportReport:
    slug: str
    name: str
    found: int
    imported: int = 0
    already: int = 0
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: reason"

    def as_dict(self) -> dict:
        return asdict(self)


def _title_and_year(stem: str) -> tuple[str, str | None]:
    """``the-shipwreck-1805`` -> ("The shipwreck", "1805")."""
    match = re.match(r"^(.*?)[-_ ]+(\d{4}(?:-\d{2,4})?)(?:[-_ ].*)?$", stem)
    title, year = (match.group(1), match.group(2)) if match else (stem, None)
    words = re.sub(r"[-_]+", " ", title).strip()
    return (words[:1].upper() + words[1:]) or stem, year


def image_files(folder: Path) -> list[Path]:
    """Image files under ``folder``, recursively, in a stable order (hidden files skipped)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def import_folder(settings: Settings, folder: Path | str, artist: str, *, slug: str | None = None,
                  progress: Progress = _quiet) -> ImportReport:
    """Import every readable image under ``folder`` as works of ``artist``; bad files are skipped and reported."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder", hint="give the folder that holds the images")
    files = image_files(folder)
    if not files:
        raise InputError(f"no images in {folder}", hint=f"supported files: {', '.join(sorted(IMAGE_SUFFIXES))}")
    slug = names.slug(slug or artist)
    if not slug:
        raise UsageError(f"cannot make a slug from {artist!r}", hint="give one with --slug")
    db = catalog.open_catalog(settings.catalog_path)
    report = ImportReport(slug=slug, name=artist, found=len(files))
    if not db["artists"].count_where("slug = ?", [slug]):  # an artist added from WikiArt keeps its record
        save_artist(db, {"slug": slug, "name": artist, "source": "local"})
    for done, path in enumerate(files, 1):
        _import_one(db, settings.home, path, slug, report)
        progress("importing", done, len(files))
    report.duplicates = store.flag_duplicates(db, slug)
    return report


def _import_one(db, home: Path, path: Path, slug: str, report: ImportReport) -> None:
    try:
        data = path.read_bytes()
        facts = store.inspect_image(data, path.name)
    except (InputError, OSError) as exc:
        report.skipped.append(f"{path}: {getattr(exc, 'message', None) or exc}")
        return
    work_id = f"local-{facts.sha256[:16]}"
    row = db.conn.execute("SELECT status FROM works WHERE id = ?", [work_id]).fetchone()
    if row and row[0] == "downloaded" and (home / store.relative_path(slug, work_id, facts.ext)).exists():
        report.already += 1
        return
    relative = store.relative_path(slug, work_id, facts.ext)
    atomic_write_bytes(home / relative, data)
    title, year = _title_and_year(path.stem)
    record = work_record(id=work_id, artist=slug, title=title, year=year, page_url=None)
    save_listed(db, [record], source="local")
    save_result(db, work_id, {"status": "downloaded", "reason": None, "local_path": relative, "sha256": facts.sha256,
                              "bytes": facts.bytes, "width": facts.width, "height": facts.height, "phash": facts.phash})
    report.imported += 1


# ---------------------------------------------------------------- verify

@dataclass
class VerifyReport:
    checked: int = 0
    ok: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)  # unreadable, or bytes that no longer match the sha256
    repaired: list[str] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)
    parts_removed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.corrupt) or len(self.repaired) == len(self.missing) + len(self.corrupt)


def _check(home: Path, row: dict) -> str | None:
    """None when the file is there, decodes and matches its hash; else 'missing' or 'corrupt'."""
    path = home / (row["local_path"] or "")
    if not row["local_path"] or not path.is_file():
        return "missing"
    try:
        facts = store.inspect_image(path.read_bytes(), str(path))
    except (InputError, OSError):
        return "corrupt"
    return None if facts.sha256 == row["sha256"] else "corrupt"


def verify(settings: Settings, *, fix: bool = False, workers: int = 4, config: ClientConfig | None = None,
           progress: Progress = _quiet, client: Client | None = None) -> VerifyReport:
    """Re-hash every downloaded work's file; with ``fix``, re-download or mark what is missing or corrupt."""
    db = catalog.open_catalog(settings.catalog_path, create=False)
    rows = [dict(r) for r in db["works"].rows_where("status = 'downloaded'", order_by="id")]
    report = VerifyReport(checked=len(rows))
    bad = []
    for done, row in enumerate(rows, 1):
        problem = _check(settings.home, row)
        if problem:
            getattr(report, problem).append(row["id"])
            bad.append(row)
        progress("verifying", done, len(rows))
    report.ok = len(rows) - len(bad)
    if fix:
        report.parts_removed = sum(sweep_parts(d) for d in settings.images_dir.glob("*") if d.is_dir())
        if bad:
            _repair(settings, db, bad, workers, client or Client(settings.wikiart_url, config), progress, report)
    return report


def _repair(settings, db, bad: list[dict], workers: int, client: Client, progress: Progress, report: VerifyReport) -> None:
    for row in bad:
        if row["local_path"]:
            (settings.home / row["local_path"]).unlink(missing_ok=True)
        local = row["source"] == "local"
        save_result(db, row["id"], {"status": "failed" if local else "listed",
                                    "reason": "local file missing or corrupt; import it again" if local else None})
        if local:
            report.unrepaired.append(row["id"])
    remote = [catalog.get_work(db, r["id"]) for r in bad if r["source"] != "local"]
    for done, (work, result) in enumerate(store.download_many(client, settings.home, remote, workers), 1):
        save_result(db, work["id"], result)
        (report.repaired if result["status"] == "downloaded" else report.unrepaired).append(work["id"])
        progress("repairing", done, len(remote))
    for artist in sorted({r["artist"] for r in bad}):
        store.flag_duplicates(db, artist)


# ---------------------------------------------------------------- read queries

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
    """One work with its JSON columns decoded and the absolute path of its image."""
    db = catalog.open_catalog(settings.catalog_path, create=False)
    work = catalog.get_work(db, work_id)
    work["path"] = str(settings.home / work["local_path"]) if work.get("local_path") else None
    return work
