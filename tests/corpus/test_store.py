"""The image store: verification, variant fallback, placeholders, atomic writes, duplicates."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from artstyle.corpus import store
from artstyle.errors import InputError
from artstyle.files import atomic_write_bytes, sweep_parts
from artstyle.corpus.wikiart import Client
from artstyle.corpus.wikiart.listing import parse_listing_page
from support.wikiart_replay import SPECIAL, jpeg, generated_image
from support.wikiart import FAST, small_replay  # noqa: F401  (fixture)


def _works(server):
    artist = server.artists["martiros-sarian"]
    records = parse_listing_page(server.listing(artist, 1), "martiros-sarian", server.url)
    return {r["id"]: r for r in records}, artist


def test_inspect_rejects_truncated_and_html():
    data = jpeg(generated_image(1))
    facts = store.inspect_image(data, "x.jpg")
    assert (facts.ext, facts.width, facts.height, facts.bytes) == ("jpg", 96, 72, len(data))
    with pytest.raises(InputError, match="x.jpg is not a readable image"):
        store.inspect_image(data[: len(data) // 2], "x.jpg")
    with pytest.raises(InputError, match="page.html is not a readable image"):
        store.inspect_image(b"<html><body>Just a moment</body></html>", "page.html")


def test_dhash_finds_the_turner_near_duplicate(paintings):
    a = Image.open(paintings / "william-turner/the-shipwreck-1805.jpg")
    b = Image.open(paintings / "william-turner/the-shipwreck-1805-second-copy.jpg")
    other = Image.open(paintings / "vincent-van-gogh/the-starry-night-1889.jpg")
    assert store.hamming(store.dhash(a), store.dhash(b)) <= store.NEAR_DUPLICATE_BITS
    assert store.hamming(store.dhash(a.resize((200, 138))), store.dhash(a)) <= 2
    assert store.hamming(store.dhash(a), store.dhash(other)) > 2 * store.NEAR_DUPLICATE_BITS


@pytest.mark.parametrize("index, variant, width", [
    (0, "hd", 96),                          # HD exists: the first choice
    (1, "original", 96),                    # no HD, no Large: the original
    (SPECIAL["no_original"], "large", 64),  # only Large left
    (SPECIAL["corrupt_original"], "large", 64),  # original decodes short: fall back
])
def test_variant_fallback(small_replay, tmp_path, index, variant, width):
    works, artist = _works(small_replay)
    work = works[artist.works[index].id]
    result = store.download_work(Client(small_replay.url, FAST), tmp_path, work)
    assert (result["status"], result["variant"], result["width"]) == ("downloaded", variant, width)
    path = tmp_path / result["local_path"]
    assert result["local_path"] == f"images/martiros-sarian/{work['id']}.jpg"
    assert store.inspect_image(path.read_bytes(), "f").sha256 == result["sha256"]
    assert not list(path.parent.glob("*.part"))


def test_non_ascii_path_downloads(small_replay, tmp_path):
    works, artist = _works(small_replay)
    work = works[artist.works[SPECIAL["non_ascii"]].id]
    assert "mödling" in work["image_urls"]["original"]
    assert store.download_work(Client(small_replay.url, FAST), tmp_path, work)["status"] == "downloaded"


def test_placeholder_and_deleted_are_not_downloaded(small_replay, tmp_path):
    works, artist = _works(small_replay)
    client = Client(small_replay.url, FAST)
    placeholder = store.download_work(client, tmp_path, works[artist.works[SPECIAL["placeholder"][0]].id])
    assert placeholder == {"status": "skipped", "reason": "copyright placeholder: WikiArt does not show this image"}
    deleted = store.download_work(client, tmp_path, works[artist.works[SPECIAL["deleted"]].id])
    assert deleted == {"status": "failed", "reason": "no usable image (hd: HTTP 404; original: HTTP 404; large: HTTP 404)"}
    assert not (tmp_path / "images").exists() or not any((tmp_path / "images").rglob("*"))


def test_existing_verified_file_is_adopted_without_a_request(small_replay, tmp_path):
    works, artist = _works(small_replay)
    work = works[artist.works[2].id]
    client = Client(small_replay.url, FAST)
    first = store.download_work(client, tmp_path, work)
    before = len(small_replay.log)
    again = store.download_work(client, tmp_path, work)
    assert len(small_replay.log) == before
    assert {k: again[k] for k in ("sha256", "local_path")} == {k: first[k] for k in ("sha256", "local_path")}


def test_atomic_write_and_sweep_parts(tmp_path):
    atomic_write_bytes(tmp_path / "a" / "x.jpg", b"data")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["x.jpg"]
    dead = tmp_path / "a" / ".y.jpg.999999999.part"  # no such process
    live = tmp_path / "a" / f".z.jpg.{os.getpid()}.part"  # a running writer's file
    dead.write_bytes(b"half")
    live.write_bytes(b"half")
    assert sweep_parts(tmp_path / "a") == 1
    assert not dead.exists() and live.exists()


def test_duplicate_map_is_deterministic():
    rows = [
        {"id": "b", "sha256": "s1", "phash": "0f0f0f0f0f0f0f0f", "width": 10, "height": 10},
        {"id": "a", "sha256": "s1", "phash": "0f0f0f0f0f0f0f0f", "width": 10, "height": 10},
        {"id": "c", "sha256": "s2", "phash": "0f0f0f0f0f0f0f0e", "width": 20, "height": 20},
        {"id": "d", "sha256": "s3", "phash": "f0f0f0f0f0f0f0f0", "width": 5, "height": 5},
    ]
    expected = {"c": None, "a": "c", "b": "c", "d": None}
    assert store.duplicate_map(rows) == expected
    assert store.duplicate_map(list(reversed(rows))) == expected
