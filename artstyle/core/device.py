"""Choosing the compute device: ``auto`` prefers CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

from artstyle.errors import UsageError
from artstyle.settings import DeviceChoice


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(choice: DeviceChoice | str = DeviceChoice.auto) -> torch.device:
    """The torch device for a choice; an explicit but missing accelerator is a usage error."""
    choice = DeviceChoice(getattr(choice, "value", choice))
    if choice is DeviceChoice.auto:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_available() else torch.device("cpu")
    if choice is DeviceChoice.cuda and not torch.cuda.is_available():
        raise UsageError("CUDA was asked for but no CUDA GPU is available", hint="use --device auto or --device cpu")
    if choice is DeviceChoice.mps and not mps_available():
        raise UsageError("MPS was asked for but is not available on this machine", hint="use --device auto or --device cpu")
    return torch.device(choice.value)


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels, so wall-clock timings measure finished work."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@contextlib.contextmanager
def deterministic_kernels(device: torch.device, benchmark: bool = False) -> Iterator[None]:
    """cuDNN's fastest kernels are not reproducible: deterministic ones while painting, unless
    ``benchmark`` (``cudnn_benchmark``) trades bitwise reproducibility for autotuned speed.
    CPU runs are unaffected (and stay bitwise reproducible)."""
    if device.type != "cuda":
        yield
        return
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = not benchmark, benchmark
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved
