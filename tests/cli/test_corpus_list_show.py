"""``corpus list`` says in text what its ``--json`` says; ``corpus show`` names a work's duplicates both ways."""

from __future__ import annotations

import json
import sqlite3

from support.corpus import register_paintings, work_id

COUNTS = ["works", "listed", "downloaded", "skipped", "failed", "duplicates"]


def _size(text: str) -> float:
    number, unit = text.split()
    return float(number) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[unit]


def _mark(home, painting: str, status: str) -> None:
    with sqlite3.connect(home / "catalog.db") as conn:
        conn.execute("UPDATE works SET status = ? WHERE id = ?", [status, work_id(home, painting)])
    conn.close()


def test_list_text_shows_what_json_shows(cli, home, paintings):
    register_paintings(home, paintings, ["pablo-picasso", "william-turner"])
    _mark(home, "pablo-picasso/seated-nude-1910", "skipped")
    _mark(home, "pablo-picasso/self-portrait-1907", "failed")
    listed = json.loads(cli("corpus", "list", "--json").stdout)
    result = cli("corpus", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["artist", *COUNTS, "disk"]
    assert all(len(line) <= 80 for line in lines)
    assert len(lines) == 1 + len(listed)
    for line, row in zip(lines[1:], listed):
        cells = line.split()
        assert cells[0] == row["slug"]
        assert [int(c) for c in cells[1:7]] == [row[k] for k in COUNTS]
        assert abs(_size(" ".join(cells[7:])) - row["bytes"]) <= max(row["bytes"] * 0.001, 1)
    picasso = dict(zip(COUNTS, [int(c) for c in lines[1].split()[1:7]]))
    assert (picasso["skipped"], picasso["failed"], picasso["downloaded"]) == (1, 1, 0)
    assert "2 artists, 4 works (2 downloaded), 1 duplicate, " in result.stderr


def test_list_sentence_speaks_plain_english_for_one(cli, home, paintings):
    register_paintings(home, paintings, ["edvard-munch"])
    result = cli("corpus", "list")
    assert "1 artist, 1 work (1 downloaded), 0 duplicates, " in result.stderr
    assert result.stdout.splitlines()[1].split()[:7] == ["edvard-munch", "1", "0", "1", "0", "0", "0"]


def test_show_lists_duplicates_both_ways(cli, home, paintings):
    register_paintings(home, paintings, ["william-turner"])
    first, second = (work_id(home, f"william-turner/{name}")
                     for name in ("the-shipwreck-1805", "the-shipwreck-1805-second-copy"))
    shown = {i: json.loads(cli("corpus", "show", i, "--json").stdout) for i in (first, second)}
    copy, kept = sorted(shown.values(), key=lambda w: w["duplicate_of"] is None)
    assert copy["duplicate_of"] == kept["id"] and copy["duplicates"] == []
    assert kept["duplicates"] == [{"id": copy["id"], "title": copy["title"]}]
    assert copy["duplicate_of_title"] == kept["title"] and kept["duplicate_of"] is None
    kept_text = cli("corpus", "show", kept["id"]).stdout
    assert f"duplicate: {copy['id']} ({copy['title']})\n" in kept_text
    assert "\nduplicate_of:" not in kept_text
    copy_text = cli("corpus", "show", copy["id"]).stdout
    assert f"duplicate_of: {kept['id']} ({kept['title']})\n" in copy_text
    assert "\nduplicate:" not in copy_text


def test_show_without_duplicates_says_nothing_of_them(cli, home, paintings):
    register_paintings(home, paintings, ["edvard-munch"])
    only = work_id(home, "edvard-munch/the-scream-1893")
    assert json.loads(cli("corpus", "show", only, "--json").stdout)["duplicates"] == []
    assert not [line for line in cli("corpus", "show", only).stdout.splitlines() if line.startswith("duplicate")]
