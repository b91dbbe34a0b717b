"""RMSprop and the learning-rate schedules, judged by what they do to a small run."""

from __future__ import annotations

import pytest
import torch

from artstyle.core.optimize import LRDecay, OptimizeConfig, OptimizerChoice, learning_rate_at, optimize
from artstyle.errors import UsageError
from artstyle.paint import PaintOptions, paint

TARGET = torch.linspace(0.2, 0.8, 3 * 8 * 8).reshape(1, 3, 8, 8)


def quadratic(image):
    loss = (image - TARGET).pow(2).mean()
    return loss, {"quadratic": loss}


def absolute(image):
    loss = (image - TARGET).abs().mean()  # a kink at the minimum: a fixed step size cannot settle there
    return loss, {"absolute": loss}


def _final(config: OptimizeConfig) -> float:
    return optimize(absolute, torch.zeros(1, 3, 8, 8), config).trace[-1]["loss"]


def test_the_schedules_follow_their_formulas():
    exp = OptimizeConfig(optimizer=OptimizerChoice.adam, learning_rate=0.1, lr_decay=LRDecay.exponential, lr_decay_rate=0.5, lr_decay_every=10)
    step = OptimizeConfig(optimizer=OptimizerChoice.adam, learning_rate=0.1, lr_decay=LRDecay.step, lr_decay_rate=0.5, lr_decay_every=10)
    assert [learning_rate_at(exp, i) for i in (1, 11, 21)] == pytest.approx([0.1, 0.05, 0.025])
    assert learning_rate_at(exp, 6) == pytest.approx(0.1 * 0.5 ** 0.5)
    assert [learning_rate_at(step, i) for i in (1, 10, 11, 20, 21)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert learning_rate_at(OptimizeConfig(), 500) == OptimizeConfig().learning_rate


@pytest.mark.parametrize("optimizer", [OptimizerChoice.adam, OptimizerChoice.rmsprop])
def test_decay_settles_closer_to_the_minimum_than_a_constant_rate(optimizer):
    # on |x - t| a constant rate keeps jumping around the minimum; a decaying one comes to rest near it
    base = dict(optimizer=optimizer, iterations=200, learning_rate=0.05, tolerance=0)
    constant = _final(OptimizeConfig(**base))
    for decay in (LRDecay.exponential, LRDecay.step):
        decayed = _final(OptimizeConfig(**base, lr_decay=decay, lr_decay_rate=0.5, lr_decay_every=20))
        assert decayed < 0.1 * constant, (decay, decayed, constant)


def test_a_tiny_step_decay_freezes_the_image_after_the_first_period():
    seen = []
    config = OptimizeConfig(optimizer=OptimizerChoice.rmsprop, iterations=30, learning_rate=0.01, tolerance=0,
                            lr_decay=LRDecay.step, lr_decay_rate=1e-9, lr_decay_every=10)
    optimize(quadratic, torch.zeros(1, 3, 8, 8), config, callback=lambda s: seen.append(s.image.clone()))
    assert float((seen[9] - seen[0]).abs().max()) > 1e-3  # moved during the first period
    assert float((seen[-1] - seen[10]).abs().max()) < 1e-6  # and not after it


def test_rmsprop_descends_and_differs_from_adam():
    adam = optimize(quadratic, torch.zeros(1, 3, 8, 8), OptimizeConfig(optimizer=OptimizerChoice.adam, iterations=40, tolerance=0))
    rms = optimize(quadratic, torch.zeros(1, 3, 8, 8), OptimizeConfig(optimizer=OptimizerChoice.rmsprop, iterations=40, tolerance=0))
    assert rms.trace[-1]["loss"] < 0.05 * rms.trace[0]["loss"]
    assert not torch.equal(rms.image, adam.image)


def test_decay_is_refused_for_lbfgs_and_checked():
    with pytest.raises(UsageError, match="--lr-decay applies to --optimizer adam or rmsprop"):
        PaintOptions(lr_decay="step")
    with pytest.raises(UsageError, match="--lr-decay-rate must be in"):
        PaintOptions(optimizer="adam", lr_decay="step", lr_decay_rate=0)
    with pytest.raises(UsageError, match="unknown lr_decay 'cosine'"):
        PaintOptions(optimizer="adam", lr_decay="cosine")


@pytest.mark.usefixtures("one_torch_thread")
def test_a_small_painting_with_rmsprop_and_decay_records_them(settings, paintings):
    photo = paintings / "photos" / "tubingen.jpg"
    style = sorted((paintings / "edvard-munch").glob("*.jpg"))[0]
    opts = PaintOptions(size=48, iterations=12, tolerance=0, optimizer="rmsprop", learning_rate=0.01,
                        lr_decay="exponential", lr_decay_rate=0.5, lr_decay_every=4)
    result = paint(photo, style_images=[style], options=opts, settings=settings, seed=1)
    trace = result.provenance["loss"]
    assert result.provenance["params"]["optimizer"] == "rmsprop"
    assert result.provenance["params"]["lr_decay"] == "exponential" and result.provenance["params"]["lr_decay_every"] == 4
    assert trace["last"]["loss"] < trace["first"]["loss"]
