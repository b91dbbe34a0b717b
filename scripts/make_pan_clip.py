"""Make a demo clip to paint: a window panning across a photo, with a tone as its audio.

Siegel (2016) painted a clip that is not ours to ship; this makes one anyone can,
from any photo or, by default, scikit-image's ``coffee`` photo (public domain),
with the same generator the tests and ``scripts/bench_video.py`` use
(:func:`artstyle.video.synthetic.pan_clip`). Usage (from the repository root):

    PYTHONPATH=$PWD python scripts/make_pan_clip.py pan.mp4 [--photo PATH] [--frames 48] [--size 384x256] [--rate 12]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import skimage.data
from PIL import Image

from artstyle.errors import ArtstyleError
from artstyle.video.synthetic import pan_clip


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"malformed size {text!r}: give WIDTHxHEIGHT, e.g. 384x256") from None
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise argparse.ArgumentTypeError(f"size {text} must be even numbers of 16 px or more (H.264 wants even sides)")
    return width, height


def at_least(minimum: int):
    """An argparse type: a whole number of ``minimum`` or more."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}")
        return value

    return parse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="the .mp4 to write")
    parser.add_argument("--photo", type=Path, help="the photo to pan across (default: scikit-image's coffee)")
    parser.add_argument("--frames", type=at_least(2), default=48)
    parser.add_argument("--size", type=parse_size, default=(384, 256), help="WIDTHxHEIGHT of the clip")
    parser.add_argument("--rate", type=at_least(1), default=12, help="frames per second")
    parser.add_argument("--step", type=at_least(1), default=2, help="px the window moves per frame")
    args = parser.parse_args()
    if args.photo is not None and not args.photo.is_file():
        print(f"error: {args.photo} does not exist; give a photo file with --photo, or leave it out for scikit-image's", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        photo = args.photo
        if photo is None:
            photo = Path(tmp) / "coffee.png"
            Image.fromarray(skimage.data.coffee()).save(photo)
        try:
            pan_clip(photo, args.output, frames=args.frames, size=args.size, rate=args.rate, step=args.step)
        except ArtstyleError as exc:  # an unreadable photo: one line, and no clip (pan_clip writes atomically)
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    print(f"wrote {args.output}: {args.frames} frames of {args.size[0]}x{args.size[1]} at {args.rate} fps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
