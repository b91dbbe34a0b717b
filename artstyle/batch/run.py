"""``run_batch()``: many photos painted after many style requests, resumable, ending in a gallery.

The batch form of Mu & Francl's (2015) whole-artist imitation: each painting
of a photo is made after a freshly drawn work of the artist (a per-job seed
draws it), so ``--per-photo 3`` shows three faces of one artist. The plan
comes from :mod:`artstyle.batch.plan`, the manifest that makes a rerun
resume from :mod:`artstyle.batch.manifest`, each painting from
:func:`artstyle.paint.pipeline.paint` (Gatys et al. 2015) and the contact sheet and
``index.html`` from :mod:`artstyle.batch.gallery`.

What the batch shares across jobs: the VGG-19 (``load_feature_net`` is
memoised per process, so it loads once for the whole batch) and the style
targets, which go through the style cache (:mod:`artstyle.style.provider`):
a work drawn again for the same photo costs no forward pass. Photos that paint at
the same size are claimed together, up to ``batch_size`` (by default
:func:`artstyle.core.speed.auto_batch_size`: on a CPU one 512x384 image's worth of
pixels, on a GPU as many as fit),
and optimised as one batch tensor (:func:`artstyle.paint.pipeline.run_jobs`); each keeps
its own works, seed and L-BFGS history, so it comes out as it would alone. If a
batch fails, its jobs are painted one at a time so only the failing one is
marked failed.

Each job's output is written atomically (image with provenance, then its
sidecar) and the job is marked done, together with its ``runs`` row, in one
transaction after the files exist. A failing job is recorded with its reason
and the batch goes on.

What is checked before anything is written (no out folder, no manifest row):
the inputs, the options, the out folder, and every style request
(:func:`artstyle.batch.plan.check_requests`), so a typo in an artist's name
is one error, not a folder of failed jobs. A rerun first sweeps the ``.part``
files that killed writers left in the out folder. A photo that cannot be read
is a failed job like any other; the gallery shows a stand-in tile saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import sqlite_utils
from PIL import Image, ImageDraw

from artstyle import names
from artstyle.corpus import catalog
from artstyle.batch import manifest
from artstyle.batch.executors import Executor, LocalExecutor, Outcome
from artstyle.batch.plan import Job, batch_id, check_requests, expand_inputs, hash_photos, job_seed, plan_jobs, style_requests
from artstyle.style.provider import CachedTargets, UncachedTargets
from artstyle.core.device import resolve_device
from artstyle.errors import InputError, StorageError, UsageError
from artstyle.batch.gallery import Entry, Work, write_gallery
from artstyle.files import SAVE_FORMATS, inside, load_image, save_image, sweep_parts
from artstyle.core.optimize import Step
from artstyle.paint import PaintOptions
from artstyle.paint import PaintResult, batch_key, prepare
from artstyle.paint import StyleRequest
from artstyle.paint.provenance import record_run, sidecar_path, write_outputs
from artstyle.settings import Settings
from artstyle.core.speed import auto_batch_size
from artstyle.core.images import painted_size

log = logging.getLogger(__name__)

STAND_IN = 128  # px, side of the tile shown in the gallery for a photo that cannot be read


@dataclass
class BatchReport:
    """What a batch run did: counts, the failed jobs with their reasons, and where the gallery is."""

    batch_id: str
    out_dir: Path
    total: int
    done: int
    resumed: int  # jobs already done before this run
    failed: list[dict] = field(default_factory=list)  # jobs rows (input_path, request, reason...)
    gallery: Path | None = None
    contact_sheet: Path | None = None
    nodes: dict[str, int] = field(default_factory=dict)  # node -> jobs it painted in this run


def _slug(text: str) -> str:
    return names.slug(text, max_length=40, fallback="style")


def output_path(out_dir: Path, job: dict) -> Path:
    """``<photo stem>.<request>.<repeat>.<job id prefix>.png``: readable, and unique per job."""
    request = StyleRequest.from_dict(job["request"])
    return Path(out_dir) / f"{Path(job['input_path']).stem}.{_slug(request.label)}.{job['repeat']}.{job['id'][:8]}.png"


def _finish_job(db: sqlite_utils.Database, job: dict, output: Path, record: dict) -> None:
    """Mark the job done and record its run in one transaction, once its files exist."""
    with catalog.transaction(db):
        manifest.mark_done_in_transaction(db, job["id"], output, record)
        # record_run's own `with db.conn` commits this whole transaction: the jobs row and the runs row together
        record["run_id"] = record_run(db, record)


def _prepare_job(db, settings: Settings, job: dict, opts: PaintOptions, offline: bool, base_seed: int = 0):
    """The job's validated paint request with its works drawn (paint.prepare), not yet painted.

    The repeats of one photo and request share a draw seed, so they draw distinct works.
    """
    request = StyleRequest.from_dict(job["request"])
    draw_seed = job_seed(base_seed, job["input_sha256"], request, -1)
    return prepare(job["input_path"], request=request, options=opts, settings=settings, seed=job["seed"], offline=offline,
                   repeat=job["repeat"], draw_seed=draw_seed)


def _inside(out_dir: Path, path: Path) -> Path:
    """``path`` as given, once :func:`artstyle.files.inside` has checked it resolves under ``out_dir``."""
    inside(out_dir, path)
    return path


def _write_job(db, job: dict, out_dir: Path, result: PaintResult, losses: list[float], painted_by: dict | None = None) -> None:
    """Write the job's image and sidecar atomically, then mark it done with its runs row."""
    output = _inside(out_dir, output_path(out_dir, job))
    record = result.provenance
    if painted_by:
        record["painted_by"] = painted_by  # which executor, node (and actor) made the pixels
    record.update(output=str(output), sidecar=str(sidecar_path(output)))
    record["batch"] = {"id": job["batch_id"], "job": job["id"], "request": job["request"], "repeat": job["repeat"], "losses": losses}
    write_outputs(result.image, output, record)
    _finish_job(db, job, output, record)


