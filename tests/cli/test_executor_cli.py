"""``--executor ray`` refuses clearly: without Ray installed (exit 2), and on a cluster it cannot reach (exit 1, nothing claimed)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys

import pytest

from support.batch import photos
from support.corpus import register_paintings
from conftest import REPO


@pytest.fixture
def corpus(home, paintings, tmp_path):
    register_paintings(home, paintings, ["pablo-picasso"])
    return photos(paintings, tmp_path / "photos")


def _batch(folder, out, *extra):
    return ["--weights", "random", "--device", "cpu", "batch", str(folder), "--like", "pablo-picasso", "--out", str(out),
            "--offline", "--size", "48", "--iterations", "2", *extra]


def test_executor_ray_without_ray_says_how_to_install_it(cli, corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without the extra looks like to `import ray`
    result = cli(*_batch(corpus, tmp_path / "out", "--executor", "ray"))
    assert result.exit_code == 2
    assert "error: --executor ray needs Ray, which is not installed" in result.stderr
    assert "pip install 'artstyle[ray]'" in result.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_an_unreachable_cluster_is_one_error_before_any_job_is_claimed(home, corpus, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'artstyle[ray]' (.ci/run does)")
    address = f"127.0.0.1:{_closed_port()}"
    argv = ["--home", str(home), *_batch(corpus, tmp_path / "out", "--executor", "ray", "--ray-address", address)]
    result = subprocess.run([sys.executable, "-m", "artstyle", *argv], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 1, result.stderr
    assert f"error: cannot reach the Ray cluster at {address}" in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(home / "catalog.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        claimed = conn.execute("SELECT count(*) FROM jobs WHERE status != 'pending'").fetchone()[0] if "jobs" in tables else 0
    assert claimed == 0
