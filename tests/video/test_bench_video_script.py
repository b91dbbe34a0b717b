"""scripts/bench_video.py keeps working as the library changes (it is run by hand, so nothing else would notice)."""

from __future__ import annotations

import pytest

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
