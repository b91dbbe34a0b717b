"""Gram matrices and losses: normalisation, buffers, combinators and the weighted-mean identity."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from artstyle import shares
from artstyle.core.losses import (
    ContentLoss,
    StyleLoss,
    TVLoss,
    WeightedSum,
    batched,
    build_objective,
    content_term,
    gram_matrix,
    mean_gram,
    relative_scale,
    style_term,
)


def test_gram_matrix_is_mean_outer_product():
    features = torch.randn(2, 4, 3, 5)
    gram = gram_matrix(features)
    assert gram.shape == (2, 4, 4)
    flat = features[1].reshape(4, 15)
    torch.testing.assert_close(gram[1], flat @ flat.T / 15)
    torch.testing.assert_close(gram, gram.transpose(1, 2))


@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
def test_gram_matrix_gradient_matches_autograd_and_keeps_the_layout(memory_format):
    features = torch.randn(2, 6, 5, 7, dtype=torch.float64).to(memory_format=memory_format).requires_grad_(True)
    upstream = torch.randn(2, 6, 6, dtype=torch.float64)
    flat = features.reshape(2, 6, 35)
    expected, = torch.autograd.grad(flat @ flat.transpose(1, 2) / 35, features, upstream)
    got, = torch.autograd.grad(gram_matrix(features), features, upstream)
    assert torch.allclose(got, expected)
    assert got.is_contiguous(memory_format=memory_format)  # no strided add against the conv's gradient
    assert torch.autograd.gradcheck(gram_matrix, (features,))


def test_gram_matrix_does_not_depend_on_image_size():
    small = torch.rand(1, 8, 6, 6)
    tiled = small.repeat(1, 1, 3, 2)  # the same texture over 6x the area
    torch.testing.assert_close(gram_matrix(tiled), gram_matrix(small))


def test_content_loss_is_relative_and_zero_at_target():
    target = torch.rand(1, 5, 4, 4) * 100
    loss = ContentLoss(target)
    assert float(loss(target)) == 0.0
    assert float(loss(torch.zeros_like(target))) == pytest.approx(1.0, rel=1e-5)
    assert float(ContentLoss(target * 1e-3)(torch.zeros_like(target))) == pytest.approx(1.0, rel=1e-5)
    assert "target" in dict(loss.named_buffers())


def test_style_loss_is_relative_to_target_norm():
    features = torch.rand(1, 6, 5, 5)
    target = gram_matrix(torch.rand(1, 6, 5, 5))[0]
    loss = StyleLoss(target)
    expected = (gram_matrix(features)[0] - target).pow(2).sum() / target.pow(2).sum()
    torch.testing.assert_close(loss(features), expected.reshape(1))  # one loss per image
    scaled = StyleLoss(target * 1e4)(features * 1e2)  # activations 100x larger: same relative loss
    torch.testing.assert_close(scaled, expected.reshape(1), rtol=1e-4, atol=1e-6)


def test_tv_loss_is_zero_on_flat_image_and_size_independent():
    assert float(TVLoss()(torch.full((1, 3, 8, 8), 0.3))) == 0.0
    stripes = torch.zeros(1, 3, 8, 8)
    stripes[..., ::2] = 1.0
    assert float(TVLoss()(stripes)) == pytest.approx(1.0)
    assert float(TVLoss()(stripes.repeat(1, 1, 4, 4))) == pytest.approx(1.0)


def test_weighted_sum_of_style_losses_equals_loss_toward_mean_gram():
    """Σ wₖ‖G − Tₖ‖² = ‖G − T̄‖² + const: optimising toward many works = toward their mean Gram."""
    targets = [gram_matrix(torch.rand(1, 4, 6, 6))[0] for _ in range(3)]
    weights = [0.5, 0.3, 0.2]
    mean = mean_gram(targets, weights)
    scale = relative_scale(mean)
    blend = WeightedSum([StyleLoss(t, scale) for t in targets], weights)
    toward_mean = StyleLoss(mean, scale)
    const = sum(w * (t - mean).pow(2).sum() * scale for w, t in zip(weights, targets))
    grads = []
    for loss in (blend, toward_mean):
        features = torch.rand(1, 4, 6, 6, generator=torch.Generator().manual_seed(0)).requires_grad_()
        value = loss(features)
        value.backward()
        grads.append((value.detach(), features.grad))
    torch.testing.assert_close(grads[0][0], grads[1][0] + const)
    torch.testing.assert_close(grads[0][1], grads[1][1])


def test_style_term_normalises_layer_and_target_weights():
    feats = {"a": torch.rand(1, 3, 4, 4), "b": torch.rand(1, 5, 2, 2)}
    targets = [{k: gram_matrix(torch.rand_like(v))[0] for k, v in feats.items()} for _ in range(2)]
    term = style_term(targets, [3, 1], {"a": 2.0, "b": 2.0})
    expected = 0.0
    for layer in feats:
        mean = 0.75 * targets[0][layer] + 0.25 * targets[1][layer]
        g = gram_matrix(feats[layer])[0]
        per = sum(w * (g - t[layer]).pow(2).sum() for w, t in zip([0.75, 0.25], targets)) / mean.pow(2).sum()
        expected += 0.5 * per
    torch.testing.assert_close(term(feats, None), expected.reshape(1))


def test_content_term_averages_layers():
    feats = {"x": torch.rand(1, 2, 3, 3), "y": torch.rand(1, 2, 3, 3)}
    term = content_term({"x": feats["x"], "y": torch.zeros_like(feats["y"]) + 1})
    expected = 0.5 * F.mse_loss(feats["y"], torch.ones_like(feats["y"]), reduction="sum") / 18
    torch.testing.assert_close(term(feats, None), expected.reshape(1))


def test_losses_are_per_image_in_a_batch():
    features, image = torch.rand(3, 4, 5, 5), torch.rand(3, 3, 6, 6)
    target = gram_matrix(torch.rand(1, 4, 5, 5))[0]
    for loss, args in [(StyleLoss(target), features), (ContentLoss(features[:1]), features), (TVLoss(), image)]:
        together = loss(args)
        assert together.shape == (3,)
        torch.testing.assert_close(together, torch.cat([loss(args[i:i + 1]) for i in range(3)]))


def test_a_batched_objective_judges_each_image_by_its_own_terms():
    net = lambda x: {"a": torch.nn.functional.avg_pool2d(x, 2)}  # noqa: E731
    images = torch.rand(2, 3, 8, 8, requires_grad=True)
    singles = [build_objective(net, {"a": net(torch.rand(1, 3, 8, 8))["a"]}, [{"a": gram_matrix(torch.rand(1, 3, 4, 4))[0]}],
                               [1.0], {"a": 1.0}, content_weight=1.0, style_weight=10.0, tv_weight=0.5) for _ in range(2)]
    totals, parts = batched(singles)(images)
    for i, single in enumerate(singles):
        total, part = single(images[i:i + 1])
        torch.testing.assert_close(totals[i:i + 1], total)
        for name in part:
            torch.testing.assert_close(parts[name][i:i + 1], part[name])
    grad, = torch.autograd.grad(totals[1], images)
    assert grad[0].abs().max() == 0 and grad[1].abs().max() > 0  # image 0's gradient does not see image 1's loss


@pytest.mark.parametrize("weights", [[], [0, 0], [-1, 2], [float("nan")], [float("inf"), 1]])
def test_bad_weights_are_rejected(weights):
    with pytest.raises(ValueError):
        shares.normalise(weights)
