"""Start-up of ``artstyle paint``: from the command to the first optimisation step, with cached targets.

Usage (from the repository root)::

    PYTHONPATH=$PWD python scripts/bench_startup.py [--size 512] [--weights random] [--device cpu] [--runs 3]

A temporary data home imports one shared painting; a first ``paint`` fills the
style cache, then each measured run is a fresh process (``python -m artstyle
paint ... --iterations 1``). Start-up is the time from launching it to the
moment its first optimisation step began, which the run records in its
provenance (``timings.first_step_at``, wall-clock): interpreter and library
imports, weights, photo loading, cached targets, colour maps, everything
before the first step. With ``--full`` it also times the whole default command
(paint's default iterations and schedule, cached targets), launch to exit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from artstyle.paint.provenance import sidecar_path  # noqa: E402

SHARED = Path(os.environ.get("ARTSTYLE_SHARED", REPO.parent / "shared"))


def _artstyle(home: Path, args: list[str], common: list[str]) -> tuple[float, float]:
    """Run one command -> (its launch time, Unix seconds; its wall time, seconds)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    launched, started = time.time(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "artstyle", "--home", str(home), *common, *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return launched, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--weights", default="random")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time one whole default paint command")
    args = parser.parse_args()
    common = ["--weights", args.weights, "--device", args.device, "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        home, folder = Path(tmp) / "home", Path(tmp) / "works"
        folder.mkdir()
        painting = SHARED / "paintings/vincent-van-gogh/the-starry-night-1889.jpg"
        (folder / painting.name).write_bytes(painting.read_bytes())
        photo = SHARED / "paintings/photos/tubingen.jpg"
        _artstyle(home, ["corpus", "import", str(folder), "--artist", "vincent-van-gogh"], common)
        paint = ["paint", str(photo), "--like", "vincent-van-gogh", "--offline", "--size", str(args.size), "--iterations", "1", "--seed", "1"]
        _artstyle(home, [*paint, "--output", str(Path(tmp) / "warm.png")], common)  # fills the style cache
        rows = []
        for run in range(args.runs):
            output = Path(tmp) / f"run{run}.png"
            launched, wall = _artstyle(home, [*paint, "--output", str(output)], common)
            timings = json.loads(sidecar_path(output).read_text())["timings"]
            rows.append({"wall_seconds": round(wall, 3), "startup_seconds": round(timings["first_step_at"] - launched, 3), "timings": timings})
            print(json.dumps(rows[-1]), flush=True)
        best = min(r["startup_seconds"] for r in rows)
        print(f"start-up to the first step with cached targets at {args.size} px: best {best:.2f} s of {args.runs} runs")
        if args.full:
            output = Path(tmp) / "full.png"
            at = paint.index("--iterations")
            default = paint[:at] + paint[at + 2:]  # paint's own iteration count and early stop
            _, wall = _artstyle(home, [*default, "--output", str(output)], common)
            record = json.loads(sidecar_path(output).read_text())
            print(json.dumps({"full_wall_seconds": round(wall, 2), "iterations": record["loss"]["iterations"], "timings": record["timings"]}))
            print(f"whole default paint command at {args.size} px: {wall:.1f} s")


if __name__ == "__main__":
    main()
