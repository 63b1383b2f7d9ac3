"""Checks that Stirling's series is asymptotic, not convergent (ST-10), and of its optimal truncation (ST-11).

The coefficients grow factorially: ``|a_k/a_{k-2}| ≈ (k-1)(k-2)/(2π)²`` for odd ``k`` and ``(k-2)(k-3)/(2π)²`` for
even ``k`` (the ``a_k`` behave like ``Γ(k)/(2π)^{k+1}``; Boyd, *Acta Appl. Math.* 56, 1999, §5), and the log-series
coefficients ``B_2j/(2j(2j-1)) ~ (-1)^{j+1} 2(2j-2)!/(2π)^{2j}`` obey the same law.  So the radius of convergence
in ``1/x`` is 0, and for fixed ``x`` the error of the partial sums is smallest near ``K* ≈ 2πx`` terms, where the
terms are smallest, with a minimal relative error of order ``e^{-2πx}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Outcome, holds
from kexue_verify.formula import parse_formula
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.stirling.assertions import DivergenceRadii, OptimalTruncation
from kexue_verify_plugins.stirling.coefficients import log_series_coefficients, stirling_coefficients
from kexue_verify_plugins.stirling.numerics import log_slope, partial_sums, stirling_ratio

#: Number of coefficients examined for the growth of the ratios.
GROWTH_TERMS = 301
TWO_PI = 2 * math.pi


def _log10_abs(value: Fraction) -> float:
    return math.log10(abs(value.numerator)) - math.log10(value.denominator)


def _growth(coeffs: dict[int, Fraction], name: str) -> tuple[bool, dict[str, Any]]:
    """Do the ratios ``|c_k/c_{k-2}|`` grow like ``k²/(2π)²``?

    Passes if they increase with ``k`` (each parity, ``k ≥ 10``) and, for ``k ≥ 100``, differ from ``k²/(2π)²`` by
    at most ``6/k`` relatively: the asymptotic forms above differ from ``k²/(2π)²`` by ``3/k`` (odd) and ``5/k``
    (even) at first order.
    """
    ratios = {k: 10 ** (_log10_abs(coeffs[k]) - _log10_abs(coeffs[k - 2])) for k in coeffs if k - 2 in coeffs
              and coeffs[k - 2] != 0}
    increasing = all(ratios[k] > ratios[k - 2] for k in ratios if k >= 12 and k - 2 in ratios)
    far = [k for k in ratios if k >= 100]
    worst_k = max(far, key=lambda k: abs(ratios[k] * TWO_PI**2 / k**2 - 1) * k)
    deviation = abs(ratios[worst_k] * TWO_PI**2 / worst_k**2 - 1)
    picks = [next((k for k in (t, t + 1, t - 1) if k in ratios), None) for t in (20, 40, 60, 80, 100, 200, 300)]
    shown = {k: ratios[k] for k in picks if k is not None}  # the log series has odd k only
    return increasing and deviation <= 6 / worst_k, {
        "series": name,
        "ratios": {str(k): round(v, 3) for k, v in shown.items()},
        "k2_over_2pi2": {str(k): round(k**2 / TWO_PI**2, 3) for k in shown},
        "increasing": increasing,
        "worst_relative_deviation_k_ge_100": deviation,
        "at_k": worst_k,
        "allowed": 6 / worst_k,
        "root_test_radius": {str(k): 10 ** (-_log10_abs(coeffs[k]) / k) for k in (101, 201, 299) if k in coeffs},
    }


def _series_coefficients() -> dict[str, dict[int, Fraction]]:
    product = dict(enumerate(stirling_coefficients(GROWTH_TERMS)))
    log = {2 * j - 1: c for j, c in enumerate(log_series_coefficients(GROWTH_TERMS // 2), start=1)}
    return {"product": product, "log": log}


def divergence_symbolic(ctx: CheckContext, a: DivergenceRadii) -> list[Evidence]:
    """Exact coefficients to ``k = 300``: factorial growth of the ratios means radius 0; a stated radius ``r > 0``
    would need ``|c_k| (r/2)^k → 0``, which the exact values contradict (the counterexample gives its size)."""
    evidence = []
    for name, coeffs in _series_coefficients().items():
        grows, info = _growth(coeffs, name)
        stated = float(getattr(a, f"{name}_radius"))
        top = max(coeffs)
        if stated == 0:
            ok, counterexample = grows, info
        else:
            size = _log10_abs(coeffs[top]) + top * math.log10(stated / 2)
            ok = not grows and size < 0
            counterexample = {"k": top, f"log10 |c_k| (r/2)^k with r = {stated:.6g}": size,
                              "expected_for_radius_r": "→ −∞ (geometric decay)"}
        evidence.append(holds(f"{name} series: radius of convergence {stated:g} in 1/x", ok,
                              method=f"exact coefficients (FLINT, checked against pure Python) to k = {top}",
                              expected="ratios |c_k/c_{k-2}| ~ k²/(2π)² → ∞" if stated == 0 else f"radius {stated:g}",
                              counterexample=counterexample, **info))
    return evidence


def _float_limit(ctx: CheckContext) -> float:
    return float(torch.finfo(ctx.torch_dtype).max) / 1e6


def divergence_numeric(ctx: CheckContext, a: DivergenceRadii) -> list[Evidence]:
    """torch: the terms ``c_k x^{-k}`` at ``x = 1`` and ``x = 3`` — a series with radius ``r > 1/x`` must have
    terms tending to 0; here they grow past ``10¹⁰`` times their minimum (up to the largest ``k`` whose terms fit in
    the dtype).  Also the partial sums of the product series at ``x = 1`` against ``lgamma``: smallest error and
    error at the last ``k`` (the catalogue's 2.2e−4 at ``K = 5`` and ~3e51 at ``K = 80``)."""
    limit = _float_limit(ctx)
    evidence = []
    coefficient_sets = _series_coefficients()
    for name, coeffs in coefficient_sets.items():
        stated = float(getattr(a, f"{name}_radius"))
        rows, contradiction = [], None
        for xv in (1.0, 3.0):
            ks = [k for k in sorted(coeffs) if coeffs[k] != 0 and _log10_abs(coeffs[k]) - k * math.log10(xv)
                  < math.log10(limit)]
            exact_terms = [float(coeffs[k] / Fraction(xv) ** k) for k in ks]  # each fits the dtype (filter above)
            terms = torch.tensor(exact_terms, dtype=torch.float64).to(device=ctx.device, dtype=ctx.torch_dtype)
            mags = terms.abs()
            grows = bool(mags[-len(mags) // 4:].max() > 1e10 * mags.min())
            predicted_convergent = stated > 0 and 1 / xv < stated
            rows.append({"x": xv, "k_max": ks[-1], "min_term": float(mags.min()), "last_term": float(mags[-1]),
                         "terms_blow_up": grows, "predicted": "converges" if predicted_convergent else "diverges"})
            if grows == predicted_convergent and contradiction is None:
                contradiction = rows[-1]
        evidence.append(holds(f"{name} series terms at x = 1, 3", contradiction is None,
                              method=f"torch ({ctx.dtype}, {ctx.device}), terms up to the dtype's range",
                              expected=f"behaviour of a series with radius {stated:g} in 1/x",
                              counterexample=contradiction, points=rows))
    evidence.append(_partial_sums_at_one(ctx, coefficient_sets["product"], limit))
    return evidence


def _partial_sums_at_one(ctx: CheckContext, coeffs: dict[int, Fraction], limit: float) -> Evidence:
    ks = [k for k in sorted(coeffs) if k <= 80 and abs(float(coeffs[k])) < limit]
    one = torch.ones(1, dtype=ctx.torch_dtype, device=ctx.device)
    target, rounding = stirling_ratio(ctx, one, "gamma(x+1)", "sqrt(2*pi*x)*(x/E)**x")
    values = [float(coeffs[k]) for k in ks]
    errors = [float(((partial_sums(values, one, count) - target) / target).abs()[0]) for count in range(1, len(ks) + 1)]
    best = min(range(len(errors)), key=errors.__getitem__)
    # rounding of the reference plus Horner's rounding on the terms up to the best K (Higham γ_2K Σ|terms|)
    floor = float(rounding[0] / target[0]) + tolerance(ctx.dtype, n=2 * (best + 1),
                                                        scale=sum(abs(v) for v in values[: best + 1]))
    resolved = errors[best] > 10 * floor
    falls_then_rises = 0 < best < len(errors) - 1 and errors[-1] > errors[best] * 1e10
    if not resolved:
        return Evidence(name="partial sums at x = 1 first fall, then blow up", outcome=Outcome.UNDECIDED,
                        method=f"torch.lgamma ({ctx.dtype})", note="the minimal error is below the rounding bound")
    return holds("partial sums at x = 1 first fall, then blow up", falls_then_rises,
                 method=f"torch.lgamma reference ({ctx.dtype}, {ctx.device}), K = 0…{ks[-1]}",
                 expected="a minimum, then growth", best_last_index=best, min_relative_error=errors[best],
                 last_index=ks[-1], relative_error_at_last=errors[-1])


# --- ST-11 ------------------------------------------------------------------------------------------------------------

OPTIMAL_X = (1, 2, 3, 5, 10)
FIGURE_TERMS = 100


def _stated(a: OptimalTruncation, key: str, xv: float, k_star: int | None = None) -> float:
    expr = parse_formula(getattr(a, key), {"x": sp.Symbol("x"), "K": sp.Symbol("K"), "pi": sp.pi, "E": sp.E})
    return float(expr.subs({"x": xv, "K": k_star if k_star is not None else 0}))


def _error_table(points: Sequence[float], terms: int) -> dict[float, list[mpmath.mpf]]:
    """Relative errors of the partial sums ``Σ_{k≤K} a_k x^{-k}`` for ``K = 0 … terms−1`` (mpmath, 60 digits)."""
    coeffs = stirling_coefficients(terms)
    out = {}
    with mpmath.workdps(60):
        exact = [mpmath.mpf(c.numerator) / c.denominator for c in coeffs]
        for xv in points:
            xm = mpmath.mpf(xv)
            ratio = mpmath.gamma(xm + 1) / (mpmath.sqrt(2 * mpmath.pi * xm) * (xm / mpmath.e) ** xm)
            total, errors = mpmath.mpf(0), []
            for k, c in enumerate(exact):
                total += c / xm**k
                errors.append(abs(total / ratio - 1))
            out[xv] = errors
    return out


def _judge(a: OptimalTruncation, table: dict[float, list[Any]], method: str) -> list[Evidence]:
    """Compare measured ``K*``, minimal errors and monotonicity with the stated ones."""
    rows = []
    for xv, errors in table.items():
        best = min(range(len(errors)), key=lambda i: errors[i])
        rows.append({"x": xv, "K_star": best, "min_error": float(errors[best]),
                     "stated_K_star": _stated(a, "K_star", xv),
                     "stated_min_error": _stated(a, "min_error", xv, best),
                     "error_at_K_star_plus_6": float(errors[min(best + 6, len(errors) - 1)])})
    k_bad = [r for r in rows if abs(r["K_star"] - r["stated_K_star"]) > 2]
    order_bad = [r for r in rows if abs(math.log(r["min_error"] / r["stated_min_error"])) > math.log(100)]
    xs = [r["x"] for r in rows]
    measured_slope = log_slope(xs, [r["min_error"] for r in rows]) if len(rows) > 2 else float("nan")
    stated_slope = log_slope(xs, [r["stated_min_error"] for r in rows]) if len(rows) > 2 else float("nan")
    span = max(xs) - min(xs)
    slope_tol = 2 * math.log(max(xs) / min(xs)) / span if len(rows) > 2 else float("nan")
    rises = all(r["error_at_K_star_plus_6"] > r["min_error"] for r in rows)
    evidence = [
        holds("K* (index of the last term kept) = stated, ±2", not k_bad, method=method,
              expected=a.K_star, counterexample=k_bad[0] if k_bad else None, table=rows),
        holds("minimal error within a factor 100 of stated", not order_bad, method=method, expected=a.min_error,
              counterexample=order_bad[0] if order_bad else None),
        holds("the error falls monotonically with K" if a.monotone else "the error rises again after K*",
              rises != bool(a.monotone), method=method,
              expected="monotone" if a.monotone else "U-shaped",
              counterexample={"x": rows[0]["x"], "min_error": rows[0]["min_error"],
                              "error_6_terms_later": rows[0]["error_at_K_star_plus_6"]}),
    ]
    if len(rows) > 2:
        # A prefactor x^(-α) with |α| ≤ 2 shifts the slope of ln(error) against x by at most 2 ln(x_max/x_min)/span.
        evidence.append(holds("slope of ln(min error) against x = stated", abs(measured_slope - stated_slope)
                              <= slope_tol, method=method + "; least squares over x",
                              expected=f"{stated_slope:.4g} ± {slope_tol:.3g}",
                              counterexample={"measured_slope": measured_slope, "stated_slope": stated_slope},
                              measured_slope=measured_slope, stated_slope=stated_slope, minus_two_pi=-TWO_PI))
    return evidence


def _curve(xv: float, errors: Sequence[Any], ceiling: float = 10.0) -> dict[str, Any]:
    """One U-shaped curve for the figure, cut where the error passes ``ceiling`` (the divergent tail)."""
    ks = [k for k, e in enumerate(errors) if e <= ceiling]
    return {"label": f"x = {xv}", "x": ks, "y": [max(float(errors[k]), 1e-300) for k in ks], "marker": ""}


def optimal_symbolic(ctx: CheckContext, a: OptimalTruncation) -> list[Evidence]:
    """mpmath at 60 digits, ``x = 1, 2, 3, 5, 10``, ``K = 0 … 99``: the table of ST-11 and the U-shaped curves.

    ``K*`` may differ from ``2πx`` by up to 2: the ``a_k`` come in sign pairs (``++−−``), and near the optimum the
    terms change size by a factor ≈ ``k/(2πx) ≈ 1`` per step, so the minimum moves within a pair.  “Of order” is
    checked twice: within a factor 100 at each ``x`` and the slope of ``ln(error)`` against ``x``.
    """
    table = _error_table(OPTIMAL_X, FIGURE_TERMS)
    evidence = _judge(a, table, "mpmath, 60 digits, K = 0…99")
    figure = {
        "title": "Stirling series: relative error after K terms",
        "xlabel": "K (index of the last term kept)",
        "ylabel": "relative error",
        "yscale": "log",
        "series": [_curve(xv, errs) for xv, errs in table.items()],
        "vlines": [{"x": TWO_PI * xv, "label": "K = 2πx" if i == 0 else None} for i, xv in enumerate(OPTIMAL_X)],
        "caption": ("Each curve falls while terms are added, bottoms out near K ≈ 2πx (the dotted lines) and then "
                    "rises: the series diverges, so adding terms past the optimum makes the approximation worse."),
    }
    first = evidence[0]
    evidence[0] = Evidence(name=first.name, outcome=first.outcome, method=first.method, quantities=first.quantities,
                           expected=first.expected, tolerance=first.tolerance, counterexample=first.counterexample,
                           note="figure: the U-shaped error curves", figure=figure)
    return evidence


def optimal_numeric(ctx: CheckContext, a: OptimalTruncation) -> list[Evidence]:
    """torch: the same measurement with ``torch.lgamma`` in the run's dtype at the ``x`` whose minimal error the dtype
    resolves (10 times the rounding bound of the reference and of the partial sum): ``x = 1, 1.5, 2, 3`` in float64,
    ``x = 1`` in float32."""
    coeffs = [float(c) for c in stirling_coefficients(45)]
    table = {}
    for xv in (1.0, 1.5, 2.0, 3.0):
        xt = torch.tensor([xv], dtype=ctx.torch_dtype, device=ctx.device)
        target, rounding = stirling_ratio(ctx, xt, "gamma(x+1)", "sqrt(2*pi*x)*(x/E)**x")
        terms = torch.tensor(coeffs, dtype=ctx.torch_dtype, device=ctx.device) * xt ** -torch.arange(
            len(coeffs), dtype=ctx.torch_dtype, device=ctx.device)
        sums = torch.cumsum(terms, 0)
        errors = ((sums - target) / target).abs()
        best = int(torch.argmin(errors))
        # rounding of the reference plus that of the partial sum up to the best K (Higham γ on Σ|terms|)
        floor = float(rounding[0] / target[0]) + tolerance(ctx.dtype, n=best + 1,
                                                            scale=float(terms[: best + 1].abs().sum()))
        if float(errors[best]) > 10 * floor:
            table[xv] = errors.tolist()
    method = f"torch.lgamma ({ctx.dtype}, {ctx.device}), K = 0…44"
    if not table:
        return [Evidence(name="optimal truncation", outcome=Outcome.UNDECIDED, method=method,
                         note=f"{ctx.dtype} resolves the minimal error at none of x = 1, 1.5, 2, 3")]
    return _judge(a, table, method)
