"""StyleCache: resident -> disk -> compute, rebuilt on damage, catalog rows, aggregates, clear/verify."""

from __future__ import annotations

import json
import logging

import pytest
import torch

from artstyle.style.aggregates import cached_aggregate, weighted_mean
from artstyle.style.cache import KIND_WORK, StyleCache
from artstyle.style.maintenance import clear_cache, list_entries, verify_cache
from artstyle.style.entries import StoreOptions
from artstyle.corpus.catalog import open_catalog
from artstyle.style.residency import DeviceLRU
from support.cache import synthetic_targets


@pytest.fixture
def db(home):
    catalog = open_catalog(home / "catalog.db")
    yield catalog
    catalog.conn.close()


def new_cache(home, db, **options):
    return StyleCache(home, db, "cpu", options=StoreOptions(**options), lru=DeviceLRU("cpu", 1 << 20))


class Counter:
    def __init__(self, seed):
        self.calls, self.seed = 0, seed

    def __call__(self):
        self.calls += 1
        return synthetic_targets(self.seed)


def test_compute_once_then_resident_then_disk(home, db):
    compute = Counter(1)
    first = new_cache(home, db).get_or_compute("k" * 64, compute, work_id="w1", kind=KIND_WORK, config={"a": 1})
    cache = new_cache(home, db)  # a fresh process: empty LRU, same disk
    again = cache.get_or_compute("k" * 64, compute, work_id="w1", kind=KIND_WORK, config={"a": 1})
    assert compute.calls == 1 and cache.disk_hits == 1
    assert all(torch.equal(first[layer], again[layer]) for layer in first)
    assert cache.get("k" * 64) is cache.lru.get("k" * 64)  # now resident
    row = db["cache_entries"].get("k" * 64)
    assert row["work_id"] == "w1" and row["kind"] == "work"
    assert row["path"] == f"cache/kk/{'k' * 64}.safetensors"
    assert row["bytes"] == (home / row["path"]).stat().st_size
    assert json.loads(row["config"]) == {"a": 1, "fp16": False, "triangle": False}


def damage_truncate(path):
    path.write_bytes(path.read_bytes()[:-100])


def damage_flip(path):
    data = bytearray(path.read_bytes())
    data[-7] ^= 0x55
    path.write_bytes(bytes(data))


def damage_garbage(path):
    path.write_bytes(b"not a safetensors file at all")


def damage_delete(path):
    path.unlink()


def damage_empty(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip, damage_garbage, damage_delete, damage_empty])
def test_damaged_entry_is_rebuilt_with_a_warning(home, db, damage, caplog):
    key = "d" * 64
    compute = Counter(2)
    original = new_cache(home, db).get_or_compute(key, compute, work_id="w", kind=KIND_WORK, config={})
    damage(new_cache(home, db).path_of(key))
    cache = new_cache(home, db)
    with caplog.at_level(logging.WARNING, logger="artstyle.style.cache"):
        rebuilt = cache.get_or_compute(key, compute, work_id="w", kind=KIND_WORK, config={})
    assert compute.calls == 2
    assert all(torch.equal(original[layer], rebuilt[layer]) for layer in original)
    assert f"style cache entry {key[:12]} is unusable" in caplog.text
    assert new_cache(home, db).get(key) is not None  # the rewritten file checks out
    assert verify_cache(home, db).clean


def test_entry_under_another_key_is_not_used(home, db, caplog):
    cache = new_cache(home, db)
    cache.put("a" * 64, synthetic_targets(1), work_id=None, kind=KIND_WORK, config={})
    cache.path_of("b" * 64).parent.mkdir(parents=True, exist_ok=True)
    cache.path_of("b" * 64).write_bytes(cache.path_of("a" * 64).read_bytes())  # copied under the wrong name
    assert new_cache(home, db).get("b" * 64) is None
    assert "holds another key" in caplog.text


