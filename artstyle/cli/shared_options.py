"""Global options after the command, and help without Python types.

People type ``artstyle paint t.jpg --like picasso --weights random``: the
global options (``--home``, ``--device``, ``--weights``, ``--wikiart-url``) are
declared once, on the root callback in :mod:`artstyle.cli.main`, with their
environment variables; :func:`share_global_options` gives every command a copy
without default or environment variable, so a value typed after the command
wins over one before it and over the environment.

:func:`plain_help_types` makes ``--help`` show ``TEXT``, ``INTEGER`` or a
choice list rather than typer's ``<list[str]>``, and nothing for flags.
"""

from __future__ import annotations

import copy
import dataclasses
import re

from artstyle.settings import Settings

try:  # typer >= 0.22 vendors click
    from typer._click.core import ParameterSource
except ImportError:  # pragma: no cover
    from click.core import ParameterSource

GLOBAL_OPTIONS = ("home", "device", "weights", "wikiart_url")
GLOBAL_PANEL = "Global options (also before the command)"
_TYPE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "dir": "DIR", "file": "FILE"}


def _after_command(ctx, param, value):
    """A global option typed after the command: it replaces the root's setting."""
    if value is None or ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
        return value
    root = ctx.find_root()
    base = root.obj if isinstance(root.obj, Settings) else Settings.from_env()
    root.obj = Settings.build(**{**dataclasses.asdict(base), param.name: value})
    return value


def _command_copy(param):
    """The root's option as a command's: no default or environment variable, so only what was typed counts."""
    option = copy.copy(param)
    option.default, option.envvar, option.show_default, option.show_envvar = None, None, False, False
    option.expose_value, option.is_eager, option.callback = False, False, _after_command
    option.rich_help_panel = GLOBAL_PANEL
    return option


def _commands(group):
    for command in group.commands.values():
        yield command
        if hasattr(command, "commands"):
            yield from _commands(command)


def share_global_options(root) -> None:
    """Give every leaf command of ``root`` (a click group) the root's global options."""
    shared = [p for p in root.params if p.name in GLOBAL_OPTIONS]
    for command in _commands(root):
        if hasattr(command, "commands"):
            continue
        own = {p.name for p in command.params}
        command.params += [_command_copy(p) for p in shared if p.name not in own]


def _plain(param):
    original = param.display_type

    def display_type_rich(ctx):
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            return None  # a flag takes no value: show none
        if getattr(param, "metavar", None):
            return param.metavar
        label = original(ctx).strip("<>")
        label = re.sub(r"^list\[(.*)\]$", r"\1", label)
        return _TYPE_NAMES.get(label.lower(), label if "|" in label else label.upper())

    return display_type_rich


def plain_help_types(root) -> None:
    """Every option's help type in plain words (``TEXT``, ``INTEGER``, ``a|b``); none for flags."""
    for command in [root, *_commands(root)]:
        _plain_help_option(command)
        for param in command.params:
            if hasattr(param, "display_type") and "display_type_rich" not in vars(param):
                param.display_type_rich = _plain(param)


def _plain_help_option(command) -> None:
    """click makes ``--help`` on demand: tidy it as it is made."""
    make = command.get_help_option

    def get_help_option(ctx):
        option = make(ctx)
        if option is not None:
            option.display_type_rich = lambda ctx: None
        return option

    command.get_help_option = get_help_option
