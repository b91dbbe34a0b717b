"""Issue 14: a hostile WikiArt replay (real sockets, real HTTP) can never write outside the data home,
never costs more than the one work it spoils, and never hangs past the deadline."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

import artstyle.corpus as corpus
from artstyle.corpus.wikiart import Client
from artstyle.corpus.wikiart.client import RateLimitedError
from artstyle.corpus.wikiart.identifiers import UnsafeAnswerError
from artstyle.settings import Settings
from support.wikiart_replay import ReplayServer, make_artist
from support.wikiart import FAST, FAST_CLI  # noqa: F401

SLUG = "martiros-sarian"
HOSTILE = ["../../escaped", "..%2f..%2fescaped", "%2e%2e%2f%2e%2e%2fescaped", "/tmp/escaped-abs", "..\\..\\escaped",
           "a\x00b", "x" * 5000, "57727a66edc2cb3880000001/../../x"]
# site JSON ids, painting-page ids and App contentIds are each a route's way to name a file
ROUTE_FAULTS = {
    "site-json": (),
    "app": ("all-paintings",),
    "html": ("all-paintings", "/App/"),
}
ROUTE_KEY = {"site-json": "site_id", "app": "content_id", "html": "page_id"}


def _files_outside(tmp_path: Path, home: Path) -> list[Path]:
    return [p for p in tmp_path.rglob("*") if p.is_file() and home not in p.parents]


def _statuses(home: Path) -> dict[str, str]:
    conn = sqlite3.connect(home / "catalog.db")
    rows = dict(conn.execute("SELECT id, status FROM works"))
    conn.close()
    return rows


def _serve(server: ReplayServer, route: str) -> None:
    for mark in ROUTE_FAULTS[route]:
        server.add_fault(lambda p, q, m=mark: m in p, status=500, times=10_000)


@pytest.mark.parametrize("route", list(ROUTE_FAULTS))
def test_hostile_work_ids_are_skipped_with_reasons(tmp_path, route):
    artist = make_artist(12)
    home = tmp_path / "home"
    with ReplayServer([artist]) as server:
        _serve(server, route)
        values = HOSTILE[:6] + ["12abc", "1e3", "-5", True] if route == "app" else HOSTILE
        server.hostile[ROUTE_KEY[route]] = dict(enumerate(values))
        report = corpus.add_artist(Settings.build(home=home, wikiart_url=server.url), SLUG, config=FAST)
    hostile = len(server.hostile[ROUTE_KEY[route]])
    assert report.route == route and len(report.rejected) == hostile, report.rejected
    assert _files_outside(tmp_path, home) == []
    statuses = _statuses(home)
    assert len(statuses) == len(artist.works) - hostile
    assert set(statuses.values()) <= {"downloaded", "skipped"} and report.failed == 0  # the others all came
    for path in (home / "images").rglob("*"):
        assert home.resolve() in path.resolve().parents


def test_app_route_non_numeric_ids_are_skipped_not_a_traceback(tmp_path):
    artist = make_artist(12)
    home = tmp_path / "home"
    with ReplayServer([artist]) as server:
        _serve(server, "app")
        server.hostile["content_id"] = {0: "12abc", 1: "../../x", 2: None, 3: [1], 5: "1.5"}
        report = corpus.add_artist(Settings.build(home=home, wikiart_url=server.url), SLUG, config=FAST)
    assert len(report.rejected) == 4 and report.failed == 0  # None is no item at all; the rest: reasons
    assert all("contentId" in line for line in report.rejected)


@pytest.mark.parametrize("url", ["../../escaped", "/tmp/escaped", "..\\..\\escaped", "a\x00b", "A-Bad-Slug",
                                 "x" * 500, "%2e%2e%2fescaped"])
def test_hostile_artist_url_refuses_the_artist(tmp_path, url, cli, home):
    artist = make_artist(6)
    with ReplayServer([artist]) as server:
        server.hostile["artist_url"] = url
        with pytest.raises(UnsafeAnswerError, match="unusable artist URL name"):
            corpus.add_artist(Settings.build(home=home, wikiart_url=server.url), SLUG, config=FAST)
        result = cli("--quiet", "--wikiart-url", server.url, "corpus", "add", SLUG, *FAST_CLI, home_dir=home)
    assert result.exit_code == 1 and result.stderr.startswith("error: WikiArt answered an unusable artist URL name")
    assert list(home.iterdir()) == [] and _files_outside(tmp_path, home) == []


@pytest.mark.parametrize("image", ["file:///etc/passwd", "javascript:alert(1)", "http://h/images/../../../x.jpg",
                                   "http://h/images/%2e%2e/%2e%2e/x.jpg", "http://h/a\\..\\b.jpg", "/images/x.jpg"])
def test_hostile_image_urls_are_skipped(tmp_path, image):
    artist = make_artist(8)
    home = tmp_path / "home"
    with ReplayServer([artist]) as server:
        server.hostile["image"] = {1: image}
        report = corpus.add_artist(Settings.build(home=home, wikiart_url=server.url), SLUG, config=FAST)
    assert len(report.rejected) == 1 and "image URL" in report.rejected[0]
    assert report.failed == 0 and len(_statuses(home)) == 7


def test_per_item_failures_stay_per_item(tmp_path):
    """Redirect loop, non-image, oversize (advertised), trickle past the deadline, cut connection, 404."""
    artist = make_artist(12)
    works = artist.works
    home = tmp_path / "home"
    config = replace(FAST, deadline=1.5, timeout=1.0, retries=1, max_bytes=200_000)
    with ReplayServer([artist]) as server:
        def on(index):
            return lambda p, q: p.endswith(works[index].filename) or f"/{works[index].filename}!" in p
        server.add_fault(on(1), redirect=server.image_url(artist, works[1]).replace(server.url, ""), times=10_000)
        server.add_fault(on(2), status=200, body=b"<html>not an image</html>", headers={"Content-Type": "text/html"}, times=10_000)
        server.add_fault(on(3), advertise=8 * 1024 ** 3, times=10_000)
        server.add_fault(on(5), trickle=0.2, times=10_000)
        server.add_fault(on(6), cut_after=100, times=10_000)
        server.add_fault(on(7), status=404, body=b"gone", times=10_000)
        started = time.monotonic()
        report = corpus.add_artist(Settings.build(home=home, wikiart_url=server.url), SLUG, config=config)
        seconds = time.monotonic() - started
    statuses = _statuses(home)
    failed = {works[i].id for i in (1, 2, 3, 5, 6, 7)}
    assert {i for i, s in statuses.items() if s == "failed"} == failed
    assert all(s in ("downloaded", "skipped") for i, s in statuses.items() if i not in failed)
    reasons = "\n".join(report.problems)
    for word in ("redirects", "not a readable image", "over the 0.2 MB limit", "did not finish within 1.5 s",
                 "failing mid-answer", "HTTP 404"):
        assert word in reasons, reasons
    assert seconds < 30  # three variants of the trickle, each stopped at the deadline
    assert _files_outside(tmp_path, home) == []


def test_cli_summary_lists_failures_even_quiet(cli, home):
    artist = make_artist(8)
    with ReplayServer([artist]) as server:
        server.add_fault(lambda p, q: artist.works[1].filename in p, redirect="/images/loop.jpg", times=10_000)
        server.add_fault(lambda p, q: p == "/images/loop.jpg", redirect="/images/loop.jpg", times=10_000)
        result = cli("--quiet", "--wikiart-url", server.url, "corpus", "add", SLUG, *FAST_CLI, home_dir=home)
    assert result.exit_code == 0, result.stderr
    assert f"failed {artist.works[1].id}: no usable image" in result.stderr and "1 failed" in result.stdout


def test_repeated_429_on_images_stops_the_scrape_saying_so(cli, home):
    artist = make_artist(6)
    with ReplayServer([artist]) as server:
        server.add_fault(lambda p, q: "/images/" in p, status=429, times=10_000)
        with pytest.raises(RateLimitedError):
            corpus.add_artist(Settings.build(home=home, wikiart_url=server.url), SLUG, config=replace(FAST, retries=1))
        result = cli("--quiet", "--wikiart-url", server.url, "corpus", "add", SLUG, *FAST_CLI, "--retries", "1", home_dir=home)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: WikiArt kept answering HTTP 429 (too many requests)")


def test_redirects_and_retries_count_against_the_throttle():
    artist = make_artist(6)
    with ReplayServer([artist]) as server:
        url = server.image_url(artist, artist.works[0])
        path = url.replace(server.url, "")
        server.add_fault(lambda p, q: p == path, redirect="/hop")
        server.add_fault(lambda p, q: p == "/hop", redirect=path)
        server.add_fault(lambda p, q: p == path, status=503)
        client = Client(server.url, replace(FAST, image_rate=(2, 0.5), shared=False))
        client.get_image(url)
        times = [t for t, _ in server.log]
    assert client.stats.images == 4 and len(times) == 4  # hop, hop back, 503, the retry: each one a request
    assert times[2] - times[0] >= 0.5 and times[3] - times[1] >= 0.5
