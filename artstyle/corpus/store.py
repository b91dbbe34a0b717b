"""The image store: ``images/<artist-slug>/<work-id>.<ext>`` under the data home.

A file counts only once it is fully decoded by Pillow, hashed (sha256) and
recorded. Downloads try the variants in SPEC §8's order (HD, then the
original, then Large) because ``!Large`` is missing for about a quarter of
works. Copyright placeholders and non-images are skipped with a reason.
Duplicates, exact (same sha256) or near (same painting at another size or
crop, by a 64-bit difference hash, Krawetz 2013), are flagged via
``works.duplicate_of`` so the sampler never counts one painting twice.
"""

from __future__ import annotations

import io
import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PIL import Image, UnidentifiedImageError

from artstyle.corpus import catalog
from artstyle.errors import InputError, NetworkError
from artstyle.files import PART_SUFFIX, atomic_write_bytes, inside, sha256_bytes
from artstyle.settings import IMAGES_DIR
from artstyle.corpus.wikiart.client import Client, HTTPStatusError, SiteError
from artstyle.corpus.wikiart.identifiers import describe, is_slug, is_work_id
from artstyle.corpus.wikiart.records import PLACEHOLDER_MARK, VARIANT_ORDER

log = logging.getLogger(__name__)

NEAR_DUPLICATE_BITS = 10  # of 64: crops of a few % stay under 10; distinct paintings sit near 32
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "TIFF": "tif"}


@dataclass(frozen=True)
class ImageFacts:
    ext: str
    width: int
    height: int
    sha256: str
    phash: str
    bytes: int


def dhash(image: Image.Image, size: int = 8) -> str:
    """64-bit difference hash as 16 hex digits: is each pixel brighter than its right neighbour?"""
    grey = np.asarray(image.convert("L").resize((size + 1, size), Image.Resampling.LANCZOS), dtype=np.float32)
    bits = (grey[:, 1:] > grey[:, :-1]).flatten()  # (size*size,)
    return f"{int(''.join('1' if b else '0' for b in bits), 2):0{size * size // 4}x}"


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def inspect_image(data: bytes, name: str) -> ImageFacts:
    """Fully decode ``data``; InputError for anything Pillow cannot read to the last pixel."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()  # truncated files fail here
        fmt = image.format or ""
        if fmt not in EXTENSIONS:
            raise InputError(f"{name} is a {fmt or 'unknown'} image, which artstyle does not store",
                             hint="convert it to JPEG or PNG")
        return ImageFacts(EXTENSIONS[fmt], image.width, image.height, sha256_bytes(data), dhash(image), len(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"{name} is not a readable image ({exc})", hint="check that the file is a complete image") from exc


def relative_path(artist: str, work_id: str, ext: str) -> str:
    return f"{IMAGES_DIR}/{artist}/{work_id}.{ext}"


def write_image(home: Path, relative: str, data: bytes) -> None:
    """Write a stored image, after checking its path resolves under ``images/`` of the data home."""
    atomic_write_bytes(inside(Path(home) / IMAGES_DIR, Path(home) / relative), data)


def unsafe_names(artist, work_id) -> str | None:
    """Why a work's artist slug or id cannot name a file (None when both are safe)."""
    if not is_slug(artist):
        return f"artist name {describe(artist)} cannot name a folder"
    if not is_work_id(work_id):
        return f"work id {describe(work_id)} cannot name a file"
    return None


def stored_facts(home: Path, artist: str, work_id: str) -> tuple[str, ImageFacts] | None:
    """A finished file already on disk for this work (a crash before the catalog write), verified."""
    for path in sorted((home / IMAGES_DIR / artist).glob(f"{work_id}.*")):
        if path.name.endswith(PART_SUFFIX):
            continue
        try:
            return relative_path(artist, work_id, path.suffix[1:]), inspect_image(path.read_bytes(), str(path))
        except (InputError, OSError):
            return None
    return None


