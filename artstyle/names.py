"""The one way artstyle turns a name into a slug: ``Pablo Picasso`` -> ``pablo-picasso``.

Artist slugs in the catalog, WikiArt URL names, lenient artist lookup and the
readable parts of output file names all use this rule, so a name typed by a
user, one stored in the catalog and one on WikiArt compare equal. Lowercase,
every run of characters outside ``[a-z0-9]`` becomes one ``-``, leading and
trailing ``-`` go. Options keep each caller's exact behaviour:

- ``fold``: decode HTML entities and drop accents first (``Paul C&eacute;zanne``
  and ``Paul Cézanne`` -> ``paul-cezanne``), as WikiArt's artist list needs;
  without it an accented letter is a separator (``Cézanne`` -> ``c-zanne``),
  as the catalog has always matched names;
- ``max_length``: cut the result (after stripping, so it may end in ``-``);
- ``fallback``: what an empty result becomes.

Pure standard library: importable without torch or the network.
"""

from __future__ import annotations

import html
import re
import unicodedata

_SEPARATORS = re.compile(r"[^a-z0-9]+")


def fold_accents(text: str) -> str:
    """``Paul C&eacute;zanne`` -> ``Paul Cezanne``: HTML entities decoded, combining accents dropped."""
    plain = unicodedata.normalize("NFKD", html.unescape(text or ""))
    return "".join(c for c in plain if not unicodedata.combining(c))


def slug(text: str, *, fold: bool = False, max_length: int | None = None, fallback: str = "") -> str:
    """``Pablo Picasso`` -> ``pablo-picasso`` (see the module docstring for the options)."""
    if fold:
        text = fold_accents(text)
    result = _SEPARATORS.sub("-", text.lower()).strip("-")
    if max_length is not None:
        result = result[:max_length]
    return result or fallback


def has_words(wanted: str, text: str) -> bool:
    """Whether slug ``wanted`` is a run of whole words of slug ``text`` (``gogh`` in ``vincent-van-gogh``)."""
    return bool(re.search(rf"(^|-){re.escape(wanted)}(-|$)", text))
