"""Batched optimisation in ``batch``: photos of one painted size share a batch tensor and come out as alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

import artstyle.batch.run
import artstyle.batch.executors
from artstyle.batch.run import run_batch
from artstyle.errors import OptimizationError
from artstyle.paint.provenance import sidecar_path
from artstyle.core.speed import MAX_AUTO_BATCH, auto_batch_size
from support.batch import photos

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TINY = dict(size=64, iterations=6, tolerance=0.0)


@pytest.fixture
def same_size(paintings, tmp_path) -> Path:
    """Three different 4:3 photos (one painted size) and, in ``portrait/``, one 3:4 photo."""
    base = sorted(photos(paintings, tmp_path / "base").iterdir())
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, path in enumerate(base[:3]):
        ImageOps.fit(Image.open(path).convert("RGB"), (96, 72)).save(folder / f"p{i}.png")
    (folder / "portrait").mkdir()
    ImageOps.fit(Image.open(base[0]).convert("RGB"), (72, 96)).save(folder / "portrait" / "tall.png")
    return folder


def _style(paintings: Path) -> str:
    return str(sorted((paintings / "pablo-picasso").glob("*.jpg"))[0])


def _run(folder, out, settings, paintings, batch_size, **kwargs):
    together: list[int] = []
    report = run_batch([folder], out_dir=out, style_images=[_style(paintings)], settings=settings, offline=True,
                       batch_size=batch_size, on_job_start=lambda job: together.append(job["together"]), **TINY, **kwargs)
    return report, together


def _outputs(out: Path) -> dict[str, tuple[np.ndarray, dict]]:
    """{photo stem: (pixels, sidecar)} of a batch's outputs."""
    found = {}
    for image in sorted(out.glob("*.png")):
        sidecar = sidecar_path(image)
        if sidecar.exists():
            found[image.name.split(".")[0]] = (np.asarray(Image.open(image), dtype=np.int16), json.loads(sidecar.read_text()))
    return found


@pytest.mark.slow
def test_photos_of_one_size_are_painted_together_and_come_out_as_alone(same_size, settings, paintings, tmp_path):
    alone, sizes_alone = _run(same_size, tmp_path / "alone", settings, paintings, batch_size=1)
    together, sizes_together = _run(same_size, tmp_path / "together", settings, paintings, batch_size=4)
    assert alone.done == together.done == 4 and not together.failed
    assert sizes_alone == [1, 1, 1, 1]
    assert sorted(sizes_together) == [1, 3, 3, 3]  # the portrait paints at another size: on its own
    a, b = _outputs(tmp_path / "alone"), _outputs(tmp_path / "together")
    assert sorted(a) == sorted(b) == ["p0", "p1", "p2", "tall"]
    for stem in a:
        assert np.abs(a[stem][0] - b[stem][0]).max() <= 2, stem  # batched convolutions may round differently
        losses_alone, losses_together = a[stem][1]["batch"]["losses"], b[stem][1]["batch"]["losses"]
        assert len(losses_alone) == len(losses_together) == TINY["iterations"]
        np.testing.assert_allclose(losses_together, losses_alone, rtol=1e-3)
        assert losses_together[-1] < losses_together[0]


def test_a_failing_batch_falls_back_to_one_job_at_a_time(same_size, settings, paintings, tmp_path, monkeypatch):
    real = artstyle.batch.executors.run_jobs
    calls: list[int] = []

    def fails_when_batched(jobs, *args, **kwargs):
        calls.append(len(jobs))
        if len(jobs) > 1:
            raise OptimizationError("the loss became non-finite at iteration 3")
        return real(jobs, *args, **kwargs)

    monkeypatch.setattr(artstyle.batch.executors, "run_jobs", fails_when_batched)
    report, _ = _run(same_size, tmp_path / "out", settings, paintings, batch_size=3)
    assert report.done == 4 and not report.failed
    assert calls[0] == 3 and calls.count(1) == 4


def test_the_automatic_batch_size_fits_the_device():
    cpu = torch.device("cpu")
    assert auto_batch_size(cpu, 512) == 1 and auto_batch_size(cpu, 1024) == 1
    assert auto_batch_size(cpu, 256) == 4 and auto_batch_size(cpu, 64) == MAX_AUTO_BATCH
    cuda = torch.device("cuda")
    assert auto_batch_size(cuda, 512, free_bytes=80 * 2**30) == MAX_AUTO_BATCH
    assert auto_batch_size(cuda, 512, free_bytes=8 * 2**30) == 2
    assert auto_batch_size(cuda, 512, free_bytes=2**20) == 1
    assert auto_batch_size(cuda, 256, free_bytes=8 * 2**30) > auto_batch_size(cuda, 512, free_bytes=8 * 2**30)


def test_batch_size_through_the_cli(cli, home, same_size, paintings, tmp_path):
    out = tmp_path / "out"
    result = cli("--weights", "random", "--device", "cpu", "--quiet", "batch", str(same_size), "--style-image", _style(paintings),
                 "--out", str(out), "--batch-size", "3", "--size", "64", "--iterations", "3")
    assert result.exit_code == 0, result.output
    assert len(_outputs(out)) == 4
    bad = cli("batch", str(same_size), "--style-image", _style(paintings), "--out", str(tmp_path / "x"), "--batch-size", "0")
    assert bad.exit_code == 2 and "--batch-size must be at least 1" in bad.output
