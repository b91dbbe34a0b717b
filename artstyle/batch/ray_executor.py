"""``--executor ray``: a batch's jobs (or a cache build's works) painted by actors on a Ray cluster.

Ray (Moritz et al. 2018) is the engine people already use to spread PyTorch
inference over GPUs, so artstyle brings no scheduler of its own: the driver
connects (``--ray-address``: unset starts a local Ray for this command,
``auto`` joins the cluster this machine belongs to, ``host:port`` or
``ray://host:port`` names one), starts one :class:`~artstyle.batch.ray_actor.Painter`
per GPU (``num_gpus=1``) or per ``cpus_per_actor`` CPUs, and keeps at most
``in_flight`` groups queued on each, so the object store holds only the
photos being painted. Everything else stays with the driver
(:mod:`artstyle.batch.executors`): it claims jobs, ships photo bytes and style
targets, and writes results and manifest rows exactly as the local loop does.

Faults. Actors restart (``max_restarts``) and Ray retries the call that was
running (``max_task_retries``); their calls write nothing, so a retry cannot
paint a job twice into the outputs. A group whose actor is gone for good is
sent to another actor, up to ``attempts`` times, then its jobs are recorded
as failed (and a rerun paints them). A driver killed outright leaves its
claimed jobs ``running``; the manifest turns them back into ``pending`` on
rerun. A cluster that cannot be reached raises :class:`NetworkError` from
:meth:`RayExecutor.start`, before any job is claimed.

Progress. Painters post their latest step to a :class:`~artstyle.batch.ray_actor.StepBoard`
actor; while the driver waits for results it reads the board every
``POLL_EVERY`` seconds and hands the lowest-numbered busy painter's step to
the batch's step callback (a step without its image).
"""

from __future__ import annotations

import logging
import socket
from collections import OrderedDict, deque
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import urlparse

from artstyle.batch.executors import Group, Outcome
from artstyle.batch.ray_actor import Painter, StepBoard, board_step, needed_targets, weights_payload
from artstyle.core.optimize import Step
from artstyle.errors import InputError, NetworkError, UsageError
from artstyle.files import sha256_bytes
from artstyle.settings import Settings
from artstyle.style.provider import TargetProvider

log = logging.getLogger(__name__)

INSTALL_HINT = "install the extra on the driver and on every node: pip install 'artstyle[ray]'"
CONNECT_TIMEOUT = 5.0  # seconds to wait for a named cluster's port before saying it cannot be reached
KEPT_REFS = 256  # photos and targets kept in the object store for reuse by later jobs
POLL_EVERY = 0.5  # seconds between the driver's reads of the painters' progress


