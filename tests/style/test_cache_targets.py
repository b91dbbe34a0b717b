"""Targets through the cache: same tensors as compute_style_targets, misses on every config change,
rebuilt after damage, artist builds and aggregates."""

from __future__ import annotations

import logging

import pytest
import torch

from artstyle.style.aggregates import artist_aggregate
from artstyle.style.build import artist_sources, build_cache
from artstyle.style.cache import StyleCache
from artstyle.style.maintenance import list_entries
from artstyle.style.sources import cached_style_targets
from artstyle.corpus.catalog import open_catalog
from artstyle.core.color import ColorMode
from artstyle.core.features import Pooling, load_feature_net
from artstyle.files import load_image
from artstyle.style.residency import DeviceLRU
from artstyle.style.config import TargetConfig
from artstyle.core.images import image_to_tensor
from artstyle.style.targets import color_stats, compute_style_targets, prepare_style
from support.corpus import register_paintings

LAYERS = ("relu1_1", "relu2_1", "relu3_1")
CONFIG = TargetConfig(layers=LAYERS, style_size=64, color=ColorMode.none)


@pytest.fixture
def corpus(home, paintings):
    works = register_paintings(home, paintings, ["pablo-picasso", "edvard-munch", "william-turner"], count_duplicates=True)
    db = open_catalog(home / "catalog.db")
    yield db, works
    db.conn.close()


def net_for(config=CONFIG, weights="random"):
    return load_feature_net(weights, config.layers, config.pooling, "cpu")


def fresh_cache(home, db):
    """A cache as a new process sees it: the same disk, an empty device LRU."""
    return StyleCache(home, db, "cpu", lru=DeviceLRU("cpu", 64 << 20))


def uncached(net, source, config, stats=None):
    style = prepare_style(load_image(source.path), config, stats, "cpu")
    return compute_style_targets(net, style, config.layers)[0]


def assert_same(a, b):
    assert list(a) == list(b)
    for layer in a:
        assert torch.equal(a[layer], b[layer]), layer


def test_cached_targets_are_bitwise_the_uncached_ones(home, corpus):
    db, _ = corpus
    sources = artist_sources(db, home, "picasso")
    net = net_for()
    first = cached_style_targets(net, sources, CONFIG, cache=fresh_cache(home, db))
    cache = fresh_cache(home, db)
    second = cached_style_targets(net, sources, CONFIG, cache=cache)
    assert (cache.disk_hits, cache.computed) == (2, 0)
    for source, a, b in zip(sources, first, second):
        reference = uncached(net, source, CONFIG)
        assert_same(a, reference)
        assert_same(b, reference)


def test_a_hit_reads_no_image(home, corpus):
    db, _ = corpus
    source = artist_sources(db, home, "munch")[0]
    cached_style_targets(net_for(), [source], CONFIG, cache=fresh_cache(home, db))
    source.path.unlink()  # the image is gone; the targets are not
    cache = fresh_cache(home, db)
    cached_style_targets(net_for(), [source], CONFIG, cache=cache)
    assert cache.disk_hits == 1


def _weights_file(tmp_path):
    from artstyle.core.features import random_state

    state = {k: v * 1.01 for k, v in random_state().items()}
    path = tmp_path / "vgg.pth"
    torch.save(state, path)
    return str(path)


@pytest.mark.parametrize(
    "change",
    ["weights", "size", "scale", "layers", "pooling", "color", "content"],
)
def test_every_config_change_misses(home, corpus, tmp_path, change):
    db, _ = corpus
    source = artist_sources(db, home, "munch")[0]
    content = image_to_tensor(load_image(source.path), 48)
    base = TargetConfig(layers=LAYERS, style_size=64, color=ColorMode.reinhard)
    stats = color_stats(content, base.color)
    cached_style_targets(net_for(base), [source], base, stats, cache=fresh_cache(home, db))
    weights, config, new_stats = "random", base, stats
    if change == "weights":
        weights = _weights_file(tmp_path)
    elif change == "size":
        config = TargetConfig(layers=LAYERS, style_size=72, color=ColorMode.reinhard)
    elif change == "scale":
        config = TargetConfig(layers=LAYERS, style_size=64, style_scale=1.25, color=ColorMode.reinhard)
    elif change == "layers":
        config = TargetConfig(layers=LAYERS[:2], style_size=64, color=ColorMode.reinhard)
    elif change == "pooling":
        config = TargetConfig(layers=LAYERS, style_size=64, pooling=Pooling.avg, color=ColorMode.reinhard)
    elif change == "color":
        config = TargetConfig(layers=LAYERS, style_size=64, color=ColorMode.luminance)
        new_stats = color_stats(content, config.color)
    elif change == "content":
        new_stats = color_stats(content.flip(-1) * 0.9, base.color)
    net = net_for(config, weights)
    cache = fresh_cache(home, db)
    got = cached_style_targets(net, [source], config, new_stats, cache=cache)[0]
    assert (cache.disk_hits, cache.computed) == (0, 1)
    assert_same(got, uncached(net, source, config, new_stats))
    same = fresh_cache(home, db)
    cached_style_targets(net_for(base), [source], base, stats, cache=same)
    assert (same.disk_hits, same.computed) == (1, 0)  # the original entry is still there and still used


