"""The cheap ``--weights`` check that runs before any work is drawn (issue 15, item 3)."""

from __future__ import annotations

import pytest
import torch

from artstyle.core.features import check_weights, features_copy_path, torchvision_file
from artstyle.errors import WeightsError


def test_random_is_always_here():
    assert check_weights("random") is True


def test_torchvision_is_here_only_once_downloaded(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    assert check_weights("torchvision") is False
    torchvision_file().parent.mkdir(parents=True)
    features_copy_path().write_bytes(b"x")
    assert check_weights("torchvision") is True


def test_an_existing_file_is_here(tmp_path):
    path = tmp_path / "vgg.pth"
    path.write_bytes(b"not read yet")
    assert check_weights(str(path)) is True


@pytest.mark.parametrize("value, message", [
    ("radnom", "unknown --weights value 'radnom'"),
    ("weights/vgg19.pth", "does not exist"),
    ("vgg19.pth", "does not exist"),
])
def test_a_bad_value_or_path_is_one_clear_error(value, message):
    with pytest.raises(WeightsError) as caught:
        check_weights(value)
    assert message in caught.value.message and caught.value.exit_code == 2


def test_a_folder_is_not_a_weights_file(tmp_path):
    with pytest.raises(WeightsError, match="is a folder"):
        check_weights(str(tmp_path))
