"""Checks of the post's quartic example (ST-12) and of its finite-interval version (ST-13).

Expanding ``e^{-εx⁴}`` under the integral and integrating term by term,

.. math::  I(\\varepsilon)=\\int_{-\\infty}^{\\infty}e^{-x^2-\\varepsilon x^4}dx \\sim \\sqrt\\pi\\sum_k
           \\frac{(-1)^k\\Gamma(2k+\\frac12)}{k!\\,\\Gamma(\\frac12)}\\varepsilon^k
           = \\frac{e^{1/(8\\varepsilon)}K_{1/4}(\\frac{1}{8\\varepsilon})}{2\\sqrt\\varepsilon},

a series whose coefficient ratio grows like ``4k`` (radius 0).  On ``[−M, M]`` the moments are
``γ(2k+½, M²) ≤ M^{4k+1}/(2k+½)``, so ``|d_k| ≤ 2M^{4k+1}/k!`` and the series is entire (kexue.fm/archives/3731,
“渐近级数为何渐近？”).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Outcome, holds
from kexue_verify.formula import parse_formula
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.stirling.assertions import FiniteInterval, QuarticSeries
from kexue_verify_plugins.stirling.numerics import context_for, residual_slopes, trapezoid, window
from kexue_verify_plugins.stirling.symbolic import fraction_value

k = sp.Symbol("k", integer=True, nonnegative=True)
eps = sp.Symbol("eps", positive=True)
M = sp.Symbol("M", positive=True)


def _sym(text: str) -> sp.Expr:
    return parse_formula(text, {"k": k, "eps": eps, "M": M, "pi": sp.pi, "E": sp.E})


def _truth(order: int) -> sp.Expr:
    """The coefficient of ``ε^order`` in ``I(ε)/√π``: ``(−1)^k/k! ∫ x^{4k} e^{-x²} dx / √π`` (SymPy integral)."""
    return sp.nsimplify(_moment_integral().subs(k, order) * (-1) ** order / (sp.factorial(order) * sp.sqrt(sp.pi)))


@lru_cache(maxsize=1)
def _moment_integral() -> sp.Expr:
    """``∫_{-∞}^{∞} y^{4k} e^{-y²} dy`` for symbolic ``k ≥ 0`` (SymPy: ``Γ(2k + ½)``)."""
    y = sp.Symbol("y", real=True)
    return sp.integrate(y ** (4 * k) * sp.exp(-(y**2)), (y, -sp.oo, sp.oo))


def _general_terms(text: str, e: float, count: int) -> list[float]:
    """``√π c_k ε^k`` for ``k < count`` from the stated general formula, evaluated exactly by SymPy then rounded.

    Exact first: ``c_29`` alone is ~10⁴⁶, beyond float32, while ``c_29 ε^29`` at ``ε = 0.05`` is ~10⁹.
    """
    general = _sym(text)
    ee = sp.nsimplify(e)
    return [float(sp.sqrt(sp.pi) * general.subs(k, j) * ee**j) for j in range(count)]


# --- ST-12 ------------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _general_mismatches(general_text: str) -> list[dict[str, str]]:
    general = _sym(general_text)
    out = []
    for order in range(9):
        truth = _truth(order)
        if sp.simplify(general.subs(k, order) - truth) != 0:
            out.append({"k": str(order), "stated": str(sp.simplify(general.subs(k, order))), "integral": str(truth)})
    return out


@lru_cache(maxsize=8)
def _growth(general_text: str) -> tuple[sp.Expr, sp.Expr]:
    """The ratio ``c_{k+1}/c_k`` of the general formula and ``lim |ratio|/k`` (SymPy)."""
    general = _sym(general_text)
    ratio = sp.simplify(sp.expand_func(general.subs(k, k + 1) / general))
    return ratio, sp.limit(sp.Abs(ratio) / k, k, sp.oo)


@lru_cache(maxsize=8)
def _quartic_quad(e: str) -> tuple[mpmath.mpf, mpmath.mpf]:
    with mpmath.workdps(40):
        em = mpmath.mpf(e)
        return mpmath.quad(lambda x: mpmath.exp(-x * x - em * x**4), [-mpmath.inf, 0, mpmath.inf], error=True)


@lru_cache(maxsize=8)
def _closed_form_rows(closed_form: str) -> list[dict[str, float]]:
    closed = sp.lambdify(eps, _sym(closed_form), modules="mpmath")
    rows = []
    with mpmath.workdps(40):
        for e in ("0.01", "0.1", "1", "3"):
            value, err = _quartic_quad(e)
            rows.append({"eps": float(e), "relative_difference": float(abs(closed(mpmath.mpf(e)) / value - 1)),
                         "quad_error_estimate": float(err / value)})
    return rows


def quartic_symbolic(ctx: CheckContext, a: QuarticSeries) -> list[Evidence]:
    """SymPy and mpmath: coefficients, their growth, the closed form.

    * SymPy integrates ``∫ x^{4k}e^{-x²}dx`` for ``k = 0 … 8``; the stated list and the stated general formula
      must give the same ``ε^k`` coefficients.
    * The ratio of the stated general coefficients, ``|c_{k+1}/c_k|/k``, has a finite positive limit (SymPy): the
      ratio grows like ``4k``, so the radius is 0; compared with the stated radius.
    * mpmath (40 digits) compares the stated closed form with ``quad`` at ``ε = 0.01, 0.1, 1, 3``; tolerance
      ``10⁻²⁹`` relative, above ``quad``'s error estimate.
    """
    listed = [fraction_value(c) for c in a.coefficients]
    wrong_list = []
    for order in range(len(listed)):
        truth = _truth(order)
        if sp.Rational(listed[order].numerator, listed[order].denominator) != truth:
            wrong_list.append({"k": order, "stated": str(listed[order]), "integral": str(truth)})
    wrong_general = _general_mismatches(a.general)
    ratio, growth = _growth(a.general)
    radius_zero = bool(growth.is_positive) and bool(growth.is_finite)
    stated_radius = float(a.radius)
    rows = _closed_form_rows(a.closed_form)
    worst = max(rows, key=lambda r: r["relative_difference"])
    return [
        holds("stated coefficients = (−1)^k ∫x^{4k}e^{-x²}dx/(k!√π)", not wrong_list, method="sympy.integrate, exact",
              expected="equal", counterexample=wrong_list[0] if wrong_list else None),
        holds("stated general formula = the same, k = 0…8", not wrong_general, method="sympy.integrate, exact",
              expected="equal", counterexample=wrong_general[0] if wrong_general else None),
        holds(f"radius of convergence {stated_radius:g}", radius_zero == (stated_radius == 0),
              method="sympy.limit of |c_{k+1}/c_k|/k", expected="radius 0: the ratio grows like k",
              counterexample={"ratio": str(ratio), "lim |ratio|/k": str(growth), "stated_radius": stated_radius},
              ratio=str(ratio), growth=str(growth)),
        holds("closed form = ∫ e^{-x²-εx⁴}dx", worst["relative_difference"] <= 1e-29, method="mpmath.quad, 40 digits",
              expected="relative difference ≤ 1e-29", counterexample=worst, points=rows),
    ]


def _quartic_integral(ctx: CheckContext, e: float) -> tuple[torch.Tensor, float]:
    """``∫ e^{-x²-εx⁴} dx`` by the trapezoid rule (1001 points on its window) and its rounding bound."""
    value, rounding = _quartic_integral_cached(ctx.dtype, ctx.device, e)
    return torch.tensor(value, dtype=ctx.torch_dtype, device=ctx.device), rounding


@lru_cache(maxsize=64)
def _quartic_integral_cached(dtype: str, device: str, e: float) -> tuple[float, float]:
    ctx = context_for(dtype, device)

    def phi(x: torch.Tensor) -> torch.Tensor:
        return -x * x - e * x**4

    lo, hi = window(ctx, phi, -30.0, 30.0)
    quad = trapezoid(ctx, lambda x: torch.exp(phi(x)), lo, hi, 1001, error_scale=lambda x: x * x + e * x**4 + 1)
    return float(quad.value), float(quad.rounding)


def quartic_numeric(ctx: CheckContext, a: QuarticSeries) -> list[Evidence]:
    """torch: ``I(ε)`` by the trapezoid rule (1001 points on its window; geometric convergence, see
    :func:`~.numerics.trapezoid`).

    * The stated coefficients: the residual ``I/√π − Σ_{k<K} s_k ε^k`` falls like ``ε^K`` for ``ε = 2·10⁻⁴ …
      0.02`` (slopes as in :func:`~.numerics.residual_slopes`, with ``1/ε`` in the role of ``x`` and the exact
      coefficients for ``ρ``).
    * At ``ε = 0.05``, partial sums of the stated general formula: the best truncation (index of the last term)
      must be the stated one, and if the stated radius exceeds 0.05 the partial sums must converge.
    """
    sqrt_pi = math.sqrt(math.pi)
    stated = [float(fraction_value(c)) for c in a.coefficients]
    exact = [float(_truth(order)) for order in range(len(stated) + 4)]
    grid = torch.logspace(math.log10(2e-4), math.log10(0.02), 16, dtype=torch.float64).tolist()
    values, roundings = [], []
    for e in grid:
        value, rounding = _quartic_integral(ctx, e)
        values.append(value / sqrt_pi)
        roundings.append(rounding / sqrt_pi + tolerance(ctx.dtype, n=8, scale=1.0))
    inverse = torch.tensor([1 / e for e in grid], dtype=ctx.torch_dtype, device=ctx.device)
    method = f"torch trapezoid, 1001 points ({ctx.dtype}, {ctx.device})"
    bounds = torch.tensor(roundings, dtype=ctx.torch_dtype, device=ctx.device)
    evidence = residual_slopes(ctx, inverse, torch.stack(values), bounds, stated, label="I(ε)/√π in powers of ε",
                               method=method + ", ε = 2e-4…0.02", exact=exact)
    evidence.append(_optimal_truncation(ctx, a, method))
    return evidence


def _optimal_truncation(ctx: CheckContext, a: QuarticSeries, method: str) -> Evidence:
    e = float(a.optimal_eps)
    value, rounding = _quartic_integral(ctx, e)
    terms = torch.tensor(_general_terms(a.general, e, 30), dtype=torch.float64).to(ctx.device, ctx.torch_dtype)
    errors = ((torch.cumsum(terms, 0) - value) / value).abs()
    best = int(torch.argmin(errors))
    # rounding of the quadrature and of the sequential partial sums (Higham γ_{i+1} Σ_{k≤i}|terms|), relative
    floors = [(rounding + tolerance(ctx.dtype, n=i + 1, scale=float(terms[: i + 1].abs().sum()))) / float(value)
              for i in range(len(terms))]
    if float(errors[best]) < 10 * floors[best]:
        return Evidence(name=f"optimal truncation at ε = {e:g}", outcome=Outcome.UNDECIDED, method=method,
                        note=f"{ctx.dtype} cannot resolve the minimal error")
    # indices whose error cannot be told from the minimum within rounding
    ties = [i for i in range(len(terms)) if float(errors[i]) <= float(errors[best]) + floors[i] + floors[best]]
    diverges = float(errors[-1]) > 1.0 and float(errors[-1]) > 1e3 * float(errors[best])
    radius = float(a.radius)
    predicted_divergent = not (radius > e)
    ok = int(a.optimal_last_index) in ties and diverges == predicted_divergent
    return holds(f"optimal truncation at ε = {e:g}", ok, method=method + f", partial sums k = 0…29 at ε = {e:g}",
                 expected=f"best last index {a.optimal_last_index}; "
                          + ("diverges" if predicted_divergent else "converges"),
                 counterexample={"best_last_index": best, "indices_tied_within_rounding": ties,
                                 "min_relative_error": float(errors[best]),
                                 "relative_error_at_29": float(errors[-1])},
                 best_last_index=best, min_relative_error=float(errors[best]), relative_error_at_29=float(errors[-1]))


# --- ST-13 ------------------------------------------------------------------------------------------------------------

FINITE_EPS = (0.05, 0.1, 0.2)


def _finite_coefficients(m: float, count: int) -> list[mpmath.mpf]:
    """``d_k = (−1)^k γ(2k+½, M²)/k!`` at 30 digits (``∫_{-M}^{M} x^{4k}e^{-x²}dx = γ(2k+½, M²)``, ``y = x²``)."""
    with mpmath.workdps(30):
        return [(-1) ** j * mpmath.gammainc(2 * j + mpmath.mpf(1) / 2, 0, m * m) / mpmath.factorial(j)
                for j in range(count)]


@lru_cache(maxsize=8)
def _log_root_limit(bound: str, m: Any) -> sp.Expr:
    """``lim_{k→∞} ln(bound)/k`` by SymPy (``k`` real; ``−∞`` means ``bound^{1/k} → 0``)."""
    kr = sp.Symbol("k", positive=True)
    expr = parse_formula(bound, {"k": kr, "M": M}).subs(M, sp.nsimplify(m))
    return sp.limit(sp.expand_log(sp.log(expr), force=True) / kr, kr, sp.oo)


def finite_symbolic(ctx: CheckContext, a: FiniteInterval) -> list[Evidence]:
    """mpmath: the moments against the stated bound (``k ≤ 60``), the ratios ``|d_{k+1}/d_k|``, and SymPy: the stated
    bound's ``k``-th root tends to 0, so the bound makes the series entire; compared with the stated radius."""
    m = float(a.M)
    d = _finite_coefficients(m, 61)
    bound = sp.lambdify(k, a.bound.expr.subs(M, m), modules="mpmath")
    over = [j for j in range(61) if abs(d[j]) > bound(j)]
    with mpmath.workdps(30):  # d_2 = γ(4.5, M²)/2! against a direct quadrature of the moment
        integral = mpmath.quad(lambda x: x**8 * mpmath.exp(-x * x), [-m, 0, m])
        moment_ok = bool(abs(integral - abs(d[2]) * 2) / integral < mpmath.mpf(10) ** -25)
    log_root = _log_root_limit(a.bound, a.M)
    entire = log_root == -sp.oo
    root = sp.exp(log_root)
    radius = a.radius.expr.subs(M, m)
    ratios = {j: float(abs(d[j + 1] / d[j])) for j in (5, 10, 20, 40)}
    return [
        holds("|d_k| ≤ stated bound, k = 0…60", not over and moment_ok, method="mpmath gammainc, 30 digits",
              expected=a.bound, counterexample={"k": over[0], "d_k": float(abs(d[over[0]])),
                                                   "bound": float(bound(over[0]))} if over else None,
              moment_check_d2_by_quad=moment_ok, ratios=ratios),
        holds(f"radius of convergence {a.radius} (M = {m:g})", entire == (radius == sp.oo),
              method="sympy.limit of ln(bound)/k", expected="∞: bound^(1/k) → 0",
              counterexample={"lim bound^(1/k)": str(root), "stated_radius": str(radius),
                              "|d_k|^(1/k) at k = 60": float(abs(d[60]) ** (mpmath.mpf(1) / 60))},
              limit_of_root=str(root)),
    ]


