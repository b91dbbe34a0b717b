"""The one exception family for user-facing failures.

The library raises these; the CLI catches them once and renders
``error: <message>`` plus a hint, with an exit code that says whose fault it
was: 2 for bad usage or input (the user can fix it), 1 for runtime failures
(network, disk, numerics). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re

_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)


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


def shorten_middle(text: str, limit: int = 100) -> str:
    """``text`` cut in its middle with an ellipsis so both ends (host and file name) stay readable."""
    if len(text) <= limit:
        return text
    keep = max(2, limit - 1)
    head = keep // 2
    return text[:head] + "…" + text[len(text) - (keep - head):]


def clip(text: str, limit: int = 300) -> str:
    """``text`` no longer than ``limit``: long URLs shortened in the middle, then cut at a word boundary.

    Messages are never cut mid-word: a cut falls on the last space before the
    limit and is marked with an ellipsis.
    """
    text = _URL.sub(lambda m: shorten_middle(m.group(0), 100), str(text))
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut <= limit // 2:  # one huge token: keep both of its ends
        return shorten_middle(text, limit)
    return text[:cut].rstrip(" ,;:") + " …"
