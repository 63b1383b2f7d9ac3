"""Check of MG-5: irrelevant features do not help and do hurt least squares.

OLS on n samples of x ~ N(0, I_p), y = x·β + σε, has expected test MSE σ²(1 + E tr((XᵀX)⁻¹)) = σ²(1 + p/(n − p − 1))
(the inverse-Wishart mean E(XᵀX)⁻¹ = I/(n − p − 1); Anderson, *An Introduction to Multivariate Statistical
Analysis*, 3rd ed., §7.7 / Breiman & Freedman 1983).  k pure-noise features enter as p → p + k, which raises it.

The symbolic side checks the p = 1 case from ``sympy.stats`` (E[1/χ²_n] = 1/(n − 2)) and the sign of ∂/∂p of the
stated formula; the numeric side simulates n = 50, p = 5 → 25 with ``torch.linalg.lstsq`` on batches of designs.
"""

from __future__ import annotations

from functools import cache

import sympy as sp
import sympy.stats as stats
import torch

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import least_squares
from kexue_verify_plugins.mangoes.assertions import LeastSquaresRisk

REPLICATES = 4000


def _formula(a: LeastSquaresRisk) -> tuple[sp.Expr, sp.Symbol, sp.Symbol, sp.Symbol]:
    """The stated risk and its symbols p, n, σ (positive)."""
    names = a.risk.symbols
    return a.risk.expr, names["p"], names["n"], names["sigma"]


def risk_symbolic(ctx: CheckContext, a: LeastSquaresRisk) -> list[Evidence]:
    """SymPy: at p = 1 the risk is σ²(1 + E[1/χ²_n]) (``sympy.stats``); ∂risk/∂p on 0 < p < n − 1 has the claimed
    sign."""
    risk, p, n, sigma = _formula(a)
    chi = stats.ChiSquared("c", a.n)
    exact_p1 = 1 + stats.E(1 / chi)
    stated_p1 = sp.simplify((risk / sigma**2).subs({p: 1, n: a.n}))
    slope = sp.simplify(sp.diff(risk, p))
    probe = [slope.subs({p: q, n: a.n, sigma: 1}) for q in range(1, a.n - 2)]
    increasing = all(s > 0 for s in probe)
    return [
        holds(f"p = 1, n = {a.n}: risk/σ² = 1 + E[1/χ²_n]", sp.simplify(stated_p1 - exact_p1) == 0,
              method="sympy.stats.E of 1/ChiSquared", exact=str(exact_p1), stated=str(stated_p1),
              counterexample={"exact": str(exact_p1), "stated": str(stated_p1)}),
        holds(f"the risk rises with p: {a.increasing_in_p}", increasing is a.increasing_in_p,
              method="sympy.diff of the stated risk, p = 1 … n − 3", derivative=str(slope),
              counterexample={"derivative": str(slope)}),
    ]


@cache
def simulate(seed: int, dtype: str, device: str, n: int, p: int, k: int) -> dict[int, tuple[float, float]]:
    """Mean and standard error of σ² + ‖β̂ − β‖² (the exact test MSE given β̂, for x ~ N(0, I)) at p and p + k."""
    ctx = CheckContext(case_id="mangoes.risk", seed=seed, dtype=dtype, device=device)
    gen = ctx.generator()
    dt = ctx.torch_dtype
    beta = torch.randn(p, generator=gen, dtype=dt, device=device)
    x = torch.randn(REPLICATES, n, p + k, generator=gen, dtype=dt, device=device)
    y = x[:, :, :p] @ beta + torch.randn(REPLICATES, n, generator=gen, dtype=dt, device=device)
    out = {}
    for q in (p, p + k):
        coef = least_squares(x[:, :, :q], y[:, :, None])[:, :, 0]
        full = torch.cat([beta, torch.zeros(q - p, dtype=dt, device=device)])
        mse = 1 + ((coef - full) ** 2).sum(dim=1)
        out[q] = (float(mse.mean()), float(mse.std() / REPLICATES**0.5))
    return out


def risk_numeric(ctx: CheckContext, a: LeastSquaresRisk) -> list[Evidence]:
    """torch: 4000 replicate designs (σ = 1); the mean test MSE at p and p + k within 5 standard errors of the
    stated formula, and the measured change from p to p + k against the claimed direction (beyond 5 standard errors).
    """
    n, p, k = a.n, a.p, a.k
    sim = simulate(ctx.seed, ctx.dtype, ctx.device, n, p, k)
    risk, ps, ns, sigma = _formula(a)
    evidence = []
    for q in (p, p + k):
        mean, se = sim[q]
        want = float(risk.subs({ps: q, ns: n, sigma: 1}))
        evidence.append(close(f"test MSE at p = {q}", mean, want, tol=5 * se, method=f"torch.linalg.lstsq on "
                              f"{REPLICATES} designs, n = {n} ({ctx.dtype})", standard_error=se,
                              counterexample={"p": q, "simulated": mean, "stated": want}))
    (m0, s0), (m1, s1) = sim[p], sim[p + k]
    rises = m1 - m0 > 5 * (s0**2 + s1**2) ** 0.5
    evidence.append(holds(f"adding {k} noise features raises the test MSE: {a.increasing_in_p}",
                          rises is a.increasing_in_p, method="difference beyond 5 standard errors",
                          before=m0, after=m1, counterexample={"before": m0, "after": m1}))
    return evidence
