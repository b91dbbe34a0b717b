"""``artstyle corpus``: add artists from WikiArt, import folders, list, inspect and verify the catalog.

Each command parses its options, calls one function of :mod:`artstyle.corpus`
and renders the result; progress bars go to stderr, results to stdout.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer

import artstyle.corpus as corpus
from artstyle.errors import UsageError
from artstyle.corpus.wikiart import ClientConfig
from artstyle.corpus.sampler import plural
from artstyle.cli.common import note, print_json, progress, settings_of

app = typer.Typer(help="Build and inspect the corpus: WikiArt artists and local images.", no_args_is_help=True)

_DEFAULTS = ClientConfig()


def _rate(text: str, option: str) -> tuple[int, float]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise UsageError(f"malformed {option} {text!r}", hint=f"use COUNT/SECONDS, e.g. {option} 10/2.5")
    return int(match.group(1)), float(match.group(2))


def _fmt_rate(rate: tuple[int, float]) -> str:
    return f"{rate[0]}/{rate[1]:g}"


def _bar_callback(bar):
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return update


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@app.command("add")
def add(
    ctx: typer.Context,
    artists: Annotated[list[str], typer.Argument(help="Artists: URL names (pablo-picasso), full names (\"Pablo Picasso\") or a unique part (picasso), looked up in WikiArt's artist list.")],
    limit: Annotated[Optional[int], typer.Option(min=1, help="Only the first N works of each artist.")] = None,
    metadata_only: Annotated[bool, typer.Option("--metadata-only", help="List works without downloading images.")] = False,
    details: Annotated[bool, typer.Option("--details", help="Fetch style, genre, media and period per work (one request each).")] = False,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Concurrent image downloads.")] = 4,
    page_rate: Annotated[str, typer.Option(help="Most page/JSON requests per seconds (WikiArt publishes 10/2.5).")] = _fmt_rate(_DEFAULTS.page_rate),
    image_rate: Annotated[str, typer.Option(help="Most image downloads per seconds (WikiArt publishes 20/1).")] = _fmt_rate(_DEFAULTS.image_rate),
    retries: Annotated[int, typer.Option(min=0, help="Retries per request on 429, 5xx and connection errors.")] = _DEFAULTS.retries,
    backoff: Annotated[float, typer.Option(min=0, help="First retry delay in seconds; doubles each retry, with jitter.")] = _DEFAULTS.backoff,
    max_mb: Annotated[float, typer.Option(min=0.001, help="Largest image to download, in MB; larger ones fail (their Content-Length is checked first).")] = _DEFAULTS.max_bytes / 2**20,
    deadline: Annotated[float, typer.Option(min=0.1, help="Seconds one download may take in all; slower ones fail.")] = _DEFAULTS.deadline,
) -> None:
    """List every work of each artist on WikiArt into the catalog and download the images (rerun to resume)."""
    settings = settings_of(ctx)
    config = ClientConfig(page_rate=_rate(page_rate, "--page-rate"), image_rate=_rate(image_rate, "--image-rate"),
                          retries=retries, backoff=backoff, max_bytes=int(max_mb * 2**20), deadline=deadline)
    for name in artists:
        with progress(settings) as bar:
            report = corpus.add_artist(settings, name, limit=limit, metadata_only=metadata_only, details=details,
                                       workers=workers, config=config, progress=_bar_callback(bar))
        for problem in report.rejected:  # failures are results: shown even under --quiet
            typer.echo(f"skipped {problem}", err=True)
        for problem in report.problems:
            typer.echo(f"failed {problem}", err=True)
        rejected = f", {len(report.rejected)} refused" if report.rejected else ""
        typer.echo(
            f"{report.slug}: {report.listed} works listed ({report.new} new, via {report.route}{rejected}); "
            f"{report.downloaded} downloaded, {report.already} already here, {report.skipped} skipped, "
            f"{report.failed} failed, {plural(report.duplicates, 'duplicate')}"
        )


@app.command("import")
def import_(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder of images (searched recursively).", file_okay=False)],
    artist: Annotated[str, typer.Option("--artist", help="The artist's name, e.g. \"Jane Doe\".")],
    slug: Annotated[Optional[str], typer.Option(help="URL-style name; default: from --artist.")] = None,
    style: Annotated[Optional[str], typer.Option("--style", help="Style of every work, e.g. Cubism (so `paint --style` finds them).")] = None,
    genre: Annotated[Optional[str], typer.Option("--genre", help="Genre of every work, e.g. portrait.")] = None,
    year: Annotated[Optional[str], typer.Option("--year", help="Year of every work, e.g. 1910 (else from file names like title-1910.jpg).")] = None,
) -> None:
    """Import a folder of local images as works of an artist (each file verified and hashed).

    A JSON sidecar beside an image (photo.jpg.json or photo.json) can give its
    own title, year, style and genre.
    """
    from artstyle.corpus.local import Facts

    settings = settings_of(ctx)
    with progress(settings) as bar:
        report = corpus.import_folder(settings, folder, artist, slug=slug, progress=_bar_callback(bar),
                                      facts=Facts(style, genre, year))
    for skipped in report.skipped:
        note(settings, f"[yellow]skipped[/] {skipped}")
    typer.echo(f"{report.slug}: {report.imported} imported, {report.already} already here, "
               f"{len(report.skipped)} skipped, {plural(report.duplicates, 'duplicate')}")


_COUNTS = ("works", "listed", "downloaded", "skipped", "failed", "duplicates")


def _artist_table(rows: list[dict]) -> list[str]:
    """The rows of ``corpus list --json`` as a table: same counts, headed by the same names.

    One space between columns keeps it within 80 columns for slugs up to 20
    characters; the artist's full name and source stay in ``--json``.
    """
    width = max(len("artist"), *(len(r["slug"]) for r in rows))
    lines = [" ".join(["artist".ljust(width), *_COUNTS, "disk".rjust(9)])]
    for r in rows:
        cells = [r["slug"].ljust(width), *(str(r[k]).rjust(len(k)) for k in _COUNTS), _size(r["bytes"]).rjust(9)]
        lines.append(" ".join(cells))
    return lines


def _totals(rows: list[dict]) -> str:
    total = {k: sum(r[k] for r in rows) for k in ("works", "downloaded", "duplicates", "bytes")}
    return (f"{plural(len(rows), 'artist')}, {plural(total['works'], 'work')} ({total['downloaded']} downloaded), "
            f"{plural(total['duplicates'], 'duplicate')}, {_size(total['bytes'])} on disk")


@app.command("list")
def list_(ctx: typer.Context, json_: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """Artists in the catalog: works by status (listed = not yet downloaded), duplicates and disk use."""
    settings = settings_of(ctx)
    rows = corpus.artist_summaries(settings)
    if json_:
        return print_json(rows)
    if not rows:
        return note(settings, "no artists yet: add some with `artstyle corpus add ARTIST`")
    for line in _artist_table(rows):
        typer.echo(line)
    note(settings, _totals(rows))


@app.command("works")
def works(
    ctx: typer.Context,
    artist: Annotated[str, typer.Argument(help="Artist slug or name (lenient: picasso, Pablo Picasso).")],
    style: Annotated[Optional[str], typer.Option(help="Only works whose style contains this text.")] = None,
    genre: Annotated[Optional[str], typer.Option(help="Only works whose genre contains this text.")] = None,
    years: Annotated[Optional[str], typer.Option(help="Only works overlapping these years: A-B, A, A- or -B.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Works of one artist, with filters."""
    found, rows = corpus.find_works(settings_of(ctx), artist, style=style, genre=genre, years=years)
    if json_:
        return print_json(rows)
    for w in rows:
        dup = f" (duplicate of {w['duplicate_of']})" if w["duplicate_of"] else ""
        typer.echo(f"{w['id']}\t{w['year_raw'] or '-'}\t{w['status']}\t{w['title']}{dup}")
    note(settings_of(ctx), f"{len(rows)} works of {found['name']}")


