"""Which works a painting is styled after: ``--like ARTIST`` and ``--blend "a=0.7,b=0.3"``.

Mu & Francl (2015) imitate an artist as a whole by painting each request after
*one* randomly drawn work rather than after an average of many: several
targets combine as a weighted sum of style losses, which for Gram losses is the
same as optimising toward their weighted mean Gram (see :mod:`artstyle.core.losses`),
and that mean washes out what makes each work distinctive. So ``--like`` draws
``works=1`` work per artist by default, uniformly among the artist's downloaded,
non-duplicate works (optionally filtered by style, genre and years), from a
``random.Random(seed)``: the same seed and catalog give the same works.

Weights: each ``--like`` artist gets an equal share; a ``--blend`` entry (an
artist or a work id) gets its given weight, normalised to sum to 1; an
artist's share is split equally among the works drawn for it.

An artist missing from the catalog is fetched through ``fetch(name)`` (by
default :func:`artstyle.corpus.collection.add_artist`, imported lazily) unless
``offline``. A work named in ``--blend`` that the catalog only lists (not yet
downloaded) is made local through ``ensure(work_id)`` (the paint pipeline
passes :func:`artstyle.corpus.collection.ensure_image`) unless ``offline``;
the hooks keep this module free of network code.
"""

from __future__ import annotations

import logging
import math
import random
from functools import partial
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import sqlite_utils

from artstyle import shares
from artstyle.corpus import catalog
from artstyle.errors import InputError, NetworkError, NotFoundError, UsageError

log = logging.getLogger(__name__)

FetchHook = Callable[[str], None]  # fetch an artist (by name or slug) into the catalog, with images
EnsureHook = Callable[[str], Path]  # download a listed work's image by work id; returns its local path
FETCH_LIMIT = 8  # works downloaded when an unknown artist is fetched on the fly


@dataclass(frozen=True)
class StylePick:
    """One style image and its share of the style loss."""

    work_id: str
    artist: str | None
    title: str | None
    weight: float
    path: Path
    sha256: str | None
    members: tuple["StylePick", ...] = ()  # an artist aggregate (``works="all"``): the works it averages

    def as_dict(self) -> dict:
        out = {
            "id": self.work_id, "artist": self.artist, "title": self.title,
            "weight": self.weight, "sha256": self.sha256, "path": str(self.path),
        }
        if self.members:
            out["members"] = [m.as_dict() for m in self.members]
        return out


@dataclass(frozen=True)
class Filters:
    style: str | None = None
    genre: str | None = None
    years: str | None = None

    def describe(self) -> str:
        given = [f"--{k} {v}" for k, v in (("style", self.style), ("genre", self.genre), ("years", self.years)) if v]
        return f" matching {' '.join(given)}" if given else ""


_BLEND_ENTRY = re.compile(r"\s*([^=,\s][^=,]*?)\s*=\s*([^=,]+?)\s*")


def parse_blend(text: str) -> list[tuple[str, float]]:
    """``"a=0.7,b=0.3"`` -> [("a", 0.7), ("b", 0.3)], weights normalised; zero-weight entries dropped."""
    hint = 'write NAME=WEIGHT pairs separated by commas, e.g. --blend "pablo-picasso=0.7,vincent-van-gogh=0.3"'
    entries: list[tuple[str, float]] = []
    for part in (text or "").split(","):
        match = _BLEND_ENTRY.fullmatch(part)
        if not match:
            raise UsageError(f"malformed --blend entry {part.strip()!r} in {text!r}", hint=hint)
        name, raw = match.groups()
        try:
            weight = float(raw)
        except ValueError:
            raise UsageError(f"--blend weight {raw!r} for {name!r} is not a number", hint=hint) from None
        if not math.isfinite(weight) or weight < 0:
            raise UsageError(f"--blend weight for {name!r} must be a finite number >= 0, not {raw}", hint=hint)
        if any(name == seen for seen, _ in entries):
            raise UsageError(f"{name!r} appears twice in --blend", hint="give each artist or work once")
        entries.append((name, weight))
    total = sum(w for _, w in entries)
    if total <= 0:
        raise UsageError(f"--blend weights sum to zero in {text!r}", hint="give at least one entry a positive weight")
    normalised = shares.normalise([w for _, w in entries])
    return [(name, w) for (name, _), w in zip(entries, normalised) if w > 0]


