"""The batch manifest: create, claim, finish, fail, and resume after a kill."""

from __future__ import annotations

from pathlib import Path

import pytest

from artstyle.corpus import catalog
from artstyle.batch import manifest
from artstyle.batch.plan import Photo, StyleRequest, plan_jobs
from artstyle.errors import StorageError, UsageError


@pytest.fixture
def db(tmp_path):
    return catalog.open_catalog(tmp_path / "home" / "catalog.db")


def _jobs(batch="b1", photos=2, repeats=2):
    found = [Photo(Path(f"/photos/{i}.jpg"), f"{i:064x}") for i in range(photos)]
    return plan_jobs(batch, found, [StyleRequest("like", "picasso")], repeats, base_seed=3)


def _finish(db, job, tmp_path) -> Path:
    output = tmp_path / "out" / f"{job['id']}.png"
    output.parent.mkdir(exist_ok=True)
    output.write_bytes(b"png")
    manifest.mark_done(db, job["id"], output, {"seed": job["seed"]})
    return output


def test_schema_2_adds_the_manifest_tables_with_indexes(db):
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 2 == catalog.SCHEMA_VERSION
    assert {"batches", "jobs"} <= set(db.table_names())
    assert ["batch_id", "status", "position"] in [i.columns for i in db["jobs"].indexes]
    assert db["jobs"].foreign_keys[0].other_table == "batches"


def test_a_new_batch_has_every_job_pending(db, tmp_path):
    jobs = _jobs()
    assert manifest.open_batch(db, "b1", {"size": 64}, tmp_path / "out", jobs) == {"pending": 4, "running": 0, "done": 0, "failed": 0}
    rows = manifest.batch_jobs(db, "b1")
    assert [r["id"] for r in rows] == [j.id for j in jobs]
    assert rows[0]["request"] == {"kind": "like", "value": "picasso"} and rows[0]["seed"] == jobs[0].seed
    assert manifest.get_batch(db, "b1")["params"] == {"size": 64}


def test_claims_go_in_plan_order_and_end_with_none(db, tmp_path):
    jobs = _jobs(photos=1, repeats=2)
    manifest.open_batch(db, "b1", {}, tmp_path / "out", jobs)
    first, second = manifest.claim_job(db, "b1"), manifest.claim_job(db, "b1")
    assert [first["id"], second["id"]] == [j.id for j in jobs]
    assert first["status"] == "running" and first["started_at"]
    assert manifest.claim_job(db, "b1") is None


def test_done_needs_the_output_file(db, tmp_path):
    manifest.open_batch(db, "b1", {}, tmp_path / "out", _jobs())
    job = manifest.claim_job(db, "b1")
    with pytest.raises(StorageError, match=f"job {job['id']}: its output .*missing.png was not written"):
        manifest.mark_done(db, job["id"], tmp_path / "missing.png", {})
    output = _finish(db, job, tmp_path)
    row = manifest.batch_jobs(db, "b1")[0]
    assert (row["status"], row["output_path"], row["provenance"]) == ("done", str(output), {"seed": job["seed"]})


def test_a_rerun_skips_done_jobs_and_redoes_running_failed_and_lost_ones(db, tmp_path):
    jobs = _jobs()
    out = tmp_path / "out"
    manifest.open_batch(db, "b1", {}, out, jobs)
    kept = _finish(db, manifest.claim_job(db, "b1"), tmp_path)
    lost = _finish(db, manifest.claim_job(db, "b1"), tmp_path)
    manifest.mark_failed(db, manifest.claim_job(db, "b1")["id"], "OptimizationError: loss is nan")
    manifest.claim_job(db, "b1")  # running when the process was killed
    assert manifest.status_counts(db, "b1") == {"pending": 0, "running": 1, "done": 2, "failed": 1}
    lost.unlink()
    counts = manifest.open_batch(db, "b1", {}, out, jobs)
    assert counts == {"pending": 3, "running": 0, "done": 1, "failed": 0}
    rows = manifest.batch_jobs(db, "b1")
    assert [r["status"] for r in rows] == ["done", "pending", "pending", "pending"]
    assert rows[0]["output_path"] == str(kept) and rows[2]["reason"] is None
    assert db["jobs"].count == 4  # the rerun added no duplicate rows


def test_another_batch_may_not_share_a_used_out_dir(db, tmp_path):
    out = tmp_path / "out"
    manifest.open_batch(db, "b1", {"size": 64}, out, _jobs("b1"))
    out.mkdir()
    (out / "index.html").write_text("")
    with pytest.raises(UsageError) as error:
        manifest.open_batch(db, "b2", {"size": 128}, out, _jobs("b2"))
    assert error.value.message == f"{out.resolve()} already holds batch b1, made with other inputs or options: size 128 (was 64)"
    manifest.open_batch(db, "b2", {"size": 128}, tmp_path / "elsewhere", _jobs("b2"))  # fine elsewhere
