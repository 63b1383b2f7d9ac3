r"""The generic ``em-routing`` checks: they run on every registered implementation of the protocol (:mod:`..routing`).

Ground truth never comes from the implementation: agreement is with the reference Procedure 1 computed in float64;
the weighted statistics and the cost identity are recomputed in float64 from the implementation's own assignments;
gradients are compared with central finite differences (Richardson pair) of the implementation's own forward pass
in float64, not with autograd.

Probes: a random layer (3 × 16 children × 4 parents × 16 pose entries, 3 iterations, a_i ∈ [0.1, 1],
β ~ N(0, ½²), λ ∈ [0.05, 0.2]) and a layer with a **single child** (Gritzman 2019, §3.1), where every parent's
variance is 0 before the floor ε.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import rounding_gamma as gamma
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.capsules.routing import (
    LOG_2PI,
    EMRouting,
    RoutingResult,
    as_routing_result,
    variance_floor_of,
)

__all__ = ["agreement", "assignments_are_distributions", "compare", "cost_identity", "gradients", "make_probe",
           "weighted_statistics"]

NAMES = ("poses", "variances", "activations", "assignments")


def make_probe(ctx: CheckContext, *, batch: int = 3, n_in: int = 16, n_out: int = 4, pose: int = 16,
               iterations: int = 3, offset: int = 0) -> dict[str, Any]:
    """Random routing inputs in float64 on the CPU, drawn from the case's seed (``offset`` for another draw)."""
    gen = ctx.generator(offset, device="cpu")
    f64 = torch.float64
    return {
        "votes": torch.randn(batch, n_in, n_out, pose, generator=gen, dtype=f64),
        "a_in": 0.1 + 0.9 * torch.rand(batch, n_in, generator=gen, dtype=f64),
        "beta_u": 0.5 * torch.randn(n_out, generator=gen, dtype=f64),
        "beta_a": 0.5 * torch.randn(n_out, generator=gen, dtype=f64),
        "inverse_temperature": float(0.05 + 0.15 * torch.rand((), generator=gen, dtype=f64)),
        "iterations": iterations,
    }


def single_child_probe(ctx: CheckContext) -> dict[str, Any]:
    """One child voting for four parents: each parent's weighted variance is exactly 0."""
    return make_probe(ctx, batch=2, n_in=1, n_out=4, offset=7)


def describe(probe: dict[str, Any]) -> dict[str, Any]:
    b, i, j, h = probe["votes"].shape
    return {"batch": b, "n_in": i, "n_out": j, "pose": h, "iterations": probe["iterations"],
            "inverse_temperature": round(probe["inverse_temperature"], 6)}


def run_routing(routing: Any, probe: dict[str, Any], *, dtype: torch.dtype, device: str,
                grad: bool = False) -> RoutingResult:
    """Call ``routing`` on ``probe`` (cast to ``dtype``) and read the output through the protocol."""
    votes = probe["votes"].to(device=device, dtype=dtype)
    args = [probe[k].to(device=device, dtype=dtype) for k in ("a_in", "beta_u", "beta_a")]
    b, i, j, h = votes.shape
    with torch.set_grad_enabled(grad):
        out = routing(votes, *args, probe["inverse_temperature"], probe["iterations"])
    return as_routing_result(out, batch=b, n_in=i, n_out=j, pose=h)


def _f64(result: RoutingResult) -> list[Tensor]:
    return [t.detach().to(device="cpu", dtype=torch.float64) for t in result]


def argmax_index(err: Tensor) -> list[int]:
    """The index of the largest entry of ``err``, NaN counting as the largest."""
    flat = int(err.nan_to_num(math.inf).flatten().argmax())
    return [int(k) for k in torch.unravel_index(torch.tensor(flat), err.shape)]


