"""Analytic FLOP counts for one Gatys optimisation step on a truncated VGG-19.

The benchmark's "floor" is these FLOPs divided by the device's best measured
dense throughput: no implementation of the same maths can take less time, so
a step time's multiple of the floor says how much is left to gain.

Counted (multiply-add = 2 FLOPs), for an input of H x W:
- forward: every 3x3 convolution up to the deepest layer in use,
  ``2 * Cin * Cout * 9 * h * w``;
- input-gradient backward: the same again (gradients flow to the image only,
  no weight gradients, as in :mod:`artstyle.core.features`' frozen network);
- Gram matrices: ``2 * C^2 * h * w`` per style layer forward, twice that backward.
ReLU, pooling and the loss reductions are O(activations) and left out.
"""

from __future__ import annotations

from dataclasses import dataclass

# torchvision's VGG-19 configuration "E": output channels per conv, "M" for max-pool.
VGG19_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def vgg19_layer_shapes(height: int, width: int) -> list[tuple[str, int, int, int, int]]:
    """(relu name, in channels, out channels, h, w) for each conv block, in order."""
    shapes, channels, block, index = [], 3, 1, 1
    h, w = height, width
    for item in VGG19_CONFIG:
        if item == "M":
            h, w, block, index = h // 2, w // 2, block + 1, 1
            continue
        shapes.append((f"relu{block}_{index}", channels, item, h, w))
        channels, index = item, index + 1
    return shapes


@dataclass(frozen=True)
class StepFlops:
    forward: float
    backward: float
    gram: float

    @property
    def total(self) -> float:
        return self.forward + self.backward + self.gram


def step_flops(height: int, width: int, deepest: str = "relu5_1", style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"), batch: int = 1) -> StepFlops:
    """FLOPs of one loss forward + input-gradient backward at H x W, cut after ``deepest``."""
    conv = gram = 0.0
    for name, cin, cout, h, w in vgg19_layer_shapes(height, width):
        conv += 2.0 * cin * cout * 9 * h * w
        if name in style_layers:
            gram += 3 * 2.0 * cout * cout * h * w  # forward product plus its two-sided backward
        if name == deepest:
            break
    else:
        raise ValueError(f"unknown VGG-19 layer {deepest!r}")
    return StepFlops(forward=conv * batch, backward=conv * batch, gram=gram * batch)
