"""The optimisation loop: pixels are the parameters, the loss is Gatys et al.'s objective.

Gatys, Ecker & Bethge (2015) optimise the image with L-BFGS (our default); Adam
is the usual alternative and behaves better with large images and in low
precision. One *iteration* is one forward and backward pass through the
network, for both optimisers (L-BFGS takes one unit step per evaluation, no
line search, its history carrying across steps: :mod:`artstyle.core.lbfgs`).

Images of the same size can be optimised as one batch (:func:`optimize_batch`):
they share each network pass, but every image keeps its own optimiser state,
early stop and trace, so it ends where it would alone.

The loop reports every iteration through a callback (:class:`Step`) and never
prints. It stops early when the best loss has improved by less than
``tolerance`` (relative) over the last ``patience`` iterations, and raises
:class:`~artstyle.errors.OptimizationError` as soon as the loss is not finite.

Every iterate stays in the unit box by default (``bounded``): Adam's is
clamped after each step, L-BFGS's step is projected onto [0, 1] and its
curvature pair records the step actually taken. The usual Gatys-style code
(neural-style and its ports, torch's L-BFGS) optimises free pixels and clamps
once at the end; about 2.5% of the pixels then ended out of range, and the
clamped image the user gets had a 17% higher loss than the free iterate the
optimiser minimised (an exploratory 200-iteration fp32 run at 256 px).
Projected, the loss that is optimised is the loss of the output: at 512 px,
bounded L-BFGS passed the unbounded run's 300-iteration output loss by
iteration 20 (scripts/bench.py, time to quality).
``bounded=False`` is that plain algorithm (the benchmark's reference).
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Iterator, Mapping, Sequence

import torch
from torch import Tensor, nn

from artstyle.errors import OptimizationError, UsageError
from artstyle.core.heap import reused_heap
from artstyle.core.lbfgs import BatchLBFGS


class OptimizerChoice(str, Enum):
    lbfgs = "lbfgs"
    adam = "adam"
    rmsprop = "rmsprop"  # Reddy & Peshin (2018) compare it with Adam


class LRDecay(str, Enum):
    """How Adam's and RMSprop's learning rate falls over a run (Siegel 2016 found decay helped Adam)."""

    none = "none"
    exponential = "exponential"  # lr · rate^(i / every): smoothly, by `rate` every `every` iterations
    step = "step"  # lr · rate^floor(i / every): in steps of `rate` every `every` iterations


class Init(str, Enum):
    """Where the image starts: the photo, white noise, or the photo plus noise (smoother results)."""

    content = "content"
    noise = "noise"
    mix = "mix"


@dataclass(frozen=True)
class OptimizeConfig:
    """How to optimise; these defaults are the CLI's defaults."""

    optimizer: OptimizerChoice = OptimizerChoice.lbfgs
    iterations: int = 300  # Gatys et al. saw little change past 150-300
    init: Init = Init.content
    # Stop when the best loss of the last `patience` iterations is less than `tolerance` (relative)
    # below the best before them. With bounded L-BFGS at 512 px (bf16, scripts/bench.py time to
    # quality) the output passes the bar of a 300-iteration unbounded fp32 run by iteration 20 and
    # then gains under 0.5% per 20 iterations from about iteration 115 on: 5e-3 stops there, about
    # 24% below the bar. --tolerance 0 runs every iteration.
    tolerance: float = 5e-3
    patience: int = 20
    learning_rate: float = 0.02  # Adam, in pixel units ([0,1] images); L-BFGS uses 1
    bounded: bool = True  # keep every iterate in [0, 1] (projected L-BFGS steps); False: clamp once at the end
    reuse_heap: bool = True  # CPU buffers reused between steps, not unmapped (artstyle.core.heap)
    noise_ratio: float = 0.3  # share of noise in the `mix` start
    lr_decay: LRDecay = LRDecay.none  # Adam and RMSprop only
    lr_decay_rate: float = 0.5  # the factor applied every `lr_decay_every` iterations
    lr_decay_every: int = 100

    def __post_init__(self) -> None:
        check_iterations(self.iterations)
        check_decay(OptimizerChoice(self.optimizer), LRDecay(self.lr_decay), self.lr_decay_rate, self.lr_decay_every)
        if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
            raise UsageError(f"--tolerance must be a non-negative number, not {self.tolerance}", hint="use e.g. --tolerance 1e-3, or 0 to never stop early")
        if not 0 <= self.noise_ratio <= 1:
            raise UsageError(f"noise ratio must be between 0 and 1, not {self.noise_ratio}", hint="use e.g. 0.3")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise UsageError(f"learning rate must be positive, not {self.learning_rate}", hint="use e.g. 0.02")


