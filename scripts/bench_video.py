"""Flicker, iterations, seconds and style loss per frame for each temporal mode (README: Video).

Paints the test clip (a window panning across a shared photo, made with PyAV,
:func:`artstyle.video.synthetic.pan_clip`) with random weights in each mode of
``--temporal`` and reports per mode:

- flicker: mean |painted frame k − painted frame k-1 warped along the source's flow|
  over the pixels the forward-backward check trusts, in 0-255 units, averaged over frames;
- iterations and seconds per frame (the first frame excluded: it is the same in every mode);
- the final style loss per frame (weighted, as the optimiser saw it).

``--sheet PATH`` also draws the modes as a picture: a row per mode of a few consecutive painted
frames and, last, what changed between the last two that the pan does not explain (the
difference to the previous frame warped along the flow, amplified; black is steady).

``--warm-check N`` also paints the warm-started modes with N iterations per frame and no early
stop, and reports at which iteration each frame's loss came within 1% of where it ended: that is
a second view of the per-frame default (``FRAME_SHARE`` of ``--iterations``).

    PYTHONPATH=. python scripts/bench_video.py --threads 2 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from artstyle.batch.grid import render_grid
from artstyle.core.images import image_to_tensor, tensor_to_image
from artstyle.files import load_image
from artstyle.paint import PaintOptions
from artstyle.settings import Settings
from artstyle.video import VideoOptions, paint_video
from artstyle.video.clip import read_frames
from artstyle.video.flow import dense_flow, flicker, unexplained_change
from artstyle.video.synthetic import pan_clip

SHARED = Path(__file__).resolve().parents[2] / "shared" / "paintings"
SHOWN = 4  # consecutive frames per mode on the sheet
GAIN = 4  # the change image is amplified this many times


def clip_size(size: int) -> tuple[int, int]:
    """The test clip's (width, height) for a painted size: 3:2, with even sides (H.264 wants them)."""
    return size // 2 * 2, size // 3 * 2


