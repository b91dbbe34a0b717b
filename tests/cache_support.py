"""Kept for ``scripts/bench_cache.py`` and ``scripts/compare_color_modes.py`` only; tests import :mod:`support`."""

from support.cache import synthetic_targets  # noqa: F401
from support.corpus import register_paintings  # noqa: F401
