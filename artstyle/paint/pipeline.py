"""``paint()``: a photo painted in the style of an artist's works (Gatys, Ecker & Bethge 2015).

One request, end to end: the :class:`~artstyle.paint.request.StyleRequest`
draws its works (:mod:`artstyle.corpus.sampler`, one random work per artist by
default, after Mu & Francl 2015); :func:`prepare` validates everything cheap
and loads the frozen VGG-19 (:mod:`artstyle.core.features`) into a :class:`Job`;
:func:`run_jobs` fetches each work's Gram targets from a target provider (the
style cache by default, :mod:`artstyle.style`), recolours the photo
(:mod:`artstyle.paint.stages`, Reinhard et al. 2001), optimises
(:mod:`artstyle.core.optimize`) and, when an output path is given, writes the
image with its provenance (:mod:`artstyle.paint.output`).

Jobs of one :func:`batch_key` are optimised together as one batch tensor, which
is how ``batch`` paints several photos at once; each keeps its own works, seed,
history and trace.
"""

from __future__ import annotations

import secrets
import shlex
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import torch
from PIL import Image
from torch import Tensor

from artstyle.core.device import deterministic_kernels
from artstyle.core.features import FeatureNet, load_feature_net
from artstyle.core.losses import batched, build_objective
from artstyle.core.optimize import Init, OptimizeResult, Step, optimize_batch
from artstyle.core.speed import fast_net, upsample
from artstyle.corpus.sampler import FetchHook, Filters, StylePick
from artstyle.errors import NetworkError, UsageError
from artstyle.files import load_image, sha256_bytes, sha256_file
from artstyle.paint.options import PaintOptions
from artstyle.paint.preflight import cheap_checks, is_unreachable, offline_error
from artstyle.paint.output import check_output, provenance_record, write_painting
from artstyle.paint.request import StyleRequest, default_output, draw_picks
from artstyle.paint.stages import colour_maps, combined, offset_steps, scale_plan, with_snapshots
from artstyle.settings import Settings
from artstyle.style.config import TargetConfig
from artstyle.style.provider import CachedTargets, TargetProvider
from artstyle.core.images import image_to_tensor, tensor_to_image
from artstyle.style.targets import color_stats

@dataclass
class PaintResult:
    image: Image.Image
    provenance: dict
    picks: list[StylePick]
    output: Path | None = None


@dataclass
class Job:
    """One validated request on its way through the pipeline (:func:`prepare` makes it, :func:`run_jobs` paints it)."""

    content_image: Image.Image
    content_sha: str
    content_path: str
    picks: list[StylePick]
    opts: PaintOptions
    seed: int
    net: FeatureNet
    output: Path | None
    request: dict
    timings: dict

    @property
    def device(self) -> torch.device:
        return self.net.mean.device

    @property
    def target_config(self) -> TargetConfig:
        return self.opts.target_config(self.net.weights_identity)


def paint(
    content: Path | str | Image.Image,
    *,
    settings: Settings | None = None,
    callback: Callable[[Step], None] | None = None,
    targets: TargetProvider | None = None,
    **request,
) -> PaintResult:
    """Paint ``content`` like an artist (``like=``), a ``blend=``, explicit ``style_images=`` or a ``request=``.

    Every keyword of :func:`prepare` is accepted (``seed``, ``works``, ``style``,
    ``offline``, ``options``, ``output``, option overrides such as ``size=256``...).
    Returns the image and its provenance; with ``output`` (a path, or True for
    ``<photo stem>.<artist>.png`` beside the photo) also writes the image, its
    ``.json`` sidecar and a ``runs`` row (never overwriting unless ``force``).
    ``seed`` fixes the works drawn, the noise and so the pixels (a random seed
    is drawn and recorded when None). ``callback`` sees every optimisation
    step; ``targets`` replaces the style cache as the source of style targets.
    """
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    job = prepare(content, settings=settings, **request)
    job.timings["setup"] = time.perf_counter() - started
    return run_jobs([job], settings, targets, [callback], started)[0]


