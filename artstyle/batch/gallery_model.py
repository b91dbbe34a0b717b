"""What the gallery and the contact sheets show of a batch's jobs: works, entries, and how to name them.

A gallery is read by people who did not run the batch, so each painting is
named by its artist and work, the parameters shown are the ones that differ
from the defaults, and a link is only made of a real web address: any other
URL (``javascript:``, ``data:``, a file path) is shown as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from artstyle.core.features import RANDOM_WEIGHTS_NOTE
from artstyle.paint.options import PaintOptions


@dataclass
class Work:
    """A style work as the gallery shows it."""

    id: str
    title: str | None = None
    artist: str | None = None
    page_url: str | None = None
    path: Path | None = None  # the local image, for thumbnails
    weight: float = 1.0

    @property
    def label(self) -> str:
        return self.title or Path(str(self.path or self.id)).stem

    @property
    def artist_name(self) -> str:
        """``pablo-picasso`` -> ``Pablo Picasso``; a style image has no artist."""
        return artist_name(self.artist) if self.artist else "style image"


@dataclass
class Entry:
    """One job of a batch: its photo, request, works, result (or failure), loss trace and provenance."""

    job_id: str
    content: Path
    request: str
    seed: int
    status: str
    output: Path | None = None
    reason: str | None = None
    works: list[Work] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)  # the painting's sidecar record, when it was painted

    @property
    def artists(self) -> str:
        names = list(dict.fromkeys(w.artist_name for w in self.works))
        return " + ".join(names) if names else self.request

    @property
    def works_label(self) -> str:
        return " + ".join(w.label for w in self.works) or "no work drawn"

    @property
    def random_weights(self) -> bool:
        return bool(self.provenance.get("random_weights"))

    @property
    def seconds(self) -> float | None:
        return (self.provenance.get("timings") or {}).get("total")


def artist_name(slug: str) -> str:
    return " ".join(part.capitalize() for part in str(slug).replace("_", "-").split("-") if part)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address with a host, else None (shown as text, never a link)."""
    if not url:
        return None
    parsed = urlparse(str(url).strip())
    return str(url).strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


DEFAULTS = json.loads(json.dumps(PaintOptions().as_dict()))  # as provenance records them: lists, not tuples


def changed_params(params: dict) -> dict:
    """The painting options that differ from :class:`PaintOptions`' defaults (unknown keys kept)."""
    plain = json.loads(json.dumps(params, default=str))
    return {k: v for k, v in plain.items() if k not in DEFAULTS or DEFAULTS[k] != v}


def shown(value) -> str:
    """A parameter's value as text: lists joined, floats short."""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(shown, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def fixed_line(params: dict) -> str:
    """``size 128 · iterations 30`` for the options that differ from the defaults ('defaults' when none)."""
    changed = changed_params(params)
    return " · ".join(f"{k.replace('_', '-')} {shown(v)}" for k, v in sorted(changed.items())) or "default options"


RANDOM_NOTE = RANDOM_WEIGHTS_NOTE
