"""``paint_video()``: a clip painted frame by frame in one work's (or blend's) style, resumable.

One work (or blend) is drawn for the whole clip from the seed
(:func:`artstyle.paint.prepare`, on the first frame), so every frame has the
same style. Frames are painted in order (:mod:`artstyle.video.painter`) into
the frames folder (:mod:`artstyle.video.frames`); a killed run resumes at the
first unfinished frame and, because each frame starts from the exact state
the previous one left, yields the same frames as an uninterrupted run. The
video is then encoded at the source's rate and duration with its audio
(:mod:`artstyle.video.clip`), written atomically, with its provenance beside
it (``CLIP.ARTIST.mp4.json``) and each frame's losses in ``CLIP.ARTIST.losses.json``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from artstyle.core.device import deterministic_kernels
from artstyle.core.optimize import Step, check_iterations
from artstyle.corpus import catalog
from artstyle.errors import UsageError
from artstyle.files import atomic_write_json, sha256_file
from artstyle.paint import PaintOptions, StyleRequest, prepare
from artstyle.paint.provenance import library_versions, record_run
from artstyle.settings import Settings
from artstyle.style.provider import CachedTargets, TargetProvider
from artstyle.video.clip import MAX_FRAMES, ClipInfo, Span, encode, probe, read_frames
from artstyle.video.flow import FlowMethod
from artstyle.video.frames import FrameStore, frames_folder
from artstyle.video.painter import FramePainter, Temporal

VIDEO_FORMAT = 1
# Measured by scripts/bench_video.py (README: Video; random weights). Flow frames warm-started from
# the previous one reach a style loss no worse than an independent frame's in half its iterations:
# 12 frames at 48 px, --iterations 80, temporal weight 1: 30 gave 0.0316, 40 gave 0.0308 and 50 0.0305
# against independent's 0.0318 (at weight 0.25, 40 gave 0.0302). So frames after the first get half
# of --iterations at most unless --frame-iterations says otherwise.
FRAME_SHARE = 0.5
# The temporal weight trades flicker for style, and the trade differs from clip to clip and work to
# work. 0.25 is the largest measured that kept style no worse on nearly every pair tried: at 64 px,
# 2 photos x 4 works, flicker fell to 33-55% of independent's (mean 44%), and style loss was lower
# on 6 pairs, equal on 1 and 0.8% higher on 1. Weight 0.5 cost style on the golden-gate clip (+0.9%,
# +1.2% at 96 px) and 1 cost 4-5% there, for a few points less flicker (29% against 35%).
TEMPORAL_WEIGHT = 0.25


@dataclass(frozen=True)
class VideoOptions:
    """How a clip is painted, beyond the painting flags; the defaults are the CLI's."""

    temporal: Temporal = Temporal.flow
    temporal_weight: float = TEMPORAL_WEIGHT  # flow mode: weight of the temporal loss
    frame_iterations: int | None = None  # at most, for warm-started frames (None: FRAME_SHARE of --iterations)
    flow: FlowMethod = FlowMethod.dis
    start: float = 0.0
    duration: float | None = None
    every: int = 1
    max_frames: int = MAX_FRAMES

    def __post_init__(self) -> None:
        object.__setattr__(self, "temporal", _choice(Temporal, self.temporal, "--temporal"))
        object.__setattr__(self, "flow", _choice(FlowMethod, self.flow, "--flow"))
        if self.frame_iterations is not None:
            check_iterations(self.frame_iterations)
        if not (self.temporal_weight >= 0 and math.isfinite(self.temporal_weight)):
            raise UsageError(f"--temporal-weight must be a finite number >= 0, not {self.temporal_weight}",
                             hint="use e.g. --temporal-weight 0.5 (more: steadier frames, less style)")
        if self.max_frames < 1:
            raise UsageError(f"--max-frames must be 1 or more, not {self.max_frames}", hint="use e.g. --max-frames 5000")
        self.span  # checks --start, --duration and --every

    @property
    def span(self) -> Span:
        return Span(self.start, self.duration, self.every)

    def as_dict(self) -> dict:
        return {**asdict(self), "temporal": self.temporal.value, "flow": self.flow.value}


