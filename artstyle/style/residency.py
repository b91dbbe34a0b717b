"""Style targets kept resident on the compute device, bounded by bytes.

Loading a cached entry from disk costs a file read and a host-to-device copy;
a batch that paints many photos in the style of the same works should pay that
once. :func:`shared_lru` returns one least-recently-used map per device for the
whole process, so every request (``paint``, ``batch``, experiments) shares it.
The bound is in bytes, not entries, because Gram sets differ in size with the
layer set (relu1_1..relu5_1 in float32 is 2.4 MB per work).

Resident tensors are shared between requests: callers must treat them as
read-only (the losses only read their targets).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Mapping

import torch

Targets = Mapping[str, torch.Tensor]

DEFAULT_LIMITS = {"cuda": 1 << 30, "mps": 512 << 20, "cpu": 256 << 20}  # bytes per device type


def targets_nbytes(targets: Targets) -> int:
    return sum(t.numel() * t.element_size() for t in targets.values())


class DeviceLRU:
    """A thread-safe LRU of key -> targets whose total size never exceeds ``max_bytes``."""

    def __init__(self, device: torch.device | str, max_bytes: int) -> None:
        self.device = torch.device(device)
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[str, dict[str, torch.Tensor]] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        return sum(self._sizes.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def get(self, key: str) -> dict[str, torch.Tensor] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: str, targets: Targets) -> dict[str, torch.Tensor]:
        """Move ``targets`` to the device and keep them if they fit; return the device copy."""
        resident = {layer: t.to(self.device) for layer, t in targets.items()}
        size = targets_nbytes(resident)
        with self._lock:
            self._drop(key)
            if size > self.max_bytes:
                return resident  # larger than the whole budget: used once, never kept
            self._evict_to(self.max_bytes - size)
            self._items[key] = resident
            self._sizes[key] = size
        return resident

    def resize(self, max_bytes: int) -> None:
        """Change the bound, evicting the least recently used entries to meet it."""
        with self._lock:
            self.max_bytes = int(max_bytes)
            self._evict_to(self.max_bytes)

    def discard(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._sizes.clear()

    def _evict_to(self, budget: int) -> None:
        while self._items and self.nbytes > budget:
            self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        self._items.pop(key, None)
        self._sizes.pop(key, None)


_SHARED: dict[str, DeviceLRU] = {}
_SHARED_LOCK = threading.Lock()


def shared_lru(device: torch.device | str, max_bytes: int | None = None) -> DeviceLRU:
    """The process-wide LRU for ``device``; ``max_bytes`` (when given) resets its bound."""
    device = torch.device(device)
    name = str(device)
    with _SHARED_LOCK:
        lru = _SHARED.get(name)
        if lru is None:
            lru = _SHARED[name] = DeviceLRU(device, max_bytes or DEFAULT_LIMITS.get(device.type, 256 << 20))
        elif max_bytes is not None:
            lru.resize(max_bytes)
    return lru


def all_shared() -> list[DeviceLRU]:
    """Every process-wide LRU created so far (one per device)."""
    with _SHARED_LOCK:
        return list(_SHARED.values())