def _nonfinite(values: list[Tensor]) -> dict[str, Any] | None:
    for name, t in zip(NAMES, values, strict=True):
        bad = ~torch.isfinite(t)
        if bad.any():
            index = [int(k) for k in bad.nonzero()[0]]
            return {"output": name, "index": index, "value": str(float(t[tuple(index)]))}
    return None


def _not_finite(probe: dict[str, Any], bad: dict[str, Any], ctx: CheckContext) -> Evidence:
    """The implementation returned NaN or ±inf at a finite probe: a failure of the implementation, with where.

    (A buggy variance, Σ r (V − μ)²/n, gave NaN assignments in float32 at run seed 19; the check then formed a NaN
    tolerance from them and reported an *error*, so the claim was "crashed on a false variant".)"""
    return holds("the routing's outputs are finite at a finite probe", False, method=f"implementation in {ctx.dtype}",
                 counterexample={**describe(probe), **bad}, nonfinite_outputs=1)


def _condition(probe: dict[str, Any], floor: float, ref: list[Tensor], *, delta: float = 1e-7,
               directions: int = 3) -> float:
    """How much a relative input perturbation δ is amplified in the outputs, measured on the float64 reference."""
    gen = torch.Generator().manual_seed(12345)
    worst = 1.0
    for _ in range(directions):
        moved = dict(probe)
        for key in ("votes", "a_in"):
            x = probe[key]
            moved[key] = x * (1 + delta * (2 * torch.rand(x.shape, generator=gen, dtype=x.dtype) - 1))
        out = _f64(run_routing(EMRouting(floor), moved, dtype=torch.float64, device="cpu"))
        for a, b in zip(out, ref, strict=True):
            worst = max(worst, float((a - b).abs().max()) / max(float(b.abs().max()), 1e-300) / delta)
    return worst


def compare(routing: Any, probe: dict[str, Any], ctx: CheckContext, label: str) -> Evidence:
    floor = variance_floor_of(routing)
    ref = _f64(run_routing(EMRouting(floor), probe, dtype=torch.float64, device="cpu"))
    got = _f64(run_routing(routing, probe, dtype=ctx.torch_dtype, device=ctx.device))
    where = describe(probe)
    bad = _nonfinite(got)
    if bad:
        return holds(f"{label}: outputs are finite", False, method="reference Procedure 1 in float64",
                     counterexample={**where, **bad}, nonfinite_outputs=1)
    kappa = _condition(probe, floor, ref)
    _, i, _, h = probe["votes"].shape
    errors, tols, worst = {}, {}, None
    for name, a, r in zip(NAMES, got, ref, strict=True):
        tol = tolerance(ctx.dtype, n=i * h * probe["iterations"], condition=kappa, scale=max(float(r.abs().max()), 1))
        err = (a - r).abs()
        errors[name], tols[name] = float(err.max()), tol
        if errors[name] > tol and worst is None:
            index = argmax_index(err)
            worst = {**where, "output": name, "index": index, "implementation": float(a[tuple(index)]),
                     "reference": float(r[tuple(index)]), "error": errors[name], "tolerance": tol}
    return holds(f"{label}: equal to the reference Procedure 1", worst is None,
                 method=f"implementation in {ctx.dtype} on {ctx.device} vs Procedure 1 in float64; tolerance "
                        f"8·γ_n·κ·scale with n = n_in·pose·iterations and κ measured on the reference",
                 counterexample=worst, condition_number=kappa, max_error=errors, tolerance=tols, floor=floor)


def agreement(ctx: CheckContext, a: Any) -> list[Evidence]:
    """The implementation's outputs equal the float64 reference on a random layer and on a single-child layer."""
    return [compare(ctx.model, make_probe(ctx), ctx, "random layer"),
            compare(ctx.model, single_child_probe(ctx), ctx, "single child")]


