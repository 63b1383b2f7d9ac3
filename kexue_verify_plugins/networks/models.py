"""Torch models of the post: θ-networks with fixed weights, the trained perceptron and tanh nets, the 100→50→100
autoencoder and the one-hidden-layer approximator.

Each trainer takes its randomness from the check's context, so a run is reproducible from ``--seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import torch
from torch import nn

from kexue_verify import CheckContext
from kexue_verify.helpers import least_squares

from .boolean import TruthTable, arity, inputs

__all__ = [
    "ThetaNetwork",
    "fit_approximator",
    "fit_autoencoder",
    "perceptron_train",
    "train_tanh_net",
]


def _number(value: Any) -> float:
    return float(Fraction(str(value)))


class ThetaNetwork(nn.Module):
    """A feed-forward McCulloch–Pitts network: ``v ↦ θ(W v + b)`` per layer, θ(z) = 1 for z ≥ 0, −1 otherwise."""

    def __init__(self, layers: Sequence[tuple[Sequence[Sequence[Any]], Sequence[Any]]]) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        for weights, biases in layers:
            rows = [[_number(w) for w in row] for row in weights]
            linear = nn.Linear(len(rows[0]), len(rows))
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(rows))
                linear.bias.copy_(torch.tensor([_number(b) for b in biases]))
            self.layers.append(linear)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear in self.layers:
            z = linear(x)
            x = torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))
        return x


def perceptron_train(ctx: CheckContext, table: TruthTable, *, epochs: int) -> tuple[bool, int]:
    """Rosenblatt's rule ``w ← w + (t − ŷ) x`` (targets ±1, bias as a constant input) on ``table``, from zero weights.

    Returns whether an epoch ended with every point right, and how many epochs were run.
    """
    n = arity(table)
    x = torch.cat([ctx.tensor(inputs(n)), ctx.tensor([[1.0]] * 2**n)], dim=1)
    target = ctx.tensor([1.0 if t else -1.0 for t in table])
    w = torch.zeros(n + 1, dtype=ctx.torch_dtype, device=ctx.device)
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for xi, ti in zip(x, target, strict=True):
            yi = 1.0 if float(xi @ w) >= 0 else -1.0
            if yi != float(ti):
                w = w + 0.5 * (ti - yi) * xi
                mistakes += 1
        if mistakes == 0:
            return True, epoch
    return False, epochs


def train_tanh_net(ctx: CheckContext, table: TruthTable, *, hidden: int, restarts: int, steps: int = 500) -> float:
    """Best training accuracy of 2-``hidden``-1 tanh networks (``hidden = 0``: one tanh neuron) over random restarts.

    The restarts are trained together as one batched network (a leading restart dimension on every weight, so each
    restart is an independent 2-``hidden``-1 net): squared loss to ±1 targets, 500 Adam steps (lr 0.1), standard-normal
    initialisation; the prediction is the sign of the output.
    """
    n = arity(table)
    dt, dev = ctx.torch_dtype, ctx.device
    x = ctx.tensor(inputs(n))
    target = ctx.tensor([1.0 if t else -1.0 for t in table])[:, None]
    gen = ctx.generator(offset=hidden)

    def init(*shape: int) -> torch.Tensor:
        return torch.randn(restarts, *shape, generator=gen, dtype=dt, device=dev).requires_grad_()

    shapes = [(n, hidden), (1, hidden), (hidden, 1), (1, 1)] if hidden else [(n, 1), (1, 1)]
    params = [init(*shape) for shape in shapes]

    def forward() -> torch.Tensor:
        if hidden:
            h = torch.tanh(x @ params[0] + params[1])
            return torch.tanh(h @ params[2] + params[3])
        return torch.tanh(x @ params[0] + params[1])

    opt = torch.optim.Adam(params, lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((forward() - target) ** 2).mean(dim=(1, 2)).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        accuracy = (torch.sign(forward()) == target).to(dt).mean(dim=(1, 2))
    return float(accuracy.max())


def fit_autoencoder(ctx: CheckContext, data: torch.Tensor, code: int, *, sweeps: int = 60) -> float:
    """Train a bias-free linear autoencoder ``d → code → d`` by alternating least squares; return ‖X − XCD‖²/N.

    From a random encoder C, each sweep sets the decoder D to the least-squares optimum for the current codes XC,
    then C to the optimum for the current D (both by ``torch.linalg.lstsq``); the squared error never increases.
    The weights live in two ``nn.Linear`` modules and the error is measured through them: the trained value is
    measured, not built in (no SVD is used).
    """
    d = data.shape[1]
    gen = ctx.generator(offset=code)
    enc = nn.Linear(d, code, bias=False).to(device=ctx.device, dtype=ctx.torch_dtype)
    dec = nn.Linear(code, d, bias=False).to(device=ctx.device, dtype=ctx.torch_dtype)
    with torch.no_grad():
        enc.weight.copy_(torch.randn(code, d, generator=gen, dtype=ctx.torch_dtype, device=ctx.device) / d**0.5)
        for _ in range(sweeps):
            codes = enc(data)
            dec.weight.copy_(least_squares(codes, data).T)
            # min_C ||X - X C D||: solve X C = Y for the Y minimising ||X - Y D||, i.e. Y = X D⁺
            target = least_squares(dec.weight, data.T).T
            enc.weight.copy_(least_squares(data, target).T)
        return float(((data - dec(enc(data))) ** 2).sum() / data.shape[0])


def fit_approximator(ctx: CheckContext, widths: Sequence[int], activation: str, *, restarts: int = 6,
                     steps: int = 2000) -> dict[int, float]:
    """Sup error on [−π, π] of one-hidden-layer nets fitted to sin 3x: the best of ``restarts`` for each width.

    All ``len(widths) × restarts`` nets train together as one batched model (a leading net dimension on every
    weight; a net of width m < max(widths) has its other hidden units masked out), by 2000 Adam steps (lr 0.02) on
    the squared error at 256 equispaced points; the sup is measured on 4001 points of the same interval.
    """
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda z: z}[activation]
    dt, dev = ctx.torch_dtype, ctx.device
    top, nets = max(widths), len(widths) * restarts
    x = torch.linspace(-torch.pi, torch.pi, 256, dtype=dt, device=dev)[None, :, None]
    grid = torch.linspace(-torch.pi, torch.pi, 4001, dtype=dt, device=dev)[None, :, None]
    mask = torch.zeros(nets, 1, top, dtype=dt, device=dev)
    for i, w in enumerate(widths):
        mask[i * restarts:(i + 1) * restarts, :, :w] = 1
    gen = ctx.generator(offset=top)

    def init(*shape: int, scale: float) -> torch.Tensor:
        return (scale * torch.randn(nets, *shape, generator=gen, dtype=dt, device=dev)).requires_grad_()

    w1, b1 = init(1, top, scale=2.0), init(1, top, scale=2.0)
    w2, b2 = init(top, 1, scale=1.0 / top**0.5), init(1, 1, scale=0.1)

    def forward(t: torch.Tensor) -> torch.Tensor:
        return (act(t @ w1 + b1) * mask) @ w2 + b2

    opt = torch.optim.Adam([w1, b1, w2, b2], lr=0.02)
    target = torch.sin(3 * x)
    for _ in range(steps):
        opt.zero_grad()
        ((forward(x) - target) ** 2).mean(dim=(1, 2)).sum().backward()
        opt.step()
    with torch.no_grad():
        sup = (forward(grid) - torch.sin(3 * grid)).abs().amax(dim=(1, 2))
    sup = torch.where(torch.isnan(sup), torch.full_like(sup, float("inf")), sup)  # a diverged restart never wins
    return {w: float(sup[i * restarts:(i + 1) * restarts].min()) for i, w in enumerate(widths)}
