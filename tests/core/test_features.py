"""The VGG-19 feature net: layer naming, cutting, freezing, pooling and the three weight sources."""

from __future__ import annotations

import pytest
import torch
from torchvision.models.vgg import cfgs, make_layers

from artstyle.errors import UsageError, WeightsError
from artstyle.core.features import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_STYLE_LAYERS,
    LAYER_INDEX,
    Pooling,
    load_feature_net,
    state_dict_hash,
)

LAYERS = DEFAULT_STYLE_LAYERS + DEFAULT_CONTENT_LAYERS


def test_layer_indices_follow_torchvision_layout():
    assert LAYER_INDEX["relu1_1"] == 1
    assert LAYER_INDEX["relu4_2"] == 22
    assert LAYER_INDEX["relu5_1"] == 29
    assert LAYER_INDEX["pool5"] == 36
    ours = load_feature_net("random", ["pool5"]).body.state_dict()
    theirs = make_layers(cfgs["E"]).state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


def test_net_is_cut_after_deepest_layer_frozen_and_in_eval_mode():
    net = load_feature_net("random", LAYERS)
    assert len(net.body) == LAYER_INDEX["relu5_1"] + 1
    assert not any(p.requires_grad for p in net.parameters())
    assert not net.training
    shallow = load_feature_net("random", ["relu2_1"])
    assert len(shallow.body) == LAYER_INDEX["relu2_1"] + 1


def test_forward_returns_requested_layers_with_expected_shapes():
    net = load_feature_net("random", LAYERS)
    out = net(torch.rand(2, 3, 64, 48))
    assert set(out) == set(LAYERS)
    assert out["relu1_1"].shape == (2, 64, 64, 48)
    assert out["relu4_2"].shape == (2, 512, 8, 6)
    assert out["relu5_1"].shape == (2, 512, 4, 3)


def test_random_weights_are_deterministic_and_identified():
    net = load_feature_net("random", LAYERS)
    assert net.weights_identity.startswith("random:seed0:")
    assert net.random_weights
    assert load_feature_net("random", LAYERS) is net  # memoised per process
    torch.manual_seed(123)  # the global RNG does not change the weights
    from artstyle.core.features import random_state

    assert state_dict_hash(random_state()) == net.weights_identity.split(":")[-1]


def test_imagenet_normalisation_is_inside():
    net = load_feature_net("random", ["conv1_1"])
    image = torch.rand(1, 3, 8, 8)
    conv = net.body[0]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(net(image)["conv1_1"], conv((image - mean) / std))


def test_avg_pooling_swaps_every_pool():
    max_net = load_feature_net("random", ["relu5_1"], Pooling.max)
    avg_net = load_feature_net("random", ["relu5_1"], "avg")
    kinds = [type(m).__name__ for m in avg_net.body if "Pool" in type(m).__name__]
    assert kinds == ["AvgPool2d"] * 4
    image = torch.rand(1, 3, 32, 32)
    assert not torch.allclose(max_net(image)["relu5_1"], avg_net(image)["relu5_1"])
    assert avg_net.weights_identity == max_net.weights_identity  # same weights, other operator


def test_state_dict_file_loads_and_matches_random(tmp_path):
    net = load_feature_net("random", ["relu3_1"])
    from artstyle.core.features import random_state

    full = {f"features.{k}": v for k, v in random_state().items()}
    full["classifier.0.weight"] = torch.zeros(2, 2)  # a whole-model state dict is fine
    path = tmp_path / "vgg.pth"
    torch.save(full, path)
    loaded = load_feature_net(str(path), ["relu3_1"])
    assert loaded.weights_identity.startswith("file:vgg.pth:")
    assert loaded.weights_identity.split(":")[-1] == net.weights_identity.split(":")[-1]
    image = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(loaded(image)["relu3_1"], net(image)["relu3_1"])


def test_mismatched_state_dict_is_a_weights_error(tmp_path):
    from artstyle.core.features import random_state

    state = random_state()
    state["0.weight"] = torch.zeros(3, 3, 3, 3)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(WeightsError, match=r"is not a VGG-19 state dict \(wrong shape for 0.weight\)") as info:
        load_feature_net(str(path), ["relu1_1"])
    assert info.value.exit_code == 2


