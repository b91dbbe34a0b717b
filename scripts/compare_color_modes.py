"""Compare ``--color reinhard`` (the seed paper's) with the cache-friendly ``reinhard-inverse``.

Usage (from the repository root):

    PYTHONPATH=$PWD python scripts/compare_color_modes.py [--size 128] [--iterations 30] [--out corpus/runs/color-modes]

For each photo in ../shared/paintings/photos and each chosen work, it paints
with every mode in --modes (same seed, same everything else) and records:

- ``color_distance``: Σ over lαβ channels of |mean_out − mean_photo| +
  |std_out − std_photo|: how far the painting's colours are from the photo's
  (the thing both Reinhard modes are for; ``none`` is the reference);
- ``style_ratio``: how many times the style loss fell during the run;
- ``targets_s``: seconds ``paint`` spent on style targets (the second photo
  shows the cache: reinhard's entries are keyed by each photo's palette and
  miss; reinhard-inverse reuses the work's own entry);
- ``inverse_vs_reinhard``: mean absolute pixel difference between the two
  Reinhard variants' paintings (0..1).

Writes ``contact-sheet.png`` (rows: photo, work, then one painting per mode,
labelled) and ``results.json`` into --out, and prints a summary table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from artstyle.core.color import lab_stats  # noqa: E402
from artstyle.files import load_image, save_image  # noqa: E402
from artstyle.paint import paint  # noqa: E402
from artstyle.settings import Settings  # noqa: E402
from artstyle.core.images import image_to_tensor  # noqa: E402
from support.corpus import register_paintings  # noqa: E402

DEFAULT_WORKS = "pablo-picasso,vincent-van-gogh,edvard-munch,katsushika-hokusai"
TILE = 160


def color_distance(image: Image.Image, photo_stats) -> float:
    return float((lab_stats(image_to_tensor(image)) - photo_stats).abs().sum())


def tile(image: Image.Image, label: str) -> Image.Image:
    """The image fitted in a TILE×TILE square with a caption under it."""
    canvas = Image.new("RGB", (TILE, TILE + 16), "white")
    thumb = ImageOps.contain(image, (TILE, TILE))  # up or down to fit
    canvas.paste(thumb, ((TILE - thumb.width) // 2, (TILE - thumb.height) // 2))
    ImageDraw.Draw(canvas).text((4, TILE + 2), label[:26], fill="black")
    return canvas


def contact_sheet(rows: list[list[Image.Image]]) -> Image.Image:
    sheet = Image.new("RGB", (TILE * max(map(len, rows)), (TILE + 16) * len(rows)), "white")
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            sheet.paste(cell, (c * TILE, r * (TILE + 16)))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weights", default="random", help="torchvision for ImageNet weights (needs them cached or online)")
    parser.add_argument("--works", default=DEFAULT_WORKS, help="artists, one random work each")
    parser.add_argument("--modes", default="reinhard,reinhard-inverse,none")
    parser.add_argument("--paintings", type=Path, default=REPO.parent / "shared" / "paintings")
    parser.add_argument("--out", type=Path, default=Path("corpus/runs/color-modes"))
    args = parser.parse_args()
    modes = args.modes.split(",")
    photos = sorted((args.paintings / "photos").glob("*.jpg"))
    results, rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        register_paintings(home, args.paintings)
        settings = Settings.build(home=home, device="cpu", weights=args.weights, quiet=True)
        for artist in args.works.split(","):
            for photo in photos:
                photo_stats = lab_stats(image_to_tensor(load_image(photo), args.size))
                row_result, paintings = {"photo": photo.name, "artist": artist}, {}
                for mode in modes:
                    done = paint(photo, like=artist, seed=args.seed, settings=settings, color=mode,
                                 size=args.size, iterations=args.iterations)
                    paintings[mode] = done.image
                    row_result["work"] = done.picks[0].title
                    row_result[mode] = {
                        "color_distance": color_distance(done.image, photo_stats),
                        "style_ratio": done.provenance["loss"].get("style_ratio"),
                        "targets_s": done.provenance["timings"]["targets"],
                    }
                if {"reinhard", "reinhard-inverse"} <= set(paintings):
                    a, b = (np.asarray(paintings[m], dtype=np.float32) / 255 for m in ("reinhard", "reinhard-inverse"))
                    row_result["inverse_vs_reinhard"] = float(np.abs(a - b).mean())
                results.append(row_result)
                work_image = load_image(done.picks[0].path)
                rows.append([tile(load_image(photo), photo.stem), tile(work_image, row_result["work"])]
                            + [tile(paintings[m], f"{m} d={row_result[m]['color_distance']:.3f}") for m in modes])
    args.out.mkdir(parents=True, exist_ok=True)
    save_image(contact_sheet(rows), args.out / "contact-sheet.png")
    summary = {m: {"color_distance_median": statistics.median(r[m]["color_distance"] for r in results),
                   "targets_s_median": statistics.median(r[m]["targets_s"] for r in results)} for m in modes}
    record = {"args": {k: str(v) for k, v in vars(args).items()}, "results": results, "summary": summary}
    (args.out / "results.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"{'photo':<16}{'artist':<20}" + "".join(f"{m:>18}" for m in modes) + "   |inv-rh|")
    for r in results:
        print(f"{r['photo']:<16}{r['artist']:<20}" + "".join(f"{r[m]['color_distance']:>18.4f}" for m in modes)
              + f"   {r.get('inverse_vs_reinhard', float('nan')):.4f}")
    print("median color distance: " + ", ".join(f"{m} {s['color_distance_median']:.4f}" for m, s in summary.items()))
    print("median target setup s: " + ", ".join(f"{m} {s['targets_s_median']:.3f}" for m, s in summary.items()))
    print(f"wrote {args.out / 'contact-sheet.png'} and {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
