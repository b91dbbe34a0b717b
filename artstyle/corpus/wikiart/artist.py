"""Artist metadata from ``GET /en/<slug>?json=2`` (SPEC §2) as a plain record."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from artstyle.corpus.wikiart.identifiers import check_slug
from artstyle.corpus.wikiart.records import clean_text

_ASP_DATE = re.compile(r"/Date\((-?\d+)\)/")
_LIVING = 253402300799999  # 9999-12-31: how WikiArt marks living artists (SPEC §10.14)


def asp_year(value) -> int | None:
    """The year of an ASP.NET ``/Date(ms)/`` string (negative before 1970); None for living artists."""
    match = _ASP_DATE.fullmatch(str(value or "").strip())
    if not match or int(match.group(1)) >= _LIVING:
        return None
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(match.group(1)))
    return moment.year


def parse_artist(data: dict, slug: str) -> dict:
    """An ``artists`` row (without ``fetched_at``) from the artist JSON; UnsafeAnswerError for an unusable ``url``."""
    return {
        "slug": check_slug(data.get("url") or slug),
        "name": clean_text(data.get("artistName") or data.get("OriginalArtistName")) or slug,
        "birth": clean_text(data.get("birthDayAsString")),
        "death": clean_text(data.get("deathDayAsString")),
        "birth_year": asp_year(data.get("birthDay")),
        "death_year": asp_year(data.get("deathDay")),
        "wikipedia_url": data.get("wikipediaUrl") or None,
        "source": "wikiart",
        "content_id": data.get("contentId"),
    }
