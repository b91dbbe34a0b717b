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
    at that size (artstyle.core.flops) over the device's best dense throughput for the
    dtype (scripts/throughput.py), and the step time as a multiple of it;
(c) time to quality (--quality): a plain fp32, single-scale, 300-iteration L-BFGS
    run from the content sets the bar (its final full-resolution fp32 loss of the
    clamped output); plain means torch's L-BFGS on free pixels, clamped once at the
    end, as neural-style runs it (config "reference", --unbounded); each
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

# Configurations measured; each key is an option of artstyle.paint.pipeline.PaintOptions
# (new speed paths join here as they land in the library).
# Each speed path (artstyle.core.speed) appears on and off: fp32-lbfgs is every path off
# except channels_last (the library's historical default), nchw turns that off.
CONFIGS: dict[str, dict] = {
    "default": {},  # paint's defaults, tolerance included
    "reference": {"bounded": False, "reuse_heap": False},  # (c)'s bar: plain torch L-BFGS on free pixels, clamped at the end (as neural-style)
    "fp32-lbfgs": {"optimizer": "lbfgs"},
    "fp32-adam": {"optimizer": "adam"},
    "fp32-adam-decay": {"optimizer": "adam", "lr_decay": "exponential"},  # Siegel 2016: decay helped Adam
    "fp32-rmsprop": {"optimizer": "rmsprop"},  # Reddy & Peshin 2018 compare it with Adam
    "fp32-rmsprop-decay": {"optimizer": "rmsprop", "lr_decay": "exponential"},
    "fp32-nchw": {"channels_last": False},
    "bf16-lbfgs": {"precision": "bf16"},
    "fp32-compile": {"compile": True},
    "bf16-compile": {"precision": "bf16", "compile": True},
    "fp32-c2f": {"scales": (0.5, 1.0), "fine_share": 0.25},
    "bf16-c2f": {"precision": "bf16", "scales": (0.5, 1.0), "fine_share": 0.25},
    "bf16-c2f3": {"precision": "bf16", "scales": (0.25, 0.5, 1.0), "fine_share": 0.2},
    "fp32-tol": {"tolerance": 1e-5},
    "bf16-c2f-tol": {"precision": "bf16", "scales": (0.5, 1.0), "fine_share": 0.25, "tolerance": 1e-5},
    "cudnn-benchmark": {"cudnn_benchmark": True},
    "fp32-no-heap": {"reuse_heap": False},
    "bf16-no-heap": {"precision": "bf16", "reuse_heap": False},
    "fp32-unbounded": {"bounded": False},
}
STEP_CONFIGS = ["default", "fp32-lbfgs", "fp32-no-heap", "fp32-adam", "fp32-nchw", "bf16-lbfgs", "bf16-no-heap", "fp32-compile",
                "bf16-compile", "cudnn-benchmark"]
QUALITY_CONFIGS = ["default", "fp32-lbfgs", "bf16-lbfgs", "fp32-c2f", "bf16-c2f", "bf16-c2f3", "fp32-tol", "bf16-c2f-tol"]


NEAR = 0.005  # also reported: the time to within 0.5% of the bar


def _options(size: int, iterations: int | None, config: str):
    """PaintOptions of a configuration: fp32 without early stopping unless it says otherwise.

    "default" is paint's own defaults; with ``iterations`` None, its iteration count too.
    """
    from artstyle.paint import PaintOptions

    if config == "default":
        return PaintOptions(size=size) if iterations is None else PaintOptions(size=size, iterations=iterations)
    return PaintOptions(**{"size": size, "iterations": iterations, "tolerance": 0, "precision": "fp32", **CONFIGS[config]})


def _images():
    from PIL import Image

    from artstyle.files import load_image

    content = SHARED / "paintings/photos/tubingen.jpg"
    style = SHARED / "paintings/vincent-van-gogh/the-starry-night-1889.jpg"
    if content.exists() and style.exists():
        return load_image(content), load_image(style)
    import skimage.data

    return Image.fromarray(skimage.data.astronaut()), Image.fromarray(skimage.data.coffee())


