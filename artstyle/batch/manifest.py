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

A row that does not decode (a request that is not JSON or not a style
request, an unknown status) is damage from outside: it is named in one
StorageError and left exactly as it is, never repaired or replaced, since
guessing what it meant could redo or lose paintings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import sqlite_utils

from artstyle.corpus import catalog
from artstyle.batch.plan import Job
from artstyle.errors import StorageError, UsageError
from artstyle.paint.request import StyleRequest

STATUSES = ("pending", "running", "done", "failed")
SHOWN_PHOTOS = 3  # a refusal names at most this many photos of each kind, then counts the rest
DAMAGE_HINT = ("artstyle leaves the catalog as it is: paint into another --out to start the batch afresh, "
               "or restore catalog.db from a backup")


def _job_row(batch_id: str, job: Job) -> dict:
    return {
        "id": job.id, "batch_id": batch_id, "position": job.position, "input_path": str(job.input_path),
        "input_sha256": job.input_sha256, "request": catalog.dumps(job.request.as_dict()),
        "repeat": job.repeat, "seed": job.seed, "status": "pending",
    }


def _check_out_dir(db: sqlite_utils.Database, batch_id: str, out_dir: Path, params: dict, jobs: Sequence[Job]) -> None:
    """Refuse to mix two different batches' files in one folder, saying what differs from the one there."""
    other = db.execute(
        "SELECT id, params FROM batches WHERE out_dir = ? AND id != ? ORDER BY created_at DESC LIMIT 1", [str(out_dir), batch_id]
    ).fetchone()
    if other and out_dir.is_dir() and any(out_dir.iterdir()):
        recorded = _json(db, f"batch {other[0]}", "parameters", other[1], {})
        photos = dict(db.execute("SELECT DISTINCT input_path, input_sha256 FROM jobs WHERE batch_id = ?", [other[0]]).fetchall())
        as_recorded = json.loads(catalog.dumps(params))  # tuples become lists, as in the recorded row
        differences = param_differences(recorded, as_recorded) + photo_differences(photos, {str(j.input_path): j.input_sha256 for j in jobs})
        raise UsageError(
            f"{out_dir} already holds batch {other[0]}, made with other inputs or options"
            + (": " + "; ".join(differences) if differences else ""),
            hint="choose another --out, or rerun with the same inputs and options to resume that batch",
        )


def _request_label(request: dict) -> str:
    values = request.get("values") or [request.get("value")]
    return f"{request.get('kind')} {', '.join(map(str, values))}"


def _shown(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def _changed(name: str, old: dict, new: dict) -> list[str]:
    missing = object()
    was, now = old.get(name, missing), new.get(name, missing)
    if was == now:
        return []
    return [f"{name} {'(not set)' if now is missing else _shown(now)} (was {'not set' if was is missing else _shown(was)})"]


def param_differences(old: dict, new: dict) -> list[str]:
    """What differs between two batches' parameters, in words: requests added or removed, then each changed value."""
    old_requests = [_request_label(r) for r in old.get("requests", [])]
    new_requests = [_request_label(r) for r in new.get("requests", [])]
    found = [f"requests {how}: {', '.join(labels)}" for how, labels in (
        ("added", [r for r in new_requests if r not in old_requests]), ("removed", [r for r in old_requests if r not in new_requests]),
    ) if labels]
    plain = sorted((set(old) | set(new)) - {"requests", "options"})
    found += [line for name in plain for line in _changed(name, old, new)]
    old_options, new_options = old.get("options") or {}, new.get("options") or {}
    return found + [line for name in sorted(set(old_options) | set(new_options)) for line in _changed(name, old_options, new_options)]


def _few(paths: list[str]) -> str:
    more = f" and {len(paths) - SHOWN_PHOTOS} more" if len(paths) > SHOWN_PHOTOS else ""
    return ", ".join(paths[:SHOWN_PHOTOS]) + more


def photo_differences(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Photos (path -> sha256) added, removed, or whose bytes changed at the same path."""
    kinds = (
        ("added", sorted(set(new) - set(old))), ("removed", sorted(set(old) - set(new))),
        ("changed", sorted(p for p in set(old) & set(new) if old[p] != new[p])),
    )
    return [f"photos {how}: {_few(paths)}" for how, paths in kinds if paths]


def _catalog_file(db: sqlite_utils.Database) -> str | None:
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] if row and row[2] else None


def _damaged(what: str, problem: str, db: sqlite_utils.Database | None = None) -> StorageError:
    where = f" in {_catalog_file(db)}" if db is not None and _catalog_file(db) else ""
    return StorageError(f"the batch manifest{where} is damaged: {what}: {problem}", hint=DAMAGE_HINT)


def _json(db, what: str, column: str, text, default):
    try:
        return catalog.loads(text, default)
    except (ValueError, TypeError):
        raise _damaged(what, f"its {column} is not valid JSON", db) from None


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
    """Create the batch, or resume it: unfinished jobs become pending again. Returns counts by status.

    Every existing row of the batch is decoded first, so a damaged one stops
    the run (StorageError) before anything is changed.
    """
    out_dir = Path(out_dir).resolve()
    with catalog.transaction(db):
        _check_out_dir(db, batch_id, out_dir, params, jobs)
        batch_jobs(db, batch_id)  # decodes every row: raises on damage, before any write
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


def decode_job(row: dict, db: sqlite_utils.Database | None = None) -> dict:
    """A jobs row with its JSON columns decoded; StorageError naming the job when it is damaged (``db`` names the file)."""
    row = dict(row)
    what = f"job {row.get('id')}"
    if row.get("status") not in STATUSES:
        raise _damaged(what, f"its status {row.get('status')!r} is not one of {', '.join(STATUSES)}", db)
    row["request"] = _json(db, what, "request", row.get("request"), {})
    try:
        StyleRequest.from_dict(row["request"])
    except (KeyError, TypeError, AttributeError, UsageError) as exc:
        raise _damaged(what, f"its request is not a style request ({exc})", db) from None
    row["provenance"] = _json(db, what, "provenance", row.get("provenance"), None)
    if row["provenance"] is not None and not isinstance(row["provenance"], dict):
        raise _damaged(what, "its provenance is not a JSON object", db)
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
    return decode_job(db["jobs"].get(row[0]), db)


def pending_jobs(db: sqlite_utils.Database, batch_id: str) -> list[dict]:
    """The batch's pending jobs in plan order (not claimed: see :func:`claim_jobs`)."""
    return [decode_job(row, db) for row in db.query("SELECT * FROM jobs WHERE batch_id = ? AND status = 'pending' ORDER BY position", [batch_id])]


def claim_jobs(db: sqlite_utils.Database, job_ids: Sequence[str]) -> list[dict]:
    """Mark those of ``job_ids`` still pending as running, in one transaction, and return them in order."""
    claimed = []
    with catalog.transaction(db):
        for job_id in job_ids:
            cursor = db.execute("UPDATE jobs SET status = 'running', started_at = ?, reason = NULL WHERE id = ? AND status = 'pending'",
                                [catalog.now(), job_id])
            if cursor.rowcount:
                claimed.append(job_id)
    return [decode_job(db["jobs"].get(job_id), db) for job_id in claimed]


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
    return [decode_job(row, db) for row in db["jobs"].rows_where("batch_id = ?", [batch_id], order_by="position")]


def get_batch(db: sqlite_utils.Database, batch_id: str) -> dict:
    row = dict(db["batches"].get(batch_id))
    row["params"] = _json(db, f"batch {batch_id}", "parameters", row["params"], {})
    return row
