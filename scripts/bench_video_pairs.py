"""Flow against independent on many clips and works: is the temporal weight's trade the same everywhere?

``scripts/bench_video.py`` measures the modes on one clip and one work. The
temporal weight trades flicker for style, and that trade differs from clip to
clip and work to work, so its default was chosen on every pair of the given
photos (each panned into a clip) and works. Per pair it reports independent's
and flow's flicker and style loss, flow's flicker as a share of independent's,
and the change in style loss (negative: flow's is lower). Usage (from the
repository root; the README's figures are the defaults at 64 px):

    PYTHONPATH=$PWD python scripts/bench_video_pairs.py --frames 16 --size 64 --iterations 200 [--temporal-weight W] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import torch

from artstyle.paint import PaintOptions
from artstyle.settings import Settings
from artstyle.video import VideoOptions
from artstyle.video.synthetic import pan_clip
from scripts.bench_video import SHARED, clip_flows, clip_size, run_mode

PHOTOS = ("photos/tubingen.jpg", "photos/golden-gate.jpg")
WORKS = ("edvard-munch/the-scream-1893.jpg", "vincent-van-gogh/the-starry-night-1889.jpg",
         "katsushika-hokusai/the-great-wave-off-kanagawa-1831.jpg", "pablo-picasso/seated-nude-1910.jpg")


def compare(photo: Path, work: Path, out: Path, args, settings: Settings) -> dict:
    """Independent and flow on one photo's clip after one work (in a folder of their own under ``out``)."""
    out = out / f"{photo.stem}-{work.stem}"
    out.mkdir()
    clip = pan_clip(photo, out / "clip.mp4", frames=args.frames, size=clip_size(args.size), audio=False)
    flows = clip_flows(clip, args.size)
    opts = PaintOptions(size=args.size, iterations=args.iterations)
    video = VideoOptions(temporal_weight=args.temporal_weight)
    alone, flow = (run_mode(clip, out, mode, opts, video, settings, work, flows) for mode in ("independent", "flow"))
    return {"photo": photo.name, "work": work.name, "independent": _figures(alone), "flow": _figures(flow),
            "flicker_share": flow["flicker"] / alone["flicker"], "style_change": flow["style_loss"] / alone["style_loss"] - 1}


def _figures(row: dict) -> dict:
    return {k: row[k] for k in ("flicker", "style_loss", "iterations_per_frame", "seconds_per_frame")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--temporal-weight", type=float, default=VideoOptions.temporal_weight)
    parser.add_argument("--photos", default=",".join(PHOTOS), help="photos under ../shared/paintings (or paths), comma-separated")
    parser.add_argument("--works", default=",".join(WORKS), help="works under ../shared/paintings (or paths), comma-separated")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    photos, works = ([SHARED / name for name in text.split(",")] for text in (args.photos, args.works))
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "home").mkdir()
        settings = Settings.build(home=Path(tmp) / "home", device="cpu", weights="random", wikiart_url="http://127.0.0.1:9", quiet=True)
        for photo in photos:
            for work in works:
                pairs.append(compare(photo, work, Path(tmp), args, settings))
                print(f"{photo.stem} after {work.stem}: done", file=sys.stderr)
    if args.json:
        print(json.dumps({"args": vars(args), "pairs": pairs}, indent=2))
        return
    print(f"{args.frames} frames at {args.size} px, --iterations {args.iterations}, temporal weight {args.temporal_weight}, random weights")
    print(f"{'photo':<16}{'work':<42}{'flicker':>9}{'flow':>7}{'share':>7}{'style':>10}{'flow':>10}{'change':>8}")
    for p in pairs:
        print(f"{p['photo']:<16}{p['work']:<42}{p['independent']['flicker']:>9.2f}{p['flow']['flicker']:>7.2f}{p['flicker_share']:>7.0%}"
              f"{p['independent']['style_loss']:>10.5f}{p['flow']['style_loss']:>10.5f}{p['style_change']:>+8.1%}")
    shares, changes = [p["flicker_share"] for p in pairs], [p["style_change"] for p in pairs]
    print(f"flow's flicker: {min(shares):.0%}-{max(shares):.0%} of independent's (mean {statistics.mean(shares):.0%}); "
          f"style loss lower on {sum(c < 0 for c in changes)} of {len(pairs)} pairs, worst {max(changes):+.1%}")


if __name__ == "__main__":
    main()