def _resolve(db: sqlite_utils.Database, name: str, offline: bool, fetch: FetchHook | None) -> dict:
    """The artist row for ``name``, fetching the artist first when it is missing and we are online.

    A name close to a catalogued artist (a typo) keeps the catalog's "did you
    mean" when the fetch fails, WikiArt unreachable or not.
    """
    try:
        return catalog.resolve_artist(db, name)
    except NotFoundError as exc:
        missing = exc
    if offline:
        raise NotFoundError(
            f"no artist {name!r} in the catalog (offline, so not fetched from WikiArt)",
            hint=missing.hint or "add the artist first with `artstyle corpus add ARTIST`",
        ) from None
    try:
        (fetch or no_fetch)(name)
    except (NetworkError, NotFoundError) as failed:
        if not (missing.hint or "").startswith(DID_YOU_MEAN):
            raise
        where = "WikiArt is unreachable" if isinstance(failed, NetworkError) else "nor on WikiArt"
        raise NotFoundError(f"no artist {name!r} in the catalog ({where})", hint=missing.hint) from None
    return catalog.resolve_artist(db, name)


DID_YOU_MEAN = "did you mean"  # how catalog.resolve_artist's hint starts when a catalogued name is close


def no_fetch(name: str) -> None:
    """The fetch hook of a caller that cannot fetch: say how to add the artist."""
    raise NotFoundError(
        f"no artist {name!r} in the catalog",
        hint=f"add it with `artstyle corpus add {name}` or `artstyle corpus import DIR --artist NAME`",
    )


def _as_pick(home: Path, work: dict, weight: float) -> StylePick:
    path = home / work["local_path"] if work.get("local_path") else None
    if path is None or not path.is_file():
        raise InputError(
            f"the image of work {work['id']} is missing from the data home ({work.get('local_path')})",
            hint="run `artstyle corpus verify --fix` to download it again",
        )
    return StylePick(work["id"], work.get("artist"), work.get("title"), weight, path, work.get("sha256"))


def _draw(db, home: Path, slug: str, k: int, weight: float, filters: Filters, rng: random.Random,
          repeat: int = 0, draw_seed: int | None = None) -> list[StylePick]:
    """``k`` distinct random downloaded non-duplicate works of one artist, sharing ``weight`` equally.

    With ``draw_seed`` (the repeats of one batch request share it), repeat ``r``
    takes the ``r``-th group of ``k`` works of one shuffled order, so repeats
    paint after different works until the artist runs out of them.
    """
    candidates = _candidates(db, slug, filters)
    if k > len(candidates):
        log.warning("%s has only %d matching works; using all of them", slug, len(candidates))
    if draw_seed is None:
        chosen = rng.sample(candidates, min(k, len(candidates)))
    else:
        chosen = _repeat_share(candidates, slug, min(k, len(candidates)), repeat, draw_seed)
    return [_as_pick(home, work, weight / len(chosen)) for work in chosen]


def _repeat_share(candidates: list[dict], slug: str, k: int, repeat: int, draw_seed: int) -> list[dict]:
    """Repeat ``repeat``'s ``k`` works of one seeded order of ``candidates``, wrapping when they run out."""
    order = sorted(candidates, key=lambda w: w["id"])
    random.Random(f"{draw_seed}:{slug}").shuffle(order)
    first = repeat * k
    if first + k > len(order):
        log.warning("%s has only %s, so repeat %d of this request reuses works of an earlier one",
                    slug, plural(len(order), "matching work"), repeat + 1)
    return [order[(first + i) % len(order)] for i in range(k)]


