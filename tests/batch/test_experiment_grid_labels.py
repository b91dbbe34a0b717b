"""Issue 15 item 12 for experiment grids: a title band (what varies, what is fixed, random weights) and the work in every cell."""

from __future__ import annotations

import numpy as np
from PIL import Image

from artstyle.batch.grid import LABEL_H, MIN_CELL, render_grid


def _reddish(pixels: np.ndarray) -> bool:
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return bool(((r > 120) & (r - g > 60) & (r - b > 60)).any())


def _grid(**band) -> np.ndarray:
    cells = [[Image.new("RGB", (20, 20), (255, 255, 255))] * 2]
    labels = [["ratio=10\npablo-picasso: Seated nude", "ratio=1000\npablo-picasso: Seated nude"]]
    return np.asarray(render_grid(cells, labels, title="ratio sweep · t.jpg · seed 0", cell=20, **band))


def test_the_title_band_warns_of_random_weights_in_red_and_only_then():
    warned = _grid(varies="content-weight, style-weight", fixed="--size 64, --seed 0", random_weights=True)
    plain = _grid(varies="content-weight, style-weight", fixed="--size 64, --seed 0", random_weights=False)
    assert warned.shape[1] == plain.shape[1] == 2 * MIN_CELL
    assert warned.shape[0] > plain.shape[0] > MIN_CELL + LABEL_H  # the warning is a line of the band
    band = warned.shape[0] - MIN_CELL - LABEL_H
    assert _reddish(warned[:band]) and not _reddish(warned[band:]) and not _reddish(plain)


def test_an_experiment_records_and_shows_random_weights(cli, home, paintings, tmp_path):
    from support.corpus import register_paintings

    register_paintings(home, paintings, ["pablo-picasso"])
    out = tmp_path / "grid"
    result = cli("--weights", "random", "--device", "cpu", "--quiet", "experiment", "ratio", str(paintings / "photos" / "tubingen.jpg"),
                 "--like", "pablo-picasso", "--ratios", "10,1000", "--size", "32", "--iterations", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    import json

    record = json.loads((out / "experiment.json").read_text())
    assert all(point["random_weights"] for point in record["points"])
    grid = np.asarray(Image.open(out / "grid.png"))
    assert _reddish(grid[: grid.shape[0] - MIN_CELL - LABEL_H])
