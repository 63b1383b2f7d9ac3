r"""A corpus of buggy flow layers, each modelled on a mistake that public flow code has made, and the false variants
of the generic claims: every one must be refuted by the generic checks (:mod:`.checks`).

=============================  ==========================================================  ======================
factory                        the bug                                                     consistency-only check
=============================  ==========================================================  ======================
``make_inverse_sign_flip``     the inverse reports :math:`+\sum\log s` (wrong sign, one       catches it
                               direction)
``make_sign_flip``             both directions report the other direction's log-det        passes it
                               (the x→z / z→x conventions of two libraries mixed up)
``make_missing_abs``           ``torch.log(torch.det(W))``: NaN once :math:`\det W<0`       catches it (NaN)
``make_per_element_logdet``    :math:`\log s` returned unreduced, shape ``(N, c/2, h, w)``  passes it
``make_batch_summed_logdet``   ``log_s.sum()`` over the whole batch: a 0-dim log-det        passes it
``make_stale_cache``           :math:`h\,w\log|\det W|` cached on the first call, reused   passes it
                               after the weights change (an eval-mode cache)
``make_linearised_logdet``     :math:`\sum(s-1)` for :math:`\sum\log s`: exact at the      passes it
                               zero-initialised identity, so a test at init hides it
``make_orthogonal_assumed``    log-det 0 "because W is orthogonal" — true only at init     passes it
``make_missing_hw``            :math:`\log|\det W|` without the :math:`h\,w` factor          passes it
                               (FLOW-10)
``make_doubled_logdet``        :math:`2\sum\log s`, counting both halves (FLOW-2)           passes it
``make_lu_without_pivoting``   LU 1×1 convolution factored without pivoting from the       catches it (NaN)
                               reversal: a zero pivot (FLOW-11)
``make_tail_clamp``            the scale is clamped to :math:`e^{\pm1}` but the log-det     passes it
                               uses the unclamped :math:`\log s`: wrong only in the tails
``make_wrong_inverse``         :math:`x_2=h_2/s-t` (FLOW-1)                                catches it
``make_wrong_inverse_scaled``  :math:`x_2=(h_2-t)\,s` (FLOW-1)                             catches it
``make_mask_leak``             the conditioner also sees the half it transforms            catches it
``make_duplicate_shuffle``     a "shuffle" drawn with ``randint``: not a permutation       catches it
``make_raw_scale``             :math:`s=1+h` instead of :math:`e^h` ("forgot the exp"),    passes it
                               reported :math:`\sum\log|s|`: scales change sign in tails
=============================  ==========================================================  ======================

The 2-D flows ``make_realnvp_2d_doubled``, ``make_glow_2d_sign_flip`` and ``make_realnvp_2d_linearised`` are the
false variants of the density claim (their densities do not integrate to 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

import torch
from torch import Tensor

from kexue_verify_plugins.flows.layers import (
    AffineCoupling,
    ChannelPermutation,
    FlowModule,
    InvConv1x1,
    InvConv1x1LU,
    finish_layer,
    mix_channels,
    per_sample,
    reverse_permutation,
    seeded,
    spatial_size,
    split_halves,
)
from kexue_verify_plugins.flows.multiscale import FlowSequence, GlowStep

IMAGE = (4, 4, 4)


def _seed(ctx: Any) -> int:
    return int(getattr(ctx, "seed", 0))


# --------------------------------------------------------------------------------------------- couplings


class InverseSignFlip(AffineCoupling):
    """The inverse reports +Σ log s."""

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, ld = super().inverse(y)
        return x, -ld


class SignFlip(AffineCoupling):
    """Forward reports −Σ log s and the inverse +Σ log s: each direction reports the other's log-det."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, ld = super().forward(x)
        return y, -ld

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, ld = super().inverse(y)
        return x, -ld


class PerElementLogdet(AffineCoupling):
    """Returns log s elementwise, not summed per sample."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, _ = super().forward(x)
        return y, self.log_scale_and_shift(split_halves(x)[0])[0]

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, _ = super().inverse(y)
        return x, -self.log_scale_and_shift(split_halves(y)[0])[0]


class BatchSummedLogdet(AffineCoupling):
    """Returns ``log_s.sum()``: one number for the whole batch."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, ld = super().forward(x)
        return y, ld.sum()

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, ld = super().inverse(y)
        return x, ld.sum()


