"""The benchmark scripts keep working as the library changes (they are run by hand, so nothing else would notice).

These run each measurement at a toy size; they check what is reported, never how fast.
"""

from __future__ import annotations

import pytest

from scripts import bench

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_step_measurement_reports_time_memory_and_shape():
    row = bench.measure_steps(size=64, config="default", device="cpu", warmup=1, steps=2)
    assert (row["height"], row["width"]) == (48, 64)
    assert row["seconds_per_step"] > 0 and row["peak_memory_bytes"] > 0


def test_quality_measurement_judges_the_run_and_finds_the_bar():
    reference = bench.measure_quality(size=64, config="fp32-lbfgs", device="cpu", iterations=6, bar=None, check_every=2)
    losses = [loss for _, loss in reference["judged"]]
    assert reference["iterations"] == 6 and losses[-1] < losses[0]
    assert reference["final_loss"] == pytest.approx(losses[-1], rel=1e-6)
    easy = bench.measure_quality(size=64, config="bf16-lbfgs", device="cpu", iterations=12, bar=losses[0], check_every=2)
    assert easy["seconds_to_bar"] is not None and easy["seconds_to_bar"] <= easy["seconds"]
    never = bench.measure_quality(size=64, config="fp32-lbfgs", device="cpu", iterations=2, bar=0.0, check_every=2)
    assert never["seconds_to_bar"] is None
