"""Speed paths (artstyle.core.speed): each changes what it claims and keeps the loss close; bad options exit 2."""

from __future__ import annotations

import re

import logging

import numpy as np
import pytest
import torch
from PIL import Image

from artstyle.errors import UsageError
from artstyle.core.features import load_feature_net
from artstyle.core.losses import build_objective
from artstyle.paint import PaintOptions, paint
from artstyle.core.speed import FastNet, Precision, bf16_supported, check_scales, fast_net, split_iterations, upsample
from artstyle.style.targets import compute_style_targets

LAYERS = ("relu1_1", "relu2_1", "relu3_1")
CONTENT = ("relu2_2",)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _images(tmp_path):
    rng = np.random.default_rng(0)
    photo = tmp_path / "photo.png"
    style = tmp_path / "style.png"
    Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(photo)
    yy, xx = np.mgrid[0:64, 0:64]
    stripes = np.stack([(np.sin(xx / 3) > 0) * 255, (np.sin(yy / 5) > 0) * 200, xx * 4 % 255], axis=-1)
    Image.fromarray(stripes.astype(np.uint8)).save(style)
    return photo, style


def _objective(net):
    """A tiny objective on a random 32x40 image against a random style, through ``net``."""
    base = load_feature_net("random", LAYERS + CONTENT)
    gen = torch.Generator().manual_seed(1)
    content = torch.rand(1, 3, 32, 40, generator=gen)
    style = torch.rand(1, 3, 32, 32, generator=gen)
    targets = compute_style_targets(base, style, LAYERS)
    with torch.no_grad():
        features = {k: v for k, v in base(content).items() if k in CONTENT}
    objective = build_objective(net(base), features, targets, [1.0], {layer: 1.0 for layer in LAYERS},
                                content_weight=0.05, style_weight=1.0, tv_weight=1.0)
    iterate = (content + 0.1 * torch.rand(1, 3, 32, 40, generator=gen)).clamp(0, 1).requires_grad_(True)
    return objective, iterate


def _loss_and_grad(net):
    objective, iterate = _objective(net)
    total, _ = objective(iterate)
    total.backward()
    return float(total.detach()), iterate.grad.clone()


def test_plain_settings_use_the_shared_network_itself():
    base = load_feature_net("random", LAYERS)
    assert fast_net(base, Precision.fp32, channels_last=True, compile=False) is base


def test_channels_first_runs_contiguous_and_gives_the_same_loss():
    base = load_feature_net("random", LAYERS)
    plain = FastNet(base, Precision.fp32, channels_last=False)
    assert plain.net is not base and base.memory_format == torch.channels_last  # the shared net is untouched
    assert plain.net.body[0].weight.is_contiguous() and not base.body[0].weight.is_contiguous()
    assert not plain(torch.rand(1, 3, 16, 16))["relu1_1"].is_contiguous(memory_format=torch.channels_last)
    loss_cl, grad_cl = _loss_and_grad(lambda n: n)
    loss_nchw, grad_nchw = _loss_and_grad(lambda n: FastNet(n, Precision.fp32, channels_last=False))
    assert loss_nchw == pytest.approx(loss_cl, rel=1e-5)
    assert torch.allclose(grad_nchw, grad_cl, rtol=1e-3, atol=1e-6)


@pytest.mark.skipif(not bf16_supported(torch.device("cpu")), reason="this CPU has no native bf16")
def test_bf16_network_keeps_features_fp32_and_the_loss_close():
    bf16 = FastNet(load_feature_net("random", LAYERS), Precision.bf16, channels_last=True)
    features = bf16(torch.rand(1, 3, 16, 16))
    assert all(f.dtype == torch.float32 for f in features.values())
    loss32, grad32 = _loss_and_grad(lambda n: n)
    loss16, grad16 = _loss_and_grad(lambda n: FastNet(n, Precision.bf16, channels_last=True))
    assert loss16 != loss32  # it really ran in lower precision
    assert loss16 == pytest.approx(loss32, rel=0.05)
    cosine = torch.nn.functional.cosine_similarity(grad16.flatten(), grad32.flatten(), dim=0)
    assert cosine > 0.95


def test_bf16_falls_back_to_fp32_with_a_note_where_unsupported(monkeypatch, caplog):
    import artstyle.core.speed as speed

    monkeypatch.setattr(speed, "bf16_supported", lambda device: False)
    base = load_feature_net("random", LAYERS)
    with caplog.at_level(logging.INFO, logger="artstyle.core.speed"):
        assert speed.fast_net(base, Precision.bf16, channels_last=True, compile=False) is base
    assert "bf16 is not supported on cpu: painting in fp32" in caplog.text


def test_compile_wraps_the_network():
    net = fast_net(load_feature_net("random", LAYERS), Precision.fp32, channels_last=True, compile=True)
    assert isinstance(net, torch._dynamo.eval_frame.OptimizedModule)


def test_scales_and_iteration_split():
    assert check_scales(["0.25", 0.5, 1]) == (0.25, 0.5, 1.0)
    assert split_iterations(100, (0.5, 1.0), 0.25) == [75, 25]
    assert split_iterations(10, (0.25, 0.5, 1.0), 0.3) == [4, 3, 3]
    assert split_iterations(7, (1.0,), 0.25) == [7]
    assert upsample(torch.rand(1, 3, 4, 5), 8, 10).shape == (1, 3, 8, 10)
    for bad in ((0.5,), (1.0, 0.5), (0.0, 1.0), (0.5, 0.5, 1.0), ()):
        with pytest.raises(UsageError, match="--scales must increase and end at 1"):
            check_scales(bad)


