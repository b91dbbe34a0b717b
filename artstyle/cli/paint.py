"""``artstyle paint PHOTO --like ARTIST``: a thin shell over :func:`artstyle.paint.paint`.

Option defaults are read from :class:`~artstyle.paint.PaintOptions` so they
cannot drift from the library's.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import ProgressColumn, TextColumn
from rich.text import Text

from ..color import ColorMode
from ..features import Pooling
from ..optimize import Init, OptimizerChoice
from ..paint import PaintOptions, default_fetch, paint
from ..sampler import StylePick, parse_works
from ..speed import Precision, check_scales
from .common import note, progress, settings_of, stdout

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(PaintOptions)}
_STYLE = "Style works"
_OPT = "Optimisation"
_OUT = "Output"
_SPEED = "Speed"


class _SpeedColumn(ProgressColumn):
    """Iterations per second, blank until measured."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:.2f} it/s" if task.speed else "-- it/s")


def _layers(text: Optional[str], default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip()) if text else default


def parse_scales(text: Optional[str], default: tuple[float, ...]) -> tuple[float, ...]:
    """``0.5,1`` -> (0.5, 1.0), checked by :func:`artstyle.speed.check_scales`."""
    if not text:
        return default
    try:
        return check_scales([float(s) for s in text.split(",") if s.strip()])
    except ValueError:
        return check_scales([text])  # raises the UsageError with its hint


def _show_picks(picks: list[StylePick]) -> None:
    for pick in picks:
        who = pick.artist or "style image"
        stdout.print(f"style: {who}: {pick.title} [{pick.work_id}] weight {pick.weight:.3g}", highlight=False, markup=False)


class _Display:
    """One rich progress display, started lazily: fetching a missing artist, then painting."""

    def __init__(self, settings, stack: contextlib.ExitStack, iterations: int) -> None:
        self.settings, self.stack, self.iterations = settings, stack, iterations
        self.bar = None
        self.tasks: dict[str, int] = {}

    def _task(self, name: str, **fields) -> int:
        if self.bar is None:  # started only once the request is known to be valid: errors print alone
            self.bar = self.stack.enter_context(progress(self.settings, TextColumn("{task.fields[loss]}"), _SpeedColumn()))
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(name, **fields)
        return self.tasks[name]

    def fetch(self, stage: str, done: int, total: int | None) -> None:
        task = self._task("fetching", total=total, loss="")
        self.bar.update(task, description=f"fetching ({stage})", completed=done, total=total)

    def picks(self, picks: list[StylePick]) -> None:
        _show_picks(picks)
        if self.settings.weights == "random":
            note(self.settings, "[yellow]warning:[/] random VGG-19 weights (--weights random): the result shows noise, not style")
        self._task("painting", total=self.iterations, loss="loss --")

    def step(self, step) -> None:
        self.bar.update(self.tasks["painting"], completed=step.iteration, loss=f"loss {step.loss:.4g}")