def _choice(kind, value, flag: str):
    try:
        return kind(getattr(value, "value", value))
    except ValueError:
        raise UsageError(f"unknown {flag} {value!r}", hint=f"use one of: {', '.join(c.value for c in kind)}") from None


@dataclass(frozen=True)
class FrameReport:
    """One finished frame, as reported to ``on_frame``."""

    index: int
    total: int
    iterations: int
    seconds: float
    resumed: bool = False  # painted by an earlier run


@dataclass
class VideoResult:
    output: Path
    provenance: dict
    frames: list[dict] = field(default_factory=list)


def _check(opts: PaintOptions) -> None:
    if opts.scales != (1.0,):
        raise UsageError("video paints at one scale", hint="drop --scales")
    if opts.save_every:
        raise UsageError("video does not save in-between iterates", hint="drop --save-every")


def _request(like, blend, work, style_images, style_weights) -> StyleRequest:
    if work is None:
        return StyleRequest.from_keywords(like, blend, style_images, style_weights)
    if like or blend or style_images:
        raise UsageError("give exactly one of --like, --blend, --work or --style-image", hint="e.g. --like pablo-picasso")
    return StyleRequest("work", work)


def default_video_output(clip: Path, request: StyleRequest, picks) -> Path:
    """``CLIP.ARTIST.mp4`` beside the clip (``blend`` for several artists, ``styled`` for style images)."""
    artists = {p.artist for p in picks}
    tag = "styled" if request.kind == "image" else picks[0].artist if len(artists) == 1 and picks[0].artist else "blend"
    return clip.with_name(f"{clip.stem}.{tag}.mp4")


def _output(clip: Path, output: Path | str | None, request: StyleRequest, picks, force: bool) -> Path:
    path = Path(output) if output is not None else default_video_output(clip, request, picks)
    if path.suffix.lower() != ".mp4":
        raise UsageError(f"cannot write {path.name}: videos are written as .mp4", hint="use an --output ending in .mp4")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="choose another --output, or pass --force to overwrite it")
    return path


def paint_video(
    clip: Path | str,
    *,
    like: Sequence[str] | str = (),
    blend: str | None = None,
    work: str | None = None,
    style_images: Sequence[Path | str] = (),
    style_weights: Sequence[float] | str | None = None,
    works: int | str = 1,
    offline: bool = False,
    options: PaintOptions | None = None,
    video: VideoOptions | None = None,
    settings: Settings | None = None,
    seed: int = 0,
    output: Path | str | None = None,
    force: bool = False,
    targets: TargetProvider | None = None,
    callback: Callable[[Step], None] | None = None,
    on_start: Callable[[ClipInfo, list], None] | None = None,
    on_frame: Callable[[FrameReport], None] | None = None,
    fetch=None,
) -> VideoResult:
    """Paint every frame of ``clip`` (of its span) and encode ``CLIP.ARTIST.mp4`` (or ``output``).

    Exactly one of ``like``, ``blend``, ``work`` or ``style_images`` chooses the style; ``seed`` draws
    the one work (or blend) for the whole clip. A frames folder from an interrupted run with the same
    clip and settings is resumed; ``force`` starts afresh and overwrites the output. ``callback`` sees
    every optimisation step, ``on_start`` the clip's facts and the works, ``on_frame`` each finished frame.
    """
    settings = settings or Settings.from_env()
    opts, video, clip = options or PaintOptions(), video or VideoOptions(), Path(clip)
    _check(opts)
    request = _request(like, blend, work, style_images, style_weights)
    if output is not None:
        _output(clip, output, request, [], force)  # a bad name fails before the clip is read
    info = probe(clip, video.span, video.max_frames)
    _, _, first = next(read_frames(clip, video.span))
    job = prepare(first, request=request, works=works, offline=offline, options=opts, settings=settings, seed=seed, fetch=fetch)
    path = _output(clip, output, request, job.picks, force)
    clip_sha = sha256_file(clip)
    key = {"clip": clip_sha, "works": [p.as_dict() for p in job.picks], "seed": seed, "params": opts.as_dict(),
           "video": video.as_dict(), "weights": job.net.weights_identity}
    store = FrameStore(frames_folder(path), key, restart=force)
    if on_start is not None:
        on_start(info, job.picks)
    started = time.perf_counter()
    with deterministic_kernels(job.device, opts.cudnn_benchmark):
        warm = video.frame_iterations if video.frame_iterations is not None else max(1, round(opts.iterations * FRAME_SHARE))
        painter = FramePainter(job, first, targets or CachedTargets(settings, job.device), video.temporal,
                               video.temporal_weight, warm, video.flow)
        _paint_frames(clip, video.span, painter, store, info, callback, on_frame)
    frames = [store.image_path(e["index"]) for e in store.done]
    encode(frames, path, info.rate / video.every, clip, video.span)
    return _finish(path, job, info, clip_sha, video, store, time.perf_counter() - started, settings)


