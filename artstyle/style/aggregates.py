"""Artist aggregates: the stored weighted mean of many works' style targets.

Gatys et al. (2015) describe a style by Gram matrices; for the Gram MSE, the
weighted sum of per-work style losses has the same gradient as one loss
against the weighted mean of their Grams (Mu & Francl 2015), so one aggregate
entry can stand for a whole corpus (``paint --works all``, ``cache build
--aggregate``). The mean is streamed (one member's Grams in memory at a time)
and stored under a key of the members' keys and exact weights
(:func:`artstyle.style.config.aggregate_key`). Kept apart from
:mod:`artstyle.style.cache` (which stores any entry) and
:mod:`artstyle.style.sources` (per-image targets) because it combines both.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

import torch
from torch import Tensor

from artstyle.core.features import FeatureNet
from artstyle.style.cache import KIND_AGGREGATE, StyleCache
from artstyle.style.config import TargetConfig, aggregate_key
from artstyle.style.sources import StyleSource, Targets, cached_style_targets


def weighted_mean(members: Iterable[tuple[Mapping[str, torch.Tensor], float]]) -> dict[str, torch.Tensor]:
    """Σ w_i G_i / Σ w_i per layer, streamed: one member's Grams in memory at a time.

    Accumulates in float64 on the CPU so that the order of members barely
    matters, then returns float32. For Gram MSE the weighted sum of per-work
    style losses has the same gradient as one loss against this mean (Mu &
    Francl 2015), which is why one aggregate entry can stand for many works.
    """
    total: dict[str, torch.Tensor] = {}
    weight_sum = 0.0
    for targets, weight in members:
        for layer, gram in targets.items():
            term = gram.detach().to("cpu", torch.float64) * float(weight)
            total[layer] = total[layer] + term if layer in total else term
        weight_sum += float(weight)
    if not total or weight_sum <= 0:
        raise ValueError("a weighted mean needs at least one member with positive total weight")
    return {layer: (value / weight_sum).to(torch.float32) for layer, value in total.items()}


def member_order(member_keys: Sequence[str]) -> list[int]:
    """The order members are summed in: by key, so the stored mean does not depend on how they were listed."""
    return sorted(range(len(member_keys)), key=lambda i: member_keys[i])


def cached_aggregate(
    cache: StyleCache,
    member_keys: Sequence[str],
    weights: Sequence[float],
    member_targets: Callable[[str], Targets],
    *,
    config: Mapping,
) -> Targets:
    """The stored weighted mean of the members' targets, computed (streamed) on a miss.

    ``member_targets(key)`` returns one member's targets (typically through the
    same cache, computing them if needed); members are visited in key order.
    """
    key = aggregate_key(member_keys, weights)
    order = member_order(member_keys)

    def compute() -> dict[str, torch.Tensor]:
        return weighted_mean((member_targets(member_keys[i]), weights[i]) for i in order)

    document = {**dict(config), "members": [member_keys[i] for i in order], "weights": [float(weights[i]) for i in order]}
    return cache.get_or_compute(key, compute, work_id=None, kind=KIND_AGGREGATE, config=document)


def artist_aggregate(
    net: FeatureNet,
    cache: StyleCache,
    sources: Sequence[StyleSource],
    config: TargetConfig,
    *,
    artist: str,
    weights: Sequence[float] | None = None,
    stats: Tensor | None = None,
) -> Targets:
    """The weighted mean (default: plain mean) of the sources' targets, as one entry.

    Streamed: one work's Grams are read (or computed) at a time. With content
    ``stats`` (``--color reinhard``) the members, and so the aggregate's key,
    are those of the content's palette.
    """
    config = config.for_net(net)
    weights = list(weights) if weights is not None else [1.0] * len(sources)
    keys = [config.target_key(s.sha256, stats) for s in sources]
    by_key = dict(zip(keys, sources))

    def member(key: str) -> Targets:
        return cached_style_targets(net, [by_key[key]], config, stats, cache=cache)[0]

    document = {"artist": artist, "layers": list(config.layers), "pooling": config.pooling.value,
                "style_size": config.effective_size, "weights_identity": config.weights_identity}
    return cached_aggregate(cache, keys, weights, member, config=document)
