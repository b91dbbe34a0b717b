"""What every command shares: settings from the context, consoles, progress bars, JSON output.

Stdout carries results; stderr carries progress, warnings and errors, so
``artstyle corpus works picasso --json | jq`` stays clean.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from artstyle.settings import Settings

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The Settings built by the top-level callback (defaults when a command runs alone)."""
    root = ctx.find_root()
    if isinstance(root.obj, Settings):
        return root.obj
    return Settings.from_env()


@contextmanager
def progress(settings: Settings, *extra_columns) -> Iterator[Progress]:
    """A rich progress display on stderr, silent under --quiet."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *extra_columns,
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=stderr, disable=settings.quiet, transient=False) as bar:
        yield bar


def print_json(obj) -> None:
    """Machine-readable output for ``--json`` (plain, no colour codes)."""
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def note(settings: Settings, message: str, markup: bool = True) -> None:
    """Chatter on stderr that --quiet silences."""
    if not settings.quiet:
        stderr.print(message, highlight=False, markup=markup)


WARNING_PREFIX = "[yellow]warning:[/] "


def warn(settings: Settings, message: str) -> None:
    """A warning, in the one style every warning has (library log warnings included: see cli.main)."""
    if not settings.quiet:
        stderr.print(WARNING_PREFIX + escape(message), highlight=False)
