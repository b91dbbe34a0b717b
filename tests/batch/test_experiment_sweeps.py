"""``experiment sweep --vary``, the grid it renders, and what the named sweeps keep (issue 15: items 5 and 8)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artstyle.batch.experiments import point_file, ratio_sweep, vary_axis
from artstyle.batch.grid import HEAD_H, HEAD_W, LABEL_H, MIN_CELL
from artstyle.batch.vary import parse_vary
from artstyle.errors import UsageError
from artstyle.paint import PaintOptions, paint
from support.corpus import register_paintings

TINY = ["--size", "40", "--iterations", "2"]
COMMON = ["--weights", "random", "--device", "cpu", "-q", "experiment"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def corpus(home, paintings):
    return register_paintings(home, paintings, ["edvard-munch"])


def _record(out: Path) -> dict:
    return json.loads((out / "experiment.json").read_text())


def _sidecar(point: dict) -> dict:
    return json.loads(Path(point["output"] + ".json").read_text())


def test_vary_parses_any_painting_flag_to_its_type():
    assert parse_vary("pooling=max,avg") == ("pooling", ["max", "avg"])
    assert parse_vary("--content-layers=relu1_2,relu4_2") == ("content_layers", [("relu1_2",), ("relu4_2",)])
    assert parse_vary("style_layer_weights=1,0,0,0,0;0,0,0,0,1") == ("style_layer_weights", [(1.0, 0, 0, 0, 0), (0, 0, 0, 0, 1.0)])
    assert parse_vary("learning-rate=0.01,0.1") == ("learning_rate", [0.01, 0.1])
    assert parse_vary("bounded=true,false") == ("bounded", [True, False])
    assert [p.overrides for p in vary_axis("ratio=1e1,1e3", PaintOptions(style_weight=2))] == [
        {"style_weight": 2, "content_weight": 0.2}, {"style_weight": 2, "content_weight": 2e-3}]
    assert [p.label for p in vary_axis("init=noise,content")] == ["init=noise", "init=content"]
    with pytest.raises(UsageError, match="unknown painting flag 'colour'"):
        parse_vary("colour=none")
    with pytest.raises(UsageError, match="'median' is not a valid value"):
        parse_vary("pooling=max,median")
    with pytest.raises(UsageError, match="malformed --vary 'pooling'"):
        parse_vary("pooling")


def test_point_files_sort_and_read_right():
    names = [point_file(i, p.label) for i, p in enumerate(ratio_sweep([1e1, 1e2, 1e5]))]
    assert names == ["00-style-content-1e+01.png", "01-style-content-1e+02.png", "02-style-content-1e+05.png"]
    assert names == sorted(names)


def test_two_varies_render_a_labelled_grid(cli, corpus, paintings, tmp_path):
    out = tmp_path / "grid"
    photo = paintings / "photos" / "tubingen.jpg"
    result = cli(*COMMON, "sweep", str(photo), "--like", "edvard-munch", "--vary", "pooling=max,avg",
                 "--vary", "ratio=1e1,1e4", "--out", str(out), "--seed", "3", *TINY)
    assert result.exit_code == 0, result.output
    record = _record(out)
    assert [p["label"] for p in record["points"]] == [
        "pooling=max · ratio=10", "pooling=max · ratio=10000", "pooling=avg · ratio=10", "pooling=avg · ratio=10000"]
    sidecars = [_sidecar(p) for p in record["points"]]
    assert [(s["params"]["pooling"], s["params"]["content_weight"]) for s in sidecars] == [
        ("max", 0.1), ("max", 1e-4), ("avg", 0.1), ("avg", 1e-4)]
    assert {s["seed"] for s in sidecars} == {3} and len({json.dumps(s["works"]) for s in sidecars}) == 1
    width, height = Image.open(out / "grid.png").size
    assert width == HEAD_W + 2 * MIN_CELL and 30 < height - HEAD_H - 2 * (MIN_CELL + LABEL_H) < 160  # headers, two rows
    assert sorted(p.name for p in out.glob("*.png") if p.name != "grid.png") == [
        "00-pooling=max-ratio=10.png", "01-pooling=max-ratio=10000.png", "02-pooling=avg-ratio=10.png", "03-pooling=avg-ratio=10000.png"]


def test_sweep_usage_errors_come_before_any_painting(cli, corpus, paintings, tmp_path):
    photo = str(paintings / "photos" / "tubingen.jpg")
    out = tmp_path / "bad"
    result = cli(*COMMON, "sweep", photo, "--like", "edvard-munch", "--vary", "sizes=1,2", "--out", str(out))
    assert result.exit_code == 2 and "error: --vary: unknown painting flag 'sizes'" in result.stderr
    result = cli(*COMMON, "sweep", photo, "--like", "edvard-munch", "--vary", "size=0,40", "--out", str(out))
    assert result.exit_code == 2 and "error: --size must be at least 1 pixel, not 0" in result.stderr
    result = cli(*COMMON, "sweep", photo, "--like", "edvard-munch", "--vary", "size=4", "--vary", "pooling=avg", "--vary", "init=noise", "--out", str(out))
    assert result.exit_code == 2 and "error: a sweep takes one or two --vary, not 3" in result.stderr
    assert not out.exists()


def test_an_experiment_does_not_overwrite_an_earlier_one_without_force(cli, corpus, paintings, tmp_path):
    out = tmp_path / "r"
    args = [*COMMON, "ratio", str(paintings / "photos" / "tubingen.jpg"), "--like", "edvard-munch", "--ratios", "1e1", "--out", str(out), *TINY]
    assert cli(*args).exit_code == 0
    before = (out / "experiment.json").read_bytes()
    result = cli(*args[:-4], "--size", "48", "--iterations", "2")
    assert result.exit_code == 2 and f"error: {out} already holds an experiment" in result.stderr
    assert (out / "experiment.json").read_bytes() == before
    result = cli(*COMMON, "iterations", str(paintings / "photos" / "tubingen.jpg"), "--like", "edvard-munch", "--at", "1,2", "--out", str(out), "--size", "40")
    assert result.exit_code == 2 and "already holds an experiment" in result.stderr
    assert cli(*args, "--force").exit_code == 0


def test_iteration_snapshots_are_in_the_photos_colours_as_save_every_writes_them(cli, settings, corpus, paintings, tmp_path):
    photo = paintings / "photos" / "tubingen.jpg"
    out = tmp_path / "it"
    result = cli(*COMMON, "iterations", str(photo), "--like", "edvard-munch", "--at", "2,4", "--out", str(out), "--size", "40", "--seed", "9")
    assert result.exit_code == 0, result.output
    reference = tmp_path / "ref.png"
    paint(photo, like="edvard-munch", settings=settings, seed=9, size=40, iterations=4, tolerance=0.0, save_every=2, output=reference, offline=True)
    snapshot = np.asarray(Image.open(out / "iter-0002.png")).astype(int)
    saved = np.asarray(Image.open(tmp_path / "ref.iter0002.png")).astype(int)
    assert np.abs(snapshot - saved).max() <= 1
    points = json.loads((out / "experiment.json").read_text())["points"]
    assert [p["works"][0]["artist"] for p in points] == ["edvard-munch"] * 2 and points[0]["works"] == points[1]["works"]
