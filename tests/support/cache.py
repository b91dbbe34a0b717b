"""Helpers for the cache tests: synthetic Gram targets (the corpus: :mod:`support.corpus`)."""

from __future__ import annotations

import torch


def synthetic_targets(seed: int, channels=(8, 16), layers=("relu1_1", "relu2_1")) -> dict[str, torch.Tensor]:
    """Symmetric positive semi-definite 'Grams' of random features, one per layer."""
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for layer, c in zip(layers, channels):
        features = torch.rand(c, 50, generator=generator)
        out[layer] = features @ features.T / 50  # [C, C]
    return out
