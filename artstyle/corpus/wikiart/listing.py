"""The site JSON listing (SPEC §3, gallery-dl's route): ``mode/all-paintings?json=2&page=N``.

Pages hold ``PageSize`` (60) paintings; the list ends at the first page whose
``Paintings`` is missing, ``null`` or empty (SPEC §3.4). Ids can repeat across
pages, so the caller keeps the first record per id.
"""

from __future__ import annotations

import re

from artstyle.corpus.wikiart.identifiers import Rejected, describe
from artstyle.corpus.wikiart.records import build_records, work_record

LISTING_PARAMS = {"json": "2", "layout": "new", "resultType": "masonry"}
_HEX_ID = re.compile(r"[0-9a-f]{24}")


def listing_path(slug: str) -> str:
    return f"/en/{slug}/mode/all-paintings"


def parse_listing_page(data: dict, slug: str, root: str, rejected: list[str] | None = None) -> list[dict]:
    """Work records of one page; an empty list means the listing has ended.

    Items with an unsafe id or image URL are left out, their reasons appended to ``rejected``.
    """
    paintings = (data or {}).get("Paintings") if isinstance(data, dict) else None
    return build_records(paintings if isinstance(paintings, list) else [], lambda painting: _checked(painting, slug, root), rejected)


def _checked(painting, slug: str, root: str) -> dict:
    if not isinstance(painting, dict) or not _HEX_ID.fullmatch(str(painting.get("id", ""))):
        raise Rejected(f"id {describe(painting.get('id') if isinstance(painting, dict) else painting)} is not a WikiArt id")
    return _record(painting, slug, root)


def _record(painting: dict, slug: str, root: str) -> dict:
    page = painting.get("paintingUrl")
    return work_record(
        id=painting["id"], artist=slug, title=painting.get("title"), year=painting.get("year"),
        page_url=root + page if page and page.startswith("/") else page, image=painting.get("image"),
    )