def plural(count: int, noun: str) -> str:
    """``1 work``, ``2 works``: counts in plain English."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _candidates(db, slug: str, filters: Filters) -> list[dict]:
    """The downloaded, non-duplicate works of ``slug`` matching ``filters`` (NotFoundError when none)."""
    candidates = catalog.query_works(
        db, slug, style=filters.style, genre=filters.genre, years=filters.years,
        statuses=["downloaded"], include_duplicates=False,
    )
    if not candidates:
        raise NotFoundError(
            f"artist {slug!r} has no downloaded works{filters.describe()}",
            hint=f"download some with `artstyle corpus add {slug}`, or relax --style/--genre/--years",
        )
    return candidates


WORKS_ALL = "all"


def parse_works(value: int | str) -> int | str:
    """``works`` as given: a positive int, or ``"all"`` (the artist aggregate, Mu & Francl's mean of many works)."""
    text = str(value).strip().lower()
    if text == WORKS_ALL:
        return WORKS_ALL
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise UsageError(f"--works must be a positive number or 'all', not {value!r}", hint="use e.g. --works 1 (the default) or --works all")


def _aggregate(db, home: Path, slug: str, weight: float, filters: Filters, rng: random.Random) -> list[StylePick]:
    """One pick standing for the weighted mean Gram of every matching work of ``slug`` (equal member weights)."""
    works = sorted(_candidates(db, slug, filters), key=lambda w: w["id"])
    members = [_as_pick(home, w, 1.0 / len(works)) for w in works]
    return [StylePick(f"aggregate:{slug}", slug, f"mean of {len(members)} works", weight, members[0].path, None, tuple(members))]


def _work_entry(db, name: str) -> dict | None:
    """The work with id ``name``, or None when no work has that id."""
    try:
        return catalog.get_work(db, name)
    except NotFoundError:
        return None


def _named_work(db, home: Path, work: dict, weight: float, offline: bool, ensure: EnsureHook | None) -> StylePick:
    """A work named by id in ``--blend``; one only listed is downloaded through ``ensure`` first when online."""
    if work["status"] == "listed" and ensure is not None and not offline:
        ensure(work["id"])
        work = catalog.get_work(db, work["id"])
    if work["status"] != "downloaded":
        raise NotFoundError(f"work {work['id']} is not downloaded (status {work['status']})", hint="run `artstyle corpus verify --fix`")
    return _as_pick(home, work, weight)


def pick_works(
    db: sqlite_utils.Database,
    home: Path,
    *,
    like: Sequence[str] = (),
    blend: str | None = None,
    works: int | str = 1,
    filters: Filters = Filters(),
    seed: int = 0,
    offline: bool = False,
    fetch: FetchHook | None = None,
    ensure: EnsureHook | None = None,
    repeat: int = 0,
    draw_seed: int | None = None,
) -> list[StylePick]:
    """The style works for ``like`` artists or a ``blend``, drawn reproducibly from ``seed``.

    ``repeat`` and ``draw_seed`` make the repeats of one request draw distinct
    works (see :func:`_draw`); without ``draw_seed`` each call draws on its own.
    """
    works = parse_works(works)
    if bool(like) == bool(blend):
        raise UsageError("give either --like or --blend", hint='e.g. --like pablo-picasso, or --blend "a=0.7,b=0.3"')
    entries = parse_blend(blend) if blend else [(name, 1 / len(like)) for name in like]
    rng = random.Random(seed)
    picks: list[StylePick] = []
    for name, weight in entries:
        work = _work_entry(db, name) if blend else None
        if work is not None:
            picks.append(_named_work(db, home, work, weight, offline, ensure))
            continue
        artist = _resolve(db, name, offline, fetch)
        draw = _aggregate if works == WORKS_ALL else partial(_draw, k=works, repeat=repeat, draw_seed=draw_seed)
        picks += draw(db, home, artist["slug"], weight=weight, filters=filters, rng=rng)
    return picks
