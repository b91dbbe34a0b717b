"""``artstyle.paint.pipeline()``: results of whole paintings at tiny sizes with seeded random weights."""

from __future__ import annotations

import json

import pytest

from artstyle.corpus import catalog
from artstyle.core.color import lab_stats, rgb_to_yiq
from artstyle.errors import UsageError
from artstyle.core.features import DEFAULT_STYLE_LAYERS, load_feature_net
from artstyle.files import load_image, sha256_file
from artstyle.paint import PaintOptions, paint
from artstyle.paint.provenance import read_png_record
from artstyle.settings import Settings
from artstyle.core.images import image_to_tensor
from artstyle.style.targets import compute_style_targets
from support.paths import PAINTINGS
from support.corpus import register_paintings

pytestmark = pytest.mark.skipif(not PAINTINGS.is_dir(), reason=f"shared paintings not found at {PAINTINGS}")
PHOTO = PAINTINGS / "photos" / "tubingen.jpg"
STARRY = PAINTINGS / "vincent-van-gogh" / "the-starry-night-1889.jpg"
SCREAM = PAINTINGS / "edvard-munch" / "the-scream-1893.jpg"
TINY = dict(size=64, iterations=6)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    home = tmp_path_factory.mktemp("paint-home")
    register_paintings(home, PAINTINGS)
    return Settings.build(home=home, device="cpu", weights="random", quiet=True)


def _tensor(image):
    return image_to_tensor(image)  # [1,3,h,w]


def _style_distance(image, style_path) -> float:
    """Σ over style layers of the relative Gram distance between an image and a style image."""
    net = load_feature_net("random", DEFAULT_STYLE_LAYERS)
    mine = compute_style_targets(net, _tensor(image), DEFAULT_STYLE_LAYERS)[0]
    theirs = compute_style_targets(net, image_to_tensor(load_image(style_path), 64), DEFAULT_STYLE_LAYERS)[0]
    return sum(float((mine[k] - theirs[k]).pow(2).sum() / theirs[k].pow(2).sum()) for k in mine)


def test_same_seed_same_pixels_and_style_loss_falls(settings):
    first = paint(PHOTO, like="picasso", settings=settings, seed=5, **TINY)
    second = paint(PHOTO, like="pablo-picasso", settings=settings, seed=5, **TINY)
    assert first.image.tobytes() == second.image.tobytes()
    assert first.provenance["works"] == second.provenance["works"]
    assert first.provenance["loss"]["style_ratio"] > 3
    assert first.image.size == (64, 48)  # longest side = size, aspect kept


def test_seed_changes_noise_start(settings):
    a = paint(PHOTO, style_images=[STARRY], settings=settings, seed=1, init="noise", size=64, iterations=2)
    b = paint(PHOTO, style_images=[STARRY], settings=settings, seed=2, init="noise", size=64, iterations=2)
    assert a.image.tobytes() != b.image.tobytes()


def test_colour_modes_by_their_effect(settings):
    content = image_to_tensor(load_image(PHOTO), 64)
    style = image_to_tensor(load_image(STARRY), 64)
    out = {mode: _tensor(paint(PHOTO, style_images=[STARRY], settings=settings, seed=0, color=mode, **TINY).image)
           for mode in ("none", "reinhard", "luminance")}

    def mean_gap(image, reference):
        return float((lab_stats(image) - lab_stats(reference))[:, 0].abs().sum())

    # none drifts toward the work's palette; reinhard keeps the photo's colour statistics
    assert mean_gap(out["none"], style) < mean_gap(out["reinhard"], style)
    assert mean_gap(out["reinhard"], content) < 0.5 * mean_gap(out["none"], content)
    # luminance keeps the photo's chroma (I and Q of YIQ) exactly, up to 8-bit rounding and gamut clipping
    chroma_gap = (rgb_to_yiq(out["luminance"])[:, 1:] - rgb_to_yiq(content)[:, 1:]).abs()
    assert float(chroma_gap.mean()) < 0.005
    assert float((rgb_to_yiq(out["none"])[:, 1:] - rgb_to_yiq(content)[:, 1:]).abs().mean()) > 0.015  # 3x the luminance bound


@pytest.mark.slow
def test_explicit_style_weights_pull_toward_the_heavier_image(settings):
    near = {}
    for weights in ("9,1", "1,9"):
        result = paint(PHOTO, style_images=[STARRY, SCREAM], style_weights=weights, settings=settings, seed=0, color="none", **TINY)
        near[weights] = (_style_distance(result.image, STARRY), _style_distance(result.image, SCREAM))
        assert [w["weight"] for w in result.provenance["works"]] == pytest.approx([0.9, 0.1] if weights == "9,1" else [0.1, 0.9])
    assert near["9,1"][0] < near["9,1"][1]
    assert near["1,9"][1] < near["1,9"][0]


