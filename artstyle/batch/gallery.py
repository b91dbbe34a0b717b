"""A batch's contact sheet and static HTML gallery, browsable from disk with no server.

After a batch, the out dir holds ``contact_sheet.png`` (one row per painting:
the photo, the style work(s), the result, labelled) and ``index.html``:
thumbnails linking to the full images, the works used with links to their
WikiArt pages when known, the parameters, each job's loss curve as a small PNG,
and the failures with their reasons. Every link is relative, so the folder can
be opened (or zipped and sent) as it is.

Loss curves are drawn with Pillow's ImageDraw on a log scale: the loss of a
Gatys et al. (2015) optimisation falls over orders of magnitude.
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

from artstyle.files import atomic_write_text, load_image, save_image

THUMB = 256  # px, longest side of gallery thumbnails
CELL = 128  # px, side of a contact sheet cell
LABEL_H = 28  # px under each contact sheet cell
BACKGROUND, INK, FAINT = (255, 255, 255), (20, 20, 20), (150, 150, 150)


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


@dataclass
class Entry:
    """One job of a batch: its photo, request, works, result (or failure) and loss trace."""

    job_id: str
    content: Path
    request: str
    seed: int
    status: str
    output: Path | None = None
    reason: str | None = None
    works: list[Work] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


def _font(size: int = 11) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fit(image: Image.Image, side: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((side, side))
    return copy


def loss_curve(losses: Sequence[float], size: tuple[int, int] = (200, 64)) -> Image.Image:
    """The loss per iteration on a log scale, as a small PNG-ready image."""
    width, height = size
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    values = [math.log10(v) for v in losses if v > 0 and math.isfinite(v)]
    if len(values) < 2:
        draw.text((4, height // 2 - 6), "no loss trace", fill=FAINT, font=_font())
        return image
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pad = 4
    points = [
        (pad + i * (width - 2 * pad) / (len(values) - 1), pad + (high - v) / span * (height - 2 * pad - 12))
        for i, v in enumerate(values)
    ]
    draw.line(points, fill=(200, 60, 30), width=2)
    draw.text((pad, height - 12), f"{losses[0]:.3g} → {losses[-1]:.3g} ({len(losses)} it)", fill=INK, font=_font(10))
    return image


def _labelled(image: Image.Image | None, label: str, cell: int) -> Image.Image:
    tile = Image.new("RGB", (cell, cell + LABEL_H), BACKGROUND)
    if image is not None:
        thumb = _fit(image, cell)
        tile.paste(thumb, ((cell - thumb.width) // 2, (cell - thumb.height) // 2))
    else:
        ImageDraw.Draw(tile).rectangle([4, 4, cell - 5, cell - 5], outline=FAINT)
    ImageDraw.Draw(tile).text((3, cell + 3), label[: cell // 6], fill=INK, font=_font(10))
    return tile


def _open(path: Path | None) -> Image.Image | None:
    return load_image(path) if path is not None and Path(path).is_file() else None


def contact_sheet(entries: Sequence[Entry], cell: int = CELL) -> Image.Image:
    """Rows of photo, style work(s), result; a failed job's result cell carries its reason."""
    columns = 2 + max((len(e.works) for e in entries), default=1)
    sheet = Image.new("RGB", (columns * cell, max(1, len(entries)) * (cell + LABEL_H)), BACKGROUND)
    for row, entry in enumerate(entries):
        tiles = [_labelled(_open(entry.content), entry.content.name, cell)]
        tiles += [_labelled(_open(w.path), w.label, cell) for w in entry.works]
        tiles += [_labelled(None, "", cell)] * (columns - 2 - len(entry.works))
        result = _labelled(_open(entry.output), f"seed {entry.seed}", cell) if entry.status == "done" else \
            _labelled(None, f"{entry.status}: {entry.reason or ''}", cell)
        for col, tile in enumerate([*tiles, result]):
            sheet.paste(tile, (col * cell, row * (cell + LABEL_H)))
    return sheet


def _href(target: Path, out_dir: Path) -> str:
    """A relative URL from the gallery to ``target`` (percent-encoded, forward slashes)."""
    return quote(Path(os.path.relpath(Path(target).resolve(), out_dir.resolve())).as_posix())


