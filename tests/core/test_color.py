"""Colour transfer against its definition (Reinhard et al. 2001) and luminance-only helpers (Gatys et al. 2016)."""

from __future__ import annotations

import pytest
import torch

from artstyle.core.color import (
    grey_rgb,
    lab_stats,
    lab_to_rgb,
    luminance,
    luminance_stats,
    match_luminance,
    match_lab_stats,
    rgb_to_lab,
    rgb_to_yiq,
    with_chroma,
)
from artstyle.files import load_image
from artstyle.core.images import image_to_tensor


def _images(seed=0, b=2, size=16):
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(b, 3, 1, 1, generator=g) * 0.6 + 0.2
    return (base + 0.15 * torch.rand(b, 3, size, size, generator=g)).clamp(0.05, 1)


def test_lab_round_trip():
    images = _images()
    torch.testing.assert_close(lab_to_rgb(rgb_to_lab(images)), images, atol=1e-5, rtol=1e-4)


def test_grey_is_on_the_achromatic_axis():
    lab = rgb_to_lab(torch.full((1, 3, 2, 2), 0.5))
    # Reinhard's RGB->LMS rows sum to 1, so grey has L = M = S and alpha = beta = 0
    torch.testing.assert_close(lab[:, 1:], torch.zeros_like(lab[:, 1:]), atol=1e-3, rtol=0)


def test_transfer_matches_target_moments_exactly_before_clipping():
    source, target = _images(1), _images(2, size=24)
    out = match_lab_stats(source, lab_stats(target), clip=False)
    torch.testing.assert_close(lab_stats(out), lab_stats(target), atol=1e-4, rtol=1e-3)


def test_transfer_is_batched_per_image():
    source, target = _images(1), _images(2)
    both = match_lab_stats(source, lab_stats(target), clip=False)
    one = match_lab_stats(source[1:], lab_stats(target[1:]), clip=False)
    torch.testing.assert_close(both[1:], one)


def test_inverse_restores_the_original_statistics():
    source, target = _images(3), _images(4)
    original = lab_stats(source)
    back = match_lab_stats(match_lab_stats(source, lab_stats(target), clip=False), original, clip=False)
    torch.testing.assert_close(back, source, atol=1e-4, rtol=1e-3)


def test_transfer_on_real_paintings_moves_moments_to_the_photo(paintings):
    photo = image_to_tensor(load_image(paintings / "photos/tubingen.jpg"), 96)
    work = image_to_tensor(load_image(paintings / "vincent-van-gogh/the-starry-night-1889.jpg"), 96)
    out = match_lab_stats(work, lab_stats(photo))  # clipped, as the pipeline uses it
    before = (lab_stats(work) - lab_stats(photo)).abs().max()
    after = (lab_stats(out) - lab_stats(photo)).abs().max()
    assert after < 0.1 * before
    assert out.min() >= 0 and out.max() <= 1


def test_luminance_helpers_keep_chroma_and_match_moments():
    content, style = _images(5, b=1), _images(6, b=1)
    grey = match_luminance(style, luminance_stats(content))
    torch.testing.assert_close(grey[:, 0], grey[:, 2])  # grey: all channels equal
    torch.testing.assert_close(luminance_stats(grey), luminance_stats(content), atol=1e-4, rtol=1e-3)
    y = luminance(style)
    joined = with_chroma(y, content, clip=False)
    torch.testing.assert_close(rgb_to_yiq(joined)[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-5, rtol=0)
    torch.testing.assert_close(luminance(joined), y, atol=1e-5, rtol=0)
    torch.testing.assert_close(luminance(grey_rgb(y)), y.clamp(0, 1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_transfer_runs_on_cuda():  # pragma: no cover - GPU machines only
    source, target = _images(1).cuda(), _images(2).cuda()
    torch.testing.assert_close(lab_stats(match_lab_stats(source, lab_stats(target), clip=False)).cpu(), lab_stats(target).cpu(), atol=1e-3, rtol=1e-3)