def prepare(
    content: Path | str | Image.Image,
    *,
    like: Sequence[str] | str = (),
    blend: str | None = None,
    style_images: Sequence[Path | str] = (),
    style_weights: Sequence[float] | str | None = None,
    work: str | None = None,
    request: StyleRequest | None = None,
    works: int | str = 1,
    style: str | None = None,
    genre: str | None = None,
    years: str | None = None,
    offline: bool = False,
    options: PaintOptions | None = None,
    settings: Settings | None = None,
    seed: int | None = None,
    output: Path | str | bool | None = None,
    force: bool = False,
    on_picks: Callable[[list[StylePick]], None] | None = None,
    fetch: FetchHook | None = None,
    repeat: int = 0,
    draw_seed: int | None = None,
    **option_overrides,
) -> Job:
    """Validate a :func:`paint` request and draw its works: everything but the painting itself.

    Cheap checks (device, ``--weights``, output, photo) run before any work is
    drawn. ``repeat`` and ``draw_seed`` make repeats of one request draw
    distinct works (:func:`artstyle.corpus.sampler.pick_works`).
    """
    output = None if output is False else output
    settings = settings or Settings.from_env()
    opts = (options or PaintOptions()).with_overrides(**option_overrides)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    if request is None:
        request = StyleRequest.from_keywords(like, blend, style_images, style_weights, work)
    elif like or blend or style_images or work:
        raise UsageError("give either a StyleRequest or the like/blend/style_images keywords, not both", hint="pass request= alone")
    device, weights_here = cheap_checks(settings)
    if output is not None and output is not True:
        check_output(Path(output), force)
    content_image, content_sha, content_path = _load_content(content)
    filters = Filters(style, genre, years)
    try:
        picks = draw_picks(settings, request, works=works, filters=filters, seed=seed, offline=offline, fetch=fetch,
                           repeat=repeat, draw_seed=draw_seed)
    except NetworkError as exc:
        if not is_unreachable(exc):
            raise
        photo = shlex.quote(str(content)) if isinstance(content, (str, Path)) else "PHOTO"
        raise offline_error(settings, request, weights_here, photo) from exc
    if output is True:
        if not isinstance(content, (str, Path)):
            raise UsageError("output=True needs a content path to write beside", hint="pass output=PATH")
        output = default_output(Path(content), request, picks)
        check_output(output, force)
    if on_picks is not None:
        on_picks(picks)
    net = load_feature_net(settings.weights, opts.style_layers + opts.content_layers, opts.pooling, device)
    return Job(content_image, content_sha, content_path, picks, opts, seed, net,
               Path(output) if output is not None else None, request.record(works, filters), {})


def _load_content(content: Path | str | Image.Image) -> tuple[Image.Image, str, str]:
    """(image, sha256, path text) for a content path or an in-memory image."""
    if isinstance(content, Image.Image):
        image = content.convert("RGB")
        return image, sha256_bytes(image.tobytes()), "<memory>"
    path = Path(content)
    image = load_image(path)
    return image, sha256_file(path), str(path.resolve())


def run_jobs(jobs: Sequence[Job], settings: Settings, targets: TargetProvider | None = None,
             callbacks: Sequence[Callable[[Step], None] | None] = (), started: float | None = None) -> list[PaintResult]:
    """Paint prepared jobs of one :func:`batch_key` together (one batch tensor) -> their results.

    ``targets`` defaults to the style cache (:class:`~artstyle.style.provider.CachedTargets`);
    each job reports its steps to its own callback.
    """
    started = time.perf_counter() if started is None else started
    device = jobs[0].device
    with deterministic_kernels(device, jobs[0].opts.cudnn_benchmark):
        painted = paint_together(jobs, targets or CachedTargets(settings, device), list(callbacks) or [None] * len(jobs))
    return [_finish(settings, job, image, provenance_record(job, image, result), started) for job, (image, result) in zip(jobs, painted)]


def _finish(settings: Settings, job: Job, image: Image.Image, record: dict, started: float) -> PaintResult:
    """The result, with the image, sidecar and runs row written when an output was asked for."""
    record["timings"]["total"] = round(time.perf_counter() - started, 4)
    if job.output is None:
        return PaintResult(image, record, job.picks)
    write_painting(settings, job, image, record)
    return PaintResult(image, record, job.picks, job.output)


