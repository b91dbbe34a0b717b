"""The painting flags every painting command shares, declared once.

``paint``, ``batch`` and the ``experiment`` sweeps all take every field of
:class:`~artstyle.paint.pipeline.PaintOptions` as a flag. Rather than repeat some forty
option declarations per command (and let their help and defaults drift),
:func:`with_paint_flags` appends them to a command's signature and hands the
command one ready ``options: PaintOptions``. Defaults are read from
``PaintOptions``, so the CLI cannot disagree with the library.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from artstyle.core.color import ColorMode
from artstyle.core.features import Pooling
from artstyle.core.optimize import Init, LRDecay, OptimizerChoice
from artstyle.paint import PaintOptions
from artstyle.core.speed import Precision, check_scales

DEFAULTS = {f.name: f.default for f in dataclasses.fields(PaintOptions)}
OPTIMISATION = "Optimisation"
SPEED = "Speed"
OUTPUT = "Output"

STYLE = "Style works"  # the help panel of the flags that choose the style works

# The style-source flags that paint and video share, declared once.
Blend = Annotated[Optional[str], typer.Option(help='Weighted artists or work ids, e.g. "pablo-picasso=0.7,vincent-van-gogh=0.3".', rich_help_panel=STYLE)]
Work = Annotated[Optional[str], typer.Option("--work", help="One catalogued work id (see `artstyle corpus works`).", rich_help_panel=STYLE)]
StyleImages = Annotated[Optional[list[Path]], typer.Option("--style-image", help="An explicit style image (repeatable).", rich_help_panel=STYLE)]
StyleWeights = Annotated[Optional[str], typer.Option(help="Weights for the --style-image files, e.g. 3,7.", rich_help_panel=STYLE)]
Offline = Annotated[bool, typer.Option("--offline", help="Never fetch a missing artist from WikiArt.", rich_help_panel=STYLE)]


def _option(help: str, panel: str = OPTIMISATION, *names: str, **extra) -> typer.models.OptionInfo:
    return typer.Option(*names, help=help, rich_help_panel=panel, **extra)


def _joined(values) -> str:
    return ", ".join(map(str, values))  # with spaces, so help can wrap it at 80 columns


# name -> (annotation, CLI default); the option's value goes to PaintOptions through _PARSE.
FLAGS: dict[str, tuple[object, object]] = {
    "size": (Annotated[int, _option("Longest side of the output in pixels.")], DEFAULTS["size"]),
    "iterations": (Annotated[int, _option("Iterations (forward and backward passes) at most.")], DEFAULTS["iterations"]),
    "optimizer": (Annotated[OptimizerChoice, _option("Optimiser.")], DEFAULTS["optimizer"]),
    "init": (Annotated[Init, _option("Start from the photo, noise, or a mix.")], DEFAULTS["init"]),
    "tolerance": (Annotated[float, _option("Stop early when the loss improves less than this (relative); 0 never stops.")], DEFAULTS["tolerance"]),
    "bounded": (Annotated[bool, _option("Keep every iterate's pixels in [0, 1] (projected steps); --unbounded clamps once at the end, as neural-style does.", OPTIMISATION, "--bounded/--unbounded")], DEFAULTS["bounded"]),
    "learning_rate": (Annotated[float, _option("Adam's and RMSprop's step size (pixels in [0, 1]); L-BFGS takes unit steps.")], DEFAULTS["learning_rate"]),
    "lr_decay": (Annotated[LRDecay, _option("Adam/RMSprop learning-rate schedule: exponential (smooth) or step.")], DEFAULTS["lr_decay"]),
    "lr_decay_rate": (Annotated[float, _option("Factor the learning rate is multiplied by every --lr-decay-every iterations.")], DEFAULTS["lr_decay_rate"]),
    "lr_decay_every": (Annotated[int, _option("Iterations per decay period.")], DEFAULTS["lr_decay_every"]),
    "style_scale": (Annotated[float, _option("Style images are resized to size x this.")], DEFAULTS["style_scale"]),
    "content_weight": (Annotated[float, _option("Weight of the content loss.")], DEFAULTS["content_weight"]),
    "style_weight": (Annotated[float, _option("Weight of the style loss.")], DEFAULTS["style_weight"]),
    "tv_weight": (Annotated[float, _option("Weight of the total-variation (smoothness) loss.")], DEFAULTS["tv_weight"]),
    "content_layers": (Annotated[Optional[str], _option("Content layers, comma-separated.", show_default=_joined(DEFAULTS["content_layers"]))], None),
    "style_layers": (Annotated[Optional[str], _option("Style layers, comma-separated.", show_default=_joined(DEFAULTS["style_layers"]))], None),
    "pooling": (Annotated[Pooling, _option("VGG pooling (Gatys et al. prefer avg).")], DEFAULTS["pooling"]),
    "color": (Annotated[ColorMode, _option(
        "reinhard-inverse: photo's palette, cacheable; reinhard: photo's palette (seed paper); "
        "luminance: photo's exact colours; none: the work's.")], DEFAULTS["color"]),
    "precision": (Annotated[Precision, _option("bf16: network in bfloat16 where supported (Grams and losses stay fp32).", SPEED)], DEFAULTS["precision"]),
    "channels_last": (Annotated[bool, _option("NHWC memory format for the network and image.", SPEED, "--channels-last/--no-channels-last")], DEFAULTS["channels_last"]),
    "compile": (Annotated[bool, _option("torch.compile the network (slow first step).", SPEED, "--compile/--no-compile")], DEFAULTS["compile"]),
    "scales": (Annotated[Optional[str], _option("Coarse-to-fine: increasing fractions of --size ending at 1, e.g. 0.5,1.", SPEED, show_default=_joined(DEFAULTS["scales"]))], None),
    "fine_share": (Annotated[float, _option("Share of the iterations at full size when there are several --scales.", SPEED)], DEFAULTS["fine_share"]),
    "reuse_heap": (Annotated[bool, _option("CPU (glibc): reuse freed buffers between steps instead of unmapping them.", SPEED, "--reuse-heap/--no-reuse-heap")], DEFAULTS["reuse_heap"]),
    "cudnn_benchmark": (Annotated[bool, _option("CUDA: autotuned cuDNN kernels (faster, not bitwise reproducible).", SPEED, "--cudnn-benchmark/--no-cudnn-benchmark")], DEFAULTS["cudnn_benchmark"]),
    "save_every": (Annotated[int, _option("Also write every N-th iterate beside the output (0: never).", OUTPUT)], DEFAULTS["save_every"]),
}


def split_list(text: Optional[str], default: tuple) -> tuple[str, ...]:
    """``a, b`` -> ("a", "b"); empty or None -> ``default``."""
    return tuple(s.strip() for s in text.split(",") if s.strip()) if text else default


def parse_scales(text: Optional[str], default: tuple[float, ...]) -> tuple[float, ...]:
    """``0.5,1`` -> (0.5, 1.0), checked by :func:`artstyle.core.speed.check_scales`."""
    if not text:
        return default
    try:
        return check_scales([float(s) for s in text.split(",") if s.strip()])
    except ValueError:
        return check_scales([text])  # raises the UsageError with its hint


_PARSE: dict[str, Callable] = {
    "content_layers": lambda text: split_list(text, DEFAULTS["content_layers"]),
    "style_layers": lambda text: split_list(text, DEFAULTS["style_layers"]),
    "scales": lambda text: parse_scales(text, DEFAULTS["scales"]),
}


def paint_options(flags: dict) -> PaintOptions:
    """The flags' values (as typer passes them) -> validated PaintOptions."""
    return PaintOptions(**{name: _PARSE.get(name, lambda v: v)(value) for name, value in flags.items()})


def with_paint_flags(*, exclude: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """Give a typer command every painting flag (but ``exclude``); it receives them as ``options``.

    The command declares ``options: PaintOptions`` as its last parameter; the
    wrapper's signature replaces it with the flags, which typer reads.
    """
    flags = {name: spec for name, spec in FLAGS.items() if name not in exclude}

    def decorate(command: Callable) -> Callable:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "options"]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
                 for name, (annotation, default) in flags.items()]

        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            values = {name: kwargs.pop(name) for name in flags}
            return command(*args, **kwargs, options=paint_options(values))

        wrapper.__signature__ = inspect.Signature(own + added)
        wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
        del wrapper.__wrapped__  # typer must read the new signature, not the command's
        return wrapper

    return decorate
