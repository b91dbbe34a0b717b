"""Cache keys and entry files: canonical keys, exact round trips, packing, integrity checks."""

from __future__ import annotations

import pytest
import torch

from artstyle.style.key import TargetSpec, aggregate_key, exact_stats
from artstyle.style.entries import CorruptEntry, StoreOptions, decode_entry, encode_entry
from cache_support import synthetic_targets

SPEC = TargetSpec(
    image_sha256="ab" * 32, weights_identity="random-seed0-deadbeef", layers=("relu1_1", "relu2_1"),
    pooling="avg", style_size=64, color="none", preprocess_version=1,
)


def test_key_is_stable_and_64_hex():
    assert SPEC.key == TargetSpec(**{**SPEC.__dict__}).key
    assert len(SPEC.key) == 64 and int(SPEC.key, 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"image_sha256": "cd" * 32},
        {"weights_identity": "torchvision-1234"},
        {"layers": ("relu1_1",)},
        {"layers": ("relu2_1", "relu1_1")},
        {"pooling": "max"},
        {"style_size": 65},
        {"color": "reinhard"},
        {"preprocess_version": 2},
        {"color_stats": exact_stats(torch.tensor([0.5, 0.1]))},
    ],
)
def test_every_input_changes_the_key(change):
    assert TargetSpec(**{**SPEC.__dict__, **change}).key != SPEC.key


def test_content_stats_are_keyed_exactly():
    stats = torch.tensor([[0.25, 0.01, -0.02], [0.1, 0.05, 0.07]])
    nudged = stats.clone()
    nudged[0, 0] = torch.nextafter(stats[0, 0], torch.tensor(1.0))  # one ulp away
    a = TargetSpec(**{**SPEC.__dict__, "color": "reinhard", "color_stats": exact_stats(stats)})
    b = TargetSpec(**{**SPEC.__dict__, "color": "reinhard", "color_stats": exact_stats(nudged)})
    assert a.key != b.key
    assert a.key == TargetSpec(**{**SPEC.__dict__, "color": "reinhard", "color_stats": exact_stats(stats.clone())}).key


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
