"""The shared paintings as a corpus: imported through the library, then given the metadata tests filter on.

``register_paintings`` is the one way tests put ``shared/paintings/<artist>/*.jpg``
into a data home. The import is ``artstyle.corpus.import_folder`` (what
``artstyle corpus import`` runs): ids ``local-<sha256 prefix>``, files under
``images/<artist>/``, titles and years from the file names, and the second copy
of the Turner flagged as a near-duplicate. What a local import cannot know is
then written with the catalog's own functions: styles and genres (for the
sampler's filters) and the WikiArt page each painting stands for (for gallery
links). Tests never spell an id: ``work_id`` looks one up by the file's content.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from artstyle.corpus import catalog, import_folder
from artstyle.files import sha256_file
from artstyle.settings import Settings

from .paths import PAINTINGS


def _artist_name(slug: str) -> str:
    return slug.replace("-", " ").title()  # pablo-picasso -> Pablo Picasso


def _styles(year: int | None) -> list[str]:
    return ["Cubism"] if year and year >= 1909 else ["Expressionism"]


def _genres(stem: str) -> list[str]:
    return ["portrait"] if "portrait" in stem or "nude" in stem else ["landscape"]


def _folder(paintings: Path | None) -> Path:
    folder = Path(paintings) if paintings is not None else PAINTINGS
    if not folder.is_dir():
        pytest.skip(f"shared paintings not found at {folder}; set ARTSTYLE_SHARED to the shared/ folder")
    return folder


def _settings(home: Path | Settings) -> Settings:
    if isinstance(home, Settings):
        return home
    return Settings.build(home=home, device="cpu", weights="random", wikiart_url="http://127.0.0.1:9", quiet=True)


def artists_of(paintings: Path | None = None) -> list[str]:
    """Every artist folder of the shared paintings (``photos/`` is not an artist)."""
    return sorted(p.name for p in _folder(paintings).iterdir() if p.is_dir() and p.name != "photos")


def register_paintings(
    home: Path | Settings,
    paintings: Path | None = None,
    artists: list[str] | None = None,
    *,
    status: str = "downloaded",
    count_duplicates: bool = False,
) -> dict[str, list[str]]:
    """Import ``paintings/<artist>/*.jpg`` (default: every artist of the shared paintings) into ``home``.

    Returns {artist slug: [work ids, in file-name order]}. ``status="listed"``
    leaves the rows as a metadata-only add would (files stay on disk).
    ``count_duplicates=True`` clears the near-duplicate flag so that the second
    Turner counts as a work of its own (tests that need two works per artist).
    """
    folder = _folder(paintings)
    settings = _settings(home)
    ids: dict[str, list[str]] = {}
    for slug in artists or artists_of(folder):
        import_folder(settings, folder / slug, _artist_name(slug), slug=slug)
        ids[slug] = []
        db = catalog.open_catalog(settings.catalog_path)
        try:
            with catalog.transaction(db) as conn:
                for path in sorted((folder / slug).glob("*.jpg")):
                    work = _row_for(conn, path, slug)
                    conn.execute(
                        "UPDATE works SET styles = ?, genres = ?, page_url = ?, updated_at = ? WHERE id = ?",
                        [catalog.dumps(_styles(work["year_start"])), catalog.dumps(_genres(path.stem)),
                         f"https://www.wikiart.org/en/{slug}/{path.stem}", catalog.now(), work["id"]])
                    ids[slug].append(work["id"])
                if count_duplicates:
                    conn.execute("UPDATE works SET duplicate_of = NULL WHERE artist = ?", [slug])
                if status != "downloaded":
                    conn.execute("UPDATE works SET status = ?, duplicate_of = NULL WHERE artist = ?", [status, slug])
        finally:
            db.conn.close()
    return ids


def _row_for(conn, path: Path, slug: str) -> dict:
    row = conn.execute("SELECT id, year_start FROM works WHERE artist = ? AND sha256 = ?", [slug, sha256_file(path)]).fetchone()
    assert row, f"{path} was not imported"
    return {"id": row[0], "year_start": row[1]}


def work_id(home: Path | Settings, painting: str, paintings: Path | None = None) -> str:
    """The id of a registered shared painting, ``"edvard-munch/the-scream-1893"``, looked up by its content."""
    path = _folder(paintings) / f"{painting}.jpg"
    slug = Path(painting).parent.name
    db = catalog.open_catalog(_settings(home).catalog_path, create=False)
    try:
        return _row_for(db.conn, path, slug)["id"]
    finally:
        db.conn.close()


def work(home: Path | Settings, painting: str, paintings: Path | None = None) -> dict:
    """The catalog row of a registered shared painting (JSON columns decoded)."""
    wanted = work_id(home, painting, paintings)
    db = catalog.open_catalog(_settings(home).catalog_path, create=False)
    try:
        return catalog.get_work(db, wanted)
    finally:
        db.conn.close()
