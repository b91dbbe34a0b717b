"""Contact sheets, loss curves and the static gallery, checked on disk and in headless chromium."""

from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from artstyle.batch.gallery import CELL, LABEL_H, Entry, Work, contact_sheet, loss_curve, write_gallery
from support.batch import browser_images, local_targets, missing_targets


@pytest.fixture
def entries(paintings, tmp_path) -> list[Entry]:
    out = tmp_path / "out with space"
    out.mkdir()
    photo = paintings / "photos" / "tubingen.jpg"
    result = out / "tubingen-1.png"
    Image.open(photo).convert("RGB").resize((64, 48)).save(result)
    starry = Work("w1", "The Starry Night", "vincent-van-gogh", "https://www.wikiart.org/en/vincent-van-gogh/the-starry-night-1889",
                  paintings / "vincent-van-gogh" / "the-starry-night-1889.jpg", 0.5)
    scream = Work("w2", None, "edvard-munch", None, paintings / "edvard-munch" / "the-scream-1893.jpg", 0.5)
    return [
        Entry("job1", photo, "blend starry+scream", 11, "done", result, works=[starry, scream], losses=[1e4, 3e3, 9e2, 5e2]),
        Entry("job2", paintings / "photos" / "golden-gate.jpg", "like nobody", 12, "failed",
              reason="NotFoundError: no artist 'nobody' in the catalog"),
    ]


def test_a_loss_curve_falls_from_top_left_to_bottom_right():
    pixels = np.asarray(loss_curve([1e4, 1e3, 1e2, 1e1], size=(100, 60)))
    red = np.argwhere((pixels[..., 0] > 150) & (pixels[..., 1] < 120))  # the curve's colour
    left, right = red[red[:, 1] < 20], red[red[:, 1] > 80]
    assert left[:, 0].mean() < right[:, 0].mean()  # rows grow downward: the loss falls


def test_a_missing_trace_says_so():
    pixels = np.asarray(loss_curve([], size=(100, 60)))
    assert not ((pixels[..., 0] > 150) & (pixels[..., 1] < 120)).any() and (pixels < 200).any()


def test_the_contact_sheet_has_a_row_per_job_and_a_column_per_image(entries):
    sheet = contact_sheet(entries)
    top = sheet.height - 2 * (CELL + LABEL_H)  # under the title band and the column names
    assert sheet.width == (2 + 2) * CELL and 40 < top < 140
    pixels = np.asarray(sheet).astype(int)
    result_cell = pixels[top:top + CELL, 3 * CELL:]
    assert result_cell.std() > 10  # the painting is there
    failed_cell = pixels[top + CELL + LABEL_H + 10: top + 2 * CELL + LABEL_H - 10, 3 * CELL + 10: 4 * CELL - 10]
    assert (failed_cell > 200).mean() > 0.8  # a failed job has a frame with its reason, not an image


def test_the_gallery_links_resolve_and_name_works_failures_and_parameters(entries):
    out = entries[0].output.parent
    index = write_gallery(out, "holiday", {"size": 64, "seed": 7}, entries)
    text = index.read_text()
    assert missing_targets(index) == []
    targets = local_targets(index)
    assert all(not t.startswith("/") for t in targets)
    assert "tubingen-1.png" in targets and "contact_sheet.png" in targets
    assert '<a href="https://www.wikiart.org/en/vincent-van-gogh/the-starry-night-1889" rel="noopener">The Starry Night' in text
    assert "NotFoundError: no artist &#x27;nobody&#x27; in the catalog" in text
    assert "<tr><th>size</th><td>64</td></tr>" in text and "1 of 2 paintings done" in text


def test_every_gallery_image_loads_in_headless_chromium(entries):
    index = write_gallery(entries[0].output.parent, "holiday", {}, entries)
    images = browser_images(index)
    assert len(images) == 2 * (2 + 2)  # grid card and full-size view: painting, photo, 2 works
    assert [src for src, loaded in images if not loaded] == []


def test_the_browser_check_sees_a_missing_image(entries):
    index = write_gallery(entries[0].output.parent, "holiday", {}, entries)
    (index.parent / "thumbs" / "large-job1.jpg").unlink()
    assert missing_targets(index) == ["thumbs/large-job1.jpg"]
    assert [src for src, loaded in browser_images(index) if not loaded] == ["thumbs/large-job1.jpg"]


def test_a_redone_result_gets_a_fresh_thumbnail(entries):
    out = entries[0].output.parent
    write_gallery(out, "holiday", {}, entries)
    thumb = out / "thumbs" / "large-job1.jpg"
    assert np.asarray(Image.open(thumb)).mean() > 30
    Image.new("RGB", (64, 48), (0, 0, 0)).save(entries[0].output)  # the job was painted again
    write_gallery(out, "holiday", {}, entries)
    assert np.asarray(Image.open(thumb)).max() < 10
