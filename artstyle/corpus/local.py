"""Importing a folder of the user's own images as one artist's works (no network).

Why this module: a local import shares the catalog writers and the image
store with WikiArt collection but none of its network code; each readable
image becomes a ``downloaded`` work with source ``local`` and id
``local-<sha256 prefix>``, so importing the same folder again adds nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from artstyle import names
from artstyle.corpus import catalog
from artstyle.corpus import store
from artstyle.corpus.collection import ArtistReport, Progress, no_progress, save_artist, save_listed, save_result
from artstyle.corpus.wikiart.records import work_record
from artstyle.errors import InputError, UsageError, clip
from artstyle.files import IMAGE_SUFFIXES
from artstyle.settings import Settings


@dataclass
class ImportReport(ArtistReport):
    found: int
    imported: int = 0
    already: int = 0
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: reason"


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


@dataclass(frozen=True)
class Facts:
    """What the user tells about imported works, so ``--style``/``--genre``/``--years`` can find them."""

    style: str | None = None
    genre: str | None = None
    year: str | None = None

    def merged(self, sidecar: dict) -> dict:
        """The command line's facts, overridden per image by its sidecar (``<image>.json``)."""
        base = {"styles": self.style, "genres": self.genre, "year": self.year}
        for key, field_name in (("style", "styles"), ("genre", "genres"), ("year", "year"), ("title", "title")):
            if sidecar.get(key) not in (None, ""):
                base[field_name] = str(sidecar[key])
        return base


def read_sidecar(image: Path) -> dict:
    """``photo.jpg.json`` or ``photo.json`` beside an image: ``{"title", "year", "style", "genre"}`` (all optional)."""
    for candidate in (image.with_name(image.name + ".json"), image.with_suffix(".json")):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"cannot read the sidecar {candidate}: {exc}", hint='write JSON such as {"style": "Cubism", "year": "1910"}') from exc
            if not isinstance(data, dict):
                raise InputError(f"the sidecar {candidate} is not a JSON object", hint='write JSON such as {"style": "Cubism"}')
            return data
    return {}


def import_folder(settings: Settings, folder: Path | str, artist: str, *, slug: str | None = None,
                  progress: Progress = no_progress, facts: Facts = Facts()) -> ImportReport:
    """Import every readable image under ``folder`` as works of ``artist``; bad files are skipped and reported.

    ``facts`` (style, genre, year) apply to every work; an image's JSON sidecar
    overrides them, and the title, for that work.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder", hint="give the folder that holds the images")
    files = image_files(folder)
    if not files:
        raise InputError(f"no images in {folder}", hint=f"supported files: {', '.join(sorted(IMAGE_SUFFIXES))}")
    slug = names.slug(slug or artist)
    if not slug:
        raise UsageError(f"cannot make a slug from {artist!r}", hint="give one with --slug")
    existed = settings.catalog_path.exists()
    db = catalog.open_catalog(settings.catalog_path)
    report = ImportReport(slug=slug, name=artist, found=len(files))
    for done, path in enumerate(files, 1):
        _import_one(db, settings.home, path, slug, report, facts)
        progress("importing", done, len(files))
    if not report.imported and not report.already:
        if not existed:
            catalog.discard_if_empty(db, settings.catalog_path)
        raise InputError(nothing_imported(folder, report.skipped),
                         hint="check that the files are complete JPEG, PNG or WebP images; nothing was added")
    report.duplicates = store.flag_duplicates(db, slug)
    return report


def nothing_imported(folder: Path, skipped: list[str], shown: int = 3) -> str:
    """One line: which files were unreadable and why (the first few, then how many more)."""
    reasons = "; ".join(clip(s, 160) for s in skipped[:shown])
    more = f"; and {len(skipped) - shown} more" if len(skipped) > shown else ""
    return f"nothing imported from {folder}: {len(skipped)} files unreadable ({reasons}{more})"


def _import_one(db, home: Path, path: Path, slug: str, report: ImportReport, told: Facts = Facts()) -> None:
    try:
        data = path.read_bytes()
        facts = store.inspect_image(data, path.name)
        known = told.merged(read_sidecar(path))
    except (InputError, OSError) as exc:
        report.skipped.append(f"{path}: {getattr(exc, 'message', None) or exc}")
        return
    work_id = f"local-{facts.sha256[:16]}"
    row = db.conn.execute("SELECT status FROM works WHERE id = ?", [work_id]).fetchone()
    title, year = _title_and_year(path.stem)
    record = work_record(id=work_id, artist=slug, title=known.get("title", title), year=known["year"] or year, page_url=None,
                         styles=known["styles"], genres=known["genres"])
    if row and row[0] == "downloaded" and (home / store.relative_path(slug, work_id, facts.ext)).exists():
        if told != Facts() or known.get("title"):  # imported again to give it a style, genre or year
            save_listed(db, [record], source="local")
        report.already += 1
        return
    relative = store.relative_path(slug, work_id, facts.ext)
    if not db["artists"].count_where("slug = ?", [slug]):  # created with the first image; WikiArt's record is kept
        save_artist(db, {"slug": slug, "name": report.name, "source": "local"})
    store.write_image(home, relative, data)
    save_listed(db, [record], source="local")
    save_result(db, work_id, {"status": "downloaded", "reason": None, "local_path": relative, "sha256": facts.sha256,
                              "bytes": facts.bytes, "width": facts.width, "height": facts.height, "phash": facts.phash})
    report.imported += 1
