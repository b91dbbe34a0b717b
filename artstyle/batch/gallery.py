"""A batch's gallery: a static ``index.html`` viewer and paged contact sheets, browsable from disk.

The page shows results first: a responsive grid of the paintings, each with
its photo and work(s) on hover, and a full-size view on click (a ``:target``
section, so it works without JavaScript) with the provenance: the works with
links to their pages, the seed, the options that differ from the defaults, the
loss as a chart with axes, and the time taken. Filters by artist and by photo
are a few lines of JavaScript; failures are listed with their reasons; a note
on the page (and on every contact sheet) says when random weights were used.
Every link is relative and nothing is fetched from the web, so the folder can
be opened (or zipped and sent) as it is. Every text is escaped, and only
http(s) addresses become links (:func:`artstyle.batch.gallery_model.safe_url`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

from artstyle.batch.gallery_model import (
    DEFAULTS, RANDOM_NOTE, Entry, Work, changed_params, fixed_line, safe_url, shown,
)
from artstyle.batch.gallery_page import CSS, JS, esc, loss_chart
from artstyle.batch.sheets import CELL, LABEL_H, contact_sheet, contact_sheets, loss_curve, open_or_reason
from artstyle.corpus.sampler import plural
from artstyle.files import atomic_write_text, save_image

__all__ = ["CELL", "LABEL_H", "Entry", "Work", "contact_sheet", "contact_sheets", "loss_curve", "write_gallery"]

THUMB = 256  # px, longest side of the photo and work thumbnails
LARGE = 720  # px, longest side of the paintings in the grid
SHEET = "contact_sheet.png"  # page 1; further pages go to sheets/contact_sheet-N.png


def _href(target: Path, out_dir: Path) -> str:
    """A relative URL from the gallery to ``target`` (percent-encoded, forward slashes)."""
    return quote(Path(os.path.relpath(Path(target).resolve(), out_dir.resolve())).as_posix())


def _thumb(source: Path | None, dest: Path, side: int = THUMB) -> Path | None:
    """A thumbnail, made again when its source is newer; None when the source cannot be read."""
    try:
        if dest.exists() and dest.stat().st_mtime_ns >= Path(source).stat().st_mtime_ns:
            return dest
    except (OSError, TypeError):
        return None
    image, _why = open_or_reason(source)
    if image is None:
        return None
    image.thumbnail((side, side))
    save_image(image, dest)
    return dest


def _img(path: Path | None, out_dir: Path, alt: str, css: str = "", missing: str = "image unavailable") -> str:
    if path is None:
        return f'<span class="missing">{esc(missing)}</span>'
    cls = f' class="{css}"' if css else ""
    return f'<img{cls} src="{_href(path, out_dir)}" alt="{esc(alt)}">'


def _work_thumb(work: Work, out_dir: Path) -> Path | None:
    key = hashlib.sha256(str(work.id).encode()).hexdigest()[:16]
    return _thumb(work.path, out_dir / "thumbs" / f"work-{key}.jpg") if work.path else None


def _work_link(work: Work) -> str:
    """The work's title, a link only when its page is an http(s) address."""
    name = f"{work.label} — {work.artist_name}"
    url = safe_url(work.page_url)
    text = f'<a href="{esc(url)}" rel="noopener">{esc(name)}</a>' if url else esc(name)
    if work.page_url and not url:
        text += f' <span class="muted">({esc(work.page_url)})</span>'
    return text + (f" <span class=\"muted\">weight {work.weight:.2g}</span>" if work.weight < 0.999 else "")


def _card(entry: Entry, out_dir: Path) -> str:
    large = _thumb(entry.output, out_dir / "thumbs" / f"large-{entry.job_id}.jpg", LARGE)
    photo = _thumb(entry.content, out_dir / "thumbs" / f"content-{entry.job_id}.jpg")
    sources = [f"<figure>{_img(photo, out_dir, 'photo')}{esc(entry.content.name)}</figure>"]
    sources += [f"<figure>{_img(_work_thumb(w, out_dir), out_dir, w.label)}{esc(w.label)}</figure>" for w in entry.works]
    artists = "|".join(dict.fromkeys(str(w.artist or "") for w in entry.works))
    return (
        f'<figure class="card" id="c-{esc(entry.job_id)}" data-artists="{esc(artists)}" data-photo="{esc(entry.content.name)}">'
        f'<a href="#v-{esc(entry.job_id)}" title="open full size">{_img(large, out_dir, f"{entry.artists}: {entry.works_label}", "painting")}</a>'
        f'<div class="sources">{"".join(sources)}</div>'
        f"<figcaption><b>{esc(entry.artists)}</b>{esc(entry.works_label)}<br>"
        f"<span>{esc(entry.content.name)} · seed {entry.seed}</span></figcaption></figure>"
    )


def _params_table(params: dict) -> str:
    if not params:
        return "<p>All options at their defaults.</p>"
    rows = "".join(f"<tr><th>{esc(k.replace('_', '-'))}</th><td>{esc(shown(v))}</td></tr>" for k, v in sorted(params.items()))
    return f"<table>{rows}</table>"