def _downloaded(path: str, facts: ImageFacts, variant: str) -> dict:
    return {"status": "downloaded", "reason": None, "local_path": path, "sha256": facts.sha256,
            "bytes": facts.bytes, "width": facts.width, "height": facts.height, "phash": facts.phash,
            "variant": variant}


def download_work(client: Client, home: Path, work: dict) -> dict:
    """Fetch one work's image (variant fallback); the catalog fields to record, with a status."""
    urls = work.get("image_urls") or {}
    if any(PLACEHOLDER_MARK in url for url in urls.values()):
        return {"status": "skipped", "reason": "copyright placeholder: WikiArt does not show this image"}
    if not urls:
        return {"status": "skipped", "reason": "no image URL in the listing"}
    if problem := unsafe_names(work.get("artist"), work.get("id")):
        return {"status": "failed", "reason": problem}
    existing = stored_facts(home, work["artist"], work["id"])
    if existing:
        return _downloaded(existing[0], existing[1], "existing")
    problems = []
    for variant in [v for v in VARIANT_ORDER if v in urls]:
        try:
            data = client.get_image(urls[variant])
            facts = inspect_image(data, urls[variant])
        except SiteError:
            raise  # the whole site refuses: stop the scrape, saying which condition
        except (HTTPStatusError, InputError, NetworkError) as exc:
            problems.append(f"{variant}: {_short(exc)}")
            continue
        path = relative_path(work["artist"], work["id"], facts.ext)
        write_image(home, path, data)
        return _downloaded(path, facts, variant)
    return {"status": "failed", "reason": "no usable image (" + "; ".join(problems) + ")"}


def _short(exc: Exception) -> str:
    if isinstance(exc, HTTPStatusError):
        return f"HTTP {exc.status}"
    if isinstance(exc, InputError):
        return "not a readable image"
    return str(exc)


def download_many(client: Client, home: Path, works: Iterable[dict], workers: int = 4) -> Iterator[tuple[dict, dict]]:
    """(work, result) as each download finishes; at most ``workers`` at once.

    The catalog is written by the caller's thread (SQLite connections stay in
    the thread that opened them); this only fetches, verifies and writes files.
    """
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="download") as pool:
        futures = {pool.submit(download_work, client, home, work): work for work in works}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def duplicate_map(rows: list[dict], bits: int = NEAR_DUPLICATE_BITS) -> dict[str, str | None]:
    """work id -> the id it duplicates (or None); the largest image of each group is kept.

    Deterministic whatever order downloads finished in: candidates are ranked by
    pixel count, then id.
    """
    ranked = sorted(rows, key=lambda r: (-(r["width"] or 0) * (r["height"] or 0), r["id"]))
    kept: list[dict] = []
    result: dict[str, str | None] = {}
    for row in ranked:
        match = next((k for k in kept if k["sha256"] == row["sha256"]
                      or (row["phash"] and k["phash"] and hamming(k["phash"], row["phash"]) <= bits)), None)
        result[row["id"]] = match["id"] if match else None
        if match is None:
            kept.append(row)
    return result


def flag_duplicates(db, artist: str) -> int:
    """Recompute ``duplicate_of`` for an artist's downloaded works; return how many are duplicates."""
    with catalog.transaction(db):
        rows = [dict(zip(("id", "sha256", "phash", "width", "height", "duplicate_of"), r)) for r in db.conn.execute(
            "SELECT id, sha256, phash, width, height, duplicate_of FROM works WHERE artist = ? AND status = 'downloaded'",
            [artist])]
        mapping = duplicate_map(rows)
        for row in rows:
            if row["duplicate_of"] != mapping[row["id"]]:
                db.conn.execute("UPDATE works SET duplicate_of = ? WHERE id = ?", [mapping[row["id"]], row["id"]])
        db.conn.execute("UPDATE works SET duplicate_of = NULL WHERE artist = ? AND status != 'downloaded'"
                        " AND duplicate_of IS NOT NULL", [artist])
    return sum(1 for v in mapping.values() if v)
