"""Benchmark of the optimisation step: time per step, the FLOP floor, time to quality, peak memory.

Seeded random VGG-19 weights (the figures are about speed, not art), the shared
Tübingen photo as content (or scikit-image's astronaut when ../shared is absent)
and Starry Night as the style. Every measurement runs in a fresh subprocess so
that its peak memory is its own.

    python scripts/bench.py --device cpu --sizes 256 512 --steps 5
    python scripts/bench.py --quality --quality-size 512 --reference-iterations 300
    python scripts/bench.py --json > bench.json

(a) seconds per optimisation step (loss forward + backward + optimizer update),
    after warm-up steps, with the device synchronised;
(b) the floor: FLOPs of the truncated VGG-19 forward and input-gradient backward
    at that size (artstyle.flops) over the device's best dense throughput for the
    dtype (scripts/throughput.py), and the step time as a multiple of it;
(c) time to quality (--quality): a plain fp32, single-scale, 300-iteration L-BFGS
    run from the content sets the bar (its final full-resolution fp32 loss); each
    configuration reports the wall time until its loss, evaluated the same way,
    is at or below the bar;
(d) peak memory: RSS on the CPU, max allocated on CUDA.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARTSTYLE_SHARED", REPO.parent / "shared"))

# Configurations measured; each key is an option of artstyle.paint.PaintOptions
# (new speed paths join here as they land in the library).
CONFIGS: dict[str, dict] = {
    "fp32-lbfgs": {"optimizer": "lbfgs"},
    "fp32-adam": {"optimizer": "adam"},
}


def _images():
    from PIL import Image

    from artstyle.files import load_image

    content = SHARED / "paintings/photos/tubingen.jpg"
    style = SHARED / "paintings/vincent-van-gogh/the-starry-night-1889.jpg"
    if content.exists() and style.exists():
        return load_image(content), load_image(style)
    import skimage.data

    return Image.fromarray(skimage.data.astronaut()), Image.fromarray(skimage.data.coffee())


def _objective(size: int, device, options):
    """The paint objective for the benchmark images at ``size`` -> (objective, content tensor)."""
    import torch

    from artstyle.features import load_feature_net
    from artstyle.losses import build_objective
    from artstyle.targets import color_stats, compute_style_targets, image_to_tensor, prepare_style

    content_image, style_image = _images()
    net = load_feature_net("random", options.style_layers + options.content_layers, options.pooling, device)
    content = image_to_tensor(content_image, size).to(device)
    config = options.target_config(net.weights_identity)
    style = prepare_style(style_image, config, color_stats(content, options.color), device)
    targets = compute_style_targets(net, style, options.style_layers)
    with torch.no_grad():
        content_features = {k: v for k, v in net(content).items() if k in options.content_layers}
    objective = build_objective(
        net, content_features, targets, [1.0], {layer: 1.0 for layer in options.style_layers},
        content_weight=options.content_weight, style_weight=options.style_weight, tv_weight=options.tv_weight,
    )
    return objective, content


def _peak_memory(device) -> int:
    import torch

    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def measure_steps(size: int, config: str, device: str, warmup: int, steps: int) -> dict:
    """(a) and (d) for one size and configuration, in this process."""
    from artstyle.device import resolve_device, synchronize
    from artstyle.optimize import optimize
    from artstyle.paint import PaintOptions

    device = resolve_device(device)
    options = PaintOptions(size=size, iterations=warmup + steps, tolerance=0, **CONFIGS[config])
    objective, content = _objective(size, device, options)
    marks: list[float] = []

    def on_step(step) -> None:
        synchronize(device)
        marks.append(time.perf_counter())

    optimize(objective, content, options.optimize_config(), seed=0, callback=on_step)
    per_step = (marks[-1] - marks[warmup - 1]) / steps
    return {"size": size, "height": content.shape[2], "width": content.shape[3], "config": config,
            "seconds_per_step": per_step, "peak_memory_bytes": _peak_memory(device), "device": str(device)}


def measure_quality(size: int, config: str, device: str, iterations: int, bar: float | None) -> dict:
    """(c): run to ``iterations``; report the final loss and when (if ever) the loss reached ``bar``."""
    from artstyle.device import resolve_device, synchronize
    from artstyle.optimize import optimize
    from artstyle.paint import PaintOptions

    device = resolve_device(device)
    options = PaintOptions(size=size, iterations=iterations, tolerance=0, **CONFIGS[config])
    objective, content = _objective(size, device, options)
    reached: list[float] = []
    start = time.perf_counter()

    def on_step(step) -> None:
        if bar is not None and not reached and step.loss <= bar:
            synchronize(device)
            reached.append(time.perf_counter() - start)

    result = optimize(objective, content, options.optimize_config(), seed=0, callback=on_step)
    import torch

    with torch.no_grad():
        final = float(objective(result.image)[0])  # fp32, full resolution, same weights and targets
    return {"size": size, "config": config, "iterations": result.iterations, "seconds": result.seconds,
            "final_loss": final, "bar": bar, "seconds_to_bar": reached[0] if reached else None}


def _in_subprocess(kind: str, **kwargs) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps({"kind": kind, **kwargs})],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement {kind} {kwargs} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _floor(row: dict, throughput: dict) -> dict:
    from artstyle.flops import step_flops

    flops = step_flops(row["height"], row["width"]).total
    floor = flops / throughput["float32"]["best"]
    return {"step_gflop": flops / 1e9, "floor_seconds": floor, "multiple_of_floor": row["seconds_per_step"] / floor}


def run(args) -> dict:
    from artstyle.device import resolve_device
    from scripts.throughput import best_throughput  # noqa: E402

    import torch

    device = resolve_device(args.device)
    throughput = {"float32": best_throughput(device, torch.float32)}
    rows = []
    for size in args.sizes:
        for config in args.configs:
            row = _in_subprocess("steps", size=size, config=config, device=args.device, warmup=args.warmup, steps=args.steps)
            rows.append({**row, **_floor(row, throughput)})
    report = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
              "throughput": throughput, "steps": rows}
    if args.quality:
        reference = _in_subprocess("quality", size=args.quality_size, config="fp32-lbfgs", device=args.device,
                                   iterations=args.reference_iterations, bar=None)
        bar = reference["final_loss"]
        report["quality"] = {"reference": reference, "runs": [
            _in_subprocess("quality", size=args.quality_size, config=config, device=args.device,
                           iterations=args.quality_iterations, bar=bar)
            for config in args.configs
        ]}
    return report


def print_table(report: dict) -> None:
    best = report["throughput"]["float32"]["best"]
    print(f"device {report['device']}  torch {report['torch']}  threads {report['threads']}  "
          f"fp32 dense best {best / 1e9:.0f} GFLOP/s")
    print(f"{'config':14s} {'size':>9s} {'s/step':>8s} {'GFLOP':>7s} {'floor s':>8s} {'x floor':>8s} {'peak MB':>8s}")
    for r in report["steps"]:
        print(f"{r['config']:14s} {r['width']:>4d}x{r['height']:<4d} {r['seconds_per_step']:8.3f} {r['step_gflop']:7.1f} "
              f"{r['floor_seconds']:8.3f} {r['multiple_of_floor']:8.2f} {r['peak_memory_bytes'] / 2**20:8.0f}")
    if "quality" in report:
        ref = report["quality"]["reference"]
        print(f"quality bar: loss {ref['final_loss']:.5g} after {ref['iterations']} fp32 L-BFGS iterations in {ref['seconds']:.1f} s")
        for q in report["quality"]["runs"]:
            reached = f"{q['seconds_to_bar']:.1f} s" if q["seconds_to_bar"] is not None else "not reached"
            print(f"  {q['config']:14s} bar {reached:>12s}  final loss {q['final_loss']:.5g} ({q['iterations']} it, {q['seconds']:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--quality", action="store_true", help="also measure (c), time to quality (slow)")
    parser.add_argument("--quality-size", type=int, default=512)
    parser.add_argument("--reference-iterations", type=int, default=300)
    parser.add_argument("--quality-iterations", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        spec = json.loads(args.one)
        kind = spec.pop("kind")
        print(json.dumps((measure_steps if kind == "steps" else measure_quality)(**spec)))
        return
    report = run(args)
    print(json.dumps(report, indent=2)) if args.json else print_table(report)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