def test_fp16_cache_returns_what_it_stores(home, db):
    compute = Counter(3)
    first = new_cache(home, db, fp16=True).get_or_compute("h" * 64, compute, work_id=None, kind=KIND_WORK, config={})
    loaded = new_cache(home, db).get("h" * 64)
    assert all(torch.equal(first[layer], loaded[layer]) for layer in first)
    assert new_cache(home, db).stored_options("h" * 64) == StoreOptions(fp16=True)


def test_weighted_mean_matches_direct_computation():
    members = [synthetic_targets(seed) for seed in range(4)]
    weights = [0.5, 2.0, 1.0, 3.5]
    streamed = weighted_mean(zip(members, weights))
    for layer in members[0]:
        direct = sum(w * m[layer] for m, w in zip(members, weights)) / sum(weights)
        torch.testing.assert_close(streamed[layer], direct, rtol=1e-6, atol=1e-7)


def test_weighted_mean_rejects_empty_input():
    with pytest.raises(ValueError):
        weighted_mean([])


def test_cached_aggregate_is_stored_once(home, db):
    cache = new_cache(home, db)
    keys = [f"{i}" * 64 for i in range(3)]
    for i, key in enumerate(keys):
        cache.put(key, synthetic_targets(i), work_id=f"w{i}", kind=KIND_WORK, config={})
    visits = []

    def member(key):
        visits.append(key)
        return cache.get(key)

    agg = cached_aggregate(cache, keys, [1.0, 1.0, 2.0], member, config={"artist": "x"})
    again = cached_aggregate(new_cache(home, db), keys, [1.0, 1.0, 2.0], member, config={"artist": "x"})
    assert visits == sorted(keys)  # members streamed once, in key order; the second call loads the entry
    expected = weighted_mean(zip([synthetic_targets(i) for i in range(3)], [1.0, 1.0, 2.0]))
    for layer in expected:
        assert torch.equal(agg[layer], expected[layer]) and torch.equal(again[layer], expected[layer])
    rows = [r for r in list_entries(db) if r["kind"] == "aggregate"]
    assert len(rows) == 1 and rows[0]["artist"] == "x" and rows[0]["work_id"] is None


def test_verify_reports_and_fixes_bad_entries_and_orphans(home, db):
    cache = new_cache(home, db)
    cache.put("a" * 64, synthetic_targets(1), work_id=None, kind=KIND_WORK, config={})
    cache.put("b" * 64, synthetic_targets(2), work_id=None, kind=KIND_WORK, config={})
    damage_flip(cache.path_of("b" * 64))
    orphan = home / "cache" / "zz" / "stray.safetensors"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    report = verify_cache(home, db)
    assert (report.checked, report.ok) == (2, 1)
    assert report.bad == [{"key": "b" * 64, "path": f"cache/bb/{'b' * 64}.safetensors", "problem": "payload checksum mismatch"}]
    assert report.orphans == ["cache/zz/stray.safetensors"]
    fixed = verify_cache(home, db, fix=True)
    assert fixed.removed == 2
    assert verify_cache(home, db).clean and verify_cache(home, db).checked == 1


def test_clear_everything(home, db):
    cache = new_cache(home, db)
    cache.put("a" * 64, synthetic_targets(1), work_id=None, kind=KIND_WORK, config={})
    count, freed = clear_cache(home, db)
    assert count == 1 and freed > 0
    assert list_entries(db) == [] and not list((home / "cache").rglob("*.safetensors"))


def test_unwritable_cache_folder_warns_and_goes_on(home, db, caplog):
    (home / "cache").write_text("a file where the cache folder should be")  # mkdir fails, even for root
    compute = Counter(4)
    with caplog.at_level(logging.WARNING, logger="artstyle.style.cache"):
        cache = new_cache(home, db)
        got = cache.get_or_compute("e" * 64, compute, work_id=None, kind=KIND_WORK, config={})
    assert all(torch.equal(got[layer], synthetic_targets(4)[layer]) for layer in got)
    assert "is a file, not a folder; painting without the style cache" in caplog.text
    assert list_entries(db) == []
    assert cache.get("e" * 64) is not None  # still resident for the rest of the process
