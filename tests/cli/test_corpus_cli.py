"""``artstyle corpus ...`` end to end against the replay server: scrape, import, read, verify, resume."""

from __future__ import annotations

import html
import json
import signal
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from PIL import Image

from artstyle.corpus import catalog
import artstyle.corpus as corpus
from artstyle.errors import NotFoundError
from artstyle.settings import Settings
from support.wikiart_replay import SPECIAL, ReplayServer, generated_image, jpeg, make_artist
from support.wikiart import FAST, FAST_CLI, replay, run_cli, small_replay, snapshot, without_write_override  # noqa: F401  (fixtures)

SLUG = "martiros-sarian"


def _rows(home: Path) -> dict[str, dict]:
    db = catalog.open_catalog(home / "catalog.db")
    return {r["id"]: catalog.decode_work(r) for r in db["works"].rows}


def _stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.slow
def test_full_scrape_under_faults(cli, home, replay):
    artist = replay.artists[SLUG]
    replay.add_fault(lambda p, q: q.get("page") == "2", status=429, headers={"Retry-After": "1"})
    replay.add_fault(lambda p, q: q.get("page") == "3", status=503)
    replay.add_fault(lambda p, q: p.endswith(artist.works[30].filename), status=503, times=2)
    replay.add_fault(lambda p, q: p.endswith(artist.works[31].filename), truncate=True)
    result = cli("--wikiart-url", replay.url, "corpus", "add", "Martiros Sarian", "--details", *FAST_CLI)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{SLUG}: 174 works listed (174 new, via site-json); 171 downloaded, 0 already here, "
                             "2 skipped, 1 failed, 2 duplicates\n")
    rows = _rows(home)
    assert sorted(rows) == sorted(w.id for w in artist.works)
    for index, work in enumerate(artist.works):
        row = rows[work.id]
        assert row["title"] == " ".join(html.unescape(work.title).split())  # entities decoded, whitespace squeezed
        assert row["year_raw"] == (work.year or None)
        assert row["styles"] == [work.style] and row["genres"] == [work.genre]
        assert row["page_url"] == f"{replay.url}/en/{SLUG}/{work.slug}"
        if work.image is not None:
            assert f"/images/{artist.folder}/" in row["image_urls"]["original"]
        if row["status"] == "downloaded":
            path = home / row["local_path"]
            assert row["local_path"] == f"images/{SLUG}/{work.id}.jpg"
            assert Image.open(path).size == (row["width"], row["height"])
    for index in SPECIAL["placeholder"]:
        assert (rows[artist.works[index].id]["status"], rows[artist.works[index].id]["reason"]) == (
            "skipped", "copyright placeholder: WikiArt does not show this image")
    assert rows[artist.works[SPECIAL["deleted"]].id]["status"] == "failed"
    exact_a, exact_b = (artist.works[i].id for i in SPECIAL["exact_duplicate"])
    near_a, near_b = (artist.works[i].id for i in SPECIAL["near_duplicate"])
    assert {i: r["duplicate_of"] for i, r in rows.items() if r["duplicate_of"]} == {exact_b: exact_a, near_b: near_a}
    assert rows[artist.works[SPECIAL["no_original"]].id]["width"] == 64  # Large, the last resort
    assert rows["57727a66edc2cb3880000007"]["year_start"] == 1927
    assert rows[artist.works[3].id]["year_start"] == 1901 and rows[artist.works[3].id]["year_end"] == 2000

    verified = cli("corpus", "verify")
    assert (verified.exit_code, verified.stdout) == (0, "171 checked, 171 ok, 0 missing, 0 corrupt\n")

    before = len(replay.requests_to(r"/images/"))
    again = cli("--wikiart-url", replay.url, "corpus", "add", SLUG, *FAST_CLI)
    assert again.stdout == (f"{SLUG}: 174 works listed (0 new, via site-json); 0 downloaded, 171 already here, "
                            "2 skipped, 1 failed, 2 duplicates\n")
    assert len(replay.requests_to(r"/images/")) - before == 3  # only the deleted work's three variants


