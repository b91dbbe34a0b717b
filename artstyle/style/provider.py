"""Target providers: what ``paint`` and ``batch`` ask for a pick's style targets and palette.

A provider turns a sampler pick (one work, an explicit image, or an artist
aggregate with ``members``) into the Gram matrices of Gatys et al. (2015) at a
given :class:`~artstyle.style.config.TargetConfig`, and into its own lαβ
palette (for ``--color reinhard-inverse``). :class:`TargetProvider` is the one
declared interface; there are two implementations, which return the same
tensors (``tests/test_providers.py``):

- :class:`CachedTargets` goes through the style cache
  (:mod:`artstyle.style.sources`, :mod:`artstyle.style.aggregates`); float32
  entries round-trip bit for bit, so it returns what a computation returns;
- :class:`UncachedTargets` computes directly and writes nothing (``batch
  --no-cache``, reference runs in tests).

An aggregate's targets are the weighted mean of its members' (summed in
member-key order, as the stored aggregate is, Mu & Francl 2015); its palette
is that of the weighted pixel mixture of its members (``recolor.mixture_stats``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from artstyle.core.color import lab_stats
from artstyle.core.features import FeatureNet
from artstyle.core.recolor import mixture_stats
from artstyle.corpus.catalog import open_catalog
from artstyle.corpus.sampler import StylePick
from artstyle.files import load_image, sha256_file
from artstyle.settings import Settings
from artstyle.style.aggregates import artist_aggregate, member_order, weighted_mean
from artstyle.style.cache import StyleCache
from artstyle.style.config import TargetConfig
from artstyle.style.sources import StyleSource, Targets, cached_palettes, cached_style_targets
from artstyle.style.targets import compute_style_targets, prepare_style


@runtime_checkable
class TargetProvider(Protocol):
    """Style targets and palettes for sampler picks.

    ``provider(pick, config, stats, net)`` -> {layer: Gram [C,C]} on the net's
    device, where ``stats`` are the content statistics of the colour mode
    (``targets.color_stats``) or None; ``provider.palette(pick, config)`` ->
    the pick's own lαβ mean and deviation [1,2,3].
    """

    def __call__(self, pick: StylePick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> Targets: ...

    def palette(self, pick: StylePick, config: TargetConfig) -> Tensor: ...


class CachedTargets:
    """The provider ``paint`` uses by default: everything through the style cache.

    Built once per request on the data home of ``settings``; the device LRU
    behind it is the process-wide one, so a batch of requests shares it.
    """

    def __init__(self, settings: Settings, device: torch.device | str) -> None:
        self.home = Path(settings.home)
        self.cache = StyleCache(self.home, open_catalog(settings.catalog_path), device)

    def __call__(self, pick: StylePick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> Targets:
        if pick.members:  # an artist aggregate: one stored weighted-mean entry
            sources = [self.source(m) for m in pick.members]
            return artist_aggregate(net, self.cache, sources, config, artist=pick.artist,
                                    weights=[m.weight for m in pick.members], stats=stats)
        return cached_style_targets(net, [self.source(pick)], config, stats, cache=self.cache)[0]

    def palette(self, pick: StylePick, config: TargetConfig) -> Tensor:
        if pick.members:
            palettes = cached_palettes([self.source(m) for m in pick.members], config, cache=self.cache)
            return mixture_stats(palettes, [m.weight for m in pick.members])
        return cached_palettes([self.source(pick)], config, cache=self.cache)[0]

    @staticmethod
    def source(pick: StylePick) -> StyleSource:
        """A sampler pick (catalogued work or explicit file) as a StyleSource."""
        path = Path(pick.path)
        catalogued = pick.artist is not None and pick.sha256
        return StyleSource(path=path, sha256=pick.sha256 or sha256_file(path),
                           work_id=pick.work_id if catalogued else None, artist=pick.artist)


class UncachedTargets:
    """Targets and palettes computed from the image every time; nothing is read or written.

    ``device`` is where palettes are computed (targets follow the net, or the
    content statistics when there are any).
    """

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)

    def __call__(self, pick: StylePick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> Targets:
        if pick.members:
            order = member_order([self._key(m, config, stats, net) for m in pick.members])
            return weighted_mean((self(pick.members[i], config, stats, net), pick.members[i].weight) for i in order)
        device = net.mean.device
        style = prepare_style(load_image(pick.path), config, stats, device=stats.device if stats is not None else device)
        return compute_style_targets(net, style.to(device), config.layers)[0]

    def palette(self, pick: StylePick, config: TargetConfig) -> Tensor:
        if pick.members:
            return mixture_stats([self.palette(m, config) for m in pick.members], [m.weight for m in pick.members])
        return lab_stats(prepare_style(load_image(pick.path), config, None, self.device))

    @staticmethod
    def _key(pick: StylePick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> str:
        """The member's cache key: only its order matters here (the sum order of the stored aggregate)."""
        return config.for_net(net).target_key(pick.sha256 or sha256_file(pick.path), stats)
