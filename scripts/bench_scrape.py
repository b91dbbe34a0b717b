"""Scrape a replayed 174-work artist with the default throttle; report requests, wall time and the bound.

The throttle's lower bound is the time the limiter alone forces for the
requests actually made (``ClientConfig.lower_bound``: page/JSON requests at
10 per 2.5 s, then image downloads at 20 per second). The closer the wall time
is to it, the less the scraper wastes on top of WikiArt's published limits.

    PYTHONPATH=$PWD python scripts/bench_scrape.py [--works 174] [--workers 4] [--details]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import artstyle.corpus as corpus  # noqa: E402
from artstyle.settings import Settings  # noqa: E402
from artstyle.corpus.wikiart import Client, ClientConfig  # noqa: E402
from support.wikiart_replay import ReplayServer, make_artist  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=174)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--details", action="store_true", help="also fetch one details page per work")
    args = parser.parse_args()
    config = ClientConfig()  # the default throttle
    with ReplayServer([make_artist(args.works)]) as server, tempfile.TemporaryDirectory() as home:
        client = Client(server.url, config)
        settings = Settings.build(home=home, wikiart_url=server.url, quiet=True)
        started = time.perf_counter()
        report = corpus.add_artist(settings, "martiros-sarian", details=args.details, workers=args.workers, client=client)
        wall = time.perf_counter() - started
    stats = client.stats
    bound = config.lower_bound(stats.pages, stats.images)
    result = {
        "works": report.listed, "downloaded": report.downloaded, "skipped": report.skipped, "failed": report.failed,
        "requests": stats.requests, "page_requests": stats.pages, "image_requests": stats.images,
        "wall_s": round(wall, 2), "throttle_lower_bound_s": bound,
        "overhead_s": round(wall - bound, 2), "wall_over_bound": round(wall / bound, 3) if bound else None,
        "throttle": {"page_rate": config.page_rate, "image_rate": config.image_rate}, "workers": args.workers,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
