"""Seconds per painting iteration (one forward and backward pass through VGG-19) at several sizes.

Random weights (timing does not depend on them), a random photo and style image,
the default layers and losses. A warm-up stage runs first; the measured stage is
bracketed by device synchronisation so queued GPU kernels are counted.

    PYTHONPATH=. python scripts/bench_paint.py                 # 256 and 512 px on the best device
    PYTHONPATH=. python scripts/bench_paint.py --device cpu --steps 5 --json
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from artstyle.core.device import resolve_device, synchronize
from artstyle.core.features import load_feature_net
from artstyle.core.losses import build_objective
from artstyle.core.optimize import OptimizeConfig, optimize
from artstyle.paint import PaintOptions
from artstyle.style.targets import compute_style_targets


def bench(size: int, device: torch.device, optimizer: str, warmup: int, steps: int) -> float:
    opts = PaintOptions(size=size, optimizer=optimizer)
    net = load_feature_net("random", opts.style_layers + opts.content_layers, opts.pooling, device)
    g = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, size * 3 // 4, size, generator=g).to(device)  # [1,3,H,W], 4:3 like a photo
    style = torch.rand(1, 3, size, size, generator=g).to(device)
    targets = compute_style_targets(net, style, opts.style_layers)
    with torch.no_grad():
        content_features = {k: v for k, v in net(content).items() if k in opts.content_layers}
    objective = build_objective(
        net, content_features, targets, [1.0], dict.fromkeys(opts.style_layers, 1.0),
        content_weight=opts.content_weight, style_weight=opts.style_weight, tv_weight=opts.tv_weight,
    )
    config = OptimizeConfig(optimizer=opts.optimizer, tolerance=0, iterations=warmup)
    optimize(objective, content, config)
    synchronize(device)
    start = time.perf_counter()
    optimize(objective, content, OptimizeConfig(optimizer=opts.optimizer, tolerance=0, iterations=steps))
    synchronize(device)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--optimizer", default="lbfgs", choices=["lbfgs", "adam"])
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args()
    device = resolve_device(args.device)
    results = {size: bench(size, device, args.optimizer, args.warmup, args.steps) for size in args.sizes}
    if args.json:
        print(json.dumps({
            "device": str(device), "threads": torch.get_num_threads(), "optimizer": args.optimizer,
            "torch": torch.__version__, "machine": platform.processor() or platform.machine(),
            "seconds_per_iteration": {str(k): round(v, 4) for k, v in results.items()},
        }, indent=2))
    else:
        for size, seconds in results.items():
            print(f"{size} px: {seconds:.3f} s/iteration ({1 / seconds:.2f} it/s) on {device}")


if __name__ == "__main__":
    main()
