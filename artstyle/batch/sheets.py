"""Contact sheets: every painting of a batch beside its photo and work(s), paged, named in every cell.

A sheet opens with a title band: what varies (photos, requests, repeats or a
swept parameter), the options that differ from the defaults, and a warning
when random weights were used. Each row is one painting: the photo, the style
work(s) labelled with artist and title, and the result with its seed (or, for
a failed job, the reason). Long batches are paged into several sheets of
``ROWS_PER_PAGE`` rows rather than one image thousands of pixels tall. A photo
or work that cannot be opened shows why instead of failing the sheet.

:func:`title_band` and :func:`labelled_cell` are shared with experiment grids.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

from artstyle.batch.gallery_model import RANDOM_NOTE, Entry
from artstyle.files import load_image

CELL = 180  # px, side of a contact sheet cell
LABEL_H = 40  # px under each cell: two lines of text
HEADER_H = 22  # px, the column names
ROWS_PER_PAGE = 6
BACKGROUND, INK, FAINT, ALERT = (255, 255, 255), (20, 20, 20), (140, 140, 140), (170, 30, 20)


def font(size: int = 12) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def fit_text(draw: ImageDraw.ImageDraw, text: str, width: int, size: int = 12) -> str:
    """``text`` cut with an ellipsis to fit ``width`` px."""
    face = font(size)
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"


def wrap_text(draw: ImageDraw.ImageDraw, text: str, width: int, lines: int, size: int = 11) -> list[str]:
    """Words in at most ``lines`` lines of ``width`` px; the last one cut with an ellipsis."""
    face, out, current = font(size), [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=face) <= width or not current:
            current = trial
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines:
        out = out[: lines - 1] + [" ".join(out[lines - 1:])]
    return [fit_text(draw, line, width, size) for line in out]


def open_or_reason(path: Path | None) -> tuple[Image.Image | None, str | None]:
    """The image, or None and why it could not be opened."""
    if path is None:
        return None, "no image"
    try:
        return load_image(path), None
    except Exception as exc:  # noqa: BLE001 - any unreadable file: the sheet shows the reason instead
        return None, getattr(exc, "message", None) or f"{exc.__class__.__name__}: {exc}"


def labelled_cell(image: Image.Image | None, lines: Sequence[str], cell: int = CELL, problem: str | None = None,
                  alert: bool = False) -> Image.Image:
    """A cell: the image fitted in a square (or a frame with ``problem``), then up to two label lines."""
    tile = Image.new("RGB", (cell, cell + LABEL_H), BACKGROUND)
    draw = ImageDraw.Draw(tile)
    if image is not None:
        thumb = image.copy()
        thumb.thumbnail((cell - 6, cell - 6))
        tile.paste(thumb, ((cell - thumb.width) // 2, (cell - thumb.height) // 2))
    else:
        draw.rectangle([3, 3, cell - 4, cell - 4], outline=FAINT)
        for row, line in enumerate(wrap_text(draw, problem or "", cell - 16, 6)):
            draw.text((8, 8 + row * 14), line, fill=ALERT, font=font(11))
    for row, line in enumerate(list(lines)[:2]):
        draw.text((4, cell + 3 + row * 17), fit_text(draw, line, cell - 8, 12 if row == 0 else 11),
                  fill=ALERT if alert else (INK if row == 0 else FAINT), font=font(12 if row == 0 else 11))
    return tile


def title_band(width: int, title: str, varies: str, fixed: str, random_weights: bool, page: str = "") -> Image.Image:
    """The title lines of a sheet or grid: title, what varies, what is fixed, and the random-weights note."""
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = [(fit_text(scratch, title + (f"  ({page})" if page else ""), width - 16, 16), INK, 16)]
    lines += [(line, INK, 12) for line in wrap_text(scratch, f"varies: {varies}", width - 16, 2, 12)]
    lines += [(line, FAINT, 12) for line in wrap_text(scratch, f"fixed: {fixed}", width - 16, 2, 12)]
    if random_weights:
        lines += [(line, ALERT, 12) for line in wrap_text(scratch, "warning: " + RANDOM_NOTE, width - 16, 2, 12)]
    band = Image.new("RGB", (width, 10 + sum(size + 4 for _, _, size in lines)), BACKGROUND)
    draw, y = ImageDraw.Draw(band), 6
    for text, colour, size in lines:
        draw.text((8, y), text, fill=colour, font=font(size))
        y += size + 4
    return band


def _row(entry: Entry, columns: int, cell: int) -> list[Image.Image]:
    photo, why = open_or_reason(entry.content)
    tiles = [labelled_cell(photo, [entry.content.name, "photo"], cell, why)]
    for work in entry.works:
        image, why = open_or_reason(work.path)
        tiles.append(labelled_cell(image, [work.artist_name, work.label], cell, why))
    tiles += [labelled_cell(None, ["", ""], cell, "")] * (columns - 2 - len(entry.works))
    if entry.status == "done":
        image, why = open_or_reason(entry.output)
        tiles.append(labelled_cell(image, [entry.artists, f"{entry.works_label} · seed {entry.seed}"], cell, why))
    else:
        tiles.append(labelled_cell(None, [f"{entry.status}: {entry.artists}", f"seed {entry.seed}"], cell,
                                   entry.reason or entry.status, alert=True))
    return tiles


def contact_sheet(entries: Sequence[Entry], cell: int = CELL, title: str = "contact sheet", varies: str = "",
                  fixed: str = "", random_weights: bool | None = None, page: str = "") -> Image.Image:
    """One sheet: a title band, column names, then a row per entry (photo, work(s), painting)."""
    columns = 2 + max((len(e.works) for e in entries), default=1)
    random_weights = any(e.random_weights for e in entries) if random_weights is None else random_weights
    band = title_band(columns * cell, title, varies or f"{len(entries)} paintings", fixed or "default options", random_weights, page)
    sheet = Image.new("RGB", (columns * cell, band.height + HEADER_H + max(1, len(entries)) * (cell + LABEL_H)), BACKGROUND)
    sheet.paste(band, (0, 0))
    draw = ImageDraw.Draw(sheet)
    names = ["photo"] + ["style work"] * (columns - 2) + ["painting"]
    for col, name in enumerate(names):
        draw.text((col * cell + 4, band.height + 4), name, fill=FAINT, font=font(12))
    top = band.height + HEADER_H
    for row, entry in enumerate(entries):
        for col, tile in enumerate(_row(entry, columns, cell)):
            sheet.paste(tile, (col * cell, top + row * (cell + LABEL_H)))
    return sheet


def contact_sheets(entries: Sequence[Entry], rows: int = ROWS_PER_PAGE, **labels) -> list[Image.Image]:
    """The sheets of a batch, ``rows`` paintings per page."""
    pages = max(1, math.ceil(len(entries) / rows))
    return [contact_sheet(entries[i * rows:(i + 1) * rows], page=f"page {i + 1} of {pages}" if pages > 1 else "", **labels)
            for i in range(pages)]


def loss_curve(losses: Sequence[float], size: tuple[int, int] = (200, 64)) -> Image.Image:
    """The loss per iteration on a log scale, as a small image (the HTML gallery draws an SVG chart)."""
    width, height = size
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    values = [math.log10(v) for v in losses if v > 0 and math.isfinite(v)]
    if len(values) < 2:
        draw.text((4, height // 2 - 6), "no loss trace", fill=FAINT, font=font(11))
        return image
    low, high = min(values), max(values)
    span, pad = (high - low) or 1.0, 4
    points = [(pad + i * (width - 2 * pad) / (len(values) - 1), pad + (high - v) / span * (height - 2 * pad - 12))
              for i, v in enumerate(values)]
    draw.line(points, fill=(200, 60, 30), width=2)
    draw.text((pad, height - 12), f"{losses[0]:.3g} → {losses[-1]:.3g} ({len(losses)} it)", fill=INK, font=font(10))
    return image