def test_paint_option_validation():
    with pytest.raises(UsageError, match="unknown precision 'fp16'"):
        PaintOptions(precision="fp16")
    with pytest.raises(UsageError, match="--fine-share must be in"):
        PaintOptions(scales=(0.5, 1), fine_share=0)
    options = PaintOptions(precision="bf16", scales=[0.5, 1])
    assert options.precision is Precision.bf16 and options.scales == (0.5, 1.0)
    assert options.as_dict()["precision"] == "bf16" and options.as_dict()["scales"] == [0.5, 1.0]


def _paint(settings, tmp_path, seed=3, **options):
    photo, style = _images(tmp_path)
    options = {"size": 32, "iterations": 8, "tolerance": 0, "style_layers": LAYERS, "content_layers": CONTENT, **options}
    return paint(photo, style_images=[style], settings=settings, seed=seed, **options)


def test_default_paint_is_bitwise_reproducible_on_the_cpu(settings, tmp_path):
    first, second = _paint(settings, tmp_path), _paint(settings, tmp_path)
    assert first.image.tobytes() == second.image.tobytes()
    assert first.provenance["loss"]["last"] == second.provenance["loss"]["last"]


def test_coarse_to_fine_paints_full_size_and_lowers_the_full_size_loss(settings, tmp_path):
    steps = []
    result = _paint(settings, tmp_path, scales=(0.5, 1.0), fine_share=0.25, callback=lambda s: steps.append(s))
    assert result.image.size == (32, 24)
    trace = result.provenance["loss"]
    assert trace["iterations"] == 8 and [s.iteration for s in steps] == list(range(1, 9))
    assert {s.iterations for s in steps} == {8}
    assert [tuple(s.image.shape[2:]) for s in steps] == [(12, 16)] * 6 + [(24, 32)] * 2
    assert result.provenance["params"]["scales"] == [0.5, 1.0]
    at_photo = _paint(settings, tmp_path, iterations=1).provenance["loss"]["first"]["loss"]  # full size, at the start
    assert trace["last"]["loss"] < 0.7 * at_photo
    assert trace["last"]["size"] == 32 and trace["first"]["size"] == 16


def test_bf16_and_channels_first_paint_end_to_end(settings, tmp_path):
    result = _paint(settings, tmp_path, precision="bf16", channels_last=False)
    assert result.image.size == (32, 24)
    assert result.provenance["params"]["precision"] == "bf16" and result.provenance["params"]["channels_last"] is False


def test_cli_rejects_bad_speed_options(cli, tmp_path):
    photo, style = _images(tmp_path)
    base = ["paint", str(photo), "--style-image", str(style), "--size", "32", "--iterations", "1"]
    result = cli(*base, "--scales", "1,0.5")
    assert result.exit_code == 2
    assert "error: --scales must increase and end at 1, not 1.0,0.5" in result.output
    assert "hint: give increasing fractions of --size ending at 1" in result.output
    result = cli(*base, "--scales", "half,1")
    assert result.exit_code == 2 and "error: malformed --scales" in result.output
    result = cli(*base, "--precision", "fp16")
    assert result.exit_code == 2
    result = cli(*base, "--scales", "0.5,1", "--fine-share", "1.5")
    assert result.exit_code == 2 and "error: --fine-share must be in (0, 1], not 1.5" in result.output


def test_cli_paints_coarse_to_fine_in_bf16(cli, tmp_path, home):
    photo, style = _images(tmp_path)
    out = tmp_path / "out.png"
    result = cli("--weights", "random", "--device", "cpu", "paint", str(photo), "--style-image", str(style), "--size", "32",
                 "--iterations", "4", "--scales", "0.5,1", "--precision", "bf16", "--no-channels-last", "-o", str(out),
                 "--style-layers", ",".join(LAYERS), "--content-layers", "relu2_2")
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (32, 24)


def test_batch_cli_takes_and_checks_the_speed_options(cli, tmp_path):
    photo, _ = _images(tmp_path)
    result = cli("batch", str(photo), "--like", "x", "--out", str(tmp_path / "out"), "--scales", "0.5")
    assert result.exit_code == 2 and "error: --scales must increase and end at 1, not 0.5" in result.output
    result = cli("batch", str(photo), "--like", "x", "--out", str(tmp_path / "out"), "--precision", "int8")
    assert result.exit_code == 2


def test_an_image_too_small_for_the_layers_is_a_usage_error(cli, tmp_path):
    photo, style = _images(tmp_path)
    result = cli("--weights", "random", "--device", "cpu", "paint", str(photo), "--style-image", str(style),
                 "--size", "12", "--iterations", "2", "-o", str(tmp_path / "o.png"))
    assert result.exit_code == 2
    assert re.search(r"error: an image of \d+x\d+ px is too small for layer relu5_1: its sides must be at least 16 px", result.output)
    assert not (tmp_path / "o.png").exists()


def test_a_coarse_scale_too_small_is_skipped_and_its_iterations_run_at_full_size(settings, tmp_path):
    steps = []
    result = _paint(settings, tmp_path, scales=(0.25, 0.5, 1.0), fine_share=0.5, callback=lambda s: steps.append(s),
                    style_layers=("relu1_1", "relu4_1"), content_layers=("relu4_1",))  # needs 8 px: 8x6 is too small
    assert result.image.size == (32, 24)
    assert [tuple(s.image.shape[2:]) for s in steps] == [(12, 16)] * 2 + [(24, 32)] * 6
