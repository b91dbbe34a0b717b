"""Style-target entries on disk: safetensors files with an integrity check.

One entry is one file ``<home>/cache/<key[:2]>/<key>.safetensors`` holding a
Gram matrix per layer (Gatys et al. 2015). safetensors stores raw tensors and a
string-to-string header, so loading never unpickles an object. The header
carries the entry's key and a sha256 of the tensor payload; a file whose
header, key or payload does not check out is reported as :class:`CorruptEntry`
and the caller rebuilds it (never a crash).

Options, recorded per entry so that any reader can decode any file:

- ``fp16`` halves the bytes; targets are widened back to float32 on load,
  so results differ from an fp32 entry by fp16 rounding (~1e-3 relative).
- ``triangle`` stores only the upper triangle of each (symmetric) Gram and
  mirrors it on load. A Gram that is not bitwise symmetric is stored full,
  so packing never changes a value.

Files are written whole to a temporary name and renamed into place
(:func:`artstyle.files.atomic_write_bytes`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from artstyle.files import atomic_write_bytes

FORMAT_VERSION = "1"
Targets = dict[str, torch.Tensor]  # layer name -> Gram [C, C]


class CorruptEntry(Exception):
    """An entry that cannot be trusted: unreadable, truncated, or not the one asked for."""


@dataclass(frozen=True)
class StoreOptions:
    fp16: bool = False
    triangle: bool = False

    @property
    def dtype(self) -> torch.dtype:
        return torch.float16 if self.fp16 else torch.float32


def entry_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.safetensors"


@functools.lru_cache(maxsize=16)
def _triu(channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of the upper triangle (diagonal included) of a [C, C] matrix."""
    rows, cols = torch.triu_indices(channels, channels)
    return rows, cols


def _pack(gram: torch.Tensor, options: StoreOptions) -> tuple[torch.Tensor, str]:
    """[C, C] -> ([C*(C+1)/2], 'triu') when packing is asked for and exact, else ([C, C], 'full')."""
    gram = gram.detach().to("cpu", torch.float32)
    if options.triangle and torch.equal(gram, gram.T):
        rows, cols = _triu(gram.shape[0])
        return gram[rows, cols].to(options.dtype).contiguous(), "triu"
    return gram.to(options.dtype).contiguous(), "full"


def _unpack(stored: torch.Tensor, packing: str, channels: int) -> torch.Tensor:
    stored = stored.to(torch.float32)
    if packing == "full":
        return stored
    gram = torch.empty(channels, channels, dtype=torch.float32)
    rows, cols = _triu(channels)
    gram[rows, cols] = stored
    gram[cols, rows] = stored  # mirror: the lower triangle equals the upper one
    return gram


def payload_sha256(tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over names, dtypes, shapes and raw bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].contiguous()
        digest.update(f"{name}|{tensor.dtype}|{list(tensor.shape)}|".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def encode_entry(key: str, targets: Mapping[str, torch.Tensor], options: StoreOptions, config: Mapping | None = None) -> bytes:
    """The safetensors bytes of one entry (targets: layer -> Gram [C, C])."""
    tensors, layout = {}, {}
    for layer, gram in targets.items():
        tensors[layer], packing = _pack(gram, options)
        layout[layer] = {"packing": packing, "channels": int(gram.shape[-1])}
    metadata = {
        "artstyle_format": FORMAT_VERSION,
        "key": key,
        "payload_sha256": payload_sha256(tensors),
        "layers": json.dumps(list(targets)),
        "layout": json.dumps(layout, sort_keys=True),
        "dtype": "fp16" if options.fp16 else "fp32",
        "config": json.dumps(dict(config or {}), sort_keys=True, default=str),
    }
    return st_save(tensors, metadata=metadata)


def _header(data: bytes) -> dict:
    """The safetensors JSON header (8-byte little-endian length, then JSON)."""
    if len(data) < 8:
        raise CorruptEntry("shorter than a safetensors header")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise CorruptEntry("truncated header")
    try:
        return json.loads(data[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptEntry(f"unreadable header ({exc})") from exc


def decode_entry(data: bytes, key: str) -> Targets:
    """Check and decode an entry's bytes; raise :class:`CorruptEntry` on any mismatch."""
    metadata = _header(data).get("__metadata__") or {}
    if metadata.get("artstyle_format") != FORMAT_VERSION:
        raise CorruptEntry(f"unknown format {metadata.get('artstyle_format')!r}")
    if metadata.get("key") != key:
        raise CorruptEntry("the entry holds another key")
    try:
        tensors = st_load(data)
        layers = json.loads(metadata["layers"])
        layout = json.loads(metadata["layout"])
    except Exception as exc:  # safetensors raises its own error types for bad payloads
        raise CorruptEntry(f"unreadable payload ({exc.__class__.__name__}: {exc})") from exc
    if payload_sha256(tensors) != metadata.get("payload_sha256"):
        raise CorruptEntry("payload checksum mismatch")
    if sorted(tensors) != sorted(layers):
        raise CorruptEntry("layer list does not match the tensors")
    return {layer: _unpack(tensors[layer], layout[layer]["packing"], layout[layer]["channels"]) for layer in layers}


def write_entry(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data)


def read_entry(path: Path, key: str) -> Targets:
    """Load and check one entry file; CorruptEntry when missing, unreadable or not trustworthy."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise CorruptEntry("file is missing") from exc
    except OSError as exc:  # unreadable is as good as missing: the caller recomputes
        raise CorruptEntry(f"cannot read it ({exc.strerror})") from exc
    return decode_entry(data, key)
