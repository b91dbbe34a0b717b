"""paint() through the style cache: bitwise the same image as without it, and reinhard-inverse."""

from __future__ import annotations

import json

import numpy as np
import pytest

from artstyle.corpus.catalog import open_catalog
from artstyle.core.color import lab_stats
from artstyle.files import load_image
from artstyle.paint import paint
from artstyle.style.provider import UncachedTargets
from artstyle.style.residency import shared_lru
from artstyle.core.images import image_to_tensor
from support.corpus import register_paintings

SMALL = dict(size=64, iterations=3, style_layers=("relu1_1", "relu2_1", "relu3_1"))


@pytest.fixture
def corpus(home, paintings):
    register_paintings(home, paintings, ["pablo-picasso", "vincent-van-gogh"])
    shared_lru("cpu").clear()
    yield paintings / "photos" / "tubingen.jpg"
    shared_lru("cpu").clear()


def pixels(result) -> np.ndarray:
    return np.asarray(result.image)


def entries(home) -> list[dict]:
    db = open_catalog(home / "catalog.db")
    rows = list(db["cache_entries"].rows)
    db.conn.close()
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("color", ["reinhard", "reinhard-inverse"])  # content-keyed, and own-palette + palette entries
def test_cached_paint_is_bitwise_the_uncached_paint(settings, home, corpus, color):
    kwargs = dict(like="pablo-picasso", seed=3, settings=settings, color=color, **SMALL)
    uncached = paint(corpus, targets=UncachedTargets(), **kwargs)
    assert entries(home) == []  # the uncached provider writes nothing
    computing = paint(corpus, **kwargs)  # miss: computes, stores, keeps resident
    written = entries(home)
    assert len(written) == (2 if color == "reinhard-inverse" else 1)  # targets (+ the work's palette)
    resident = paint(corpus, **kwargs)  # device LRU hit
    shared_lru("cpu").clear()
    from_disk = paint(corpus, **kwargs)  # a new process: read from disk
    assert len(entries(home)) == len(written)
    for result in (computing, resident, from_disk):
        assert np.array_equal(pixels(result), pixels(uncached))
    assert computing.provenance["works"] == uncached.provenance["works"]


def test_reinhard_entries_are_per_photo_and_own_palette_entries_are_shared(settings, home, corpus):
    kwargs = dict(like="vincent-van-gogh", seed=1, settings=settings, **SMALL)
    golden_gate = corpus.with_name("golden-gate.jpg")
    paint(corpus, color="reinhard", **kwargs)
    paint(golden_gate, color="reinhard", **kwargs)
    assert len([e for e in entries(home) if e["kind"] == "work"]) == 2  # keyed by each photo's palette
    paint(corpus, color="reinhard-inverse", **kwargs)
    paint(golden_gate, color="reinhard-inverse", **kwargs)
    paint(corpus, color="none", **kwargs)
    rows = entries(home)
    assert len([e for e in rows if e["kind"] == "work"]) == 3  # one own-palette entry serves all three runs
    assert {json.loads(e["config"])["color"] for e in rows if e["kind"] == "work"} == {"reinhard", "none"}


def test_reinhard_inverse_keeps_the_photo_palette_better_than_none(settings, corpus):
    kwargs = dict(like="vincent-van-gogh", seed=2, settings=settings, **{**SMALL, "iterations": 8})
    content = image_to_tensor(load_image(corpus), 64)
    target = lab_stats(content)

    def distance(result) -> float:
        return float((lab_stats(image_to_tensor(result.image)) - target).abs().sum())

    inverse = paint(corpus, color="reinhard-inverse", **kwargs)
    own = paint(corpus, color="none", **kwargs)
    assert distance(inverse) < 0.5 * distance(own)


def test_a_built_cache_serves_paint_without_new_entries(settings, home, corpus, cli):
    built = cli("--weights", "random", "--device", "cpu", "cache", "build", "vincent-van-gogh", "--size", "64")
    assert built.exit_code == 0, built.output
    before = {e["key"] for e in entries(home)}
    paint(corpus, like="vincent-van-gogh", seed=1, settings=settings, color="reinhard-inverse", size=64, iterations=1)
    assert {e["key"] for e in entries(home)} == before
