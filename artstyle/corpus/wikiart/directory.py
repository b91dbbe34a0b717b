"""WikiArt's list of every artist (SPEC §5 ``App/Artist/AlphabetJson``) and lenient lookup in it.

An artist not yet in the catalog is known only by what the user typed:
``picasso``, ``Pablo Picasso``, ``van gogh``. WikiArt's own artist list (two
calls, public domain and not, about 5,800 artists) turns that into the URL
name the other routes need. Lookup order: exact URL name, exact normalised
name (``artistName`` or ``lastNameFirst``), then a unique whole-word match on
URL name or name; several matches are ambiguous, none lists the closest
(difflib). Everything here is pure: parse the JSON, resolve a name.
"""

from __future__ import annotations

import difflib
import html

from artstyle import names
from artstyle.corpus.wikiart.identifiers import is_slug
from artstyle.errors import NotFoundError, UsageError

PATH = "/en/App/Artist/AlphabetJson"
PUBLIC_DOMAIN = ("true", "false")  # the union of both answers is every artist


def params(public_domain: str) -> dict[str, str]:
    """Query of one AlphabetJson call; ``v=new`` is required since 2018 (SPEC §5)."""
    return {"v": "new", "inPublicDomain": public_domain}


def normalise(text: str) -> str:
    """``Paul Cézanne`` -> ``paul-cezanne``: accents dropped, entities decoded, words joined by '-'."""
    return names.slug(text, fold=True)


def parse_artist_list(data) -> list[dict]:
    """``{url, name, last_name_first, content_id}`` for each usable AlphabetJson item (no url: skipped)."""
    artists = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not is_slug(str(item.get("url") or "").strip()):
            continue  # no URL name, or one that could name a path
        url = str(item["url"]).strip()
        artists.append({
            "url": url,
            "name": " ".join(html.unescape(str(item.get("artistName") or url)).split()),
            "last_name_first": " ".join(html.unescape(str(item.get("lastNameFirst") or "")).split()),
            "content_id": item.get("contentId"),
        })
    return artists


def merge(*lists: list[dict]) -> list[dict]:
    """One entry per URL name, first seen wins, sorted by URL name."""
    merged: dict[str, dict] = {}
    for artists in lists:
        for artist in artists:
            merged.setdefault(artist["url"], artist)
    return [merged[url] for url in sorted(merged)]


def resolve(artists: list[dict], name: str) -> dict:
    """The one artist ``name`` means; UsageError when ambiguous, NotFoundError with the closest otherwise."""
    wanted = normalise(name)
    if not wanted:
        raise UsageError(f"{name!r} is not an artist name", hint="give a WikiArt URL name such as pablo-picasso")
    exact = [a for a in artists if a["url"] == wanted]
    exact = exact or [a for a in artists if wanted in (normalise(a["name"]), normalise(a["last_name_first"]))]
    if len(exact) == 1:
        return exact[0]
    partial = exact or [a for a in artists if names.has_words(wanted, a["url"]) or names.has_words(wanted, normalise(a["name"]))]
    if len(partial) == 1:
        return partial[0]
    if partial:
        urls = ", ".join(sorted(a["url"] for a in partial))
        raise UsageError(f"artist {name!r} is ambiguous on WikiArt: {urls}",
                         hint=f"give the full URL name, e.g. {sorted(a['url'] for a in partial)[0]}")
    raise NotFoundError(f"no artist {name!r} on WikiArt", hint=closest_hint(artists, wanted))


def closest(artists: list[dict], wanted: str, n: int = 3) -> list[str]:
    """The URL names nearest to ``wanted`` (a normalised name), best first."""
    return difflib.get_close_matches(wanted, [a["url"] for a in artists], n=n, cutoff=0.5)


def closest_hint(artists: list[dict], wanted: str) -> str:
    near = closest(artists, normalise(wanted))
    return (f"did you mean: {', '.join(near)}?" if near
            else "use the artist's WikiArt URL name, e.g. pablo-picasso for https://www.wikiart.org/en/pablo-picasso")
