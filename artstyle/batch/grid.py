"""The picture of an experiment: its paintings in labelled cells, read like a figure in the seed papers.

A grid opens with the same title band as a contact sheet (what varies, what is
fixed, and a red warning when the paintings were made with random weights, which
show noise rather than style). Every cell is labelled underneath with its point
and the work it was painted after. A 2-D sweep (Gatys et al. 2015, Fig. 3) also
gets row headers down the left and column headers along the top, so each
value is read once per row or column, with the two swept flags named in the
corner, instead of being pieced together from the cell labels.
"""

from __future__ import annotations

from typing import Sequence

from PIL import Image, ImageDraw

from artstyle.batch.sheets import BACKGROUND, INK, fit_text, font, title_band, wrap_text

LABEL_H = 46  # px of label under each grid cell: two lines of the point, one of the work
MIN_CELL = 160  # px: grids of tiny paintings are scaled up to stay legible
HEAD_W = 150  # px of row headers at the left of a 2-D grid
HEAD_H = 40  # px of column headers along the top of a 2-D grid
HEAD_FILL, CORNER_INK = (242, 242, 242), (90, 90, 90)


def fit_cell(image: Image.Image, cell: int) -> Image.Image:
    """Scale (up or down) to fit a cell: small test paintings stay legible in the grid."""
    scale = cell / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS)


def label_lines(draw: ImageDraw.ImageDraw, text: str, width: int) -> list[str]:
    """Wrap ``text`` on spaces into at most two lines that fit ``width`` px, then the line after a newline (the work)."""
    text, _, work = text.partition("\n")
    return wrap_text(draw, text, width, 2, 11) + ([fit_text(draw, work, width, 11)] if work else [])


def header_value(label: str) -> str:
    """``style-layers=relu1_1+relu2_1`` -> ``relu1_1+ relu2_1``: the value alone, breakable after each '+' or ','."""
    value = label.partition("=")[2] or label
    return value.replace("+", "+ ").replace(",", ", ")


def axis_name(labels: Sequence[str]) -> str:
    """The flag an axis sweeps (the part of its labels before '='), or '' when the labels do not say."""
    names = {label.partition("=")[0] for label in labels if "=" in label}
    return names.pop() if len(names) == 1 else ""


def render_grid(rows: Sequence[Sequence[Image.Image]], labels: Sequence[Sequence[str]], title: str = "", cell: int = 256,
                varies: str = "", fixed: str = "", random_weights: bool = False,
                row_headers: Sequence[str] = (), column_headers: Sequence[str] = ()) -> Image.Image:
    """Images in rows of cells (each fitted into ``cell`` px), a label under each, a title band on top.

    With ``row_headers`` and ``column_headers`` (one per row, one per column:
    the two axes of a 2-D sweep), the values are also written once down the
    left and once along the top.
    """
    cell = max(cell, MIN_CELL)
    columns = max((len(r) for r in rows), default=1)
    left, head = (HEAD_W, HEAD_H) if row_headers and column_headers else (0, 0)
    band = title_band(left + columns * cell, title, varies, fixed, random_weights) if title else None
    top = band.height if band else 0
    grid = Image.new("RGB", (left + columns * cell, top + head + len(rows) * (cell + LABEL_H)), BACKGROUND)
    if band is not None:
        grid.paste(band, (0, 0))
    draw = ImageDraw.Draw(grid)
    if head:
        _headers(draw, row_headers, column_headers, (left, top), cell)
    face = font(11)
    for r, (images, names) in enumerate(zip(rows, labels)):
        y = top + head + r * (cell + LABEL_H)
        for c, (image, name) in enumerate(zip(images, names)):
            x = left + c * cell
            thumb = fit_cell(image, cell)
            grid.paste(thumb, (x + (cell - thumb.width) // 2, y + (cell - thumb.height) // 2))
            for n, line in enumerate(label_lines(draw, name, cell - 8)):
                draw.text((x + 4, y + cell + 3 + 13 * n), line, fill=INK, font=face)
    return grid


def _headers(draw: ImageDraw.ImageDraw, rows: Sequence[str], columns: Sequence[str], origin: tuple[int, int], cell: int) -> None:
    """The corner (which flag runs down, which across), the column headers, then the row headers."""
    left, top = origin
    draw.rectangle([0, top, left + len(columns) * cell - 1, top + HEAD_H - 1], fill=HEAD_FILL)
    draw.rectangle([0, top, left - 1, top + HEAD_H + len(rows) * (cell + LABEL_H) - 1], fill=HEAD_FILL)
    down, across = axis_name(rows), axis_name(columns)
    for n, text in enumerate([f"down: {down}" if down else "", f"across: {across}" if across else ""]):
        draw.text((6, top + 5 + 16 * n), fit_text(draw, text, left - 12, 11), fill=CORNER_INK, font=font(11))
    for c, label in enumerate(columns):
        for n, line in enumerate(wrap_text(draw, header_value(label), cell - 12, 2, 12)):
            draw.text((left + c * cell + 6, top + 5 + 16 * n), line, fill=INK, font=font(12))
    for r, label in enumerate(rows):
        lines = wrap_text(draw, header_value(label), left - 12, 8, 12)
        y = top + HEAD_H + r * (cell + LABEL_H) + (cell - 16 * len(lines)) // 2
        for n, line in enumerate(lines):
            draw.text((6, y + 16 * n), line, fill=INK, font=font(12))
