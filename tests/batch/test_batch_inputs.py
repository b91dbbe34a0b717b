"""Inputs expand to a sorted list of photos; photos × requests × repeats become stable jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from artstyle.batch.plan import (
    StyleRequest,
    batch_id,
    expand_inputs,
    hash_photos,
    job_seed,
    plan_jobs,
    style_requests,
)
from artstyle.errors import InputError, UsageError


def _image(path: Path, colour=(200, 10, 10)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 6), colour).save(path)
    return path


@pytest.fixture
def photos(tmp_path) -> Path:
    root = tmp_path / "photos"
    _image(root / "b.jpg", (1, 2, 3))
    _image(root / "a.png", (4, 5, 6))
    _image(root / "trip" / "c.JPG", (7, 8, 9))
    (root / "notes.txt").write_text("not an image")
    _image(root / ".hidden.png")
    return root


def test_a_folder_is_searched_recursively_and_sorted(photos):
    found = expand_inputs([photos])
    assert [p.relative_to(photos.resolve()).as_posix() for p in found] == ["a.png", "b.jpg", "trip/c.JPG"]


def test_a_glob_and_an_image_overlap_without_repeats(photos):
    found = expand_inputs([str(photos / "*.jpg"), photos / "b.jpg", str(photos / "**" / "*.JPG")])
    assert [p.name for p in found] == ["b.jpg", "c.JPG"]


def test_a_list_file_is_relative_to_its_folder(photos, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("# holiday\nphotos/trip/c.JPG\n\nphotos/a.png\n")
    assert [p.name for p in expand_inputs([listing])] == ["a.png", "c.JPG"]


def test_a_list_file_entry_that_is_not_an_image_is_named(photos, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("photos/a.png\nphotos/missing.jpg\n")
    with pytest.raises(InputError) as error:
        expand_inputs([listing])
    assert error.value.message == f"{listing}: entry 2 (photos/missing.jpg) is not an image file"


@pytest.mark.parametrize("make, message", [
    (lambda t: (t / "empty").mkdir() or t / "empty", "no images found in {}"),
    (lambda t: str(t / "*.gif"), "no images match {!r}"),
    (lambda t: t / "nope", "{} does not exist"),
])
def test_nothing_found_is_a_clear_error(tmp_path, make, message):
    spec = make(tmp_path)
    with pytest.raises(InputError) as error:
        expand_inputs([spec])
    assert error.value.message == message.format(spec)
    assert error.value.exit_code == 2


def test_no_inputs_and_no_styles_are_usage_errors():
    with pytest.raises(UsageError, match="no inputs given"):
        expand_inputs([])
    with pytest.raises(UsageError, match="no style given"):
        style_requests()


def test_requests_keep_kinds_and_check_style_images(tmp_path):
    style = _image(tmp_path / "style.png")
    requests = style_requests(like=["picasso", "munch"], blend=["a=0.5,b=0.5"], work=["w1"], image=[style])
    assert [(r.kind, r.label) for r in requests] == [
        ("like", "picasso"), ("like", "munch"), ("blend", "a=0.5,b=0.5"), ("work", "w1"), ("image", "style.png")]
    with pytest.raises(InputError, match="style image .*missing.png does not exist"):
        style_requests(image=[tmp_path / "missing.png"])


def test_identical_photos_are_painted_once(tmp_path):
    a = _image(tmp_path / "a.png", (1, 1, 1))
    b = _image(tmp_path / "b.png", (1, 1, 1))
    c = _image(tmp_path / "c.png", (2, 2, 2))
    assert [p.path.name for p in hash_photos([a, b, c])] == ["a.png", "c.png"]


def test_jobs_cross_photos_requests_and_repeats_deterministically(photos, tmp_path):
    found = hash_photos(expand_inputs([photos]))
    requests = style_requests(like=["picasso", "munch"])
    batch = batch_id(tmp_path / "out", {"seed": 1}, found)
    jobs = plan_jobs(batch, found, requests, per_photo=2, base_seed=1)
    assert len(jobs) == 3 * 2 * 2
    assert [(j.input_path.name, j.request.value, j.repeat) for j in jobs[:4]] == [
        ("a.png", "picasso", 0), ("a.png", "picasso", 1), ("a.png", "munch", 0), ("a.png", "munch", 1)]
    assert len({j.id for j in jobs}) == len(jobs) and len({j.seed for j in jobs}) == len(jobs)
    again = plan_jobs(batch_id(tmp_path / "out", {"seed": 1}, found), found, requests, 2, 1)
    assert [(j.id, j.seed) for j in again] == [(j.id, j.seed) for j in jobs]
    assert [j.position for j in jobs] == list(range(12))


def test_ids_and_seeds_change_with_what_they_depend_on(photos, tmp_path):
    found = hash_photos(expand_inputs([photos]))
    request = StyleRequest("like", "picasso")
    one = batch_id(tmp_path / "out", {"seed": 1}, found)
    assert batch_id(tmp_path / "other", {"seed": 1}, found) != one
    assert batch_id(tmp_path / "out", {"seed": 2}, found) != one
    assert batch_id(tmp_path / "out", {"seed": 1}, found[:2]) != one
    seed = job_seed(1, found[0].sha256, request, 0)
    assert seed != job_seed(2, found[0].sha256, request, 0)
    assert seed != job_seed(1, found[0].sha256, request, 1)
    # a photo's seed does not depend on the rest of the batch
    assert plan_jobs(one, found[:1], [request], 1, 1)[0].seed == plan_jobs("other", found, [request], 1, 1)[0].seed == seed


def test_per_photo_must_be_positive(photos):
    with pytest.raises(UsageError, match="--per-photo must be at least 1, not 0"):
        plan_jobs("b", hash_photos(expand_inputs([photos])), [StyleRequest("like", "x")], 0, 1)
