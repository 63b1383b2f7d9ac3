"""Checks of the Stirling claims: SymPy limits, mpmath at high precision, torch ``lgamma`` in the run's dtype."""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, close, holds, undecided
from kexue_verify.numeric import torch_function
from kexue_verify.tolerances import tolerance

n = sp.Symbol("n", positive=True)


def _expr(text: str) -> sp.Expr:
    return sp.sympify(text, locals={"n": n, "E": sp.E, "pi": sp.pi})


def formula_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy: lim n!/f(n) = L (Gruntz); mpmath (50 digits): n·(n!/(L f(n)) − 1) → 1/12 like the stated correction."""
    f, limit = _expr(a["prefactor"]), _expr(a["limit"])
    found = sp.limit(sp.gamma(n + 1) / f, n, sp.oo)
    evidence = [holds("lim n!/f(n)", sp.simplify(found - limit) == 0, method="sympy.limit (Gruntz)",
                      expected=str(limit), found=str(found))]
    if not (found.is_finite and found.is_positive):
        return evidence
    fn = sp.lambdify(n, f, modules="mpmath")
    corr = sp.lambdify(n, _expr(a["correction"]), modules="mpmath")
    with mpmath.workdps(50):
        points = [mpmath.mpf(10) ** k for k in (3, 4, 5, 6)]
        worst = max(abs((mpmath.gamma(x + 1) / (fn(x) * mpmath.mpf(found)) - 1) / corr(x) - 1) for x in points)
    # The next term is 1/(288 n²), so the relative error of the first correction at n ≥ 10³ is ≤ 1/(24 n) + …
    evidence.append(close("first correction n!/(L f) − 1 vs stated", float(worst), 0.0, tol=1 / (24 * 10**3) * 1.01,
                          method="mpmath, 50 digits, n = 10³…10⁶"))
    return evidence


def formula_numeric(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """torch: r(n) = lgamma(n+1) − log f(n) − log L against the correction 1/(12n), for n = 10 … 10⁴.

    By DLMF 5.11.1, ln n! − ln(√(2πn)(n/e)^n) = 1/(12n) − 1/(360n³) + O(n⁻⁵), so the stated
    correction must match r(n) to within 1/(360 n³) plus rounding: for real n > 0 the remainder of
    the log series is bounded by its first omitted term (DLMF §5.11(ii)).

    The tolerance at each n is the dtype's rounding bound on ``lgamma(n+1)`` (Higham γ, scale
    |lgamma|) plus the omitted term 1/(360 n³); points where the correction is below ten times the
    rounding bound cannot decide anything and are left out (all of them, in float16).
    """
    log_f = sp.expand_log(sp.log(_expr(a["prefactor"])), force=True)
    fn = torch_function(log_f, "n")
    log_limit = float(sp.log(_expr(a["limit"])))
    corr = torch_function(a["correction"], "n")
    x = torch.logspace(1, 4, 31, dtype=ctx.torch_dtype, device=ctx.device)
    residual = torch.lgamma(x + 1) - fn(x) - log_limit
    target = corr(x)
    rounding = torch.tensor([tolerance(ctx.dtype, n=8, scale=v) for v in torch.lgamma(x + 1).tolist()],
                            dtype=ctx.torch_dtype, device=ctx.device)
    usable = target.abs() > 10 * rounding
    if not bool(usable.any()):
        return undecided("lgamma residual", method=f"torch.lgamma ({ctx.dtype})",
                         note=f"{ctx.dtype} cannot resolve the 1/(12n) correction at any n in 10…10⁴")
    tol = rounding + 1 / (360 * x**3)
    err = (residual - target).abs()
    bad = usable & (err > tol)
    worst = int(torch.argmax(torch.where(usable, err / tol, torch.zeros_like(err))))
    counterexample = {"n": float(x[worst]), "residual": float(residual[worst]), "expected": float(target[worst])}
    return holds(
        "lgamma(n+1) − log f(n) − log L ≈ correction",
        not bool(bad.any()) and bool(torch.isfinite(residual[usable]).all()),
        method=f"torch.lgamma ({ctx.dtype}, {ctx.device}), n = 10…10⁴ (31 points)",
        expected="|error| ≤ γ-rounding + 1/(360 n³)",
        counterexample=counterexample,
        max_error=float(err[usable].max()),
        points=int(usable.sum()),
        worst_ratio_to_tolerance=float((err / tol)[usable].max()),
    )
