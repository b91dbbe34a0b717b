"""The parts of one painting around the optimiser: colour maps, scales, snapshots, combined results.

Colour maps are fixed once from the full-size photo, so every scale paints
toward the same palette and the result maps back exactly. With several scales
(coarse-to-fine, :mod:`artstyle.core.speed`) each scale's iterate is upsampled
to start the next; the scales' steps are reported with run-wide iteration
numbers and their results read as one.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PIL import Image
from torch import Tensor

from artstyle.core.color import ColorMode, grey_rgb, lab_stats, luminance, with_chroma
from artstyle.core.optimize import OptimizeResult, Step
from artstyle.core.recolor import inverse_maps, mixture_stats, to_palette
from artstyle.core.speed import split_iterations
from artstyle.files import save_image
from artstyle.paint.options import PaintOptions
from artstyle.style.provider import TargetProvider
from artstyle.core.images import image_to_tensor, tensor_to_image

if TYPE_CHECKING:
    from artstyle.paint.pipeline import Job

log = logging.getLogger(__name__)

ColourMap = Callable[[Tensor], Tensor]


def colour_maps(job: "Job", content: Tensor, provider: TargetProvider) -> tuple[ColourMap, ColourMap]:
    """(photo -> start image, optimised image -> output) for the colour mode, fixed from the full-size photo."""
    color = job.opts.color
    if color is ColorMode.reinhard_inverse:  # Reinhard on the photo's side, so the targets stay cacheable
        palettes = [provider.palette(pick, job.target_config) for pick in job.picks]
        _, unmap = inverse_maps(content, palettes, [pick.weight for pick in job.picks])
        photo, palette = lab_stats(content), mixture_stats(palettes, [pick.weight for pick in job.picks]).to(content)
        return (lambda x: to_palette(x, photo, palette)), unmap
    if color is ColorMode.luminance:  # Gatys et al. 2016: paint the luminance, keep the photo's colours
        return (lambda x: grey_rgb(luminance(x))), (lambda x: with_chroma(luminance(x), content))
    return (lambda x: x), (lambda x: x.clamp(0, 1))


def scale_plan(content_image: Image.Image, opts: PaintOptions, min_side: int) -> list[tuple[PaintOptions, int]]:
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


def offset_steps(callback, offset: int, total: int) -> Callable[[Step], None] | None:
    """Report a later scale's steps with run-wide iteration numbers."""
    if callback is None:
        return None
    return lambda step: callback(replace(step, iteration=step.iteration + offset, iterations=total))


def combined(results: list[OptimizeResult]) -> OptimizeResult:
    """The scales' results as one: the last image, every step's trace, the summed time."""
    last = results[-1]
    return OptimizeResult(
        image=last.image, trace=[t for r in results for t in r.trace], iterations=sum(r.iterations for r in results),
        stopped_early=last.stopped_early, seconds=sum(r.seconds for r in results), started_at=results[0].started_at,
    )


def with_snapshots(callback, output: Path | None, every: int, finish) -> Callable[[Step], None] | None:
    """Wrap the callback to write every ``every``-th iterate as ``<output stem>.iterNNNN<suffix>``."""
    if not (output and every):
        return callback

    def on_step(step: Step) -> None:
        if step.iteration % every == 0:
            save_image(tensor_to_image(finish(step.image)), output.with_name(f"{output.stem}.iter{step.iteration:04d}{output.suffix}"))
        if callback is not None:
            callback(step)

    return on_step
