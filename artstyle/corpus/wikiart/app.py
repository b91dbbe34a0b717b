"""The site's keyless "App" routes (SPEC §5): the whole oeuvre in one call, details per work.

``PaintingsByArtist`` has numeric ``contentId`` but no 24-hex id, so works
listed only by this route get the stable id ``wikiart-<contentId>``.
``ImageJson/<contentId>`` adds style, genre, period and tags as comma strings.
"""

from __future__ import annotations

from artstyle.corpus.wikiart.records import clean_text, split_list, work_record


def paintings_path() -> str:
    return "/en/App/Painting/PaintingsByArtist"


def details_path(content_id: int) -> str:
    return f"/en/App/Painting/ImageJson/{content_id}"


def app_work_id(content_id) -> str:
    return f"wikiart-{int(content_id)}"


def parse_app_paintings(data, slug: str, root: str) -> list[dict]:
    """Work records of the ``PaintingsByArtist`` array."""
    return [_record(p, slug, root) for p in data or [] if isinstance(p, dict) and p.get("contentId") is not None]


def _record(painting: dict, slug: str, root: str) -> dict:
    year = painting.get("yearAsString") or painting.get("completitionYear")
    url = painting.get("url")
    return work_record(
        id=app_work_id(painting["contentId"]), artist=slug, title=painting.get("title"), year=year,
        image=painting.get("image"), content_id=int(painting["contentId"]),
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