def test_read_commands(cli, home, small_replay):
    assert cli("--wikiart-url", small_replay.url, "corpus", "add", SLUG, "--details", *FAST_CLI).exit_code == 0
    listed = json.loads(cli("corpus", "list", "--json").stdout)
    assert [(a["slug"], a["works"], a["downloaded"], a["skipped"], a["failed"], a["duplicates"]) for a in listed] == [
        (SLUG, 24, 21, 2, 1, 2)]
    assert listed[0]["bytes"] == sum((home / r["local_path"]).stat().st_size for r in _rows(home).values() if r["local_path"])
    assert cli("corpus", "list").stdout.splitlines()[1].split()[:7] == [SLUG, "24", "0", "21", "2", "1", "2"]
    cubism = json.loads(cli("corpus", "works", "martiros", "--style", "cubism", "--json").stdout)
    assert [w["title"] for w in cubism][:1] and all(w["styles"] == ["Cubism"] for w in cubism) and len(cubism) == 6
    twenties = json.loads(cli("corpus", "works", "Martiros Sarian", "--years", "1925-1929", "--json").stdout)
    assert {w["year_raw"] for w in twenties} == {"1920-1930", "1927", "XX cent.", "XIX-XX cent."}
    shown = json.loads(cli("corpus", "show", "57727a66edc2cb3880000001", "--json").stdout)
    assert shown["title"] == "Meeting of the association 'Nikitinsky subbotniks'"
    assert shown["path"] == str(home / f"images/{SLUG}/57727a66edc2cb3880000001.jpg")
    text = cli("corpus", "show", "57727a66edc2cb3880000001").stdout
    assert "year_raw: 1920-1930\n" in text and "status: downloaded\n" in text
    lenient = cli("--wikiart-url", small_replay.url, "corpus", "add", "sarian", "--metadata-only", *FAST_CLI)
    assert lenient.stdout == f"{SLUG}: 24 works listed (0 new, via site-json); 0 downloaded, 0 already here, 0 skipped, 0 failed, 0 duplicates\n"
    typo = cli("corpus", "works", "martiros-sarain")
    assert typo.exit_code == 2
    assert _stderr_lines(typo) == ["error: no artist 'martiros-sarain' in the catalog", "hint: did you mean: martiros-sarian?"]
    missing = cli("corpus", "show", "nope")
    assert missing.exit_code == 2 and _stderr_lines(missing)[0] == "error: no work 'nope' in the catalog"


def test_limit_and_metadata_only(cli, home, replay):
    result = cli("--wikiart-url", replay.url, "corpus", "add", SLUG, "--limit", "5", "--metadata-only", *FAST_CLI)
    assert result.stdout == f"{SLUG}: 5 works listed (5 new, via site-json); 0 downloaded, 0 already here, 0 skipped, 0 failed, 0 duplicates\n"
    assert {r["status"] for r in _rows(home).values()} == {"listed"} and len(_rows(home)) == 5
    assert len(replay.requests_to("all-paintings")) == 1 and replay.requests_to("/images/") == []
    assert not (home / "images").exists()


def test_malformed_rate_is_a_usage_error(cli, home):
    result = cli("corpus", "add", SLUG, "--page-rate", "fast")
    assert result.exit_code == 2
    assert _stderr_lines(result) == ["error: malformed --page-rate 'fast'", "hint: use COUNT/SECONDS, e.g. --page-rate 10/2.5"]
    assert list(home.iterdir()) == []


def test_ensure_image_downloads_a_listed_work(cli, home, small_replay):
    assert cli("--wikiart-url", small_replay.url, "corpus", "add", SLUG, "--metadata-only", *FAST_CLI).exit_code == 0
    settings = Settings.build(home=home, wikiart_url=small_replay.url)
    work = small_replay.artists[SLUG].works[2]
    path = corpus.ensure_image(settings, work.id, config=FAST)
    assert path == home / f"images/{SLUG}/{work.id}.jpg" and _rows(home)[work.id]["status"] == "downloaded"
    before = len(small_replay.log)
    assert corpus.ensure_image(settings, work.id, config=FAST) == path and len(small_replay.log) == before
    placeholder = small_replay.artists[SLUG].works[SPECIAL["placeholder"][0]]
    with pytest.raises(NotFoundError) as info:
        corpus.ensure_image(settings, placeholder.id, config=FAST)
    assert str(info.value) == f"no image for {placeholder.id}: copyright placeholder: WikiArt does not show this image"


def test_unknown_artist_changes_nothing(cli, home, small_replay):
    result = cli("--wikiart-url", small_replay.url, "corpus", "add", "Nobody At All", *FAST_CLI)
    assert result.exit_code == 2
    assert _stderr_lines(result)[0] == (f"error: artist 'nobody-at-all' is not on WikiArt "
                                        f"({small_replay.url}/en/nobody-at-all?json=2 answered HTTP 500)")
    assert list(home.iterdir()) == []