def _record(db, outcome: Outcome, out_dir: Path) -> None:
    """What the driver does with each executor outcome: write it and mark it done, or record why it failed."""
    job = outcome.job
    if outcome.result is None:
        _fail_with(db, job, outcome.reason or "unknown failure")
        return
    try:
        _write_job(db, job, out_dir, outcome.result, outcome.losses, outcome.painted_by)
        job["status"] = "done"
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded and the batch goes on
        _fail(db, job, exc)


def _fail(db, job: dict, exc: BaseException) -> None:
    log.debug("job %s failed", job["id"], exc_info=True)
    _fail_with(db, job, _reason(exc))


def _fail_with(db, job: dict, reason: str) -> None:
    log.warning("%s (%s) failed: %s", Path(job["input_path"]).name, job["request"]["value"], reason)
    manifest.mark_failed(db, job["id"], reason)
    job.update(status="failed", reason=reason)


def _by_batch_key(prepared: list[tuple[dict, object]]) -> list[list[tuple[dict, object]]]:
    """Split prepared jobs into groups that can share one batch tensor (paint.batch_key)."""
    groups: dict = {}
    for job, ready in prepared:
        groups.setdefault(batch_key(ready), []).append((job, ready))
    return list(groups.values())


class _PaintedShapes:
    """Each photo's painted size at ``--size``, read once per run; an unreadable photo gets a key of its own."""

    def __init__(self, size: int) -> None:
        self.size, self.known = size, {}

    def __call__(self, path: str) -> tuple:
        if path not in self.known:
            try:
                self.known[path] = painted_size(load_image(path).size, self.size)
            except Exception:  # noqa: BLE001 - it fails, with its reason, when its job runs alone
                self.known[path] = ("unreadable", path)
        return self.known[path]


def _claim_group(db, bid: str, shapes: _PaintedShapes, size: int) -> list[dict]:
    """Claim the next pending job and up to ``size - 1`` more whose photos paint at the same size."""
    while pending := manifest.pending_jobs(db, bid):
        first = pending[0]
        chosen = [first]
        if size > 1:
            chosen += [job for job in pending[1:] if shapes(job["input_path"]) == shapes(first["input_path"])][: size - 1]
        if claimed := manifest.claim_jobs(db, [job["id"] for job in chosen]):
            return claimed  # else another run claimed them first: look again
    return []


