"""The one provider interface: CachedTargets and UncachedTargets give the same tensors; ``build()`` for ``cache build``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from artstyle.core.color import ColorMode
from artstyle.core.features import Pooling, load_feature_net
from artstyle.corpus.catalog import open_catalog
from artstyle.corpus.sampler import StylePick
from artstyle.errors import NotFoundError, UsageError
from artstyle.files import load_image
from artstyle.style.build import BuildReport, build, build_cache
from artstyle.style.cache import StyleCache
from artstyle.style.config import TargetConfig
from artstyle.style.entries import StoreOptions
from artstyle.style.maintenance import list_entries
from artstyle.style.provider import CachedTargets, TargetProvider, UncachedTargets
from artstyle.style.residency import DeviceLRU, shared_lru
from artstyle.core.images import image_to_tensor
from artstyle.style.targets import color_stats
from support.corpus import register_paintings

LAYERS = ("relu1_1", "relu2_1", "relu3_1")


@pytest.fixture
def picks(home, paintings):
    """Each registered work as a sampler pick, and one aggregate of Picasso's works (weights 0.25, 0.75)."""
    register_paintings(home, paintings, ["pablo-picasso", "william-turner"], count_duplicates=True)
    db = open_catalog(home / "catalog.db")
    works = [StylePick(w["id"], w["artist"], w["title"], 1.0, home / w["local_path"], w["sha256"])
             for w in db["works"].rows_where(order_by="id")]
    db.conn.close()
    picasso = [p for p in works if p.artist == "pablo-picasso"]
    members = tuple(StylePick(p.work_id, p.artist, p.title, w, p.path, p.sha256) for p, w in zip(picasso, (0.25, 0.75)))
    aggregate = StylePick("aggregate:pablo-picasso", "pablo-picasso", "mean of 2 works", 1.0, members[0].path, None, members)
    shared_lru("cpu").clear()
    yield works, aggregate
    shared_lru("cpu").clear()


def assert_same(a, b):
    assert list(a) == list(b)
    for layer in a:
        assert torch.equal(a[layer], b[layer]), layer


def test_both_providers_are_target_providers_and_a_bare_function_is_not(settings):
    assert isinstance(CachedTargets(settings, "cpu"), TargetProvider)
    assert isinstance(UncachedTargets(), TargetProvider)
    assert not isinstance(lambda pick, config, stats, net: {}, TargetProvider)  # a bare function has no palette


@pytest.mark.parametrize("color", [ColorMode.none, ColorMode.reinhard, ColorMode.luminance, ColorMode.reinhard_inverse])
def test_uncached_targets_are_bitwise_the_cached_ones(settings, picks, color):
    works, aggregate = picks
    config = TargetConfig(layers=LAYERS, style_size=64, color=color)
    net = load_feature_net("random", LAYERS, config.pooling, "cpu")
    content = image_to_tensor(load_image(works[-1].path), 48)
    stats = color_stats(content, color)
    cached, uncached = CachedTargets(settings, "cpu"), UncachedTargets("cpu")
    for pick in [*works, aggregate]:
        expected = uncached(pick, config, stats, net)
        assert_same(cached(pick, config, stats, net), expected)  # computed and stored
        shared_lru("cpu").clear()
        assert_same(CachedTargets(settings, "cpu")(pick, config, stats, net), expected)  # read back from disk


def test_uncached_palettes_are_bitwise_the_cached_ones(settings, picks):
    works, aggregate = picks
    config = TargetConfig(layers=LAYERS, style_size=64, style_scale=0.5)
    cached, uncached = CachedTargets(settings, "cpu"), UncachedTargets("cpu")
    for pick in [*works, aggregate]:
        expected = uncached.palette(pick, config)
        assert expected.shape == (1, 2, 3)
        assert torch.equal(cached.palette(pick, config), expected)


def test_the_uncached_provider_writes_nothing(settings, home, picks):
    works, aggregate = picks
    config = TargetConfig(layers=LAYERS, style_size=64)
    net = load_feature_net("random", LAYERS, config.pooling, "cpu")
    UncachedTargets()(aggregate, config, None, net)
    UncachedTargets().palette(works[0], config)
    assert not (home / "cache").exists()


def test_build_is_build_cache_on_the_settings(settings, home, picks):
    works, _ = picks
    started, seen = [], []
    report = build(settings, ["picasso", "turner"], size=64, layers=LAYERS, pooling="avg", aggregate=True,
                   on_start=started.append, on_work=lambda source, status: seen.append((source.work_id, status)))
    assert isinstance(report, BuildReport)
    assert (report.artists, report.works, report.built, report.skipped, report.failed) == (
        ["pablo-picasso", "william-turner"], 4, 4, 0, [])
    assert report.aggregates == ["pablo-picasso", "william-turner"]
    assert started == [4] and sorted(seen) == sorted((w.work_id, "built") for w in works)
    db = open_catalog(home / "catalog.db")
    rows = list_entries(db)
    assert sorted(r["kind"] for r in rows) == ["aggregate"] * 2 + ["palette"] * 4 + ["work"] * 4
    assert {r["config"]["pooling"] for r in rows if r["kind"] == "work"} == {"avg"}
    # the same entries as build_cache with the net and config built by hand: nothing to do
    config = TargetConfig(layers=LAYERS, style_size=64, pooling=Pooling.avg)
    net = load_feature_net("random", LAYERS, Pooling.avg, "cpu")
    cache = StyleCache(home, db, "cpu", lru=DeviceLRU("cpu", 1 << 20))
    again = build_cache(net, db, cache, ["picasso", "turner"], config)
    assert (again.built, again.skipped) == (0, 4)
    db.conn.close()


def test_build_store_options_and_a_style_scale_are_new_entries(settings, home, picks):
    build(settings, ["picasso"], size=64, layers=LAYERS)
    report = build(settings, ["picasso"], size=64, layers=LAYERS, fp16=True, triangle=True)
    assert (report.built, report.skipped) == (2, 0)  # rewritten with the new options
    assert (build(settings, ["picasso"], size=64, layers=LAYERS, fp16=True, triangle=True).skipped) == 2
    assert build(settings, ["picasso"], size=64, style_scale=0.5, layers=LAYERS).built == 2
    db = open_catalog(home / "catalog.db")
    options = {StoreOptions(fp16=r["config"]["fp16"], triangle=r["config"]["triangle"]) for r in list_entries(db)}
    db.conn.close()
    assert options == {StoreOptions(), StoreOptions(fp16=True, triangle=True)}


def test_build_refuses_unknown_artists_and_layers(settings, picks):
    with pytest.raises(NotFoundError, match="no artist 'rembrandt'"):
        build(settings, ["rembrandt"], size=64, layers=LAYERS)
    with pytest.raises(UsageError, match="unknown VGG-19 layer"):
        build(settings, ["picasso"], size=64, layers=("relu9_9",))


def test_build_without_a_catalog_is_an_error(settings):
    with pytest.raises(NotFoundError, match="no catalog at"):
        build(settings, ["picasso"])
    assert not Path(settings.catalog_path).exists()
