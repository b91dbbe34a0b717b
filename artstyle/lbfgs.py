"""L-BFGS with its own history for each image of a batch.

``torch.optim.LBFGS`` sees every parameter as one long vector: images
optimised together with it would share their step sizes and curvature pairs,
so each result would depend on the rest of its batch. :class:`BatchLBFGS`
keeps one history per image, vectorised over the batch dimension, so an
image follows the path it would follow alone (up to floating-point order).

It is the algorithm of ``torch.optim.LBFGS(lr=1, max_iter=1,
line_search_fn=None)``, the way Gatys-style code runs it: one function
evaluation per step, the two-loop recursion (Nocedal & Wright 2006,
Algorithm 7.4) for the direction, a first step scaled by ``1/|g|₁``, then
unit steps. One deliberate difference: a curvature pair that fails the
``yᵀs > 1e-10`` test takes a history slot as a no-op for that image instead
of being skipped, so all images share the slot count (the pair is skipped in
both, but an image may then keep fewer than ``history_size`` pairs).
"""

from __future__ import annotations

import torch
from torch import Tensor

CURVATURE_EPS = 1e-10  # torch.optim.LBFGS's test for a usable curvature pair


def _dot(a: Tensor, b: Tensor) -> Tensor:
    """Per-image dot products: [B,...] x [B,...] -> [B]."""
    return (a * b).flatten(1).sum(1)


def _per_image(values: Tensor, like: Tensor) -> Tensor:
    """[B] -> [B,1,1,...] to scale each image of ``like``."""
    return values.view(-1, *([1] * (like.dim() - 1)))


class BatchLBFGS:
    """L-BFGS on ``image`` [B,...], one independent history per image; ``step`` takes the gradient."""

    def __init__(self, image: Tensor, history_size: int = 100, lr: float = 1.0) -> None:
        self.image = image
        self.history_size = history_size
        self.lr = lr
        self.pairs: list[tuple[Tensor, Tensor, Tensor]] = []  # (s, y, rho) with rho [B], 0 where unusable
        self.h_diag = torch.ones(image.shape[0], dtype=image.dtype, device=image.device)
        self.previous: tuple[Tensor, Tensor] | None = None  # (gradient, step taken) of the last call

    @torch.no_grad()
    def step(self, grad: Tensor, active: Tensor | None = None) -> None:
        """Move each image along its L-BFGS direction; images where ``active`` [B] is False stay put."""
        grad = grad.detach().clone()
        if self.previous is None:
            direction = -grad
            length = torch.clamp(1.0 / grad.abs().flatten(1).sum(1), max=1.0) * self.lr
        else:
            self._remember(grad)
            direction = self._direction(grad)
            length = torch.full_like(self.h_diag, self.lr)
        descent = _dot(grad, direction) < 0  # torch.optim.LBFGS takes no step otherwise
        moving = descent if active is None else descent & active
        taken = direction * _per_image(torch.where(moving, length, torch.zeros_like(length)), direction)
        self.image.add_(taken)
        self.previous = (grad, taken)

    def _remember(self, grad: Tensor) -> None:
        """Add the curvature pair of the last step (a no-op slot for images where it is unusable)."""
        last_grad, s = self.previous
        y = grad - last_grad
        ys = _dot(y, s)
        usable = ys > CURVATURE_EPS
        if not bool(usable.any()):
            return
        if len(self.pairs) == self.history_size:
            self.pairs.pop(0)
        rho = torch.where(usable, 1.0 / torch.where(usable, ys, torch.ones_like(ys)), torch.zeros_like(ys))
        self.pairs.append((s, y, rho))
        self.h_diag = torch.where(usable, ys / _dot(y, y).clamp_min(torch.finfo(ys.dtype).tiny), self.h_diag)

    def _direction(self, grad: Tensor) -> Tensor:
        """-H·grad by the two-loop recursion, per image."""
        q = -grad
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * _dot(s, q)
            q.sub_(y * _per_image(alpha, y))
            alphas.append(alpha)
        r = q * _per_image(self.h_diag, q)
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            beta = rho * _dot(y, r)
            r.add_(s * _per_image(alpha - beta, s))
        return r
