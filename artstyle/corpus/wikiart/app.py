"""The site's keyless "App" routes (SPEC §5): the whole oeuvre in one call, details per work.

``PaintingsByArtist`` has numeric ``contentId`` but no 24-hex id, so works
listed only by this route get the stable id ``wikiart-<contentId>``.
``ImageJson/<contentId>`` adds style, genre, period and tags as comma strings.
"""

from __future__ import annotations

from artstyle.corpus.wikiart.identifiers import Rejected, content_id, describe
from artstyle.corpus.wikiart.records import build_records, clean_text, split_list, work_record


def paintings_path() -> str:
    return "/en/App/Painting/PaintingsByArtist"


def details_path(number: int) -> str:
    return f"/en/App/Painting/ImageJson/{int(number)}"


def app_work_id(number) -> str:
    """``wikiart-<contentId>``; Rejected when the content id is not a number."""
    value = content_id(number)
    if value is None:
        raise Rejected(f"contentId {describe(number)} is not a number")
    return f"wikiart-{value}"


def parse_app_paintings(data, slug: str, root: str, rejected: list[str] | None = None) -> list[dict]:
    """Work records of the ``PaintingsByArtist`` array; unsafe items go to ``rejected`` with their reason."""
    paintings = [p for p in (data if isinstance(data, list) else []) if isinstance(p, dict) and p.get("contentId") is not None]
    return build_records(paintings, lambda painting: _record(painting, slug, root), rejected)


def _record(painting: dict, slug: str, root: str) -> dict:
    year = painting.get("yearAsString") or painting.get("completitionYear")
    url = painting.get("url")
    work_id = app_work_id(painting["contentId"])
    return work_record(
        id=work_id, artist=slug, title=painting.get("title"), year=year,
        image=painting.get("image"), content_id=content_id(painting["contentId"]),
        page_url=f"{root}/en/{painting.get('artistUrl') or slug}/{url}" if url else None,
    )


def parse_image_json(data: dict) -> dict:
    """The detail fields of ``ImageJson``: styles, genres, media, period, tags."""
    data = data or {}
    return {
        "styles": split_list(data.get("style")), "genres": split_list(data.get("genre")),
        "media": split_list(data.get("media") or data.get("material") or data.get("technique")),
        "period": clean_text(data.get("period")), "tags": split_list(data.get("tags")),
    }
