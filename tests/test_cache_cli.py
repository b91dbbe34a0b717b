"""``artstyle cache list|verify|clear`` through the CLI: output and exit codes."""

from __future__ import annotations

import json

import pytest

from artstyle.cache import KIND_WORK, StyleCache
from artstyle.catalog import open_catalog
from artstyle.residency import DeviceLRU
from cache_support import register_paintings, synthetic_targets


@pytest.fixture
def populated(home, paintings):
    """Two artists' works registered, one synthetic entry per work; returns {work_id: key}."""
    works = register_paintings(home, paintings, ["pablo-picasso", "edvard-munch"])
    db = open_catalog(home / "catalog.db")
    cache = StyleCache(home, db, "cpu", lru=DeviceLRU("cpu", 1 << 20))
    keys = {}
    for i, work_id in enumerate(sorted(w for ids in works.values() for w in ids)):
        keys[work_id] = f"{i:x}" * 64
        cache.put(keys[work_id], synthetic_targets(i), work_id=work_id, kind=KIND_WORK, config={})
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


def test_list_text(cli, populated):
    result = cli("cache", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert any(line.startswith(populated["edvard-munch--the-scream-1893"][:12]) for line in lines)
    assert "3 entries" in result.stderr


def test_verify_clean_then_damaged_then_fixed(cli, home, populated):
    result = cli("cache", "verify")
    assert result.exit_code == 0
    assert result.stdout.strip() == "3 entries checked: 3 ok, 0 bad, 0 stray files"
    key = populated["edvard-munch--the-scream-1893"]
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
    assert [r["work_id"] for r in remaining] == ["edvard-munch--the-scream-1893"]
    assert len(list((home / "cache").rglob("*.safetensors"))) == 1
    assert cli("cache", "clear").stdout.startswith("removed 1 entries (")
    assert json.loads(cli("cache", "list", "--json").stdout) == []


def test_clear_unknown_artist_is_exit_2(cli, populated):
    result = cli("cache", "clear", "rembrandt")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error: no artist 'rembrandt' in the catalog"
