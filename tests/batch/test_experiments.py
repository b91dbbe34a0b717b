"""Sweep definitions, the labelled grid, and each experiment command end to end at a tiny size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artstyle.corpus import catalog
from artstyle.errors import UsageError
from artstyle.batch.experiments import blend_sweep, blend_weights, layer_ablation, ratio_sweep
from artstyle.batch.grid import LABEL_H, MIN_CELL, render_grid
from support.corpus import register_paintings, work_id

TINY = ["--size", "40", "--iterations", "2"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_blend_weights_walk_through_every_target():
    assert blend_weights(2, 3) == [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    assert blend_weights(3, 5) == [[1, 0, 0], [0.5, 0.5, 0], [0, 1, 0], [0, 0.5, 0.5], [0, 0, 1]]
    with pytest.raises(UsageError, match="at least two targets"):
        blend_weights(1, 3)
    with pytest.raises(UsageError, match="--steps must be at least 2, not 1"):
        blend_weights(2, 1)


def test_blend_points_name_fixed_works_and_drop_zero_weights():
    points = blend_sweep(["w1", "w2"], 3, ["picasso", "munch"])
    assert [p.overrides["blend"] for p in points] == ["w1=1", "w1=0.5,w2=0.5", "w2=1"]
    assert [p.label for p in points] == ["picasso 100%", "picasso 50% / munch 50%", "munch 100%"]


def test_ratio_points_keep_the_style_weight_and_scale_the_content_weight():
    points = ratio_sweep([1e1, 1e5], style_weight=2.0)
    assert [p.overrides for p in points] == [{"style_weight": 2.0, "content_weight": 0.2}, {"style_weight": 2.0, "content_weight": 2e-5}]
    assert [p.label for p in points] == ["style/content 1e+01", "style/content 1e+05"]
    assert [p.overrides["content_weight"] for p in ratio_sweep()] == pytest.approx([0.1, 0.01, 1e-3, 1e-4, 1e-5])
    with pytest.raises(UsageError, match="ratios must be positive"):
        ratio_sweep([0])


def test_layer_ablation_is_one_layer_at_a_time():
    assert [p.overrides for p in layer_ablation()] == [
        {"style_layers": (layer,)} for layer in ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")]
    with pytest.raises(UsageError):
        layer_ablation(["conv9_9"])


def test_the_grid_puts_each_image_in_its_cell_under_a_title():
    red, blue = Image.new("RGB", (20, 10), (255, 0, 0)), Image.new("RGB", (10, 20), (0, 0, 255))
    grid = render_grid([[red, blue]], [["red", "blue"]], title="t", cell=20)  # scaled up to MIN_CELL
    band = grid.height - MIN_CELL - LABEL_H
    assert grid.width == 2 * MIN_CELL and 30 < band < 120
    pixels = np.asarray(grid)
    assert (pixels[:band] < 100).any()  # the title is drawn
    middle = band + MIN_CELL // 2
    assert tuple(pixels[middle, MIN_CELL // 2]) == (255, 0, 0) and tuple(pixels[middle, MIN_CELL + MIN_CELL // 2]) == (0, 0, 255)
    assert (pixels[band + MIN_CELL + 2:, :MIN_CELL] < 100).any()  # the label is drawn


@pytest.fixture
def corpus(home, paintings):
    return register_paintings(home, paintings, ["pablo-picasso", "edvard-munch"])


def _record(out: Path) -> dict:
    return json.loads((out / "experiment.json").read_text())


def _sidecar(point: dict) -> dict:
    return json.loads(Path(point["output"] + ".json").read_text())


def test_blend_experiment_paints_every_step_with_one_seed(cli, home, corpus, paintings, tmp_path):
    out = tmp_path / "blend"
    photo = paintings / "photos" / "tubingen.jpg"
    scream = work_id(home, "edvard-munch/the-scream-1893")
    result = cli("--weights", "random", "--device", "cpu", "-q", "experiment", "blend", str(photo),
                 "--targets", f"pablo-picasso,{scream}", "--steps", "3", "--out", str(out), "--seed", "5", *TINY)
    assert result.exit_code == 0, result.output
    record = _record(out)
    picasso = record["targets"][0]["work"]
    assert picasso in corpus["pablo-picasso"] and record["targets"][1]["work"] == scream
    assert [[w["id"] for w in p["works"]] for p in record["points"]] == [
        [picasso], [picasso, scream], [scream]]
    sidecars = [_sidecar(p) for p in record["points"]]
    assert {s["seed"] for s in sidecars} == {5} and len({json.dumps(s["params"]) for s in sidecars}) == 1
    width, height = Image.open(out / "grid.png").size
    assert width == 3 * MIN_CELL and 30 < height - (MIN_CELL + LABEL_H) < 160  # one row under the title band
    assert catalog.open_catalog(home / "catalog.db")["runs"].count == 3
    assert f"grid: {out / 'grid.png'}" in result.stdout


def test_ratio_and_layer_sweeps_change_only_the_swept_value(cli, corpus, paintings, tmp_path):
    photo = paintings / "photos" / "golden-gate.jpg"
    common = ["--weights", "random", "--device", "cpu", "-q", "experiment"]
    result = cli(*common, "ratio", str(photo), "--like", "edvard-munch", "--ratios", "1e1,1e4", "--out", str(tmp_path / "r"), *TINY)
    assert result.exit_code == 0, result.output
    sidecars = [_sidecar(p) for p in _record(tmp_path / "r")["points"]]
    assert [s["params"]["content_weight"] for s in sidecars] == pytest.approx([0.1, 1e-4])
    for key in ("seed", "works"):
        assert sidecars[0][key] == sidecars[1][key]
    assert {k for k in sidecars[0]["params"] if sidecars[0]["params"][k] != sidecars[1]["params"][k]} == {"content_weight"}

    result = cli(*common, "layers", str(photo), "--like", "edvard-munch", "--layers", "relu1_1,relu3_1", "--out", str(tmp_path / "l"), *TINY)
    assert result.exit_code == 0, result.output
    sidecars = [_sidecar(p) for p in _record(tmp_path / "l")["points"]]
    assert [s["params"]["style_layers"] for s in sidecars] == [["relu1_1"], ["relu3_1"]]


def test_iteration_snapshots_come_from_one_run(cli, corpus, paintings, tmp_path):
    out = tmp_path / "it"
    result = cli("--weights", "random", "--device", "cpu", "-q", "experiment", "iterations", str(paintings / "photos" / "tubingen.jpg"),
                 "--like", "edvard-munch", "--at", "4,1", "--out", str(out), "--size", "40")
    assert result.exit_code == 0, result.output
    record = _record(out)
    assert [p["label"] for p in record["points"]] == ["iteration 1", "iteration 4"]
    assert (out / "iter-0001.png").is_file() and (out / "iter-0004-final.png").is_file()
    final = _sidecar(record["points"][-1])
    assert final["params"]["iterations"] == 4 and final["loss"]["iterations"] == 4
    first, last = (np.asarray(Image.open(p["output"])).astype(int) for p in record["points"])
    assert np.abs(first - last).mean() > 0  # the painting moved between the snapshots


def test_experiment_usage_errors(cli, corpus, paintings):
    photo = str(paintings / "photos" / "tubingen.jpg")
    result = cli("experiment", "ratio", photo)
    assert result.exit_code == 2 and "error: give exactly one of --like, --blend or --style-image" in result.stderr
    result = cli("experiment", "ratio", photo, "--like", "edvard-munch", "--ratios", "1e1,x")
    assert result.exit_code == 2 and "error: malformed --ratios '1e1,x'" in result.stderr
    result = cli("experiment", "blend", photo, "--targets", "edvard-munch")
    assert result.exit_code == 2 and "error: a blend sweep needs at least two targets" in result.stderr
