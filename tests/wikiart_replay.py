"""Kept for ``scripts/bench_scrape.py`` only; tests import :mod:`support.wikiart_replay`."""

from support.wikiart_replay import ReplayServer, make_artist  # noqa: F401
