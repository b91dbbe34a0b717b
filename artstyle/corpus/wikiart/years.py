"""Free-form WikiArt years to (start, end), keeping the raw text alongside.

WikiArt's ``year`` is free text (SPEC §3.3, §10.9): ``"1916"``, ``"1920-1930"``,
``"c. 1905"``, ``"c.1960"``, ``"XX cent."``, ``"XIX-XX cent."`` or nothing. We keep
the raw string in the catalog and parse the first and last year it covers so
``--years`` filters can test overlap.
"""

from __future__ import annotations

import re

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_CENTURY = re.compile(r"\b([IVXLC]+)\s*(?:-\s*([IVXLC]+))?\s*(?:cent|century)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(\d{3,4})(?!\d)")


def _roman(text: str) -> int:
    total, previous = 0, 0
    for char in reversed(text.upper()):
        value = _ROMAN[char]
        total += -value if value < previous else value
        previous = max(previous, value)
    return total


def _short_end(start: int, end_text: str) -> int:
    """``1909-12`` means 1912: a short end year borrows the start's leading digits."""
    if len(end_text) >= 4:
        return int(end_text)
    return int(str(start)[: 4 - len(end_text)] + end_text)


def parse_year(raw: str | int | None) -> tuple[int | None, int | None]:
    """First and last year that ``raw`` covers, or (None, None) when it names none."""
    if raw is None:
        return None, None
    text = str(raw).strip()
    century = _CENTURY.search(text)
    if century:
        first = _roman(century.group(1))
        last = _roman(century.group(2)) if century.group(2) else first
        return (first - 1) * 100 + 1, last * 100
    short = re.search(r"(?<!\d)(\d{4})\s*[-–/]\s*(\d{1,2})(?!\d)", text)
    if short:
        start = int(short.group(1))
        return start, max(start, _short_end(start, short.group(2)))
    years = [int(y) for y in _YEAR.findall(text)]
    if not years:
        return None, None
    return min(years), max(years)
