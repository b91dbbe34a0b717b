"""Shared fixtures: a temporary data home, settings with seeded random weights, the shared paintings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artstyle.cli.main import app
from artstyle.settings import Settings
from support.paths import PAINTINGS, REPO, SHARED  # noqa: F401  (REPO and SHARED for tests that import them from here)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """No test reads the developer's ARTSTYLE_* variables or reaches the real WikiArt."""
    for name in list(os.environ):
        if name.startswith("ARTSTYLE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ARTSTYLE_WIKIART_URL", "http://127.0.0.1:9")  # discard port: never the real site


@pytest.fixture
def one_torch_thread():
    """One torch thread: on a shared 2-core machine two threads are several times slower than one."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture
def home(tmp_path) -> Path:
    """An empty data home."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def settings(home) -> Settings:
    """Settings on the temporary home, CPU and seeded random weights."""
    return Settings.build(home=home, device="cpu", weights="random", wikiart_url="http://127.0.0.1:9", quiet=True)


@pytest.fixture
def paintings() -> Path:
    """``../shared/paintings``: public-domain paintings and photos (skips when absent)."""
    if not PAINTINGS.is_dir():
        pytest.skip(f"shared paintings not found at {PAINTINGS}; set ARTSTYLE_SHARED to the shared/ folder")
    return PAINTINGS


@pytest.fixture
def cli(home):
    """Run the CLI in-process on the temporary home: ``cli("corpus", "list")`` -> click Result."""
    runner = CliRunner()

    def invoke(*args: str, home_dir: Path | None = None, env: dict | None = None):
        argv = ["--home", str(home_dir or home), *args]
        return runner.invoke(app, argv, env=env, catch_exceptions=False)

    return invoke
