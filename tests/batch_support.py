"""Kept for ``scripts/bench_batch.py`` only; tests import :mod:`support.batch` and :mod:`support.corpus`."""

try:
    from .support.batch import photos  # noqa: F401  (imported as tests.batch_support)
    from .support.corpus import register_paintings  # noqa: F401
except ImportError:
    from support.batch import photos  # noqa: F401
    from support.corpus import register_paintings  # noqa: F401