def _reason(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"


def batch_params(requests: Sequence[StyleRequest], per_photo: int, seed: int, opts: PaintOptions, settings: Settings, offline: bool) -> dict:
    """What decides a batch's paintings; the batch id hashes it, so changing any of it starts a new batch."""
    return {
        "requests": [r.as_dict() for r in requests], "per_photo": per_photo, "seed": seed,
        "options": opts.as_dict(), "weights": settings.weights, "offline": offline,
    }


def plan_batch(inputs, requests, per_photo: int, seed: int, out_dir: Path, params: dict) -> tuple[str, list[Job]]:
    photos = hash_photos(expand_inputs(inputs))
    bid = batch_id(out_dir, params, photos)
    return bid, plan_jobs(bid, photos, requests, per_photo, seed)


def check_out_dir(out_dir: Path) -> None:
    """The out folder may be absent (it is made) or a folder; anything else is refused before any work."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file, not a folder", hint="give a folder for the paintings and the gallery")


def sweep_out_dir(out_dir: Path) -> int:
    """Remove the ``.part`` files that dead writers left in the out folder and its subfolders; return how many."""
    folders = [out_dir, *(p for p in out_dir.rglob("*") if p.is_dir())] if out_dir.is_dir() else []
    removed = sum(sweep_parts(folder) for folder in folders)
    if removed:
        log.info("removed %d half-written files left by an interrupted run in %s", removed, out_dir)
    return removed


def run_batch(
    inputs: Sequence[str | Path],
    *,
    out_dir: Path | str,
    like: Sequence[str] = (),
    blend: Sequence[str] = (),
    work: Sequence[str] = (),
    style_images: Sequence[str | Path] = (),
    per_photo: int = 1,
    seed: int = 0,
    options: PaintOptions | None = None,
    settings: Settings | None = None,
    batch_size: int | None = None,
    offline: bool = False,
    use_cache: bool = True,
    on_plan: Callable[[int, int], None] | None = None,
    on_job_start: Callable[[dict], None] | None = None,
    callback: Callable[[Step], None] | None = None,
    on_job_end: Callable[[dict], None] | None = None,
    executor: Executor | None = None,
    **option_overrides,
) -> BatchReport:
    """Paint every input after every style request ``per_photo`` times into ``out_dir``; rerun to resume.

    ``on_plan(total, already_done)`` is called once, ``on_job_start(job)`` and
    ``on_job_end(job)`` around each job (``job["status"]`` is then ``done`` or
    ``failed``), and ``callback(step)`` on every optimisation step (local
    executor only). ``executor`` paints the prepared jobs (default: this
    process, :class:`~artstyle.batch.executors.LocalExecutor`); it is started
    before any job is claimed, and this driver writes everything either way.
    """
    settings = settings or Settings.from_env()
    opts = (options or PaintOptions()).with_overrides(**option_overrides)
    if batch_size is not None and batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, not {batch_size}", hint="use e.g. --batch-size 4, or leave it out to choose by device")
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    requests = style_requests(like=like, blend=blend, work=work, image=style_images)
    params = batch_params(requests, per_photo, seed, opts, settings, offline)
    bid, jobs = plan_batch(inputs, requests, per_photo, seed, out_dir, params)
    check_requests(settings, requests, seed, offline)  # before the manifest rows and the out folder exist
    executor = executor or LocalExecutor()
    executor.start(settings)  # a cluster that cannot be reached fails here, before any job is claimed
    nodes: dict[str, int] = {}
    try:
        db = catalog.open_catalog(settings.catalog_path)
        counts = manifest.open_batch(db, bid, params, out_dir, jobs)
        sweep_out_dir(out_dir)
        if on_plan is not None:
            on_plan(len(jobs), counts["done"])
        device = resolve_device(settings.device)
        # One provider for the whole batch, so every job shares its cache handle and device memory.
        provider = CachedTargets(settings, device) if use_cache else UncachedTargets(device)
        size = batch_size or auto_batch_size(device, opts.size)
        groups = _prepared_groups(db, settings, bid, _PaintedShapes(opts.size), size, opts, offline, seed, on_job_start, on_job_end)
        for outcome in executor.paint(groups, settings, provider, callback):
            _record(db, outcome, out_dir)
            if outcome.job.get("status") == "done":
                nodes[outcome.node] = nodes.get(outcome.node, 0) + 1
            if on_job_end is not None:
                on_job_end(outcome.job)
    finally:
        executor.close()
    report = finish_batch(db, bid, out_dir, params, resumed=counts["done"])
    report.nodes = nodes
    return report


def _prepared_groups(db, settings: Settings, bid: str, shapes: _PaintedShapes, size: int, opts: PaintOptions, offline: bool,
                     seed: int, on_job_start, on_job_end) -> Iterator[list[tuple[dict, object]]]:
    """Claim jobs as the executor asks for them, draw their works, and hand them over in groups of one batch key."""
    while group := _claim_group(db, bid, shapes, size):
        prepared = []
        for job in group:
            job["together"] = len(group)
            if on_job_start is not None:
                on_job_start(job)
            try:
                prepared.append((job, _prepare_job(db, settings, job, opts, offline, seed)))
            except Exception as exc:  # noqa: BLE001 - a failing job is recorded and the batch goes on
                _fail(db, job, exc)
                if on_job_end is not None:
                    on_job_end(job)
        yield from _by_batch_key(prepared)


def _stand_in(out_dir: Path, row: dict) -> Path:
    """A tile that says the job's photo cannot be read, under the photo's own name, for the gallery to show instead."""
    name = Path(row["input_path"]).name
    path = _inside(out_dir, out_dir / "unreadable" / row["id"] / (name if Path(name).suffix.lower() in SAVE_FORMATS else f"{name}.png"))
    if not path.is_file():
        tile = Image.new("RGB", (STAND_IN, STAND_IN), (235, 235, 235))
        ImageDraw.Draw(tile).text((8, STAND_IN // 2 - 12), "photo cannot\nbe read", fill=(160, 0, 0))
        save_image(tile, path)
    return path


def _shown_photo(out_dir: Path, row: dict, readable: dict[str, bool]) -> Path:
    """The photo a gallery entry shows: the input itself, or a stand-in when it cannot be read."""
    path = row["input_path"]
    if row["status"] != "done" and path not in readable:  # a done job's photo was read when it was painted
        try:
            load_image(path)
            readable[path] = True
        except InputError:
            readable[path] = False
    return Path(path) if readable.get(path, True) else _stand_in(out_dir, row)


def gallery_entries(db: sqlite_utils.Database, rows: Sequence[dict], out_dir: Path | None = None) -> list[Entry]:
    """Gallery entries for jobs rows, with each work's WikiArt page looked up in the catalog.

    With ``out_dir``, a failed job whose photo cannot be read shows a stand-in
    tile made there (:func:`_stand_in`), so the gallery never has to open it.
    """
    entries, readable = [], {}
    for row in rows:
        record = row.get("provenance") or {}
        works = [_gallery_work(db, w) for w in record.get("works", [])]
        losses = (record.get("batch") or {}).get("losses", [])
        output = Path(row["output_path"]) if row.get("output_path") else None
        request = StyleRequest.from_dict(row["request"])
        content = _shown_photo(out_dir, row, readable) if out_dir is not None else Path(row["input_path"])
        entries.append(Entry(
            job_id=row["id"], content=content, request=f"{request.kind} {request.label}",
            seed=row["seed"], status=row["status"], output=output, reason=row.get("reason"), works=works, losses=losses,
            provenance=record,
        ))
    return entries


def _gallery_work(db: sqlite_utils.Database, work: dict) -> Work:
    page_url = None
    if db["works"].exists() and not str(work["id"]).startswith("file:"):
        row = db.execute("SELECT page_url FROM works WHERE id = ?", [work["id"]]).fetchone()
        page_url = row[0] if row else None
    return Work(work["id"], work.get("title"), work.get("artist"), page_url, Path(work["path"]) if work.get("path") else None, work.get("weight", 1.0))


def _gallery_params(params: dict) -> dict:
    flat = {k: v for k, v in params.items() if k != "options"}
    flat["requests"] = ", ".join(f"{r['kind']} {r['value']}" for r in params.get("requests", []))
    return {**flat, **params.get("options", {})}


def finish_batch(db: sqlite_utils.Database, bid: str, out_dir: Path, params: dict, resumed: int = 0) -> BatchReport:
    """Write the gallery and contact sheet for every job of the batch, and report."""
    rows = manifest.batch_jobs(db, bid)
    index = write_gallery(out_dir, f"artstyle batch {bid}", _gallery_params(params), gallery_entries(db, rows, out_dir))
    failed = [r for r in rows if r["status"] != "done"]
    return BatchReport(
        batch_id=bid, out_dir=out_dir, total=len(rows), done=len(rows) - len(failed), resumed=resumed,
        failed=failed, gallery=index, contact_sheet=out_dir / "contact_sheet.png",
    )

