"""Atomic writes, hashing and image loading."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from artstyle.errors import InputError, StorageError
from artstyle.files import atomic_write, atomic_write_bytes, load_image, save_image, sha256_file


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write(b"half")
            raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]  # no temp file left behind


def test_atomic_write_into_unwritable_place_is_a_storage_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")  # a file where a folder should be: fails even for root
    with pytest.raises(StorageError, match="cannot write"):
        atomic_write_bytes(blocker / "x", b"data")


def test_sha256_file_matches_hashlib(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc" * 100_000)
    assert sha256_file(path) == hashlib.sha256(b"abc" * 100_000).hexdigest()


def test_load_image_flattens_alpha_and_applies_exif_orientation(tmp_path):
    rgba = Image.new("RGBA", (4, 2), (255, 0, 0, 0))
    rgba.save(tmp_path / "a.png")
    assert load_image(tmp_path / "a.png").getpixel((0, 0)) == (255, 255, 255)

    wide = Image.new("RGB", (6, 3), (0, 0, 255))
    exif = wide.getexif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    wide.save(tmp_path / "r.jpg", exif=exif)
    assert load_image(tmp_path / "r.jpg").size == (3, 6)


def test_load_image_errors_are_clear(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_image(tmp_path / "missing.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(InputError, match="not a readable image"):
        load_image(tmp_path / "bad.jpg")
    good = tmp_path / "good.jpg"
    Image.new("RGB", (64, 64), (10, 20, 30)).save(good, quality=95)
    (tmp_path / "trunc.jpg").write_bytes(good.read_bytes()[:200])
    with pytest.raises(InputError):
        load_image(tmp_path / "trunc.jpg")


def test_save_image_by_suffix(tmp_path):
    image = Image.new("RGB", (8, 8), (1, 2, 3))
    for suffix, fmt in ((".png", "PNG"), (".jpg", "JPEG"), (".webp", "WEBP")):
        save_image(image, tmp_path / f"o{suffix}")
        assert Image.open(tmp_path / f"o{suffix}").format == fmt
    with pytest.raises(InputError, match="unsupported output format"):
        save_image(image, tmp_path / "o.gifx")
