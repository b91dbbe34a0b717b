"""Issue 14, part B: a batch checks its requests before writing, survives a bad photo, cleans up, explains refusals.

Each case runs through the CLI (as a user meets it) and, where the library
decides, through :func:`artstyle.batch.run.run_batch` or the manifest too.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from artstyle.batch import manifest
from artstyle.batch.run import run_batch
from artstyle.corpus import catalog
from artstyle.errors import NotFoundError, StorageError, UsageError
from support.batch import missing_targets
from support.corpus import register_paintings, work_id

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = ["--size", "48", "--iterations", "1"]
GLOBAL = ["--weights", "random", "--device", "cpu", "--quiet"]


@pytest.fixture
def corpus(home, paintings, tmp_path):
    """Munch's works registered in the home, and a folder with one photo."""
    register_paintings(home, paintings, ["edvard-munch"])
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copyfile(paintings / "photos" / "tubingen.jpg", folder / "tubingen.jpg")
    return folder


def _batch(cli, inputs, out: Path, *style: str, extra: tuple[str, ...] = ()):
    return cli(*GLOBAL, "batch", *map(str, inputs), *style, "--out", str(out), "--offline", *TINY, *extra)


def _manifest_rows(home: Path) -> tuple[int, int]:
    """(batches, jobs) rows in the home's catalog; (0, 0) when it has none."""
    if not (home / "catalog.db").exists():
        return 0, 0
    with sqlite3.connect(home / "catalog.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"batches", "jobs"} <= tables:
            return 0, 0
        return conn.execute("SELECT count(*) FROM batches").fetchone()[0], conn.execute("SELECT count(*) FROM jobs").fetchone()[0]


def _dead_pid() -> int:
    """The pid of a process that has already exited (so no running writer owns it)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(child.stdout)


# 7: requests are validated before anything is written


def test_an_unknown_artist_offline_writes_nothing_and_the_corrected_command_runs(cli, home, corpus, tmp_path):
    out = tmp_path / "out"
    result = _batch(cli, [corpus], out, "--like", "nobody")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: no artist 'nobody' in the catalog (offline, so not fetched from WikiArt)")
    assert not out.exists() and _manifest_rows(home) == (0, 0)
    fixed = _batch(cli, [corpus], out, "--like", "edvard-munch")
    assert fixed.exit_code == 0, fixed.output
    assert "1 of 1 painting done" in fixed.stdout


@pytest.mark.parametrize("style, message", [
    (["--blend", "edvard-munch=lots"], "error: --blend weight 'lots' for 'edvard-munch' is not a number"),
    (["--blend", "edvard-munch=1,nobody=1"], "error: no artist 'nobody' in the catalog"),
    (["--work", "edvard-munch-no-such-work"], "error: no work 'edvard-munch-no-such-work'"),
    (["--like", "edvard-munch", "--like", "nobody"], "error: no artist 'nobody' in the catalog"),
])
def test_a_bad_request_among_good_ones_exits_2_and_leaves_no_folder_and_no_rows(cli, home, corpus, tmp_path, style, message):
    out = tmp_path / "out"
    result = _batch(cli, [corpus], out, *style)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message), result.stderr
    assert not out.exists() and _manifest_rows(home) == (0, 0)


def test_the_library_refuses_a_bad_request_before_writing(home, corpus, settings, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(NotFoundError, match="no artist 'nobody'"):
        run_batch([corpus], out_dir=out, like=["edvard-munch", "nobody"], settings=settings, offline=True, size=48, iterations=1)
    assert not out.exists() and _manifest_rows(home) == (0, 0)


def test_an_out_path_that_is_a_file_is_refused_before_painting(home, corpus, settings, tmp_path):
    out = tmp_path / "out.png"
    out.write_bytes(b"mine")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        run_batch([corpus], out_dir=out, like=["edvard-munch"], settings=settings, offline=True, size=48, iterations=1)
    assert out.read_bytes() == b"mine" and _manifest_rows(home) == (0, 0)


# 7: an unreadable photo is a failed job; the gallery and contact sheet are still written


def test_an_unreadable_photo_fails_its_job_and_the_gallery_still_says_why(cli, home, corpus, tmp_path):
    (corpus / "broken.jpg").write_bytes(b"this is not a jpeg")
    out = tmp_path / "out"
    for attempt in range(2):  # and again on a rerun
        result = _batch(cli, [corpus], out, "--like", "edvard-munch")
        assert result.exit_code == 1, result.output
        earlier = " (1 from an earlier run)" if attempt else ""
        assert f"1 of 2 paintings done{earlier}" in result.stdout
        assert f"failed: broken.jpg · like edvard-munch #0: InputError: {corpus / 'broken.jpg'} is not a readable image" in result.stdout
        assert (out / "contact_sheet.png").is_file() and (out / "index.html").is_file()
        page = (out / "index.html").read_text(encoding="utf-8")
        assert "broken.jpg" in page and "is not a readable image" in page
        assert missing_targets(out / "index.html") == []
    rows = manifest.batch_jobs(catalog.open_catalog(home / "catalog.db"), result.stdout.split()[1].rstrip(":"))
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 1 and "is not a readable image" in failed[0]["reason"]


def test_the_library_reports_an_unreadable_photo_with_its_gallery(home, corpus, settings, tmp_path):
    (corpus / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    report = run_batch([corpus], out_dir=tmp_path / "out", like=["edvard-munch"], settings=settings, offline=True,
                       size=48, iterations=1)
    assert (report.total, report.done) == (2, 1)
    assert Path(report.failed[0]["input_path"]).name == "broken.png"
    assert report.gallery.is_file() and report.contact_sheet.is_file()


# 7: a rerun sweeps the .part files that dead writers left in the out folder


def test_a_rerun_sweeps_part_files_of_dead_writers_and_keeps_live_ones(cli, corpus, tmp_path):
    out = tmp_path / "out"
    assert _batch(cli, [corpus], out, "--like", "edvard-munch").exit_code == 0
    dead = _dead_pid()
    left = [out / f".tubingen.edvard-munch.0.png.{dead}-k1ll3d.part", out / "thumbs" / f".content-x.jpg.{dead}-abc.part",
            out / "thumbs" / f".x.png.{dead}-abc.part"]
    live = out / f".index.html.{os.getpid()}-l1ve.part"  # this test's own process: a writer still running
    for part in [*left, live]:
        part.write_bytes(b"half")
    result = _batch(cli, [corpus], out, "--like", "edvard-munch")
    assert result.exit_code == 0, result.output
    assert [p for p in left if p.exists()] == [] and live.exists()


# 7: a refusal to reuse an out folder says what differs


def test_a_refused_out_folder_names_what_differs(cli, home, paintings, corpus, tmp_path):
    out = tmp_path / "out"
    scream = work_id(home, "edvard-munch/the-scream-1893")
    assert _batch(cli, [corpus], out, "--like", "edvard-munch").exit_code == 0
    shutil.copyfile(paintings / "photos" / "tubingen.jpg", tmp_path / "second.jpg")
    (tmp_path / "second.jpg").write_bytes((tmp_path / "second.jpg").read_bytes() + b"\0")  # other bytes, same picture
    result = cli(*GLOBAL, "batch", str(corpus), str(tmp_path / "second.jpg"), "--like", "edvard-munch", "--work",
                 scream, "--out", str(out), "--offline", "--size", "48", "--iterations", "2",
                 "--seed", "5")
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert message.startswith(f"error: {out.resolve()} already holds batch ")
    for part in (f"requests added: work {scream}", "seed 5 (was 0)", "iterations 2 (was 1)",
                 f"photos added: {tmp_path / 'second.jpg'}"):
        assert part in " ".join(message.split()), message
    assert "hint: choose another --out" in message


def test_the_manifest_names_changed_photos_and_options(home, tmp_path):
    from artstyle.batch.plan import Job
    from artstyle.paint.request import StyleRequest

    def job(batch: str, photo: str, sha: str, kind: str = "like") -> Job:
        return Job(f"{batch}-{photo}", tmp_path / photo, sha, StyleRequest(kind, "edvard-munch"), 0, 1)

    db = catalog.open_catalog(home / "catalog.db")
    out = tmp_path / "out"
    first = {"requests": [{"kind": "like", "value": "edvard-munch"}], "options": {"size": 64, "iterations": 3}}
    manifest.open_batch(db, "b1", first, out, [job("b1", "a.jpg", "aaa"), job("b1", "b.jpg", "bbb")])
    out.mkdir()
    (out / "index.html").write_text("")
    second = {"requests": [{"kind": "blend", "value": "edvard-munch"}], "options": {"size": 128, "iterations": 3}}
    with pytest.raises(UsageError) as refused:
        manifest.open_batch(db, "b2", second, out, [job("b2", "a.jpg", "a2a", "blend"), job("b2", "c.jpg", "ccc", "blend")])
    assert refused.value.message == (
        f"{out.resolve()} already holds batch b1, made with other inputs or options: requests added: blend edvard-munch; "
        f"requests removed: like edvard-munch; size 128 (was 64); photos added: {tmp_path / 'c.jpg'}; "
        f"photos removed: {tmp_path / 'b.jpg'}; photos changed: {tmp_path / 'a.jpg'}"
    )


# 6: a damaged manifest row is named, exits 1, and is left as it is


@pytest.mark.parametrize("column, value, problem", [
    ("request", "{not json", "its request is not valid JSON"),
    ("request", '{"kind": "mood", "value": "x"}', "its request is not a style request"),
    ("status", "paused", "its status 'paused' is not one of pending, running, done, failed"),
    ("provenance", "[1, 2", "its provenance is not valid JSON"),
])
def test_a_damaged_manifest_row_is_named_and_never_rewritten(cli, home, corpus, tmp_path, column, value, problem):
    out = tmp_path / "out"
    assert _batch(cli, [corpus], out, "--like", "edvard-munch").exit_code == 0
    with sqlite3.connect(home / "catalog.db") as conn:
        job_id = conn.execute("SELECT id FROM jobs").fetchone()[0]
        conn.execute(f"UPDATE jobs SET {column} = ? WHERE id = ?", [value, job_id])
        before = conn.execute("SELECT * FROM jobs").fetchall()
    result = _batch(cli, [corpus], out, "--like", "edvard-munch")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: the batch manifest in {home / 'catalog.db'} is damaged: job {job_id}: {problem}")
    assert "hint: " in result.stderr and "--out" in result.stderr
    with sqlite3.connect(home / "catalog.db") as conn:
        assert conn.execute("SELECT * FROM jobs").fetchall() == before


def test_the_manifest_refuses_to_decode_a_damaged_row(home, tmp_path):
    db = catalog.open_catalog(home / "catalog.db")
    with pytest.raises(StorageError, match="job j1: its request is not valid JSON"):
        manifest.decode_job({"id": "j1", "status": "done", "request": "{", "provenance": None})


def test_a_photo_that_cannot_be_opened_is_named_before_anything_is_written(cli, home, corpus, tmp_path, monkeypatch):
    # root reads any file, so the permission error is raised where the bytes are read
    from artstyle.batch import plan

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(plan, "sha256_file", denied)
    out = tmp_path / "out"
    result = _batch(cli, [corpus], out, "--like", "edvard-munch")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: cannot read the photo {corpus / 'tubingen.jpg'}: Permission denied")
    assert not out.exists() and _manifest_rows(home) == (0, 0)
