"""``artstyle experiment sweep|blend|ratio|layers|iterations PHOTO ...``: sweeps rendered as one labelled grid.

``sweep`` varies any painting flag (``--vary FLAG=V1,V2``; two ``--vary`` make a 2-D grid); the
others are named shortcuts on the same machinery.

Thin shells over :mod:`artstyle.batch.experiments`, each taking every painting flag
of ``artstyle paint`` (:mod:`artstyle.cli.paint_flags`); a bar over the sweep's points and
one for the running point's iterations. Each writes ``grid.png``,
``experiment.json`` and every point's painting with its sidecar into ``--out``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from artstyle.batch import experiments as ex
from artstyle.paint import PaintOptions
from artstyle.paint import StyleRequest
from artstyle.settings import Settings
from artstyle.cli.common import progress, settings_of, stdout
from artstyle.cli.paint_flags import with_paint_flags
from artstyle.cli.executor_flags import with_executor_flags
from artstyle.batch.executors import running

app = typer.Typer(help="Sweeps over any painting flag, blends, weight ratios, style layers and iterations, as labelled grids.", no_args_is_help=True)

Photo = Annotated[Path, typer.Argument(help="The photo to paint.", exists=True, dir_okay=False, show_default=False)]
Out = Annotated[Optional[Path], typer.Option("--out", help="Folder for the grid, the record and every painting.", show_default="PHOTO-STEM.KIND/ beside the photo", file_okay=False)]
Like = Annotated[Optional[str], typer.Option("--like", help="The artist (one work drawn with --seed, the same for every cell).")]
Blend = Annotated[Optional[str], typer.Option("--blend", help='A fixed blend, e.g. "pablo-picasso=0.5,vincent-van-gogh=0.5".')]
StyleImage = Annotated[Optional[Path], typer.Option("--style-image", help="An explicit style image.", exists=True, dir_okay=False)]
Seed = Annotated[int, typer.Option(help="One seed for every cell, so only the swept value changes.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite an earlier experiment in --out.")]


def _request(like: str | None, blend: str | None, style_image: Path | None) -> StyleRequest:
    return StyleRequest.from_keywords(like or (), blend, [style_image] if style_image else ())


def _out(out: Path | None, photo: Path, kind: str) -> Path:
    return out or photo.with_name(f"{photo.stem}.{kind}")


@contextlib.contextmanager
def _bars(settings: Settings, points: int, iterations: int) -> Iterator[tuple]:
    with progress(settings) as bar:
        sweep = bar.add_task("sweep", total=points)
        steps = bar.add_task("painting", total=iterations)

        def on_point(index: int, point) -> None:
            bar.update(sweep, completed=index, description=f"sweep: {point.label}")
            bar.reset(steps, total=iterations)

        yield on_point, (lambda step: bar.update(steps, completed=step.iteration)), (lambda: bar.update(sweep, completed=points))


def _show(report: ex.ExperimentReport) -> None:
    for point in report.points:
        loss = point.get("final_loss")
        stdout.print(f"{point['label']}: {point['output']}" + (f" (loss {loss:.4g})" if loss is not None else ""), highlight=False, markup=False)
    stdout.print(f"grid: {report.grid}\nrecord: {report.record}", highlight=False, markup=False)


def _sweep(ctx, kind, photo, axes, out, request, seed, options: PaintOptions, force: bool, extra=None, executor=None) -> None:
    settings = settings_of(ctx)
    cells = len([p for row in ex.grid_points(axes) for p in row])
    with running(executor, settings), _bars(settings, cells, options.iterations) as (on_point, on_step, done):
        report = ex.run_grid(kind, photo, axes, out_dir=_out(out, photo, kind), request=request, seed=seed, options=options,
                             settings=settings, on_point=on_point, callback=on_step, extra=extra, force=force, executor=executor)
        done()
    _show(report)


@app.command("sweep")
@with_paint_flags()
@with_executor_flags
def sweep_command(
    ctx: typer.Context, photo: Photo,
    vary: Annotated[list[str], typer.Option("--vary", help='FLAG=V1,V2,... for any painting flag (";" between list values); twice for a 2-D grid.')],
    like: Like = None, blend: Blend = None, style_image: StyleImage = None,
    out: Out = None, seed: Seed = 0, force: Force = False, options: PaintOptions = PaintOptions(), executor=None,
) -> None:
    """Any painting flag swept as a row; two --vary make a labelled grid (first down, second across)."""
    axes = [ex.vary_axis(text, options) for text in vary]
    ex.grid_points(axes)
    _sweep(ctx, "sweep", photo, axes, out, _request(like, blend, style_image), seed, options, force,
           extra={"vary": list(vary)}, executor=executor)


@app.command("blend")
@with_paint_flags()
@with_executor_flags
def blend_command(
    ctx: typer.Context, photo: Photo,
    targets: Annotated[str, typer.Option("--targets", help="Two or more artists or work ids, comma-separated, in sweep order.")],
    steps: Annotated[int, typer.Option(help="Cells from the first target to the last.")] = 5,
    out: Out = None, seed: Seed = 0, force: Force = False, options: PaintOptions = PaintOptions(), executor=None,
) -> None:
    """A blend sweep from one target to the next (each artist drawn once, so only the weights change)."""
    names = [t.strip() for t in targets.split(",") if t.strip()]
    ex.blend_weights(len(names), steps)  # check --targets and --steps before touching the catalog
    fixed = ex.resolve_targets(settings_of(ctx), names, seed)
    points = ex.blend_sweep([f["work"] for f in fixed], steps, names)
    _sweep(ctx, "blend", photo, [points], out, None, seed, options, force, extra={"targets": fixed}, executor=executor)


@app.command("ratio")
@with_paint_flags()
@with_executor_flags
def ratio_command(
    ctx: typer.Context, photo: Photo, like: Like = None, blend: Blend = None, style_image: StyleImage = None,
    ratios: Annotated[str, typer.Option(help="Style-to-content weight ratios, comma-separated.")] = ",".join(f"{r:g}" for r in ex.DEFAULT_RATIOS),
    out: Out = None, seed: Seed = 0, force: Force = False, options: PaintOptions = PaintOptions(), executor=None,
) -> None:
    """A sweep of the style-to-content weight ratio (Gatys et al. 2015 sweep 1e1 to 1e5 in effect)."""
    points = ex.ratio_sweep(ex.parse_numbers(ratios))
    _sweep(ctx, "ratio", photo, [points], out, _request(like, blend, style_image), seed, options, force, executor=executor)


@app.command("layers")
@with_paint_flags()
@with_executor_flags
def layers_command(
    ctx: typer.Context, photo: Photo, like: Like = None, blend: Blend = None, style_image: StyleImage = None,
    layers: Annotated[str, typer.Option(help="Style layers, one cell each, comma-separated.")] = ",".join(ex.DEFAULT_STYLE_LAYERS),
    out: Out = None, seed: Seed = 0, force: Force = False, options: PaintOptions = PaintOptions(), executor=None,
) -> None:
    """Style from one layer at a time, as in Gatys et al. (2015)."""
    points = ex.layer_ablation([s.strip() for s in layers.split(",") if s.strip()])
    _sweep(ctx, "layers", photo, [points], out, _request(like, blend, style_image), seed, options, force, executor=executor)


@app.command("iterations")
@with_paint_flags(exclude=("iterations", "tolerance"))
@with_executor_flags
def iterations_command(
    ctx: typer.Context, photo: Photo, like: Like = None, blend: Blend = None, style_image: StyleImage = None,
    at: Annotated[str, typer.Option("--at", help="Iterations to show, comma-separated; the run goes to the last.")] = ",".join(map(str, ex.DEFAULT_SNAPSHOTS)),
    out: Out = None, seed: Seed = 0, force: Force = False, options: PaintOptions = PaintOptions(), executor=None,
) -> None:
    """One painting seen at several iterations (Mu & Francl 2015, Fig. 6)."""
    settings = settings_of(ctx)
    snapshots = ex.check_snapshots(ex.parse_numbers(at, int, "--at"))
    with _bars(settings, 1, snapshots[-1]) as (on_point, on_step, done):
        report = ex.run_snapshots(photo, snapshots, out_dir=_out(out, photo, "iterations"), request=_request(like, blend, style_image),
                                  seed=seed, options=options, settings=settings, callback=on_step, force=force, executor=executor)
        done()
    _show(report)