def _objective(size: int, device, options, speed: bool = True):
    """The paint objective for the benchmark images at ``size`` -> (objective, content tensor).

    With ``speed`` the network runs with the options' precision, memory format and
    compilation; without, it is the plain fp32 objective every run is judged by.
    """
    import torch

    from artstyle.core.features import load_feature_net
    from artstyle.core.losses import build_objective
    from artstyle.core.speed import fast_net
    from artstyle.core.images import image_to_tensor
    from artstyle.style.targets import color_stats, compute_style_targets, prepare_style

    content_image, style_image = _images()
    net = load_feature_net("random", options.style_layers + options.content_layers, options.pooling, device)
    content = image_to_tensor(content_image, size).to(device)
    config = options.target_config(net.weights_identity)
    style = prepare_style(style_image, config, color_stats(content, options.color), device)
    targets = compute_style_targets(net, style, options.style_layers)
    with torch.no_grad():
        content_features = {k: v for k, v in net(content).items() if k in options.content_layers}
    step_net = fast_net(net, options.precision, options.channels_last, options.compile) if speed else net
    objective = build_objective(
        step_net, content_features, targets, [1.0], {layer: 1.0 for layer in options.style_layers},
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
    from artstyle.core.device import resolve_device, synchronize
    from artstyle.core.optimize import optimize
    from artstyle.core.device import deterministic_kernels

    device = resolve_device(device)
    options = _options(size, warmup + steps, config)
    objective, content = _objective(size, device, options)
    marks: list[float] = []

    def on_step(step) -> None:
        synchronize(device)
        marks.append(time.perf_counter())

    with deterministic_kernels(device, options.cudnn_benchmark):
        optimize(objective, content, options.optimize_config(), seed=0, callback=on_step)
    per_step = (marks[-1] - marks[warmup - 1]) / steps
    return {"size": size, "height": content.shape[2], "width": content.shape[3], "config": config,
            "seconds_per_step": per_step, "peak_memory_bytes": _peak_memory(device), "device": str(device)}


class _BenchTargets:
    """paint's target provider for the benchmark's one style image (no cache: targets are recomputed)."""

    def __init__(self, style_image, device) -> None:
        self.style_image, self.device = style_image, device

    def __call__(self, pick, config, stats, net):
        from artstyle.style.targets import compute_style_targets, prepare_style

        return compute_style_targets(net, prepare_style(self.style_image, config, stats, self.device), config.layers)[0]

    def palette(self, pick, config):
        from artstyle.core.color import lab_stats
        from artstyle.style.targets import prepare_style

        return lab_stats(prepare_style(self.style_image, config, None, self.device))


def measure_quality(size: int, config: str, device: str, iterations: int, bar: float | None, check_every: int = 5) -> dict:
    """(c): run paint's optimisation (every scale, targets included) to ``iterations``.

    Every ``check_every`` iterations, and at the end, the iterate (upsampled to
    full size, clamped) is judged by the plain fp32 full-resolution objective
    with the same weights and targets; the time of those evaluations is not
    counted. Reports the final loss and when (if ever) it reached ``bar``.
    """
    import torch

    from artstyle.core.device import resolve_device, synchronize
    from artstyle.core.features import load_feature_net
    from dataclasses import replace

    from artstyle.core.device import deterministic_kernels
    from artstyle.paint import Job
    from artstyle.paint.pipeline import job_objective, paint_together
    from artstyle.paint.stages import colour_maps
    from artstyle.corpus.sampler import StylePick
    from artstyle.core.speed import upsample
    from artstyle.core.images import image_to_tensor
    from artstyle.style.targets import color_stats

    device = resolve_device(device)
    options = _options(size, None if config == "default" else iterations, config)
    net = load_feature_net("random", options.style_layers + options.content_layers, options.pooling, device)
    content_image, style_image = _images()
    pick = StylePick("bench-style", None, "style", 1.0, Path("style"), None)
    provider = _BenchTargets(style_image, device)
    job = Job(content_image, "bench", "bench", [pick], options, 0, net, None, {}, {})
    # The judge: the fp32 full-size objective this run's final scale minimises (colour maps included).
    content = image_to_tensor(content_image, options.size).to(device)
    recolor, _ = colour_maps(job, content, provider)
    judge = job_objective(job, replace(options, scales=(1.0,)), net, recolor(content), color_stats(content, options.color), provider)

    reached: list[float] = []
    near: list[float] = []  # within NEAR of the bar: where precision, not time, is the limit
    judged: list[tuple[int, float]] = []
    excluded = [0.0]
    start = time.perf_counter()

    def evaluate(image) -> float:
        with torch.no_grad():
            return float(judge(upsample(image.clamp(0, 1), content.shape[2], content.shape[3]))[0])

    def on_step(step) -> None:
        if step.iteration % check_every and step.iteration != step.iterations:
            return
        synchronize(device)
        t0 = time.perf_counter()
        loss = evaluate(step.image)
        judged.append((step.iteration, loss))
        if bar is not None and not reached and loss <= bar:
            reached.append(t0 - start - excluded[0])
        if bar is not None and not near and loss <= bar * (1 + NEAR):
            near.append(t0 - start - excluded[0])
        excluded[0] += time.perf_counter() - t0

    with deterministic_kernels(device, options.cudnn_benchmark):
        _, result = paint_together([job], provider, [on_step])[0]
    synchronize(device)
    seconds = time.perf_counter() - start - excluded[0]
    final = evaluate(result.image)  # fp32, full resolution, same weights and targets
    if bar is not None and not reached and final <= bar:
        reached.append(seconds)
    if bar is not None and not near and final <= bar * (1 + NEAR):
        near.append(seconds)
    return {"size": size, "config": config, "iterations": result.iterations, "seconds": seconds,
            "stopped_early": result.stopped_early, "final_loss": final, "bar": bar,
            "seconds_to_bar": reached[0] if reached else None,
            "seconds_to_near_bar": near[0] if near else None, "near": NEAR, "judged": judged,
            "peak_memory_bytes": _peak_memory(device)}


def _in_subprocess(kind: str, **kwargs) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps({"kind": kind, **kwargs})],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if done.returncode != 0:  # reported, not fatal: one broken path (e.g. compile) must not hide the others
        print(f"measurement {kind} {kwargs} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return {**kwargs, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _floor(row: dict, throughput: dict) -> dict:
    from artstyle.core.flops import step_flops

    flops = step_flops(row["height"], row["width"]).total
    dtype = "bfloat16" if _options(row["size"], 1, row["config"]).precision.value == "bf16" else "float32"
    floor = flops / throughput[dtype]["best"]
    return {"step_gflop": flops / 1e9, "floor_seconds": floor, "multiple_of_floor": row["seconds_per_step"] / floor}


def run(args) -> dict:
    from artstyle.core.device import resolve_device
    from scripts.throughput import best_throughput  # noqa: E402

    import torch

    device = resolve_device(args.device)
    throughput = {"float32": best_throughput(device, torch.float32)}
    if any(_options(64, 1, c).precision.value == "bf16" for c in args.configs):
        throughput["bfloat16"] = best_throughput(device, torch.bfloat16)
    rows = []
    for size in args.sizes:
        for config in [c for c in args.configs if c in STEP_CONFIGS]:
            row = _in_subprocess("steps", size=size, config=config, device=args.device, warmup=args.warmup, steps=args.steps)
            rows.append(row if "error" in row else {**row, **_floor(row, throughput)})
    report = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
              "throughput": throughput, "steps": rows}
    if args.quality:
        reference = _reference(args)
        bar = reference["final_loss"]
        report["quality"] = {"reference": reference, "runs": [
            _in_subprocess("quality", size=args.quality_size, config=config, device=args.device,
                           iterations=args.quality_iterations, bar=bar)
            for config in args.quality_configs
        ]}
    return report


