"""scripts/bench_video.py keeps working as the library changes (it is run by hand, so nothing else would notice)."""

from __future__ import annotations

import numpy as np
import pytest

from artstyle.batch.grid import HEAD_H, HEAD_W, LABEL_H, MIN_CELL
from artstyle.paint import PaintOptions
from artstyle.video import VideoOptions
from artstyle.video.synthetic import pan_clip
from scripts import bench_video


@pytest.mark.usefixtures("one_torch_thread")
def test_every_mode_reports_flicker_iterations_seconds_and_style_loss(settings, paintings, tmp_path):
    clip = pan_clip(paintings / "photos" / "tubingen.jpg", tmp_path / "clip.mp4", frames=4, size=(48, 32), audio=False)
    flows = bench_video.clip_flows(clip, 32)
    assert len(flows) == 3
    style = sorted((paintings / "edvard-munch").glob("*.jpg"))[0]
    opts, video = PaintOptions(size=32, iterations=3), VideoOptions(frame_iterations=2)
    rows = [bench_video.run_mode(clip, tmp_path, mode, opts, video, settings, style, flows) for mode in ("independent", "flow")]
    assert [r["mode"] for r in rows] == ["independent", "flow"]
    assert rows[0]["iterations_per_frame"] == 3 and rows[1]["iterations_per_frame"] == 2
    assert all(r["flicker"] >= 0 and r["style_loss"] > 0 and len(r["style_loss_per_frame"]) == 4 for r in rows)


@pytest.mark.usefixtures("one_torch_thread")
def test_the_sheet_shows_each_modes_frames_and_the_change_the_pan_does_not_explain(settings, paintings, tmp_path):
    clip = pan_clip(paintings / "photos" / "tubingen.jpg", tmp_path / "clip.mp4", frames=4, size=(48, 32), audio=False)
    flows = bench_video.clip_flows(clip, 32)
    style = sorted((paintings / "edvard-munch").glob("*.jpg"))[0]
    opts, video = PaintOptions(size=32, iterations=3), VideoOptions(frame_iterations=2)
    rows = [bench_video.run_mode(clip, tmp_path, mode, opts, video, settings, style, flows) for mode in ("independent", "flow")]
    sheet = bench_video.mode_sheet(rows, flows, "t")
    cells = 3 + 1  # frames 1-3 of 4 (frame 0 is the same in every mode), then the change image
    assert sheet.width == HEAD_W + cells * MIN_CELL and sheet.height > HEAD_H + 2 * (MIN_CELL + LABEL_H)
    frames = rows[0]["frames"]
    resting = np.zeros_like(flows[0][0])  # no motion: the same frame twice is no change at all
    still = bench_video.change_image([frames[1], frames[1]], [(resting, resting)], 1)
    assert max(band[1] for band in still.getextrema()) == 0
    moved = bench_video.change_image(frames, flows, 3)
    assert max(band[1] for band in moved.getextrema()) > 10


def test_the_script_prints_its_figures_as_json(paintings, tmp_path):
    import json
    import subprocess
    import sys

    from conftest import REPO

    argv = [sys.executable, str(REPO / "scripts" / "bench_video.py"), "--frames", "3", "--size", "32", "--iterations", "2",
            "--threads", "1", "--modes", "independent", "--photo", str(paintings / "photos" / "golden-gate.jpg"), "--json"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["args"]["photo"].endswith("golden-gate.jpg") and [m["mode"] for m in figures["modes"]] == ["independent"]
    assert figures["modes"][0]["iterations_per_frame"] == 2 and "frames" not in figures["modes"][0]


@pytest.mark.usefixtures("one_torch_thread")
def test_the_pairs_script_compares_flow_with_independent_on_one_pair(settings, paintings, tmp_path):
    from argparse import Namespace

    from scripts import bench_video_pairs

    args = Namespace(frames=3, size=48, iterations=3, temporal_weight=0.25)
    pair = bench_video_pairs.compare(paintings / "photos" / "golden-gate.jpg", paintings / "edvard-munch" / "the-scream-1893.jpg",
                                     tmp_path, args, settings)
    assert (pair["photo"], pair["work"]) == ("golden-gate.jpg", "the-scream-1893.jpg")
    assert pair["flicker_share"] == pytest.approx(pair["flow"]["flicker"] / pair["independent"]["flicker"])
    assert pair["style_change"] == pytest.approx(pair["flow"]["style_loss"] / pair["independent"]["style_loss"] - 1)
    assert pair["independent"]["iterations_per_frame"] == 3 and pair["flow"]["iterations_per_frame"] <= 2
