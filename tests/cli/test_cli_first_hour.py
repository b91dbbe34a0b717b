"""The first hour (issue 15): global options after the command, cheap checks first, one offline message,
paint --work/--json, the interrupted-paint message, plain help, and the cache list table."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from PIL import Image
from typer.testing import CliRunner

from artstyle.cli.main import app
from conftest import PAINTINGS
from support.corpus import register_paintings

needs_paintings = pytest.mark.skipif(not PAINTINGS.is_dir(), reason=f"shared paintings not found at {PAINTINGS}")
SMALL = ("--size", "32", "--iterations", "2")


def run(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photos" / "t.png"
    path.parent.mkdir()
    Image.new("RGB", (48, 40), (120, 90, 60)).save(path)
    return path


@pytest.fixture
def corpus(home):
    if not PAINTINGS.is_dir():
        pytest.skip("no shared paintings")
    return register_paintings(home, PAINTINGS, ["pablo-picasso", "vincent-van-gogh"])


@pytest.fixture
def no_hub(tmp_path, monkeypatch):
    """An empty torch hub cache: torchvision's weights are not on this machine."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    import torch.hub

    monkeypatch.setattr(torch.hub, "_hub_dir", None, raising=False)


# --- item 2: global options after the command ---------------------------------------------------

def test_global_options_after_the_command_are_accepted(tmp_path, corpus, home, photo):
    result = run("paint", str(photo), "--like", "picasso", "--weights", "random", "--device", "cpu", "--home", str(home),
                 "--seed", "3", *SMALL)
    assert result.exit_code == 0, result.output
    assert "No such option" not in result.output
    record = json.loads(photo.with_name("t.pablo-picasso.png.json").read_text())
    assert record["random_weights"] is True and record["device"] == "cpu"


def test_after_the_command_wins_over_before_and_over_the_environment(tmp_path, home):
    other = tmp_path / "other"
    result = run("--home", str(other), "corpus", "list", "--json", "--home", str(home),
                 env={"ARTSTYLE_HOME": str(tmp_path / "env")})
    assert "no catalog at" in result.output and str(home) in result.output and str(other) not in result.output


def test_the_environment_still_sets_a_global_option(tmp_path):
    result = run("corpus", "list", env={"ARTSTYLE_HOME": str(tmp_path / "from-env")})
    assert "from-env" in result.output


def test_a_global_option_after_a_command_is_validated(tmp_path):
    result = run("corpus", "list", "--device", "tpu")
    assert result.exit_code == 2 and "tpu" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", [["paint"], ["batch"], ["corpus", "import"], ["cache", "list"], ["cache", "build"],
                                     ["experiment", "ratio"], []])
def test_help_shows_no_python_types_and_fits_80_columns(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    text = result.output
    assert result.exit_code == 0
    assert not re.search(r"<bool>|<str>|<int>|<float>|list\[", text), text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # nothing cut off
    if command:
        assert "--weights" in text and "--home" in text  # every command takes the global options


# --- items 1 and 3: cheap checks first, one offline message --------------------------------------

def test_offline_first_run_lists_everything_missing_and_the_next_commands(tmp_path, photo, no_hub):
    fresh = tmp_path / "fresh"
    result = run("--home", str(fresh), "paint", str(photo), "--like", "pablo-picasso")
    text = result.output
    assert result.exit_code == 1
    assert text.count("error:") == 1 and "Traceback" not in text
    assert "2 things are missing" in text and "WikiArt" in text and "VGG-19 weights" in text
    assert "artstyle corpus import DIR --artist pablo-picasso" in text
    assert "--weights random" in text and "--weights PATH" in text
    assert not fresh.exists()  # nothing half-made is left behind


def test_offline_with_weights_here_names_only_the_artist(tmp_path, photo):
    result = run("--home", str(tmp_path / "fresh"), "--weights", "random", "paint", str(photo), "--like", "pablo-picasso")
    assert result.exit_code == 1 and "1 thing is missing" in result.output and "VGG-19 weights:" not in result.output


@pytest.mark.parametrize("flags, message", [
    (["--weights", "radnom"], "unknown --weights value 'radnom'"),
    (["--weights", "missing/vgg.pth"], "does not exist"),
    (["--device", "cuda"], "CUDA"),
])
def test_bad_weights_or_device_fail_before_anything_is_drawn(tmp_path, photo, flags, message, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    fresh = tmp_path / "fresh"
    result = run("--home", str(fresh), "paint", str(photo), "--like", "pablo-picasso", *flags)
    assert result.exit_code == 2, result.output
    assert message in result.output and "WikiArt" not in result.output and "fetching" not in result.output
    assert not fresh.exists()


def test_a_misspelled_artist_gets_did_you_mean_while_wikiart_is_unreachable(corpus, home, photo):
    result = run("--home", str(home), "--weights", "random", "paint", str(photo), "--like", "pablo-picaso")
    assert result.exit_code == 2
    assert "did you mean: pablo-picasso" in result.output and "painting" not in result.output


# --- items 7 and 6: paint --work, --json, the early stop line ------------------------------------

@needs_paintings
def test_paint_a_chosen_work_is_named_after_its_artist(corpus, home, photo):
    work = corpus["vincent-van-gogh"][0]
    result = run("--home", str(home), "--weights", "random", "paint", str(photo), "--work", work, "--seed", "1", *SMALL)
    assert result.exit_code == 0, result.output
    record = json.loads(photo.with_name("t.vincent-van-gogh.png.json").read_text())
    assert [w["id"] for w in record["works"]] == [work]


@needs_paintings
def test_paint_json_prints_the_provenance_record(corpus, home, photo):
    result = CliRunner().invoke(app, ["--home", str(home), "--weights", "random", "paint", str(photo), "--like", "picasso",
                                      "--json", *SMALL])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["seed"] >= 0 and record["works"][0]["artist"] == "pablo-picasso"


@needs_paintings
def test_an_early_stop_completes_the_bar_and_says_why(corpus, home, photo):
    result = run("--home", str(home), "--weights", "random", "paint", str(photo), "--like", "picasso", "--size", "32",
                 "--iterations", "200", "--tolerance", "0.9", "--seed", "2")
    assert result.exit_code == 0, result.output
    assert re.search(r"stopped early at iteration \d+ of 200", result.output)
    assert "200/200" in result.output


# --- item 9: an interrupted paint does not promise to resume --------------------------------------

def test_an_interrupted_paint_says_it_restarts_and_how_to_repeat_it(home, photo, monkeypatch):
    import artstyle.cli.paint as paint_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(paint_cli, "paint", interrupted)
    result = run("--home", str(home), "paint", str(photo), "--like", "picasso", "--seed", "42")
    assert result.exit_code == 130
    assert "resume where it stopped" not in result.output
    assert "starts over" in result.output and "--seed 42" in result.output


# --- item 6: cache list --------------------------------------------------------------------------

@needs_paintings
def test_cache_list_has_a_header_and_names_artist_work_pixels_layers_and_bytes(corpus, home):
    assert run("--home", str(home), "--weights", "random", "cache", "build", "vincent-van-gogh", "--size", "48").exit_code == 0
    result = CliRunner().invoke(app, ["--home", str(home), "cache", "list"])
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["key", "kind", "artist", "work", "px", "layers", "bytes"]
    assert any(re.search(r"^\w{8} work\s+vincent-van-gogh The starry night\s+48\s+5\s+\d+\.\d MB$", line) for line in lines), lines
    assert all(len(line) <= 80 for line in lines)
    assert "2 entries," in result.output  # the work's Grams and its palette