def paint_command(
    ctx: typer.Context,
    photo: Annotated[Path, typer.Argument(help="The photo to paint.", show_default=False)],
    like: Annotated[Optional[list[str]], typer.Option("--like", help="Artist to paint like (repeatable).", rich_help_panel=_STYLE)] = None,
    works: Annotated[str, typer.Option(help="Random works drawn per artist (Mu & Francl: one), or 'all': the mean Gram of every matching work.", rich_help_panel=_STYLE)] = "1",
    style: Annotated[Optional[str], typer.Option("--style", help="Only works of this style.", rich_help_panel=_STYLE)] = None,
    genre: Annotated[Optional[str], typer.Option(help="Only works of this genre.", rich_help_panel=_STYLE)] = None,
    years: Annotated[Optional[str], typer.Option(help="Only works from these years, e.g. 1901-1904.", rich_help_panel=_STYLE)] = None,
    blend: Annotated[Optional[str], typer.Option(help='Weighted artists or work ids, e.g. "pablo-picasso=0.7,vincent-van-gogh=0.3".', rich_help_panel=_STYLE)] = None,
    style_image: Annotated[Optional[list[Path]], typer.Option("--style-image", help="An explicit style image (repeatable).", rich_help_panel=_STYLE)] = None,
    style_weights: Annotated[Optional[str], typer.Option(help="Weights for the --style-image files, e.g. 3,7.", rich_help_panel=_STYLE)] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never fetch a missing artist from WikiArt.", rich_help_panel=_STYLE)] = False,
    seed: Annotated[Optional[int], typer.Option(help="Seed for the works drawn and the noise: same seed, same pixels.", show_default="random")] = None,
    optimizer: Annotated[OptimizerChoice, typer.Option(help="Optimiser.", rich_help_panel=_OPT)] = _DEFAULTS["optimizer"],
    iterations: Annotated[int, typer.Option(help="Iterations (forward and backward passes).", rich_help_panel=_OPT)] = _DEFAULTS["iterations"],
    init: Annotated[Init, typer.Option(help="Start from the photo, noise, or a mix.", rich_help_panel=_OPT)] = _DEFAULTS["init"],
    size: Annotated[int, typer.Option(help="Longest side of the output in pixels.", rich_help_panel=_OPT)] = _DEFAULTS["size"],
    style_scale: Annotated[float, typer.Option(help="Style images are resized to size x this.", rich_help_panel=_OPT)] = _DEFAULTS["style_scale"],
    content_weight: Annotated[float, typer.Option(help="Weight of the content loss.", rich_help_panel=_OPT)] = _DEFAULTS["content_weight"],
    style_weight: Annotated[float, typer.Option(help="Weight of the style loss.", rich_help_panel=_OPT)] = _DEFAULTS["style_weight"],
    tv_weight: Annotated[float, typer.Option(help="Weight of the total-variation (smoothness) loss.", rich_help_panel=_OPT)] = _DEFAULTS["tv_weight"],
    content_layers: Annotated[Optional[str], typer.Option(help="Content layers, comma-separated.", show_default=",".join(_DEFAULTS["content_layers"]), rich_help_panel=_OPT)] = None,
    style_layers: Annotated[Optional[str], typer.Option(help="Style layers, comma-separated.", show_default=",".join(_DEFAULTS["style_layers"]), rich_help_panel=_OPT)] = None,
    pooling: Annotated[Pooling, typer.Option(help="VGG pooling (Gatys et al. prefer avg).", rich_help_panel=_OPT)] = _DEFAULTS["pooling"],
    color: Annotated[ColorMode, typer.Option(help="reinhard-inverse: photo's palette, cacheable; reinhard: photo's palette (seed paper); luminance: photo's exact colours; none: the work's.", rich_help_panel=_OPT)] = _DEFAULTS["color"],
    tolerance: Annotated[float, typer.Option(help="Stop early when the loss improves less than this (relative); 0 never stops.", rich_help_panel=_OPT)] = _DEFAULTS["tolerance"],
    precision: Annotated[Precision, typer.Option(help="bf16: network in bfloat16 where supported (Grams and losses stay fp32).", rich_help_panel=_SPEED)] = _DEFAULTS["precision"],
    channels_last: Annotated[bool, typer.Option("--channels-last/--no-channels-last", help="NHWC memory format for the network and image.", rich_help_panel=_SPEED)] = _DEFAULTS["channels_last"],
    compile: Annotated[bool, typer.Option("--compile/--no-compile", help="torch.compile the network (slow first step).", rich_help_panel=_SPEED)] = _DEFAULTS["compile"],
    scales: Annotated[Optional[str], typer.Option(help="Coarse-to-fine: increasing fractions of --size ending at 1, e.g. 0.5,1.", show_default=",".join(map(str, _DEFAULTS["scales"])), rich_help_panel=_SPEED)] = None,
    fine_share: Annotated[float, typer.Option(help="Share of the iterations at full size when there are several --scales.", rich_help_panel=_SPEED)] = _DEFAULTS["fine_share"],
    cudnn_benchmark: Annotated[bool, typer.Option("--cudnn-benchmark/--no-cudnn-benchmark", help="CUDA: autotuned cuDNN kernels (faster, not bitwise reproducible).", rich_help_panel=_SPEED)] = _DEFAULTS["cudnn_benchmark"],
    save_every: Annotated[int, typer.Option(help="Also write every N-th iterate beside the output (0: never).", rich_help_panel=_OUT)] = _DEFAULTS["save_every"],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output image (.png, .jpg or .webp).", show_default="PHOTO.ARTIST.png beside the photo", rich_help_panel=_OUT)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output.", rich_help_panel=_OUT)] = False,
) -> None:
    """Paint PHOTO in the style of an artist's works (Gatys et al. 2015), writing the image and its provenance."""
    settings = settings_of(ctx)
    options = PaintOptions(
        size=size, style_scale=style_scale, content_weight=content_weight, style_weight=style_weight,
        tv_weight=tv_weight, content_layers=_layers(content_layers, _DEFAULTS["content_layers"]),
        style_layers=_layers(style_layers, _DEFAULTS["style_layers"]), pooling=pooling, color=color,
        optimizer=optimizer, iterations=iterations, init=init, tolerance=tolerance, save_every=save_every,
        precision=precision, channels_last=channels_last, compile=compile, scales=parse_scales(scales, _DEFAULTS["scales"]),
        fine_share=fine_share, cudnn_benchmark=cudnn_benchmark,
    )
    with contextlib.ExitStack() as stack:
        display = _Display(settings, stack, iterations)
        result = paint(
            photo, like=like or (), blend=blend, style_images=style_image or (), style_weights=style_weights,
            works=parse_works(works), style=style, genre=genre, years=years, offline=offline, options=options,
            settings=settings, seed=seed, output=output or True, force=force, callback=display.step,
            on_picks=display.picks, fetch=default_fetch(settings, progress=display.fetch),
        )
    record = result.provenance
    stdout.print(f"wrote {result.output} (seed {record['seed']}; provenance in {record['sidecar']})", highlight=False, markup=False)
