"""Shares of a mixture, normalised once: blend weights, style-image weights, style-layer weights.

Every place that mixes several things (a ``--blend`` of artists, weighted
``--style-image`` files, per-layer style weights, the weighted sum of style
losses) wants non-negative, finite numbers that sum to 1. :func:`normalise` is
the one rule; :func:`parse` reads them from a command line first. (Named
``shares`` because ``weights`` already means the VGG-19 weights here.)
"""

from __future__ import annotations

import math
from typing import Sequence

from artstyle.errors import UsageError


def valid(values: Sequence[float]) -> bool:
    """True when the values are finite, non-negative and not all zero."""
    return bool(values) and all(math.isfinite(v) and v >= 0 for v in values) and sum(values) > 0


def normalise(weights: Sequence[float]) -> list[float]:
    """Non-negative finite weights scaled to sum to 1 (ValueError otherwise; callers validate first)."""
    values = [float(w) for w in weights]
    if not valid(values):
        raise ValueError(f"weights must be non-negative, finite and not all zero: {values}")
    total = sum(values)
    return [w / total for w in values]


def parse(weights: Sequence[float] | str, what: str = "--style-weights") -> list[float]:
    """Comma-separated or listed weights, checked with a usage error naming ``what``, then normalised."""
    hint = f"give non-negative numbers separated by commas, e.g. {what} 3,7"
    if isinstance(weights, str):
        try:
            weights = [float(w) for w in weights.split(",")]
        except ValueError:
            raise UsageError(f"malformed {what} {weights!r}", hint=hint) from None
    values = [float(w) for w in weights]
    if not valid(values):
        raise UsageError(f"{what} must be finite, non-negative and not all zero: {values}", hint=hint)
    return normalise(values)
