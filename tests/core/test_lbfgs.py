"""The per-image L-BFGS: torch's algorithm for one image, independent histories for a batch."""

from __future__ import annotations

import torch

from artstyle.core.lbfgs import BatchLBFGS


def _loss(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """A smooth non-quadratic per-image loss [B,...] -> [B] (a different problem per row of ``a``)."""
    return ((x - a) ** 2 * (1 + x**2)).flatten(1).sum(1) + (x.flatten(1) ** 4).sum(1) * 0.1


def _run_ours(start: torch.Tensor, a: torch.Tensor, steps: int, active=None, history: list | None = None) -> list[torch.Tensor]:
    x = start.clone().requires_grad_(True)
    opt = BatchLBFGS(x, history_size=5)
    path = []
    for _ in range(steps):
        grad, = torch.autograd.grad(_loss(x, a).sum(), x)
        opt.step(grad, active)
        path.append(x.detach().clone())
        if history is not None:
            history.append(opt.head.tolist())
    return path


def test_one_image_follows_torch_lbfgs_step_for_step():
    torch.manual_seed(0)
    a = torch.randn(1, 3, 4, 4, dtype=torch.float64)
    start = torch.zeros_like(a)
    ours = _run_ours(start, a, 25)
    x = start.clone().requires_grad_(True)
    theirs = torch.optim.LBFGS([x], lr=1, max_iter=1, history_size=5, tolerance_grad=0, tolerance_change=0)
    for step in range(25):
        def closure():
            theirs.zero_grad()
            loss = _loss(x, a).sum()
            loss.backward()
            return loss
        theirs.step(closure)
        torch.testing.assert_close(ours[step], x.detach(), rtol=1e-9, atol=1e-12, msg=f"step {step + 1}")
    assert float(_loss(ours[-1], a)) < 0.5 * float(_loss(start, a))  # and it does descend


def test_images_in_a_batch_follow_their_own_paths():
    torch.manual_seed(1)
    a = torch.randn(3, 2, 5, 5, dtype=torch.float64) * torch.tensor([0.01, 1.0, 10.0], dtype=torch.float64).view(3, 1, 1, 1)
    start = torch.rand_like(a) * 0.01
    heads: list = []
    together = _run_ours(start, a, 40, history=heads)[-1]
    assert len({tuple(h) for h in heads if len(set(h)) > 1}) > 0  # the easy image converged first: rings out of step
    for i in range(3):
        alone = _run_ours(start[i:i + 1], a[i:i + 1], 40)[-1]
        torch.testing.assert_close(together[i:i + 1], alone, rtol=1e-9, atol=1e-12)


def test_inactive_images_do_not_move_and_the_others_do():
    torch.manual_seed(2)
    a = torch.randn(2, 1, 3, 3, dtype=torch.float64)
    start = torch.zeros_like(a)
    path = _run_ours(start, a, 4, active=torch.tensor([True, False]))
    assert torch.equal(path[-1][1], start[1])
    assert not torch.equal(path[-1][0], start[0])


def test_bounded_steps_stay_in_the_box_and_record_the_step_taken():
    torch.manual_seed(3)
    a = torch.randn(2, 3, 4, 4, dtype=torch.float64) * 2  # optimum partly outside [0, 1]
    x = torch.full_like(a, 0.5).requires_grad_(True)
    opt = BatchLBFGS(x, history_size=5, bounds=(0.0, 1.0))
    for _ in range(30):
        before = x.detach().clone()
        grad, = torch.autograd.grad(_loss(x, a).sum(), x)
        opt.step(grad)
        assert float(x.detach().min()) >= 0.0 and float(x.detach().max()) <= 1.0
        torch.testing.assert_close(opt.previous[1], x.detach() - before)  # the pair's s is the projected step
    assert bool(((x == 0) | (x == 1)).any())  # some pixels sit on the bounds


def test_bounded_reaches_a_lower_clamped_loss_than_clamping_at_the_end():
    """The output is the clamped iterate: projecting every step optimises exactly that output's loss.

    Pixels must interact (as through a network) for this to matter: with a
    separable loss, clamping the free optimum would already be optimal.
    """
    torch.manual_seed(4)
    mixing = torch.randn(48, 48, dtype=torch.float64) / 48**0.5
    wanted = torch.randn(1, 48, dtype=torch.float64) * 2

    def loss(x):
        return (x.flatten(1) @ mixing.T - wanted).pow(2).sum(1)

    results = {}
    for bounds in (None, (0.0, 1.0)):
        x = torch.full((1, 3, 4, 4), 0.5, dtype=torch.float64, requires_grad=True)
        opt = BatchLBFGS(x, history_size=10, bounds=bounds)
        for _ in range(60):
            grad, = torch.autograd.grad(loss(x).sum(), x)
            opt.step(grad)
        results[bounds] = float(loss(x.detach().clamp(0, 1)))
    assert results[(0.0, 1.0)] < 0.9 * results[None]
