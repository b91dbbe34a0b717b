"""What runs inside a Ray actor, and what the driver sends it: the network's weights and the style targets.

An actor (:class:`Painter`) gets no catalog, no style cache and no out folder:
the driver (:mod:`artstyle.batch.ray_executor`) sends it everything a job
needs through Ray's object store, and writes what comes back. The network is
loaded once per actor from one weights payload the driver puts into the store
once: the checked features-only state dict (safetensors bytes), or for
``--weights random`` just the seed, which the actor expands and checks
against the driver's state hash. Style targets are computed by the driver
through its style cache (:func:`needed_targets`, the same calls
:func:`artstyle.paint.pipeline.paint_together` makes), put into the store
once per work and configuration, and served on the actor by
:class:`ShippedTargets`, a :class:`~artstyle.style.provider.TargetProvider`.
So an actor paints from exactly the tensors the local path paints from.

Progress travels the other way through a :class:`StepBoard`, a small actor
that holds each painter's latest step (the counters, never the image): a
painter posts to it at most every ``POST_EVERY`` seconds, and the driver reads
it while it waits for results, so the per-iteration bar moves on a cluster too.

Importing this module does not import Ray; the actor class is made remote by
the executor.
"""

from __future__ import annotations

import os
import socket
import time
from collections import OrderedDict
from typing import Any, Callable

import torch
from torch import Tensor

from artstyle.batch.executors import paint_or_split, reason_of
from artstyle.batch.plan import stable_hash
from artstyle.core.color import ColorMode
from artstyle.core.features import RANDOM_SEED, FeatureNet, random_state, state_dict_hash, weights_state
from artstyle.core.images import image_to_tensor
from artstyle.core.optimize import Step
from artstyle.corpus.sampler import StylePick
from artstyle.errors import InputError, WeightsError
from artstyle.files import decode_image
from artstyle.paint.pipeline import Job as Prepared
from artstyle.paint.stages import scale_plan
from artstyle.settings import Settings
from artstyle.style.config import TargetConfig, exact_stats
from artstyle.style.provider import TargetProvider
from artstyle.style.sources import Targets, grouped_style_targets, own_palette
from artstyle.style.targets import color_stats, prepare_style

KEPT_TARGETS = 64  # style targets an actor keeps between calls (about 2.4 MB each at the default layers)
POST_EVERY = 0.25  # seconds between a painter's progress posts (a job's planned last step is always posted)


# ---- the weights payload ---------------------------------------------------------------------


def weights_payload(weights: str) -> dict[str, Any]:
    """What an actor needs to build the driver's network: the random seed, or the state dict's bytes."""
    state, identity = weights_state(weights)
    payload = {"identity": identity, "state_hash": state_dict_hash(state)}
    if identity.startswith("random:"):
        return {**payload, "random_seed": RANDOM_SEED}
    from safetensors.torch import save

    return {**payload, "state": save(state)}


def payload_state(payload: dict[str, Any]) -> dict[str, Tensor]:
    """The state dict of a payload, checked against the driver's hash (a different torch could differ)."""
    if "random_seed" in payload:
        state = random_state(payload["random_seed"])
    else:
        from safetensors.torch import load

        state = load(payload["state"])
    if state_dict_hash(state) != payload["state_hash"]:
        raise WeightsError(f"the weights rebuilt on {socket.gethostname()} differ from the driver's ({payload['identity']})",
                           hint="install the same torch version on every node")
    return state


# ---- style targets, computed by the driver and served on the actor ---------------------------


def target_key(kind: str, pick: StylePick, config: TargetConfig, stats: Tensor | None = None) -> str:
    """Names one provider answer: the same pick, config and content statistics give the same key on both sides."""
    return stable_hash(kind, pick.as_dict(), config.as_dict(), exact_stats(stats))


def needed_targets(job: Prepared, provider: TargetProvider) -> dict[str, Any]:
    """Every target and palette ``paint_together`` will ask for this job, from the driver's provider, on the CPU."""
    opts, net = job.opts, job.net
    stats = color_stats(image_to_tensor(job.content_image, opts.size).to(job.device), opts.color)
    out: dict[str, Any] = {}
    if ColorMode(opts.color) is ColorMode.reinhard_inverse:
        for pick in job.picks:
            out[target_key("palette", pick, job.target_config)] = provider.palette(pick, job.target_config).cpu()
    for stage, _ in scale_plan(job.content_image, opts, net.min_side):
        config = stage.target_config(net.weights_identity)
        for pick in job.picks:
            targets = provider(pick, config, stats, net)
            out[target_key("targets", pick, config, stats)] = {layer: gram.cpu() for layer, gram in targets.items()}
    return out