def clip_flows(clip: Path, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(backward, forward) source flows between each frame and the one before it."""
    frames = [image_to_tensor(image, size) for _, _, image in read_frames(clip)]
    return [(dense_flow(b, a), dense_flow(a, b)) for a, b in zip(frames, frames[1:])]


def painted_frames(folder: Path) -> list[torch.Tensor]:
    return [image_to_tensor(load_image(p)) for p in sorted(folder.glob("frame-*.png"))]  # at their own size


def run_mode(clip: Path, out: Path, temporal: str, opts: PaintOptions, video: VideoOptions, settings: Settings, style: Path, flows) -> dict:
    started = time.perf_counter()
    result = paint_video(clip, style_images=[style], options=opts, video=VideoOptions(**{**video.as_dict(), "temporal": temporal}),
                         settings=settings, seed=0, output=out / f"{temporal}.mp4")
    seconds = time.perf_counter() - started
    frames = painted_frames(Path(result.provenance["frames_folder"]))
    flick = [255 * flicker(b, a, back, fwd) for a, b, (back, fwd) in zip(frames, frames[1:], flows)]
    later = result.frames[1:]
    traces = json.loads(Path(result.provenance["losses"]).read_text())
    style_loss = [t["trace"][-1]["parts"]["style"] for t in traces]
    return {"mode": temporal, "flicker": statistics.mean(flick), "iterations_per_frame": statistics.mean(e["iterations"] for e in later),
            "seconds_per_frame": statistics.mean(e["seconds"] for e in later), "style_loss": statistics.mean(style_loss[1:]),
            "style_loss_per_frame": [round(x, 5) for x in style_loss], "flicker_per_frame": [round(x, 3) for x in flick],
            "wall_seconds": round(seconds, 1), "frames": frames}


def change_image(frames: list[torch.Tensor], flows, index: int) -> Image.Image:
    """|frame index − frame index-1 warped along the source's flow| × GAIN over trusted pixels (black: steady)."""
    change, _ = unexplained_change(frames[index], frames[index - 1], *flows[index - 1])
    return tensor_to_image((change * GAIN).clamp(0, 1))


def mode_sheet(rows: list[dict], flows, title: str) -> Image.Image:
    """A row per mode: SHOWN consecutive painted frames from the middle of the clip, then the last one's change."""
    count = len(rows[0]["frames"])  # 2 or more
    first = max(1, min(count // 2 - SHOWN // 2, count - SHOWN))
    shown = range(first, first + min(SHOWN, count - first))
    cells = [[tensor_to_image(r["frames"][i]) for i in shown] + [change_image(r["frames"], flows, shown[-1])] for r in rows]
    labels = [[f"style loss {r['style_loss_per_frame'][i]:.4g}" for i in shown]
              + [f"flicker {r['flicker_per_frame'][shown[-1] - 1]:.1f} (clip {r['flicker']:.1f})"] for r in rows]
    columns = [f"frame {i}" for i in shown] + [f"change {shown[-2]} to {shown[-1]}, x{GAIN}"]
    return render_grid(cells, labels, title=title, cell=160, varies="temporal mode", fixed="seed 0, the same work and options",
                       random_weights=True, row_headers=[f"temporal={r['mode']}" for r in rows], column_headers=columns)


def warm_check(clip: Path, out: Path, temporal: str, opts: PaintOptions, video: VideoOptions, settings: Settings, style: Path, iterations: int) -> dict:
    """Iteration at which each warm-started frame's loss came within 1% of its final loss (no early stop)."""
    video = VideoOptions(**{**video.as_dict(), "temporal": temporal, "frame_iterations": iterations})
    result = paint_video(clip, style_images=[style], options=opts.with_overrides(tolerance=0.0), video=video, settings=settings,
                         seed=0, output=out / f"warm-{temporal}.mp4")
    traces = json.loads(Path(result.provenance["losses"]).read_text())[1:]
    reached = [next(t["iteration"] for t in trace["trace"] if t["loss"] <= 1.01 * trace["trace"][-1]["loss"]) for trace in traces]
    return {"mode": temporal, "iterations": iterations, "median_within_1pct": statistics.median(reached), "max_within_1pct": max(reached)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--iterations", type=int, default=PaintOptions.iterations)
    parser.add_argument("--frame-iterations", type=int, default=None, help="default: the library's share of --iterations")
    parser.add_argument("--temporal-weight", type=float, default=VideoOptions.temporal_weight)
    parser.add_argument("--tolerance", type=float, default=PaintOptions.tolerance, help="early stop (0: every iteration)")
    parser.add_argument("--modes", default="independent,previous,flow")
    parser.add_argument("--warm-check", type=int, default=0)
    parser.add_argument("--photo", type=Path, default=SHARED / "photos" / "tubingen.jpg", help="the photo the clip pans across")
    parser.add_argument("--style", type=Path, default=SHARED / "edvard-munch" / "the-scream-1893.jpg", help="the style image")
    parser.add_argument("--sheet", type=Path, help="also draw the modes' frames and changes into this PNG")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows, checks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "home").mkdir()
        settings = Settings.build(home=out / "home", device="cpu", weights="random", wikiart_url="http://127.0.0.1:9", quiet=True)
        clip = pan_clip(args.photo, out / "clip.mp4", frames=args.frames, size=clip_size(args.size))
        style = args.style
        opts = PaintOptions(size=args.size, iterations=args.iterations, tolerance=args.tolerance)
        video = VideoOptions(frame_iterations=args.frame_iterations, temporal_weight=args.temporal_weight)
        flows = clip_flows(clip, args.size)
        for mode in args.modes.split(","):
            rows.append(run_mode(clip, out, mode, opts, video, settings, style, flows))
            print(f"{mode}: done in {rows[-1]['wall_seconds']} s", file=sys.stderr)
        if args.sheet:
            title = f"bench_video · {args.frames} frames at {args.size} px · --iterations {args.iterations}"
            mode_sheet(rows, flows, title).save(args.sheet, optimize=True)
            print(f"sheet: {args.sheet}", file=sys.stderr)
        for row in rows:
            del row["frames"]
        if args.warm_check:
            checks = [warm_check(clip, out, m, opts, video, settings, style, args.warm_check) for m in ("previous", "flow")]
    if args.json:
        print(json.dumps({"args": vars(args), "modes": rows, "warm_check": checks}, indent=2, default=str))
        return
    print(f"{args.frames} frames at {args.size} px, random weights, {args.threads} threads")
    print(f"{'mode':<12}{'flicker':>9}{'it/frame':>10}{'s/frame':>9}{'style loss':>12}")
    for r in rows:
        print(f"{r['mode']:<12}{r['flicker']:>9.2f}{r['iterations_per_frame']:>10.1f}{r['seconds_per_frame']:>9.2f}{r['style_loss']:>12.4g}")
    for c in checks:
        print(f"warm start ({c['mode']}): within 1% of the {c['iterations']}-iteration loss by iteration {c['median_within_1pct']} (median), {c['max_within_1pct']} (max)")


if __name__ == "__main__":
    main()
