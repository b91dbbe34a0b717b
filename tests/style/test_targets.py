"""Style targets: preprocessing by config and Grams computed per image."""

from __future__ import annotations

import torch

from artstyle.core.color import ColorMode, lab_stats, luminance_stats
from artstyle.core.features import load_feature_net
from artstyle.core.losses import gram_matrix
from artstyle.style.config import TargetConfig
from artstyle.core.images import image_to_tensor, tensor_to_image
from artstyle.style.targets import color_stats, compute_style_targets, prepare_style

LAYERS = ("relu1_1", "relu3_1")


def _image(w=80, h=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tensor_to_image(torch.rand(1, 3, h, w, generator=g))


def test_image_tensor_round_trip_and_resize():
    image = _image()
    tensor = image_to_tensor(image)
    assert tensor.shape == (1, 3, 40, 80) and tensor.dtype == torch.float32
    assert tensor_to_image(tensor).tobytes() == image.tobytes()
    assert image_to_tensor(image, 20).shape == (1, 3, 10, 20)


def test_style_is_resized_to_size_times_scale():
    config = TargetConfig(layers=LAYERS, style_size=64, style_scale=0.5, color=ColorMode.none)
    assert config.effective_size == 32
    assert prepare_style(_image(), config, None).shape == (1, 3, 16, 32)


def test_reinhard_and_luminance_preprocessing_use_content_statistics():
    content = image_to_tensor(_image(seed=1)) * 0.3 + 0.5
    config = TargetConfig(layers=LAYERS, style_size=40, color=ColorMode.reinhard)
    style = prepare_style(_image(seed=2), config, color_stats(content, config.color))
    torch.testing.assert_close(lab_stats(style)[:, 0], lab_stats(content)[:, 0], atol=0.02, rtol=0)
    lum = TargetConfig(layers=LAYERS, style_size=40, color=ColorMode.luminance)
    grey = prepare_style(_image(seed=2), lum, color_stats(content, lum.color))
    torch.testing.assert_close(grey[:, 0], grey[:, 1])
    torch.testing.assert_close(luminance_stats(grey), luminance_stats(content), atol=0.01, rtol=0)
    assert color_stats(content, ColorMode.none) is None


def test_compute_style_targets_gives_one_dict_of_grams_per_image():
    net = load_feature_net("random", LAYERS)
    style = torch.rand(2, 3, 32, 32)
    targets = compute_style_targets(net, style, LAYERS)
    assert len(targets) == 2 and set(targets[0]) == set(LAYERS)
    assert targets[0]["relu3_1"].shape == (256, 256)
    torch.testing.assert_close(targets[1]["relu1_1"], gram_matrix(net(style[1:])["relu1_1"])[0], rtol=1e-4, atol=1e-5)


def test_config_as_dict_is_plain():
    data = TargetConfig(weights_identity="random:seed0:x", color=ColorMode.reinhard).as_dict()
    assert data["pooling"] == "max" and data["color"] == "reinhard" and data["layers"][0] == "relu1_1"
    assert data["effective_size"] == 512 and data["preprocess_version"] == 1
