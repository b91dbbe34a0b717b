"""One interface over WikiArt's routes: artist metadata, every work of an artist, work details.

Listing tries the site JSON pages first (SPEC §3, ids are WikiArt's 24-hex
ids), then the App route (§5, whole oeuvre in one call), then the HTML text
list with one painting page per work (§7). A route that fails for any reason
other than an unreachable server hands over to the next.
"""

from __future__ import annotations

import logging
from typing import Callable

from artstyle.errors import NetworkError, NotFoundError
from artstyle.corpus.wikiart import app, artist, directory, listing, pages
from artstyle.corpus.wikiart.client import Client, HTTPStatusError, NotJsonError, UnreachableError
from artstyle.corpus.wikiart.identifiers import Rejected, describe, hex_id
from artstyle.corpus.wikiart.records import work_record

log = logging.getLogger(__name__)

MAX_PAGES = 500  # a listing longer than 30,000 works is a server loop, not an artist
Listed = Callable[[int], None]


def fetch_artist(client: Client, slug: str, retries: int = 2) -> dict:
    """The artist record, or NotFoundError when WikiArt does not know the slug (SPEC §3.5).

    An unknown slug answers 500, like a passing server fault, so it is retried
    ``retries`` times before it counts as unknown.
    """
    try:
        data = client.get_json(f"/en/{slug}", params={"json": "2"}, retries=retries)
    except HTTPStatusError as exc:
        if exc.status in (404, 500):
            raise NotFoundError(
                f"artist {slug!r} is not on WikiArt ({exc.url} answered HTTP {exc.status})",
                hint="use the artist's WikiArt URL name, e.g. pablo-picasso for https://www.wikiart.org/en/pablo-picasso",
            ) from exc
        raise
    if not isinstance(data, dict) or not (data.get("url") or data.get("artistName")):
        raise NotFoundError(f"artist {slug!r} is not on WikiArt", hint="check the spelling of the artist's URL name")
    return artist.parse_artist(data, slug)


_ARTIST_LISTS: dict[str, list[dict]] = {}  # per site root, for the life of the process


def fetch_artist_list(client: Client) -> list[dict]:
    """Every artist on WikiArt (AlphabetJson, public domain and not; SPEC §5), fetched once per process."""
    if client.root not in _ARTIST_LISTS:
        parts = []
        for public in directory.PUBLIC_DOMAIN:
            data = client.get_json(directory.PATH, params=directory.params(public))
            if not isinstance(data, list):
                raise NotJsonError(f"{directory.PATH} did not answer a list", hint="WikiArt changed its App route")
            parts.append(directory.parse_artist_list(data))
        _ARTIST_LISTS[client.root] = directory.merge(*parts)
    return _ARTIST_LISTS[client.root]


def forget_artist_lists() -> None:
    """Drop the per-process artist lists (a test's server may reuse a port another one had)."""
    _ARTIST_LISTS.clear()


def list_site_json(client: Client, slug: str, limit: int | None = None, on_listed: Listed | None = None,
                   rejected: list[str] | None = None) -> list[dict]:
    """Route A: ``mode/all-paintings?json=2&page=N`` until an empty or null page."""
    works: dict[str, dict] = {}
    for page in range(1, MAX_PAGES + 1):
        data = client.get_json(listing.listing_path(slug), params={**listing.LISTING_PARAMS, "page": str(page)})
        dropped: list[str] = []
        records = listing.parse_listing_page(data, slug, client.root, dropped)
        if rejected is not None:
            rejected.extend(dropped)
        if not records and not dropped:
            break
        for record in records:
            works.setdefault(record["id"], record)  # ids repeat across pages (SPEC §3.4)
        if on_listed:
            on_listed(len(works))
        if limit and len(works) >= limit:
            break
    return list(works.values())


def list_app(client: Client, slug: str, limit: int | None = None, on_listed: Listed | None = None,
             rejected: list[str] | None = None) -> list[dict]:
    """Route B: ``App/Painting/PaintingsByArtist`` (one call)."""
    data = client.get_json(app.paintings_path(), params={"artistUrl": slug, "json": "2"})
    if not isinstance(data, list):
        raise NotJsonError(f"{app.paintings_path()} did not answer a list", hint="WikiArt changed its App route")
    works = {r["id"]: r for r in reversed(app.parse_app_paintings(data, slug, client.root, rejected))}
    result = list(reversed(works.values()))
    if on_listed:
        on_listed(len(result))
    return result


def list_html(client: Client, slug: str, limit: int | None = None, on_listed: Listed | None = None,
              rejected: list[str] | None = None) -> list[dict]:
    """Route D: the text list, then each painting page for its id and image."""
    rows = pages.parse_text_list(client.get_text(pages.text_list_path(slug)), slug)
    works: dict[str, dict] = {}
    for row in rows[:limit] if limit else rows:
        page = pages.parse_painting_page(client.get_text(row["path"]))
        try:
            if not page["id"]:
                raise Rejected("no painting id on its page")
            if not hex_id(page["id"]):
                raise Rejected(f"painting id {describe(page['id'])} is not a WikiArt id")
            record = work_record(
                id=page["id"], artist=slug, title=page["title"] or row["title"], year=page["year"] or row["year"],
                page_url=client.url(row["path"]), image=page["image"], styles=page["styles"],
                genres=page["genres"], media=page["media"], period=page["period"],
            )
        except Rejected as exc:
            log.warning("%s skipped: %s", row["path"], exc)
            if rejected is not None:
                rejected.append(f"{describe(row['path'])} skipped: {exc}")
            continue
        works.setdefault(page["id"], record)
        if on_listed:
            on_listed(len(works))
    return list(works.values())


ROUTES = {"site-json": list_site_json, "app": list_app, "html": list_html}


def list_works(client: Client, slug: str, limit: int | None = None, on_listed: Listed | None = None,
               routes: tuple[str, ...] = tuple(ROUTES), rejected: list[str] | None = None) -> tuple[list[dict], str]:
    """Every work of ``slug`` and the name of the route that listed them.

    Items the route had to drop (unsafe ids, image URLs) are appended to ``rejected`` with their reasons.
    """
    failures = []
    for name in routes:
        dropped: list[str] = []
        try:
            works = ROUTES[name](client, slug, limit, on_listed, dropped)
        except UnreachableError:
            raise  # another route on the same host will not answer either
        except NetworkError as exc:
            log.warning("listing route %s failed for %s: %s; trying the next", name, slug, exc)
            failures.append(f"{name}: {exc}")
            continue
        if works or dropped:
            if rejected is not None:
                rejected.extend(dropped)
            return (works[:limit] if limit else works), name
        failures.append(f"{name}: no works")
    raise NetworkError(f"no route listed the works of {slug!r} ({'; '.join(failures)})",
                       hint="rerun later; if it persists WikiArt may have changed its site")


def fetch_details(client: Client, work: dict) -> dict:
    """Style, genre, media, period and tags of one work (App ImageJson, else its painting page)."""
    try:
        if work.get("content_id") is not None:
            return app.parse_image_json(client.get_json(app.details_path(work["content_id"])))
        if work.get("page_url"):
            page = pages.parse_painting_page(client.get_text(work["page_url"]))
            return {k: page[k] for k in ("styles", "genres", "media", "period")}
    except UnreachableError:
        raise
    except NetworkError as exc:
        log.warning("no details for %s: %s", work["id"], exc)
    return {}
