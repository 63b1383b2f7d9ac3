r"""The generic checks that run on every registered flow layer (model kind ``flow-layer``).

Each check adapts the model (:func:`.protocol.as_flow_layer`), puts it in eval mode, calls it once in both
directions (so a layer that caches anything builds its cache), then **perturbs every parameter**
(:func:`.layers.perturb_`) and only then measures.  So

* a log-det that is only right at the identity initialisation (zero-initialised couplings, orthogonal 1×1
  convolutions) is exposed, and
* a cache computed from the old parameters is stale when it is used, as it would be after an optimiser step.

The probe batch (:func:`probe`) has samples from the bulk of the base distribution and from its tails
(a 3× scaled sample, and one with a quarter of its coordinates at ±7), where clamps and saturations live.

Ground truth is the float64 ``slogdet`` of the autograd Jacobian (:mod:`.jacobian`).  Tolerances:

* log-det: :math:`8\gamma_D\,\kappa` with :math:`\kappa=\sum_{ij}|J^{-1}_{ji}||J_{ij}|` (the first-order sensitivity
  of :math:`\log|\det J|` to relative errors of the entries, :func:`.jacobian.componentwise_condition`), plus
  :math:`8\gamma_D|\log|\det J||` for the rounding of the reported sum; :math:`\gamma_D` is Higham's constant for the
  run's dtype (:func:`kexue_verify.tolerances.tolerance`);
* round trips: :math:`8\gamma_D\,(\|J^{-1}\|_\infty\|y\|_\infty+\|x\|_\infty)` per sample: the output's rounding
  carried back through the inverse, plus the rounding of the result (normwise, because a layer's rounding errors are
  relative to its intermediate values, which can exceed the entries they produce);
* :math:`J_{f^{-1}}(f(x))\,J_f(x)=I`: :math:`8\gamma_D\,\||J_{f^{-1}}|\,|J_f|\|_\infty` per sample (normwise, same
  reason).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import torch
from kexue_verify_plugins.flows.figures import logdet_figure, roundtrip_figure
from kexue_verify_plugins.flows.jacobian import (
    batch_jacobian,
    componentwise_condition,
    no_tf32,
    reference_logdet,
    slogdet64,
)
from kexue_verify_plugins.flows.layers import perturb_
from kexue_verify_plugins.flows.probing import DEFAULTS, probe, region_evidence, settings
from kexue_verify_plugins.flows.protocol import Flow, as_flow_layer
from kexue_verify_plugins.flows.reference import checked_jacobian, float64_twin
from torch import Tensor

from kexue_verify import CheckContext, Evidence, Outcome, holds
from kexue_verify.tolerances import eps, tolerance

__all__ = [
    "DEFAULTS",
    "INVARIANTS",
    "consistency_only",
    "inverse_check",
    "logdet_check",
    "plain",
    "prepare",
    "probe",
    "structure_check",
]

def plain(value: Any) -> Any:
    """A number for the report: a float when finite, else its text (a layer's NaN is data, not a measurement)."""
    if isinstance(value, Tensor):
        value = value.detach().cpu()
        if value.numel() != 1:
            return [plain(v) for v in value.reshape(-1).tolist()]
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def prepare(ctx: CheckContext, assertion: Any = None) -> Flow:
    """Adapt ``ctx.model``, eval mode, one call each way (caches fill), then perturb every parameter."""
    flow = as_flow_layer(ctx.model, ctx.declared).eval()
    x, _ = probe(flow, ctx, assertion, offset=99, sweep=False)
    with torch.no_grad():
        y, _ = flow.forward(x)
        flow.inverse(y)
    gen = torch.Generator().manual_seed((ctx.seed + 104729) % 2**63)
    for module in flow.modules:
        perturb_(module, gen, float(settings(assertion)["perturbation"]))
        flow.perturbed += sum(1 for p in module.parameters() if p.is_floating_point())
    return flow


def _perturbation_note(flow: Flow) -> str:
    return "" if flow.perturbed else "the layer has no torch.nn parameters, so nothing was perturbed"


def _finite(t: Tensor | None) -> bool:
    return t is not None and bool(torch.isfinite(t).all())


def _non_finite(name: str, where: str, kinds: list[str], value: Tensor) -> Evidence:
    bad = (~torch.isfinite(value.reshape(value.shape[0], -1))).any(dim=1) if value.dim() else torch.tensor([True])
    i = int(torch.nonzero(bad)[0]) if bool(bad.any()) else 0
    return holds(name, False, method="finite-value check",
                 expected="finite values at a finite input",
                 counterexample={"sample": i, "kind": kinds[min(i, len(kinds) - 1)], "where": where,
                                 "value": str(value.reshape(value.shape[0], -1)[i][:6].tolist()
                                              if value.dim() else value.item())},
                 note=f"the layer produced NaN/Inf in {where} for a finite input")


def _shape(name: str, ld: Tensor | None, n: int, note: str = "") -> Evidence:
    shape = None if ld is None else tuple(ld.shape)
    return holds(name, shape == (n,), method="shape check", expected=f"({n},): one log-det per sample",
                 counterexample={"shape": str(shape)}, note=note, shape=str(shape))


def logdet_sensitivity(fn: Callable[[Tensor], Tensor], x: Tensor, ctx: CheckContext) -> Tensor:
    r"""The measured local sensitivity of a reported log-det: :math:`4\max|\mathrm{ld}(x+\Delta)-\mathrm{ld}(x)|` over
    four moves :math:`\Delta_j=\pm4u\max(1,|x_j|)` (random signs), per sample.

    The input of a layer is itself rounded, and a layer's log-det formula can amplify that (a spline's
    :math:`\log` of a derivative at a flat slope, a sigmoid scale near saturation): the first-order tolerance in
    :math:`\kappa` does not see it.  A move of the input's own rounding size is what a correct layer's value may
    legitimately differ by; a wrong log-det is wrong by far more than its own jitter.
    """
    u = eps(ctx.dtype) / 2
    gen = torch.Generator().manual_seed((ctx.seed + 271) % 2**63)
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
    gen = torch.Generator().manual_seed((ctx.seed + 577) % 2**63)
    flat = x.detach().reshape(x.shape[0], -1)
    sign = torch.where(torch.rand(flat.shape, generator=gen) < 0.5, -1.0, 1.0).to(flat)
    moved = (flat + sign * 2 * eps(ctx.dtype) * flat.abs().clamp_min(1.0)).reshape(x.shape)
    fn = (lambda t: flow.inverse(t)[0]) if inverse else (lambda t: flow.forward(t)[0])
    other, _ = batch_jacobian(fn, moved)
    jitter = 4 * (reference_logdet(other)[1] - reference_logdet(jac)[1]).abs()
    return torch.where(torch.isfinite(jitter), jitter, torch.zeros_like(jitter))


def _compare_logdet(name: str, reported: Tensor, jac: Tensor, kinds: list[str], ctx: CheckContext,
                    method: str, sensitivity: Tensor | None = None) -> Evidence:
    """Reported log-dets against the float64 log-determinants of the Jacobians, sample by sample
    (:func:`.jacobian.reference_logdet`: the diagonal's product where J is triangular in some order, else slogdet,
    with the sensitivity of whichever was used), plus the measured sensitivity of the reported value
    (:func:`logdet_sensitivity`)."""
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


def logdet_check(ctx: CheckContext, assertion: Any) -> list[Evidence]:
    """Reported log|det J| (forward, and inverse when reported) against the float64 slogdet of the Jacobian."""
    with no_tf32(ctx.device):
        flow = prepare(ctx, assertion)
        x, kinds = probe(flow, ctx, assertion)
        with torch.no_grad():
            y, ld = flow.forward(x)
        evidence = [region_evidence(flow), _shape("forward log-det shape", ld, x.shape[0], _perturbation_note(flow))]
        if not _finite(y):
            return [*evidence, _non_finite("forward output finite", "y = f(x)", kinds, y)]
        twin = float64_twin(flow) if ctx.torch_dtype != torch.float64 else flow
        jac, method, cross = checked_jacobian(flow, x, ctx, kinds, twin=twin)
        evidence.append(cross)
        if ld.shape == (x.shape[0],):
            sens = logdet_sensitivity(lambda t: flow.forward(t)[1], x, ctx) + reference_jitter(flow, x, jac, ctx)
            evidence.append(_compare_logdet("forward log-det = slogdet J_f", ld, jac, kinds, ctx, method, sens))
        with torch.no_grad():
            _, ld_inv = flow.inverse(y)
        if ld_inv is None:
            evidence.append(Evidence(name="inverse log-det", outcome=Outcome.SKIPPED,
                                     note="the inverse reports no log-det; only the forward one is checked"))
            return evidence
        evidence.append(_shape("inverse log-det shape", ld_inv, x.shape[0]))
        if ld_inv.shape == (x.shape[0],):
            jac_inv, method, cross = checked_jacobian(flow, y, ctx, kinds, inverse=True, twin=twin)
            sens = logdet_sensitivity(lambda t: flow.inverse(t)[1], y, ctx) + reference_jitter(
                flow, y, jac_inv, ctx, inverse=True)
            evidence += [cross, _compare_logdet("inverse log-det = slogdet J_f⁻¹", ld_inv, jac_inv, kinds, ctx,
                                                method, sens)]
        return evidence


def _roundtrip(name: str, start: Tensor, back: Tensor, image: Tensor, jac: Tensor, kinds: list[str],
               ctx: CheckContext, inverse_jacobian: bool) -> Evidence:
    """‖back − start‖∞ ≤ 8γ_D(2‖M‖∞‖image‖∞ + ‖M‖∞‖M⁻¹‖∞‖start‖∞ + ‖start‖∞) per sample, with M = J_f⁻¹ if
    ``inverse_jacobian`` else J_f the Jacobian of the map that produced ``back`` (M⁻¹ that of the first map).

    The first-order error of a round trip through two backward-stable computations h, then g (Higham, *Accuracy
    and Stability of Numerical Algorithms*, §1.5): h's result is h(start + δ) + δ' with |δ| ≤ γ|start| and
    |δ'| ≤ γ|image|, which g carries back by M — the term ‖M‖‖M⁻¹‖‖start‖, a condition number, is the backward
    error of h seen through g; g adds its own γ(‖M‖‖image‖ + ‖start‖).  A singular J_f means f is not invertible
    there: that fails at once.
    """
    n, d = start.shape[0], jac.shape[-1]
    j64 = jac.to(torch.float64)
    sign, _ = slogdet64(jac)
    if bool((sign == 0).any()):
        i = int(torch.nonzero(sign == 0)[0])
        return holds(name, False, method="float64 slogdet of J_f", expected="an invertible map",
                     counterexample={"sample": i, "kind": kinds[i], "det": 0.0},
                     note="J_f is singular at a probe point: f is not invertible there")
    carry = torch.linalg.inv(j64) if inverse_jacobian else j64
    carry_norm = carry.abs().sum(dim=-1).amax(dim=-1)  # ‖M‖∞ per sample
    first_norm = (j64 if inverse_jacobian else torch.linalg.inv(j64)).abs().sum(dim=-1).amax(dim=-1)  # ‖M⁻¹‖∞
    s = start.detach().to(torch.float64).reshape(n, -1)
    img = image.detach().to(torch.float64).reshape(n, -1).abs().amax(dim=1)
    start_norm = s.abs().amax(dim=1)
    bound = tolerance(ctx.dtype, n=d) * (2 * carry_norm * img + carry_norm * first_norm * start_norm + start_norm)
    err = (back.detach().to(torch.float64).reshape(n, -1) - s).abs()
    per = err.amax(dim=1)
    ratio = per / bound.clamp_min(torch.finfo(torch.float64).tiny)
    i = int(torch.argmax(ratio))
    j = int(torch.argmax(err[i]))
    figure = roundtrip_figure(name, s.abs().amax(dim=1).tolist(), per.tolist(), bound.tolist())
    evidence = holds(name, bool((per <= bound).all()), method=f"round trip in {ctx.dtype} on {ctx.device}, D = {d}",
                 expected="‖error‖∞ ≤ 8γ_D(2‖M‖∞‖image‖∞ + ‖M‖∞‖M⁻¹‖∞‖start‖∞ + ‖start‖∞) per sample, M the "
                          "Jacobian of the map back",
                 counterexample={"sample": i, "kind": kinds[i], "coordinate": j, "start": plain(s[i, j]),
                                 "after_round_trip": plain(back.reshape(n, -1)[i, j]), "bound": plain(bound[i])},
                 max_error=plain(per.max()), max_error_over_bound=plain(ratio.max()))
    return dataclasses.replace(evidence, figure=figure)


def inverse_check(ctx: CheckContext, assertion: Any) -> list[Evidence]:
    """inverse(forward(x)) = x on the probe, and forward(inverse(y)) = y on the images of a second probe."""
    with no_tf32(ctx.device):
        flow = prepare(ctx, assertion)
        x, kinds = probe(flow, ctx, assertion)
        region = region_evidence(flow)
        x_b, kinds_b = probe(flow, ctx, assertion, offset=1)
        with torch.no_grad():
            y, _ = flow.forward(x)
            x_back, _ = flow.inverse(y)
            y_b, _ = flow.forward(x_b)
        for value, where, kk in ((y, "f(x)", kinds), (x_back, "f⁻¹(f(x))", kinds), (y_b, "f(x')", kinds_b)):
            if not _finite(value):
                return [_non_finite("round trip finite", where, kk, value)]
        with torch.no_grad():
            x_b_inv, _ = flow.inverse(y_b)
            y_b_back, _ = flow.forward(x_b_inv)
        if not _finite(y_b_back):
            return [_non_finite("round trip finite", "f(f⁻¹(y))", kinds_b, y_b_back)]
        twin = float64_twin(flow) if ctx.torch_dtype != torch.float64 else flow
        jac, _, cross = checked_jacobian(flow, x, ctx, kinds, twin=twin)
        jac_b, _, cross_b = checked_jacobian(flow, x_b, ctx, kinds_b, twin=twin)
        return [
            region, cross, cross_b,
            _roundtrip("f⁻¹(f(x)) = x", x, x_back, y, jac, kinds, ctx, inverse_jacobian=True),
            _roundtrip("f(f⁻¹(y)) = y", y_b, y_b_back, x_b_inv, jac_b, kinds_b, ctx, inverse_jacobian=False),
        ]


# --------------------------------------------------------------------------------------------- invariants


def _acyclic(pattern: Tensor) -> tuple[bool, list[int] | None]:
    """Is the dependency graph i ← j (pattern[i, j], i ≠ j) acyclic, i.e. J triangular in some order?

    Returns ``(True, None)`` or ``(False, cycle)`` with the coordinates of one dependency cycle.
    """
    d = pattern.shape[0]
    deps = pattern.clone()
    deps.fill_diagonal_(False)
    adj = [torch.nonzero(deps[i]).flatten().tolist() for i in range(d)]
    state = [0] * d  # 0 new, 1 on stack, 2 done
    for root in range(d):
        if state[root]:
            continue
        stack, path = [(root, iter(adj[root]))], [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state[nxt] == 1:
                return False, [*path[path.index(nxt):], nxt]
            elif state[nxt] == 0:
                state[nxt] = 1
                stack.append((nxt, iter(adj[nxt])))
                path.append(nxt)
    return True, None


def _triangular(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    pattern = (jac != 0).any(dim=0)
    ok, cycle = _acyclic(pattern.cpu())
    return holds("triangular: the Jacobian is triangular in some ordering", ok,
                 method="dependency graph of the Jacobian's nonzero pattern (union over the probe) is acyclic",
                 expected="no dependency cycle", counterexample={"cycle": cycle[:6] if cycle else None},
                 nonzeros=int(pattern.sum()))


def _positive_scales(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    diag = torch.diagonal(jac, dim1=-2, dim2=-1)
    n, i = (int(v) for v in torch.unravel_index(torch.argmin(diag), diag.shape))
    return holds("positive-scales: the diagonal of the (triangular) Jacobian is positive", bool((diag > 0).all()),
                 method="sign of every diagonal entry", expected="> 0",
                 counterexample={"sample": n, "kind": kinds[n], "coordinate": i, "diagonal": plain(diag[n, i])},
                 min_diagonal=plain(diag.min()))


def _volume_preserving(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    _, logabs = slogdet64(jac)
    kappa = componentwise_condition(jac)
    tol = torch.stack([torch.tensor(tolerance(ctx.dtype, n=jac.shape[-1], condition=float(k))) for k in kappa])
    i = int(torch.argmax(logabs.abs().cpu() - tol))
    return holds("volume-preserving: |det J| = 1", bool((logabs.abs().cpu() <= tol).all()),
                 method="float64 slogdet", expected="|log|det J|| ≤ 8γ_D κ",
                 counterexample={"sample": i, "kind": kinds[i], "log_abs_det": plain(logabs[i])},
                 max_abs_logdet=plain(logabs.abs().max()))


def _permutation(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    zero_one = bool(((jac == 0) | (jac == 1)).all())
    ones = (jac == 1)
    rows_ok = bool((ones.sum(dim=-1) == 1).all())
    cols_ok = bool((ones.sum(dim=-2) == 1).all())
    bad_col = torch.nonzero(ones.sum(dim=-2)[0] != 1).flatten()[:4].tolist()
    return holds("permutation: the Jacobian is a permutation matrix", zero_one and rows_ok and cols_ok,
                 method="exact 0/1 entries, one 1 per row and per column", expected="a permutation matrix",
                 counterexample={"entries_0_or_1": zero_one, "one_per_row": rows_ok, "one_per_column": cols_ok,
                                 "columns_without_a_single_one": bad_col})


def _orthogonal(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    j = jac.to(torch.float64)
    d = j.shape[-1]
    gram = j.transpose(-1, -2) @ j
    err = (gram - torch.eye(d, dtype=torch.float64, device=j.device)).abs()
    bound = tolerance(ctx.dtype, n=d) * (j.abs().transpose(-1, -2) @ j.abs())
    return holds("orthogonal: JᵀJ = I", bool((err <= bound + tolerance(ctx.dtype, n=d)).all()),
                 method="Gram matrix of the Jacobian", expected="entrywise |JᵀJ − I| ≤ 8γ_D(|J|ᵀ|J| + 1)",
                 counterexample={"max_deviation": plain(err.max())}, max_deviation=plain(err.max()))


def _pixel_blocks(jac: Tensor, flow: Flow) -> tuple[Tensor, Tensor] | None:
    shape = flow.event_shape
    if len(shape) != 3 or jac.shape[-2] != jac.shape[-1]:
        return None
    c, h, w = shape
    j = jac.reshape(-1, c, h * w, c, h * w)
    return j, torch.eye(h * w, dtype=torch.bool, device=jac.device)


def _pixelwise(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    blocks = _pixel_blocks(jac, flow)
    if blocks is None:
        return holds("pixelwise: one c×c block repeated at every position", True,
                     method="vector layer: a single position", note="trivially true for a vector layer")
    j, same = blocks
    cross = j.permute(0, 2, 4, 1, 3)[:, ~same]  # (N, pairs of different pixels, c, c)
    diag_blocks = torch.diagonal(j, dim1=2, dim2=4).permute(0, 3, 1, 2)  # (N, hw, c, c)
    spread = (diag_blocks - diag_blocks[:, :1]).abs().max()
    tol = tolerance(ctx.dtype, n=flow.event_shape[0], scale=float(diag_blocks.abs().max()))
    ok = bool((cross == 0).all()) and float(spread) <= tol
    return holds("pixelwise: J = I_hw ⊗ W (one c×c block at every position, no mixing across positions)", ok,
                 method="block structure of the Jacobian", expected="zero cross-position blocks, equal diagonal blocks",
                 counterexample={"max_cross_position_entry": plain(cross.abs().max()), "block_spread": plain(spread)},
                 block_spread=plain(spread))


def _diagonal(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    off = jac - torch.diag_embed(torch.diagonal(jac, dim1=-2, dim2=-1))
    return holds("diagonal: the Jacobian is diagonal", bool((off == 0).all()), method="exact zero off-diagonal",
                 expected="off-diagonal entries 0", counterexample={"max_off_diagonal": plain(off.abs().max())})


#: The structural invariants a layer may declare, and their checks on the probe's Jacobians.
INVARIANTS: dict[str, Callable[[Tensor, CheckContext, Flow, list[str]], Evidence]] = {
    "triangular": _triangular,
    "positive-scales": _positive_scales,
    "volume-preserving": _volume_preserving,
    "permutation": _permutation,
    "orthogonal": _orthogonal,
    "pixelwise": _pixelwise,
    "diagonal": _diagonal,
}


def structure_check(ctx: CheckContext, assertion: Any) -> list[Evidence]:
    """The Jacobian is nonsingular at every probe point, and has every structure the layer declares."""
    with no_tf32(ctx.device):
        flow = prepare(ctx, assertion)
        unknown = [name for name in flow.invariants if name not in INVARIANTS]
        if unknown:
            raise ValueError(f"unknown invariant(s) {unknown}; known: {sorted(INVARIANTS)}")
        x, kinds = probe(flow, ctx, assertion)
        with torch.no_grad():
            y, _ = flow.forward(x)
        if not _finite(y):
            return [_non_finite("forward output finite", "y = f(x)", kinds, y)]
        jac, method, cross = checked_jacobian(flow, x, ctx, kinds)
        sign, logabs = slogdet64(jac)
        i = int(torch.argmin(sign.abs()))
        evidence = [holds("nonsingular: det J ≠ 0 at every probe point", bool((sign != 0).all()),
                          method=f"{method}; float64 slogdet", expected="sign(det J) = ±1",
                          counterexample={"sample": i, "kind": kinds[i], "log_abs_det": plain(logabs[i])},
                          invariants_declared=list(flow.invariants))]
        evidence += [region_evidence(flow), cross]
        evidence += [INVARIANTS[name](jac, ctx, flow, kinds) for name in flow.invariants]
        return evidence


# --------------------------------------------------------------------------------------------- consistency only


def consistency_only(flow: Flow, x: Tensor) -> dict[str, Any]:
    """The check many test suites stop at: round trip and ``ld_f(x) + ld_f⁻¹(f(x)) = 0``, no Jacobian.

    Uses ``allclose``-style tolerances of √ε (generous, as such tests are).  Returns what it saw.
    """
    tol = math.sqrt(eps(str(x.dtype)))
    with torch.no_grad():
        y, ld = flow.forward(x)
        x_back, ld_inv = flow.inverse(y)
    round_trip = bool(torch.isfinite(x_back).all()) and bool(torch.allclose(x_back, x, rtol=tol, atol=tol))
    cancel = True
    if ld_inv is not None:
        total = ld + ld_inv
        cancel = bool(torch.isfinite(total).all()) and bool((total.abs() <= tol * (1 + ld.abs())).all())
    return {"passed": round_trip and cancel, "round_trip": round_trip, "log_dets_cancel": cancel}
