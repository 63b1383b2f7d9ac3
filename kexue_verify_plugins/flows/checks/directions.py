r"""``flows.layer-directions-agree``: both directions of a layer describe the same map.

.. math::  J_{f^{-1}}(y)\,J_f(\hat x)=I,\qquad \mathrm{ld}^{-1}(y)+\mathrm{ld}(\hat x)=0,
           \qquad y=f(x),\ \hat x=f^{-1}(y)

**Compared at the point the round trip produced.**  In exact arithmetic :math:`\hat x=x`; in floating point the
inverse lands at :math:`\hat x`, and :math:`J_{f^{-1}}(y)` is the inverse of :math:`J_f` *there*, not at :math:`x`.
Where the layer is ill-conditioned (flat spline slopes, saturated sigmoid scales, a deep multi-scale stack) the
difference between :math:`J_f(x)` and :math:`J_f(\hat x)` — and between :math:`\mathrm{ld}(x)` and
:math:`\mathrm{ld}(\hat x)` — is far above the rounding of either, and a check at :math:`x` refutes a correct layer.
So both identities are taken at :math:`\hat x`, and the remaining displacement (the exact preimage
:math:`f^{-1}(y)` is within about :math:`|x-\hat x|` of :math:`\hat x` as well) is allowed for by the **measured
local sensitivity**: twice the change of the Jacobian (resp. the log-det) between :math:`x` and :math:`\hat x`
(for the Jacobian also between :math:`\hat x` and :math:`\hat x+J_{f^{-1}}(y)\,\delta y`, :math:`\delta y` the
rounding of :math:`y`: where the inverse is steep the exact preimage is only known to that size, and the round
trip's own displacement can be smaller, as for normflows' rational-quadratic coupling at a slope of 1/1768).
A layer whose inverse is wrong moves :math:`\hat x` by O(1) — which this claim refutes too, with the round-trip
claim's bound (:func:`.inverse.roundtrip`), since the comparison at :math:`\hat x` presumes it is the round trip of
:math:`x` (without it a leaking mask whose inverse lands :math:`10^{58}` away passed: the allowances for the move
from :math:`x` to :math:`\hat x` then cover anything) — or reports a log-det/Jacobian that does not match its own
inverse at any point, which this claim refutes.

Tolerances, per sample, for the product:
:math:`8\gamma_D\max(\||A||B|\|_\infty,\ \max_{il}[\max_k|A_{ik}|\sum_j|B_{jl}|+\sum_j|A_{ij}|\max_k|B_{jk}|])`
(:math:`A=J_{f^{-1}}(y)`, :math:`B=J_f(\hat x)`; the second form because reverse mode computes row :math:`i` as one
vector–Jacobian product, so an entry can be off by the rounding of its row's largest entry: normflows'
rational-quadratic coupling at an inverse slope of 1768 forms :math:`\partial x_3/\partial y_2=2.1\cdot10^{-3}` by
cancellation, off by :math:`3\cdot10^{-13}=0.77\,u\cdot1768`, which precision scaling under-estimated 300-fold)
:math:`+2\max_{x'}\||J_{f^{-1}}|\,|J_f(x')-J_f(\hat x)|\|_\infty`
(:math:`x'\in\{x,\hat x+J_{f^{-1}}\delta y\}`)
:math:`+4\||J_{f^{-1}}(y)-J_{f^{-1}}(\tilde y)|\,|J_f(\hat x)|\|_\infty` (:math:`\tilde y` is :math:`y` moved by its own
rounding size: the measured jitter of the inverse's Jacobian, large at flat spline slopes)
:math:`+4\|e_{f^{-1}}|J_f(\hat x)|+|J_{f^{-1}}|e_f\|_\infty` (the autograd entries' own rounding errors :math:`e`,
estimated by precision scaling, :func:`.reference.autograd_entry_error`); for the log-dets
:math:`8\gamma_D(|\mathrm{ld}|+1)+2|\mathrm{ld}(x)-\mathrm{ld}(\hat x)|` plus the measured jitter of each reported
log-det under a rounding-size move of its input (:func:`.logdet.logdet_sensitivity`: the two directions evaluate
different formulas, a spline's inverse log-det the derivative at a root of a quadratic).  Every
autograd Jacobian is cross-checked by finite differences (:mod:`.reference`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import cast

import torch

from kexue_verify import CheckContext, Evidence, Outcome, holds
from kexue_verify.helpers import eps, tolerance
from kexue_verify_plugins.flows.assertions import Probe
from kexue_verify_plugins.flows.checks.common import finite, non_finite, plain, prepare
from kexue_verify_plugins.flows.checks.inverse import roundtrip
from kexue_verify_plugins.flows.checks.logdet import logdet_sensitivity
from kexue_verify_plugins.flows.jacobian import batch_jacobian
from kexue_verify_plugins.flows.probing import probe, region_evidence
from kexue_verify_plugins.flows.reference import autograd_entry_error, cast_twin, checked_jacobian, direction

__all__ = ["directions_check"]


def directions_check(ctx: CheckContext, assertion: Probe | None) -> list[Evidence]:
    """Both directions agree at the round trip's point: Jacobians are inverse matrices, reported log-dets cancel."""
    flow = prepare(ctx, assertion)
    x, kinds = probe(flow, ctx, assertion)
    with torch.no_grad():
        y, ld = flow.forward(x)
        x_back, ld_inv = flow.inverse(y)
    if not (finite(y) and finite(x_back)):
        return [non_finite("both directions finite", "f(x) or f⁻¹(f(x))", kinds, torch.cat(
            [y.reshape(len(kinds), -1), x_back.reshape(len(kinds), -1)], dim=1))]
    with torch.no_grad():
        _, ld_back = flow.forward(x_back)
    twin = cast_twin(flow) if ctx.torch_dtype != torch.float64 else flow
    jac_x, _, cross = checked_jacobian(flow, x, ctx, kinds, twin=twin)
    jac_inv, _, cross_inv = checked_jacobian(flow, y, ctx, kinds, inverse=True, twin=twin)
    moved = bool((x_back != x).any())
    jac_back = batch_jacobian(direction(flow, False), x_back)[0] if moved else jac_x
    y_moved = _jitter(y, ctx)
    jac_inv_jitter = batch_jacobian(direction(flow, True), y_moved)[0]

    def finer() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """What a sample over the first bound is judged with (costly, so only then): J_f where the exact
        preimage of y may lie (within J_f⁻¹ times y's rounding of x̂) and both Jacobians' entry errors."""
        shift = (jac_inv.to(y.dtype) @ (y_moved - y).reshape(y.shape[0], -1, 1)).reshape(x_back.shape)
        return (batch_jacobian(direction(flow, False), x_back + shift)[0],
                autograd_entry_error(flow, y, jac_inv, ctx, inverse=True),
                autograd_entry_error(flow, x_back, jac_back, ctx))

    # comparing at x̂ presumes x̂ is the round trip of x: where it is not, the directions describe different maps (a
    # leaking mask's inverse lands 10⁵⁸ away, and the allowances for the move from x to x̂ then cover anything)
    trip = dataclasses.replace(roundtrip("f⁻¹(f(x)) lands at x, where x̂ stands in for it", x, x_back, y, jac_x,
                                         kinds, ctx, inverse_jacobian=True), figure=None)
    evidence = [region_evidence(flow), cross, cross_inv, trip,
                _product(jac_inv, jac_back, jac_x, jac_inv_jitter, finer, kinds, ctx)]
    if ld_inv is None:
        evidence.append(Evidence(name="reported log-dets cancel", outcome=Outcome.SKIPPED,
                                 note="the inverse reports no log-det"))
        return evidence
    if ld_inv.shape != ld.shape:
        evidence.append(holds("reported log-dets cancel", False, method="shape check",
                              counterexample={"forward_shape": str(tuple(ld.shape)),
                                              "inverse_shape": str(tuple(ld_inv.shape))}))
        return evidence
    jitter = (logdet_sensitivity(lambda t: flow.forward(t)[1], x_back, ctx)
              + logdet_sensitivity(lambda t: cast(torch.Tensor, flow.inverse(t)[1]), y, ctx))
    evidence.append(_cancel(ld, ld_back, ld_inv, jitter, jac_x.shape[-1], kinds, ctx))
    return evidence


