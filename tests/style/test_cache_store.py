"""Cache keys and entry files: canonical keys, exact round trips, packing, integrity checks."""

from __future__ import annotations

import pytest
import torch

from artstyle.core.color import ColorMode
from artstyle.core.features import Pooling
from artstyle.style.config import TargetConfig, aggregate_key
from artstyle.style.entries import CorruptEntry, StoreOptions, decode_entry, encode_entry
from support.cache import synthetic_targets

IMAGE = "ab" * 32
SPEC = TargetConfig(
    weights_identity="random-seed0-deadbeef", layers=("relu1_1", "relu2_1"),
    pooling=Pooling.avg, style_size=64, color=ColorMode.none, preprocess_version=1,
)
STATS = torch.tensor([[[0.25, 0.01, -0.02], [0.1, 0.05, 0.07]]])  # [1,2,3] lαβ mean and deviation


def key_of(config=SPEC, image=IMAGE, stats=None):
    return config.target_key(image, stats)


def test_key_is_stable_and_64_hex():
    assert key_of() == key_of(TargetConfig(**{**SPEC.__dict__}))
    assert len(key_of()) == 64 and int(key_of(), 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"image": "cd" * 32},
        {"weights_identity": "torchvision-1234"},
        {"layers": ("relu1_1",)},
        {"layers": ("relu2_1", "relu1_1")},
        {"pooling": Pooling.max},
        {"style_size": 65},
        {"style_scale": 1.25},
        {"color": ColorMode.reinhard, "stats": STATS},
        {"color": ColorMode.luminance, "stats": STATS[:, :, 0]},
        {"preprocess_version": 2},
    ],
)
def test_every_input_changes_the_key(change):
    change = dict(change)
    image, stats = change.pop("image", IMAGE), change.pop("stats", None)
    assert key_of(TargetConfig(**{**SPEC.__dict__, **change}), image, stats) != key_of()


def test_content_stats_are_keyed_exactly():
    stats = STATS[0].clone()
    nudged = stats.clone()
    nudged[0, 0] = torch.nextafter(stats[0, 0], torch.tensor(1.0))  # one ulp away
    reinhard = TargetConfig(**{**SPEC.__dict__, "color": ColorMode.reinhard})
    a = key_of(reinhard, stats=stats)
    b = key_of(reinhard, stats=nudged)
    assert a != b
    assert a == key_of(reinhard, stats=stats.clone())


@pytest.mark.parametrize("color", [ColorMode.none, ColorMode.reinhard_inverse, ColorMode.reinhard, ColorMode.luminance])
def test_own_palette_targets_ignore_the_content(color):
    """Only reinhard and luminance read the photo; every other mode shares the work's own entry."""
    config = TargetConfig(**{**SPEC.__dict__, "color": color})
    shared = color in (ColorMode.none, ColorMode.reinhard_inverse)
    assert (key_of(config, stats=STATS) == key_of(config)) is shared
    assert key_of(config) == key_of()


# The keys of existing caches: these were computed by the earlier ``TargetSpec`` (before the key moved into
# TargetConfig); a change here orphans every entry on disk.
GOLDEN = TargetConfig(layers=("relu1_1", "relu2_1"), style_size=64, style_scale=1.5,
                      weights_identity="random-seed0-deadbeef", pooling=Pooling.avg)


@pytest.mark.parametrize("color, stats, key", [
    (ColorMode.none, None, "f3ac5ae8ee18bba3029505c9199543c3a45c0c694ce20e8286d7f9c3e0d4e2c7"),
    (ColorMode.reinhard_inverse, STATS, "f3ac5ae8ee18bba3029505c9199543c3a45c0c694ce20e8286d7f9c3e0d4e2c7"),
    (ColorMode.reinhard, STATS, "62a9d54ee38f92c25150f7476df4f693ccd96b4130e93cd7180570bc963d32c1"),
    (ColorMode.luminance, STATS, "aaec4e27a77e7879a448c0549161664cddec4c6ae5388eb19ebe77e908bc492b"),
])
def test_keys_are_those_of_existing_caches(color, stats, key):
    assert TargetConfig(**{**GOLDEN.__dict__, "color": color}).target_key(IMAGE, stats) == key


def test_palette_key_is_that_of_existing_caches():
    assert GOLDEN.palette_key(IMAGE) == "912dcfddf54a648adb155650d18d9c97835e8d9cae29c1da2c36aba1b02f175d"
    assert GOLDEN.palette_key(IMAGE) != GOLDEN.target_key(IMAGE)


def test_aggregate_key_ignores_member_order_but_not_weights():
    assert aggregate_key(["a", "b"], [1.0, 2.0]) == aggregate_key(["b", "a"], [2.0, 1.0])
    assert aggregate_key(["a", "b"], [1.0, 2.0]) != aggregate_key(["a", "b"], [2.0, 1.0])


@pytest.mark.parametrize("triangle", [False, True])
def test_fp32_round_trip_is_bitwise(triangle):
    targets = synthetic_targets(1)
    data = encode_entry("k1", targets, StoreOptions(triangle=triangle))
    loaded = decode_entry(data, "k1")
    assert list(loaded) == list(targets)
    for layer in targets:
        assert torch.equal(loaded[layer], targets[layer])


def test_triangle_packing_halves_the_payload():
    targets = synthetic_targets(1, channels=(64, 128))
    full = len(encode_entry("k", targets, StoreOptions()))
    packed = len(encode_entry("k", targets, StoreOptions(triangle=True)))
    payload = sum(c * c * 4 for c in (64, 128))
    assert full > payload
    assert packed < full - 0.45 * payload


def test_asymmetric_gram_is_stored_full_so_values_never_change():
    targets = {"relu1_1": torch.arange(16, dtype=torch.float32).reshape(4, 4)}
    loaded = decode_entry(encode_entry("k", targets, StoreOptions(triangle=True)), "k")
    assert torch.equal(loaded["relu1_1"], targets["relu1_1"])


def test_fp16_entries_are_half_size_and_close():
    targets = synthetic_targets(2, channels=(64, 128))
    full = encode_entry("k", targets, StoreOptions())
    half = encode_entry("k", targets, StoreOptions(fp16=True))
    assert len(half) < 0.55 * len(full)
    loaded = decode_entry(half, "k")
    for layer in targets:
        assert loaded[layer].dtype == torch.float32
        torch.testing.assert_close(loaded[layer], targets[layer], rtol=1e-3, atol=1e-3)
        assert not torch.equal(loaded[layer], targets[layer])


def test_wrong_key_truncation_and_bit_flips_are_corrupt():
    data = encode_entry("k1", synthetic_targets(3), StoreOptions())
    with pytest.raises(CorruptEntry, match="another key"):
        decode_entry(data, "k2")
    for cut in (0, 5, 100, len(data) // 2, len(data) - 1):
        with pytest.raises(CorruptEntry):
            decode_entry(data[:cut], "k1")
    flipped = bytearray(data)
    flipped[-10] ^= 0xFF  # inside the last tensor's bytes
    with pytest.raises(CorruptEntry, match="checksum"):
        decode_entry(bytes(flipped), "k1")
    with pytest.raises(CorruptEntry):
        decode_entry(b"\x00" * 64, "k1")
