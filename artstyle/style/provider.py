"""Target providers: what ``paint`` and ``batch`` ask for a pick's style targets and palette.

A provider turns a sampler pick (one work, an explicit image, or an artist
aggregate) into the Gram matrices of Gatys et al. (2015) at a given
:class:`~artstyle.style.config.TargetConfig`, and into its own lαβ palette
(for ``--color reinhard-inverse``). :class:`CachedTargets` goes through the
style cache (:mod:`artstyle.style.sources`, :mod:`artstyle.style.aggregates`);
float32 entries round-trip bit for bit, so it returns what an uncached
computation returns.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from artstyle.core.color import lab_stats
from artstyle.core.features import FeatureNet
from artstyle.core.recolor import mixture_stats
from artstyle.corpus.catalog import open_catalog
from artstyle.files import load_image, sha256_file
from artstyle.settings import Settings
from artstyle.style.aggregates import artist_aggregate
from artstyle.style.cache import StyleCache
from artstyle.style.config import TargetConfig
from artstyle.style.sources import StyleSource, Targets, cached_palettes, cached_style_targets
from artstyle.style.targets import prepare_style


class CachedTargets:
    """The target provider ``paint`` uses: ``provider(pick, config, stats, net)`` through the cache.

    Built once per request on the data home of ``settings``; the device LRU
    behind it is the process-wide one, so a batch of requests shares it.
    """

    def __init__(self, settings: Settings, device: torch.device | str) -> None:
        self.home = Path(settings.home)
        self.cache = StyleCache(self.home, open_catalog(settings.catalog_path), device)

    def __call__(self, pick, config: TargetConfig, stats: Tensor | None, net: FeatureNet) -> Targets:
        if pick.members:  # an artist aggregate: one stored weighted-mean entry
            sources = [self.source(m) for m in pick.members]
            return artist_aggregate(net, self.cache, sources, config, artist=pick.artist,
                                    weights=[m.weight for m in pick.members], stats=stats)
        return cached_style_targets(net, [self.source(pick)], config, stats, cache=self.cache)[0]

    def palette(self, pick, config: TargetConfig) -> Tensor:
        """The pick's own lαβ statistics [1,2,3] (for ``--color reinhard-inverse``).

        An aggregate's palette is that of the weighted pixel mixture of its
        members (``recolor.mixture_stats``), exactly what a blend of them gets.
        """
        if pick.members:
            palettes = cached_palettes([self.source(m) for m in pick.members], config, cache=self.cache)
            return mixture_stats(palettes, [m.weight for m in pick.members])
        return cached_palettes([self.source(pick)], config, cache=self.cache)[0]

    @staticmethod
    def source(pick) -> StyleSource:
        """A sampler ``StylePick`` (catalogued work or explicit file) as a StyleSource."""
        path = Path(pick.path)
        catalogued = pick.artist is not None and pick.sha256
        return StyleSource(path=path, sha256=pick.sha256 or sha256_file(path),
                           work_id=pick.work_id if catalogued else None, artist=pick.artist)


def palette_of(provider, pick, config: TargetConfig, device: torch.device | str) -> Tensor:
    """A pick's own palette through ``provider.palette`` when it has one, else computed from the image."""
    if hasattr(provider, "palette"):
        return provider.palette(pick, config)
    if pick.members:  # an aggregate: the palette of its members' pixel mixture
        palettes = [palette_of(provider, m, config, device) for m in pick.members]
        return mixture_stats(palettes, [m.weight for m in pick.members])
    return lab_stats(prepare_style(load_image(pick.path), config, None, device))