def _reference(args) -> dict:
    """The quality bar's reference run, measured now or taken from an earlier ``--json`` report."""
    if args.reference:
        earlier = json.loads(Path(args.reference).read_text())
        reference = earlier.get("quality", {}).get("reference", earlier)
        if reference.get("size") != args.quality_size:
            sys.exit(f"{args.reference}: its reference ran at {reference.get('size')} px, not --quality-size {args.quality_size}")
        return reference
    return _in_subprocess("quality", size=args.quality_size, config="reference", device=args.device,
                          iterations=args.reference_iterations, bar=None)


def print_table(report: dict) -> None:
    best = report["throughput"]["float32"]["best"]
    print(f"device {report['device']}  torch {report['torch']}  threads {report['threads']}  "
          f"fp32 dense best {best / 1e9:.0f} GFLOP/s")
    print(f"{'config':14s} {'size':>9s} {'s/step':>8s} {'GFLOP':>7s} {'floor s':>8s} {'x floor':>8s} {'peak MB':>8s}")
    for r in report["steps"]:
        if "error" in r:
            print(f"{r['config']:14s} {r['size']:>9d} failed: {r['error']}")
            continue
        print(f"{r['config']:14s} {r['width']:>4d}x{r['height']:<4d} {r['seconds_per_step']:8.3f} {r['step_gflop']:7.1f} "
              f"{r['floor_seconds']:8.3f} {r['multiple_of_floor']:8.2f} {r['peak_memory_bytes'] / 2**20:8.0f}")
    if "quality" in report:
        ref = report["quality"]["reference"]
        print(f"quality bar: loss {ref['final_loss']:.5g} after {ref['iterations']} fp32 L-BFGS iterations in {ref['seconds']:.1f} s"
              f" (peak {ref['peak_memory_bytes'] / 2**20:.0f} MB)")
        for q in report["quality"]["runs"]:
            if "error" in q:
                print(f"  {q['config']:14s} failed: {q['error']}")
                continue
            reached = f"{q['seconds_to_bar']:.1f} s" if q["seconds_to_bar"] is not None else "not reached"
            share = f"{q['seconds_to_bar'] / ref['seconds']:.2f}x ref" if q["seconds_to_bar"] is not None else ""
            near = f"{q['seconds_to_near_bar']:.1f} s" if q.get("seconds_to_near_bar") is not None else "not reached"
            print(f"  {q['config']:14s} bar {reached:>12s} {share:>9s}  bar+{q.get('near', NEAR):.1%} {near:>12s}  final loss {q['final_loss']:.5g} "
                  f"({q['iterations']} it, {q['seconds']:.1f} s, peak {q['peak_memory_bytes'] / 2**20:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--configs", nargs="*", default=STEP_CONFIGS, choices=list(CONFIGS), help="step-time configurations")
    parser.add_argument("--quality-configs", nargs="+", default=QUALITY_CONFIGS, choices=list(CONFIGS))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--quality", action="store_true", help="also measure (c), time to quality (slow)")
    parser.add_argument("--quality-size", type=int, default=512)
    parser.add_argument("--reference-iterations", type=int, default=300)
    parser.add_argument("--quality-iterations", type=int, default=300, help="for every quality config but default (paint's own count)")
    parser.add_argument("--reference", metavar="JSON", help="reuse the reference run of an earlier --json --quality report (same machine, same size)")
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