def _paint_frames(clip: Path, span: Span, painter: FramePainter, store: FrameStore, info: ClipInfo, callback, on_frame) -> None:
    previous_source, previous_raw = None, store.state()
    for index, when, image in read_frames(clip, span):
        source = painter.tensor(image)
        if index < len(store.done):  # painted by an earlier run: only its source frame is needed, for the flow
            previous_source = source
            if on_frame is not None:
                entry = store.done[index]
                on_frame(FrameReport(index, info.painted, entry["iterations"], entry["seconds"], resumed=True))
            continue
        t0 = time.perf_counter()
        painted, result = painter.paint(source, previous_source, previous_raw, callback)
        seconds = time.perf_counter() - t0
        entry = {"index": index, "time": round(when, 6), "iterations": result.iterations, "stopped_early": result.stopped_early,
                 "seconds": round(seconds, 4), "loss": result.trace[-1] if result.trace else None}
        store.save(index, painted, result.image, entry, result.trace)
        previous_source, previous_raw = source, result.image
        if on_frame is not None:
            on_frame(FrameReport(index, info.painted, result.iterations, seconds))


def _finish(path: Path, job, info: ClipInfo, clip_sha: str, video: VideoOptions, store: FrameStore, seconds: float,
            settings: Settings) -> VideoResult:
    """Write the losses and the provenance beside the video, and the catalog's ``runs`` row."""
    losses_path = path.with_name(f"{path.stem}.losses.json")
    atomic_write_json(losses_path, [{"index": e["index"], "trace": t} for e, t in zip(store.done, store.losses())])
    record = {
        "format": VIDEO_FORMAT, "kind": "video", "created_at": catalog.now(),
        "clip": {**info.record(), "sha256": clip_sha}, "output": str(path), "frames_folder": str(store.folder),
        "works": [p.as_dict() for p in job.picks], "request": job.request, "seed": job.seed,
        "params": job.opts.as_dict(), "targets": job.target_config.as_dict(), "video": video.as_dict(),
        "temporal": video.temporal.value, "output_rate": str(info.rate / video.every),
        "device": str(job.device), "weights": {"identity": job.net.weights_identity, "random_weights": job.net.random_weights},
        "random_weights": job.net.random_weights, "versions": library_versions(),
        "frames": store.done, "losses": str(losses_path), "loss": {"last": store.done[-1]["loss"] or {}},
        "timings": {"this_run": round(seconds, 3), "total": round(sum(e["seconds"] for e in store.done), 3)},
    }
    record["run_id"] = record_run(catalog.open_catalog(settings.catalog_path), record)
    atomic_write_json(path.with_name(path.name + ".json"), record)
    return VideoResult(path, record, store.done)
