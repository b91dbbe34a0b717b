"""Photos per minute of ``run_batch`` with ``--executor local`` and ``--executor ray`` (one and two actors).

Usage (from the repository root)::

    PYTHONPATH=$PWD python scripts/bench_executor.py --photos 6 --size 64 --iterations 10 [--gpus 1,8,64] [--json out.json]

Every configuration paints the same photos (shared photos plus resized copies,
one aspect ratio, batch size 1) after one artist with the same seed, into a
fresh data home, with one torch thread per painter (one thread each: the local
process, or each actor). Ray is started once, locally, with as many CPUs as
the largest actor count. A warm-up batch of one job per configuration loads
the networks (locally, and on each actor) before the measured stage.

Reported: photos per minute for each configuration; the per-job overhead of
the ray path (one actor's seconds per job minus local's: shipping photo and
targets, scheduling, returning the image); and a PROJECTION, not a
measurement, of photos per minute on N GPUs: N x (one job's painting time on
a GPU, given with --gpu-seconds-per-job, plus the measured overhead), which
assumes the driver keeps up and targets are cached.
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
sys.path.insert(0, str(REPO))

from artstyle.batch.executors import LocalExecutor  # noqa: E402
from artstyle.batch.run import run_batch  # noqa: E402
from artstyle.settings import Settings  # noqa: E402
from tests.batch_support import photos, register_paintings  # noqa: E402

SHARED = Path(os.environ.get("ARTSTYLE_SHARED", REPO.parent / "shared"))


def make_photos(folder: Path, count: int, size: int) -> Path:
    """``count`` photos of one aspect ratio (4:3), so every job paints at one size."""
    source = sorted(photos(SHARED / "paintings", folder / "source").iterdir())
    out = folder / "photos"
    out.mkdir(parents=True)
    for index in range(count):
        image = Image.open(source[index % len(source)]).convert("RGB")
        ImageOps.fit(image, (size * 4 // 3 + index, size + index // 2)).save(out / f"photo{index:03d}.png")
    return out


def measure(executor_name: str, actors: int, args, root: Path) -> dict:
    """Seconds for a warm-up job, then for ``--photos`` jobs, on one executor configuration."""
    home = root / f"{executor_name}-{actors}"
    register_paintings(home, SHARED / "paintings", ["pablo-picasso"])
    settings = Settings(home=home, device="cpu", weights=args.weights, quiet=True)
    folder = make_photos(home, args.photos, args.size)

    def executor():
        if executor_name == "local":
            return LocalExecutor()
        from artstyle.batch.ray_executor import RayExecutor

        return RayExecutor(actors=actors, in_flight=2)

    def run(inputs, out: Path):
        started = time.perf_counter()
        report = run_batch(inputs, out_dir=out, like=["pablo-picasso"], seed=1, settings=settings, offline=True,
                           executor=executor(), batch_size=1, size=args.size, iterations=args.iterations)
        assert report.done == report.total, report.failed
        return time.perf_counter() - started, report

    warm, _ = run([sorted(folder.iterdir())[0]], home / "warm")
    seconds, report = run([folder], home / "out")
    return {"executor": executor_name, "actors": actors, "photos": report.total, "warmup_seconds": round(warm, 2),
            "seconds": round(seconds, 2), "photos_per_minute": round(60 * report.total / seconds, 2), "nodes": report.nodes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--weights", default="random")
    parser.add_argument("--gpus", default="1,8,64", help="GPU counts to project for")
    parser.add_argument("--gpu-seconds-per-job", type=float, default=None,
                        help="one job's painting time on one GPU, measured elsewhere (projection input; none: no projection)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, actors in (("local", 1), ("ray", 1), ("ray", 2)):
            rows.append(measure(name, actors, args, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    ray.shutdown()
    local, one = rows[0], rows[1]
    overhead = one["seconds"] / one["photos"] - local["seconds"] / local["photos"]
    summary = {"args": vars(args) | {"json": str(args.json) if args.json else None}, "rows": rows,
               "ray_overhead_seconds_per_job": round(overhead, 3)}
    if args.gpu_seconds_per_job:
        per_job = args.gpu_seconds_per_job + max(0.0, overhead)
        summary["projection_photos_per_minute_by_gpus (PROJECTION, not measured)"] = {
            n: round(60 * n / per_job, 1) for n in map(int, args.gpus.split(","))}
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