def _jitter(y: torch.Tensor, ctx: CheckContext) -> torch.Tensor:
    """``y`` moved by its own rounding size, ``±4u max(1, |y_j|)`` (seeded signs)."""
    gen = ctx.generator(313, device="cpu")
    flat = y.detach().reshape(y.shape[0], -1)
    sign = torch.where(torch.rand(flat.shape, generator=gen) < 0.5, -1.0, 1.0).to(flat)
    return (flat + sign * 2 * eps(ctx.dtype) * flat.abs().clamp_min(1.0)).reshape(y.shape)


def _product(jac_inv: torch.Tensor, jac_back: torch.Tensor, jac_x: torch.Tensor, jac_inv_jitter: torch.Tensor,
             finer: Callable[[], tuple[torch.Tensor, torch.Tensor, torch.Tensor]], kinds: list[str],
             ctx: CheckContext) -> Evidence:
    d = jac_inv.shape[-1]
    a, b = jac_inv.to(torch.float64), jac_back.to(torch.float64)
    eye = torch.eye(d, dtype=torch.float64, device=a.device)
    product = a @ b
    err = (product - eye).abs()
    def spread(m: torch.Tensor, n: torch.Tensor) -> torch.Tensor:  # ‖m n‖∞ per sample, entries non-negative
        return (m @ n).sum(dim=-1).amax(dim=-1)

    # normwise: entries of J carry errors relative to the layer's intermediate values, not to themselves; and
    # rowwise: reverse mode forms row i as one vector-Jacobian product of output i, so an entry can be off by the
    # rounding of that row's largest entry (a small off-diagonal formed by cancellation, 1.2e-6 beside 1768)
    row_a, row_b = a.abs().amax(dim=-1, keepdim=True), b.abs().amax(dim=-1, keepdim=True)
    rowwise = row_a * b.abs().sum(dim=-2, keepdim=True) + a.abs() @ row_b
    rounding = tolerance(ctx.dtype, n=d) * torch.maximum(spread(a.abs(), b.abs()), rowwise.amax(dim=(-1, -2)))

    displacement = 2 * spread(a.abs(), (jac_x.to(torch.float64) - b).abs())
    # J_inv at y moved by y's rounding: how much the inverse's Jacobian itself jitters there
    sensitivity = displacement + 4 * spread((jac_inv_jitter.to(torch.float64) - a).abs(), b.abs())
    if bool((err.amax(dim=(-1, -2)) > rounding + sensitivity).any()):
        jac_preimage, e_a, e_b = finer()  # J_f where the exact preimage may lie; the entries' own rounding
        preimage = 2 * spread(a.abs(), (jac_preimage.to(torch.float64) - b).abs())
        sensitivity = (sensitivity + (preimage - displacement).clamp_min(0.0)
                       + 4 * spread(e_a, b.abs()) + 4 * spread(a.abs(), e_b))
    bound = rounding + sensitivity
    ratio = err.amax(dim=(-1, -2)) / bound.clamp_min(torch.finfo(torch.float64).tiny)
    # a sample whose bound is not finite while its product is (the inverse's Jacobian overflows next to y) is not
    # judged; a product that is not finite is judged, and fails
    judged = torch.isfinite(bound) | ~torch.isfinite(err.amax(dim=(-1, -2)))
    n = int(torch.argmax(torch.where(judged, ratio, torch.full_like(ratio, -1.0)))) if bool(judged.any()) else 0
    i, j = (int(v) for v in torch.unravel_index(torch.argmax(err[n]), err[n].shape))
    evidence = holds("J_f⁻¹(y) · J_f(x̂) = I at the round trip's point x̂ = f⁻¹(f(x))",
                     bool((ratio[judged] <= 1).all()),  # a NaN ratio is not ≤ 1: it fails
                     method=f"torch.func Jacobians of both directions ({ctx.dtype}, {ctx.device}), D = {d}",
                     expected="max |J_inv J − I| ≤ 8γ_D ‖|J_inv||J(x̂)|‖∞ + 2‖|J_inv||J(x) − J(x̂)|‖∞ per sample",
                     counterexample={"sample": n, "kind": kinds[n], "entry": [i, j],
                                     "product": plain(product[n, i, j]), "identity": float(i == j),
                                     "bound": plain(bound[n])},
                     max_error=plain(err.max()), max_error_over_bound=plain(ratio.max()),
                     max_sensitivity_allowance=plain(sensitivity.max()))
    if evidence.outcome is Outcome.PASS and not bool(judged.all()):
        unjudged = [kinds[k] for k in range(len(kinds)) if not bool(judged[k])]
        evidence = dataclasses.replace(evidence, outcome=Outcome.UNDECIDED,
                                       note=f"no finite bound at {len(unjudged)} sample(s): {', '.join(unjudged)}")
    return evidence


