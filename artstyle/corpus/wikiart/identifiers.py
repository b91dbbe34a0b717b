"""The one place that says what a remote value may look like before it names anything on disk.

Why: work ids and artist slugs come from WikiArt's answers and end up in file
paths (``images/<artist>/<work-id>.<ext>``). A hostile or broken server could
send ``../..``, an absolute path, a backslash, a NUL or a very long name. Every
parser checks its values here, with one strict pattern per kind, and a value
that fails is dropped with a reason (a skipped work, or a refused artist).
The store checks the final path again (``files.inside``) as a second wall.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from artstyle.errors import NetworkError, clip

MAX_SLUG = 120
# 24-hex (site JSON, HTML route), wikiart-<contentId> (App route), local-<sha256 prefix> (imports)
WORK_ID = re.compile(r"[0-9a-f]{24}|wikiart-[0-9]{1,12}|local-[0-9a-f]{16}")
ARTIST_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # what names.slug makes; never '.', '/', '\\'
CONTENT_ID = re.compile(r"[0-9]{1,12}")
HEX_ID = re.compile(r"[0-9a-f]{24}")
_BAD_IN_URL = ("\\", "\x00")


class Rejected(ValueError):
    """One listed item whose remote values cannot be trusted; the message is the reason."""


class UnsafeAnswerError(NetworkError):
    """WikiArt answered a value that would name a path (a refused artist, not a skipped work)."""


def check_work_id(value) -> str:
    if not is_work_id(value):
        raise Rejected(f"work id {describe(value)} is not a WikiArt id")
    return value


def check_slug(value, what: str = "artist URL name") -> str:
    if not is_slug(value):
        raise UnsafeAnswerError(
            f"WikiArt answered an unusable {what} {describe(value)}; nothing was written",
            hint="artist URL names are lowercase words joined by '-'; check --wikiart-url points at WikiArt",
        )
    return value


def is_work_id(value) -> bool:
    return isinstance(value, str) and WORK_ID.fullmatch(value) is not None


def is_slug(value) -> bool:
    return isinstance(value, str) and len(value) <= MAX_SLUG and ARTIST_SLUG.fullmatch(value) is not None


def content_id(value) -> int | None:
    """A numeric App ``contentId`` as an int (bools and ``12abc`` are not ids), else None."""
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, (int, str)) else ""
    return int(text) if CONTENT_ID.fullmatch(text) else None


def hex_id(value) -> str | None:
    return value if isinstance(value, str) and HEX_ID.fullmatch(value) else None


def describe(value) -> str:
    """A hostile value as a short, printable quote for a reason line."""
    return clip(repr(value), 60)


def image_url_problem(url) -> str | None:
    """Why an image URL from the data is unusable (None when it is a plain http(s) URL)."""
    if not isinstance(url, str) or not url:
        return "no image URL"
    if len(url) > 2048:
        return "image URL longer than 2048 characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"image URL {describe(url)} is not an http(s) URL"
    path = unquote(unquote(parts.path))
    if any(c in path or c in url for c in _BAD_IN_URL) or ".." in path.split("/"):
        return f"image URL {describe(url)} has a path that climbs or escapes"
    return None
