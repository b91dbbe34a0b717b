"""Executors: who paints a batch's prepared jobs. One interface, the local loop here, Ray beside it.

The driver (the process running ``artstyle batch``) owns the catalog, the
manifest, the style cache and the out folder: it plans and claims jobs, draws
their works (:func:`artstyle.paint.pipeline.prepare`), and hands groups of
prepared jobs that share one :func:`~artstyle.paint.pipeline.batch_key` to an
executor. The executor paints them and yields one :class:`Outcome` per job;
the driver writes each image atomically and marks its job done (or failed),
whichever executor painted it, so resume, failure records, gallery and
provenance do not depend on where the pixels were made.

- :class:`LocalExecutor` is the loop ``batch`` always ran: each group is one
  :func:`~artstyle.paint.pipeline.run_jobs` call in this process.
- :class:`artstyle.batch.ray_executor.RayExecutor` runs the same
  :func:`paint_or_split` on Ray actors that keep the network warm.

:func:`make_executor` turns ``--executor`` and ``--ray-address`` into one.
"""

from __future__ import annotations

import logging
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from artstyle.core.optimize import Step
from artstyle.core.device import resolve_device
from artstyle.errors import OptimizationError
from artstyle.paint import PaintResult, run_jobs
from artstyle.paint.output import write_painting
from artstyle.paint.pipeline import Job as Prepared
from artstyle.settings import Settings
from artstyle.style.build import local_targets
from artstyle.style.provider import CachedTargets, TargetProvider

log = logging.getLogger(__name__)

Group = Sequence[tuple[dict, Prepared]]  # (jobs row, prepared job) of one batch_key


class ExecutorChoice(str, Enum):
    """``--executor``: this process, or actors on a Ray cluster."""

    local = "local"
    ray = "ray"


@dataclass
class Outcome:
    """One job's result as an executor hands it back to the driver: painted, or failed with a reason."""

    job: dict
    result: PaintResult | None
    losses: list[float] = field(default_factory=list)
    reason: str | None = None
    painted_by: dict = field(default_factory=dict)  # {"executor", "node", "actor"?}: also recorded in provenance

    @property
    def node(self) -> str:
        return str(self.painted_by.get("node", "?"))


class Executor(Protocol):
    """Paints groups of prepared jobs; the driver writes what it yields.

    ``start(settings)`` gets ready (for Ray: connects and starts actors) and
    raises before the driver claims any job; ``paint`` may pull groups ahead
    of the results it yields (bounded) and yields one Outcome per job;
    ``close()`` releases what ``start`` took.
    """

    name: str

    def start(self, settings: Settings) -> None: ...

    def paint(self, groups: Iterable[Group], settings: Settings, provider: TargetProvider,
              callback: Callable[[Step], None] | None = None) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


def reason_of(exc: BaseException) -> str:
    """The one-line reason a failed job records."""
    return f"{exc.__class__.__name__}: {exc}"


def _recorder(losses: list[float], callback):
    def on_step(step: Step) -> None:
        losses.append(float(step.loss))
        if callback is not None:
            callback(step)

    return on_step


def paint_or_split(jobs: Sequence[Prepared], settings: Settings, provider: TargetProvider,
                   callback: Callable[[Step], None] | None = None) -> list[tuple[PaintResult | None, list[float], str | None]]:
    """Paint jobs together (one batch tensor); if that fails, one at a time, so only a failing job fails.

    Returns (result or None, losses, reason or None) per job, in order. Runs in
    the driver (local) or in an actor (Ray): it writes nothing.
    """
    losses: list[list[float]] = [[] for _ in jobs]
    try:
        results = run_jobs(list(jobs), settings, provider, [_recorder(ls, callback) for ls in losses])
        return [(result, job_losses, None) for result, job_losses in zip(results, losses)]
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded and the batch goes on
        log.debug("painting %d job(s) failed", len(jobs), exc_info=True)
        if len(jobs) == 1:
            return [(None, [], reason_of(exc))]
        log.info("a batch of %d failed (%s): painting its jobs one at a time", len(jobs), reason_of(exc))
    return [outcome for job in jobs for outcome in paint_or_split([job], settings, provider, callback)]


def local_node() -> dict:
    return {"executor": "local", "node": socket.gethostname()}


class LocalExecutor:
    """Today's loop: each group painted in this process, in the order it was claimed."""

    name = "local"

    def start(self, settings: Settings) -> None:
        """Nothing to start: the network loads (once per process) when the first job is prepared."""

    def paint(self, groups: Iterable[Group], settings: Settings, provider: TargetProvider,
              callback: Callable[[Step], None] | None = None) -> Iterator[Outcome]:
        here = local_node()
        for group in groups:
            painted = paint_or_split([prepared for _, prepared in group], settings, provider, callback)
            for (job, _), (result, losses, reason) in zip(group, painted):
                yield Outcome(job, result, losses, reason, dict(here))

    def close(self) -> None:
        """Nothing to release."""

    style_targets = staticmethod(local_targets)  # ``cache build``'s computation, in this process


def paint_prepared(executor: Executor, jobs: Sequence[Prepared], settings: Settings) -> list[PaintResult]:
    """Paint prepared single requests (an experiment's points) on a started executor; write each here, in order.

    Each job is its own group, so the points spread over the actors; a point
    that fails raises, as ``paint`` does.
    """
    groups = [[({"index": index}, job)] for index, job in enumerate(jobs)]
    provider = CachedTargets(settings, resolve_device(settings.device))
    results: dict[int, PaintResult] = {}
    for outcome in executor.paint(groups, settings, provider):
        if outcome.result is None:
            raise OptimizationError(f"painting failed on {outcome.node}: {outcome.reason}", hint="rerun with --verbose for details")
        job, record = jobs[outcome.job["index"]], outcome.result.provenance
        record["painted_by"] = outcome.painted_by
        write_painting(settings, job, outcome.result.image, record)
        results[outcome.job["index"]] = PaintResult(outcome.result.image, record, job.picks, job.output)
    return [results[index] for index in range(len(jobs))]


@contextmanager
def running(executor: Executor, settings: Settings) -> Iterator[Executor]:
    """The executor started (raising before any work when it cannot be), closed on the way out."""
    executor.start(settings)
    try:
        yield executor
    finally:
        executor.close()


def make_executor(choice: ExecutorChoice | str = ExecutorChoice.local, ray_address: str | None = None, **ray_options) -> Executor:
    """The executor ``--executor`` names; ``ray`` raises a UsageError (exit 2) when Ray is not installed."""
    if ExecutorChoice(choice) is ExecutorChoice.local:
        return LocalExecutor()
    from artstyle.batch.ray_executor import RayExecutor, require_ray

    require_ray()
    return RayExecutor(address=ray_address, **ray_options)
