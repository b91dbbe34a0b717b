"""The CLI shell: help, version, global options and the one error path."""

from __future__ import annotations

import subprocess
import sys

import pytest

from typer.testing import CliRunner

from artstyle import __version__
from artstyle.cli.main import app


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"artstyle {__version__}"


def test_help_lists_global_options():
    result = run("--help")
    assert result.exit_code == 0
    for option in ("--home", "--device", "--weights", "--wikiart-url", "--verbose", "--quiet", "--version"):
        assert option in result.stdout


def test_unknown_option_is_one_clear_line_and_exit_2():
    result = run("--no-such-option")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0] == "error: No such option: --no-such-option"
    assert lines[1].startswith("hint:")
    assert "Traceback" not in result.output


def test_bad_device_is_one_clear_line_and_exit_2():
    result = run("--device", "tpu")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: Invalid value for '--device'"), first
    assert "'tpu' is not one of" in first


@pytest.mark.slow
def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "artstyle", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.strip() == f"artstyle {__version__}"
