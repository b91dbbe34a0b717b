"""Best measured dense throughput of a device, per dtype: the denominator of the benchmark floor.

The faster of a large matrix product and a large 3x3 convolution, each timed
after a warm-up with the device synchronised, best of several repeats.

    python scripts/throughput.py --device cpu --dtype float32 bfloat16
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from artstyle.core.device import resolve_device, synchronize


def _best_seconds(fn, device: torch.device, repeats: int = 5) -> float:
    fn()
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def matmul_flops_per_second(device: torch.device, dtype: torch.dtype, n: int) -> float:
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    with torch.no_grad():
        seconds = _best_seconds(lambda: a @ b, device)
    return 2.0 * n**3 / seconds


def conv_flops_per_second(device: torch.device, dtype: torch.dtype, channels: int, side: int, batch: int = 1) -> float:
    x = torch.randn(batch, channels, side, side, device=device).to(dtype)
    w = torch.randn(channels, channels, 3, 3, device=device).to(dtype)
    with torch.no_grad():
        seconds = _best_seconds(lambda: F.conv2d(x, w, padding=1), device)
    return 2.0 * batch * channels * channels * 9 * side * side / seconds


def best_throughput(device: torch.device, dtype: torch.dtype) -> dict:
    """FLOP/s of a big matmul and a big 3x3 conv, and the larger of the two."""
    big = device.type != "cpu"
    matmul = matmul_flops_per_second(device, dtype, 8192 if big else 2048)
    conv = conv_flops_per_second(device, dtype, 256, 256 if big else 96, batch=8 if big else 1)
    return {"matmul": matmul, "conv3x3": conv, "best": max(matmul, conv)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    device = resolve_device(args.device)
    results = {name: best_throughput(device, getattr(torch, name)) for name in args.dtype}
    if args.json:
        print(json.dumps({"device": str(device), "throughput": results}, indent=2))
        return
    for name, row in results.items():
        print(f"{device} {name:9s} matmul {row['matmul'] / 1e9:8.1f} GFLOP/s  conv3x3 {row['conv3x3'] / 1e9:8.1f} GFLOP/s")


if __name__ == "__main__":
    main()
