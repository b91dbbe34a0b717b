"""A 2-D sweep's grid names each row's and each column's value once, in headers, with the two flags in the corner."""

from __future__ import annotations

import numpy as np
from PIL import Image

from artstyle.batch.grid import HEAD_H, HEAD_W, LABEL_H, MIN_CELL, axis_name, header_value, render_grid

ROWS = ["style-layers=relu1_1", "style-layers=relu1_1+relu2_1+relu3_1+relu4_1"]
COLUMNS = ["ratio=10", "ratio=1000", "ratio=100000"]


def _grid(headers: bool) -> Image.Image:
    colours = [(200, 0, 0), (0, 160, 0), (0, 0, 200)]
    cells = [[Image.new("RGB", (20, 20), c) for c in colours] for _ in ROWS]
    labels = [[f"{r} · {c}" for c in COLUMNS] for r in ROWS]
    extra = {"row_headers": ROWS, "column_headers": COLUMNS} if headers else {}
    return render_grid(cells, labels, title="sweep · t.jpg · seed 0", cell=20, varies="style-layers, ratio", fixed="--seed 0", **extra)


def _ink(pixels: np.ndarray) -> bool:
    return bool((pixels.max(axis=-1) < 120).any())


def test_headers_add_a_column_at_the_left_and_a_row_at_the_top_and_move_the_cells():
    plain, headed = _grid(False), _grid(True)
    assert headed.width == plain.width + HEAD_W == HEAD_W + 3 * MIN_CELL
    assert headed.height == plain.height + HEAD_H
    band = headed.height - HEAD_H - 2 * (MIN_CELL + LABEL_H)
    pixels = np.asarray(headed)
    first_cell = pixels[band + HEAD_H + MIN_CELL // 2, HEAD_W + MIN_CELL // 2]
    last_cell = pixels[band + HEAD_H + MIN_CELL + LABEL_H + MIN_CELL // 2, HEAD_W + 2 * MIN_CELL + MIN_CELL // 2]
    assert tuple(first_cell) == (200, 0, 0) and tuple(last_cell) == (0, 0, 200)
    assert _ink(pixels[band:band + HEAD_H, HEAD_W:HEAD_W + MIN_CELL])  # a column header over the first column
    assert _ink(pixels[band + HEAD_H:band + HEAD_H + MIN_CELL, :HEAD_W])  # a row header beside the first row
    assert _ink(pixels[band + 4:band + HEAD_H, :HEAD_W])  # the corner names the flags


def test_header_text_is_the_value_breakable_after_each_list_item_and_the_corner_names_the_flag():
    assert header_value(ROWS[1]) == "relu1_1+ relu2_1+ relu3_1+ relu4_1"
    assert header_value("content-layers=relu4_2,relu5_2") == "relu4_2, relu5_2"
    assert header_value("iteration 10") == "iteration 10"
    assert axis_name(ROWS) == "style-layers" and axis_name(COLUMNS) == "ratio"
    assert axis_name(["a=1", "b=2"]) == "" and axis_name(["plain"]) == ""
