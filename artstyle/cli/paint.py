"""``artstyle paint PHOTO --like ARTIST``: a thin shell over :func:`artstyle.paint.pipeline.paint`.

The painting flags come from :mod:`artstyle.cli.paint_flags` (shared with
``batch`` and ``experiment``), their defaults from :class:`~artstyle.paint.pipeline.PaintOptions`.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import ProgressColumn, TextColumn
from rich.text import Text

from artstyle.paint import PaintOptions, default_fetch, paint
from artstyle.corpus.sampler import StylePick, parse_works
from artstyle.core.features import RANDOM_WEIGHTS_NOTE
from artstyle.cli.common import note, print_json, progress, settings_of, stdout, warn
from artstyle.cli.paint_flags import OUTPUT, STYLE, Blend, Offline, StyleImages, StyleWeights, Work, with_paint_flags



class _SpeedColumn(ProgressColumn):
    """Iterations per second, blank until measured."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:.2f} it/s" if task.speed else "-- it/s")


def _show_picks(settings, picks: list[StylePick], seed: int, to_stdout: bool) -> None:
    """The works drawn and the seed, on stdout (on stderr when stdout carries --json)."""
    for pick in picks:
        who = pick.artist or "style image"
        line = f"style: {who}: {pick.title} [{pick.work_id}] weight {pick.weight:.3g} (seed {seed})"
        if to_stdout:
            stdout.print(line, highlight=False, markup=False)
        else:
            note(settings, line, markup=False)


class _Display:
    """One rich progress display, started lazily: fetching a missing artist, then painting."""

    def __init__(self, settings, stack: contextlib.ExitStack, iterations: int, seed: int, as_json: bool) -> None:
        self.settings, self.stack, self.iterations, self.seed, self.as_json = settings, stack, iterations, seed, as_json
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
        _show_picks(self.settings, picks, self.seed, not self.as_json)
        if self.settings.weights == "random":
            warn(self.settings, RANDOM_WEIGHTS_NOTE)
        self._task("painting", total=self.iterations, loss="loss --")

    def step(self, step) -> None:
        self.bar.update(self.tasks["painting"], completed=step.iteration, loss=f"loss {step.loss:.4g}")

    def finish(self, record: dict, tolerance: float) -> None:
        """Complete the bar and, when the run stopped early, say why and where."""
        if self.bar is None or "painting" not in self.tasks:
            return
        self.bar.update(self.tasks["painting"], completed=self.iterations)
        if record.get("stopped_early"):
            done = record["loss"].get("iterations", 0)
            note(self.settings, f"stopped early at iteration {done} of {self.iterations}: the loss improved less than "
                                f"{tolerance:.2%} over the last 20 iterations (--tolerance; 0 runs them all)", markup=False)


def _interrupted_hint(ctx: typer.Context, seed: int) -> None:
    """What Ctrl-C says for a paint: nothing resumes, the seed repeats the painting."""
    ctx.meta["artstyle.interrupted"] = (
        "interrupted: nothing was written; a paint does not resume, it starts over",
        f"rerun with --seed {seed} to paint the same work with the same pixels",
    )


@with_paint_flags()
def paint_command(
    ctx: typer.Context,
    photo: Annotated[Path, typer.Argument(help="The photo to paint.", show_default=False)],
    like: Annotated[Optional[list[str]], typer.Option("--like", help="Artist to paint like (repeatable).", rich_help_panel=STYLE)] = None,
    works: Annotated[str, typer.Option(help="Random works drawn per artist (Mu & Francl: one), or 'all': the mean Gram of every matching work.", rich_help_panel=STYLE)] = "1",
    style: Annotated[Optional[str], typer.Option("--style", help="Only works of this style.", rich_help_panel=STYLE)] = None,
    genre: Annotated[Optional[str], typer.Option(help="Only works of this genre.", rich_help_panel=STYLE)] = None,
    years: Annotated[Optional[str], typer.Option(help="Only works from these years, e.g. 1901-1904.", rich_help_panel=STYLE)] = None,
    blend: Blend = None,
    work: Work = None,
    style_image: StyleImages = None,
    style_weights: StyleWeights = None,
    offline: Offline = False,
    seed: Annotated[Optional[int], typer.Option(help="Seed for the works drawn and the noise: same seed, same pixels.", show_default="random")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output image (.png, .jpg or .webp).", show_default="PHOTO.ARTIST.png beside the photo", rich_help_panel=OUTPUT)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output.", rich_help_panel=OUTPUT)] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the provenance record as JSON.", rich_help_panel=OUTPUT)] = False,
    options: PaintOptions = PaintOptions(),
) -> None:
    """Paint PHOTO in the style of an artist's works (Gatys et al. 2015), writing the image and its provenance."""
    settings = settings_of(ctx)
    seed = secrets.randbelow(2**31) if seed is None else seed  # drawn here so that it can be printed, even on Ctrl-C
    _interrupted_hint(ctx, seed)
    with contextlib.ExitStack() as stack:
        display = _Display(settings, stack, options.iterations, seed, as_json)
        result = paint(
            photo, like=like or (), blend=blend, work=work, style_images=style_image or (), style_weights=style_weights,
            works=parse_works(works), style=style, genre=genre, years=years, offline=offline, options=options,
            settings=settings, seed=seed, output=output or True, force=force, callback=display.step,
            on_picks=display.picks, fetch=default_fetch(settings, progress=display.fetch),
        )
        display.finish(result.provenance, options.tolerance)
    record = result.provenance
    if as_json:
        print_json(record)
        return
    stdout.print(f"wrote {result.output} (seed {record['seed']}; provenance in {record['sidecar']})", highlight=False, markup=False)
