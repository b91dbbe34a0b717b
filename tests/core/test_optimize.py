"""The optimisation loop on small objectives with known minima."""

from __future__ import annotations

import pytest
import torch

from artstyle.errors import OptimizationError, UsageError
from artstyle.core.optimize import Init, OptimizeConfig, OptimizerChoice, initial_image, optimize

TARGET = torch.linspace(0.1, 0.9, 3 * 8 * 8).reshape(1, 3, 8, 8)


def quadratic(image):
    loss = (image - TARGET).pow(2).mean()
    return loss, {"quadratic": loss}


def test_lbfgs_reaches_the_minimum_and_reports_every_step():
    steps = []
    result = optimize(quadratic, torch.zeros(1, 3, 8, 8), OptimizeConfig(iterations=20, tolerance=0), callback=steps.append)
    torch.testing.assert_close(result.image, TARGET, atol=1e-3, rtol=0)
    assert [s.iteration for s in steps] == list(range(1, 21))
    assert steps[0].parts["quadratic"] == pytest.approx(steps[0].loss)
    assert steps[-1].loss < 1e-3 * steps[0].loss
    assert [t["iteration"] for t in result.trace] == list(range(1, 21)) and not result.stopped_early


def test_adam_descends_and_clamps_to_the_unit_range():
    target = TARGET * 3  # partly above 1: the clamped optimum is min(target, 1)
    config = OptimizeConfig(optimizer=OptimizerChoice.adam, iterations=150, learning_rate=0.05, tolerance=0)
    result = optimize(lambda x: ((x - target).pow(2).mean(), {}), torch.zeros(1, 3, 8, 8), config)
    assert float(result.image.max()) <= 1.0
    torch.testing.assert_close(result.image, target.clamp(0, 1), atol=0.02, rtol=0)
    floor = float((target.clamp(0, 1) - target).pow(2).mean())  # the best any image in [0,1] can do
    assert result.trace[-1]["loss"] == pytest.approx(floor, rel=0.05)


@pytest.mark.parametrize("optimizer", list(OptimizerChoice))
def test_bounded_iterates_stay_in_the_unit_range_and_unbounded_ones_may_leave_it(optimizer):
    target = TARGET * 3 - 1  # partly below 0 and above 1
    seen = {}
    for bounded in (True, False):
        config = OptimizeConfig(optimizer=optimizer, iterations=30, learning_rate=0.05, tolerance=0, bounded=bounded)
        extremes = []
        optimize(lambda x: ((x - target).pow(2).mean(), {}), torch.full((1, 3, 8, 8), 0.5), config,
                 callback=lambda step: extremes.append((float(step.image.min()), float(step.image.max()))))
        seen[bounded] = (min(lo for lo, _ in extremes), max(hi for _, hi in extremes))
    assert seen[True][0] >= 0.0 and seen[True][1] <= 1.0
    assert seen[False][0] < 0.0 and seen[False][1] > 1.0


def test_early_stop_when_the_loss_stops_improving():
    flat = lambda x: ((x * 0).sum() + 1.0, {})  # noqa: E731 - constant loss
    result = optimize(flat, torch.rand(1, 3, 4, 4), OptimizeConfig(iterations=100, tolerance=1e-3, patience=5))
    assert result.stopped_early and result.iterations == 6


def test_non_finite_loss_is_an_optimization_error():
    bad = lambda x: ((x * float("nan")).sum(), {})  # noqa: E731
    with pytest.raises(OptimizationError, match="the loss became non-finite at iteration 1") as info:
        optimize(bad, torch.rand(1, 3, 4, 4), OptimizeConfig(iterations=5))
    assert info.value.exit_code == 1 and "--style-weight" in info.value.hint


def test_initial_images_are_seeded():
    content = torch.full((1, 3, 4, 4), 0.5)
    assert torch.equal(initial_image(content, Init.content, 0.3, 1), content)
    noise = initial_image(content, Init.noise, 0.3, 1)
    assert torch.equal(noise, initial_image(content, Init.noise, 0.3, 1))
    assert not torch.equal(noise, initial_image(content, Init.noise, 0.3, 2))
    torch.testing.assert_close(initial_image(content, Init.mix, 0.3, 1), 0.7 * content + 0.3 * noise)


def test_zero_iterations_returns_the_start_and_negative_is_refused():
    start = torch.rand(1, 3, 4, 4)
    assert torch.equal(optimize(quadratic, start, OptimizeConfig(iterations=0)).image, start)
    with pytest.raises(UsageError, match="--iterations must be 0 or more, not -1"):
        OptimizeConfig(iterations=-1)
