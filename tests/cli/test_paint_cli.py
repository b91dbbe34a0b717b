"""``artstyle paint`` through the CLI: the issue's reference run, outputs, and one clear error per bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

from artstyle.corpus import catalog
from support.paths import PAINTINGS
from support.corpus import register_paintings

pytestmark = pytest.mark.skipif(not PAINTINGS.is_dir(), reason=f"shared paintings not found at {PAINTINGS}")


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photos" / "tubingen.jpg"
    path.parent.mkdir()
    shutil.copyfile(PAINTINGS / "photos" / "tubingen.jpg", path)
    return path


@pytest.fixture
def corpus(home):
    return register_paintings(home, PAINTINGS)


def _files(*folders):
    """Every file under the folders, except SQLite's own journal files."""
    return sorted(str(p) for f in folders for p in f.rglob("*") if p.is_file() and not p.name.endswith(("-wal", "-shm")))


def _runs(home):
    return catalog.open_catalog(home / "catalog.db")["runs"].count


@pytest.mark.slow
def test_reference_run_writes_image_and_provenance(cli, home, corpus, photo):
    args = ["--weights", "random", "--device", "cpu", "paint", str(photo), "--like", "pablo-picasso",
            "--size", "128", "--iterations", "30", "--seed", "1"]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    output = photo.with_name("tubingen.pablo-picasso.png")
    sidecar = json.loads(photo.with_name("tubingen.pablo-picasso.png.json").read_text())
    assert result.stdout.splitlines()[0].startswith("style: pablo-picasso: ")
    assert sidecar["works"][0]["id"] in result.stdout
    assert f"wrote {output}" in result.stdout
    assert sidecar["loss"]["style_ratio"] >= 10  # the style loss falls at least tenfold
    assert sidecar["random_weights"] is True and sidecar["seed"] == 1
    assert Image.open(output).size == (128, 96)
    assert _runs(home) == 1


@pytest.mark.slow
def test_same_command_twice_gives_identical_pixels(cli, corpus, photo):
    args = ["--weights", "random", "paint", str(photo), "--like", "pablo-picasso", "--size", "48", "--iterations", "4", "--seed", "1"]
    assert cli(*args).exit_code == 0
    assert cli(*args, "-o", str(photo.with_name("again.png"))).exit_code == 0
    first = Image.open(photo.with_name("tubingen.pablo-picasso.png"))
    assert first.tobytes() == Image.open(photo.with_name("again.png")).tobytes()


@pytest.mark.slow
def test_blend_and_style_images_name_their_outputs(cli, corpus, photo, tmp_path):
    common = ["--weights", "random", "paint", str(photo), "--size", "48", "--iterations", "2", "--seed", "0"]
    blend = cli(*common, "--blend", "pablo-picasso=0.7,vincent-van-gogh=0.3")
    assert blend.exit_code == 0, blend.output
    assert photo.with_name("tubingen.blend.png").is_file()
    starry = PAINTINGS / "vincent-van-gogh" / "the-starry-night-1889.jpg"
    scream = PAINTINGS / "edvard-munch" / "the-scream-1893.jpg"
    styled = cli(*common, "--style-image", str(starry), "--style-image", str(scream), "--style-weights", "3,7", "--color", "luminance")
    assert styled.exit_code == 0, styled.output
    record = json.loads(photo.with_name("tubingen.styled.png.json").read_text())
    assert [w["weight"] for w in record["works"]] == pytest.approx([0.3, 0.7])
    assert record["params"]["color"] == "luminance"


