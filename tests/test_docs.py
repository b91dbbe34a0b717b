"""The README stays true: every command is documented, the quick-start commands are what CI runs,
and the Python example runs as written (at a tiny size)."""

from __future__ import annotations

import re
import shutil

import typer.main

from artstyle.cli.main import app

from support.paths import REPO

README = (REPO / "README.md").read_text()


def _command_paths(group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path
        if hasattr(command, "commands"):
            yield from _command_paths(command, path)


def test_every_command_is_in_the_readme():
    missing = [" ".join(p) for p in _command_paths(typer.main.get_command(app)) if f"artstyle {' '.join(p)}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_ci_runs_the_readme_test_command():
    test_command = re.search(r"Run the tests.*?```bash\n(.+?)\n```", README, re.S).group(1)
    assert test_command.endswith("pip install -e '.[test]' && python -m pytest")
    ci = (REPO / ".ci/run").read_text()
    assert "pip install -e '.[test]' && python -m pytest" in ci


def test_main_command_paints_like_an_artist():
    main_command = re.search(r"Install and run the main job.*?```bash\n(.+?)\n```", README, re.S).group(1)
    assert main_command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install .")
    assert re.search(r"&& artstyle paint \S+ --like \S+$", main_command)


def test_python_example_runs(tmp_path, monkeypatch, paintings):
    code = re.search(r"From Python.*?```python\n(.+?)```", README, re.S).group(1)
    shutil.copytree(paintings / "pablo-picasso", tmp_path / "scans")
    shutil.copy(paintings / "photos/tubingen.jpg", tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARTSTYLE_WEIGHTS", "random")
    monkeypatch.setenv("ARTSTYLE_DEVICE", "cpu")
    assert "size=256" in code
    exec(compile(code.replace("size=256", "size=64, iterations=3"), "README.md", "exec"), {})
    assert (tmp_path / "painted.png").exists()
    assert (tmp_path / "corpus" / "catalog.db").exists()
