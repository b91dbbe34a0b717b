"""Issue 14, item 6: ``<home>/cache`` is a file. Painting goes on uncached; the cache commands say so and exit 1.

The cache only saves time, so it must never fail a painting: ``paint`` and
``batch`` warn once, naming the file and what to do, and paint without it.
``cache build|list|verify|clear`` exist to look after the cache, so for them
it is the error. Nobody ever deletes or replaces the file.
"""

from __future__ import annotations

import pytest

from artstyle.corpus.catalog import open_catalog
from artstyle.errors import StorageError
from artstyle.style import cache as style_cache
from artstyle.style.cache import KIND_WORK, StyleCache
from artstyle.style.residency import DeviceLRU
from support.cache import synthetic_targets
from support.corpus import register_paintings

PAINT = ["--weights", "random", "--device", "cpu", "paint"]
TINY = ["--size", "48", "--iterations", "1", "--offline"]
CONTENT = b"not a folder: someone's notes"


@pytest.fixture
def blocked(home, paintings):
    """Munch registered, one entry stored, then ``<home>/cache`` replaced by a file."""
    register_paintings(home, paintings, ["edvard-munch"])
    db = open_catalog(home / "catalog.db")
    StyleCache(home, db, "cpu", lru=DeviceLRU("cpu", 1 << 20)).put("ab" * 32, synthetic_targets(1), work_id=None, kind=KIND_WORK, config={})
    db.conn.close()
    for entry in sorted((home / "cache").rglob("*"), reverse=True):
        entry.rmdir() if entry.is_dir() else entry.unlink()
    (home / "cache").rmdir()
    (home / "cache").write_bytes(CONTENT)
    return home / "cache"


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _message(path) -> str:
    return f"the style cache folder {path} is a file, not a folder"


def test_paint_goes_on_uncached_and_says_so_once(cli, blocked, paintings, tmp_path):
    out = tmp_path / "painted.png"
    result = cli(*PAINT, str(paintings / "photos" / "tubingen.jpg"), "--like", "edvard-munch", "--output", str(out), *TINY)
    assert result.exit_code == 0, result.output
    assert out.is_file()
    warning = _squeezed(result.stderr)  # rich wraps log lines anywhere, even inside the path
    assert warning.count(_squeezed(_message(blocked))) == 1, result.stderr
    assert _squeezed("painting without the style cache (move or delete that file") in warning
    assert blocked.read_bytes() == CONTENT


@pytest.mark.parametrize("command", [["cache", "list"], ["cache", "verify"], ["cache", "verify", "--fix"], ["cache", "clear"],
                                     ["--weights", "random", "--device", "cpu", "cache", "build", "edvard-munch", "--size", "32"]])
def test_the_cache_commands_refuse_with_exit_1_and_leave_the_file(cli, blocked, command):
    result = cli(*command)
    assert result.exit_code == 1, result.output
    assert f"error: {_message(blocked)}\n" in result.stderr, result.stderr
    assert "hint: move or delete that file" in " ".join(result.stderr.split())
    assert blocked.read_bytes() == CONTENT


def test_the_library_serves_uncached_and_checks_on_request(home, blocked):
    db = open_catalog(home / "catalog.db")
    cache = StyleCache(home, db, "cpu", lru=DeviceLRU("cpu", 1 << 20))
    assert cache.get("ab" * 32) is None  # its row is still there, but the file is unreachable
    stored = cache.put("cd" * 32, synthetic_targets(2), work_id=None, kind=KIND_WORK, config={})
    assert set(stored) == set(synthetic_targets(2)) and cache.get("cd" * 32) is not None  # resident only
    assert blocked.read_bytes() == CONTENT
    with pytest.raises(StorageError, match="is a file, not a folder"):
        style_cache.check_cache_dir(home)
    style_cache.check_cache_dir(home / "elsewhere")  # absent is fine: it is made when first needed
