"""Speed paths of the optimisation: lower precision, memory format, compilation, coarse-to-fine.

Each path is switchable (a :class:`~artstyle.paint.pipeline.PaintOptions` field) and
measured by ``scripts/bench.py``; none changes the objective being minimised:

- **bf16** (``precision="bf16"``): the VGG-19 forward (and so its backward)
  runs under ``torch.autocast`` in bfloat16, where the hardware does bf16
  matmuls (CUDA GPUs that report it; CPUs with AVX512-BF16/AMX through
  oneDNN). Feature maps are cast back to float32 before the Gram matrices and
  loss sums, which stay in fp32 (Micikevicius et al. 2018, "Mixed Precision
  Training": reductions in full precision). Unsupported hardware falls back
  to fp32 with a logged note.
- **channels_last**: NHWC activations, which oneDNN and cuDNN convolutions
  prefer; ``False`` runs a contiguous (NCHW) copy of the network.
- **compile**: ``torch.compile`` of the feature net (TorchInductor); compile
  time is paid on the first step of each image size.
- **coarse-to-fine** (``scales``): most iterations at a fraction of the size,
  the iterate upsampled between scales (the multi-resolution scheme of Gatys
  et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").

Style targets and content features are always computed in fp32 by the plain
network, so the style cache's entries do not depend on these switches.

Defaults (``PaintOptions``), from ``scripts/bench.py`` on a 2-core AMX CPU
(the README's Speed section has the figures): bf16 is on (about half the fp32
step time; the loss it reaches is judged in fp32 at full size, and with bounded
L-BFGS it passes the fp32 bar long before early stopping); coarse-to-fine is
off (with bounded L-BFGS it reached the bar later and ended higher at equal
time than single-scale); compile is off (no measurable gain on the CPU);
channels_last is on; ``cudnn_benchmark`` is off so CUDA runs stay
reproducible. The biggest gains did not come from here but from the optimiser
(bounded steps, :mod:`artstyle.core.optimize`) and the allocator
(:mod:`artstyle.core.heap`).
"""

from __future__ import annotations

import copy
import logging
from enum import Enum
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artstyle.errors import UsageError
from artstyle.core.features import FeatureNet

log = logging.getLogger(__name__)


class Precision(str, Enum):
    fp32 = "fp32"
    bf16 = "bf16"


def bf16_supported(device: torch.device) -> bool:
    """Whether bf16 matmuls/convolutions run natively (not emulated) on ``device``."""
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        return bool(check is not None and check())
    return False


def effective_precision(precision: Precision, device: torch.device) -> Precision:
    """``precision``, or fp32 with a logged note where bf16 is not supported on ``device``."""
    if precision is Precision.bf16 and not bf16_supported(device):
        log.info("bf16 is not supported on %s: painting in fp32", device)
        return Precision.fp32
    return precision


class FastNet(nn.Module):
    """A feature net run in a chosen precision and memory format; returns float32 features.

    image [B,3,H,W] -> {layer: [B,C,h,w] float32}, as :class:`FeatureNet`.
    """

    def __init__(self, net: FeatureNet, precision: Precision, channels_last: bool) -> None:
        super().__init__()
        if not channels_last:  # the shared (memoised) net is channels-last: run a contiguous copy
            net = copy.deepcopy(net)
            net.body.to(memory_format=torch.contiguous_format)
            net.memory_format = torch.contiguous_format
        self.net = net
        self.precision = Precision(precision)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        images = images.contiguous(memory_format=self.memory_format)
        if self.precision is Precision.fp32:
            return self.net(images)
        with torch.autocast(images.device.type, dtype=torch.bfloat16):
            features = self.net(images)
        return {layer: f.float() for layer, f in features.items()}  # Grams and losses in fp32


def fast_net(net: FeatureNet, precision: Precision, channels_last: bool, compile: bool) -> nn.Module:
    """The network the optimisation loop calls: ``net`` itself when every path is at its plain setting."""
    precision = effective_precision(Precision(precision), net.mean.device)
    if precision is Precision.fp32 and channels_last and not compile:
        return net
    module: nn.Module = FastNet(net, precision, channels_last)
    if compile:
        module = torch.compile(module, dynamic=False)
    return module


def check_scales(scales: Sequence[float]) -> tuple[float, ...]:
    """Strictly increasing fractions of the size in (0, 1], ending at 1 (the full size)."""
    hint = "give increasing fractions of --size ending at 1, e.g. --scales 0.5,1"
    try:
        values = tuple(float(s) for s in scales)
    except (TypeError, ValueError):
        raise UsageError(f"malformed --scales {scales!r}", hint=hint) from None
    if not values or values[-1] != 1.0 or any(not (0 < s <= 1) for s in values) \
            or any(b <= a for a, b in zip(values, values[1:])):
        raise UsageError(f"--scales must increase and end at 1, not {','.join(map(str, values)) or '(none)'}", hint=hint)
    return values


def split_iterations(iterations: int, scales: Sequence[float], fine_share: float) -> list[int]:
    """Iterations per scale: ``fine_share`` of them at full size, the rest split evenly over the coarse scales."""
    if len(scales) == 1:
        return [iterations]
    fine = round(iterations * fine_share)
    coarse = iterations - fine
    per, extra = divmod(coarse, len(scales) - 1)
    return [per + (1 if i < extra else 0) for i in range(len(scales) - 1)] + [fine]


def upsample(image: Tensor, height: int, width: int) -> Tensor:
    """image [B,3,h,w] -> [B,3,height,width], bilinear, clamped to [0, 1]."""
    if image.shape[-2:] == (height, width):
        return image
    return F.interpolate(image, size=(height, width), mode="bilinear", align_corners=False).clamp(0, 1)


# Bytes per painted pixel of one image in a batch: VGG-19 activations to relu5_1 and their
# gradients (~580 floats per pixel, fp32, forward and backward), plus L-BFGS's 100 curvature
# pairs of the image (2 x 100 x 3 floats), with half again for the allocator's slack.
_BYTES_PER_PIXEL = int(1.5 * (580 * 4 * 2 + 2 * 100 * 3 * 4))
MAX_AUTO_BATCH = 16
# On a CPU, a pass over fewer pixels than one 512x384 image leaves the cores underused:
# scripts/bench_batch.py on 2 cores, 6 photos, 30 iterations: at 256 px 11.7 photos/min
# one at a time, 13.2 three at a time, 14.9 six at a time; at 512 px 9.8 either way.
CPU_BATCH_PIXELS = 512 * 384


def auto_batch_size(device: torch.device, size: int, free_bytes: int | None = None) -> int:
    """How many photos of ``--size`` to optimise together by default on ``device``.

    On a CPU, enough small photos to make up one 512x384 image's pixels (one
    photo from 512 px up; four at 256 px), where batching was measured to pay.
    On a GPU, as many as fit in half the free memory, up to 16, by the estimate
    above (about 1.7 GB per image at 512 px, 4:3).
    """
    per_image_pixels = max(1, size * size * 3 // 4)
    if device.type == "cpu":
        return max(1, min(MAX_AUTO_BATCH, CPU_BATCH_PIXELS // per_image_pixels))
    if free_bytes is None:
        if device.type != "cuda":
            return 4  # MPS reports no free memory: a modest batch
        free_bytes, _ = torch.cuda.mem_get_info(device)
    per_image = per_image_pixels * _BYTES_PER_PIXEL
    return max(1, min(MAX_AUTO_BATCH, free_bytes // 2 // per_image))
