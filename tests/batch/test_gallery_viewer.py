"""The gallery as a viewer and the contact sheets (issue 15, items 11 and 12; issue 14, item 4):
escaped text, only http(s) links, filters, provenance, paged and labelled sheets, an unreadable photo,
and a headless-chromium check that every image loads and no console error is raised."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

from artstyle.batch import sheets
from artstyle.batch.gallery import Entry, Work, contact_sheets, write_gallery
from support.batch import CHROMIUM
from conftest import PAINTINGS

pytestmark = pytest.mark.skipif(not PAINTINGS.is_dir(), reason="no shared paintings")

RECORD = {"random_weights": True, "device": "cpu", "seed": 5, "stopped_early": False, "loss": {"iterations": 4},
          "params": {"size": 64, "iterations": 300, "style_layers": ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]},
          "timings": {"total": 12.5}}


def _painted(out, name):
    result = out / name
    Image.open(PAINTINGS / "photos" / "tubingen.jpg").convert("RGB").resize((64, 48)).save(result)
    return result


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def entries(out):
    starry = Work("w1", "The Starry Night", "vincent-van-gogh", "https://www.wikiart.org/en/vincent-van-gogh/the-starry-night-1889",
                  PAINTINGS / "vincent-van-gogh" / "the-starry-night-1889.jpg")
    evil = Work("w2", "<script>alert(1)</script>", "pablo-picasso", "javascript:alert(document.cookie)",
                PAINTINGS / "pablo-picasso" / "seated-nude-1910.jpg")
    return [
        Entry("job1", PAINTINGS / "photos" / "tubingen.jpg", "like vincent-van-gogh", 11, "done", _painted(out, "a.png"),
              works=[starry], losses=[1e3, 4e2, 9e1, 5e1], provenance=RECORD),
        Entry("job2", PAINTINGS / "photos" / "golden-gate.jpg", "like pablo-picasso", 12, "done", _painted(out, "b.png"),
              works=[evil], losses=[2e3, 1e2], provenance=RECORD),
        Entry("job3", PAINTINGS / "photos" / "golden-gate.jpg", "like nobody", 13, "failed",
              reason="NotFoundError: no artist 'nobody' <b>in</b> the catalog"),
    ]


def test_only_http_links_become_links_and_every_text_is_escaped(out, entries):
    text = write_gallery(out, "holiday <i>2024</i>", {"size": 64}, entries).read_text()
    assert 'href="javascript:' not in text and "javascript:alert(document.cookie)" in text  # shown as text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<i>2024</i>" not in text and "<b>in</b>" not in text
    assert 'href="https://www.wikiart.org/en/vincent-van-gogh/the-starry-night-1889"' in text


def test_the_page_shows_results_first_with_filters_failures_provenance_and_the_random_note(out, entries):
    text = write_gallery(out, "holiday", {"size": 64, "weights": "random"}, entries).read_text()
    assert text.index('class="grid"') < text.index('id="failures"') < text.index("Batch parameters")
    assert 'id="f-artist"' in text and '<option value="vincent-van-gogh">Vincent Van Gogh</option>' in text
    assert '<option value="golden-gate.jpg">golden-gate.jpg</option>' in text
    assert "Failures (1)" in text and "no artist &#x27;nobody&#x27;" in text
    assert "random VGG-19 weights" in text
    viewer = text[text.index('id="v-job1"'):text.index('id="v-job2"')]
    assert "<th>size</th><td>64</td>" in viewer and "<th>iterations</th>" not in viewer  # only what differs from the defaults
    assert "<th>seed</th><td>11</td>" in viewer and "12.5 s" in viewer
    assert '<svg class="chart"' in viewer and ">iteration</text>" in viewer and ">loss (log)</text>" in viewer
    assert ">1e1</text>" in viewer and ">1e3</text>" in viewer  # the log axis is labelled in decades
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', text.replace("https://www.wikiart.org", "")))


def test_contact_sheets_are_paged_and_name_artist_and_work_in_every_cell(out, entries, monkeypatch):
    seen = []
    original = sheets.labelled_cell
    monkeypatch.setattr(sheets, "labelled_cell", lambda image, lines, *a, **k: seen.append(list(lines)) or original(image, lines, *a, **k))
    many = [entries[0]] * 13
    pages = contact_sheets(many, title="t", varies="13 paintings", fixed="size 64", random_weights=False)
    assert len(pages) == 3 and all(page.height < 1600 for page in pages)
    assert seen.count(["Vincent Van Gogh", "The Starry Night"]) == 13  # the work's cell
    assert seen.count(["Vincent Van Gogh", "The Starry Night · seed 11"]) == 13  # the painting's cell


def test_the_title_band_says_when_random_weights_were_used():
    def red(image):
        pixels = np.asarray(image).astype(int)
        return ((pixels[..., 0] > 140) & (pixels[..., 1] < 80)).sum()

    assert red(sheets.title_band(600, "t", "photos", "size 64", True)) > 50
    assert red(sheets.title_band(600, "t", "photos", "size 64", False)) == 0


def test_a_long_batch_writes_several_sheet_pages(out, entries):
    write_gallery(out, "holiday", {}, [entries[0]] * 7 + [entries[2]] * 7)
    assert (out / "contact_sheet.png").is_file() and (out / "sheets" / "contact_sheet-3.png").is_file()
    assert not (out / "sheets" / "contact_sheet-4.png").exists()


def test_an_unreadable_photo_shows_its_reason_instead_of_failing_the_sheet(out, entries):
    broken = out / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    entries[0].content = broken
    index = write_gallery(out, "holiday", {}, entries)
    assert index.is_file() and (out / "contact_sheet.png").is_file()
    assert "image unavailable" in index.read_text()


PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e.type)); }, true);
(function () { var original = console.error;
  console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, ' ')); original.apply(console, arguments); }; })();
window.addEventListener('load', function () {
  var images = Array.prototype.map.call(document.images, function (i) { return [i.getAttribute('src'), i.complete && i.naturalWidth > 0]; });
  var artist = document.getElementById('f-artist');
  artist.value = 'pablo-picasso'; artist.dispatchEvent(new Event('change'));
  var shown = Array.prototype.filter.call(document.querySelectorAll('.card'), function (c) { return !c.hidden; }).length;
  document.documentElement.setAttribute('data-probe', JSON.stringify({images: images, errors: window.__errors, shown: shown,
    count: document.getElementById('f-count').textContent}));
});
</script>"""


def _in_chromium(index):
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}; `.ci/run` installs it (apt-get install chromium)")
    probe = index.with_name(".probe-" + index.name)
    probe.write_text(index.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--allow-file-access-from-files",
                 "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0", "--dump-dom", probe.resolve().as_uri()],
                capture_output=True, text=True, timeout=120,
            )
    finally:
        probe.unlink()
    match = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert match, f"the probe did not run; chromium said: {result.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&")), result.stderr


def test_in_chromium_every_image_loads_no_console_error_and_the_filter_works(out, entries):
    index = write_gallery(out, "holiday", {"weights": "random"}, entries)
    seen, log = _in_chromium(index)
    assert seen["images"] and [src for src, loaded in seen["images"] if not loaded] == []
    assert seen["errors"] == []
    assert "Uncaught" not in log
    assert seen["shown"] == 1 and seen["count"] == "1 of 2 shown"