def require_ray():
    """The ray module, or a UsageError (exit 2) that says how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError("--executor ray needs Ray, which is not installed", hint=INSTALL_HINT) from None
    return ray


def _probe(address: str) -> None:
    """Fail fast on a named address whose port does not answer (ray.init would retry for a long while)."""
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise UsageError(f"malformed --ray-address {address!r}", hint="use auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise NetworkError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc})",
                           hint="start it with `ray start --head` on that machine, or check --ray-address") from None


def connect(address: str | None) -> bool:
    """Join (or start) the cluster; True when this call initialised Ray, so closing should shut it down."""
    ray = require_ray()
    if ray.is_initialized():  # a notebook or a test already connected: use that
        return False
    if address and address != "auto":
        _probe(address)
    try:
        ray.init(address=address or "local", include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local Ray instance"
        raise NetworkError(f"cannot reach the Ray cluster at {where} ({exc})",
                           hint="start one with `ray start --head`, or leave --ray-address out to start a local one") from None
    return True


class RayExecutor:
    """Jobs painted on Ray actors; the driver keeps the catalog, manifest, cache and outputs."""

    name = "ray"

    def __init__(self, address: str | None = None, *, actors: int | None = None, cpus_per_actor: int = 1,
                 in_flight: int = 2, attempts: int = 3, max_restarts: int = 1,
                 on_state: Callable[[int, str, dict], None] | None = None) -> None:
        self.address, self.wanted, self.cpus = address, actors, max(1, cpus_per_actor)
        self.in_flight, self.attempts, self.max_restarts = max(1, in_flight), max(1, attempts), max_restarts
        self.on_state = on_state  # (actor index, state, details) for --verbose and for tests
        self.actors: list[Any] = []
        self.infos: list[dict] = []
        self.owns_ray = False
        self.refs: OrderedDict[str, Any] = OrderedDict()
        self.board: Any = None

    # ---- start and stop ----------------------------------------------------------------------

    def start(self, settings: Settings) -> None:
        """Connect, put the weights into the object store once, start the actors and wait until each answers."""
        ray = require_ray()
        self.owns_ray = connect(self.address)
        try:
            payload = ray.put(weights_payload(settings.weights))
            gpus = int(ray.cluster_resources().get("GPU", 0))
            count = self.wanted or gpus or max(1, int(ray.cluster_resources().get("CPU", 1)) // self.cpus)
            claim = {"num_gpus": 1, "num_cpus": 1} if gpus else {"num_cpus": self.cpus}
            remote = ray.remote(Painter).options(**claim, max_restarts=self.max_restarts, max_task_retries=self.max_restarts)
            self.actors = [remote.remote(payload, self.cpus) for _ in range(count)]
            self.board = ray.remote(StepBoard).options(num_cpus=0).remote()
            self.infos = ray.get([actor.info.remote() for actor in self.actors])
        except Exception:
            self.close()
            raise
        for index, info in enumerate(self.infos):
            self._state(index, "ready", info)

    def close(self) -> None:
        """Stop the actors, and Ray itself when :meth:`start` started or joined it for this run."""
        ray = require_ray()
        for actor in [*self.actors, *([self.board] if self.board is not None else [])]:
            ray.kill(actor, no_restart=True)
        self.actors, self.refs, self.board = [], OrderedDict(), None
        if self.owns_ray and ray.is_initialized():
            ray.shutdown()
        self.owns_ray = False

    def _state(self, index: int, state: str, details: dict) -> None:
        log.debug("ray actor %d (%s): %s %s", index, self.infos[index]["node"] if index < len(self.infos) else "?", state,
                  {k: v for k, v in details.items() if k != "node"})
        if self.on_state is not None:
            self.on_state(index, state, details)

    def painted_by(self, index: int) -> dict:
        info = self.infos[index]
        return {"executor": "ray", "node": info["node"], "host": info["host"], "actor": index, "device": info["device"]}

    # ---- the object store --------------------------------------------------------------------

    def _ref(self, key: str, make: Callable[[], Any]):
        """One object store entry per photo or target, reused while recent (bounded, so the store is not flooded)."""
        ray = require_ray()
        if key not in self.refs:
            self.refs[key] = ray.put(make())
            while len(self.refs) > KEPT_REFS:
                self.refs.popitem(last=False)
        self.refs.move_to_end(key)
        return self.refs[key]

    def _spec(self, prepared, provider: TargetProvider) -> dict:
        path = prepared.content_path
        targets = {key: self._ref(key, lambda value=value: value) for key, value in needed_targets(prepared, provider).items()}
        return {"content": self._ref(f"photo:{prepared.content_sha}", lambda: open(path, "rb").read()),
                "content_sha": prepared.content_sha, "content_path": path, "picks": prepared.picks, "opts": prepared.opts,
                "seed": prepared.seed, "request": prepared.request, "targets": targets}

    # ---- scheduling --------------------------------------------------------------------------

    def _submit_to(self, load: dict[int, int]) -> int | None:
        """The live actor with the fewest calls queued, if it has room for another."""
        free = [index for index, queued in load.items() if queued < self.in_flight]
        return min(free, key=lambda index: (load[index], index)) if free else None

    def _run(self, work: Iterable[Any], submit: Callable[[int, Any], Any], finish: Callable, lost: Callable,
             poll: Callable[[], None] | None = None) -> Iterator:
        """Keep every actor busy with at most ``in_flight`` calls; yield each call's outcomes as they arrive.

        ``submit(index, item)`` starts a call on actor ``index``; ``finish(index, item, answer)``
        and ``lost(item, reason)`` turn an answer, or a call that failed ``attempts``
        times, into outcomes. ``poll()``, if given, runs every ``POLL_EVERY`` seconds of waiting.
        """
        ray = require_ray()
        items, retry, running = iter(work), deque(), {}
        load = {index: 0 for index in range(len(self.actors))}
        exhausted = False
        while True:
            while (index := self._submit_to(load)) is not None and (retry or not exhausted):
                item, attempt = retry.popleft() if retry else (next(items, None), 1)
                if item is None:
                    exhausted = True
                    break
                running[submit(index, item)] = (index, item, attempt)
                load[index] += 1
                self._state(index, "busy", {"queued": load[index]})
            if not running:
                if not load and not exhausted:
                    raise NetworkError("every Ray actor died before the work was done",
                                       hint="check the cluster with `ray status`, then rerun the same command to resume")
                return
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_EVERY if poll else None)
            if poll is not None:
                poll()
            if not ready:
                continue
            index, item, attempt = running.pop(ready[0])
            if index in load:
                load[index] -= 1
            try:
                answer = ray.get(ready[0])
            except ray.exceptions.RayActorError as exc:
                yield from self._lost_actor(index, item, attempt, exc, load, retry, lost)
                continue
            self._state(index, "busy" if load.get(index) else "idle", {"queued": load.get(index, 0)})
            yield from finish(index, item, answer)

    def _lost_actor(self, index, item, attempt, exc, load, retry, lost) -> Iterator:
        """An actor died past its restarts: drop it, and send its call elsewhere or record it as lost."""
        self._state(index, "dead", {"error": type(exc).__name__})
        log.warning("a Ray actor on %s died (%s); its jobs go to another actor", self.infos[index]["node"], type(exc).__name__)
        load.pop(index, None)  # nothing more goes to it; calls still queued on it come back through here
        if attempt < self.attempts and load:
            retry.append((item, attempt + 1))
        else:
            yield from lost(item, f"ActorDiedError: the Ray actor painting it died {attempt} time(s)")

    # ---- batch -------------------------------------------------------------------------------

    def paint(self, groups: Iterable[Group], settings: Settings, provider: TargetProvider,
              callback: Callable[[Step], None] | None = None) -> Iterator[Outcome]:
        """Paint each group on an actor; ``callback`` sees the painters' steps (without images) as they post them."""
        def submit(index: int, group: Group):
            board = self.board if callback is not None else None
            return self.actors[index].paint.remote([self._spec(prepared, provider) for _, prepared in group], board, index)

        def finish(index: int, group: Group, painted: Sequence[tuple]):
            for (job, _), (result, losses, reason) in zip(group, painted):
                yield Outcome(job, result, losses, reason, self.painted_by(index))

        def lost(group: Group, reason: str):
            for job, _ in group:
                yield Outcome(job, None, [], reason, {"executor": "ray", "node": "?"})

        yield from self._run(groups, submit, finish, lost, poll=(lambda: self._progress(callback)) if callback else None)

    def _progress(self, callback: Callable[[Step], None]) -> None:
        """Hand the lowest-numbered painter's latest posted step to ``callback`` (progress is best effort)."""
        ray = require_ray()
        try:
            posted = ray.get(self.board.take.remote())
        except ray.exceptions.RayError:
            log.debug("the progress board did not answer", exc_info=True)
            return
        if posted:
            callback(board_step(posted[min(posted)]))

    # ---- cache build -------------------------------------------------------------------------

    def style_targets(self, net, sources: Sequence, config, batch_size: int) -> Iterator[tuple]:
        """``cache build``'s computation on the actors -> (source, targets, palette, reason) per source."""
        readable = []
        for source in sources:
            data = _style_bytes(source)
            if data is None:
                yield source, None, None, _read_error(source)
            else:
                readable.append((source, data))
        chunks = [readable[start:start + batch_size * 4] for start in range(0, len(readable), batch_size * 4)]

        def submit(index: int, chunk):
            return self.actors[index].style_targets.remote([(str(s.path), data) for s, data in chunk], config, batch_size)

        def finish(index: int, chunk, answers):
            for (source, _), (targets, palette, reason) in zip(chunk, answers):
                yield source, targets, palette, reason

        def lost(chunk, reason: str):
            for source, _ in chunk:
                yield source, None, None, reason

        yield from self._run(chunks, submit, finish, lost)


def _style_bytes(source) -> bytes | None:
    """A style image's bytes if they are still the ones the catalog names, else None."""
    try:
        data = source.path.read_bytes()
    except OSError:
        return None
    return data if sha256_bytes(data) == source.sha256 else None


def _read_error(source) -> str:
    """Why a style image cannot be used, in the words ``cache build`` uses locally."""
    try:
        source.read()
    except InputError as exc:
        return exc.message
    return f"style image {source.path} changed while it was read"
