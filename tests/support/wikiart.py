"""Shared fixtures for the corpus tests: replay servers, a fast client config, catalog snapshots."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from artstyle.corpus.wikiart import ClientConfig
from .paths import REPO
from .wikiart_replay import ReplayServer, make_artist

# Fast enough for tests, still exercising the limiter and backoff code paths.
FAST = ClientConfig(page_rate=(1000, 1.0), image_rate=(1000, 1.0), backoff=0.01, backoff_max=0.05)
FAST_CLI = ["--page-rate", "1000/1", "--image-rate", "1000/1", "--backoff", "0.01"]
VOLATILE = {"added_at", "updated_at"}


@pytest.fixture
def replay():
    """A replay with the 174-work artist (martiros-sarian, images under martiros-saryan)."""
    with ReplayServer([make_artist()]) as server:
        yield server


@pytest.fixture
def small_replay():
    """A replay with a 24-work artist: every quirk, few requests."""
    with ReplayServer([make_artist(24)]) as server:
        yield server


def without_write_override() -> tuple[str, ...]:
    """A command prefix under which even root obeys file modes (drops CAP_DAC_OVERRIDE); skips if impossible."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    caps = "-dac_override,-dac_read_search,-fowner"
    return (setpriv, "--bounding-set", caps, "--inh-caps", caps, "--")


def snapshot(home: Path) -> tuple[list[dict], dict[str, bytes]]:
    """Works rows without timestamps, and every file under images/ (to compare two runs)."""
    conn = sqlite3.connect(home / "catalog.db")
    conn.row_factory = sqlite3.Row
    rows = [{k: r[k] for k in r.keys() if k not in VOLATILE} for r in conn.execute("SELECT * FROM works ORDER BY id")]
    conn.close()
    files = {str(p.relative_to(home)): p.read_bytes() for p in sorted((home / "images").rglob("*")) if p.is_file()}
    return rows, files


def run_cli(home: Path, url: str, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    """``python -m artstyle --home HOME ...`` in a subprocess against the replay at ``url``."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "ARTSTYLE_WIKIART_URL": url}
    return subprocess.Popen([*prefix, sys.executable, "-m", "artstyle", "--quiet", "--home", str(home), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
