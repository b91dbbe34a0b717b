"""``artstyle cache``: build, list, verify and clear precomputed style targets.

Each command opens the catalog, calls one function of :mod:`artstyle.style.maintenance` or :mod:`artstyle.style.build`
and renders its result; results go to stdout, progress and notes to stderr.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated, Optional

import typer

from artstyle.style.build import build
from artstyle.style.maintenance import clear_cache, list_entries, verify_cache
from artstyle.corpus.catalog import open_catalog
from artstyle.core.features import Pooling
from artstyle.paint import PaintOptions
from artstyle.cli.common import note, print_json, progress, settings_of
from artstyle.cli.executor_flags import with_executor_flags
from artstyle.batch.executors import running

app = typer.Typer(help="Precomputed style targets (Gram matrices): build, list, verify, clear.", no_args_is_help=True)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


@app.command("list")
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """List cached entries, most recently used first."""
    settings = settings_of(ctx)
    db = open_catalog(settings.catalog_path, create=False)
    rows = list_entries(db, home=settings.home)
    for row in rows:
        row["title"] = _title(db, row)
    if as_json:
        print_json(rows)
        return
    if rows:
        typer.echo(_LINE.format("key", "kind", "artist", "work", "px", "layers", "bytes"))
    for row in rows:
        config = row.get("config") or {}
        typer.echo(_LINE.format(row["key"][:8], row["kind"][:9], _cut(row["artist"] or "-", 16), _cut(row["title"] or "-", 22),
                                _pixels(config), str(len(config.get("layers") or [])), _bytes(row["bytes"] or 0)))
    total = _megabytes(sum(r["bytes"] or 0 for r in rows))
    note(settings, f"{plural(len(rows), 'entry', 'entries')}, {total}", markup=False)


_LINE = "{:<8} {:<9} {:<16} {:<22} {:>5} {:>6} {:>8}"  # 80 columns: most recently used first


def _pixels(config: dict) -> str:
    """The longest side the work was resized to (style size x style scale)."""
    size, scale = config.get("style_size"), config.get("style_scale", 1.0)
    return str(max(1, round(size * scale))) if isinstance(size, (int, float)) else "-"


def _bytes(n: int) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _title(db, row: dict) -> str | None:
    """A work entry's title; an aggregate's 'mean of N works'."""
    if row["work_id"]:
        found = db.execute("SELECT title FROM works WHERE id = ?", [row["work_id"]]).fetchone()
        return found[0] if found else row["work_id"]
    members = (row.get("config") or {}).get("members")
    return f"mean of {plural(len(members), 'work')}" if isinstance(members, list) else row["kind"]


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{count} {noun}" if count == 1 else f"{count} {many or noun + 's'}"


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    fix: Annotated[bool, typer.Option("--fix", help="Remove bad entries and stray files; they are rebuilt when next needed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check every entry's file (key, payload checksum, size) and look for stray files."""
    settings = settings_of(ctx)
    db = open_catalog(settings.catalog_path, create=False)
    with progress(settings) as bar:
        task = bar.add_task("verify", total=db["cache_entries"].count)
        report = verify_cache(settings.home, db, fix=fix, on_entry=lambda _row: bar.advance(task))
    if as_json:
        print_json({"checked": report.checked, "ok": report.ok, "bad": report.bad, "stray": report.orphans, "removed": report.removed})
        if not report.clean and not fix:
            raise typer.Exit(code=1)
        return
    for bad in report.bad:
        typer.echo(f"bad     {bad['path']}: {bad['problem']}")
    for orphan in report.orphans:
        typer.echo(f"stray   {orphan}")
    typer.echo(f"{plural(report.checked, 'entry', 'entries')} checked: {report.ok} ok, {len(report.bad)} bad, "
               f"{plural(len(report.orphans), 'stray file')}")
    if fix and report.removed:
        typer.echo(f"removed {report.removed} files; they are rebuilt when next needed")
    elif not report.clean:
        note(settings, "hint: run `artstyle cache verify --fix` to remove them")
        raise typer.Exit(code=1)


@app.command("clear")
def clear_command(
    ctx: typer.Context,
    artist: Annotated[Optional[str], typer.Argument(help="Only this artist's entries (slug, name or unique part).")] = None,
) -> None:
    """Remove cached entries: all of them, or one artist's works and aggregates."""
    settings = settings_of(ctx)
    count, freed = clear_cache(settings.home, open_catalog(settings.catalog_path, create=False), artist)
    typer.echo(f"removed {count} entries ({_megabytes(freed)})")


@app.command("build")
@with_executor_flags
def build_command(
    ctx: typer.Context,
    artists: Annotated[list[str], typer.Argument(help="Artists whose downloaded works to process (slug, name or unique part).")],
    size: Annotated[int, typer.Option(min=1, help="Style size: longest side in pixels, as `paint --size`.")] = PaintOptions.size,
    style_scale: Annotated[float, typer.Option(min=0.01, help="Style images are resized to size × scale, as `paint --style-scale`.")] = PaintOptions.style_scale,
    pooling: Annotated[Pooling, typer.Option(help="VGG-19 pooling, as `paint --pooling`.")] = PaintOptions.pooling,
    style_layers: Annotated[
        Optional[str], typer.Option(help="Style layers, comma-separated, as `paint --style-layers`.", show_default=", ".join(PaintOptions.style_layers))
    ] = None,
    fp16: Annotated[bool, typer.Option("--fp16", help="Store half-precision entries (half the bytes; ~1e-3 relative error).")] = False,
    triangle: Annotated[bool, typer.Option("--triangle", help="Store only the upper triangle of each Gram (half the bytes, exact).")] = False,
    aggregate: Annotated[bool, typer.Option("--aggregate", help="Also store each artist's mean over all its works.")] = False,
    batch_size: Annotated[
        Optional[int], typer.Option(min=1, help="Works of equal size run through the network together [default: 1 on the CPU, 8 on a GPU].")
    ] = None,
    executor=None,
) -> None:
    """Compute and store the style targets of every downloaded work of ARTIST..."""
    settings = settings_of(ctx)
    layers = tuple(name.strip() for name in style_layers.split(",") if name.strip()) if style_layers else PaintOptions.style_layers
    with ExitStack() as stack:
        executor = stack.enter_context(running(executor, settings))  # a cluster that cannot be reached fails first
        bars = []  # the bar opens once the artists are resolved, so an unknown artist is the first line

        def start(total: int) -> None:
            bar = stack.enter_context(progress(settings))
            bars.append((bar, bar.add_task("cache build", total=total)))

        report = build(
            settings, artists, size=size, style_scale=style_scale, layers=layers, pooling=pooling, fp16=fp16,
            triangle=triangle, aggregate=aggregate, batch_size=batch_size, compute=executor.style_targets,
            on_start=start, on_work=lambda _source, _status: bars[0][0].advance(bars[0][1]),
        )
    typer.echo(f"{report.works} works of {', '.join(report.artists)}: {report.built} built, {report.skipped} already cached, {len(report.failed)} failed")
    for work_id, reason in report.failed:
        typer.echo(f"failed  {work_id}: {reason}")
    if report.aggregates:
        typer.echo(f"aggregates: {', '.join(report.aggregates)}")
    if report.failed:
        raise typer.Exit(code=1)