def test_blend_over_artists_records_weights_and_works(settings):
    result = paint(PHOTO, blend="pablo-picasso=0.7,vincent-van-gogh=0.3", settings=settings, seed=3, size=64, iterations=3)
    works = result.provenance["works"]
    assert [w["artist"] for w in works] == ["pablo-picasso", "vincent-van-gogh"]
    assert [w["weight"] for w in works] == pytest.approx([0.7, 0.3])
    db = catalog.open_catalog(settings.catalog_path)
    assert all(db["works"].get(w["id"])["sha256"] == w["sha256"] for w in works)


@pytest.mark.slow
def test_both_optimisers_lower_the_style_loss_and_differ(settings):
    results = {opt: paint(PHOTO, style_images=[STARRY], settings=settings, seed=0, optimizer=opt, **TINY) for opt in ("lbfgs", "adam")}
    for result in results.values():
        assert result.provenance["loss"]["style_ratio"] > 2
    assert results["lbfgs"].image.tobytes() != results["adam"].image.tobytes()
    assert results["adam"].provenance["params"]["optimizer"] == "adam"


@pytest.mark.slow
def test_output_provenance_everywhere(settings, tmp_path):
    output = tmp_path / "out.png"
    result = paint(PHOTO, like="picasso", settings=settings, seed=4, output=output, size=64, iterations=4, save_every=2)
    sidecar = json.loads((tmp_path / "out.png.json").read_text())
    assert read_png_record(output) == sidecar
    for record in (sidecar, read_png_record(output)):
        assert record["seed"] == 4 and record["random_weights"] is True
        assert record["weights"]["identity"].startswith("random:seed0:")
        assert record["content"]["sha256"] == sha256_file(PHOTO)
        assert record["works"][0]["sha256"] and record["works"][0]["artist"] == "pablo-picasso"
        assert record["params"]["size"] == 64 and record["params"]["iterations"] == 4
        assert {"torch", "torchvision", "artstyle"} <= set(record["versions"])
        assert record["loss"]["iterations"] == 4 and record["timings"]["optimize"] > 0
    run = catalog.open_catalog(settings.catalog_path)["runs"].get(result.provenance["run_id"])
    assert run["output_path"] == str(output) and run["seed"] == 4 and run["weights"] == sidecar["weights"]["identity"]
    assert json.loads(run["provenance"])["works"] == sidecar["works"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.iter0002.png", "out.iter0004.png", "out.png", "out.png.json"]


def test_never_overwrites_without_force(settings, tmp_path):
    output = tmp_path / "out.jpg"
    output.write_bytes(b"precious")
    with pytest.raises(UsageError, match="already exists"):
        paint(PHOTO, style_images=[STARRY], settings=settings, output=output, size=64, iterations=1)
    assert output.read_bytes() == b"precious"
    paint(PHOTO, style_images=[STARRY], settings=settings, output=output, force=True, size=64, iterations=1)
    assert load_image(output).size == (64, 48)


def test_seed_is_drawn_and_recorded_when_not_given(settings):
    result = paint(PHOTO, style_images=[STARRY], settings=settings, size=32, iterations=1)
    assert isinstance(result.provenance["seed"], int)


def test_options_validate_once():
    with pytest.raises(UsageError, match="--size must be at least 1 pixel, not 0"):
        PaintOptions(size=0)
    with pytest.raises(UsageError, match="--iterations must be 0 or more, not -1"):
        PaintOptions(iterations=-1)
    with pytest.raises(UsageError, match="--style-weight must be a finite number >= 0, not nan"):
        PaintOptions(style_weight=float("nan"))
    with pytest.raises(UsageError, match="unknown color 'sepia'"):
        PaintOptions(color="sepia")
    with pytest.raises(UsageError, match="--tolerance must be a non-negative number, not -1"):
        PaintOptions(tolerance=-1)
    with pytest.raises(UsageError, match="unknown paint option"):
        paint(PHOTO, style_images=[STARRY], colour="none")
    assert PaintOptions().iterations == 300 and PaintOptions().optimizer.value == "lbfgs"


def test_target_provider_hook_is_used_for_every_work(settings):
    from artstyle.style.provider import UncachedTargets

    seen = []

    class Provider(UncachedTargets):  # what the style cache plugs in
        def __call__(self, pick, config, stats, net):
            seen.append((pick.work_id, config.effective_size, config.weights_identity == net.weights_identity))
            return super().__call__(pick, config, stats, net)

    paint(PHOTO, style_images=[STARRY, SCREAM], settings=settings, targets=Provider(), size=64, style_scale=0.5, iterations=1)
    assert seen == [("file:the-starry-night-1889.jpg", 32, True), ("file:the-scream-1893.jpg", 32, True)]


def test_too_small_an_image_is_a_usage_error(settings):
    with pytest.raises(UsageError, match=r"an image of \d+x\d+ px is too small for layer relu5_1: its sides must be at least 16 px"):
        paint(PHOTO, style_images=[STARRY], settings=settings, size=16, iterations=1)