def _thumb(source: Path, dest: Path) -> Path:
    """A thumbnail, made again when its source is newer (a job redone on a rerun)."""
    if not dest.exists() or dest.stat().st_mtime_ns < Path(source).stat().st_mtime_ns:
        save_image(_fit(load_image(source), THUMB), dest)
    return dest


def _work_html(work: Work, out_dir: Path) -> str:
    name = html.escape(f"{work.label}" + (f" — {work.artist}" if work.artist else "") + f" ({work.weight:.2g})")
    thumb = ""
    if work.path is not None and Path(work.path).is_file():
        src = _thumb(work.path, out_dir / "thumbs" / f"work-{work.id}.jpg")
        thumb = f'<img class="work" src="{_href(src, out_dir)}" alt="{name}"> '
    if work.page_url:
        return f'<li>{thumb}<a href="{html.escape(work.page_url)}">{name}</a></li>'
    return f"<li>{thumb}{name}</li>"


def _entry_html(entry: Entry, out_dir: Path) -> str:
    content = _thumb(entry.content, out_dir / "thumbs" / f"content-{entry.job_id}.jpg")
    cells = [f'<a href="{_href(entry.content, out_dir)}"><img src="{_href(content, out_dir)}" alt="photo"></a>']
    if entry.status == "done" and entry.output is not None:
        result = _thumb(entry.output, out_dir / "thumbs" / f"result-{entry.job_id}.jpg")
        cells.append(f'<a href="{_href(entry.output, out_dir)}"><img src="{_href(result, out_dir)}" alt="result"></a>')
    else:
        cells.append(f'<p class="failed">{html.escape(entry.status)}: {html.escape(entry.reason or "")}</p>')
    curve = out_dir / "curves" / f"{entry.job_id}.png"
    save_image(loss_curve(entry.losses), curve)
    works = "".join(_work_html(w, out_dir) for w in entry.works)
    return (
        f'<div class="job" id="{entry.job_id}">{"".join(cells)}'
        f'<div class="meta"><b>{html.escape(entry.request)}</b> · seed {entry.seed}<ul>{works}</ul>'
        f'<img class="curve" src="{_href(curve, out_dir)}" alt="loss curve"></div></div>'
    )


STYLE = """body{font-family:sans-serif;margin:1em}.job{display:flex;gap:1em;align-items:flex-start;margin:.5em 0;
border-bottom:1px solid #ddd;padding-bottom:.5em}.job img{max-width:256px}img.work{max-width:48px;vertical-align:middle}
.failed{color:#a00;width:256px}ul{padding-left:1em;margin:.3em 0}table{border-collapse:collapse}td{padding:0 .6em}"""


def _shown(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def _params_html(params: dict) -> str:
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_shown(v))}</td></tr>" for k, v in sorted(params.items()))
    return f"<table>{rows}</table>"


def _failures_html(entries: Sequence[Entry]) -> str:
    failed = [e for e in entries if e.status != "done"]
    if not failed:
        return "<p>No failures.</p>"
    items = "".join(
        f'<li><a href="#{e.job_id}">{html.escape(e.content.name)} · {html.escape(e.request)}</a>: '
        f"{html.escape(e.status)} {html.escape(e.reason or '')}</li>" for e in failed
    )
    return f"<ul>{items}</ul>"


def write_gallery(out_dir: Path, title: str, params: dict, entries: Sequence[Entry]) -> Path:
    """Write ``contact_sheet.png``, thumbnails, loss curves and ``index.html`` into ``out_dir``; returns the page."""
    out_dir = Path(out_dir)
    save_image(contact_sheet(entries), out_dir / "contact_sheet.png")
    body = "".join(_entry_html(e, out_dir) for e in entries)
    done = sum(e.status == "done" for e in entries)
    page = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>'
        f"<body><h1>{html.escape(title)}</h1><p>{done} of {len(entries)} paintings done. "
        f'<a href="contact_sheet.png">Contact sheet</a></p><h2>Parameters</h2>{_params_html(params)}'
        f"<h2>Failures</h2>{_failures_html(entries)}<h2>Paintings</h2>{body}</body></html>\n"
    )
    index = out_dir / "index.html"
    atomic_write_text(index, page)
    return index
