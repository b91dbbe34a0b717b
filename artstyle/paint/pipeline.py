"""``paint()``: a photo painted in the style of an artist's works (Gatys, Ecker & Bethge 2015).

One request, end to end: pick the style works (:mod:`artstyle.corpus.sampler`, one
random work per artist by default, after Mu & Francl 2015), load the frozen
VGG-19 (:mod:`artstyle.core.features`), recolour each style image to the photo's
colours (:mod:`artstyle.core.color`, Reinhard et al. 2001) and compute its Gram
targets (:mod:`artstyle.style.targets`), optimise the image (:mod:`artstyle.core.optimize`)
and, when an output path is given, write the image with its provenance
(:mod:`artstyle.paint.provenance`).

Defaults live once, in :class:`PaintOptions` (and :class:`OptimizeConfig` for
the optimiser's); the CLI reads them from there.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

import torch
from PIL import Image
from torch import Tensor

from artstyle.corpus import catalog
from artstyle.core.color import ColorMode, grey_rgb, lab_stats, luminance, with_chroma
from artstyle.core.device import resolve_device
from artstyle.errors import UsageError
from artstyle.core.features import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, FeatureNet, Pooling, check_layers, load_feature_net
from artstyle.files import SAVE_FORMATS, load_image, save_image, sha256_bytes, sha256_file
from artstyle.core.losses import batched, build_objective
from artstyle.core.optimize import Init, OptimizeConfig, OptimizeResult, OptimizerChoice, Step, optimize_batch
from artstyle.paint.provenance import library_versions, record_run, sidecar_path, trace_summary, write_outputs
from artstyle.corpus.sampler import FETCH_LIMIT, EnsureHook, FetchHook, Filters, StylePick, no_fetch, pick_works
from artstyle.settings import Settings
from artstyle.style.provider import CachedTargets, palette_of
from artstyle.core.recolor import inverse_maps, mixture_stats, to_palette
from artstyle.core.speed import Precision, check_scales, fast_net, split_iterations, upsample
from artstyle.style.targets import TargetConfig, color_stats, compute_style_targets, image_to_tensor, prepare_style, tensor_to_image

log = logging.getLogger(__name__)
TargetProvider = Callable[[StylePick, TargetConfig, "Tensor | None", FeatureNet], dict[str, Tensor]]


@dataclass(frozen=True)
class PaintOptions:
    """Every knob of a painting; the defaults are the CLI's defaults."""

    size: int = 512  # longest side of the output, px
    style_scale: float = 1.0  # style images are resized to size × style_scale
    content_weight: float = 0.05
    style_weight: float = 1.0
    tv_weight: float = 1.0
    content_layers: tuple[str, ...] = DEFAULT_CONTENT_LAYERS
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None  # per style layer; equal when None
    pooling: Pooling = Pooling.max
    color: ColorMode = ColorMode.reinhard_inverse  # cacheable, and as close to the photo's colours (README: Style cache)
    optimizer: OptimizerChoice = OptimizeConfig.optimizer
    iterations: int = OptimizeConfig.iterations
    init: Init = OptimizeConfig.init
    tolerance: float = OptimizeConfig.tolerance
    learning_rate: float = OptimizeConfig.learning_rate
    bounded: bool = OptimizeConfig.bounded  # iterates stay in [0, 1]: the loss optimised is the output's
    save_every: int = 0  # write every N-th iterate beside the output (0: never)
    # speed paths (artstyle.core.speed; measured by scripts/bench.py)
    precision: Precision = Precision.bf16  # bf16: autocast network forward, Grams and losses in fp32 (fp32 where unsupported)
    channels_last: bool = True  # NHWC network and image
    compile: bool = False  # torch.compile the feature net
    scales: tuple[float, ...] = (1.0,)  # coarse-to-fine: increasing fractions of size, ending at 1
    fine_share: float = 0.25  # share of the iterations at full size when there are several scales
    reuse_heap: bool = OptimizeConfig.reuse_heap  # CPU: freed buffers reused between steps (artstyle.core.heap)
    cudnn_benchmark: bool = False  # CUDA only: autotuned cuDNN kernels, faster but not bitwise reproducible

    def __post_init__(self) -> None:
        coerce = object.__setattr__
        for name, kind in (("pooling", Pooling), ("color", ColorMode), ("optimizer", OptimizerChoice), ("init", Init),
                           ("precision", Precision)):
            coerce(self, name, _choice(kind, getattr(self, name), name))
        coerce(self, "content_layers", check_layers(tuple(self.content_layers)))
        coerce(self, "style_layers", check_layers(tuple(self.style_layers)))
        if self.size < 1:
            raise UsageError(f"--size must be at least 1 pixel, not {self.size}", hint="use e.g. --size 512 (the longest side)")
        self.optimize_config()  # the optimiser's own checks (iterations, tolerance, learning rate), now rather than mid-batch
        for name in ("content_weight", "style_weight", "tv_weight", "style_scale"):
            _check_weight(name, getattr(self, name))
        if self.style_scale <= 0:
            raise UsageError(f"--style-scale must be positive, not {self.style_scale}", hint="use e.g. --style-scale 1")
        coerce(self, "scales", check_scales(self.scales))
        if not (0 < self.fine_share <= 1):
            raise UsageError(f"--fine-share must be in (0, 1], not {self.fine_share}", hint="use e.g. --fine-share 0.25")
        if self.save_every < 0:
            raise UsageError(f"--save-every must be 0 or more, not {self.save_every}", hint="use e.g. --save-every 50")
        if self.style_layer_weights is not None:
            coerce(self, "style_layer_weights", tuple(float(w) for w in self.style_layer_weights))
            if len(self.style_layer_weights) != len(self.style_layers):
                raise UsageError("give one style layer weight per style layer", hint=f"layers: {', '.join(self.style_layers)}")
            parse_weights(self.style_layer_weights, "style layer weights")

    def optimize_config(self) -> OptimizeConfig:
        return OptimizeConfig(
            optimizer=self.optimizer, iterations=self.iterations, init=self.init,
            tolerance=self.tolerance, learning_rate=self.learning_rate, bounded=self.bounded,
            reuse_heap=self.reuse_heap,
        )

    def target_config(self, weights_identity: str) -> TargetConfig:
        return TargetConfig(
            layers=self.style_layers, pooling=self.pooling, style_size=self.size,
            style_scale=self.style_scale, color=self.color, weights_identity=weights_identity,
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        for name in ("pooling", "color", "optimizer", "init", "precision"):
            data[name] = getattr(self, name).value
        data["scales"] = list(self.scales)
        return data


def _choice(kind, value, name: str):
    try:
        return kind(getattr(value, "value", value))
    except ValueError:
        raise UsageError(f"unknown {name} {value!r}", hint=f"use one of: {', '.join(c.value for c in kind)}") from None


def _check_weight(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        flag = "--" + name.replace("_", "-")
        raise UsageError(f"{flag} must be a finite number >= 0, not {value}", hint=f"use e.g. {flag} 1")


def parse_weights(weights: Sequence[float] | str, what: str = "--style-weights") -> list[float]:
    """Comma-separated or listed non-negative weights, normalised to sum to 1."""
    hint = f"give non-negative numbers separated by commas, e.g. {what} 3,7"
    if isinstance(weights, str):
        try:
            weights = [float(w) for w in weights.split(",")]
        except ValueError:
            raise UsageError(f"malformed {what} {weights!r}", hint=hint) from None
    values = [float(w) for w in weights]
    if not values or any(not (math.isfinite(w) and w >= 0) for w in values) or sum(values) <= 0:
        raise UsageError(f"{what} must be finite, non-negative and not all zero: {values}", hint=hint)
    return [w / sum(values) for w in values]


@dataclass
class PaintResult:
    image: Image.Image
    provenance: dict
    picks: list[StylePick]
    output: Path | None = None


def default_output(content: Path, like: Sequence[str], blend: str | None, picks: Sequence[StylePick]) -> Path:
    """``<photo stem>.<artist-slug>.png`` beside the photo (``blend`` or ``styled`` otherwise)."""
    artists = {p.artist for p in picks}
    tag = picks[0].artist if (like and len(artists) == 1 and picks[0].artist) else "blend" if (blend or like) else "styled"
    return content.with_name(f"{content.stem}.{tag}.png")


def check_output(output: Path, force: bool) -> None:
    """Refuse unsupported formats and existing files (unless ``force``) before any work is done."""
    if output.suffix.lower() not in SAVE_FORMATS:
        raise UsageError(f"cannot write {output.name}: unsupported format {output.suffix or '(none)'}", hint="use a .png, .jpg or .webp file name")
    if output.exists() and not force:
        raise UsageError(f"{output} already exists", hint="choose another --output, or pass --force to overwrite it")


def default_fetch(settings: Settings, progress: Callable | None = None) -> FetchHook:
    """Fetch a missing artist from WikiArt through the corpus module (imported lazily)."""

    def fetch(name: str) -> None:
        try:
            from artstyle.corpus.collection import add_artist  # type: ignore[attr-defined]
        except ImportError:
            no_fetch(name)
            return
        kwargs = {"limit": FETCH_LIMIT}
        if progress is not None:
            kwargs["progress"] = progress
        add_artist(settings, name, **kwargs)

    return fetch


def default_ensure(settings: Settings) -> EnsureHook:
    """Download a listed work named in ``--blend`` through the corpus module (imported lazily)."""

    def ensure(work_id: str) -> Path:
        from artstyle.corpus.collection import ensure_image

        return ensure_image(settings, work_id)

    return ensure


def _load_content(content: Path | str | Image.Image) -> tuple[Image.Image, str, str]:
    """(image, sha256, path text) for a content path or an in-memory image."""
    if isinstance(content, Image.Image):
        image = content.convert("RGB")
        return image, sha256_bytes(image.tobytes()), "<memory>"
    path = Path(content)
    image = load_image(path)
    return image, sha256_file(path), str(path.resolve())


def _explicit_picks(style_images: Sequence[Path | str], style_weights: Sequence[float] | str | None) -> list[StylePick]:
    weights = parse_weights(style_weights) if style_weights is not None else [1 / len(style_images)] * len(style_images)
    if len(weights) != len(style_images):
        raise UsageError(
            f"{len(style_images)} style images but {len(weights)} style weights", hint="give one weight per --style-image"
        )
    picks = []
    for path, weight in zip(map(Path, style_images), weights):
        load_image(path)  # a missing or broken style image fails now, before the network loads
        picks.append(StylePick(f"file:{path.name}", None, path.stem, weight, path, sha256_file(path)))
    return picks


def compute_targets(pick: StylePick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> dict[str, Tensor]:
    """The default target provider: load, preprocess and compute one work's Grams (no cache)."""
    style = prepare_style(load_image(pick.path), config, stats, device=stats.device if stats is not None else _device_of(net))
    return compute_style_targets(net, style.to(_device_of(net)), config.layers)[0]


def _device_of(net: FeatureNet) -> torch.device:
    return net.mean.device


@contextlib.contextmanager
def _deterministic(device: torch.device, benchmark: bool = False) -> Iterator[None]:
    """cuDNN's fastest kernels are not reproducible: deterministic ones while painting, unless
    ``benchmark`` (``cudnn_benchmark``) trades bitwise reproducibility for autotuned speed.
    CPU runs are unaffected (and stay bitwise reproducible)."""
    if device.type != "cuda":
        yield
        return
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = not benchmark, benchmark
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved


def _options(options: PaintOptions | None, overrides: dict) -> PaintOptions:
    names = {f.name for f in fields(PaintOptions)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise UsageError(f"unknown paint option(s): {', '.join(unknown)}", hint=f"options: {', '.join(sorted(names))}")
    return replace(options or PaintOptions(), **overrides)


def paint(
    content: Path | str | Image.Image,
    *,
    like: Sequence[str] | str = (),
    blend: str | None = None,
    style_images: Sequence[Path | str] = (),
    style_weights: Sequence[float] | str | None = None,
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
    callback: Callable[[Step], None] | None = None,
    on_picks: Callable[[list[StylePick]], None] | None = None,
    fetch: FetchHook | None = None,
    targets: TargetProvider | None = None,
    **option_overrides,
) -> PaintResult:
    """Paint ``content`` like an artist (``like``), a ``blend``, or explicit ``style_images``.

    Returns the image and its provenance; with ``output`` (a path, or True for
    ``<photo stem>.<artist>.png`` beside the photo) also writes the image, its
    ``.json`` sidecar and a ``runs`` row (never overwriting unless ``force``).
    ``seed`` fixes the works drawn, the noise and so the pixels (a random seed
    is drawn and recorded when None). Option keywords (``size=256``,
    ``iterations=50``...) override ``options``.
    """
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    job = prepare(
        content, like=like, blend=blend, style_images=style_images, style_weights=style_weights, works=works,
        style=style, genre=genre, years=years, offline=offline, options=options, settings=settings, seed=seed,
        output=output, force=force, on_picks=on_picks, fetch=fetch, **option_overrides,
    )
    job.timings["setup"] = time.perf_counter() - started
    return run_jobs([job], settings, targets, [callback], started)[0]


def prepare(
    content: Path | str | Image.Image,
    *,
    like: Sequence[str] | str = (),
    blend: str | None = None,
    style_images: Sequence[Path | str] = (),
    style_weights: Sequence[float] | str | None = None,
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
    **option_overrides,
) -> _Job:
    """Validate a :func:`paint` request and draw its works: everything but the painting itself."""
    output = None if output is False else output
    settings = settings or Settings.from_env()
    opts = _options(options, option_overrides)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    like = [like] if isinstance(like, str) else list(like)
    if sum(map(bool, (like, blend, style_images))) != 1:
        raise UsageError("give exactly one of --like, --blend or --style-image", hint="e.g. artstyle paint photo.jpg --like pablo-picasso")
    if output is not None and output is not True:
        check_output(Path(output), force)
    content_image, content_sha, content_path = _load_content(content)
    picks = _picks(settings, like, blend, style_images, style_weights, works, Filters(style, genre, years), seed, offline, fetch)
    if output is True:
        if not isinstance(content, (str, Path)):
            raise UsageError("output=True needs a content path to write beside", hint="pass output=PATH")
        output = default_output(Path(content), like, blend, picks)
        check_output(output, force)
    if on_picks is not None:
        on_picks(picks)
    device = resolve_device(settings.device)
    return _Job(
        content_image, content_sha, content_path, picks, opts, seed,
        load_feature_net(settings.weights, opts.style_layers + opts.content_layers, opts.pooling, device),
        Path(output) if output is not None else None,
        dict(like=like, blend=blend, style_images=[str(p) for p in style_images], works=works, style=style, genre=genre, years=years),
        {},
    )


def run_jobs(jobs: Sequence[_Job], settings: Settings, targets: TargetProvider | None = None,
             callbacks: Sequence[Callable[[Step], None] | None] = (), started: float | None = None) -> list[PaintResult]:
    """Paint prepared jobs of one :func:`batch_key` together (one batch tensor) -> their results.

    ``targets`` defaults to the style cache (cached_targets); each job reports
    its steps to its own callback.
    """
    started = time.perf_counter() if started is None else started
    device = jobs[0].device
    with _deterministic(device, jobs[0].opts.cudnn_benchmark):
        painted = _run_batch(jobs, targets or CachedTargets(settings, device), list(callbacks) or [None] * len(jobs))
    return [_finish(settings, job, image, _record(job, image, result), started) for job, (image, result) in zip(jobs, painted)]


@dataclass
class _Job:
    """One validated request on its way through the pipeline."""

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
        return _device_of(self.net)

    @property
    def target_config(self) -> TargetConfig:
        return self.opts.target_config(self.net.weights_identity)


def _picks(settings, like, blend, style_images, style_weights, works, filters, seed, offline, fetch) -> list[StylePick]:
    if style_images:
        return _explicit_picks(style_images, style_weights)
    fresh = not settings.catalog_path.exists()
    db = catalog.open_catalog(settings.catalog_path, create=not offline)
    fetch = fetch or (None if offline else default_fetch(settings))
    ensure = None if offline else default_ensure(settings)
    try:
        return pick_works(db, settings.home, like=like, blend=blend, works=works, filters=filters, seed=seed, offline=offline,
                          fetch=fetch, ensure=ensure)
    except Exception:
        if fresh:  # a failed first fetch leaves the data home as it found it
            catalog.discard_if_empty(db, settings.catalog_path)
        raise


def _objective(job: _Job, stage: PaintOptions, step_net, start: Tensor, stats: Tensor | None, provider: TargetProvider):
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


def _run(job: _Job, provider: TargetProvider, callback) -> tuple[Image.Image, OptimizeResult]:
    """Targets, objective and optimisation for one job -> (final PIL image, OptimizeResult)."""
    return _run_batch([job], provider, [callback])[0]


def batch_key(job: _Job) -> tuple:
    """Jobs with equal keys can be optimised as one batch: same painted size, same options and network."""
    return (tuple(image_to_tensor(job.content_image, job.opts.size).shape), job.opts, id(job.net))


def _run_batch(jobs: Sequence[_Job], provider: TargetProvider, callbacks: Sequence) -> list[tuple[Image.Image, OptimizeResult]]:
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
    maps = [_colour_maps(job, content, provider) for job, content in zip(jobs, contents)]
    height, width = contents[0].shape[2:]
    finishes = [lambda x, finish=finish: finish(upsample(x, height, width)) for _, finish in maps]
    step_net = fast_net(net, opts.precision, opts.channels_last, opts.compile)
    results: list[list[OptimizeResult]] = [[] for _ in jobs]
    images = None
    for job in jobs:
        job.timings["targets"] = 0.0
    for stage, iterations in _plan(jobs[0].content_image, opts, net.min_side):
        t0 = time.perf_counter()
        starts = [recolor(image_to_tensor(job.content_image, stage.size).to(device)) for job, (recolor, _) in zip(jobs, maps)]
        objective = batched([_objective(job, stage, step_net, start, st, provider) for job, start, st in zip(jobs, starts, stats)])
        for job in jobs:  # computed together: each job is charged its share
            job.timings["targets"] += (time.perf_counter() - t0) / len(jobs)
        start, config = torch.cat(starts), replace(stage.optimize_config(), iterations=iterations)
        if images is not None:  # continue from the previous scale's iterates
            start, config = upsample(images, start.shape[2], start.shape[3]), replace(config, init=Init.content)
        offsets = [sum(r.iterations for r in done) for done in results]
        stage_callbacks = [_offset(_with_snapshots(cb, job.output, opts.save_every, finish), offset, opts.iterations)
                           for cb, job, finish, offset in zip(callbacks, jobs, finishes, offsets)]
        stage_results = optimize_batch(objective, start, config, seeds=[job.seed for job in jobs], callbacks=stage_callbacks)
        for done, result, stage_offset in zip(results, stage_results, offsets):
            for entry in result.trace:
                entry.update(iteration=entry["iteration"] + stage_offset, size=stage.size)
            done.append(result)
        images = torch.cat([r.image for r in stage_results])
    outputs = []
    for job, done, (_, finish) in zip(jobs, results, maps):
        result = _combined(done)
        job.timings["optimize"] = result.seconds
        outputs.append((tensor_to_image(finish(result.image)), result))
    return outputs


def _colour_maps(job: _Job, content: Tensor, provider: TargetProvider):
    """(photo -> start image, optimised image -> output) for the colour mode, fixed from the full-size photo."""
    color = job.opts.color
    if color is ColorMode.reinhard_inverse:  # Reinhard on the photo's side, so the targets stay cacheable
        palettes = [palette_of(provider, pick, job.target_config, job.device) for pick in job.picks]
        _, unmap = inverse_maps(content, palettes, [pick.weight for pick in job.picks])
        photo, palette = lab_stats(content), mixture_stats(palettes, [pick.weight for pick in job.picks]).to(content)
        return (lambda x: to_palette(x, photo, palette)), unmap
    if color is ColorMode.luminance:  # Gatys et al. 2016: paint the luminance, keep the photo's colours
        return (lambda x: grey_rgb(luminance(x))), (lambda x: with_chroma(luminance(x), content))
    return (lambda x: x), (lambda x: x.clamp(0, 1))


def _plan(content_image: Image.Image, opts: PaintOptions, min_side: int) -> list[tuple[PaintOptions, int]]:
    """(options at that size, iterations) per scale; a coarse scale with no iterations, or too small
    for the layers, is skipped and its iterations go to the full size."""
    stages, moved = [], 0
    for scale, n in zip(opts.scales, split_iterations(opts.iterations, opts.scales, opts.fine_share)):
        if scale == 1.0:
            return stages + [(opts, n + moved)]
        stage = replace(opts, size=max(1, round(opts.size * scale)), scales=(1.0,))
        if n and min(image_to_tensor(content_image, stage.size).shape[2:]) >= min_side:
            stages.append((stage, n))
        else:
            log.info("scale %s (%d px) skipped: too small for the layers, or no iterations", scale, stage.size)
            moved += n
    return stages


def _offset(callback, offset: int, total: int) -> Callable[[Step], None] | None:
    """Report a later scale's steps with run-wide iteration numbers."""
    if callback is None:
        return None
    return lambda step: callback(replace(step, iteration=step.iteration + offset, iterations=total))


def _combined(results: list[OptimizeResult]) -> OptimizeResult:
    """The scales' results as one: the last image, every step's trace, the summed time."""
    last = results[-1]
    return OptimizeResult(
        image=last.image, trace=[t for r in results for t in r.trace], iterations=sum(r.iterations for r in results),
        stopped_early=last.stopped_early, seconds=sum(r.seconds for r in results), started_at=results[0].started_at,
    )


def _with_snapshots(callback, output: Path | None, every: int, finish) -> Callable[[Step], None] | None:
    """Wrap the callback to write every ``every``-th iterate as ``<output stem>.iterNNNN<suffix>``."""
    if not (output and every):
        return callback

    def on_step(step: Step) -> None:
        if step.iteration % every == 0:
            save_image(tensor_to_image(finish(step.image)), output.with_name(f"{output.stem}.iter{step.iteration:04d}{output.suffix}"))
        if callback is not None:
            callback(step)

    return on_step


def _record(job: _Job, image: Image.Image, result: OptimizeResult) -> dict:
    net = job.net
    return {
        "format": 1,
        "created_at": catalog.now(),
        "content": {"path": job.content_path, "sha256": job.content_sha, "size": list(job.content_image.size), "painted_size": list(image.size)},
        "works": [p.as_dict() for p in job.picks],
        "request": job.request,
        "params": job.opts.as_dict(),
        "targets": job.target_config.as_dict(),
        "seed": job.seed,
        "device": str(job.device),
        "weights": {"identity": net.weights_identity, "random_weights": net.random_weights},
        "random_weights": net.random_weights,
        "versions": library_versions(),
        "loss": trace_summary(result.trace),
        "stopped_early": result.stopped_early,
        "timings": {**{k: round(v, 4) for k, v in job.timings.items()},
                    "seconds_per_iteration": round(result.seconds / max(1, result.iterations), 4),
                    "first_step_at": round(result.started_at, 3)},
    }


def _finish(settings: Settings, job: _Job, image: Image.Image, record: dict, started: float) -> PaintResult:
    """Write the image, sidecar and runs row when an output was asked for."""
    record["timings"]["total"] = round(time.perf_counter() - started, 4)
    if job.output is None:
        return PaintResult(image, record, job.picks)
    record["output"] = str(job.output)
    record["sidecar"] = str(sidecar_path(job.output))
    write_outputs(image, job.output, record)
    record["run_id"] = record_run(catalog.open_catalog(settings.catalog_path), record)
    return PaintResult(image, record, job.picks, job.output)
