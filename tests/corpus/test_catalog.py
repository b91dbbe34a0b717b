"""Catalog schema, migrations, artist resolution and work queries."""

from __future__ import annotations

import pytest

from artstyle.corpus import catalog
from artstyle.errors import NotFoundError, StorageError, UsageError
from support.paths import REPO


@pytest.fixture
def db(tmp_path):
    db = catalog.open_catalog(tmp_path / "catalog.db")
    db["artists"].insert_all(
        [
            {"slug": "pablo-picasso", "name": "Pablo Picasso"},
            {"slug": "vincent-van-gogh", "name": "Vincent van Gogh"},
            {"slug": "paloma-picasso", "name": "Paloma Picasso"},
        ],
        pk="slug",
    )
    db["works"].insert_all(
        [
            {"id": "a", "artist": "pablo-picasso", "title": "A", "year_start": 1901, "year_end": 1904,
             "styles": catalog.dumps(["Cubism"]), "genres": catalog.dumps(["portrait"]), "status": "downloaded"},
            {"id": "b", "artist": "pablo-picasso", "title": "B", "year_start": 1937, "year_end": 1937,
             "styles": catalog.dumps(["Surrealism"]), "genres": catalog.dumps(["still life"]), "status": "listed"},
        ],
        pk="id",
    )
    return db


def test_schema_version_and_wal(db):
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == catalog.SCHEMA_VERSION
    assert db.journal_mode == "wal"
    assert {"artists", "works", "runs", "cache_entries"} <= set(db.table_names())


def test_reopen_is_idempotent(tmp_path):
    catalog.open_catalog(tmp_path / "c.db")
    db = catalog.open_catalog(tmp_path / "c.db")
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == catalog.SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path):
    db = catalog.open_catalog(tmp_path / "c.db")
    db.conn.execute(f"PRAGMA user_version = {catalog.SCHEMA_VERSION + 1}")
    db.conn.close()
    with pytest.raises(StorageError, match="newer artstyle"):
        catalog.open_catalog(tmp_path / "c.db")


def test_resolve_artist_leniently(db):
    assert catalog.resolve_artist(db, "pablo-picasso")["slug"] == "pablo-picasso"
    assert catalog.resolve_artist(db, "Pablo Picasso")["slug"] == "pablo-picasso"
    assert catalog.resolve_artist(db, "gogh")["slug"] == "vincent-van-gogh"
    with pytest.raises(UsageError, match="ambiguous: pablo-picasso, paloma-picasso"):
        catalog.resolve_artist(db, "picasso")
    with pytest.raises(NotFoundError) as info:
        catalog.resolve_artist(db, "pablo-picaso")
    assert "pablo-picasso" in info.value.hint


def test_query_works_filters(db):
    ids = lambda **kw: [w["id"] for w in catalog.query_works(db, "pablo-picasso", **kw)]  # noqa: E731
    assert ids() == ["a", "b"]
    assert ids(style="cubism") == ["a"]
    assert ids(genre="still") == ["b"]
    assert ids(years="1903-1910") == ["a"]
    assert ids(years="1937") == ["b"]
    assert ids(statuses=["downloaded"]) == ["a"]
    assert catalog.query_works(db, "pablo-picasso")[0]["styles"] == ["Cubism"]


@pytest.mark.parametrize("text", ["abc", "1904-1901", "", "19x0"])
def test_parse_years_rejects_malformed(text):
    with pytest.raises(UsageError):
        catalog.parse_years(text)


def test_parse_years_open_ranges():
    assert catalog.parse_years("1900-") == (1900, 10_000)
    assert catalog.parse_years("-1900") == (-10_000, 1900)
    assert catalog.parse_years("1907") == (1907, 1907)


def test_get_work_unknown(db):
    with pytest.raises(NotFoundError, match="no work 'zzz'"):
        catalog.get_work(db, "zzz")


def test_the_corpus_and_names_never_import_torch():
    """artstyle.corpus (wikiart included) and artstyle.names load without torch (the package root is bypassed)."""
    import subprocess
    import sys

    package = REPO / "artstyle"
    code = (
        "import sys, types\n"
        f"root = types.ModuleType('artstyle'); root.__path__ = [{str(package)!r}]; root.__version__ = '0'\n"
        "sys.modules['artstyle'] = root\n"
        "import artstyle.names, artstyle.corpus, artstyle.corpus.sampler, artstyle.corpus.wikiart.directory\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