def check_decay(optimizer: OptimizerChoice, decay: LRDecay, rate: float, every: int) -> None:
    if not (0 < rate <= 1):
        raise UsageError(f"--lr-decay-rate must be in (0, 1], not {rate}", hint="use e.g. --lr-decay-rate 0.5")
    if every < 1:
        raise UsageError(f"--lr-decay-every must be 1 or more, not {every}", hint="use e.g. --lr-decay-every 100")
    if decay is not LRDecay.none and optimizer is OptimizerChoice.lbfgs:
        raise UsageError("--lr-decay applies to --optimizer adam or rmsprop; L-BFGS takes unit steps", hint="add --optimizer adam, or drop --lr-decay")


def learning_rate_at(config: "OptimizeConfig", iteration: int) -> float:
    """The learning rate of 1-based ``iteration`` under the config's schedule."""
    periods = (iteration - 1) / config.lr_decay_every
    decay = LRDecay(config.lr_decay)
    if decay is LRDecay.exponential:
        return config.learning_rate * config.lr_decay_rate ** periods
    if decay is LRDecay.step:
        return config.learning_rate * config.lr_decay_rate ** math.floor(periods)
    return config.learning_rate


def check_iterations(iterations: int) -> int:
    if iterations < 0:
        raise UsageError(f"--iterations must be 0 or more, not {iterations}", hint="use e.g. --iterations 300")
    return iterations


@dataclass(frozen=True)
class Step:
    """One iteration, as reported to the callback."""

    iteration: int  # 1-based
    iterations: int  # the planned total
    loss: float
    parts: Mapping[str, float]  # weighted content, style and tv terms
    elapsed: float  # seconds since the loop started
    image: Tensor | None  # the current iterate [1,3,H,W] (not a copy: clone it to keep it); None from a Ray actor


@dataclass
class OptimizeResult:
    image: Tensor  # [1,3,H,W] in [0,1]
    trace: list[dict] = field(default_factory=list)  # per iteration: loss and parts
    iterations: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    started_at: float = 0.0  # wall-clock time (Unix seconds) when the first iteration began: start-up ends there


Objective = Callable[[Tensor], tuple[Tensor, dict[str, Tensor]]]


def initial_image(content: Tensor, init: Init, noise_ratio: float, seed: int) -> Tensor:
    """content [1,3,H,W] -> the starting image, with seeded noise drawn on the CPU for reproducibility."""
    noise = torch.rand(content.shape, generator=torch.Generator().manual_seed(seed)).to(content)
    if init is Init.content:
        return content.clone()
    if init is Init.noise:
        return noise
    return (1 - noise_ratio) * content + noise_ratio * noise


class _Elementwise:
    """torch's Adam or RMSprop (elementwise, so exact per image) with the ``step(grad, active)`` of BatchLBFGS.

    The learning rate follows the config's schedule (:func:`learning_rate_at`).
    """

    def __init__(self, image: Tensor, config: "OptimizeConfig") -> None:
        self.image, self.config = image, config
        self.bounded = config.bounded
        kind = torch.optim.RMSprop if config.optimizer is OptimizerChoice.rmsprop else torch.optim.Adam
        self.optimizer = kind([image], lr=config.learning_rate)
        self.iteration = 0

    def step(self, grad: Tensor, active: Tensor) -> None:
        before = None if bool(active.all()) else self.image.detach().clone()
        self.iteration += 1
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate_at(self.config, self.iteration)
        self.image.grad = grad
        self.optimizer.step()
        with torch.no_grad():
            if self.bounded:
                self.image.clamp_(0, 1)
            if before is not None:  # images that have stopped stay where they stopped
                self.image[~active] = before[~active]


def _make_optimizer(config: OptimizeConfig, image: Tensor):
    if config.optimizer in (OptimizerChoice.adam, OptimizerChoice.rmsprop):
        return _Elementwise(image, config)
    bounds = (0.0, 1.0) if config.bounded else None
    return BatchLBFGS(image, history_size=min(100, config.iterations), lr=1.0, bounds=bounds)  # torch's default history, no more than can fill


def _converged(trace: list[dict], config: OptimizeConfig) -> bool:
    if config.tolerance <= 0 or len(trace) <= config.patience:
        return False
    before = min(t["loss"] for t in trace[: -config.patience])
    now = min(t["loss"] for t in trace[-config.patience :])
    return (before - now) <= config.tolerance * abs(before)


