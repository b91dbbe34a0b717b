"""The ``artstyle`` command: global options, sub-apps, and the one error path.

Every user-facing failure is an :class:`~artstyle.errors.ArtstyleError` (or a
click usage error) and is rendered here as ``error: ...`` plus a hint, with
exit code 2 for bad usage or input, 1 for runtime failures and 130 on Ctrl-C.
A traceback is shown only with ``--verbose``.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from typer.core import TyperGroup

from artstyle import __version__
from artstyle.errors import ArtstyleError, StorageError, clip
from artstyle.settings import (
    DEFAULT_HOME,
    DEFAULT_WIKIART_URL,
    ENV_DEVICE,
    ENV_HOME,
    ENV_WEIGHTS,
    ENV_WIKIART_URL,
    DeviceChoice,
    Settings,
)
from artstyle.cli.common import stderr
from artstyle.cli.shared_options import plain_help_types, share_global_options

try:  # typer >= 0.22 vendors click; older releases use click itself
    from typer.exceptions import Abort, TyperException as CommandLineError
    from typer._click.exceptions import NoArgsIsHelpError
except ImportError:  # pragma: no cover
    from click.exceptions import Abort, ClickException as CommandLineError, NoArgsIsHelpError

EXIT_INTERRUPTED = 130


def _render_error(message: str, hint: str | None) -> None:
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)  # "artstyle[ray]" is text, not markup
    if hint:
        stderr.print(f"[dim]hint:[/] {escape(hint)}", highlight=False)


_SEEN: dict[str, Settings] = {}  # the settings of the running command, for errors raised outside it


def _as_artstyle_error(exc: Exception) -> ArtstyleError:
    """A damaged catalog found mid-command (``database disk image is malformed``) gets the one damaged-catalog message."""
    if isinstance(exc, ArtstyleError):
        return exc
    from artstyle.corpus.catalog import damaged

    settings = _SEEN.get("settings") or Settings.from_env()
    if isinstance(exc, sqlite3.OperationalError):  # locked, read-only, disk full: not damage
        return StorageError(f"cannot use the catalog at {settings.catalog_path}: {exc}",
                            hint="check that the data home is writable and not on a network drive; rerun")
    return damaged(settings.catalog_path, exc)


def _verbose_requested(args) -> bool:
    return "--verbose" in (args if args is not None else sys.argv[1:]) or "-v" in (args or sys.argv[1:])


class ArtstyleGroup(TyperGroup):
    """Runs the command and turns every failure into one line and an exit code."""


    def invoke(self, ctx):
        # typer turns Ctrl-C into a silent exit 130 before main() sees it; say what happened here
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            message, hint = ctx.meta.get("artstyle.interrupted", ("interrupted", "rerun the same command to resume where it stopped"))
            _render_error(message, hint)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        verbose = _verbose_requested(args)
        share_global_options(self)
        plain_help_types(self)
        try:
            code = super().main(args, prog_name or "artstyle", complete_var, standalone_mode=False, **extra)
        except (ArtstyleError, sqlite3.DatabaseError) as exc:
            if verbose:
                traceback.print_exc()
            exc = _as_artstyle_error(exc)
            _render_error(clip(exc.message, 600), exc.hint)
            code = exc.exit_code
        except NoArgsIsHelpError as exc:
            exc.show()  # the help text, as the user asked for nothing else
            code = 0
        except Abort:  # end of input at a prompt
            _render_error("aborted", None)
            code = 1
        except CommandLineError as exc:
            _render_error(exc.format_message(), "run `artstyle --help` (or `artstyle COMMAND --help`) for usage")
            code = exc.exit_code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=ArtstyleGroup,
    name="artstyle",
    help="Paint photos in the style of an artist's whole body of work.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"artstyle {__version__}")
        raise typer.Exit()


class _WarningHandler(logging.Handler):
    """Library log records in the CLI's own style: ``warning: ...`` (as cli.common.warn), not a rich log line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            label = {logging.DEBUG: "[dim]debug:[/]", logging.INFO: "[dim]note:[/]"}.get(record.levelno, "[yellow]warning:[/]")
            if record.levelno >= logging.ERROR:
                label = "[bold red]error:[/]"
            stderr.print(f"{label} {escape(self.format(record))}", highlight=False)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handler = _WarningHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path, typer.Option(envvar=ENV_HOME, help="Data home: catalog, images and caches.", file_okay=False)
    ] = DEFAULT_HOME,
    device: Annotated[
        DeviceChoice, typer.Option(envvar=ENV_DEVICE, help="Compute device; auto prefers cuda, then mps, then cpu.")
    ] = DeviceChoice.auto,
    weights: Annotated[
        str,
        typer.Option(envvar=ENV_WEIGHTS, help="VGG-19 weights: torchvision (ImageNet), random (seeded, for tests) or a state-dict file."),
    ] = "torchvision",
    wikiart_url: Annotated[str, typer.Option(envvar=ENV_WIKIART_URL, help="WikiArt base URL.")] = DEFAULT_WIKIART_URL,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging and tracebacks on errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or chatter; results and errors only.")] = False,
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = None,
) -> None:
    """Paint photos in the style of an artist's whole body of work (Gatys et al. 2015; Mu & Francl 2015)."""
    _configure_logging(verbose, quiet)
    ctx.obj = _SEEN["settings"] = Settings.build(
        home=home, device=device, weights=weights, wikiart_url=wikiart_url, verbose=verbose, quiet=quiet
    )


def _register_subapps() -> None:
    """Sub-apps join here, one file each (see artstyle/cli/)."""
    from artstyle.cli.batch import batch_command
    from artstyle.cli.cache import app as cache_app
    from artstyle.cli.corpus import app as corpus_app
    from artstyle.cli.experiment import app as experiment_app
    from artstyle.cli.paint import paint_command
    from artstyle.cli.video import video_command

    app.command("paint")(paint_command)
    app.add_typer(corpus_app, name="corpus")
    app.add_typer(cache_app, name="cache")
    app.command("batch")(batch_command)
    app.add_typer(experiment_app, name="experiment")
    app.command("video")(video_command)


_register_subapps()


def main(args: list[str] | None = None) -> None:
    """Console-script entry point."""
    app(args=args, prog_name="artstyle")
