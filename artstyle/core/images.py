"""PIL images to and from the [B,3,H,W] float tensors in [0, 1] the network and losses work on.

Sizes are given as the longest side, as ``--size`` is; resizing uses Lanczos,
and the way back rounds to 8 bits.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from artstyle.errors import UsageError


def painted_size(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """(width, height) of an image of ``size`` scaled so its longest side is ``longest``."""
    if longest < 1:
        raise UsageError(f"size must be at least 1 pixel, not {longest}", hint="use e.g. --size 512")
    scale = longest / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def image_to_tensor(image: Image.Image, longest: int | None = None) -> Tensor:
    """RGB PIL image -> [1,3,H,W] float32 in [0,1], resized (Lanczos) so its longest side is ``longest``."""
    if longest is not None:
        size = painted_size(image.size, longest)
        if size != image.size:
            image = image.resize(size, Image.Resampling.LANCZOS)
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0  # [H,W,3]
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def tensor_to_image(tensor: Tensor) -> Image.Image:
    """[1,3,H,W] or [3,H,W] in [0,1] -> RGB PIL image (rounded to 8 bits)."""
    array = tensor.detach().squeeze(0).clamp(0, 1).mul(255).round().to("cpu", torch.uint8)
    return Image.fromarray(array.permute(1, 2, 0).numpy(), "RGB")