def test_unreadable_or_missing_weights_file(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot read weights file .*junk.pth"):
        load_feature_net(str(path), ["relu1_1"])
    with pytest.raises(WeightsError, match="does not exist"):
        load_feature_net(str(tmp_path / "absent.pth"), ["relu1_1"])


def test_torchvision_weights_offline_say_how_to_supply_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # empty hub cache; no internet here
    from artstyle.core import features

    features.forget_loaded_weights()
    try:
        net = load_feature_net("torchvision", ["relu1_1"])
    except WeightsError as exc:
        assert "could not get torchvision's VGG-19 ImageNet weights" in exc.message
        assert "--weights PATH" in exc.hint
    else:  # pragma: no cover - only on a connected machine
        assert net.weights_identity == "torchvision:IMAGENET1K_V1:dcbb9e9d"


def test_unknown_layer_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown VGG-19 layer"):
        load_feature_net("random", ["relu9_9"])


def _hub_with_checkpoint(tmp_path, monkeypatch) -> dict:
    """A torch hub cache holding a stand-in for torchvision's VGG-19 file (a full model's random
    state dict under its real name), so the torchvision path runs offline, as after a download."""
    from torchvision.models import vgg19

    from artstyle.core import features

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.manual_seed(0)
    full = vgg19().state_dict()
    torch.save(full, checkpoints / "vgg19-dcbb9e9d.pth")
    features.forget_loaded_weights()
    return {k[len("features."):]: v for k, v in full.items() if k.startswith("features.")}


def test_the_features_url_is_torchvisions():
    from torchvision.models import VGG19_Weights

    from artstyle.core.features import VGG19_URL

    assert VGG19_URL == VGG19_Weights.IMAGENET1K_V1.url


@pytest.mark.slow
def test_torchvision_weights_keep_a_features_only_copy_that_later_runs_load(tmp_path, monkeypatch):
    from artstyle.core import features

    expected = _hub_with_checkpoint(tmp_path, monkeypatch)
    first = load_feature_net("torchvision", ["relu1_1", "relu5_1"])
    copy = features.features_copy_path()
    assert copy.is_file() and copy.stat().st_size < 0.2 * (copy.parent / "vgg19-dcbb9e9d.pth").stat().st_size
    assert first.weights_identity == "torchvision:IMAGENET1K_V1:dcbb9e9d"

    features.forget_loaded_weights()
    monkeypatch.setattr("torchvision.models.VGG19_Weights", None)  # the copy must do without torchvision
    second = load_feature_net("torchvision", ["relu1_1", "relu5_1"])
    assert second.weights_identity == first.weights_identity
    loaded = second.body.state_dict()
    assert set(loaded) == {key for key in expected if int(key.split(".")[0]) <= LAYER_INDEX["relu5_1"]}
    for key, value in loaded.items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncate", "other-weights"])
def test_a_damaged_or_foreign_features_copy_is_rebuilt(tmp_path, monkeypatch, damage):
    from safetensors.torch import save_file

    from artstyle.core import features

    expected = _hub_with_checkpoint(tmp_path, monkeypatch)
    load_feature_net("torchvision", ["relu1_1"])
    copy = features.features_copy_path()
    if damage == "truncate":
        copy.write_bytes(copy.read_bytes()[:1000])
    else:  # a sound file, but of other weights under the right identity
        other = {k: torch.zeros_like(v) for k, v in expected.items()}
        save_file(other, str(copy), metadata={"identity": "torchvision:IMAGENET1K_V1:dcbb9e9d", "state_hash": "0" * 16})
    features.forget_loaded_weights()
    net = load_feature_net("torchvision", ["relu1_1"])
    torch.testing.assert_close(net.body.state_dict()["0.weight"], expected["0.weight"], rtol=0, atol=0)
    state, _ = features.load_state("torchvision", ())
    assert features.load_features_copy(copy, "torchvision:IMAGENET1K_V1:dcbb9e9d") is not None  # rewritten sound
    assert state_dict_hash(state) == state_dict_hash(expected)