def assignments_are_distributions(ctx: CheckContext, a: Any) -> Evidence:
    """Every child's assignments R_ij (after two E-steps) are ≥ 0 and sum to 1 over all parents."""
    probe = make_probe(ctx)
    r = _f64(run_routing(ctx.model, probe, dtype=ctx.torch_dtype, device=ctx.device))[3]
    n_out = r.shape[-1]
    tol = tolerance(ctx.dtype, n=n_out)
    sums = r.sum(-1)
    row_error = (sums - 1).abs()
    ok = bool(torch.isfinite(r).all()) and float(r.min()) >= -tol and float(row_error.max()) <= tol
    counterexample = None
    if not ok:
        bi = argmax_index(row_error)
        counterexample = {**describe(probe), "batch_child": bi, "row_sum": float(sums[tuple(bi)]),
                          "row": [float(x) for x in r[tuple(bi)]]}
    return holds("R_ij ≥ 0 and Σ_j R_ij = 1 for every child", ok, method=f"{ctx.dtype}, tolerance 8·γ_n_out",
                 counterexample=counterexample, min_assignment=float(r.min().nan_to_num(-math.inf)),
                 max_row_error=float(row_error.max().nan_to_num(math.inf)), tolerance=tol)


def paper_statistics(probe: dict[str, Any], assignments: Tensor, floor: float) -> tuple[Tensor, Tensor, Tensor]:
    r"""μ, σ² and a of Procedure 1's M-step from given assignments, in float64 (the paper's definitions)."""
    votes, a_in = probe["votes"], probe["a_in"]
    r = assignments * a_in[..., None]
    amount = r.sum(1)
    mu = (r[..., None] * votes).sum(1) / amount[..., None]
    sigma2 = (r[..., None] * (votes - mu[:, None]) ** 2).sum(1) / amount[..., None] + floor
    cost = (probe["beta_u"][:, None] + 0.5 * sigma2.log()) * amount[..., None]
    return mu, sigma2, torch.sigmoid(probe["inverse_temperature"] * (probe["beta_a"] - cost.sum(-1)))


def weighted_statistics(ctx: CheckContext, a: Any) -> list[Evidence]:
    r"""μ, σ² and a are Procedure 1's weighted statistics of the implementation's own assignments."""
    probe = make_probe(ctx)
    floor = variance_floor_of(ctx.model)
    outputs = _f64(run_routing(ctx.model, probe, dtype=ctx.torch_dtype, device=ctx.device))
    bad = _nonfinite(outputs)
    if bad:  # the statistics of non-finite assignments are not defined: the implementation fails, the check does not
        return [_not_finite(probe, bad, ctx)]
    mu, sigma2, act, assignments = outputs
    want_mu, want_s2, want_a = paper_statistics(probe, assignments, floor)
    _, n_in, _, d = probe["votes"].shape
    vmax = float(probe["votes"].abs().max())
    amount = float((assignments * probe["a_in"][..., None]).sum(1).max())
    # The cost Σ_h (β_u + ½ ln σ²_h) S_j: S_j and σ²_h are sums of positive terms (relative error γ_n), so its
    # error is γ_n·d·S·(|β_u| + ½|ln σ²| + 1); the logistic's slope is at most λ/4.
    cost_scale = d * amount * (float(probe["beta_u"].abs().max()) + 0.5 * float(want_s2.log().abs().max()) + 1)
    checks = [
        ("μ_j = Σ_i a_iR_ij V_ij / Σ_i a_iR_ij", mu, want_mu, tolerance(ctx.dtype, n=n_in + 2, scale=vmax)),
        ("σ_j² = Σ_i a_iR_ij (V_ij − μ_j)² / Σ_i a_iR_ij + ε", sigma2, want_s2,
         tolerance(ctx.dtype, n=n_in + 4, scale=(vmax + float(want_mu.abs().max())) ** 2)),
        ("a_j = logistic(λ(β_a − Σ_h (β_u + ln σ_j^h) Σ_i a_iR_ij))", act, want_a,
         tolerance(ctx.dtype, n=n_in + d + 4, scale=probe["inverse_temperature"] * cost_scale / 4)),
    ]
    out = []
    for name, got, want, tol in checks:
        err = (got - want).abs()
        finite = bool(torch.isfinite(got).all())
        worst = float(err.max()) if finite else math.inf
        ce = None
        if not finite or worst > tol:
            idx = argmax_index(err)
            ce = {**describe(probe), "index": idx, "implementation": str(float(got[tuple(idx)])),
                  "paper": float(want[tuple(idx)])}
        out.append(holds(name, finite and worst <= tol, method=f"recomputed in float64 from the implementation's "
                         f"assignments ({ctx.dtype} implementation)", counterexample=ce,
                         max_error=worst if finite else -1.0, tolerance=tol))
    return out


