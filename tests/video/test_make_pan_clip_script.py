"""scripts/make_pan_clip.py makes the README's demo clip: the frames, size and rate asked for, or one clear error."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "make_pan_clip.py"), *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_the_default_photo_makes_a_clip_of_the_asked_frames_size_and_rate(tmp_path):
    done = _run("pan.mp4", "--frames", "6", "--size", "64x48", "--rate", "6", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with av.open(str(tmp_path / "pan.mp4")) as container:
        video = container.streams.video[0]
        frames = list(container.decode(video))
        assert (len(frames), video.width, video.height) == (6, 64, 48)
        assert Fraction(video.average_rate) == 6 and len(container.streams.audio) == 1


def test_a_missing_photo_or_odd_size_is_one_message_and_no_file(tmp_path):
    missing = _run("a.mp4", "--photo", "nope.jpg", cwd=tmp_path)
    odd = _run("b.mp4", "--size", "63x48", cwd=tmp_path)
    assert missing.returncode == odd.returncode == 2
    assert "nope.jpg does not exist" in missing.stderr and "even numbers" in odd.stderr
    assert "Traceback" not in missing.stderr + odd.stderr and not list(tmp_path.iterdir())


def test_a_corrupt_photo_or_too_few_frames_is_one_message_and_no_file(tmp_path):
    (tmp_path / "junk.jpg").write_text("not a photo")
    corrupt = _run("a.mp4", "--photo", "junk.jpg", cwd=tmp_path)
    empty = _run("b.mp4", "--frames", "0", cwd=tmp_path)
    assert corrupt.returncode == empty.returncode == 2
    assert "junk.jpg is not a readable image" in corrupt.stderr and "--frames: 0 is below 2" in empty.stderr
    assert "Traceback" not in corrupt.stderr + empty.stderr and sorted(p.name for p in tmp_path.iterdir()) == ["junk.jpg"]
