"""``artstyle video CLIP --like ARTIST``: a thin shell over :func:`artstyle.video.paint_video`.

Every painting flag of ``artstyle paint`` (:mod:`artstyle.cli.paint_flags`) plus the video's own:
the span (``--start``, ``--duration``, ``--every``), the temporal mode and the frame limit. A bar
over the frames, and one for the current frame's iterations.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Optional

import typer

from artstyle.cli.common import note, progress, settings_of, stdout, warn
from artstyle.core.features import RANDOM_WEIGHTS_NOTE
from artstyle.cli.paint_flags import OUTPUT, STYLE, Blend, Offline, StyleImages, StyleWeights, Work, with_paint_flags
from artstyle.corpus.sampler import parse_works
from artstyle.paint import PaintOptions, default_fetch
from artstyle.video import FlowMethod, Temporal, VideoOptions, paint_video

_VIDEO = "Video"
_DEFAULTS = VideoOptions()


class _Bars:
    """Frames, with the current frame's iterations below; started once the request is known to be valid."""

    def __init__(self, settings, stack: contextlib.ExitStack, options: PaintOptions, video: VideoOptions) -> None:
        self.settings, self.stack, self.options, self.video = settings, stack, options, video
        self.bar = self.frames = self.steps = None

    def start(self, info, picks) -> None:
        for pick in picks:
            stdout.print(f"style: {pick.artist or 'style image'}: {pick.title} [{pick.work_id}] weight {pick.weight:.3g}", highlight=False, markup=False)
        note(self.settings, f"{info.painted} frames to paint at {float(info.rate / self.video.every):g} fps ({info.duration:.2f} s)")
        if self.settings.weights == "random":
            warn(self.settings, RANDOM_WEIGHTS_NOTE)
        self.bar = self.stack.enter_context(progress(self.settings))
        self.frames = self.bar.add_task("frames", total=info.painted)
        self.steps = self.bar.add_task("  iterations", total=self.options.iterations)

    def step(self, step) -> None:
        if step.iteration == 1:  # a new frame: its own budget (the first frame's, or --frame-iterations)
            self.bar.reset(self.steps, total=step.iterations)
        self.bar.update(self.steps, completed=step.iteration)

    def frame(self, report) -> None:
        self.bar.update(self.frames, completed=report.index + 1, description="frames (resumed)" if report.resumed else "frames")


@with_paint_flags()
def video_command(
    ctx: typer.Context,
    clip: Annotated[Path, typer.Argument(help="The video clip to paint.", show_default=False)],
    like: Annotated[Optional[list[str]], typer.Option("--like", help="Artist to paint like: one work drawn with --seed for the whole clip.", rich_help_panel=STYLE)] = None,
    works: Annotated[str, typer.Option(help="Works drawn per artist, or 'all'.", rich_help_panel=STYLE)] = "1",
    blend: Blend = None,
    work: Work = None,
    style_image: StyleImages = None,
    style_weights: StyleWeights = None,
    offline: Offline = False,
    temporal: Annotated[Temporal, typer.Option(help="independent: each frame alone; previous: start from the last painted frame (Siegel 2016); flow: start from it warped along the optical flow, with a temporal loss (Ruder et al. 2016).", rich_help_panel=_VIDEO)] = _DEFAULTS.temporal,
    temporal_weight: Annotated[float, typer.Option(help="Weight of the temporal loss (flow): higher, steadier frames and less style.", rich_help_panel=_VIDEO)] = _DEFAULTS.temporal_weight,
    frame_iterations: Annotated[Optional[int], typer.Option(help="Iterations at most for frames started from the previous one (the first takes --iterations).", show_default="half of --iterations", rich_help_panel=_VIDEO)] = None,
    flow: Annotated[FlowMethod, typer.Option(help="Optical flow: OpenCV's DIS or Farneback.", rich_help_panel=_VIDEO)] = _DEFAULTS.flow,
    start: Annotated[float, typer.Option(help="Start this many seconds into the clip.", rich_help_panel=_VIDEO)] = 0.0,
    duration: Annotated[Optional[float], typer.Option(help="Paint this many seconds.", show_default="to the end", rich_help_panel=_VIDEO)] = None,
    every: Annotated[int, typer.Option(help="Paint every N-th frame (a quick preview; the video keeps its duration).", rich_help_panel=_VIDEO)] = 1,
    max_frames: Annotated[int, typer.Option(help="Refuse clips with more frames to paint than this.", rich_help_panel=_VIDEO)] = _DEFAULTS.max_frames,
    seed: Annotated[int, typer.Option(help="Seed for the work drawn and the noise.")] = 0,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output video (.mp4).", show_default="CLIP.ARTIST.mp4 beside the clip", rich_help_panel=OUTPUT)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output and paint every frame afresh.", rich_help_panel=OUTPUT)] = False,
    options: PaintOptions = PaintOptions(),
) -> None:
    """Paint every frame of CLIP in an artist's style, resumably, and encode CLIP.ARTIST.mp4 with the clip's rate and audio."""
    settings = settings_of(ctx)
    video = VideoOptions(temporal=temporal, temporal_weight=temporal_weight, frame_iterations=frame_iterations, flow=flow,
                         start=start, duration=duration, every=every, max_frames=max_frames)
    with contextlib.ExitStack() as stack:
        bars = _Bars(settings, stack, options, video)
        result = paint_video(
            clip, like=like or (), blend=blend, work=work, style_images=style_image or (), style_weights=style_weights,
            works=parse_works(works), offline=offline, options=options, video=video, settings=settings, seed=seed,
            output=output, force=force, callback=bars.step, on_start=bars.start, on_frame=bars.frame,
            fetch=default_fetch(settings),
        )
    stdout.print(f"wrote {result.output} ({len(result.frames)} frames; provenance in {result.output}.json)", highlight=False, markup=False)