def cost_identity(ctx: CheckContext, a: Any) -> Evidence:
    r"""Eq. (1) on the implementation's numbers: :math:`\sum_i -r_{ij}\ln\mathcal N(V^h_{ij};\mu^h_j,\sigma^h_j)
    = (\ln\sigma^h_j + \frac{1+\ln 2\pi}{2})\sum_i r_{ij}` with :math:`r_{ij}=a_iR_{ij}`, less the floor's exact
    bias :math:`\frac12\sum_ir_{ij}\,\varepsilon/(\sigma_j^h)^2`."""
    probe = make_probe(ctx)
    floor = variance_floor_of(ctx.model)
    outputs = _f64(run_routing(ctx.model, probe, dtype=ctx.torch_dtype, device=ctx.device))
    bad = _nonfinite(outputs)
    if bad:
        return _not_finite(probe, bad, ctx)
    mu, sigma2, _, assignments = outputs
    votes = probe["votes"]
    r = assignments * probe["a_in"][..., None]
    amount = r.sum(1)[..., None]                                                  # (b, j, 1)
    log_n = -0.5 * (LOG_2PI + sigma2[:, None].log() + (votes - mu[:, None]) ** 2 / sigma2[:, None])
    direct = -(r[..., None] * log_n).sum(1)                                       # (b, j, h)
    eq1 = (0.5 * sigma2.log() + (1 + LOG_2PI) / 2) * amount - 0.5 * amount * floor / sigma2
    n_in = votes.shape[1]
    # Rounding: γ_n·S·(1 + |ln σ²|) for the sums, and u·max|V|·S/σ from an error in μ (Σ_i r|V − μ| ≤ Sσ).
    scale = amount * (1 + sigma2.log().abs() + float(votes.abs().max()) / sigma2.sqrt())
    tol = tolerance(ctx.dtype, n=n_in + 6) * scale
    err = (direct - eq1).abs()
    ratio = err / tol
    finite = bool(torch.isfinite(err).all())
    worst = float(ratio.max()) if finite else math.inf
    ce = None
    if not finite or worst > 1:
        idx = argmax_index(ratio)
        ce = {**describe(probe), "batch_parent_pose": idx, "sum_r": float(amount[idx[0], idx[1], 0]),
              "direct": str(float(direct[tuple(idx)])), "eq_1": float(eq1[tuple(idx)]),
              "tolerance": float(tol[tuple(idx)])}
    return holds("Σ_i −r_ij ln N(V; μ, σ²) = (ln σ + (1 + ln 2π)/2) Σ_i r_ij for every parent and pose entry",
                 finite and worst <= 1, method=f"float64 from the implementation's μ, σ², R ({ctx.dtype}); "
                 "tolerance 8·γ_n·S_j(1 + |ln σ²| + max|V|/σ) for each entry", counterexample=ce,
                 max_error=float(err.max()) if finite else -1.0, max_error_over_tolerance=worst if finite else -1.0,
                 floor=floor)