def _cancel(ld: torch.Tensor, ld_back: torch.Tensor, ld_inv: torch.Tensor, jitter: torch.Tensor, d: int,
            kinds: list[str], ctx: CheckContext) -> Evidence:
    f, f_back, g = (t.detach().to(torch.float64).reshape(-1) for t in (ld, ld_back, ld_inv))
    total = (f_back + g).abs()
    rounding = tolerance(ctx.dtype, n=d, scale=1.0) * (f.abs().clamp_min(f_back.abs()) + 1.0)
    sensitivity = 2 * (f - f_back).abs() + jitter.to(total.device)
    bound = rounding + sensitivity
    bad = ~torch.isfinite(total) | (total > bound)
    k = int(torch.argmax(torch.where(torch.isfinite(total), total / bound.clamp_min(1e-300),
                                     torch.full_like(total, float("inf")))))
    return holds("reported log-dets cancel: ld_f(x̂) + ld_f⁻¹(y) = 0 at the round trip's point",
                 not bool(bad.any()), method="reported values",
                 expected="|sum| ≤ 8γ_D(|ld| + 1) + 2|ld(x) − ld(x̂)| + the measured jitter of both, per sample",
                 counterexample={"sample": k, "kind": kinds[k], "forward": plain(f_back[k]), "inverse": plain(g[k]),
                                 "bound": plain(bound[k])},
                 max_sum=plain(total.max()))
