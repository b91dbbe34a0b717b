"""``artstyle cache list|verify|clear`` through the CLI: output and exit codes."""

from __future__ import annotations

import json

import pytest

from artstyle.style.cache import KIND_WORK, StyleCache
from artstyle.corpus.catalog import open_catalog
from artstyle.style.residency import DeviceLRU
from support.cache import synthetic_targets
from support.corpus import register_paintings, work, work_id


@pytest.fixture
def populated(home, paintings):
    """Two artists' works registered, one synthetic entry per work; returns {work_id: key}."""
    works = register_paintings(home, paintings, ["pablo-picasso", "edvard-munch"])
    db = open_catalog(home / "catalog.db")
    cache = StyleCache(home, db, "cpu", lru=DeviceLRU("cpu", 1 << 20))
    keys = {}
    for i, one in enumerate(sorted(w for ids in works.values() for w in ids)):
        keys[one] = f"{i:x}" * 64
        cache.put(keys[one], synthetic_targets(i), work_id=one, kind=KIND_WORK, config={})
    db.conn.close()
    return keys


def test_list_without_a_catalog_is_exit_2(cli):
    result = cli("cache", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no catalog at")


def test_list_json(cli, populated):
    result = cli("cache", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert sorted(r["work_id"] for r in rows) == sorted(populated)
    assert {r["artist"] for r in rows} == {"pablo-picasso", "edvard-munch"}
    assert all(r["kind"] == "work" and r["bytes"] > 0 for r in rows)


def test_list_text(cli, home, populated):
    result = cli("cache", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 3  # a header, then the entries
    assert any(line.startswith(populated[work_id(home, "edvard-munch/the-scream-1893")][:8]) for line in lines)
    assert "3 entries" in result.stderr


def test_verify_clean_then_damaged_then_fixed(cli, home, populated):
    result = cli("cache", "verify")
    assert result.exit_code == 0
    assert result.stdout.strip() == "3 entries checked: 3 ok, 0 bad, 0 stray files"
    key = populated[work_id(home, "edvard-munch/the-scream-1893")]
    path = home / "cache" / key[:2] / f"{key}.safetensors"
    path.write_bytes(path.read_bytes()[:50])
    result = cli("cache", "verify")
    assert result.exit_code == 1
    assert f"bad     cache/{key[:2]}/{key}.safetensors: size is 50 bytes" in result.stdout
    assert "1 bad" in result.stdout and "cache verify --fix" in result.stderr
    result = cli("cache", "verify", "--fix")
    assert result.exit_code == 0 and "removed 1 files" in result.stdout
    assert cli("cache", "verify").stdout.strip() == "2 entries checked: 2 ok, 0 bad, 0 stray files"


def test_clear_one_artist_then_all(cli, home, populated):
    result = cli("cache", "clear", "picasso")
    assert result.exit_code == 0
    assert result.stdout.startswith("removed 2 entries (")
    remaining = json.loads(cli("cache", "list", "--json").stdout)
    assert [r["work_id"] for r in remaining] == [work_id(home, "edvard-munch/the-scream-1893")]
    assert len(list((home / "cache").rglob("*.safetensors"))) == 1
    assert cli("cache", "clear").stdout.startswith("removed 1 entries (")
    assert json.loads(cli("cache", "list", "--json").stdout) == []


def test_clear_unknown_artist_is_exit_2(cli, populated):
    result = cli("cache", "clear", "rembrandt")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error: no artist 'rembrandt' in the catalog"


@pytest.fixture
def corpus(home, paintings):
    return register_paintings(home, paintings, ["pablo-picasso", "william-turner"], count_duplicates=True)


def test_build_list_and_rebuild(cli, corpus):
    result = cli("--weights", "random", "--device", "cpu", "cache", "build", "picasso", "turner", "--size", "64")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "4 works of pablo-picasso, william-turner: 4 built, 0 already cached, 0 failed"
    rows = json.loads(cli("cache", "list", "--json").stdout)
    assert sorted(r["kind"] for r in rows) == ["palette"] * 4 + ["work"] * 4
    rows = [r for r in rows if r["kind"] == "work"]
    assert sorted(r["work_id"] for r in rows) == sorted(corpus["pablo-picasso"] + corpus["william-turner"])
    assert {r["config"]["style_size"] for r in rows} == {64}
    assert {r["config"]["color"] for r in rows} == {"none"}
    again = cli("--weights", "random", "--device", "cpu", "cache", "build", "pablo-picasso", "--size", "64")
    assert again.stdout.splitlines()[0] == "2 works of pablo-picasso: 0 built, 2 already cached, 0 failed"
    other = cli("--weights", "random", "--device", "cpu", "cache", "build", "pablo-picasso", "--size", "64", "--style-scale", "0.5")
    assert other.stdout.splitlines()[0] == "2 works of pablo-picasso: 2 built, 0 already cached, 0 failed"
    layers = cli("--weights", "random", "cache", "build", "pablo-picasso", "--size", "64", "--style-layers", "relu1_1,relu2_1")
    assert layers.stdout.splitlines()[0] == "2 works of pablo-picasso: 2 built, 0 already cached, 0 failed"
    rows = json.loads(cli("cache", "list", "--json").stdout)
    assert ["relu1_1", "relu2_1"] in [r["config"]["layers"] for r in rows if r["kind"] == "work"]
    bad = cli("--weights", "random", "cache", "build", "pablo-picasso", "--style-layers", "relu9_9")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: unknown VGG-19 layer(s): relu9_9")


@pytest.mark.slow
def test_build_fp16_triangle_and_aggregate(cli, home, corpus):
    result = cli("--weights", "random", "cache", "build", "picasso", "--size", "64", "--fp16", "--triangle", "--aggregate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "aggregates: pablo-picasso"
    rows = json.loads(cli("cache", "list", "--json").stdout)
    assert sorted(r["kind"] for r in rows) == ["aggregate", "palette", "palette", "work", "work"]
    assert all(r["config"]["fp16"] and r["config"]["triangle"] for r in rows)
    assert [r["artist"] for r in rows if r["kind"] == "aggregate"] == ["pablo-picasso"]
    assert cli("cache", "verify").exit_code == 0
    # the same works in full precision are rewritten, not served from the fp16 entries
    full = cli("--weights", "random", "cache", "build", "picasso", "--size", "64")
    assert full.stdout.splitlines()[0] == "2 works of pablo-picasso: 2 built, 0 already cached, 0 failed"


def test_build_unknown_artist_and_bad_size_are_exit_2(cli, corpus):
    result = cli("--weights", "random", "cache", "build", "rembrandt")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error: no artist 'rembrandt' in the catalog"
    result = cli("--weights", "random", "cache", "build", "picasso", "--size", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--size'" in result.stderr


def test_build_reports_an_unreadable_work_and_goes_on(cli, home, corpus):
    shipwreck = work(home, "william-turner/the-shipwreck-1805")
    broken = home / shipwreck["local_path"]
    broken.write_bytes(b"garbage")
    result = cli("--weights", "random", "cache", "build", "turner", "--size", "64")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "2 works of william-turner: 1 built, 0 already cached, 1 failed"
    assert lines[1].startswith(f"failed  {shipwreck['id']}: style image")
    assert "changed since it was catalogued" in lines[1]