@app.command("show")
def show(
    ctx: typer.Context,
    work_id: Annotated[str, typer.Argument(help="A work id from `artstyle corpus works`.")],
    json_: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Everything the catalog knows about one work, with the works flagged as its duplicates."""
    work = corpus.show_work(settings_of(ctx), work_id)
    if json_:
        return print_json(work)
    kept_title = work.pop("duplicate_of_title")
    for key, value in work.items():
        if key == "duplicate_of" and value:
            typer.echo(f"duplicate_of: {value} ({kept_title})")
        elif key == "duplicates":
            for copy in value:
                typer.echo(f"duplicate: {copy['id']} ({copy['title']})")
        elif isinstance(value, dict):
            for name, item in value.items():
                typer.echo(f"{key}.{name}: {item}")
        elif value not in (None, [], ""):
            typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


@app.command("verify")
def verify(
    ctx: typer.Context,
    fix: Annotated[bool, typer.Option("--fix", help="Re-download missing or corrupt WikiArt images; mark local ones.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Re-hash every downloaded image and report missing or corrupt files (exit 1 if any remain)."""
    settings = settings_of(ctx)
    with progress(settings) as bar:
        report = corpus.verify(settings, fix=fix, progress=_bar_callback(bar))
    if json_:
        print_json(report.as_dict())
    else:
        typer.echo(f"{report.checked} checked, {report.ok} ok, {len(report.missing)} missing, "
                   f"{len(report.corrupt)} corrupt" + (f", {len(report.repaired)} repaired" if fix else ""))
        for work_id in report.missing + report.corrupt:
            note(settings, f"[yellow]bad[/] {work_id}")
    if not report.clean:
        raise typer.Exit(code=1)
