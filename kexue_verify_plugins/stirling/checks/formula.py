"""Checks of Stirling's formula and series (ST-1 … ST-3): SymPy's asymptotic series, mpmath, torch ``lgamma``.

The symbolic side asks SymPy for the asymptotic expansion of ``ln Γ`` at infinity (its own implementation of
DLMF 5.11.1) and compares it with the stated prefactor and coefficients, and compares the coefficients with the
exact ones of :mod:`.coefficients`.  The numeric side measures, with ``torch.lgamma`` in the run's dtype, how the
truncation error of the stated series falls with ``x``.

torch (and :mod:`..numerics`, built on it) is imported inside the numeric checks only: the symbolic ones then run in
a process that has not imported it, as a worker's forked child decides a first case's symbolic part while the worker
imports torch (``kexue_verify.workers._ProofAhead``).
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from kexue_verify import CheckContext, Evidence, Formula, close, holds, undecided
from kexue_verify.helpers import tolerance, torch_function
from kexue_verify_plugins.stirling.assertions import GammaSeries, StirlingFormula, StirlingSeries
from kexue_verify_plugins.stirling.coefficients import fraction_text, log_series_coefficients, stirling_coefficients
from kexue_verify_plugins.stirling.symbolic import finite_power_series, fraction_value, log_ratio_series, t

n = sp.Symbol("n", positive=True)
x = sp.Symbol("x", positive=True)


# --- ST-1 -------------------------------------------------------------------------------------------------------------

def formula_symbolic(ctx: CheckContext, a: StirlingFormula) -> list[Evidence]:
    """SymPy: ``ln(n!/f(n))`` expanded at ``n = ∞`` is ``ln L + c/n + O(n⁻²)``; mpmath (50 digits) for ``c/n``.

    The expansion (in ``t = 1/n``) must be a power series: a ``log t`` or ``1/t`` term means ``n!/f(n)`` tends to 0
    or ∞.  Its constant term is the limit ``ln L`` and its ``t`` coefficient the first correction.
    """
    f, limit = a.prefactor.expr, a.limit.expr
    series = sp.expand(log_ratio_series("gamma(n+1)", a.prefactor, "n", 2))
    if not finite_power_series(series):
        return [holds("lim n!/f(n)", False, method="sympy.series of loggamma at ∞ (t = 1/n)",
                      expected=str(limit), found="0 or ∞: the expansion has log(n) or n terms",
                      counterexample={"log_ratio_expansion": str(series.subs(t, 1 / n))})]
    found = sp.simplify(sp.exp(series.coeff(t, 0)))
    evidence = [holds("lim n!/f(n)", sp.simplify(found - limit) == 0, method="sympy.series of loggamma at ∞",
                      expected=str(limit), found=str(found), counterexample={"limit": str(found)})]
    if not (found.is_finite and found.is_positive):
        return evidence
    fn = sp.lambdify(n, f, modules="mpmath")
    corr = sp.lambdify(n, a.correction.expr, modules="mpmath")
    with mpmath.workdps(50):
        points = [mpmath.mpf(10) ** k for k in (3, 4, 5, 6)]
        worst = max(abs((mpmath.gamma(p + 1) / (fn(p) * mpmath.mpf(sp.N(found, 60))) - 1) / corr(p) - 1)
                    for p in points)
    # The next term is 1/(288 n²), so the relative error of the first correction at n ≥ 10³ is ≤ 1/(24 n) + …
    evidence.append(close("first correction n!/(L f) − 1 vs stated", float(worst), 0.0, tol=1 / (24 * 10**3) * 1.01,
                          method="mpmath, 50 digits, n = 10³…10⁶"))
    return evidence


def formula_numeric(ctx: CheckContext, a: StirlingFormula) -> Evidence:
    """torch: r(n) = lgamma(n+1) − log f(n) − log L against the correction 1/(12n), for n = 10 … 10⁴.

    By DLMF 5.11.1, ln n! − ln(√(2πn)(n/e)^n) = 1/(12n) − 1/(360n³) + O(n⁻⁵), so the stated
    correction must match r(n) to within 1/(360 n³) plus rounding: for real n > 0 the remainder of
    the log series is bounded by its first omitted term (DLMF §5.11(ii)).

    The tolerance at each n is the dtype's rounding bound on ``lgamma(n+1)`` (Higham γ, scale
    |lgamma|) plus the omitted term 1/(360 n³); points where the correction is below ten times the
    rounding bound cannot decide anything and are left out (all of them, in float16).
    """
    import torch

    log_f = sp.expand_log(sp.log(a.prefactor.expr), force=True)
    fn = torch_function(log_f, "n")
    log_limit = float(sp.log(a.limit.expr))
    corr = torch_function(a.correction, "n")
    grid = torch.logspace(1, 4, 31, dtype=ctx.torch_dtype, device=ctx.device)
    residual = torch.lgamma(grid + 1) - fn(grid) - log_limit
    target = corr(grid)
    rounding = torch.tensor([tolerance(ctx.dtype, n=8, scale=v) for v in torch.lgamma(grid + 1).tolist()],
                            dtype=ctx.torch_dtype, device=ctx.device)
    usable = target.abs() > 10 * rounding
    if not bool(usable.any()):
        return undecided("lgamma residual", method=f"torch.lgamma ({ctx.dtype})",
                         note=f"{ctx.dtype} cannot resolve the 1/(12n) correction at any n in 10…10⁴")
    tol = rounding + 1 / (360 * grid**3)
    err = (residual - target).abs()
    bad = usable & (err > tol)
    worst = int(torch.argmax(torch.where(usable, err / tol, torch.zeros_like(err))))
    counterexample = {"n": float(grid[worst]), "residual": float(residual[worst]), "expected": float(target[worst])}
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


# --- ST-2 -------------------------------------------------------------------------------------------------------------

def _stated_series(text: Formula) -> list[Any]:
    """The coefficients ``[s_0, s_1, …]`` of a stated series ``Σ s_k n^{-k}``, a polynomial in ``1/n``."""
    expr = sp.expand(text.expr.subs(n, 1 / t))
    if not expr.is_polynomial(t):
        raise ValueError(f"the stated series {text!r} is not a polynomial in 1/n")
    return sp.Poly(expr, t).all_coeffs()[::-1]


def series_symbolic(ctx: CheckContext, a: StirlingSeries) -> list[Evidence]:
    """The stated ``s_k`` against two independent exact sources.

    1. The exact ``a_k`` of :func:`~.coefficients.stirling_coefficients` (Bernoulli-exp in pure Python).
    2. SymPy's own asymptotic expansion of ``ln Γ(n+1) − ln(√(2πn)(n/e)^n)`` at ``n = ∞``, exponentiated as a
       series in ``1/n`` — code that knows nothing of this project.
    """
    stated = [fraction_value(str(c)) for c in _stated_series(a.series)]
    size = len(stated)
    exact = stirling_coefficients(size, method="bernoulli")
    log_series = log_ratio_series("gamma(n+1)", "sqrt(2*pi*n)*(n/E)**n", "n", size)
    sympy_series = sp.Poly(sp.series(sp.exp(log_series), t, 0, size).removeO(), t).all_coeffs()[::-1]
    sympy_coeffs = [fraction_value(str(c)) for c in sympy_series] + [fraction_value(0)] * (size - len(sympy_series))
    evidence = []
    for source, reference in (("exact Bernoulli-exp a_k", exact), ("SymPy's loggamma series at ∞", sympy_coeffs)):
        wrong = [k for k in range(size) if stated[k] != reference[k]]
        evidence.append(holds(
            f"stated coefficients = {source}", not wrong,
            method="exact rational comparison, k = 0…" + str(size - 1),
            expected=[fraction_text(c) for c in reference],
            counterexample=({"k": wrong[0], "stated": fraction_text(stated[wrong[0]]),
                             "exact": fraction_text(reference[wrong[0]])} if wrong else None),
            stated=[fraction_text(c) for c in stated]))
    return evidence


def series_numeric(ctx: CheckContext, a: StirlingSeries) -> list[Evidence]:
    """torch: ``n!/(√(2πn)(n/e)^n)`` from ``lgamma`` minus the stated partial sums falls like ``n^{-K}``.

    Integers ``n = 4 … 120``; see :func:`~.numerics.residual_slopes` for the slope tolerance and the points used.
    """
    import torch

    from kexue_verify_plugins.stirling.numerics import residual_slopes, stirling_ratio

    stated = [float(fraction_value(str(c))) for c in _stated_series(a.series)]
    grid = torch.arange(4, 121, dtype=ctx.torch_dtype, device=ctx.device)
    values, rounding = stirling_ratio(ctx, grid, "gamma(x+1)", "sqrt(2*pi*x)*(x/E)**x")
    return residual_slopes(ctx, grid, values, rounding, stated, label="n!/(√(2πn)(n/e)^n)",
                           method=f"torch.lgamma ({ctx.dtype}, {ctx.device}), integer n = 4…120")


# --- ST-3 -------------------------------------------------------------------------------------------------------------

NON_INTEGER_POINTS = (7.3, 10.5, 25.25, 60.9)


def _gamma_shift(function: Formula) -> int:
    """``s`` for a stated function ``Γ(x + s)`` with an integer ``s`` (read from the parsed formula, not its text)."""
    expr = function.expr
    if isinstance(expr, sp.gamma):
        shift = sp.simplify(expr.args[0] - x)
        if shift.is_integer:
            return int(shift)
    raise ValueError(f"the stated function must be gamma(x + s) for an integer s, got {function!r}")


def noninteger_symbolic(ctx: CheckContext, a: GammaSeries) -> list[Evidence]:
    """mpmath (40 digits): at non-integer ``x`` the log series of ``ln(function/prefactor)`` obeys DLMF's bound.

    For real ``x > 0``, ``ln Γ(x+1) − ln(√(2πx)(x/e)^x) = Σ_{j≤J} c_j x^{-(2j-1)} + R_J`` with ``|R_J|`` at most the
    first omitted term (DLMF §5.11(ii)); the ``c_j`` are :func:`~.coefficients.log_series_coefficients`.  Since the
    ``a_k`` are the coefficients of ``exp`` of that series, the bound holding at non-integer ``x`` is the statement
    that Stirling's series describes ``Γ(x+1)`` there.  Also SymPy: the expansion of ``ln(function/prefactor)`` at
    ``∞`` must start at ``1/(12x)`` with no constant or ``log x`` term.
    """
    function, prefactor = a.function, a.prefactor
    logs = log_series_coefficients(7)
    fn = sp.lambdify(x, prefactor.expr, modules="mpmath")
    shift = _gamma_shift(function)
    worst: dict[str, float] | None = None
    with mpmath.workdps(40):
        for point in NON_INTEGER_POINTS:
            xp = mpmath.mpf(point)
            lhs = mpmath.loggamma(xp + shift) - mpmath.log(fn(xp))
            for j in range(1, 7):
                partial = sum(mpmath.mpf(c.numerator) / c.denominator * xp ** (-(2 * i - 1))
                              for i, c in enumerate(logs[:j], start=1))
                nxt = abs(mpmath.mpf(logs[j].numerator) / logs[j].denominator * xp ** (-(2 * j + 1)))
                excess = abs(lhs - partial) / nxt
                if worst is None or excess > worst["ratio_to_bound"]:
                    worst = {"x": point, "terms": j, "remainder": float(lhs - partial), "bound": float(nxt),
                             "ratio_to_bound": float(excess)}
    assert worst is not None
    holds_here = worst["ratio_to_bound"] <= 1.0
    claims_noninteger = a.holds_for == "real"
    series = sp.expand(log_ratio_series(function, prefactor, "x", 2))
    starts_right = finite_power_series(series) and series.coeff(t, 0) == 0 and series.coeff(t, 1) == sp.Rational(1, 12)
    return [
        holds("log series within DLMF's first-omitted-term bound at non-integer x", holds_here == claims_noninteger,
              method="mpmath 40 digits, x = " + ", ".join(map(str, NON_INTEGER_POINTS)) + ", 1…6 terms",
              expected="holds at non-integer x" if claims_noninteger else "fails at non-integer x",
              counterexample=worst, worst_ratio_to_bound=worst["ratio_to_bound"]),
        holds("ln(function/prefactor) = 1/(12x) + O(x⁻²) at ∞", starts_right,
              method="sympy.series of loggamma at ∞", expected="1/(12x) + O(x^-2)",
              counterexample={"expansion": str(series.subs(t, 1 / x))}, expansion=str(series.subs(t, 1 / x))),
    ]


def noninteger_numeric(ctx: CheckContext, a: GammaSeries) -> list[Evidence]:
    """torch: at non-integer ``x = k + 0.37`` the ratio ``function/prefactor`` minus ``Σ_{k<K} a_k x^{-k}`` falls
    like ``x^{-K}`` (exact ``a_k``), as at the integers; the claim that the series holds only at integers predicts
    it does not."""
    import torch

    from kexue_verify_plugins.stirling.numerics import residual_slopes, stirling_ratio

    grid = torch.arange(4, 121, dtype=ctx.torch_dtype, device=ctx.device) + 0.37
    values, rounding = stirling_ratio(ctx, grid, a.function, a.prefactor)
    exact = [float(c) for c in stirling_coefficients(5)]
    evidence = residual_slopes(ctx, grid, values, rounding, exact, label=f"{a.function}/prefactor at x = k + 0.37",
                               method=f"torch.lgamma ({ctx.dtype}, {ctx.device}), x = 4.37…120.37")
    if a.holds_for == "real":
        return evidence
    # The assertion says the series fails away from the integers: every slope that passed contradicts it.
    return [holds(f"fails at non-integers? {e.name}", not e.passed, method=e.method, quantities=dict(e.quantities),
                  expected="the series should fail at non-integer x", counterexample=e.quantities)
            if e.outcome.value in ("pass", "fail") else e for e in evidence]
