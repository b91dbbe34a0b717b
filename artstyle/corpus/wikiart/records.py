"""The plain work and artist records every route parser returns, and image URL variants.

Each route (SPEC §3, §5, §7) yields the same record shape so the rest of
artstyle never knows which route listed a work. Image URLs come from the data,
never from the artist slug (SPEC §3.3): the upload folder can differ from it.
"""

from __future__ import annotations

import html
import re

from artstyle.corpus.wikiart.identifiers import Rejected, check_work_id, describe, image_url_problem
from artstyle.corpus.wikiart.years import parse_year

# SPEC §8: "!HD" (~1200 px), no token = original upload, "!Large" (~600 px).
VARIANT_ORDER = ("hd", "original", "large")
_TOKENS = {"hd": "!HD.jpg", "large": "!Large.jpg"}
PLACEHOLDER_MARK = "FRAME-600x480"  # SPEC §8: copyright-blocked works point at this image


def rejected_item(item, exc: Exception) -> str:
    """The reason line of one item a parser dropped."""
    title = clean_text(item.get("title")) if isinstance(item, dict) and isinstance(item.get("title"), str) else None
    return f"{describe(title) if title else 'an item'} skipped: {exc}"


def build_records(items, build, rejected: list[str] | None) -> list[dict]:
    """``build(item)`` for every item; an item whose values cannot be trusted (``Rejected``) is left out,
    its reason added to ``rejected``: one bad work fails alone and the rest go on."""
    records = []
    for item in items:
        try:
            records.append(build(item))
        except Rejected as exc:
            if rejected is not None:
                rejected.append(rejected_item(item, exc))
    return records


def clean_text(value) -> str | None:
    """Decode HTML entities (``&#39;``, ``&amp;``, ``&nbsp;``) and squeeze whitespace."""
    if value is None:
        return None
    text = html.unescape(str(value)).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip() or None


def split_list(value) -> list[str]:
    """A comma-joined string or a list (SPEC §5, §6) as a clean list of names."""
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [t for t in (clean_text(i) for i in items) if t]


def original_url(url: str | None) -> str | None:
    """The original upload: everything before the ``!Size`` token (SPEC §8)."""
    return url.split("!", 1)[0] if url else None


def image_variants(url: str | None) -> dict[str, str]:
    """Variant name to URL, in fallback order; the placeholder has only itself."""
    base = original_url(url)
    if not base:
        return {}
    if PLACEHOLDER_MARK in base:
        return {"original": base}
    return {"hd": base + _TOKENS["hd"], "original": base, "large": base + _TOKENS["large"]}


def work_record(
    *, id: str, artist: str, title, year, page_url: str | None = None, image: str | None = None,
    content_id: int | None = None, styles=None, genres=None, media=None, period=None, tags=None,
) -> dict:
    """One work as the catalog stores it (lists still Python lists); Rejected for an unsafe id or image URL."""
    check_work_id(id)
    if image is not None and (problem := image_url_problem(image)):
        raise Rejected(f"work {id}: {problem}")
    year_raw = clean_text(year)
    start, end = parse_year(year_raw)
    return {
        "id": id, "artist": artist, "title": clean_text(title), "year_raw": year_raw,
        "year_start": start, "year_end": end, "styles": split_list(styles), "genres": split_list(genres),
        "media": split_list(media), "period": clean_text(period), "tags": split_list(tags),
        "page_url": page_url, "image_urls": image_variants(image), "content_id": content_id,
    }