class LinearisedLogdet(AffineCoupling):
    """Reports Σ(s − 1), the first-order expansion of Σ log s around the identity."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, _ = super().forward(x)
        log_s, _ = self.log_scale_and_shift(split_halves(x)[0])
        return y, per_sample(log_s.exp() - 1)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, _ = super().inverse(y)
        log_s, _ = self.log_scale_and_shift(split_halves(y)[0])
        return x, -per_sample(log_s.exp() - 1)


class DoubledLogdet(AffineCoupling):
    """Reports 2Σ log s."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, ld = super().forward(x)
        return y, 2 * ld

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, ld = super().inverse(y)
        return x, 2 * ld


class TailClamp(AffineCoupling):
    """Clamps log s to [−1, 1] in the transform but reports the unclamped Σ log s."""

    clamp = 1.0

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x1, x2 = split_halves(x)
        log_s, t = self.log_scale_and_shift(x1)
        y2 = x2 * log_s.clamp(-self.clamp, self.clamp).exp() + t
        return torch.cat([x1, y2], dim=1), per_sample(log_s)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y1, y2 = split_halves(y)
        log_s, t = self.log_scale_and_shift(y1)
        x2 = (y2 - t) * (-log_s.clamp(-self.clamp, self.clamp)).exp()
        return torch.cat([y1, x2], dim=1), -per_sample(log_s)


class WrongInverse(AffineCoupling):
    """Inverts h₂ = s x₂ + t as x₂ = h₂/s − t."""

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y1, y2 = split_halves(y)
        log_s, t = self.log_scale_and_shift(y1)
        return torch.cat([y1, y2 * (-log_s).exp() - t], dim=1), -per_sample(log_s)


class WrongInverseScaled(AffineCoupling):
    """Inverts h₂ = s x₂ + t as x₂ = (h₂ − t)·s."""

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y1, y2 = split_halves(y)
        log_s, t = self.log_scale_and_shift(y1)
        return torch.cat([y1, (y2 - t) * log_s.exp()], dim=1), -per_sample(log_s)