@contextlib.contextmanager
def _flush_denormals() -> Iterator[None]:
    """Treat subnormal floats as zero while optimising.

    Long runs drift into subnormal values (seen here: fp32 steps at 3.5 s
    instead of 0.5 s mid-run, bf16 runs slowing 1.7x), and x86 CPUs handle
    those up to ~100x slower. Flushing them changes nothing visible and
    keeps runs bitwise reproducible.
    """
    enabled = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if enabled:
            torch.set_flush_denormal(False)


def optimize(
    objective: Objective,
    content: Tensor,
    config: OptimizeConfig = OptimizeConfig(),
    *,
    seed: int = 0,
    callback: Callable[[Step], None] | None = None,
) -> OptimizeResult:
    """Minimise ``objective(image) -> (total, parts)`` starting from ``content`` [1,3,H,W]."""
    return optimize_batch(objective, content, config, seeds=[seed], callbacks=[callback])[0]


def optimize_batch(
    objective: Objective,
    contents: Tensor,
    config: OptimizeConfig = OptimizeConfig(),
    *,
    seeds: Sequence[int],
    callbacks: Sequence[Callable[[Step], None] | None] = (),
) -> list[OptimizeResult]:
    """Minimise a batch of independent problems together: one result per image of ``contents`` [B,3,H,W].

    ``objective(images)`` returns per-image totals [B] and parts {name: [B]},
    image i's loss depending on image i alone. Each image has its own seed,
    optimiser history, early stop and callback, so it ends where it would
    alone; the batch shares the network passes (the speed-up on GPUs).
    """
    if len(seeds) != contents.shape[0]:
        raise ValueError(f"{contents.shape[0]} images but {len(seeds)} seeds")
    callbacks = list(callbacks) or [None] * len(seeds)
    with _flush_denormals(), reused_heap(config.reuse_heap):
        return _optimize(objective, contents, config, list(seeds), callbacks)


def _optimize(objective: Objective, contents: Tensor, config: OptimizeConfig, seeds: list[int], callbacks) -> list[OptimizeResult]:
    starts = [initial_image(c[None], Init(config.init), config.noise_ratio, seed) for c, seed in zip(contents, seeds)]
    image = nn.Parameter(torch.cat(starts))
    optimizer = _make_optimizer(config, image)
    results = [OptimizeResult(image=start) for start in starts]
    active = torch.ones(len(seeds), dtype=torch.bool, device=image.device)
    start, started_at = time.perf_counter(), time.time()
    for iteration in range(1, config.iterations + 1):
        totals, parts = objective(image)
        totals, parts = totals.reshape(len(seeds)), {k: v.reshape(len(seeds)) for k, v in parts.items()}  # scalars for one image
        grad, = torch.autograd.grad(totals.sum(), image)
        losses, parts = totals.detach().tolist(), {k: v.detach().tolist() for k, v in parts.items()}
        if not all(math.isfinite(losses[i]) for i in range(len(seeds)) if active[i]):
            raise OptimizationError(
                f"the loss became non-finite at iteration {iteration}",
                hint="lower --style-weight, use --optimizer adam, or start from --init content",
            )
        optimizer.step(grad, active)
        if not bool(torch.isfinite(image).all()):
            raise OptimizationError(f"the image became non-finite at iteration {iteration}", hint="lower --style-weight, or use --optimizer adam")
        elapsed = time.perf_counter() - start
        for i in [i for i in range(len(seeds)) if active[i]]:
            _record_step(results[i], iteration, losses[i], {k: v[i] for k, v in parts.items()}, elapsed, config, image[i:i + 1].detach(), callbacks[i])
            if results[i].stopped_early:
                active[i] = False
        if not bool(active.any()):
            break
    seconds = time.perf_counter() - start
    for i, result in enumerate(results):
        result.image = image[i:i + 1].detach().clamp(0, 1)
        result.seconds, result.started_at = seconds, started_at
    return results


def _record_step(result: OptimizeResult, iteration: int, loss: float, parts: dict, elapsed: float, config: OptimizeConfig, image: Tensor, callback) -> None:
    """Append one iteration to an image's trace, report it, and mark the image stopped once converged.

    The loss is that of the image before this iteration's step, as torch's
    optimisers report it.
    """
    result.trace.append({"iteration": iteration, "loss": loss, "parts": parts})
    result.iterations = iteration
    if callback is not None:
        callback(Step(iteration, config.iterations, loss, parts, elapsed, image))
    result.stopped_early = _converged(result.trace, config)