class ShippedTargets:
    """A TargetProvider that serves what the driver sent; a request it was not sent is a bug, said plainly."""

    def __init__(self, answers: dict[str, Any], device: torch.device) -> None:
        self.answers, self.device = answers, device

    def _get(self, key: str, what: str):
        if key not in self.answers:
            raise KeyError(f"the driver sent no {what} for this request (key {key[:12]})")
        return self.answers[key]

    def __call__(self, pick: StylePick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> Targets:
        targets = self._get(target_key("targets", pick, config, stats), "style targets")
        return {layer: gram.to(net.mean.device) for layer, gram in targets.items()}

    def palette(self, pick: StylePick, config: TargetConfig) -> Tensor:
        return self._get(target_key("palette", pick, config), "palette").to(self.device)


# ---- the actor -------------------------------------------------------------------------------


def _device() -> torch.device:
    """A GPU when Ray gave this actor one, else the CPU."""
    import ray

    return torch.device("cuda") if ray.get_gpu_ids() and torch.cuda.is_available() else torch.device("cpu")


class Painter:
    """One warm network per actor; paints groups of jobs and computes style targets, and writes nothing."""

    def __init__(self, payload: dict[str, Any], threads: int = 1) -> None:
        torch.set_num_threads(max(1, threads))
        self.payload, self.device = payload, _device()
        self.state = payload_state(payload)
        self.nets: dict[tuple, FeatureNet] = {}
        self.kept: OrderedDict[str, Any] = OrderedDict()

    def info(self) -> dict[str, Any]:
        """Where this actor runs: node address, host, process id and device (for logs, summary and provenance)."""
        import ray

        return {"node": ray.util.get_node_ip_address(), "host": socket.gethostname(), "pid": os.getpid(), "device": str(self.device)}

    def _net(self, layers: tuple[str, ...], pooling) -> FeatureNet:
        key = (tuple(layers), str(getattr(pooling, "value", pooling)))
        if key not in self.nets:
            self.nets[key] = FeatureNet(self.state, layers, pooling, self.payload["identity"]).to(self.device)
        return self.nets[key]

    def _answers(self, refs: dict[str, Any]) -> dict[str, Any]:
        """The targets named by ``refs``, fetched from the object store unless kept from an earlier call."""
        import ray

        missing = [key for key in refs if key not in self.kept]
        for key, value in zip(missing, ray.get([refs[key] for key in missing])):
            self.kept[key] = value
        for key in refs:
            self.kept.move_to_end(key)
        while len(self.kept) > max(KEPT_TARGETS, len(refs)):
            self.kept.popitem(last=False)
        return {key: self.kept[key] for key in refs}

    def _job(self, spec: dict[str, Any], content: bytes) -> Prepared:
        opts = spec["opts"]
        net = self._net(opts.style_layers + opts.content_layers, opts.pooling)
        image = decode_image(content, name=spec["content_path"])
        return Prepared(image, spec["content_sha"], spec["content_path"], spec["picks"], opts, spec["seed"], net, None, spec["request"], {})

    def paint(self, specs: list[dict[str, Any]], board=None, painter: int = 0) -> list[tuple]:
        """Paint jobs of one batch key together -> (result or None, losses, reason or None) per job.

        With a :class:`StepBoard` handle, progress is posted to it as painter number ``painter``.
        """
        import ray

        contents = ray.get([spec["content"] for spec in specs])
        jobs, failed = [], {}
        for index, (spec, content) in enumerate(zip(specs, contents)):
            try:
                jobs.append(self._job(spec, content))
            except InputError as exc:
                failed[index] = (None, [], reason_of(exc))
        answers = self._answers({key: ref for spec in specs for key, ref in spec["targets"].items()})
        report = poster(board, painter) if board is not None else None
        painted = iter(paint_or_split(jobs, Settings(), ShippedTargets(answers, self.device), report) if jobs else [])
        return [failed[i] if i in failed else next(painted) for i in range(len(specs))]

    def style_targets(self, items: list[tuple[str, bytes]], config: TargetConfig, batch_size: int) -> list[tuple]:
        """``cache build`` on the actor: (targets, palette, None) or (None, None, reason) per (name, image bytes)."""
        net = self._net(config.layers, config.pooling)
        images, out = [], []
        for name, data in items:
            try:
                images.append(prepare_style(decode_image(data, name), config, None, self.device))
                out.append(None)
            except InputError as exc:
                out.append((None, None, exc.message))
        computed = iter(grouped_style_targets(net, images, config.layers, batch_size))
        for image_index, slot in enumerate(i for i, o in enumerate(out) if o is None):
            targets = next(computed)
            out[slot] = ({k: v.cpu() for k, v in targets.items()}, {k: v.cpu() for k, v in own_palette(images[image_index]).items()}, None)
        return out


# ---- progress --------------------------------------------------------------------------------


class StepBoard:
    """Each painter's latest step, as (iteration, iterations, loss, elapsed): posted by painters, read by the driver."""

    def __init__(self) -> None:
        self.latest: dict[int, tuple] = {}

    def post(self, index: int, step: tuple) -> None:
        self.latest[index] = step

    def take(self) -> dict[int, tuple]:
        """The steps posted since the last call (each painter's latest), forgotten once read."""
        latest, self.latest = self.latest, {}
        return latest


def poster(board, index: int, every: float = POST_EVERY) -> Callable[[Step], None]:
    """A step callback that posts painter ``index``'s progress to ``board``, at most every ``every`` seconds.

    A job's planned last step is always posted, and waited for, so the driver
    has it by the time the job's result arrives (a job that stops early ends
    on its last timed post). Progress is best effort: a board that has gone
    away never fails the job.
    """
    import ray

    last = [-every]

    def post(step: Step) -> None:
        now, final = time.monotonic(), step.iteration == step.iterations
        if final or now - last[0] >= every:
            last[0] = now
            sent = board.post.remote(index, (step.iteration, step.iterations, step.loss, step.elapsed))
            if final:
                try:
                    ray.get(sent)
                except ray.exceptions.RayError:
                    pass

    return post


def board_step(posted: tuple) -> Step:
    """A posted step as the driver's callback sees it: the counters and loss, with no image (it stays on the actor)."""
    iteration, iterations, loss, elapsed = posted
    return Step(iteration, iterations, loss, {}, elapsed, None)