def test_force_overwrites(cli, corpus, photo):
    args = ["--weights", "random", "paint", str(photo), "--like", "picasso", "--size", "32", "--iterations", "1", "-o", str(photo.with_name("x.webp"))]
    assert cli(*args).exit_code == 0
    refused = cli(*args)
    assert refused.exit_code == 2 and refused.stderr.startswith("error: ") and "already exists" in refused.stderr
    assert cli(*args, "--force").exit_code == 0


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "error: {dir}/missing.jpg does not exist"),
        ("not-an-image", "error: {dir}/notes.jpg is not a readable image"),
        ("unknown-artist", "error: no artist 'rembrandt' in the catalog (offline, so not fetched from WikiArt)"),
        ("no-downloads", "error: artist 'henri-matisse' has no downloaded works"),
        ("bad-blend", "error: --blend weight for 'vincent-van-gogh' must be a finite number >= 0, not -0.3"),
        ("size-0", "error: --size must be at least 1 pixel, not 0"),
        ("iterations", "error: --iterations must be 0 or more, not -1"),
        ("weights", "error: cannot read weights file {dir}/junk.pth"),
    ],
)
def test_bad_input_is_one_clear_error_exit_2_and_nothing_written(cli, home, corpus, photo, case, message):
    folder = photo.parent
    (folder / "notes.jpg").write_text("not a picture")
    (folder / "junk.pth").write_bytes(b"\x00garbage")
    db = catalog.open_catalog(home / "catalog.db")
    with db.conn:
        db.conn.execute("UPDATE works SET status = 'listed' WHERE artist = 'henri-matisse'")
    args = {
        "missing": ["paint", str(folder / "missing.jpg"), "--like", "picasso"],
        "not-an-image": ["paint", str(folder / "notes.jpg"), "--like", "picasso"],
        "unknown-artist": ["paint", str(photo), "--like", "rembrandt", "--offline"],
        "no-downloads": ["paint", str(photo), "--like", "henri-matisse", "--offline"],
        "bad-blend": ["paint", str(photo), "--blend", "pablo-picasso=1.3,vincent-van-gogh=-0.3"],
        "size-0": ["paint", str(photo), "--like", "picasso", "--size", "0"],
        "iterations": ["paint", str(photo), "--like", "picasso", "--iterations", "-1"],
        "weights": ["--weights", str(folder / "junk.pth"), "paint", str(photo), "--like", "picasso", "--size", "32"],
    }[case]
    before = _files(home, folder)
    result = cli(*([] if case == "weights" else ["--weights", "random"]), *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(message.format(dir=folder)), result.stderr
    assert lines[-1].startswith("hint: ")
    assert "Traceback" not in result.output
    assert _files(home, folder) == before
    assert _runs(home) == 0


def test_missing_artist_is_fetched_with_progress_then_painted(cli, home, photo, monkeypatch):
    register_paintings(home, PAINTINGS, ["pablo-picasso"])
    calls = []

    def fake_default_fetch(settings, progress=None):  # stands in for the WikiArt corpus module
        def fetch(name):
            calls.append(name)
            progress("listing", 1, None)
            register_paintings(home, PAINTINGS, ["henri-matisse"])
            progress("downloading", 1, 1)

        return fetch

    monkeypatch.setattr("artstyle.cli.paint.default_fetch", fake_default_fetch)
    result = cli("--weights", "random", "paint", str(photo), "--like", "henri-matisse", "--size", "32", "--iterations", "1")
    assert result.exit_code == 0, result.output
    assert calls == ["henri-matisse"]
    assert "style: henri-matisse: Woman with a hat [" in result.stdout


def test_unknown_layer_is_a_usage_error(cli, corpus, photo):
    result = cli("--weights", "random", "paint", str(photo), "--like", "picasso", "--style-layers", "relu1_1,relu9_1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown VGG-19 layer(s): relu9_1")


def test_failed_first_fetch_leaves_a_fresh_home_without_a_catalog(cli, tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (120, 80, 40)).save(photo)
    fresh = tmp_path / "fresh-home"
    result = cli("paint", str(photo), "--like", "pablo-picasso", "--size", "32", home_dir=fresh)
    assert result.exit_code == 1  # WikiArt unreachable (the tests' discard port)
    assert "error: cannot paint offline" in result.output
    assert not (fresh / "catalog.db").exists()
    assert not list(tmp_path.glob("photo.*.png"))
