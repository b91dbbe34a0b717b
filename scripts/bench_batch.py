"""Photos per minute of ``run_batch`` at 256 px, for batch size 1 against larger batch sizes.

Usage (from the repository root)::

    PYTHONPATH=$PWD python scripts/bench_batch.py --photos 8 --iterations 50 --batch-sizes 1,4,8 \
        [--weights torchvision|random] [--device cpu|cuda] [--size 256] [--json out.json]

Each batch size gets a fresh data home and out dir (so the style cache starts
cold for each, equally), built from the shared paintings (``../shared/paintings``
or ``ARTSTYLE_SHARED``): works of two artists, and the shared photos plus
scikit-image's, resized copies to reach ``--photos``. A warm-up batch of one job
loads the network first; the measured stage is bracketed by
``torch.cuda.synchronize()`` on CUDA.

The photos are cropped to one aspect ratio so that they paint at one size and
``--batch-size`` can put them in one batch tensor. Recorded, with the args, in
``--json`` when given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the test helpers that make photos and register the shared paintings

from artstyle.batch.run import run_batch  # noqa: E402
from artstyle.settings import Settings  # noqa: E402
from support.batch import photos  # noqa: E402
from support.corpus import register_paintings  # noqa: E402

SHARED = Path(os.environ.get("ARTSTYLE_SHARED", REPO.parent / "shared"))
ARTISTS = ["pablo-picasso", "vincent-van-gogh"]


def _photo_folder(root: Path, count: int) -> Path:
    """``count`` distinct 4:3 photos (zoomed crops of the base photos), so all paint at one size and can batch."""
    base = sorted(photos(SHARED / "paintings", root / "base").iterdir())
    folder = root / "photos"
    folder.mkdir()
    for i in range(count):
        image = Image.open(base[i % len(base)]).convert("RGB")
        inset = 0.03 * (i // len(base))  # each repeat zooms in a little: distinct photos, one aspect ratio
        width, height = image.size
        image = image.crop((round(width * inset), round(height * inset), round(width * (1 - inset)), round(height * (1 - inset))))
        ImageOps.fit(image, (640, 480)).save(folder / f"p{i:03d}.png")
    return folder


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure(batch_size: int, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        register_paintings(root / "home", SHARED / "paintings", ARTISTS)
        folder = _photo_folder(root, args.photos)
        settings = Settings.build(home=root / "home", device=args.device, weights=args.weights, quiet=True)
        common = dict(like=ARTISTS[:1], settings=settings, offline=True, size=args.size, iterations=args.iterations,
                      batch_size=batch_size, tolerance=0.0)
        run_batch([next(folder.iterdir())], out_dir=root / "warmup", **common)  # network load and first kernels
        _sync(args.device)
        started = time.perf_counter()
        report = run_batch([folder], out_dir=root / "out", **common)
        _sync(args.device)
        seconds = time.perf_counter() - started
    return {"batch_size": batch_size, "photos": report.done, "failed": len(report.failed), "seconds": round(seconds, 2),
            "photos_per_minute": round(60 * report.done / seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--batch-sizes", default="1,4,8")
    parser.add_argument("--weights", default="torchvision")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.manual_seed(0)
    results = []
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        results.append(measure(batch_size, args))
        print(json.dumps(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results}, indent=2))


if __name__ == "__main__":
    main()
