"""``batch --per-photo N``: repeats paint after distinct works and say when they cannot (issue 15, item 4);
warnings in one style and ``batch --json`` (item 6)."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import PAINTINGS
from support.corpus import register_paintings

pytestmark = pytest.mark.skipif(not PAINTINGS.is_dir(), reason="no shared paintings")


@pytest.mark.slow
def test_repeats_paint_after_distinct_works_and_warn_in_one_style_when_they_run_out(cli, home, tmp_path):
    register_paintings(home, PAINTINGS, ["pablo-picasso"])
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copyfile(PAINTINGS / "photos" / "tubingen.jpg", photos / "tubingen.jpg")
    result = cli("--weights", "random", "batch", str(photos), "--like", "picasso", "--per-photo", "3", "--out",
                 str(tmp_path / "out"), "--size", "32", "--iterations", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["done"], report["total"], report["failed"]) == (3, 3, [])
    works = [json.loads(p.read_text())["works"][0]["id"] for p in sorted((tmp_path / "out").glob("*.png.json"))]
    by_repeat = {json.loads(p.read_text())["batch"]["repeat"]: w for p, w in zip(sorted((tmp_path / "out").glob("*.png.json")), works)}
    assert by_repeat[0] != by_repeat[1] and by_repeat[2] == by_repeat[0]  # two works: the third repeat reuses one
    assert "warning: pablo-picasso has only 2 matching works, so repeat 3 of this request reuses works" in result.output
    assert "WARNING" not in result.output