class MaskLeak(AffineCoupling):
    """The conditioner's input is x₁ + x₂ (a mask applied to the wrong tensor), so it sees the transformed half."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x1, x2 = split_halves(x)
        log_s, t = self.log_scale_and_shift(x1 + x2)
        return torch.cat([x1, x2 * log_s.exp() + t], dim=1), per_sample(log_s)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y1, y2 = split_halves(y)
        log_s, t = self.log_scale_and_shift(y1 + y2)
        return torch.cat([y1, (y2 - t) * (-log_s).exp()], dim=1), -per_sample(log_s)


class RawScale(AffineCoupling):
    """s = 1 + h (the exp forgotten); reports Σ log|s|, which is right, but s changes sign in the tails."""

    def log_scale_and_shift(self, x1: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError("RawScale works with the signed scale itself")

    def _scale_and_shift(self, x1: Tensor) -> tuple[Tensor, Tensor]:
        h_s, t = self.net(x1).chunk(2, dim=1)
        return 1 + h_s, t

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x1, x2 = split_halves(x)
        s, t = self._scale_and_shift(x1)
        return torch.cat([x1, x2 * s + t], dim=1), per_sample(s.abs().log())

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y1, y2 = split_halves(y)
        s, t = self._scale_and_shift(y1)
        return torch.cat([y1, (y2 - t) / s], dim=1), -per_sample(s.abs().log())


# --------------------------------------------------------------------------------------------- 1×1 convolutions


class MissingAbs(InvConv1x1):
    """log-det = h·w·log(det W) with ``torch.log(torch.det(W))``: NaN when det W < 0."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        ld = spatial_size(x) * torch.log(torch.det(self.weight))
        return mix_channels(x, self.weight), ld.expand(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        ld = spatial_size(y) * torch.log(torch.det(self.weight))
        return mix_channels(y, torch.linalg.inv(self.weight)), (-ld).expand(y.shape[0])


class StaleCache(InvConv1x1):
    """Caches h·w·log|det W| on the first call and reuses it: stale once W changes."""

    def __init__(self, event_shape: Sequence[int], generator: torch.Generator) -> None:
        super().__init__(event_shape, generator)
        self._cached: Tensor | None = None

    def _logdet(self, x: Tensor) -> Tensor:
        if self._cached is None:
            self._cached = (spatial_size(x) * torch.linalg.slogdet(self.weight)[1]).detach()
        return self._cached

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return mix_channels(x, self.weight), self._logdet(x).expand(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        return mix_channels(y, torch.linalg.inv(self.weight)), (-self._logdet(y)).expand(y.shape[0])


class OrthogonalAssumed(InvConv1x1):
    """Reports log-det 0 because W was initialised orthogonal; declares the orthogonality it assumes."""

    invariants = ("pixelwise", "orthogonal")

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return mix_channels(x, self.weight), x.new_zeros(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        return mix_channels(y, torch.linalg.inv(self.weight)), y.new_zeros(y.shape[0])


class MissingHW(InvConv1x1):
    """Reports log|det W| without the h·w factor."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y, ld = super().forward(x)
        return y, ld / spatial_size(x)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        x, ld = super().inverse(y)
        return x, ld / spatial_size(y)


def doolittle_without_pivoting(w: Tensor) -> tuple[Tensor, Tensor]:
    """``W = L U`` by Doolittle's recurrences with no row exchange; a zero pivot gives Inf/NaN, not an error."""
    c = w.shape[0]
    lower, upper = torch.eye(c, dtype=w.dtype), torch.zeros_like(w)
    for i in range(c):
        upper[i, i:] = w[i, i:] - lower[i, :i] @ upper[:i, i:]
        lower[i + 1:, i] = (w[i + 1:, i] - lower[i + 1:, :i] @ upper[:i, i]) / upper[i, i]
    return lower, upper


class LUWithoutPivoting(InvConv1x1LU):
    """The LU 1×1 convolution initialised from the channel reversal, factored without pivoting (P = I)."""

    def __init__(self, event_shape: Sequence[int], generator: torch.Generator) -> None:
        super().__init__(event_shape, generator)
        c = self.event_shape[0]
        reversal = torch.eye(c, dtype=torch.float64).flip(0)
        with torch.no_grad():
            lower, upper = doolittle_without_pivoting(reversal)
            s = torch.diagonal(upper)
            self.p.copy_(torch.eye(c, dtype=torch.float64))
            self.sign_s.copy_(torch.sign(s))
            self.lower.copy_(lower * self.lower_mask)
            self.upper.copy_(torch.triu(upper, 1))
            self.log_s.copy_(torch.log(s.abs()))


# --------------------------------------------------------------------------------------------- permutations


class DuplicateShuffle(ChannelPermutation):
    """A "random shuffle" drawn with ``randint``: indices repeat, so it is not a permutation (nor invertible)."""

    def __init__(self, event_shape: Sequence[int], generator: torch.Generator) -> None:
        FlowModule.__init__(self, event_shape)
        c = self.event_shape[0]
        idx = torch.randint(0, c, (c,), generator=generator)
        while len(set(idx.tolist())) == c:  # make sure the bug is there
            idx = torch.randint(0, c, (c,), generator=generator)
        self.register_buffer("perm", idx)
        self.register_buffer("inv_perm", torch.argsort(idx))


# --------------------------------------------------------------------------------------------- factories


_A = TypeVar("_A", bound=AffineCoupling)


def _coupling(cls: type[_A], ctx: Any, *, shape: Sequence[int] = IMAGE, scale: str = "exp",
              perturb: float = 0.1, identity_init: bool = False) -> _A:
    with seeded(_seed(ctx)) as gen:
        layer = cls(shape, scale=scale)
        if identity_init:
            return layer.double()
        return finish_layer(layer, gen, scale=perturb)


def _conv(cls: type[InvConv1x1], ctx: Any, *, identity_init: bool = False, negative_det: bool = False) -> FlowModule:
    with seeded(_seed(ctx)) as gen:
        layer = cls(IMAGE, gen).double()
        if negative_det and torch.linalg.det(layer.weight) > 0:
            with torch.no_grad():
                layer.weight[0].neg_()
        if identity_init:
            return layer
        return finish_layer(layer, gen, ddi=False)  # no warm-up call here: a cache is first filled by the check


def make_inverse_sign_flip(ctx: Any) -> FlowModule:
    return _coupling(InverseSignFlip, ctx)


def make_sign_flip(ctx: Any) -> FlowModule:
    return _coupling(SignFlip, ctx)


def make_missing_abs(ctx: Any) -> FlowModule:
    return _conv(MissingAbs, ctx, negative_det=True)


def make_per_element_logdet(ctx: Any) -> FlowModule:
    return _coupling(PerElementLogdet, ctx)


def make_batch_summed_logdet(ctx: Any) -> FlowModule:
    return _coupling(BatchSummedLogdet, ctx)


def make_stale_cache(ctx: Any) -> FlowModule:
    return _conv(StaleCache, ctx)


def make_linearised_logdet(ctx: Any) -> FlowModule:
    """Returned at its zero initialisation (the identity), where Σ(s−1) = Σ log s = 0: a test at init passes it."""
    return _coupling(LinearisedLogdet, ctx, identity_init=True)


def make_orthogonal_assumed(ctx: Any) -> FlowModule:
    """Returned at its orthogonal initialisation, where log|det W| = 0 indeed."""
    return _conv(OrthogonalAssumed, ctx, identity_init=True)


def make_missing_hw(ctx: Any) -> FlowModule:
    return _conv(MissingHW, ctx)


def make_doubled_logdet(ctx: Any) -> FlowModule:
    return _coupling(DoubledLogdet, ctx, scale="sigmoid")


def make_lu_without_pivoting(ctx: Any) -> FlowModule:
    with seeded(_seed(ctx)) as gen:
        return LUWithoutPivoting(IMAGE, gen).double()


def make_tail_clamp(ctx: Any) -> FlowModule:
    """Bias-free conditioner (ReLU convolutions): log s grows with the input, so the clamp bites in the tails."""
    layer = _coupling(TailClamp, ctx, perturb=0.05)
    with torch.no_grad():
        for module in layer.net.modules():
            if isinstance(module, torch.nn.Conv2d):
                assert module.bias is not None  # the conditioner's convolutions are built with a bias
                module.bias.zero_()
    return layer


def make_wrong_inverse(ctx: Any) -> FlowModule:
    return _coupling(WrongInverse, ctx, shape=(8,))


def make_wrong_inverse_scaled(ctx: Any) -> FlowModule:
    return _coupling(WrongInverseScaled, ctx, shape=(8,))


def make_mask_leak(ctx: Any) -> FlowModule:
    return _coupling(MaskLeak, ctx)


def make_duplicate_shuffle(ctx: Any) -> FlowModule:
    with seeded(_seed(ctx)) as gen:
        return DuplicateShuffle((8,), gen).double()


def make_raw_scale(ctx: Any) -> FlowModule:
    """Its conditioner's last layer is scaled up ×5 so that s = 1 + h crosses zero within the probe's tails."""
    layer = _coupling(RawScale, ctx, perturb=0.3)
    with torch.no_grad():
        cast(Tensor, layer.net.net[-1].weight).mul_(5.0)  # a Linear/Conv2d weight (Module.__getattr__ is untyped)
    return layer


#: Every buggy layer of the corpus: name → factory (``module:function``), for the claims and the docs.
CORPUS: dict[str, str] = {
    name: f"{__name__}:make_{name.replace('-', '_')}"
    for name in (
        "inverse-sign-flip", "sign-flip", "missing-abs", "per-element-logdet", "batch-summed-logdet", "stale-cache",
        "linearised-logdet", "orthogonal-assumed", "missing-hw", "doubled-logdet", "lu-without-pivoting",
        "tail-clamp", "wrong-inverse", "wrong-inverse-scaled", "mask-leak", "duplicate-shuffle", "raw-scale",
    )
}


# --------------------------------------------------------------------------------------------- 2-D flows


def _realnvp_2d_with(cls: type[AffineCoupling], gen: torch.Generator) -> FlowSequence:
    shape = (2,)
    return FlowSequence(shape, [
        cls(shape, hidden=8, scale="exp"), reverse_permutation(shape),
        cls(shape, hidden=8, scale="exp"), reverse_permutation(shape),
    ])


def make_realnvp_2d_doubled(ctx: Any) -> FlowModule:
    with seeded(_seed(ctx)) as gen:
        return finish_layer(_realnvp_2d_with(DoubledLogdet, gen), gen, scale=0.3)


def make_realnvp_2d_linearised(ctx: Any) -> FlowModule:
    with seeded(_seed(ctx)) as gen:
        return finish_layer(_realnvp_2d_with(LinearisedLogdet, gen), gen, scale=0.3)


def make_glow_2d_sign_flip(ctx: Any) -> FlowModule:
    with seeded(_seed(ctx)) as gen:
        steps = [GlowStep((2,), gen, hidden=8), GlowStep((2,), gen, hidden=8)]
        for step in steps:
            step.layers[2] = SignFlip((2,), hidden=8, scale="sigmoid")
        return finish_layer(FlowSequence((2,), steps), gen, scale=0.3)
