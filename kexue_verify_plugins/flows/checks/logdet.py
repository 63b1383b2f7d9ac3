r"""``flows.layer-logdet``: a layer's reported log|det J| (forward, and inverse when it reports one) against the
float64 ``slogdet`` of its autograd Jacobian, on the perturbed layer (:func:`.common.prepare`) at the probe batch.

Tolerance per sample: :math:`8\gamma_D\,\kappa` with :math:`\kappa=\sum_{ij}|J^{-1}_{ji}||J_{ij}|` (the first-order
sensitivity of :math:`\log|\det J|` to relative errors of the entries, :func:`..jacobian.componentwise_condition`),
plus :math:`8\gamma_D|\log|\det J||` for the rounding of the reported sum, plus the measured sensitivity of the
reported value and the measured jitter of the reference (:func:`logdet_sensitivity`, :func:`reference_jitter`);
:math:`\gamma_D` is Higham's constant for the run's dtype (:func:`kexue_verify.tolerances.tolerance`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, Outcome
from kexue_verify.helpers import eps, tolerance
from kexue_verify_plugins.flows.assertions import Probe
from kexue_verify_plugins.flows.checks.common import (
    finite,
    non_finite,
    perturbation_note,
    plain,
    prepare,
    shape_evidence,
)
from kexue_verify_plugins.flows.figures import logdet_figure
from kexue_verify_plugins.flows.jacobian import batch_jacobian, reference_logdet
from kexue_verify_plugins.flows.probing import probe, region_evidence
from kexue_verify_plugins.flows.protocol import Flow
from kexue_verify_plugins.flows.reference import autograd_entry_error, cast_twin, checked_jacobian, direction

__all__ = ["logdet_check", "logdet_sensitivity", "reference_jitter", "reference_rounding"]


def logdet_sensitivity(fn: Callable[[Tensor], Tensor], x: Tensor, ctx: CheckContext) -> Tensor:
    r"""The measured local sensitivity of a reported log-det: :math:`4\max|\mathrm{ld}(x+\Delta)-\mathrm{ld}(x)|` over
    four moves :math:`\Delta_j=\pm4u\max(1,|x_j|)` (random signs), per sample.

    The input of a layer is itself rounded, and a layer's log-det formula can amplify that (a spline's
    :math:`\log` of a derivative at a flat slope, a sigmoid scale near saturation): the first-order tolerance in
    :math:`\kappa` does not see it.  A move of the input's own rounding size is what a correct layer's value may
    legitimately differ by; a wrong log-det is wrong by far more than its own jitter.
    """
    u = eps(ctx.dtype) / 2
    gen = ctx.generator(271, device="cpu")
    flat = x.detach().reshape(x.shape[0], -1)
    with torch.no_grad():
        base = fn(x).detach().to(torch.float64).reshape(-1)
        moved = []
        for _ in range(4):
            step = torch.where(torch.rand(flat.shape, generator=gen) < 0.5, -1.0, 1.0).to(flat) * 4 * u
            moved.append((fn((flat + step * flat.abs().clamp_min(1.0)).reshape(x.shape)).detach()
                          .to(torch.float64).reshape(-1) - base).abs())
    sens = 4 * torch.stack(moved).amax(dim=0)
    return torch.where(torch.isfinite(sens), sens, torch.zeros_like(sens))


def reference_jitter(flow: Flow, x: Tensor, jac: Tensor, ctx: CheckContext, *, inverse: bool = False) -> Tensor:
    r"""The measured jitter of the reference: :math:`4|\log|\det J(x)|-\log|\det J(x+\Delta)||` for one move
    :math:`\Delta_j=\pm4u\max(1,|x_j|)`, per sample.

    An autograd Jacobian's entries carry rounding errors relative to the layer's intermediate values (a composition
    :math:`J_3PJ_1` is accurate to :math:`\gamma|J_3||J_1|`, not to :math:`\gamma|J|`), which the entrywise
    sensitivity :math:`\kappa` does not see; recomputing at a rounding-size move redraws those errors.
    """
    gen = ctx.generator(577, device="cpu")
    flat = x.detach().reshape(x.shape[0], -1)
    sign = torch.where(torch.rand(flat.shape, generator=gen) < 0.5, -1.0, 1.0).to(flat)
    moved = (flat + sign * 2 * eps(ctx.dtype) * flat.abs().clamp_min(1.0)).reshape(x.shape)
    other, _ = batch_jacobian(direction(flow, inverse), moved)
    jitter = 4 * (reference_logdet(other)[1] - reference_logdet(jac)[1]).abs()
    return torch.where(torch.isfinite(jitter), jitter, torch.zeros_like(jitter))


def reference_rounding(flow: Flow, x: Tensor, jac: Tensor, ctx: CheckContext, *, inverse: bool = False) -> Tensor:
    r"""The rounding error of the reference log-det, per sample: :math:`4\sum_{ij}|J^{-1}_{ji}|\,e_{ij}` with
    :math:`e` the entries' error estimated by precision scaling (:func:`..reference.autograd_entry_error`; first
    order, the factor 4 as for the jitter).

    The autograd entries of a float64 Jacobian are accurate to their own evaluation, not to :math:`\gamma|J_{ij}|`:
    the derivative of a rational-quadratic spline at a flat slope is the difference :math:`(N'D-ND')/D^2` of two
    terms :math:`10^5` times larger (nflows, zuko; their reported log-det uses the cancellation-free form), and a
    composition :math:`J_3J_2J_1` is accurate to :math:`\gamma|J_3||J_2||J_1|` (zuko's NSF at
    :math:`\det J\approx 10^{-26}`: ``jacrev`` and ``jacfwd`` disagree in the fourth decimal of the log-det).
    """
    entry = autograd_entry_error(flow, x, jac, ctx, inverse=inverse)
    zero = torch.zeros(jac.shape[0], dtype=torch.float64, device=jac.device)
    try:
        inv = torch.linalg.inv(jac.to(torch.float64))
    except RuntimeError:
        return zero
    moved = 4 * (inv.transpose(-1, -2).abs() * entry).sum(dim=(-1, -2))
    return torch.where(torch.isfinite(moved), moved, zero)


def _compare_logdet(name: str, reported: Tensor, jac: Tensor, kinds: list[str], ctx: CheckContext,
                    method: str, sensitivity: Tensor | None = None,
                    rounding: Callable[[], Tensor] | None = None) -> Evidence:
    """Reported log-dets against the float64 log-determinants of the Jacobians, sample by sample
    (:func:`.jacobian.reference_logdet`: the diagonal's product where J is triangular in some order, else slogdet,
    with the sensitivity of whichever was used), plus the measured sensitivity of the reported value
    (:func:`logdet_sensitivity`).  ``rounding`` (:func:`reference_rounding`, which costs :data:`.reference.DRAWS`
    float32 Jacobians) is evaluated only when some sample exceeds the tolerance without it, and then added."""
    d = jac.shape[-1]
    sign, truth, kappa, methods = reference_logdet(jac)
    rep = reported.detach().to(torch.float64)
    singular = (sign == 0) | ~torch.isfinite(truth)
    tol = torch.tensor([tolerance(ctx.dtype, n=d, condition=float(k)) + tolerance(ctx.dtype, n=d, scale=float(t))
                        if math.isfinite(float(k)) and math.isfinite(float(t)) else 0.0
                        for k, t in zip(kappa, truth, strict=True)], dtype=torch.float64, device=rep.device)
    if sensitivity is not None and sensitivity.shape == tol.shape:
        tol = tol + sensitivity.to(tol.device)
    err = (rep - truth).abs()
    if rounding is not None and bool((err > tol).any()):
        extra = rounding()
        if extra.shape == tol.shape:
            tol = tol + extra.to(tol.device)
    bad = singular | ~torch.isfinite(rep) | (err > tol)
    ratio = torch.where(bad, torch.full_like(err, float("inf")), err / tol.clamp_min(1e-300))
    worst = int(torch.argmax(torch.where(torch.isfinite(ratio), ratio, torch.full_like(ratio, 1e300))))
    counterexample = {"sample": worst, "kind": kinds[worst], "reported": plain(rep[worst]),
                      "slogdet_float64": plain(truth[worst]), "sign": plain(sign[worst]),
                      "tolerance": plain(tol[worst])}
    ok = not bool(bad.any())
    note = "singular Jacobian: no finite log-det is right" if bool(singular.any()) else ""
    return Evidence(
        name=name,
        outcome=Outcome.PASS if ok else Outcome.FAIL,
        method=f"{method}; log|det| in float64 by {' / '.join(sorted(set(methods)))} ({ctx.dtype} layer, "
               f"{ctx.device}), D = {d}",
        quantities={"max_error": plain(err.max()), "max_error_over_tolerance": plain(ratio.max()) if ok else "exceeded",
                    "samples": len(kinds), "reported": plain(rep), "slogdet": plain(truth)},
        expected="|reported − log|det J|| ≤ 8γ_D(κ + |log|det||) per sample, κ the sensitivity of the reference",
        tolerance={"atol_max": plain(tol.max())},
        counterexample=None if ok else counterexample,
        note=note,
        figure=logdet_figure(name, rep.tolist(), truth.tolist()),
    )


def logdet_check(ctx: CheckContext, assertion: Probe | None) -> list[Evidence]:
    """Reported log|det J| (forward, and inverse when reported) against the float64 slogdet of the Jacobian."""
    flow = prepare(ctx, assertion)
    x, kinds = probe(flow, ctx, assertion)
    with torch.no_grad():
        y, ld = flow.forward(x)
    evidence = [region_evidence(flow),
                shape_evidence("forward log-det shape", ld, x.shape[0], perturbation_note(flow))]
    if not finite(y):
        return [*evidence, non_finite("forward output finite", "y = f(x)", kinds, y)]
    twin = cast_twin(flow) if ctx.torch_dtype != torch.float64 else flow
    jac, method, cross = checked_jacobian(flow, x, ctx, kinds, twin=twin)
    evidence.append(cross)
    if ld.shape == (x.shape[0],):
        sens = logdet_sensitivity(lambda t: flow.forward(t)[1], x, ctx) + reference_jitter(flow, x, jac, ctx)
        evidence.append(_compare_logdet("forward log-det = slogdet J_f", ld, jac, kinds, ctx, method, sens,
                                        lambda: reference_rounding(flow, x, jac, ctx)))
    with torch.no_grad():
        _, ld_inv = flow.inverse(y)
    if ld_inv is None:
        evidence.append(Evidence(name="inverse log-det", outcome=Outcome.SKIPPED,
                                 note="the inverse reports no log-det; only the forward one is checked"))
        return evidence
    evidence.append(shape_evidence("inverse log-det shape", ld_inv, x.shape[0]))
    if ld_inv.shape == (x.shape[0],):
        jac_inv, method, cross = checked_jacobian(flow, y, ctx, kinds, inverse=True, twin=twin)
        sens = (logdet_sensitivity(lambda t: cast(Tensor, flow.inverse(t)[1]), y, ctx)
                + reference_jitter(flow, y, jac_inv, ctx, inverse=True))
        evidence += [cross, _compare_logdet("inverse log-det = slogdet J_f⁻¹", ld_inv, jac_inv, kinds, ctx,
                                            method, sens,
                                            lambda: reference_rounding(flow, y, jac_inv, ctx, inverse=True))]
    return evidence
