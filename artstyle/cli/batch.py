"""``artstyle batch INPUTS... --like ARTIST --per-photo N --out DIR``: a thin shell over :func:`artstyle.batch.run.run_batch`.

Two progress bars on stderr: one over the batch's jobs and one for the running
job's iterations. Stdout gets the summary: counts, failures with their reasons,
and where the gallery is. It takes every painting flag of ``artstyle paint``
(:mod:`artstyle.cli.paint_flags`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import TextColumn

from artstyle.batch.run import run_batch
from artstyle.corpus.sampler import plural
from artstyle.paint import PaintOptions
from artstyle.core.features import RANDOM_WEIGHTS_NOTE
from artstyle.cli.common import print_json, progress, settings_of, stdout, warn
from artstyle.cli.paint_flags import with_paint_flags
from artstyle.cli.executor_flags import with_executor_flags

_STYLE = "Style requests (each crossed with every photo)"


@with_paint_flags()
@with_executor_flags
def batch_command(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="Photos: folders (searched recursively), globs, list files (one path per line) or images.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for the paintings, contact sheet and index.html.", file_okay=False)],
    like: Annotated[Optional[list[str]], typer.Option("--like", help="Paint like this artist (repeatable; a new random work per painting).", rich_help_panel=_STYLE)] = None,
    blend: Annotated[Optional[list[str]], typer.Option("--blend", help='A weighted blend, e.g. "pablo-picasso=0.7,vincent-van-gogh=0.3" (repeatable).', rich_help_panel=_STYLE)] = None,
    work: Annotated[Optional[list[str]], typer.Option("--work", help="A catalogued work id (repeatable).", rich_help_panel=_STYLE)] = None,
    style_image: Annotated[Optional[list[Path]], typer.Option("--style-image", help="An explicit style image (repeatable).", rich_help_panel=_STYLE)] = None,
    per_photo: Annotated[int, typer.Option("--per-photo", help="Paintings per photo and request, each with its own seed.")] = 1,
    seed: Annotated[int, typer.Option(help="Base seed; each job's seed derives from it, the photo, the request and the repeat.")] = 0,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Photos of the same painted size optimised together as one batch (default: on a CPU one 512x384 image's worth of pixels, 4 at 256 px; on a GPU as many as fit, up to 16).", show_default="auto")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never fetch a missing artist from WikiArt.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    options: PaintOptions = PaintOptions(),
    executor=None,
) -> None:
    """Paint every photo after every style request, resumably, ending with a contact sheet and an HTML gallery."""
    settings = settings_of(ctx)
    if settings.weights == "random":
        warn(settings, RANDOM_WEIGHTS_NOTE)
    with progress(settings, TextColumn("{task.fields[what]}")) as bar:
        jobs = bar.add_task("batch", total=None, what="")
        steps = bar.add_task("painting", total=options.iterations, what="", visible=False)

        def on_plan(total: int, done: int) -> None:
            bar.update(jobs, total=total, completed=done, what=f"({done} already done)" if done else "")

        def on_job_start(job: dict) -> None:
            name = f"{Path(job['input_path']).name} · {job['request']['value']} #{job['repeat']}"
            if job.get("together", 1) > 1:
                name = f"{job['together']} photos together, last: {name}"
            bar.reset(steps, total=options.iterations, visible=True, what=name)

        def on_job_end(job: dict) -> None:
            bar.advance(jobs)

        report = run_batch(
            inputs, out_dir=out, like=like or (), blend=blend or (), work=work or (), style_images=style_image or (),
            per_photo=per_photo, seed=seed, settings=settings, batch_size=batch_size, offline=offline,
            options=options, executor=executor,
            on_plan=on_plan, on_job_start=on_job_start,
            callback=lambda step: bar.update(steps, completed=step.iteration), on_job_end=on_job_end,
        )
        bar.update(steps, visible=False)
    if as_json:
        print_json(_as_dict(report))
        if report.failed:
            raise typer.Exit(code=1)
        return
    _summary(report)


def _as_dict(report) -> dict:
    failed = [{"photo": str(job["input_path"]), "request": job["request"], "repeat": job["repeat"], "seed": job["seed"],
               "reason": job.get("reason")} for job in report.failed]
    return {"batch_id": report.batch_id, "out_dir": str(report.out_dir), "total": report.total, "done": report.done,
            "resumed": report.resumed, "failed": failed, "gallery": str(report.gallery), "contact_sheet": str(report.contact_sheet)}


def _summary(report) -> None:
    resumed = f" ({report.resumed} from an earlier run)" if report.resumed else ""
    stdout.print(f"batch {report.batch_id}: {report.done} of {plural(report.total, 'painting')} done{resumed}", highlight=False, markup=False)
    for job in report.failed:
        stdout.print(f"failed: {Path(job['input_path']).name} · {job['request']['kind']} {job['request']['value']} "
                     f"#{job['repeat']}: {job['reason']}", highlight=False, markup=False)
    if report.nodes:
        painted = ", ".join(f"{node} ({count})" for node, count in sorted(report.nodes.items()))
        stdout.print(f"painted on: {painted}", highlight=False, markup=False)
    stdout.print(f"gallery: {report.gallery}", highlight=False, markup=False)
    if report.failed:
        raise typer.Exit(code=1)
