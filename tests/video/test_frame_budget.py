"""Frames after the first get half of --iterations unless --frame-iterations says otherwise (measured: README, Video)."""

from __future__ import annotations

import pytest

from artstyle.paint import PaintOptions
from artstyle.video import VideoOptions, paint_video
from artstyle.video.synthetic import pan_clip

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize(("temporal", "frame_iterations", "expected"), [("flow", None, [8, 4, 4]), ("flow", 3, [8, 3, 3]),
                                                                       ("independent", None, [8, 8, 8])])
def test_the_per_frame_budget(settings, paintings, tmp_path, temporal, frame_iterations, expected):
    clip = pan_clip(paintings / "photos" / "tubingen.jpg", tmp_path / "c.mp4", frames=3, size=(48, 32), audio=False)
    style = sorted((paintings / "edvard-munch").glob("*.jpg"))[0]
    result = paint_video(clip, style_images=[style], options=PaintOptions(size=32, iterations=8, tolerance=0.0), settings=settings,
                         video=VideoOptions(temporal=temporal, frame_iterations=frame_iterations), output=tmp_path / "p.mp4")
    assert [frame["iterations"] for frame in result.frames] == expected
