"""The batch manifest: which paintings of a batch are done, so an interrupted batch resumes.

Two catalog tables (schema 2, documented in ``corpus/README.md``): ``batches``
(one row per batch: its parameters and out dir) and ``jobs`` (one row per
painting: photo, request, repeat, seed, status, output and provenance). In the
spirit of gallery-dl's download archive, a rerun of the same command skips what
is finished by id: :func:`open_batch` inserts the planned jobs it does not know
yet, and turns jobs that were running when the process died, jobs that failed,
and done jobs whose output has since vanished back into ``pending``.

Each state change is one ``BEGIN IMMEDIATE`` transaction, so two processes on
the same data home never claim the same job and a kill never leaves a job half
marked. A job becomes ``done`` only after its output file exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import sqlite_utils

from artstyle.corpus import catalog
from artstyle.batch.plan import Job
from artstyle.errors import StorageError, UsageError

STATUSES = ("pending", "running", "done", "failed")




def _job_row(batch_id: str, job: Job) -> dict:
    return {
        "id": job.id, "batch_id": batch_id, "position": job.position, "input_path": str(job.input_path),
        "input_sha256": job.input_sha256, "request": catalog.dumps(job.request.as_dict()),
        "repeat": job.repeat, "seed": job.seed, "status": "pending",
    }


def _check_out_dir(db: sqlite_utils.Database, batch_id: str, out_dir: Path) -> None:
    """Refuse to mix two different batches' files in one folder."""
    other = db.execute(
        "SELECT id FROM batches WHERE out_dir = ? AND id != ? ORDER BY created_at DESC LIMIT 1", [str(out_dir), batch_id]
    ).fetchone()
    if other and out_dir.is_dir() and any(out_dir.iterdir()):
        raise UsageError(
            f"{out_dir} already holds batch {other[0]}, made with other inputs or options",
            hint="choose another --out, or rerun with the same inputs and options to resume that batch",
        )


def _reset_unfinished(db: sqlite_utils.Database, batch_id: str) -> None:
    db.execute(
        "UPDATE jobs SET status = 'pending', reason = NULL, started_at = NULL, finished_at = NULL "
        "WHERE batch_id = ? AND status IN ('running', 'failed')", [batch_id],
    )
    done = db.execute("SELECT id, output_path FROM jobs WHERE batch_id = ? AND status = 'done'", [batch_id]).fetchall()
    lost = [job_id for job_id, output in done if not output or not Path(output).is_file()]
    for job_id in lost:
        db.execute("UPDATE jobs SET status = 'pending', output_path = NULL, finished_at = NULL WHERE id = ?", [job_id])


def open_batch(db: sqlite_utils.Database, batch_id: str, params: dict, out_dir: Path, jobs: Sequence[Job]) -> dict[str, int]:
    """Create the batch, or resume it: unfinished jobs become pending again. Returns counts by status."""
    out_dir = Path(out_dir).resolve()
    with catalog.transaction(db):
        _check_out_dir(db, batch_id, out_dir)
        db["batches"].insert(
            {"id": batch_id, "created_at": catalog.now(), "params": catalog.dumps(params), "out_dir": str(out_dir)},
            pk="id", ignore=True,
        )
        db["jobs"].insert_all((_job_row(batch_id, job) for job in jobs), pk="id", ignore=True)
        _reset_unfinished(db, batch_id)
    return status_counts(db, batch_id)


def status_counts(db: sqlite_utils.Database, batch_id: str) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in db.execute("SELECT status, count(*) FROM jobs WHERE batch_id = ? GROUP BY status", [batch_id]):
        counts[status] = count
    return counts


def decode_job(row: dict) -> dict:
    """A jobs row with its JSON columns decoded."""
    row = dict(row)
    row["request"] = catalog.loads(row.get("request"), {})
    row["provenance"] = catalog.loads(row.get("provenance"))
    return row


def claim_job(db: sqlite_utils.Database, batch_id: str) -> dict | None:
    """Mark the first pending job (in plan order) running and return it; None when none is left."""
    with catalog.transaction(db):
        row = db.execute(
            "SELECT id FROM jobs WHERE batch_id = ? AND status = 'pending' ORDER BY position LIMIT 1", [batch_id]
        ).fetchone()
        if row is None:
            return None
        db.execute("UPDATE jobs SET status = 'running', started_at = ?, reason = NULL WHERE id = ?", [catalog.now(), row[0]])
    return decode_job(db["jobs"].get(row[0]))


def pending_jobs(db: sqlite_utils.Database, batch_id: str) -> list[dict]:
    """The batch's pending jobs in plan order (not claimed: see :func:`claim_jobs`)."""
    return [decode_job(row) for row in db.query("SELECT * FROM jobs WHERE batch_id = ? AND status = 'pending' ORDER BY position", [batch_id])]


def claim_jobs(db: sqlite_utils.Database, job_ids: Sequence[str]) -> list[dict]:
    """Mark those of ``job_ids`` still pending as running, in one transaction, and return them in order."""
    claimed = []
    with catalog.transaction(db):
        for job_id in job_ids:
            cursor = db.execute("UPDATE jobs SET status = 'running', started_at = ?, reason = NULL WHERE id = ? AND status = 'pending'",
                                [catalog.now(), job_id])
            if cursor.rowcount:
                claimed.append(job_id)
    return [decode_job(db["jobs"].get(job_id)) for job_id in claimed]


def mark_done(db: sqlite_utils.Database, job_id: str, output: Path, provenance: dict) -> None:
    """Record a finished job; its output must already exist (written atomically by the caller)."""
    with catalog.transaction(db):
        mark_done_in_transaction(db, job_id, output, provenance)


def mark_done_in_transaction(db: sqlite_utils.Database, job_id: str, output: Path, provenance: dict) -> None:
    """:func:`mark_done` inside a transaction the caller holds (to commit other rows with it)."""
    if not Path(output).is_file():
        raise StorageError(f"job {job_id}: its output {output} was not written", hint="check free space in the out dir")
    db.execute(
        "UPDATE jobs SET status = 'done', output_path = ?, provenance = ?, finished_at = ?, reason = NULL WHERE id = ?",
        [str(output), json.dumps(provenance, sort_keys=True, default=str), catalog.now(), job_id],
    )


def mark_failed(db: sqlite_utils.Database, job_id: str, reason: str) -> None:
    with catalog.transaction(db):
        db.execute(
            "UPDATE jobs SET status = 'failed', reason = ?, finished_at = ? WHERE id = ?", [reason, catalog.now(), job_id]
        )


def batch_jobs(db: sqlite_utils.Database, batch_id: str) -> list[dict]:
    """Every job of a batch in plan order, JSON decoded."""
    return [decode_job(row) for row in db["jobs"].rows_where("batch_id = ?", [batch_id], order_by="position")]


def get_batch(db: sqlite_utils.Database, batch_id: str) -> dict:
    row = dict(db["batches"].get(batch_id))
    row["params"] = catalog.loads(row["params"], {})
    return row
