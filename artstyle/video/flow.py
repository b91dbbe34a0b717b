"""Dense optical flow between source frames, warping along it, and the forward-backward occlusion check.

OpenCV's DIS flow (Kroeger et al. 2016) needs no downloaded weights and is
fast on a CPU; Farneback's is the older alternative. Flow is measured on the
*source* frames (the painted ones would mislead it) at the painted size.

Occlusions follow Ruder, Dosovitskiy & Brox (2016), after Sundaram et al.
(2010): a pixel of frame k is trusted when following the backward flow to
frame k-1 and the forward flow back lands where it started,
``|b + f(p+b)|² <= 0.01 (|b|² + |f(p+b)|²) + 0.5``, and when ``p+b`` is inside
the frame. (Their motion-boundary test is left out: on our clips the
consistency check already marks those pixels.)
"""

from __future__ import annotations

from enum import Enum

import cv2
import numpy as np
import torch
from torch import Tensor


class FlowMethod(str, Enum):
    dis = "dis"
    farneback = "farneback"


def _grey(frame: Tensor) -> np.ndarray:
    """[1,3,H,W] in [0,1] -> uint8 grey [H,W], what OpenCV's flow reads."""
    rgb = (frame[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def dense_flow(source: Tensor, target: Tensor, method: FlowMethod = FlowMethod.dis) -> np.ndarray:
    """Flow [H,W,2] (x, y) such that ``source`` at p shows what ``target`` shows at p + flow(p)."""
    a, b = _grey(source), _grey(target)
    if FlowMethod(method) is FlowMethod.farneback:
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(a, b, None)


def _grid(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs + flow[..., 0], ys + flow[..., 1]


def warp_array(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """image [H,W,C] float32 sampled at p + flow(p) (bilinear, edges repeated)."""
    mx, my = _grid(flow)
    warped = cv2.remap(np.ascontiguousarray(image, dtype=np.float32), mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return warped.reshape(image.shape)


def warp(image: Tensor, flow: np.ndarray) -> Tensor:
    """[1,3,H,W] -> the same image moved along ``flow`` (see :func:`dense_flow`)."""
    array = image[0].detach().permute(1, 2, 0).float().cpu().numpy()
    return torch.from_numpy(warp_array(array, flow)).permute(2, 0, 1)[None].to(image)


def occlusion_mask(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """[H,W] float32, 1 where the backward flow (k -> k-1) and the forward flow (k-1 -> k) agree."""
    forward_there = warp_array(forward, backward)  # f(p + b(p))
    mx, my = _grid(backward)
    h, w = backward.shape[:2]
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    error = np.sum((backward + forward_there) ** 2, axis=2)
    bound = 0.01 * (np.sum(backward ** 2, axis=2) + np.sum(forward_there ** 2, axis=2)) + 0.5
    return ((error <= bound) & inside).astype(np.float32)


def mask_tensor(mask: np.ndarray, like: Tensor) -> Tensor:
    return torch.from_numpy(mask)[None, None].to(like)


def unexplained_change(painted: Tensor, previous: Tensor, backward: np.ndarray, forward: np.ndarray) -> tuple[Tensor, Tensor]:
    """(|painted − previous warped into it| where the flow is trusted, 0 elsewhere; the trust mask [1,1,H,W]).

    What changed between two painted frames that the motion of the source does not explain.
    """
    mask = mask_tensor(occlusion_mask(backward, forward), painted)
    return (painted - warp(previous, backward)).abs() * mask, mask


def flicker(painted: Tensor, previous: Tensor, backward: np.ndarray, forward: np.ndarray) -> float:
    """Mean :func:`unexplained_change` over the pixels the flow trusts, in [0, 1] units."""
    diff, mask = unexplained_change(painted, previous, backward, forward)
    return float(diff.sum() / (mask.sum() * painted.shape[1]).clamp(min=1))
