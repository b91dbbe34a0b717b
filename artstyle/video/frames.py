"""The frames folder beside a video's output: painted frames, a small manifest, and the state to resume from.

``<output stem>.frames/`` holds ``frame-000000.png`` per painted frame, its
losses as ``frame-000000.json``, the raw iterate of the last finished frame
(``state-000000.npy``, float32, so a resumed run starts the next frame from
exactly the same numbers as an uninterrupted one), and ``manifest.json``:
what run these frames belong to (a key over the clip's hash and every
parameter) and one entry per finished frame. Each file is written atomically
and the manifest last, so a run killed at any point resumes at the first
frame the manifest does not list.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from artstyle.errors import UsageError
from artstyle.files import atomic_write_bytes, atomic_write_json, save_image

MANIFEST = "manifest.json"


def frames_folder(output: Path) -> Path:
    return output.with_name(f"{output.stem}.frames")


class FrameStore:
    """One run's frames folder: what is done, and the state the next frame starts from."""

    def __init__(self, folder: Path, key: dict, restart: bool = False) -> None:
        self.folder, self.key = Path(folder), json.loads(json.dumps(key, sort_keys=True, default=str))  # as it reads back
        if restart and self.folder.exists():
            shutil.rmtree(self.folder)
        self.done: list[dict] = []
        manifest = self.folder / MANIFEST
        if manifest.is_file():
            saved = json.loads(manifest.read_text())
            if saved.get("key") != self.key:
                raise UsageError(f"{self.folder} holds frames of another run (other clip, works or settings)",
                                 hint="pass --force to paint afresh, or choose another --output")
            self.done = saved["frames"]

    def image_path(self, index: int) -> Path:
        return self.folder / f"frame-{index:06d}.png"

    def losses_path(self, index: int) -> Path:
        return self.folder / f"frame-{index:06d}.json"

    def _state_path(self, index: int) -> Path:
        return self.folder / f"state-{index:06d}.npy"

    def state(self) -> Tensor | None:
        """The last finished frame's raw iterate [1,3,H,W], or None before the first frame."""
        if not self.done:
            return None
        return torch.from_numpy(np.load(self._state_path(self.done[-1]["index"])))

    def save(self, index: int, image: Image.Image, raw: Tensor, entry: dict, trace: list[dict]) -> None:
        """Record a finished frame: image, losses, state, then the manifest (which makes it count)."""
        save_image(image, self.image_path(index))
        atomic_write_json(self.losses_path(index), trace)
        buffer = io.BytesIO()
        np.save(buffer, raw.detach().float().cpu().contiguous().numpy())
        atomic_write_bytes(self._state_path(index), buffer.getvalue())
        self.done.append(entry)
        atomic_write_json(self.folder / MANIFEST, {"key": self.key, "frames": self.done})
        if index > 0:
            self._state_path(index - 1).unlink(missing_ok=True)

    def losses(self) -> list[list[dict]]:
        return [json.loads(self.losses_path(e["index"]).read_text()) for e in self.done]
