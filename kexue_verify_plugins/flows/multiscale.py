r"""Glow's multi-scale architecture (post §多尺度结构; ``openai/glow`` ``model.py``): the split with its conditional
prior, a sequence of layers, the Glow step (actnorm → invertible 1×1 convolution → coupling) and the multi-scale
Glow.  The layers they are made of are in :mod:`.layers`; every one follows the flow-layer protocol
(``forward(x) -> (y, log_abs_det)``, ``inverse(y) -> (x, log_abs_det_inverse)``, log-dets of shape ``(N,)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import torch
from torch import Tensor, nn

from kexue_verify_plugins.flows.layers import (
    ActNorm,
    AdditiveCoupling,
    AffineCoupling,
    FlowModule,
    InvConv1x1,
    InvConv1x1LU,
    Squeeze,
    conditioner,
    per_sample,
    random_permutation,
    reverse_permutation,
    split_halves,
    squeezed_shape,
)

__all__ = ["FlowSequence", "GlowStep", "MultiScaleGlow", "SplitPrior"]


# --------------------------------------------------------------------------------------------- multi-scale split


class SplitPrior(FlowModule):
    r"""The multi-scale split with its conditional prior, written as a "conditional actnorm" (post §多尺度结构;
    ``openai/glow`` ``split2d``/``split2d_prior``).

    The factored-out half :math:`z_2` is modelled as :math:`\mathcal N(\mu(z_1),\sigma(z_1)^2)`; equivalently the
    layer maps :math:`z_2\mapsto\hat z_2=(z_2-\mu(z_1))/\sigma(z_1)`, with :math:`\log|\det J|=-\sum\log\sigma`, and
    :math:`\hat z_2` is standard normal:
    :math:`\log\mathcal N(z_2;\mu,\sigma^2)=\log\mathcal N(\hat z_2;0,I)-\sum\log\sigma` (post eqs. (3)–(5)).
    """

    invariants = ("triangular", "positive-scales")

    def __init__(self, event_shape: Sequence[int], hidden: int = 16) -> None:
        super().__init__(event_shape)
        c = self.event_shape[0]
        c1 = (c + 1) // 2
        self.net = conditioner(c1, 2 * (c - c1), hidden, image=len(self.event_shape) == 3)

    def mean_and_log_std(self, z1: Tensor) -> tuple[Tensor, Tensor]:
        mu, log_sigma = self.net(z1).chunk(2, dim=1)
        return mu, log_sigma

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        z1, z2 = split_halves(x)
        mu, log_sigma = self.mean_and_log_std(z1)
        return torch.cat([z1, (z2 - mu) * (-log_sigma).exp()], dim=1), -per_sample(log_sigma)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        z1, zhat = split_halves(y)
        mu, log_sigma = self.mean_and_log_std(z1)
        return torch.cat([z1, mu + zhat * log_sigma.exp()], dim=1), per_sample(log_sigma)

    def log_prior(self, x: Tensor) -> Tensor:
        r"""The split prior (``split2d_prior``), per sample:
        :math:`\log p(z_2\mid z_1)=\sum\log\mathcal N(z_2;\mu(z_1),\sigma(z_1)^2)`."""
        z1, z2 = split_halves(x)
        mu, log_sigma = self.mean_and_log_std(z1)
        return per_sample(torch.distributions.Normal(mu, log_sigma.exp()).log_prob(z2))

    def sample(self, z1: Tensor, temperature: float, generator: torch.Generator | None = None) -> Tensor:
        r"""Draw :math:`z_2=\mu(z_1)+T\,\sigma(z_1)\,\epsilon` (``pz.sample2(pz.eps * eps_std)`` in ``openai/glow``)."""
        mu, log_sigma = self.mean_and_log_std(z1)
        where = generator.device if generator is not None else mu.device
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=where).to(mu.device)
        return mu + temperature * log_sigma.exp() * eps


# --------------------------------------------------------------------------------------------- compositions


class FlowSequence(FlowModule):
    """Layers applied in order; log-dets add up (chain rule), the inverse runs them backwards."""

    def __init__(self, event_shape: Sequence[int], layers: Sequence[nn.Module]) -> None:
        super().__init__(event_shape)
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        total = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            total = total + ld
        return x, total

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        total = y.new_zeros(y.shape[0])
        for layer in reversed(self.layers):
            y, ld = cast(FlowModule, layer).inverse(y)  # a flow layer (nn.ModuleList items are typed Module)
            total = total + ld
        return y, total


class GlowStep(FlowSequence):
    """One step of Glow (``revnet2d_step``): actnorm → permutation (1×1 conv, LU by default) → coupling."""

    def __init__(self, event_shape: Sequence[int], generator: torch.Generator, hidden: int = 16,
                 permutation: str = "lu", coupling: str = "affine") -> None:
        perms = {
            "lu": lambda: InvConv1x1LU(event_shape, generator),
            "conv": lambda: InvConv1x1(event_shape, generator),
            "reverse": lambda: reverse_permutation(event_shape),
            "shuffle": lambda: random_permutation(event_shape, generator),
        }
        couple = (AdditiveCoupling(event_shape, hidden) if coupling == "additive"
                  else AffineCoupling(event_shape, hidden, scale="sigmoid"))
        super().__init__(event_shape, [ActNorm(event_shape), perms[permutation](), couple])


class MultiScaleGlow(FlowModule):
    r"""Glow's multi-scale architecture: per level a squeeze, ``depth`` steps, then (except at the last level) a
    split whose factored-out half is standardised by its conditional prior (:class:`SplitPrior`).

    The output is every factored-out part and the final one, flattened and concatenated, ``(N, D)``: with three
    levels their sizes are :math:`D/2, D/4, D/4`, which add up to :math:`D` (post §多尺度结构, FLOW-7).
    """

    def __init__(self, event_shape: Sequence[int], generator: torch.Generator, levels: int = 3, depth: int = 2,
                 hidden: int = 16) -> None:
        super().__init__(event_shape)
        self.levels = nn.ModuleList()
        self.splits = nn.ModuleList()
        self.part_shapes: list[tuple[int, ...]] = []
        shape = tuple(self.event_shape)
        for level in range(levels):
            shape = squeezed_shape(shape)
            steps = [Squeeze(shape)] + [GlowStep(shape, generator, hidden) for _ in range(depth)]
            self.levels.append(FlowSequence(shape, steps))
            if level < levels - 1:
                self.splits.append(SplitPrior(shape, hidden))
                c1 = (shape[0] + 1) // 2
                self.part_shapes.append((shape[0] - c1, *shape[1:]))
                shape = (c1, *shape[1:])
        self.part_shapes.append(shape)

    def output_sizes(self) -> list[int]:
        """The number of entries of each factored-out part, in the order they leave the flow."""
        return [math.prod(s) for s in self.part_shapes]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        total = x.new_zeros(x.shape[0])
        parts = []
        for i, level in enumerate(self.levels):
            x, ld = level(x)
            total = total + ld
            if i < len(self.splits):
                x, ld = self.splits[i](x)
                total = total + ld
                x, zhat = split_halves(x)
                parts.append(zhat.reshape(x.shape[0], -1))
        parts.append(x.reshape(x.shape[0], -1))
        return torch.cat(parts, dim=1), total

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        n = y.shape[0]
        pieces = list(torch.split(y, self.output_sizes(), dim=1))
        x = pieces.pop().reshape(n, *self.part_shapes[-1])
        total = y.new_zeros(n)
        for i in reversed(range(len(self.levels))):
            if i < len(self.splits):
                zhat = pieces.pop().reshape(n, *self.part_shapes[i])
                x, ld = cast(SplitPrior, self.splits[i]).inverse(torch.cat([x, zhat], dim=1))
                total = total + ld
            x, ld = cast(FlowSequence, self.levels[i]).inverse(x)
            total = total + ld
        return x, total
