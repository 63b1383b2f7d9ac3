r"""Buggy flow layers that hide from bounded probing and from self-referential ground truth.

:math:`R` is the probe's reach in the run's dtype (:func:`.probing.dtype_radius`).  Each passes every generic check
that probes only a few standard deviations out, or that takes the autograd Jacobian
as ground truth; the magnitude sweep (:mod:`.probing`) or the finite-difference cross-check (:mod:`.reference`)
refutes it.

=========================  =========================================================================  ==============
factory                    the bug                                                                    caught by
=========================  =========================================================================  ==============
``make_far_clamp``         an affine coupling whose output is clamped to :math:`\pm R/8` (a "safety"  magnitude sweep
                           clamp; 1024 in float64), log-det of the unclamped map
``make_saturating``        identity for :math:`|x|\le T=R/160` (51 in float64), then               magnitude sweep
                           :math:`T+\tanh(x-T)` (a soft range limit), log-det 0 "because it is the
                           identity"
``make_wrong_backward``    :math:`y=x+c\tanh x` through a custom ``torch.autograd.Function`` whose    finite
                           ``backward`` returns :math:`2c\,\mathrm{sech}^2x`; the log-det and the        differences
                           inverse's backward are consistent with that wrong derivative
=========================  =========================================================================  ==============
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from kexue_verify_plugins.flows.layers import AffineCoupling, FlowModule, finish_layer, per_sample, seeded
from kexue_verify_plugins.flows.probing import dtype_radius

__all__ = ["HIDDEN", "make_far_clamp", "make_saturating", "make_wrong_backward"]

VECTOR = (8,)


def _seed(ctx: Any) -> int:
    return int(getattr(ctx, "seed", 0))


class FarClamp(AffineCoupling):
    """Exp-affine coupling followed by ``clamp(·, -1e3, 1e3)``; reports the coupling's Σ log s."""

    bound = 1e3

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, ld = super().forward(x)
        return y.clamp(-self.bound, self.bound), ld

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        return super().inverse(y)


class Saturating(FlowModule):
    """Elementwise: ``x`` for ``|x| ≤ T``, ``sign(x)(T + tanh(|x| − T))`` beyond (C¹ at T); reports log-det 0."""

    threshold = 50.0

    def __init__(self, event_shape: Sequence[int]) -> None:
        super().__init__(event_shape)
        self.shift = nn.Parameter(torch.zeros(*event_shape))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        t = self.threshold
        mag = x.abs()
        y = torch.where(mag <= t, x, torch.sign(x) * (t + torch.tanh((mag - t).clamp_min(0))))
        return y + self.shift, torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        t = self.threshold
        z = y - self.shift
        mag = z.abs()
        x = torch.where(mag <= t, z, torch.sign(z) * (t + torch.atanh((mag - t).clamp(0, 1))))
        return x, torch.zeros(y.shape[0], dtype=y.dtype, device=y.device)


def _sech2(x: Tensor) -> Tensor:
    return 1 - torch.tanh(x) ** 2


class _TanhWrongGrad(torch.autograd.Function):
    """``tanh`` whose backward multiplies by ``factor · sech²`` (``factor = 2``: a doubled derivative) where
    ``|x| < cutoff`` and by 0 beyond."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, factor: float, cutoff: float) -> Tensor:  # type: ignore[override]
        return torch.tanh(x)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        x, factor, cutoff = inputs
        ctx.save_for_backward(x)
        ctx.factor, ctx.cutoff = factor, cutoff

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * ctx.factor * _sech2(x) * (x.abs() < ctx.cutoff), None, None


class _SolveWrongGrad(torch.autograd.Function):
    """The inverse of ``y = x + c tanh x`` by Newton's method, with the backward of the *wrong* forward derivative."""

    generate_vmap_rule = True

    @staticmethod
    def forward(y: Tensor, c: Tensor, factor: float, cutoff: float) -> Tensor:  # type: ignore[override]
        x = y.clone()
        for _ in range(60):
            x = x - (x + c * torch.tanh(x) - y) / (1 + c * _sech2(x))
        return x

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        _, c, factor, cutoff = inputs
        ctx.save_for_backward(output, c)
        ctx.factor, ctx.cutoff = factor, cutoff

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None, None]:  # type: ignore[override]
        x, c = ctx.saved_tensors
        return grad / (1 + c * ctx.factor * _sech2(x) * (x.abs() < ctx.cutoff)), None, None, None


class WrongBackward(FlowModule):
    """``y = x + c tanh x`` elementwise (``0 < c < 1``); backward, log-det and inverse all use the wrong derivative
    ``1 + factor·c·sech²x`` (``|x| < cutoff``), so autograd, the reported log-det and the inverse agree with each
    other and not with the forward map."""

    invariants = ("diagonal", "positive-scales", "triangular")

    def __init__(self, event_shape: Sequence[int], factor: float = 2.0, cutoff: float = float("inf")) -> None:
        super().__init__(event_shape)
        self.c = nn.Parameter(torch.tensor(0.5))
        self.factor, self.cutoff = factor, cutoff

    def _slope(self, x: Tensor) -> Tensor:
        return 1 + self.factor * self.c * _sech2(x) * (x.abs() < self.cutoff)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y = x + self.c * _TanhWrongGrad.apply(x, self.factor, self.cutoff)
        return y, per_sample(torch.log(self._slope(x)))

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x = _SolveWrongGrad.apply(y, self.c.detach(), self.factor, self.cutoff)
        return x, -per_sample(torch.log(self._slope(x)))


def _far(ctx: Any) -> float:
    """The probe's reach in the run's dtype (:func:`.probing.dtype_radius`: 8192 in float64, 53 in float32)."""
    return dtype_radius(getattr(ctx, "dtype", "float64"))


def make_far_clamp(ctx: Any) -> FlowModule:
    """Clamp at an eighth of the probe's reach: 1024 in float64, far beyond the tails (|x| ≲ 21)."""
    with seeded(_seed(ctx)) as gen:
        layer = finish_layer(FarClamp(VECTOR, scale="exp"), gen)
    layer.bound = _far(ctx) / 8
    return layer


def make_saturating(ctx: Any) -> FlowModule:
    """Saturate beyond 1/160 of the probe's reach: |x| = 51 in float64 (0.34 in float32, where the reach is 53)."""
    with seeded(_seed(ctx)) as gen:
        layer = finish_layer(Saturating(VECTOR), gen, ddi=False)
    layer.threshold = _far(ctx) / 160
    return layer


def make_wrong_backward(ctx: Any) -> FlowModule:
    with seeded(_seed(ctx)) as gen:
        return finish_layer(WrongBackward(VECTOR), gen, ddi=False)


#: The factories of this module, by bug name.
HIDDEN: dict[str, str] = {name: f"{__name__}:make_{name.replace('-', '_')}"
                          for name in ("far-clamp", "saturating", "wrong-backward")}
