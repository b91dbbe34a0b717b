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
unit steps, skipping curvature pairs that fail its ``yᵀs > 1e-10`` test.

With ``bounds`` each step is projected onto the box (the image's [0, 1]) and
the curvature pair stores the projected step, the one actually taken, so
``y`` and ``s`` still describe the same move. This is the simple projected
L-BFGS, not L-BFGS-B (no active-set subspace): enough here, where a few per
cent of the pixels touch the bounds (:mod:`artstyle.core.optimize`).
"""

from __future__ import annotations

import torch
from torch import Tensor

CURVATURE_EPS = 1e-10  # torch.optim.LBFGS's test for a usable curvature pair


def _dot(a: Tensor, b: Tensor) -> Tensor:
    """Per-image dot products: [B,...] x [B,...] -> [B]."""
    return torch.linalg.vecdot(a.flatten(1), b.flatten(1))  # fused: no [B,...] temporary


def _per_image(values: Tensor, like: Tensor) -> Tensor:
    """[B] -> [B,1,1,...] to scale each image of ``like``."""
    return values.view(-1, *([1] * (like.dim() - 1)))


class BatchLBFGS:
    """L-BFGS on ``image`` [B,...], one independent history per image; ``step`` takes the gradient.

    Each image's curvature pairs live in a ring of ``history_size`` slots
    (``[m,B,...]`` tensors, allocated with the first pair). The bookkeeping (next
    slot and pair count per image) stays on the CPU so that a GPU is synchronised
    once per step, not once per pair; while every image has kept every pair, the
    rings are aligned and each pair is read as a view rather than gathered.
    """

    def __init__(self, image: Tensor, history_size: int = 100, lr: float = 1.0, bounds: tuple[float, float] | None = None) -> None:
        self.image = image
        self.bounds = bounds
        self.history_size = max(1, history_size)
        self.lr = lr
        batch = image.shape[0]
        self.s: Tensor | None = None  # [m,B,...] steps taken
        self.y: Tensor | None = None  # [m,B,...] gradient changes
        self.rho = torch.zeros(self.history_size, batch, dtype=image.dtype, device=image.device)  # 1 / yᵀs
        self.head = torch.zeros(batch, dtype=torch.long)  # next slot per image (CPU)
        self.count = torch.zeros(batch, dtype=torch.long)  # pairs kept per image (CPU)
        self.h_diag = torch.ones(batch, dtype=image.dtype, device=image.device)
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
        moving = descent if active is None else descent & active.to(descent.device)
        taken = direction * _per_image(torch.where(moving, length, torch.zeros_like(length)), direction)
        if self.bounds is None:
            self.image.add_(taken)
        else:  # projected: the pair records the step actually taken, so the curvature stays honest
            before = self.image.clone()
            self.image.add_(taken).clamp_(*self.bounds)
            taken = self.image - before
        self.previous = (grad, taken)

    def _remember(self, grad: Tensor) -> None:
        """Add the last step's curvature pair to the history of each image where it is usable."""
        last_grad, s = self.previous
        y = grad - last_grad
        ys = _dot(y, s)
        usable = ys > CURVATURE_EPS
        images = usable.nonzero().squeeze(1).cpu()  # the one synchronisation of a step
        if not len(images):
            return
        if self.s is None:
            self.s = torch.zeros((self.history_size, *s.shape), dtype=s.dtype, device=s.device)
            self.y = torch.zeros_like(self.s)
        slots = self.head[images]
        on_device = (slots.to(s.device), images.to(s.device))
        self.s[on_device] = s[images.to(s.device)]
        self.y[on_device] = y[images.to(s.device)]
        self.rho[on_device] = 1.0 / ys[images.to(s.device)]
        self.head[images] = (slots + 1) % self.history_size
        self.count[images] = torch.clamp(self.count[images] + 1, max=self.history_size)
        self.h_diag = torch.where(usable, ys / _dot(y, y).clamp_min(torch.finfo(ys.dtype).tiny), self.h_diag)

    def _pair(self, k: int, aligned: bool) -> tuple[Tensor, Tensor, Tensor]:
        """Each image's k-th newest pair (s, y, rho); rho is 0 for images with fewer than k+1 pairs."""
        slots = (self.head - 1 - k) % self.history_size
        if aligned:
            slot = int(slots[0])
            return self.s[slot], self.y[slot], self.rho[slot]
        images = torch.arange(len(slots))
        index = (slots.to(self.rho.device), images.to(self.rho.device))
        valid = (k < self.count).to(self.rho.device)
        return self.s[index], self.y[index], self.rho[index] * valid

    def _direction(self, grad: Tensor) -> Tensor:
        """-H·grad by the two-loop recursion, per image."""
        pairs = int(self.count.max())
        aligned = bool((self.head == self.head[0]).all() and (self.count == self.count[0]).all())
        q = -grad
        alphas = []
        for k in range(pairs):  # newest to oldest
            s, y, rho = self._pair(k, aligned)
            alpha = rho * _dot(s, q)
            q.addcmul_(y, _per_image(-alpha, y))
            alphas.append(alpha)
        r = q * _per_image(self.h_diag, q)
        for k in reversed(range(pairs)):  # oldest to newest
            s, y, rho = self._pair(k, aligned)
            beta = rho * _dot(y, r)
            r.addcmul_(s, _per_image(alphas[k] - beta, s))
        return r
