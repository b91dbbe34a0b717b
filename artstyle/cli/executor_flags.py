"""``--executor local|ray`` and ``--ray-address``, declared once for ``batch``, ``cache build`` and every ``experiment``.

:func:`with_executor_flags` appends the two options to a command's signature
and hands the command one ready, not yet started ``executor``
(:func:`artstyle.batch.executors.make_executor`): asking for ``ray`` without
Ray installed is a usage error (exit 2) with the install command as its hint.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Callable, Optional

import typer

from artstyle.batch.executors import ExecutorChoice, make_executor

PANEL = "Executor"

FLAGS = {
    "executor_choice": (Annotated[ExecutorChoice, typer.Option(
        "--executor", help="Where to paint: this process, or actors on a Ray cluster (pip install 'artstyle[ray]').",
        rich_help_panel=PANEL)], ExecutorChoice.local),
    "ray_address": (Annotated[Optional[str], typer.Option(
        "--ray-address", help="With --executor ray: auto (this machine's cluster), HOST:PORT or ray://HOST:PORT.",
        show_default="a local Ray started for this command", rich_help_panel=PANEL)], None),
}


def with_executor_flags(command: Callable) -> Callable:
    """Give a typer command ``--executor`` and ``--ray-address``; it receives them as ``executor``."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "executor"]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
             for name, (annotation, default) in FLAGS.items()]

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        executor = make_executor(kwargs.pop("executor_choice"), kwargs.pop("ray_address"))
        return command(*args, **kwargs, executor=executor)

    wrapper.__signature__ = inspect.Signature(own + added)
    wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
    del wrapper.__wrapped__  # typer must read the new signature, not the command's
    return wrapper