def test_unreachable_server(cli, home):
    result = cli("--wikiart-url", "http://127.0.0.1:9", "corpus", "add", "pablo-picasso", "--retries", "1", "--backoff", "0.01")
    assert result.exit_code == 1
    assert _stderr_lines(result) == [
        "error: cannot reach http://127.0.0.1:9/en/pablo-picasso?json=2: connection refused",
        "hint: check the connection and --wikiart-url; offline, add local images with "
        "`artstyle corpus import DIR --artist NAME`",
    ]
    assert list(home.iterdir()) == []


def test_import_shared_paintings(cli, home, paintings):
    result = cli("corpus", "import", str(paintings / "pablo-picasso"), "--artist", "Pablo Picasso")
    assert (result.exit_code, result.stdout) == (0, "pablo-picasso: 2 imported, 0 already here, 0 skipped, 0 duplicates\n")
    rows = _rows(home)
    assert {(r["title"], r["year_raw"], r["source"], r["status"]) for r in rows.values()} == {
        ("Self portrait", "1907", "local", "downloaded"), ("Seated nude", "1910", "local", "downloaded")}
    for row in rows.values():
        assert row["id"] == f"local-{row['sha256'][:16]}" and (home / row["local_path"]).is_file()
        assert row["local_path"].startswith("images/pablo-picasso/local-") and row["duplicate_of"] is None
    again = cli("corpus", "import", str(paintings / "pablo-picasso"), "--artist", "Pablo Picasso")
    assert again.stdout == "pablo-picasso: 0 imported, 2 already here, 0 skipped, 0 duplicates\n"
    turner = cli("corpus", "import", str(paintings / "william-turner"), "--artist", "J. M. W. Turner", "--slug", "william-turner")
    assert turner.stdout == "william-turner: 2 imported, 0 already here, 0 skipped, 1 duplicate\n"
    assert cli("corpus", "works", "picasso").stdout.count("\tdownloaded\t") == 2


