"""The device-resident LRU: a byte bound that holds, recency order, one LRU per device per process."""

from __future__ import annotations

import torch

from artstyle.style.residency import DeviceLRU, shared_lru, targets_nbytes


def block(n_floats: int) -> dict[str, torch.Tensor]:
    return {"relu1_1": torch.zeros(n_floats)}


def test_byte_bound_is_never_exceeded_and_oldest_go_first():
    lru = DeviceLRU("cpu", max_bytes=1000)
    for i in range(5):
        lru.put(f"k{i}", block(100))  # 400 bytes each
        assert lru.nbytes <= 1000
    assert [k for k in ("k0", "k1", "k2", "k3", "k4") if k in lru] == ["k3", "k4"]
    assert lru.nbytes == 800


def test_get_refreshes_recency():
    lru = DeviceLRU("cpu", max_bytes=1000)
    lru.put("a", block(100))
    lru.put("b", block(100))
    assert lru.get("a") is not None
    lru.put("c", block(100))  # evicts b, the least recently used
    assert "a" in lru and "c" in lru and "b" not in lru
    assert (lru.hits, lru.misses) == (1, 0)
    assert lru.get("b") is None and lru.misses == 1


def test_entry_larger_than_the_bound_is_returned_but_not_kept():
    lru = DeviceLRU("cpu", max_bytes=100)
    lru.put("small", block(10))
    out = lru.put("huge", block(1000))
    assert out["relu1_1"].numel() == 1000
    assert "huge" not in lru and "small" in lru


def test_resize_evicts_down_to_the_new_bound():
    lru = DeviceLRU("cpu", max_bytes=4000)
    for i in range(4):
        lru.put(f"k{i}", block(200))
    lru.resize(1700)
    assert lru.nbytes <= 1700 and len(lru) == 2 and "k3" in lru


def test_shared_lru_is_one_per_device():
    assert shared_lru("cpu") is shared_lru(torch.device("cpu"))
    assert targets_nbytes(block(3)) == 12
