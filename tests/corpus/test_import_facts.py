"""``corpus import --style/--genre/--year`` and per-image sidecars, so filters find imported works (issue 15, item 10)."""

from __future__ import annotations

import json
import shutil

import pytest

from artstyle.corpus import catalog
from conftest import PAINTINGS

pytestmark = pytest.mark.skipif(not PAINTINGS.is_dir(), reason="no shared paintings")


@pytest.fixture
def scans(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for source in (PAINTINGS / "pablo-picasso").glob("*.jpg"):
        shutil.copyfile(source, folder / source.name)
    return folder


def _works(cli, *filters):
    result = cli("corpus", "works", "picasso", "--json", *filters)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_with_style_and_genre_lets_filters_find_the_works(cli, scans):
    assert cli("corpus", "import", str(scans), "--artist", "Pablo Picasso", "--style", "Cubism", "--genre", "nude").exit_code == 0
    assert len(_works(cli, "--style", "cubism")) == 2
    assert len(_works(cli, "--genre", "nude")) == 2


def test_a_sidecar_gives_one_work_its_own_facts(cli, scans):
    (scans / "self-portrait-1907.jpg.json").write_text(json.dumps({"style": "Primitivism", "title": "Self-Portrait"}))
    assert cli("corpus", "import", str(scans), "--artist", "Pablo Picasso", "--style", "Cubism").exit_code == 0
    (primitive,) = _works(cli, "--style", "primitivism")
    assert primitive["title"] == "Self-Portrait" and primitive["year_start"] == 1907
    assert len(_works(cli, "--style", "cubism")) == 1


def test_importing_again_with_a_style_gives_it_to_works_already_there(cli, scans, home):
    assert cli("corpus", "import", str(scans), "--artist", "Pablo Picasso").exit_code == 0
    assert _works(cli, "--style", "cubism") == []
    assert cli("corpus", "import", str(scans), "--artist", "Pablo Picasso", "--style", "Cubism", "--year", "1910").exit_code == 0
    works = _works(cli, "--style", "cubism")
    assert len(works) == 2 and all(w["status"] == "downloaded" for w in works)
    assert catalog.open_catalog(home / "catalog.db")["works"].count == 2


def test_a_broken_sidecar_is_skipped_with_its_reason(cli, scans):
    (scans / "seated-nude-1910.json").write_text("{not json")
    result = cli("corpus", "import", str(scans), "--artist", "Pablo Picasso")
    assert result.exit_code == 0 and "1 skipped" in result.output and "sidecar" in result.output
