"""The one exception family for user-facing failures.

The library raises these; the CLI catches them once and renders
``error: <message>`` plus a hint, with an exit code that says whose fault it
was: 2 for bad usage or input (the user can fix it), 1 for runtime failures
(network, disk, numerics). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ArtstyleError(Exception):
    """A failure the user should read about, with a hint on how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(ArtstyleError):
    """A malformed option or argument (exit code 2)."""

    exit_code = 2


class InputError(ArtstyleError):
    """A missing, unreadable or invalid input file (exit code 2)."""

    exit_code = 2


class NotFoundError(ArtstyleError):
    """An artist, work or entry that does not exist where it was looked for (exit code 2)."""

    exit_code = 2


class NetworkError(ArtstyleError):
    """A remote server could not be reached or kept failing (exit code 1)."""

    exit_code = 1


class WeightsError(ArtstyleError):
    """Network weights could not be loaded or did not match (exit code 2)."""

    exit_code = 2


class StorageError(ArtstyleError):
    """The data home cannot be read or written (exit code 1)."""

    exit_code = 1


class OptimizationError(ArtstyleError):
    """The optimisation diverged or produced non-finite values (exit code 1)."""

    exit_code = 1