def batch_key(job: Job) -> tuple:
    """Jobs with equal keys can be optimised as one batch: same painted size, same options and network."""
    return (tuple(image_to_tensor(job.content_image, job.opts.size).shape), job.opts, id(job.net))


def job_objective(job: Job, stage: PaintOptions, step_net, start: Tensor, stats: Tensor | None, provider: TargetProvider):
    """One scale's loss: style targets at that scale's style size, content features of ``start`` [1,3,h,w]."""
    config = stage.target_config(job.net.weights_identity)
    style_targets = [provider(pick, config, stats, job.net) for pick in job.picks]
    with torch.no_grad():
        content_features = {layer: f.detach() for layer, f in job.net(start).items() if layer in stage.content_layers}
    layer_weights = dict(zip(stage.style_layers, stage.style_layer_weights or [1.0] * len(stage.style_layers)))
    return build_objective(
        step_net, content_features, style_targets, [p.weight for p in job.picks], layer_weights,
        content_weight=stage.content_weight, style_weight=stage.style_weight, tv_weight=stage.tv_weight,
    )


def paint_together(jobs: Sequence[Job], provider: TargetProvider, callbacks: Sequence) -> list[tuple[Image.Image, OptimizeResult]]:
    """Targets, objectives and optimisation, scale by scale, for jobs of one :func:`batch_key`.

    With one scale (the default) this is one optimisation at ``opts.size``; with
    several (coarse-to-fine), each scale's iterate is upsampled to start the next
    (artstyle.core.speed). Colour maps are fixed once from each full-size photo, so every
    scale paints toward the same palette and the result maps back exactly. The jobs
    share every network pass; each keeps its own targets, seed, history and trace.
    """
    opts, net, device = jobs[0].opts, jobs[0].net, jobs[0].device
    contents = [image_to_tensor(job.content_image, opts.size).to(device) for job in jobs]  # [1,3,H,W] each
    stats = [color_stats(content, opts.color) for content in contents]  # the full-size photo's colours at every scale
    maps = [colour_maps(job, content, provider) for job, content in zip(jobs, contents)]
    height, width = contents[0].shape[2:]
    finishes = [lambda x, finish=finish: finish(upsample(x, height, width)) for _, finish in maps]
    step_net = fast_net(net, opts.precision, opts.channels_last, opts.compile)
    results: list[list[OptimizeResult]] = [[] for _ in jobs]
    images = None
    for job in jobs:
        job.timings["targets"] = 0.0
    for stage, iterations in scale_plan(jobs[0].content_image, opts, net.min_side):
        t0 = time.perf_counter()
        starts = [recolor(image_to_tensor(job.content_image, stage.size).to(device)) for job, (recolor, _) in zip(jobs, maps)]
        objective = batched([job_objective(job, stage, step_net, start, st, provider) for job, start, st in zip(jobs, starts, stats)])
        for job in jobs:  # computed together: each job is charged its share
            job.timings["targets"] += (time.perf_counter() - t0) / len(jobs)
        start, config = torch.cat(starts), replace(stage.optimize_config(), iterations=iterations)
        if images is not None:  # continue from the previous scale's iterates
            start, config = upsample(images, start.shape[2], start.shape[3]), replace(config, init=Init.content)
        offsets = [sum(r.iterations for r in done) for done in results]
        stage_callbacks = [offset_steps(with_snapshots(cb, job.output, opts.save_every, finish), offset, opts.iterations)
                           for cb, job, finish, offset in zip(callbacks, jobs, finishes, offsets)]
        stage_results = optimize_batch(objective, start, config, seeds=[job.seed for job in jobs], callbacks=stage_callbacks)
        for done, result, stage_offset in zip(results, stage_results, offsets):
            for entry in result.trace:
                entry.update(iteration=entry["iteration"] + stage_offset, size=stage.size)
            done.append(result)
        images = torch.cat([r.image for r in stage_results])
    outputs = []
    for job, done, (_, finish) in zip(jobs, results, maps):
        result = combined(done)
        job.timings["optimize"] = result.seconds
        outputs.append((tensor_to_image(finish(result.image)), result))
    return outputs
