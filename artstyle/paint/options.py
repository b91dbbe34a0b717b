"""Every knob of a painting, once: :class:`PaintOptions`, whose defaults are the CLI's defaults.

The optimiser's own defaults live in :class:`~artstyle.core.optimize.OptimizeConfig`
and the style targets' in :class:`~artstyle.style.targets.TargetConfig`; the
fields here read them, so the three cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Sequence

from artstyle.core.color import ColorMode
from artstyle.core.features import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, Pooling, check_layers
from artstyle.core.optimize import Init, LRDecay, OptimizeConfig, OptimizerChoice
from artstyle.core.speed import Precision, check_scales
from artstyle import shares
from artstyle.errors import UsageError
from artstyle.style.config import TargetConfig


@dataclass(frozen=True)
class PaintOptions:
    """Every knob of a painting; the defaults are the CLI's defaults."""

    size: int = 512  # longest side of the output, px
    style_scale: float = 1.0  # style images are resized to size × style_scale
    content_weight: float = 0.05
    style_weight: float = 1.0
    tv_weight: float = 1.0
    content_layers: tuple[str, ...] = DEFAULT_CONTENT_LAYERS
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None  # per style layer; equal when None
    pooling: Pooling = Pooling.max
    color: ColorMode = TargetConfig.color  # reinhard-inverse: cacheable, and as close to the photo's colours (README: Style cache)
    optimizer: OptimizerChoice = OptimizeConfig.optimizer
    iterations: int = OptimizeConfig.iterations
    init: Init = OptimizeConfig.init
    tolerance: float = OptimizeConfig.tolerance
    learning_rate: float = OptimizeConfig.learning_rate
    lr_decay: LRDecay = OptimizeConfig.lr_decay  # Adam and RMSprop: exponential or step schedule
    lr_decay_rate: float = OptimizeConfig.lr_decay_rate
    lr_decay_every: int = OptimizeConfig.lr_decay_every
    bounded: bool = OptimizeConfig.bounded  # iterates stay in [0, 1]: the loss optimised is the output's
    save_every: int = 0  # write every N-th iterate beside the output (0: never)
    # speed paths (artstyle.core.speed; measured by scripts/bench.py)
    precision: Precision = Precision.bf16  # bf16: autocast network forward, Grams and losses in fp32 (fp32 where unsupported)
    channels_last: bool = True  # NHWC network and image
    compile: bool = False  # torch.compile the feature net
    scales: tuple[float, ...] = (1.0,)  # coarse-to-fine: increasing fractions of size, ending at 1
    fine_share: float = 0.25  # share of the iterations at full size when there are several scales
    reuse_heap: bool = OptimizeConfig.reuse_heap  # CPU: freed buffers reused between steps (artstyle.core.heap)
    cudnn_benchmark: bool = False  # CUDA only: autotuned cuDNN kernels, faster but not bitwise reproducible

    def __post_init__(self) -> None:
        coerce = object.__setattr__
        for name, kind in (("pooling", Pooling), ("color", ColorMode), ("optimizer", OptimizerChoice), ("init", Init),
                           ("precision", Precision), ("lr_decay", LRDecay)):
            coerce(self, name, _choice(kind, getattr(self, name), name))
        coerce(self, "content_layers", check_layers(tuple(self.content_layers)))
        coerce(self, "style_layers", check_layers(tuple(self.style_layers)))
        if self.size < 1:
            raise UsageError(f"--size must be at least 1 pixel, not {self.size}", hint="use e.g. --size 512 (the longest side)")
        self.optimize_config()  # the optimiser's own checks (iterations, tolerance, learning rate), now rather than mid-batch
        for name in ("content_weight", "style_weight", "tv_weight", "style_scale"):
            _check_weight(name, getattr(self, name))
        if self.style_scale <= 0:
            raise UsageError(f"--style-scale must be positive, not {self.style_scale}", hint="use e.g. --style-scale 1")
        coerce(self, "scales", check_scales(self.scales))
        if not (0 < self.fine_share <= 1):
            raise UsageError(f"--fine-share must be in (0, 1], not {self.fine_share}", hint="use e.g. --fine-share 0.25")
        if self.save_every < 0:
            raise UsageError(f"--save-every must be 0 or more, not {self.save_every}", hint="use e.g. --save-every 50")
        if self.style_layer_weights is not None:
            coerce(self, "style_layer_weights", tuple(float(w) for w in self.style_layer_weights))
            if len(self.style_layer_weights) != len(self.style_layers):
                raise UsageError("give one style layer weight per style layer", hint=f"layers: {', '.join(self.style_layers)}")
            shares.parse(self.style_layer_weights, "style layer weights")

    def optimize_config(self) -> OptimizeConfig:
        return OptimizeConfig(
            optimizer=self.optimizer, iterations=self.iterations, init=self.init,
            tolerance=self.tolerance, learning_rate=self.learning_rate, bounded=self.bounded,
            reuse_heap=self.reuse_heap, lr_decay=self.lr_decay, lr_decay_rate=self.lr_decay_rate,
            lr_decay_every=self.lr_decay_every,
        )

    def target_config(self, weights_identity: str) -> TargetConfig:
        return TargetConfig(
            layers=self.style_layers, pooling=self.pooling, style_size=self.size,
            style_scale=self.style_scale, color=self.color, weights_identity=weights_identity,
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        for name in ("pooling", "color", "optimizer", "init", "precision", "lr_decay"):
            data[name] = getattr(self, name).value
        data["scales"] = list(self.scales)
        return data

    def with_overrides(self, **overrides) -> "PaintOptions":
        """A copy with the named fields changed (``size=256``...); an unknown name is a usage error."""
        names = {f.name for f in fields(PaintOptions)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise UsageError(f"unknown paint option(s): {', '.join(unknown)}", hint=f"options: {', '.join(sorted(names))}")
        return replace(self, **overrides)


def _choice(kind, value, name: str):
    try:
        return kind(getattr(value, "value", value))
    except ValueError:
        raise UsageError(f"unknown {name} {value!r}", hint=f"use one of: {', '.join(c.value for c in kind)}") from None


def _check_weight(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        flag = "--" + name.replace("_", "-")
        raise UsageError(f"{flag} must be a finite number >= 0, not {value}", hint=f"use e.g. {flag} 1")
