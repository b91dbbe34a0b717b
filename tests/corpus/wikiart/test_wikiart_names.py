"""Lenient artist names on WikiArt: ``picasso``, ``Pablo Picasso`` and ``pablo-picasso`` (issue 3, item 6).

Unit tests of the AlphabetJson parser and resolver, then ``corpus add`` and
``paint --like`` against the replay, whose AlphabetJson lists the replayed
artists and a few decoys.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from artstyle.errors import NotFoundError, UsageError
from artstyle.corpus.wikiart import directory
from artstyle.corpus.wikiart.routes import forget_artist_lists
from support.wikiart_replay import DECOYS, ReplayServer, alphabet_item, generated_image, make_artist
from support.wikiart import FAST_CLI, snapshot

ALPHABET = r"/en/App/Artist/AlphabetJson\?"
PICASSO = "pablo-picasso"


@pytest.fixture(autouse=True)
def fresh_lists():
    forget_artist_lists()
    yield
    forget_artist_lists()


def _picasso():
    return make_artist(8, slug=PICASSO, name="Pablo Picasso", folder=PICASSO, real=False)


@pytest.fixture
def one_picasso():
    with ReplayServer([_picasso()]) as server:
        yield server


@pytest.fixture
def two_picassos():
    with ReplayServer([_picasso()], decoys=[*DECOYS, ("paloma-picasso", "Paloma Picasso", False)]) as server:
        yield server


def _stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def _artists(home) -> list[str]:
    conn = sqlite3.connect(home / "catalog.db")
    try:
        return [r[0] for r in conn.execute("SELECT slug FROM artists ORDER BY slug")]
    finally:
        conn.close()


# ---------------------------------------------------------------- pure parser and resolver

LIST = directory.parse_artist_list([
    alphabet_item("pablo-picasso", "Pablo Picasso", 1), alphabet_item("paloma-picasso", "Paloma Picasso", 2),
    alphabet_item("vincent-van-gogh", "Vincent van Gogh", 3), alphabet_item("paul-cezanne", "Paul C&#233;zanne", 4),
    {"artistName": "No Url", "contentId": 5}, "junk",
])


def test_parse_artist_list_keeps_items_with_a_url_and_decodes_names():
    assert [a["url"] for a in LIST] == ["pablo-picasso", "paloma-picasso", "vincent-van-gogh", "paul-cezanne"]
    assert LIST[3] == {"url": "paul-cezanne", "name": "Paul Cézanne", "last_name_first": "Cézanne Paul", "content_id": 4}
    assert directory.parse_artist_list({"not": "a list"}) == []


def test_merge_keeps_one_entry_per_url():
    merged = directory.merge(LIST[:2], LIST[1:3])
    assert [a["url"] for a in merged] == ["pablo-picasso", "paloma-picasso", "vincent-van-gogh"]


@pytest.mark.parametrize("name, url", [
    ("pablo-picasso", "pablo-picasso"), ("Pablo Picasso", "pablo-picasso"), ("Picasso, Pablo", "pablo-picasso"),
    ("van gogh", "vincent-van-gogh"), ("GOGH", "vincent-van-gogh"), ("Paul Cézanne", "paul-cezanne"), ("cezanne", "paul-cezanne"),
])
def test_resolve_leniently(name, url):
    assert directory.resolve(LIST, name)["url"] == url


def test_resolve_ambiguous_and_unknown():
    with pytest.raises(UsageError) as ambiguous:
        directory.resolve(LIST, "picasso")
    assert str(ambiguous.value) == "artist 'picasso' is ambiguous on WikiArt: pablo-picasso, paloma-picasso"
    assert ambiguous.value.hint == "give the full URL name, e.g. pablo-picasso"
    with pytest.raises(NotFoundError) as unknown:
        directory.resolve(LIST, "pablo picaso")
    assert str(unknown.value) == "no artist 'pablo picaso' on WikiArt"
    assert unknown.value.hint == "did you mean: pablo-picasso, paloma-picasso, paul-cezanne?"
    with pytest.raises(NotFoundError) as far:
        directory.resolve(LIST, "zzz")
    assert far.value.hint.startswith("use the artist's WikiArt URL name")
    with pytest.raises(UsageError):
        directory.resolve(LIST, "--")


# ---------------------------------------------------------------- corpus add against the replay

def test_add_picasso_resolves_through_the_artist_list(cli, home, one_picasso):
    result = cli("--wikiart-url", one_picasso.url, "corpus", "add", "picasso", *FAST_CLI)
    assert result.exit_code == 0, result.output
    assert _artists(home) == [PICASSO]
    listed = json.loads(cli("corpus", "list", "--json").stdout)
    assert [(a["slug"], a["works"], a["downloaded"]) for a in listed] == [(PICASSO, 8, 7)]  # work 4 is a placeholder
    assert len(one_picasso.requests_to(r"^/en/picasso\?json=2$")) == 1  # tried as a URL name first, not retried
    assert sorted(one_picasso.requests_to(ALPHABET)) == ["/en/App/Artist/AlphabetJson?v=new&inPublicDomain=false",
                                                         "/en/App/Artist/AlphabetJson?v=new&inPublicDomain=true"]


def test_full_name_and_url_name_make_no_list_request(cli, home, two_picassos):
    for name in ("Pablo Picasso", PICASSO):
        result = cli("--wikiart-url", two_picassos.url, "corpus", "add", name, "--metadata-only", *FAST_CLI)
        assert result.exit_code == 0, result.output
    assert _artists(home) == [PICASSO]
    assert two_picassos.requests_to(ALPHABET) == []


def test_passing_fault_on_a_url_name_is_retried_after_the_list(cli, home, one_picasso):
    one_picasso.add_fault(lambda path, query: path == f"/en/{PICASSO}" and query.get("json") == "2", status=500)
    result = cli("--wikiart-url", one_picasso.url, "corpus", "add", PICASSO, "--metadata-only", *FAST_CLI)
    assert result.exit_code == 0, result.output
    assert _artists(home) == [PICASSO]
    assert len(one_picasso.requests_to(rf"^/en/{PICASSO}\?json=2$")) == 2
    assert len(one_picasso.requests_to(ALPHABET)) == 2


def test_list_is_fetched_once_per_process(cli, home, one_picasso):
    for _ in range(2):
        assert cli("--wikiart-url", one_picasso.url, "corpus", "add", "Picasso", "--metadata-only", *FAST_CLI).exit_code == 0
    assert len(one_picasso.requests_to(ALPHABET)) == 2  # public domain and not, once


def test_ambiguous_name_changes_nothing(cli, home, two_picassos):
    result = cli("--wikiart-url", two_picassos.url, "corpus", "add", "picasso", *FAST_CLI)
    assert result.exit_code == 2
    assert _stderr_lines(result) == ["error: artist 'picasso' is ambiguous on WikiArt: pablo-picasso, paloma-picasso",
                                     "hint: give the full URL name, e.g. pablo-picasso"]
    assert list(home.iterdir()) == []


def test_unknown_name_lists_the_closest(cli, home, two_picassos):
    result = cli("--wikiart-url", two_picassos.url, "corpus", "add", "Pablo Picaso", *FAST_CLI)
    assert result.exit_code == 2
    assert _stderr_lines(result) == [
        f"error: artist 'pablo-picaso' is not on WikiArt ({two_picassos.url}/en/pablo-picaso?json=2 answered HTTP 500)",
        "hint: did you mean: pablo-picasso, paloma-picasso, paul-cezanne?"]
    assert list(home.iterdir()) == []


def test_unknown_name_in_an_existing_catalog_changes_nothing(cli, home, two_picassos):
    assert cli("--wikiart-url", two_picassos.url, "corpus", "add", PICASSO, "--metadata-only", *FAST_CLI).exit_code == 0
    before = (snapshot(home), _artists(home))
    result = cli("--wikiart-url", two_picassos.url, "corpus", "add", "monnet", *FAST_CLI)
    assert result.exit_code == 2
    assert _stderr_lines(result)[1] == "hint: did you mean: claude-monet?"
    assert (snapshot(home), _artists(home)) == before


def test_broken_artist_list_falls_back_to_the_url_error(cli, home, one_picasso):
    one_picasso.add_fault(lambda path, query: path == "/en/App/Artist/AlphabetJson", status=200, times=10,
                          body=b"<html>Just a moment...</html>", headers={"Content-Type": "text/html"})
    result = cli("--wikiart-url", one_picasso.url, "corpus", "add", "picasso", *FAST_CLI)
    assert result.exit_code == 2
    lines = _stderr_lines(result)
    assert "cannot fetch WikiArt's artist list to resolve 'picasso'" in lines[0]
    assert [line for line in lines if line.startswith(("error:", "hint:"))] == [
        f"error: artist 'picasso' is not on WikiArt ({one_picasso.url}/en/picasso?json=2 answered HTTP 500)",
        "hint: use the artist's WikiArt URL name, e.g. pablo-picasso for https://www.wikiart.org/en/pablo-picasso"]
    assert list(home.iterdir()) == []


# ---------------------------------------------------------------- paint fetches a lenient name on the fly

def test_paint_like_picasso_fetches_it_on_the_fly(cli, home, one_picasso, tmp_path):
    photo = tmp_path / "photo.jpg"
    generated_image(7, (80, 60)).save(photo)
    result = cli("--wikiart-url", one_picasso.url, "--weights", "random", "--device", "cpu", "paint", str(photo),
                 "--like", "picasso", "--size", "64", "--iterations", "2", "--seed", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"style: {PICASSO}: ")
    assert photo.with_name(f"photo.{PICASSO}.png").is_file()
    assert _artists(home) == [PICASSO]
    assert len(one_picasso.requests_to(ALPHABET)) == 2
