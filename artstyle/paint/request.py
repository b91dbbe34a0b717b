"""Which style a painting follows: one :class:`StyleRequest` type for ``paint``, ``batch`` and experiments.

A request names exactly one source: artists to paint ``like`` (one random
work each, after Mu & Francl 2015), a weighted ``blend`` of artists or work
ids, one catalogued ``work``, or explicit style ``image`` files with optional
weights. :func:`draw_picks` turns it into the concrete works (``StylePick``)
through the sampler, reproducibly from a seed; that is the only place a
request's kind is dispatched on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from artstyle.corpus import catalog
from artstyle.corpus.sampler import FETCH_LIMIT, EnsureHook, FetchHook, Filters, StylePick, pick_works
from artstyle import shares
from artstyle.errors import UsageError
from artstyle.files import load_image, sha256_file
from artstyle.settings import Settings

REQUEST_KINDS = ("like", "blend", "work", "image")
ONE_SOURCE = "give exactly one of --like, --blend or --style-image"
ONE_SOURCE_OR_WORK = "give exactly one of --like, --blend, --work or --style-image"  # where --work is offered


@dataclass(frozen=True)
class StyleRequest:
    """One way to choose the style: ``like`` artists, a ``blend``, a ``work`` id or ``image`` files.

    ``values`` holds the artists (``like``), the one blend text or work id, or
    the image paths; ``weights`` (images only) their shares, normalised.
    """

    kind: str
    values: tuple[str, ...] | str
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        coerce = object.__setattr__
        if self.kind not in REQUEST_KINDS:
            raise UsageError(f"unknown style request kind {self.kind!r}", hint=f"use one of: {', '.join(REQUEST_KINDS)}")
        values = (self.values,) if isinstance(self.values, (str, Path)) else tuple(self.values)
        coerce(self, "values", tuple(str(v) for v in values))
        if not self.values or any(not v.strip() for v in self.values):
            raise UsageError(f"empty --{self.kind.replace('image', 'style-image')} value", hint="give an artist, blend, work id or image")
        if self.weights is not None:
            self._check_weights()

    def _check_weights(self) -> None:
        if self.kind != "image":
            raise UsageError("weights are given per --style-image only", hint="use --blend NAME=WEIGHT for artists and works")
        weights = tuple(shares.parse(self.weights))
        if len(weights) != len(self.values):
            raise UsageError(f"{len(self.values)} style images but {len(weights)} style weights", hint="give one weight per --style-image")
        object.__setattr__(self, "weights", weights)

    @classmethod
    def from_keywords(
        cls,
        like: Sequence[str] | str = (),
        blend: str | None = None,
        style_images: Sequence[Path | str] = (),
        style_weights: Sequence[float] | str | None = None,
        work: str | None = None,
    ) -> "StyleRequest":
        """The request of ``paint``'s keywords (and the CLI's flags): exactly one source must be given."""
        like = [like] if isinstance(like, str) else list(like)
        if sum(map(bool, (like, blend, style_images, work))) != 1:
            raise UsageError(ONE_SOURCE_OR_WORK if work else ONE_SOURCE, hint="e.g. --like pablo-picasso")
        if like:
            return cls("like", tuple(like))
        if blend:
            return cls("blend", blend)
        if work:
            return cls("work", work)
        weights = shares.parse(style_weights) if style_weights is not None else None
        return cls("image", tuple(str(p) for p in style_images), tuple(weights) if weights is not None else None)

    @property
    def value(self) -> str:
        """The single value of a one-value request (a batch's requests are all one-value)."""
        return self.values[0]

    @property
    def label(self) -> str:
        if self.kind == "image":
            return ", ".join(Path(v).name for v in self.values)
        return ", ".join(self.values)

    def as_dict(self) -> dict:
        """Plain values; a one-value request keeps the ``{"kind", "value"}`` form batch manifests store."""
        if len(self.values) == 1 and self.weights is None:
            return {"kind": self.kind, "value": self.value}
        return {"kind": self.kind, "values": list(self.values), "weights": list(self.weights) if self.weights else None}

    @classmethod
    def from_dict(cls, data: dict) -> "StyleRequest":
        values = data["values"] if "values" in data else data["value"]
        weights = data.get("weights")
        return cls(kind=data["kind"], values=values, weights=tuple(weights) if weights else None)

    def record(self, works: int | str, filters: Filters) -> dict:
        """The request as provenance records it (the keywords ``paint`` was called with)."""
        blend = self.value if self.kind == "blend" else f"{self.value}=1" if self.kind == "work" else None
        return dict(
            like=list(self.values) if self.kind == "like" else [], blend=blend,
            style_images=list(self.values) if self.kind == "image" else [], works=works,
            style=filters.style, genre=filters.genre, years=filters.years,
        )


def default_fetch(settings: Settings, progress: Callable | None = None) -> FetchHook:
    """Fetch a missing artist from WikiArt through :func:`artstyle.corpus.add_artist`."""

    def fetch(name: str) -> None:
        from artstyle.corpus import add_artist

        kwargs = {"limit": FETCH_LIMIT}
        if progress is not None:
            kwargs["progress"] = progress
        add_artist(settings, name, **kwargs)

    return fetch


def default_ensure(settings: Settings) -> EnsureHook:
    """Download a listed work named in ``--blend`` (or ``--work``) through :func:`artstyle.corpus.ensure_image`."""

    def ensure(work_id: str) -> Path:
        from artstyle.corpus import ensure_image

        return ensure_image(settings, work_id)

    return ensure


def draw_picks(
    settings: Settings, request: StyleRequest, *, works: int | str = 1, filters: Filters = Filters(), seed: int = 0,
    offline: bool = False, fetch: FetchHook | None = None, repeat: int = 0, draw_seed: int | None = None,
) -> list[StylePick]:
    """The works ``request`` paints after, drawn from ``seed`` (artists fetched first unless ``offline``).

    Repeats of one request pass the same ``draw_seed`` and their ``repeat``
    index, so they draw distinct works while the artist has enough.
    """
    if request.kind == "image":
        return _image_picks(request)
    fresh, new_home = not settings.catalog_path.exists(), not settings.home.exists()
    db = catalog.open_catalog(settings.catalog_path, create=not offline)
    fetch = fetch or (None if offline else default_fetch(settings))
    ensure = None if offline else default_ensure(settings)
    try:
        if request.kind == "work":
            catalog.get_work(db, request.value)  # a clear NotFoundError for a wrong id, not an artist lookup
        like = list(request.values) if request.kind == "like" else ()
        blend = None if like else request.record(works, filters)["blend"]
        return pick_works(db, settings.home, like=like, blend=blend, works=works, filters=filters, seed=seed, offline=offline,
                          fetch=fetch, ensure=ensure, repeat=repeat, draw_seed=draw_seed)
    except Exception:
        if fresh:  # a failed first fetch leaves the data home as it found it
            catalog.discard_if_empty(db, settings.catalog_path)
        if new_home:
            _remove_empty(settings.home)
        raise


def _remove_empty(folder: Path) -> None:
    """Remove ``folder`` if a failed first run left it (and its subfolders) empty."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True) if folder.is_dir() else ():
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _image_picks(request: StyleRequest) -> list[StylePick]:
    weights = request.weights or [1 / len(request.values)] * len(request.values)
    picks = []
    for path, weight in zip(map(Path, request.values), weights):
        load_image(path)  # a missing or broken style image fails now, before the network loads
        picks.append(StylePick(f"file:{path.name}", None, path.stem, weight, path, sha256_file(path)))
    return picks


def default_output(content: Path, request: StyleRequest, picks: Sequence[StylePick]) -> Path:
    """``<photo stem>.<artist-slug>.png`` beside the photo (``blend`` or ``styled`` otherwise)."""
    artists = {p.artist for p in picks}
    one_artist = request.kind in ("like", "work") and len(artists) == 1 and picks[0].artist
    tag = picks[0].artist if one_artist else "blend" if request.kind != "image" else "styled"
    return content.with_name(f"{content.stem}.{tag}.png")
