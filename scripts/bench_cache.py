"""Benchmark the style cache: target setup cached vs uncached, build throughput, bytes per entry.

Usage (from the repository root):

    PYTHONPATH=$PWD python scripts/bench_cache.py [--size 512] [--repeats 5] [--device cpu] [--weights random]

It registers ../shared/paintings into a temporary data home, then measures
(median of --repeats after one warm-up, device synchronised around each timing):

- uncached target setup for one work: decode, resize, forward pass, Grams
  (what ``paint`` does without the cache);
- cached setup from disk (a new process: empty device LRU) and from the
  device-resident LRU, and their ratio to uncached (goal: <= 5%);
- ``cache build`` throughput in works per second over every painting;
- bytes per entry and disk-load time for fp32, fp16, triangle and both.

Prints one JSON object (also written to --out when given) with the
arguments, machine and results, so a run leaves a trace.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the test helper that registers the shared paintings

from artstyle.settings import CACHE_DIR, CATALOG_FILE  # noqa: E402
from artstyle.style.build import artist_sources, build_cache  # noqa: E402
from artstyle.style.cache import StyleCache  # noqa: E402
from artstyle.style.config import TargetConfig  # noqa: E402
from artstyle.style.entries import StoreOptions, entry_path  # noqa: E402
from artstyle.style.maintenance import clear_cache  # noqa: E402
from artstyle.style.sources import cached_style_targets  # noqa: E402
from artstyle.corpus.catalog import open_catalog  # noqa: E402
from artstyle.core.color import ColorMode  # noqa: E402
from artstyle.core.device import resolve_device, synchronize  # noqa: E402
from artstyle.core.features import load_feature_net  # noqa: E402
from artstyle.files import load_image  # noqa: E402
from artstyle.style.residency import DeviceLRU  # noqa: E402
from artstyle.style.targets import compute_style_targets, prepare_style  # noqa: E402
from support.corpus import register_paintings  # noqa: E402


def timed(fn, device, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` runs after one warm-up."""
    fn()
    samples = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--weights", default="random", help="random costs the same as ImageNet weights")
    parser.add_argument("--paintings", type=Path, default=REPO.parent / "shared" / "paintings")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = resolve_device(args.device)
    config = TargetConfig(style_size=args.size, color=ColorMode.none)
    net = load_feature_net(args.weights, config.layers, config.pooling, device)
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "machine": platform.processor() or platform.machine(),
                     "torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(device)}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        register_paintings(home, args.paintings)
        db = open_catalog(home / CATALOG_FILE)
        source = artist_sources(db, home, "vincent-van-gogh")[0]

        def uncached():
            style = prepare_style(load_image(source.path), config, None, device)
            compute_style_targets(net, style, config.layers)

        def from_disk():
            cache = StyleCache(home, db, device, lru=DeviceLRU(device, 1 << 30))
            cached_style_targets(net, [source], config, cache=cache)
            assert cache.computed == 0

        resident_cache = StyleCache(home, db, device, lru=DeviceLRU(device, 1 << 30))
        cached_style_targets(net, [source], config, cache=resident_cache)  # stores the entry and keeps it resident
        setup = {
            "uncached_s": timed(uncached, device, args.repeats),
            "cached_disk_s": timed(from_disk, device, args.repeats * 4),
            "cached_resident_s": timed(lambda: cached_style_targets(net, [source], config, cache=resident_cache), device, args.repeats * 4),
        }
        setup["disk_over_uncached"] = setup["cached_disk_s"] / setup["uncached_s"]
        setup["resident_over_uncached"] = setup["cached_resident_s"] / setup["uncached_s"]
        results["setup"] = setup

        key = config.for_net(net).target_key(source.sha256)
        targets = resident_cache.get(key)
        entries = {}
        for name, options in {"fp32": StoreOptions(), "fp16": StoreOptions(fp16=True), "triangle": StoreOptions(triangle=True),
                              "fp16+triangle": StoreOptions(fp16=True, triangle=True)}.items():
            store_home = home / "stores" / name
            store_db = open_catalog(store_home / CATALOG_FILE)
            StyleCache(store_home, store_db, device, options=options, lru=DeviceLRU(device, 1 << 30)).put(
                key, targets, work_id=None, kind="image", config={})

            def load(store_home=store_home, store_db=store_db):
                assert StyleCache(store_home, store_db, device, lru=DeviceLRU(device, 1 << 30)).get(key) is not None

            entries[name] = {"bytes": entry_path(store_home / CACHE_DIR, key).stat().st_size, "load_s": timed(load, device, args.repeats * 4)}

        clear_cache(home, db)  # build everything from scratch
        artists = [row["slug"] for row in db["artists"].rows]
        start = time.perf_counter()
        report = build_cache(net, db, StyleCache(home, db, device, lru=DeviceLRU(device, 1 << 30)), artists, config)
        synchronize(device)
        seconds = time.perf_counter() - start
        results["build"] = {"works": report.built, "seconds": seconds, "works_per_s": report.built / seconds}
        results["entries"] = entries
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
