"""``artstyle cache``: build, list, verify and clear precomputed style targets.

Each command opens the catalog, calls one function of :mod:`artstyle.cache`
and renders its result; results go to stdout, progress and notes to stderr.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..cache import clear_cache, list_entries, verify_cache
from ..catalog import open_catalog
from .common import note, print_json, progress, settings_of

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
    rows = list_entries(open_catalog(settings.catalog_path, create=False))
    if as_json:
        print_json(rows)
        return
    for row in rows:
        who = row["work_id"] or row["artist"] or "-"
        typer.echo(f"{row['key'][:12]}  {row['kind']:<9}  {who}  {_megabytes(row['bytes'] or 0)}  {row['last_used']}")
    note(settings, f"{len(rows)} entries, {_megabytes(sum(r['bytes'] or 0 for r in rows))}")


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    fix: Annotated[bool, typer.Option("--fix", help="Remove bad entries and stray files; they are rebuilt when next needed.")] = False,
) -> None:
    """Check every entry's file (key, payload checksum, size) and look for stray files."""
    settings = settings_of(ctx)
    db = open_catalog(settings.catalog_path, create=False)
    with progress(settings) as bar:
        task = bar.add_task("verify", total=db["cache_entries"].count)
        report = verify_cache(settings.home, db, fix=fix, on_entry=lambda _row: bar.advance(task))
    for bad in report.bad:
        typer.echo(f"bad     {bad['path']}: {bad['problem']}")
    for orphan in report.orphans:
        typer.echo(f"stray   {orphan}")
    typer.echo(f"{report.checked} entries checked: {report.ok} ok, {len(report.bad)} bad, {len(report.orphans)} stray files")
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
