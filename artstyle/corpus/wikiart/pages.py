"""The HTML route (SPEC §7), parsed with BeautifulSoup: the text list and the painting page.

``/en/<slug>/all-works/text-list`` lists every work on one page (§7.2); each
painting page (§7.3) carries the 24-hex id, the image and the labelled
Style/Genre/Media/Period values. Used when the JSON routes fail.
"""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup

from artstyle.corpus.wikiart.records import clean_text, split_list

_LABELS = {"style": "styles", "genre": "genres", "media": "media", "period": "period", "date": "year"}
_ID_PATTERNS = (re.compile(r"paintingId\s*=\s*'([0-9a-f]{24})'"), re.compile(r'data-painting-id="([0-9a-f]{24})"'))


def text_list_path(slug: str) -> str:
    return f"/en/{slug}/all-works/text-list"


def parse_text_list(markup: str, slug: str) -> list[dict]:
    """``{"path", "title", "year"}`` per row; the first link under ``/en/<slug>/`` is the work."""
    soup = BeautifulSoup(markup, "html.parser")
    rows = []
    for row in soup.select("li.painting-list-text-row"):
        link = next((a for a in row.find_all("a") if (a.get("href") or "").startswith(f"/en/{slug}/")), None)
        spans = [s.get_text() for s in row.find_all("span", recursive=False)]
        if link is None:
            continue  # rows without a link have no page to fetch the image from
        year = spans[0] if spans else ""
        rows.append({"path": link["href"], "title": clean_text(link.get_text()), "year": clean_text(year.lstrip(", ")) })
    return rows


def _ng_json(soup: BeautifulSoup, selector: str, prefix: str) -> dict:
    node = soup.select_one(selector)
    text = (node.get("ng-init") or "") if node else ""
    match = re.search(re.escape(prefix) + r"\s*=\s*(\{.*\})\s*;?\s*$", text, re.S)
    try:
        return json.loads(match.group(1)) if match else {}
    except ValueError:
        return {}


def _original_from_thumbnails(model: dict) -> str | None:
    for group in model.get("ImageThumbnailsModel") or []:
        for thumb in group.get("Thumbnails") or []:
            if thumb.get("Name") == "Original":
                return thumb.get("Url")
    return None


def _labelled_values(soup: BeautifulSoup) -> dict:
    article = soup.select_one(".wiki-layout-artist-info article")
    values: dict = {}
    for item in article.select("li") if article else []:
        label = item.find("s")
        key = _LABELS.get(clean_text(label.get_text()).rstrip(":").lower()) if label and label.get_text() else None
        if key:
            label.extract()
            links = [a.get_text() for a in item.find_all("a")]
            values[key] = links if links and key != "period" else clean_text(item.get_text())
    return values


def parse_painting_page(markup: str) -> dict:
    """``{"id", "title", "year", "image", "styles", "genres", "media", "period"}`` of a painting page."""
    soup = BeautifulSoup(markup, "html.parser")
    painting = _ng_json(soup, ".wiki-layout-painting-info-bottom", "paintingJson")
    thumbs = _ng_json(soup, 'main[ng-controller="ArtworkViewCtrl"]', "thumbnailSizesModel")
    og = soup.select_one('meta[property="og:image"]')
    image = _original_from_thumbnails(thumbs) or painting.get("image") or (og.get("content") if og else None)
    work_id = painting.get("_id") or next((m.group(1) for p in _ID_PATTERNS if (m := p.search(markup))), None)
    title = soup.select_one(".wiki-layout-artist-info article h3")
    labelled = _labelled_values(soup)
    return {
        "id": work_id, "title": painting.get("title") or (title.get_text() if title else None),
        "year": painting.get("year") or labelled.get("year"), "image": image,
        "styles": split_list(labelled.get("styles")), "genres": split_list(labelled.get("genres")),
        "media": split_list(labelled.get("media")), "period": clean_text(labelled.get("period")),
    }