def test_import_skips_corrupt_files(cli, home, tmp_path):
    folder = tmp_path / "scans"
    (folder / "sub").mkdir(parents=True)
    (folder / "one-1901.jpg").write_bytes(jpeg(generated_image(1)))
    (folder / "sub" / "two.jpg").write_bytes(jpeg(generated_image(2)))
    good = jpeg(generated_image(3))
    (folder / "broken.jpg").write_bytes(good[: len(good) // 2])
    (folder / "page.png").write_bytes(b"<html>not an image</html>")
    (folder / "notes.txt").write_text("ignored")
    result = cli("corpus", "import", str(folder), "--artist", "Jane Doe")
    assert (result.exit_code, result.stdout) == (0, "jane-doe: 2 imported, 0 already here, 2 skipped, 0 duplicates\n")
    skipped = [line for line in _stderr_lines(result) if line.startswith("skipped")]
    assert [line.split(":")[0] for line in skipped] == [f"skipped {folder / 'broken.jpg'}", f"skipped {folder / 'page.png'}"]
    assert sorted(r["title"] for r in _rows(home).values()) == ["One", "Two"]


def test_import_empty_folder_changes_nothing(cli, home, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    result = cli("corpus", "import", str(tmp_path / "empty"), "--artist", "Jane Doe")
    assert result.exit_code == 2
    assert _stderr_lines(result)[0] == f"error: no images in {tmp_path / 'empty'}"
    assert list(home.iterdir()) == []


def test_verify_and_fix(cli, home, small_replay):
    assert cli("--wikiart-url", small_replay.url, "corpus", "add", SLUG, *FAST_CLI).exit_code == 0
    rows = [r for r in _rows(home).values() if r["status"] == "downloaded" and not r["duplicate_of"]]
    (home / rows[0]["local_path"]).unlink()
    (home / rows[1]["local_path"]).write_bytes(b"garbage")
    part = home / f"images/{SLUG}/.x.jpg.999999999.part"
    part.write_bytes(b"half")
    broken = cli("corpus", "verify")
    assert (broken.exit_code, broken.stdout) == (1, "21 checked, 19 ok, 1 missing, 1 corrupt\n")
    fixed = cli("--wikiart-url", small_replay.url, "corpus", "verify", "--fix", "--json")
    report = json.loads(fixed.stdout)
    assert fixed.exit_code == 0 and sorted(report["repaired"]) == sorted([rows[0]["id"], rows[1]["id"]])
    assert report["parts_removed"] == 1 and not part.exists()
    assert cli("corpus", "verify").stdout == "21 checked, 21 ok, 0 missing, 0 corrupt\n"


def test_read_commands_without_catalog(cli, home):
    result = cli("corpus", "list")
    assert result.exit_code == 2 and _stderr_lines(result)[0] == f"error: no catalog at {home / 'catalog.db'}"


@pytest.mark.slow
def test_read_only_home_changes_nothing(tmp_path, small_replay, paintings):
    home = tmp_path / "home"
    home.mkdir()
    first = run_cli(home, small_replay.url, "corpus", "import", str(paintings / "pablo-picasso"), "--artist", "Pablo Picasso")
    assert first.wait(60) == 0
    before = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    prefix = without_write_override()
    for path in [home, *home.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        for args in (["corpus", "add", SLUG, *FAST_CLI], ["corpus", "import", str(paintings / "william-turner"), "--artist", "W"]):
            process = run_cli(home, small_replay.url, *args, prefix=prefix)
            out, err = process.communicate(timeout=60)
            assert process.returncode == 1, err
            lines = [line for line in err.splitlines() if line.strip()]
            assert lines[0].startswith(f"error: cannot open the catalog at {home / 'catalog.db'}"), err
            assert lines[1].startswith("hint: check that the data home is writable")
        assert {p: p.read_bytes() for p in home.rglob("*") if p.is_file()} == before
        assert small_replay.requests_to("/en/") == []
    finally:
        for path in [home, *home.rglob("*")]:
            path.chmod(stat.S_IRWXU)


def _downloaded_ids(home: Path) -> set[str]:
    try:
        conn = sqlite3.connect(f"file:{home / 'catalog.db'}?mode=ro", uri=True, timeout=5)
        ids = {r[0] for r in conn.execute("SELECT id FROM works WHERE status = 'downloaded'")}
        conn.close()
        return ids
    except sqlite3.Error:
        return set()


def _signal_after(process, home, downloads: int, sig: int):
    """Send ``sig`` to a running ``corpus add`` once ``downloads`` images are in ``home`` (or a minute passed)."""
    deadline = time.monotonic() + 60
    while len(_downloaded_ids(home)) < downloads and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(sig)
    return process


@pytest.mark.slow
def test_kill_mid_download_then_resume_equals_uninterrupted(tmp_path):
    args = ["corpus", "add", SLUG, "--workers", "2", *FAST_CLI]
    with ReplayServer([make_artist(40)], image_delay=0.05) as server:
        reference = tmp_path / "reference"
        assert run_cli(reference, server.url, *args).wait(120) == 0
        home = tmp_path / "killed"
        process = _signal_after(run_cli(home, server.url, *args), home, 10, signal.SIGKILL)
        process.wait(10)
        done_before = _downloaded_ids(home)
        assert 10 <= len(done_before) < 35, "the kill must land mid-download"
        killed_at = time.monotonic()
        resumed = run_cli(home, server.url, *args)
        assert resumed.wait(120) == 0, resumed.stderr.read()
        after_kill = [path for t, path in server.log if t > killed_at and "/images/" in path]
    by_id = {w.id: w for w in server.artists[SLUG].works}
    refetched = [i for i in done_before if any(by_id[i].filename in p for p in after_kill)]
    assert refetched == []  # no verified file downloaded twice
    assert snapshot(home) == snapshot(reference)
    assert not list(home.rglob("*.part"))


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_rerun_finishes(tmp_path):
    args = ["corpus", "add", SLUG, "--workers", "2", *FAST_CLI]
    with ReplayServer([make_artist(30)], image_delay=0.1) as server:  # slow enough that the interrupt lands mid-scrape
        home = tmp_path / "home"
        process = _signal_after(run_cli(home, server.url, *args), home, 5, signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert "error: interrupted" in err
        assert "Traceback" not in err
        assert not list(home.rglob("*.part"))
        assert run_cli(home, server.url, *args).wait(120) == 0
    rows, files = snapshot(home)
    assert sum(r["status"] == "downloaded" for r in rows) == len(files) == 27


@pytest.mark.slow
def test_two_concurrent_adds_on_one_home(tmp_path):
    args = ["corpus", "add", SLUG, *FAST_CLI]
    with ReplayServer([make_artist(40)], image_delay=0.01) as server:
        reference = tmp_path / "reference"
        assert run_cli(reference, server.url, *args).wait(120) == 0
        home = tmp_path / "shared-home"
        processes = [run_cli(home, server.url, *args) for _ in range(2)]
        results = [(p.wait(120), p.stderr.read()) for p in processes]
    assert [code for code, _ in results] == [0, 0], results
    assert snapshot(home) == snapshot(reference)