def _viewer(entry: Entry, out_dir: Path) -> str:
    record = entry.provenance
    photo = _thumb(entry.content, out_dir / "thumbs" / f"content-{entry.job_id}.jpg")
    pair = [f"<figure>{_img(photo, out_dir, 'photo')}photo: {esc(entry.content.name)}</figure>"]
    pair += [f"<figure>{_img(_work_thumb(w, out_dir), out_dir, w.label)}{esc(w.label)}</figure>" for w in entry.works]
    works = "".join(f"<li>{_work_link(w)}</li>" for w in entry.works)
    seconds = entry.seconds
    timing = f"{seconds:.1f} s" if seconds is not None else "not recorded"
    iterations = (record.get("loss") or {}).get("iterations") or len(entry.losses)
    early = " (stopped early)" if record.get("stopped_early") else ""
    note = f'<p class="note">{esc(RANDOM_NOTE)}</p>' if entry.random_weights else ""
    return (
        f'<section class="viewer" id="v-{esc(entry.job_id)}" aria-label="{esc(entry.artists)}">'
        f'<a class="close" href="#c-{esc(entry.job_id)}" aria-label="close">×</a>'
        f'<div class="big">{_img(entry.output, out_dir, f"{entry.artists}: {entry.works_label}", "full")}</div>'
        f"<aside><h3>{esc(entry.artists)}</h3>{note}<div class=\"pair\">{''.join(pair)}</div>"
        f"<ul>{works}</ul><table><tr><th>request</th><td>{esc(entry.request)}</td></tr>"
        f"<tr><th>seed</th><td>{entry.seed}</td></tr><tr><th>time</th><td>{esc(timing)}, {iterations} iterations{early}</td></tr>"
        f"<tr><th>device</th><td>{esc(record.get('device', '?'))}</td></tr></table>"
        f"<h4>Options that differ from the defaults</h4>{_params_table(changed_params(record.get('params') or {}))}"
        f"<h4>Loss</h4>{loss_chart(entry.losses)}</aside></section>"
    )


def _failures(entries: Sequence[Entry]) -> str:
    failed = [e for e in entries if e.status != "done"]
    if not failed:
        return ""
    items = "".join(
        f"<li><b>{esc(e.content.name)}</b> · {esc(e.request)} · seed {e.seed}: "
        f'<span class="why">{esc(e.status)}: {esc(e.reason or "no reason recorded")}</span></li>' for e in failed
    )
    return f'<section class="block" id="failures"><h2>Failures ({len(failed)})</h2><ul class="failures">{items}</ul></section>'


def _options(values: dict[str, str], label: str, ident: str) -> str:
    opts = "".join(f'<option value="{esc(v)}">{esc(t)}</option>' for v, t in sorted(values.items(), key=lambda kv: kv[1].lower()))
    return f'<label>{label} <select id="{ident}"><option value="">all</option>{opts}</select></label>'


def _write_sheets(out_dir: Path, title: str, params: dict, entries: Sequence[Entry], random_weights: bool) -> list[Path]:
    photos = len({e.content.name for e in entries})
    requests = len({e.request for e in entries})
    varies = f"{plural(photos, 'photo')} x {plural(requests, 'style request')} (works drawn at random, one per painting)"
    fixed = fixed_line({k: v for k, v in params.items() if k in DEFAULTS})
    pages = contact_sheets(entries, title=title, varies=varies, fixed=fixed, random_weights=random_weights)
    paths = [out_dir / SHEET] + [out_dir / "sheets" / f"contact_sheet-{n}.png" for n in range(2, len(pages) + 1)]
    for page, path in zip(pages, paths):
        save_image(page, path)
    return paths


def _heading(done: Sequence[Entry]) -> str:
    """``After Pablo Picasso, William Turner and Vincent Van Gogh``, from the paintings' works."""
    names = list(dict.fromkeys(w.artist_name for e in done for w in e.works))
    if not names:
        return ""
    return "After " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def write_gallery(out_dir: Path, title: str, params: dict, entries: Sequence[Entry]) -> Path:
    """Write the contact sheet(s), thumbnails and ``index.html`` into ``out_dir``; returns the page."""
    out_dir = Path(out_dir)
    random_weights = any(e.random_weights for e in entries) or params.get("weights") == "random"
    sheets = _write_sheets(out_dir, title, params, entries, random_weights)
    done = [e for e in entries if e.status == "done"]
    artists = {str(w.artist or ""): w.artist_name for e in done for w in e.works}
    photos = {e.content.name: e.content.name for e in done}
    sheet_links = ", ".join(f'<a href="{_href(p, out_dir)}">{"contact sheet" if i == 0 else f"page {i + 1}"}</a>'
                            for i, p in enumerate(sheets))
    note = f'<p class="note">Warning: {esc(RANDOM_NOTE)}.</p>' if random_weights else ""
    failed = len(entries) - len(done)
    summary = f"{len(done)} of {len(entries)} paintings done" + (f' · <a href="#failures">{failed} failed</a>' if failed else "")
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{esc(title)}</title><style>{CSS}</style></head>'
        f"<body><header><h1>{esc(_heading(done) or title)}</h1><p class=\"summary\">{esc(title)} · {summary} · {sheet_links}</p>{note}"
        f'<nav class="filters">{_options(artists, "Artist", "f-artist")}{_options(photos, "Photo", "f-photo")}'
        f'<span id="f-count" class="summary"></span></nav></header>'
        f'<main class="grid">{"".join(_card(e, out_dir) for e in done)}</main>{_failures(entries)}'
        f'<section class="block"><h2>Batch parameters</h2>{_params_table(changed_params(params))}</section>'
        f'{"".join(_viewer(e, out_dir) for e in done)}<script>{JS}</script></body></html>\n'
    )
    index = out_dir / "index.html"
    atomic_write_text(index, page)
    return index