def test_truncated_entry_is_rebuilt_during_a_request(home, corpus, caplog):
    db, _ = corpus
    source = artist_sources(db, home, "munch")[0]
    cached_style_targets(net_for(), [source], CONFIG, cache=fresh_cache(home, db))
    path = home / list_entries(db)[0]["path"]
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    cache = fresh_cache(home, db)
    with caplog.at_level(logging.WARNING):
        got = cached_style_targets(net_for(), [source], CONFIG, cache=cache)[0]
    assert cache.computed == 1 and "is unusable" in caplog.text
    assert_same(got, uncached(net_for(), source, CONFIG))


def test_changed_image_file_is_an_input_error(home, corpus):
    db, _ = corpus
    source = artist_sources(db, home, "munch")[0]
    source.path.write_bytes(source.path.read_bytes() + b"\0")
    from artstyle.errors import InputError

    with pytest.raises(InputError, match="changed since it was catalogued"):
        cached_style_targets(net_for(), [source], CONFIG, cache=fresh_cache(home, db))


def test_build_then_requests_hit_and_rebuild_is_skipped(home, corpus):
    db, works = corpus
    net = net_for()
    report = build_cache(net, db, fresh_cache(home, db), ["picasso", "turner"], CONFIG)
    assert (report.works, report.built, report.skipped, report.failed) == (4, 4, 0, [])
    again = build_cache(net, db, fresh_cache(home, db), ["picasso", "turner"], CONFIG)
    assert (again.built, again.skipped) == (0, 4)
    cache = fresh_cache(home, db)
    cached_style_targets(net, artist_sources(db, home, "turner"), CONFIG, cache=cache)
    assert (cache.disk_hits, cache.computed) == (2, 0)
    rows = list_entries(db)
    assert sorted(r["work_id"] for r in rows if r["kind"] == "work") == sorted(works["pablo-picasso"] + works["william-turner"])
    assert sorted(r["work_id"] for r in rows if r["kind"] == "palette") == sorted(works["pablo-picasso"] + works["william-turner"])


def test_aggregate_equals_the_weighted_mean_computed_directly(home, corpus):
    db, _ = corpus
    net = net_for()
    sources = artist_sources(db, home, "picasso") + artist_sources(db, home, "turner")
    weights = [1.0, 3.0, 0.5, 2.0]
    got = artist_aggregate(net, fresh_cache(home, db), sources, CONFIG, artist="mixed", weights=weights)
    direct = [uncached(net, s, CONFIG) for s in sources]
    for layer in LAYERS:
        expected = sum(w * t[layer].double() for w, t in zip(weights, direct)) / sum(weights)
        torch.testing.assert_close(got[layer].double(), expected, rtol=1e-6, atol=0)
    rows = [r for r in list_entries(db) if r["kind"] == "aggregate"]
    assert len(rows) == 1 and rows[0]["artist"] == "mixed"
    cache = fresh_cache(home, db)
    again = artist_aggregate(net, cache, sources, CONFIG, artist="mixed", weights=weights)
    assert (cache.disk_hits, cache.computed) == (1, 0)
    assert_same(got, again)


def test_palettes_are_the_prepared_images_statistics_and_built_with_the_targets(home, corpus):
    db, _ = corpus
    from artstyle.style.sources import cached_palettes
    from artstyle.core.color import lab_stats

    sources = artist_sources(db, home, "picasso")
    build_cache(net_for(), db, fresh_cache(home, db), ["picasso"], CONFIG)
    cache = fresh_cache(home, db)
    palettes = cached_palettes(sources, CONFIG, cache=cache)
    assert (cache.disk_hits, cache.computed) == (2, 0)
    for source, palette in zip(sources, palettes):
        expected = lab_stats(prepare_style(load_image(source.path), CONFIG, None, "cpu"))
        assert palette.shape == (1, 2, 3) and torch.equal(palette, expected)
