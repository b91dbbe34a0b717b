"""One frame at a time: the temporal modes, and the objective each frame is painted toward.

- ``independent``: each frame is painted from its own photo, as a still would be.
- ``previous`` (Siegel 2016): each frame starts from the previous painted frame.
- ``flow`` (after Ruder, Dosovitskiy & Brox 2016): each frame starts from the
  previous painted frame warped along the optical flow between the two source
  frames, and a temporal loss keeps the pixels the flow trusts close to it.

Everything that belongs to the clip rather than to a frame is fixed once from
the first frame: the works' targets (read from the style cache once), the
colour maps to and from the works' palette, the colour statistics. So
consecutive frames are painted toward exactly the same style.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum

from PIL import Image
from torch import Tensor

from artstyle.core.losses import TemporalLoss, with_temporal
from artstyle.core.optimize import Init, OptimizeResult, optimize_batch
from artstyle.core.speed import fast_net
from artstyle.core.images import image_to_tensor, tensor_to_image
from artstyle.paint import Job
from artstyle.paint.pipeline import job_objective
from artstyle.paint.stages import colour_maps
from artstyle.style.provider import TargetProvider
from artstyle.style.targets import color_stats
from artstyle.video.flow import FlowMethod, dense_flow, mask_tensor, occlusion_mask, warp


class Temporal(str, Enum):
    independent = "independent"
    previous = "previous"
    flow = "flow"


class _Once:
    """A target provider that asks the real one once per work: the clip's targets are fixed."""

    def __init__(self, provider: TargetProvider) -> None:
        self.provider, self.targets, self.palettes = provider, {}, {}

    def __call__(self, pick, config, stats, net):
        key = (pick.work_id, str(pick.path))
        if key not in self.targets:
            self.targets[key] = self.provider(pick, config, stats, net)
        return self.targets[key]

    def palette(self, pick, config):
        key = (pick.work_id, str(pick.path))
        if key not in self.palettes:
            self.palettes[key] = self.provider.palette(pick, config)
        return self.palettes[key]


class FramePainter:
    """Paints a clip's frames in order; ``paint(source, previous_source, previous_raw)`` per frame."""

    def __init__(self, job: Job, first: Image.Image, provider: TargetProvider, temporal: Temporal,
                 temporal_weight: float, frame_iterations: int, flow: FlowMethod) -> None:
        self.job, self.opts = job, job.opts
        self.temporal, self.weight, self.frame_iterations, self.flow = Temporal(temporal), temporal_weight, frame_iterations, FlowMethod(flow)
        self.provider = _Once(provider)
        content = self.tensor(first)
        self.stats = color_stats(content, self.opts.color)
        self.recolor, self.finish = colour_maps(job, content, self.provider)
        self.net = fast_net(job.net, self.opts.precision, self.opts.channels_last, self.opts.compile)

    def tensor(self, image: Image.Image) -> Tensor:
        return image_to_tensor(image, self.opts.size).to(self.job.device)

    def paint(self, source: Tensor, previous_source: Tensor | None, previous_raw: Tensor | None, callback=None) -> tuple[Image.Image, OptimizeResult]:
        """source [1,3,H,W] photo -> (the painted frame, the optimisation; its image is the raw iterate to keep)."""
        start = self.recolor(source)
        objective = job_objective(self.job, self.opts, self.net, start, self.stats, self.provider)
        config = self.opts.optimize_config()
        if previous_raw is not None and self.temporal is not Temporal.independent:
            config = replace(config, init=Init.content, iterations=self.frame_iterations)
            start = previous_raw.to(start)
            if self.temporal is Temporal.flow:
                backward, forward = dense_flow(source, previous_source, self.flow), dense_flow(previous_source, source, self.flow)
                start = warp(start, backward)
                mask = mask_tensor(occlusion_mask(backward, forward), start)
                objective = with_temporal(objective, TemporalLoss(start, mask), self.weight)
        result = optimize_batch(objective, start, config, seeds=[self.job.seed], callbacks=[callback])[0]
        return tensor_to_image(self.finish(result.image)), result
