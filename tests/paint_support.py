"""A small painted-from corpus for paint tests: the shared paintings registered straight into a catalog.

``corpus import`` does this for users; these tests only need catalog rows with
status ``downloaded`` and verified local copies, so they write them with the
catalog's own functions.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from PIL import Image

from artstyle.corpus import catalog
from artstyle.files import sha256_file


def _title_year(stem: str) -> tuple[str, int | None]:
    match = re.search(r"-(\d{4})(?:-second-copy)?$", stem)
    year = int(match.group(1)) if match else None
    return stem.replace("-", " ").capitalize(), year


def register_paintings(home: Path, paintings: Path, artists: list[str] | None = None, status: str = "downloaded") -> dict[str, list[str]]:
    """Copy ``paintings/<artist>/*.jpg`` into ``home/images`` and catalog them; returns {artist: [work ids]}."""
    db = catalog.open_catalog(home / "catalog.db")
    wanted = artists or sorted(p.name for p in paintings.iterdir() if p.is_dir() and p.name != "photos")
    ids: dict[str, list[str]] = {}
    with db.conn:
        for slug in wanted:
            db["artists"].insert({"slug": slug, "name": slug.replace("-", " ").title(), "source": "local",
                                  "fetched_at": catalog.now()}, replace=True)
            ids[slug] = [_register(db, home, slug, path, status) for path in sorted((paintings / slug).glob("*.jpg"))]
        for original in db["works"].rows_where("title LIKE ?", ["%second copy"]):
            first = next(db["works"].rows_where("artist = ? AND id != ?", [original["artist"], original["id"]]))
            db["works"].update(original["id"], {"duplicate_of": first["id"]})
    return ids


def _register(db, home: Path, slug: str, path: Path, status: str) -> str:
    sha = sha256_file(path)
    work_id = f"local-{sha[:16]}"
    relative = Path("images") / slug / f"{work_id}.jpg"
    (home / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, home / relative)
    title, year = _title_year(path.stem)
    with Image.open(path) as image:
        width, height = image.size
    db["works"].insert({
        "id": work_id, "artist": slug, "title": title, "year_raw": str(year) if year else None,
        "year_start": year, "year_end": year, "styles": catalog.dumps(["Cubism"] if year and year >= 1909 else ["Expressionism"]),
        "genres": catalog.dumps(["portrait"] if "portrait" in path.stem or "nude" in path.stem else ["landscape"]),
        "local_path": str(relative), "sha256": sha, "bytes": path.stat().st_size, "width": width, "height": height,
        "status": status, "source": "local", "added_at": catalog.now(), "updated_at": catalog.now(),
    }, replace=True)
    return work_id
