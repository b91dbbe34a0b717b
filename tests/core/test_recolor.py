"""reinhard-inverse's colour maps: the inverse undoes the forward map, and mixture statistics are exact."""

from __future__ import annotations

import torch

from artstyle.core.color import lab_stats, match_lab_stats
from artstyle.core.color import lab_affine
from artstyle.core.recolor import from_palette, mixture_stats, to_palette


def image(seed, lo=0.2, hi=0.8, shape=(1, 3, 24, 32)):
    return lo + (hi - lo) * torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def test_forward_map_is_reinhards_transfer():
    content, work = image(1), image(2, 0.1, 0.6)
    palette = lab_stats(work)
    torch.testing.assert_close(to_palette(content, lab_stats(content), palette), match_lab_stats(content, palette))


def test_inverse_undoes_the_forward_map():
    content, work = image(3), image(4, 0.3, 0.7)
    stats, palette = lab_stats(content), lab_stats(work)
    there = to_palette(content, stats, palette)
    assert there.min() > 0 and there.max() < 1  # nothing clipped, so the round trip is exact
    torch.testing.assert_close(from_palette(there, stats, palette), content, rtol=0, atol=1e-5)


def test_inverse_uses_the_transfer_statistics_not_the_images_own():
    content, work, other = image(5), image(6, 0.3, 0.7), image(7, 0.25, 0.75)
    stats, palette = lab_stats(content), lab_stats(work)
    back = from_palette(other, stats, palette)
    expected = lab_affine(other, palette, stats)
    torch.testing.assert_close(back, expected)
    assert not torch.allclose(lab_stats(back), stats, atol=1e-3)  # not a re-match to the content's statistics


def test_mixture_stats_equal_the_pooled_pixels_statistics():
    a, b = image(8, shape=(1, 3, 16, 16)), image(9, 0.0, 0.5, shape=(1, 3, 16, 16))
    pooled = torch.cat([a, a, a, b], dim=-1)  # weights 3:1 as pixel counts
    got = mixture_stats([lab_stats(a), lab_stats(b)], [3.0, 1.0])
    torch.testing.assert_close(got, lab_stats(pooled), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(mixture_stats([lab_stats(a)], [1.0]), lab_stats(a))
