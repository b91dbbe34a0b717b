"""Issue 14, the rest of the corpus side: shared throttle, concurrent first opens, damaged catalog,
imports that import nothing, normal file modes, messages never cut mid-word."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat

import pytest

from artstyle.corpus import catalog
from artstyle.errors import clip, shorten_middle
from artstyle.files import atomic_write_bytes
from support.wikiart_replay import ReplayServer, generated_image, jpeg, make_artist
from support.wikiart import run_cli

SLUG = "martiros-sarian"


def _max_in_window(times: list[float], period: float) -> int:
    return max((sum(1 for u in times if t <= u < t + period) for t in times), default=0)


@pytest.mark.slow
def test_two_processes_share_the_default_throttle(tmp_path):
    """Two `corpus add` on one home, default rates, measured at the server: <=10 pages/2.5 s, <=20 images/s."""
    artist = make_artist(40, real=False)
    with ReplayServer([artist]) as server:
        server.add_fault(lambda p, q: "/images/" in p, status=503, times=6)  # retries count too
        args = ["corpus", "add", SLUG, "--details", "--limit", "24", "--backoff", "0.01"]
        processes = [run_cli(tmp_path / "home", server.url, *args) for _ in range(2)]
        results = [(p.wait(300), p.stderr.read()) for p in processes]
        log = list(server.log)
    assert [code for code, _ in results] == [0, 0], results
    images = [t for t, path in log if "/images/" in path or "FRAME" in path]
    pages = [t for t, path in log if not ("/images/" in path or "FRAME" in path)]
    # more traffic than one window allows, or the window check below could not fail (the second process
    # may find some of the first one's pages and images already fetched: 24 works and 6 retries at least)
    assert len(pages) > 10 and len(images) > 20
    worst_pages, worst_images = _max_in_window(pages, 2.5), _max_in_window(images, 1.0)
    print(f"max pages per 2.5 s: {worst_pages}; max images per 1 s: {worst_images}")
    assert worst_pages <= 10 and worst_images <= 20


def _open(path, barrier):
    barrier.wait()
    try:
        catalog.open_catalog(path)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        return f"{type(exc).__name__}: {exc}"
    return None


def test_concurrent_first_opens_never_fail(tmp_path):
    context = multiprocessing.get_context("fork")
    for round_ in range(4):
        path = tmp_path / f"r{round_}" / "catalog.db"
        path.parent.mkdir()
        barrier = context.Manager().Barrier(8)
        with context.Pool(8) as pool:
            errors = pool.starmap(_open, [(path, barrier)] * 8)
        assert errors == [None] * 8


@pytest.fixture(params=["random-bytes", "malformed"])
def damaged_home(request, home, paintings):
    path = home / "catalog.db"
    if request.param == "random-bytes":
        path.write_bytes(os.urandom(8192))
    else:
        db = catalog.open_catalog(path)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()
        data = bytearray(path.read_bytes())
        data[4096:] = os.urandom(len(data) - 4096)  # the header survives, the pages do not
        path.write_bytes(bytes(data))
    return home, path.read_bytes()


@pytest.mark.parametrize("argv", [["corpus", "list"], ["corpus", "works", "picasso"], ["corpus", "show", "x"],
                                  ["corpus", "verify"], ["corpus", "add", "picasso"], ["import"], ["paint"]])
def test_damaged_catalog_one_clear_error_never_rewritten(cli, damaged_home, paintings, argv):
    home, before = damaged_home
    if argv == ["import"]:
        argv = ["corpus", "import", str(paintings / "pablo-picasso"), "--artist", "Pablo Picasso"]
    if argv == ["paint"]:
        argv = ["--weights", "random", "--device", "cpu", "paint", str(paintings / "photos" / "golden-gate.jpg"),
                "--like", "pablo-picasso", "--size", "32", "--iterations", "1", "--output", str(home.parent / "o.png")]
    result = cli("--quiet", "--wikiart-url", "http://127.0.0.1:9", *argv)
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: the catalog {home / 'catalog.db'} is damaged"), lines
    assert lines[1].startswith("hint: move it aside") and "Traceback" not in result.stderr
    assert (home / "catalog.db").read_bytes() == before


def test_import_of_nothing_readable_exits_2_with_reasons(cli, home, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"not a jpeg")
    (folder / "b.png").write_bytes(jpeg(generated_image(1))[:100])
    result = cli("--quiet", "corpus", "import", str(folder), "--artist", "Jane Doe")
    assert result.exit_code == 2
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"error: nothing imported from {folder}: 2 files unreadable (") and "a.jpg" in line
    assert not (home / "catalog.db").exists() or sqlite3.connect(home / "catalog.db").execute(
        "SELECT count(*) FROM artists").fetchone()[0] == 0
    # with an existing catalog: still no artist row
    ok = tmp_path / "ok"
    ok.mkdir()
    (ok / "one.jpg").write_bytes(jpeg(generated_image(2)))
    assert cli("corpus", "import", str(ok), "--artist", "John Roe").exit_code == 0
    assert cli("corpus", "import", str(folder), "--artist", "Jane Doe").exit_code == 2
    conn = sqlite3.connect(home / "catalog.db")
    assert [r[0] for r in conn.execute("SELECT slug FROM artists")] == ["john-roe"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_atomic_writes_respect_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "a" / "file.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a" / "file.bin").stat().st_mode) == 0o666 & ~umask


def test_scraped_images_are_0644(tmp_path):
    from support.wikiart import FAST
    import artstyle.corpus as corpus
    from artstyle.settings import Settings

    old = os.umask(0o022)
    try:
        with ReplayServer([make_artist(6)]) as server:
            corpus.add_artist(Settings.build(home=tmp_path / "h", wikiart_url=server.url), SLUG, config=FAST)
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "h" / "images").rglob("*") if p.is_file()}
    assert modes == {0o644}


def test_messages_are_never_cut_mid_word():
    url = "https://uploads8.wikiart.org/images/" + "a" * 300 + "/the-final-painting.jpg"
    short = shorten_middle(url, 80)
    assert len(short) == 80 and short.startswith("https://uploads8") and short.endswith("painting.jpg")
    text = "could not download " + url + " because " + " ".join(["the server went away"] * 40)
    clipped = clip(text, 200)
    assert len(clipped) <= 202 and clipped.endswith(" …")
    words = set(text.replace(url, "").split())
    body = clipped[:-2].replace(shorten_middle(url, 100), "")
    assert all(w in words for w in body.split())  # every word is whole