def finite_numeric(ctx: CheckContext, a: FiniteInterval) -> Evidence:
    """torch: Gauss–Legendre (64 nodes) on ``[−M, M]`` against the partial sums of ``Σ d_k ε^k`` at ``ε = 0.05, 0.1,
    0.2`` (``d_k`` from ``torch.special.gammainc``), ``k ≤ 80``.

    The integrand is entire, so the 64-point rule is exact to rounding (its agreement with mpmath ``quad`` is
    below 10⁻¹⁴ at these ε); the tolerance is the rounding of the rule (``γ_64 Σ w|f|``) plus that of the partial
    sum (``γ_81 Σ|d_k ε^k|``).  A stated radius below ``ε`` predicts that the partial sums do not converge there.
    """
    m = float(a.M)
    nodes, weights = np.polynomial.legendre.leggauss(64)
    xs = torch.as_tensor(nodes * m, dtype=ctx.torch_dtype, device=ctx.device)
    ws = torch.as_tensor(weights * m, dtype=ctx.torch_dtype, device=ctx.device)
    js = torch.arange(0, 81, dtype=ctx.torch_dtype, device=ctx.device)
    a_ = 2 * js + 0.5
    # γ(a, M²) = P(a, M²) Γ(a), in logs: Γ(160.5) overflows float32 while d_k stays moderate
    log_lower = torch.log(torch.special.gammainc(a_, torch.full_like(a_, m * m))) + torch.lgamma(a_)
    d = (-1) ** js * torch.exp(log_lower - torch.lgamma(js + 1))
    radius = float(a.radius.expr.subs(M, m))
    rows, contradiction = [], None
    for e in FINITE_EPS:
        f = torch.exp(-xs * xs - e * xs**4)
        integral = (ws * f).sum()
        terms = d * e**js
        partial = terms.sum()
        tol = tolerance(ctx.dtype, n=64, scale=float((ws * f).abs().sum())) + tolerance(
            ctx.dtype, n=81, scale=float(terms.abs().sum()))
        converges = float((partial - integral).abs()) <= tol and float(terms[-1].abs()) <= tol
        predicted = e < radius
        rows.append({"eps": e, "integral": float(integral), "partial_sum_k_le_80": float(partial),
                     "difference": float((partial - integral).abs()), "tolerance": tol,
                     "largest_term": float(terms.abs().max()), "predicted": "converges" if predicted else "diverges"})
        if converges != predicted and contradiction is None:
            contradiction = rows[-1]
    return holds("partial sums at ε above M⁻⁴ converge to the integral", contradiction is None,
                 method=f"torch Gauss–Legendre 64 + torch.special.gammainc ({ctx.dtype}, {ctx.device})",
                 expected=f"behaviour of a series with radius {a.radius}", counterexample=contradiction, points=rows)
