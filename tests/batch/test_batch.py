"""artstyle batch: a killed batch resumes, failures are recorded, and the gallery opens from disk."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from artstyle.corpus import catalog
from artstyle.batch import manifest
from artstyle.batch.run import run_batch
from support.batch import browser_images, missing_targets, photos
from support.corpus import register_paintings, work_id
from support.paths import REPO

TINY = ["--size", "64", "--iterations", "3"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def corpus(home, paintings, tmp_path):
    ids = register_paintings(home, paintings, ["pablo-picasso", "edvard-munch"])
    return ids, photos(paintings, tmp_path / "photos")


def _done_jobs(home: Path) -> dict[str, tuple]:
    with sqlite3.connect(home / "catalog.db", timeout=60) as conn:
        rows = conn.execute("SELECT id, finished_at, output_path FROM jobs WHERE status = 'done'").fetchall()
    return {row[0]: row[1:] for row in rows}


def _batch_argv(home: Path, folder: Path, out: Path) -> list[str]:
    return ["--home", str(home), "--weights", "random", "--device", "cpu", "--quiet", "batch", str(folder),
            "--like", "pablo-picasso", "--like", "edvard-munch", "--per-photo", "2", "--out", str(out), "--offline", *TINY]


def _kill_after_first_job(argv: list[str], home: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "artstyle", *argv], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while process.poll() is None and not ((home / "catalog.db").exists() and _jobs_table(home) and _done_jobs(home)):
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        _, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, f"the batch ended before it was killed: {err.decode()[-2000:]}"


def _jobs_table(home: Path) -> bool:
    with sqlite3.connect(home / "catalog.db", timeout=60) as conn:
        return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone())


@pytest.mark.slow
def test_a_killed_batch_resumes_and_ends_with_every_job_done_once(cli, home, corpus, tmp_path):
    _, folder = corpus
    out = tmp_path / "painted"
    argv = _batch_argv(home, folder, out)
    _kill_after_first_job(argv, home)
    before = _done_jobs(home)
    assert 1 <= len(before) < 12

    result = cli(*argv[2:])  # the same command, in-process (cli adds --home)
    assert result.exit_code == 0, result.output
    assert f"12 of 12 paintings done ({len(before)} from an earlier run)" in result.stdout

    after = _done_jobs(home)
    assert len(after) == 12 and all(after[job] == before[job] for job in before)  # finished jobs were not redone
    db = catalog.open_catalog(home / "catalog.db")
    assert db["jobs"].count == 12
    outputs = [row[1] for row in after.values()]
    assert len(set(outputs)) == 12 and all(Path(o).is_file() and Path(o + ".json").is_file() for o in outputs)
    runs = [r["output_path"] for r in db["runs"].rows]
    assert sorted(runs) == sorted(outputs)  # one runs row per painting: none lost, none doubled
    pngs = sorted(p.name for p in out.glob("*.png") if p.name != "contact_sheet.png")
    assert pngs == sorted(Path(o).name for o in outputs)  # no stray or half-written files
    assert not list(out.rglob("*.part"))

    index = out / "index.html"
    assert missing_targets(index) == []
    images = browser_images(index)
    assert len(images) >= 12 * 4 and [src for src, loaded in images if not loaded] == []


def test_each_repeat_draws_its_own_seed_and_works_are_recorded(home, corpus, settings, tmp_path):
    ids, folder = corpus
    report = run_batch([folder / "tubingen.jpg"], out_dir=tmp_path / "out", like=["pablo-picasso"], per_photo=3,
                       settings=settings, offline=True, size=48, iterations=2)
    assert (report.total, report.done, report.failed) == (3, 3, [])
    db = catalog.open_catalog(home / "catalog.db")
    jobs = manifest.batch_jobs(db, report.batch_id)
    assert len({j["seed"] for j in jobs}) == 3
    for job in jobs:
        record = job["provenance"]
        assert record["seed"] == job["seed"] and record["works"][0]["id"] in ids["pablo-picasso"]
        assert record["batch"]["job"] == job["id"] and len(record["batch"]["losses"]) == 2
    assert "https://www.wikiart.org/en/pablo-picasso/" in report.gallery.read_text()


def test_a_failing_job_is_recorded_and_the_rest_go_on(cli, home, corpus, paintings, tmp_path):
    _, folder = corpus
    out = tmp_path / "out"
    (tmp_path / "broken.jpg").write_bytes(b"not a photo")  # its jobs fail; an unknown artist is refused up front now
    scream = work_id(home, "edvard-munch/the-scream-1893")
    argv = ["--weights", "random", "--device", "cpu", "--quiet", "batch", str(folder / "tubingen.jpg"), str(tmp_path / "broken.jpg"),
            "--style-image", str(paintings / "edvard-munch" / "the-scream-1893.jpg"), "--work", scream,
            "--out", str(out), "--offline", *TINY]
    result = cli(*argv)
    assert result.exit_code == 1
    assert "batch " in result.stdout and "2 of 4 paintings done" in result.stdout
    assert f"failed: broken.jpg · work {scream} #0: InputError: {tmp_path / 'broken.jpg'} is not a readable image" in result.stdout
    text = (out / "index.html").read_text()
    assert "broken.jpg is not a readable image" in text and missing_targets(out / "index.html") == []
    again = cli(*argv)  # a rerun retries the failed jobs only
    assert again.exit_code == 1 and "2 of 4 paintings done (2 from an earlier run)" in again.stdout


def test_another_batch_into_a_used_out_dir_is_refused(cli, corpus, tmp_path):
    _, folder = corpus
    base = ["--weights", "random", "--device", "cpu", "--quiet", "batch", str(folder / "tubingen.jpg"),
            "--like", "edvard-munch", "--out", str(tmp_path / "out"), "--offline", "--size", "48"]
    assert cli(*base, "--iterations", "1").exit_code == 0
    result = cli(*base, "--iterations", "2")
    assert result.exit_code == 2
    assert "already holds batch" in result.stderr and "hint: choose another --out" in result.stderr


def test_bad_inputs_fail_before_any_work(cli, tmp_path):
    result = cli("batch", str(tmp_path / "nowhere"), "--like", "x", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'nowhere'} does not exist" in result.stderr
    result = cli("batch", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "error: no style given" in result.stderr
    result = cli("batch", str(tmp_path), "--like", "x", "--out", str(tmp_path / "out"), "--tolerance", "-1")
    assert result.exit_code == 2 and "error: --tolerance must be a non-negative number" in result.stderr
    assert not (tmp_path / "out").exists()