def _functional(routing: Any, probe: dict[str, Any], weights: list[Tensor],
                inputs: dict[str, Tensor]) -> Tensor:
    out = routing(inputs["votes"], inputs["a_in"], inputs["beta_u"], inputs["beta_a"],
                  probe["inverse_temperature"], probe["iterations"])
    b, i, j, h = inputs["votes"].shape
    mu, sigma2, act, _ = as_routing_result(out, batch=b, n_in=i, n_out=j, pose=h)
    return (weights[0] * mu).sum() + (weights[1] * sigma2.log()).sum() + (weights[2] * act).sum()


def _gradient_evidence(routing: Any, probe: dict[str, Any], label: str, seed: int) -> Evidence:
    gen = torch.Generator().manual_seed(seed % 2**63)
    keys = ("votes", "a_in", "beta_u", "beta_a")
    b, i, j, h = probe["votes"].shape
    weights = [torch.randn(b, j, h, generator=gen, dtype=torch.float64),
               torch.randn(b, j, h, generator=gen, dtype=torch.float64) / 10,
               torch.randn(b, j, generator=gen, dtype=torch.float64)]
    x = {k: probe[k].clone().requires_grad_(True) for k in keys}
    with torch.enable_grad():
        value = _functional(routing, probe, weights, x)
        raw_grads = torch.autograd.grad(value, [x[k] for k in keys], allow_unused=True)
    grads = [torch.zeros_like(x[k]) if g is None else g for k, g in zip(keys, raw_grads, strict=True)]
    where = describe(probe)
    if not math.isfinite(float(value.detach())) or not all(bool(torch.isfinite(g).all()) for g in grads):
        return holds(f"{label}: loss and gradient are finite", False, method="autograd in float64",
                     counterexample={**where, "loss": str(float(value.detach()))}, nonfinite=1)
    worst, records = None, []
    n_terms = sum(w.numel() for w in weights)
    for k in range(3):
        direction = {key: torch.randn(probe[key].shape, generator=gen, dtype=torch.float64) for key in keys}
        norm = math.sqrt(sum(float((d**2).sum()) for d in direction.values()))
        direction = {key: d / norm for key, d in direction.items()}
        auto = sum(float((g * direction[key]).sum()) for key, g in zip(keys, grads, strict=True))

        def along(t: float, direction: dict[str, Tensor] = direction) -> float:
            with torch.no_grad():
                return float(_functional(routing, probe, weights, {key: probe[key] + t * direction[key]
                                                                    for key in keys}))

        h1 = 1e-3
        d1 = (along(h1) - along(-h1)) / (2 * h1)
        d2 = (along(h1 / 2) - along(-h1 / 2)) / h1
        richardson = (4 * d2 - d1) / 3
        size = sum(float((w.abs()).sum()) for w in weights) * (1 + abs(float(value.detach())))
        tol = 4 * abs(d1 - d2) + 8 * gamma(n_terms * i, "float64") * size / h1
        records.append({"direction": k, "autograd": auto, "finite_difference": richardson, "tolerance": tol})
        if abs(auto - richardson) > tol and worst is None:
            worst = {**where, **records[-1]}
    return holds(f"{label}: autograd directional derivatives equal central finite differences", worst is None,
                 method="float64; central differences at h = 1e-3 and 5e-4, Richardson-extrapolated; tolerance "
                        "4|D(h) − D(h/2)| + 8γ_n·|loss scale|/h", counterexample=worst,
                 max_error=max(abs(r["autograd"] - r["finite_difference"]) for r in records))


def gradients(ctx: CheckContext, a: Any) -> list[Evidence]:
    """Gradients through the unrolled routing are finite and pass a finite-difference check (float64 copy)."""
    routing = copy.deepcopy(ctx.model)
    to = getattr(routing, "to", None)
    if callable(to):
        routing = to(device="cpu", dtype=torch.float64)
    return [_gradient_evidence(routing, make_probe(ctx, batch=2, n_in=6, n_out=4), "random layer", ctx.seed),
            _gradient_evidence(routing, single_child_probe(ctx), "single child", ctx.seed + 1)]
