"""``artstyle video``: a clip made here with PyAV, painted end to end at a tiny size with random weights."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from artstyle.corpus import catalog
from artstyle.paint import PaintOptions
from artstyle.video import VideoOptions, paint_video, probe
from artstyle.video.flow import dense_flow, occlusion_mask, warp
from artstyle.video.synthetic import pan_clip
from support.corpus import register_paintings

FRAMES, RATE = 24, 12
TINY = ["--size", "40", "--iterations", "4", "--frame-iterations", "2"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    from conftest import PAINTINGS

    if not PAINTINGS.is_dir():
        pytest.skip("shared paintings not found")
    return pan_clip(PAINTINGS / "photos" / "tubingen.jpg", tmp_path_factory.mktemp("clip") / "pan.mp4", frames=FRAMES, rate=RATE)


@pytest.fixture
def corpus(home, paintings):
    return register_paintings(home, paintings, ["edvard-munch"])


def _streams(path: Path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video)]
        return {"frames": frames, "rate": Fraction(video.average_rate), "duration": float(video.duration * video.time_base),
                "audio": [float(s.duration * s.time_base) for s in container.streams.audio]}


def test_a_clip_is_painted_with_the_sources_frames_rate_duration_and_audio(cli, home, corpus, clip, tmp_path):
    local = tmp_path / "pan.mp4"
    local.write_bytes(clip.read_bytes())
    result = cli("--weights", "random", "--device", "cpu", "-q", "video", str(local), "--like", "edvard-munch", "--seed", "4", *TINY)
    assert result.exit_code == 0, result.output
    out = tmp_path / "pan.edvard-munch.mp4"
    assert f"wrote {out}" in result.stdout
    painted, source = _streams(out), _streams(local)
    assert len(painted["frames"]) == len(source["frames"]) == FRAMES
    assert painted["rate"] == source["rate"] == RATE
    assert painted["duration"] == pytest.approx(source["duration"], abs=1e-3) and source["duration"] == pytest.approx(FRAMES / RATE)
    assert len(painted["audio"]) == 1 and painted["audio"][0] == pytest.approx(source["audio"][0], abs=0.1)
    record = json.loads((tmp_path / "pan.edvard-munch.mp4.json").read_text())
    assert record["clip"]["sha256"] and record["temporal"] == "flow" and record["seed"] == 4
    assert record["works"][0]["artist"] == "edvard-munch" and len(record["works"]) == 1
    assert [f["iterations"] for f in record["frames"]][:2] == [4, 2] and len(record["frames"]) == FRAMES
    assert all(f["seconds"] > 0 for f in record["frames"]) and record["params"]["size"] == 40
    losses = json.loads(Path(record["losses"]).read_text())
    assert len(losses) == FRAMES and "temporal" in losses[1]["trace"][-1]["parts"]
    run = catalog.open_catalog(home / "catalog.db")["runs"].get(record["run_id"])
    assert run["kind"] == "video" and run["output_path"] == str(out) and run["content_sha256"] == record["clip"]["sha256"]
    assert run["final_loss"] == losses[-1]["trace"][-1]["loss"] and run["seconds"] == record["timings"]["total"] > 0


class Killed(Exception):
    pass


def _kill_after(n: int):
    def on_frame(report):
        if report.index + 1 == n and not report.resumed:
            raise Killed

    return on_frame


def test_a_killed_run_resumes_and_gives_the_same_frames(settings, clip, paintings, tmp_path):
    style = sorted((paintings / "edvard-munch").glob("*.jpg"))[0]
    kwargs = dict(style_images=[style], options=PaintOptions(size=40, iterations=4), video=VideoOptions(frame_iterations=3, duration=1.0),
                  settings=settings, seed=2)
    whole = paint_video(clip, output=tmp_path / "whole.mp4", **kwargs)
    with pytest.raises(Killed):
        paint_video(clip, output=tmp_path / "resumed.mp4", on_frame=_kill_after(5), **kwargs)
    assert not (tmp_path / "resumed.mp4").exists()  # nothing half-written
    assert len(json.loads((tmp_path / "resumed.frames" / "manifest.json").read_text())["frames"]) == 5
    seen = []
    resumed = paint_video(clip, output=tmp_path / "resumed.mp4", on_frame=seen.append, **kwargs)
    assert [r.resumed for r in seen] == [True] * 5 + [False] * (RATE - 5)
    for a, b in zip(sorted((tmp_path / "whole.frames").glob("frame-*.png")), sorted((tmp_path / "resumed.frames").glob("frame-*.png"))):
        assert a.name == b.name and a.read_bytes() == b.read_bytes()
    first, second = _streams(whole.output), _streams(resumed.output)
    assert len(first["frames"]) == RATE and all(np.array_equal(a, b) for a, b in zip(first["frames"], second["frames"]))


def test_every_nth_frame_keeps_the_duration(settings, clip, paintings, tmp_path):
    style = sorted((paintings / "edvard-munch").glob("*.jpg"))[0]
    result = paint_video(clip, style_images=[style], options=PaintOptions(size=32, iterations=2), settings=settings,
                         video=VideoOptions(frame_iterations=1, every=3, start=0.5, temporal="previous"), output=tmp_path / "p.mp4")
    painted = _streams(result.output)
    assert len(painted["frames"]) == (FRAMES - 6) // 3 and painted["rate"] == Fraction(RATE, 3)
    assert painted["duration"] == pytest.approx((FRAMES - 6) / RATE, abs=1e-3)
    assert result.provenance["video"]["every"] == 3 and result.provenance["temporal"] == "previous"


def test_bad_clips_are_one_clear_error_and_write_nothing(cli, corpus, clip, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    audio_only = tmp_path / "tone.m4a"
    with av.open(str(audio_only), "w") as container:
        stream = container.add_stream("aac", rate=22050)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 22050
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    long = tmp_path / "long.mp4"
    long.write_bytes(clip.read_bytes())
    base = ["--weights", "random", "--device", "cpu", "video"]
    cases = [
        ([str(text), "--like", "edvard-munch"], "error: cannot decode notes.mp4"),
        ([str(audio_only), "--like", "edvard-munch"], "error: tone.m4a has no video stream"),
        ([str(long), "--like", "edvard-munch", "--max-frames", "10"], f"error: long.mp4 has {FRAMES} frames to paint, over the limit of 10"),
        ([str(long), "--like", "edvard-munch", "--every", "0"], "error: --every must be 1 or more, not 0"),
        ([str(long), "--like", "edvard-munch", "--output", str(tmp_path / "x.gif")], "error: cannot write x.gif: videos are written as .mp4"),
        ([str(tmp_path / "missing.mp4"), "--like", "edvard-munch"], "does not exist"),
    ]
    before = sorted(p.name for p in tmp_path.iterdir())
    for args, message in cases:
        result = cli(*base, *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
        assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_flow_follows_a_pan_and_the_check_marks_what_came_into_view():
    g = torch.Generator().manual_seed(0)
    wide = torch.nn.functional.interpolate(torch.rand(1, 3, 12, 22, generator=g), size=(48, 88), mode="bicubic", align_corners=False).clamp(0, 1)
    previous, current = wide[..., :, 0:80], wide[..., :, 4:84]  # the view moved 4 px right
    backward, forward = dense_flow(current, previous), dense_flow(previous, current)
    assert np.median(backward[8:-8, 8:-16, 0]) == pytest.approx(4, abs=0.3)
    assert np.median(forward[8:-8, 16:-8, 0]) == pytest.approx(-4, abs=0.3)
    warped = warp(previous, backward)
    assert float((warped - current)[..., 8:-8, 8:-16].abs().mean()) < 0.02
    mask = occlusion_mask(backward, forward)
    assert mask[8:-8, 8:-16].mean() > 0.9
    assert probe  # the public face exports the probe
