"""Checks of Su's q-method (ST-7 … ST-9): order bookkeeping, the printed q-expansion, term-by-term integration.

The post (kexue.fm/archives/3731, “斯特灵级数”) replaces ``u → qu`` and ``x → x/q²`` in the Laplace integrand,

.. math::  \\exp\\Bigl(-\\frac{xu^2}{2}-\\frac{x}{q^2}\\Bigl(e^{qu}-1-qu-\\frac{q^2u^2}{2}\\Bigr)+qu\\Bigr),

expands in ``q``, integrates each order against ``e^{-xu²/2}`` (``∫ e^{-xu²/2}u^p du = (p-1)!!√(2π)x^{-(p+1)/2}``)
and reads ``a_k`` off ``q^{2k}``.  Setting ``v = qu`` shows what the bookkeeping means for the integral itself:
``I(q, x) = (1/q) J(x/q²)`` with ``J(y) = ∫ e^{-y(e^v-1-v)+v} dv``, so ``I(q, x)√x`` depends on ``q/√x`` only
and is even in ``q`` — which the numeric check measures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Outcome, holds
from kexue_verify.formula import parse_formula
from kexue_verify.helpers import tolerance, torch_function
from kexue_verify_plugins.stirling.assertions import QBookkeeping, QExpansion, TermByTerm
from kexue_verify_plugins.stirling.coefficients import (
    fraction_text,
    gaussian_moment,
    q_expansion,
    stirling_coefficients,
)
from kexue_verify_plugins.stirling.numerics import (
    context_for,
    exp_tail,
    fit_slope,
    residual_slopes,
    trapezoid,
    window,
)
from kexue_verify_plugins.stirling.symbolic import fraction_value, same_function

from .laplace import gaussian_integral

x = sp.Symbol("x", positive=True)
u = sp.Symbol("u", real=True)
q = sp.Symbol("q", real=True)

#: Orders of the power-sum cross-check of the exact expansion (SymPy polynomials).
CROSS_CHECK_ORDER = 8


def _sym(text: str) -> sp.Expr:
    return parse_formula(text, {"x": x, "u": u, "q": q, "E": sp.E, "pi": sp.pi})


@lru_cache(maxsize=4)
def _power_sum_expansion(order: int) -> dict[tuple[int, int, int], sp.Rational]:
    """``exp(G) = Σ_m G^m/m!`` truncated at ``q^order``, with SymPy polynomials — the post's route, literally.

    ``G = qu − x Σ_{m=3}^{order+2} q^{m−2}u^m/m!`` (the Taylor expansion of ``(x/q²)(e^{qu} − 1 − qu − q²u²/2)``).
    """
    ring, qq, uu, xx = sp.ring("q,u,x", sp.QQ)
    g = qq * uu - sum(xx * qq ** (m - 2) * uu**m / sp.factorial(m) for m in range(3, order + 3))

    def truncate(p: Any) -> Any:
        return ring({mon: c for mon, c in p.items() if mon[0] <= order})

    total, term = ring(1), ring(1)
    for m in range(1, order + 1):
        term = truncate(term * g) / m
        total += term
    return {mon: sp.Rational(c) for mon, c in total.items()}


# --- ST-7 -------------------------------------------------------------------------------------------------------------

def bookkeeping_symbolic(ctx: CheckContext, a: QBookkeeping) -> list[Evidence]:
    """Exact expansion to ``q^order``: the power of ``x`` each order carries after integration, and odd orders.

    Monomial ``q^a u^p x^j`` integrates (against ``e^{-xu²/2}``, relative to the leading ``√(2π/x)``) to
    ``(p−1)!! x^{j−p/2}``, so order ``a`` carries ``x^{(j−p/2)}``; the measured exponent per unit of ``q`` is
    compared with the stated one.  Odd orders must integrate to 0.  The expansion itself (the ODE recurrence of
    :func:`~.coefficients.q_expansion`) is cross-checked against the literal ``Σ G^m/m!`` to ``q^8``.
    """
    order = int(a.order)
    expansion = q_expansion(order)
    stated = fraction_value(a.x_power_per_q)
    exponents: set[Any] = set()
    odd_totals: dict[int, Any] = {}
    broken = None
    for (qa, p, j), coeff in expansion.items():
        if qa == 0 or gaussian_moment(p) == 0:
            if qa % 2:
                odd_totals.setdefault(qa, 0)
            continue
        per_q = fraction_value(f"({2 * j - p})/({2 * qa})")
        exponents.add(per_q)
        if per_q != stated and broken is None:
            broken = {"monomial": f"q^{qa} u^{p} x^{j}", "coefficient": fraction_text(coeff),
                      "integrates_to": f"x^({fraction_text(fraction_value(f'({2 * j - p})/2'))})",
                      "stated": f"x^({fraction_text(stated * qa)})"}
        if qa % 2:
            odd_totals[qa] = odd_totals.get(qa, 0) + coeff * gaussian_moment(p)
    odd_zero = all(v == 0 for v in odd_totals.values())
    literal = _power_sum_expansion(CROSS_CHECK_ORDER)
    ours = {k: sp.Rational(v.numerator, v.denominator) for k, v in q_expansion(CROSS_CHECK_ORDER).items()}
    differ = sorted(set(literal) ^ set(ours)) + [k for k in literal if k in ours and literal[k] != ours[k]]
    return [
        holds("every order q^n integrates to x^(n·stated)", broken is None and len(exponents) == 1,
              method=f"exact rational expansion to q^{order}, Gaussian moment map",
              expected=f"x^({a.x_power_per_q}) per power of q", counterexample=broken,
              measured_exponents=sorted(fraction_text(e) for e in exponents), monomials=len(expansion)),
        holds("odd orders vanish after integration" if a.odd_orders_vanish else "odd orders survive integration",
              odd_zero == bool(a.odd_orders_vanish), method="exact rational arithmetic",
              expected="all zero" if a.odd_orders_vanish else "some nonzero",
              counterexample={"odd_orders_all_zero": odd_zero, "orders_checked": sorted(odd_totals)}),
        holds("expansion = literal Σ G^m/m! (SymPy polynomials)", not differ,
              method=f"exact comparison to q^{CROSS_CHECK_ORDER}", expected="identical coefficients",
              counterexample={"first_differing_monomial": str(differ[0])} if differ else None,
              monomials=len(literal)),
    ]


def _log_q_integrand(qv: float, xv: float) -> Any:
    """``φ(u) = −(x/q²)(e^{qu} − 1 − qu) + qu`` (the scaled integrand's log; the Gaussian part included)."""

    def phi(uu: torch.Tensor) -> torch.Tensor:
        v = qv * uu
        return -(xv / qv**2) * exp_tail(v, 2) + v

    return phi


def _scaled_integral(ctx: CheckContext, qv: float, xv: float) -> tuple[float, float]:
    """``I(q, x)·√x`` by the trapezoid rule (4001 points on the window) and its rounding bound."""
    return _scaled_integral_cached(ctx.dtype, ctx.device, qv, xv)


@lru_cache(maxsize=64)
def _scaled_integral_cached(dtype: str, device: str, qv: float, xv: float) -> tuple[float, float]:
    ctx = context_for(dtype, device)
    phi = _log_q_integrand(qv, xv)
    lo, hi = window(ctx, phi, -400.0, 400.0)
    quad = trapezoid(ctx, lambda uu: torch.exp(phi(uu)), lo, hi, 4001,
                     error_scale=lambda uu: 4 * (xv / qv**2) * exp_tail(qv * uu, 2).abs() + (qv * uu).abs() + 1)
    return float(quad.value) * xv**0.5, float(quad.rounding) * xv**0.5


def bookkeeping_numeric(ctx: CheckContext, a: QBookkeeping) -> list[Evidence]:
    """torch: ``I(q, x)√x`` is invariant under ``q → λq, x → λ^{−1/α}x`` (``α`` the stated power per ``q``), and
    even in ``q``.

    If order ``q^n`` carries ``x^{nα}``, then ``I√x`` is a function of ``q x^α`` alone; ``λ = 2`` at three points.
    Tolerance: the two quadratures' rounding bounds (Higham γ, see :func:`~.numerics.trapezoid`).
    """
    alpha = float(fraction_value(a.x_power_per_q))
    lam = 2.0
    rows, broken = [], None
    for qv, xv in ((0.5, 2.0), (1.0, 3.0), (0.3, 1.5)):
        base, err_base = _scaled_integral(ctx, qv, xv)
        moved, err_moved = _scaled_integral(ctx, lam * qv, lam ** (-1 / alpha) * xv)
        diff, tol = abs(moved - base), err_base + err_moved
        rows.append({"q": qv, "x": xv, "I_sqrt_x": base, "moved": moved, "difference": diff, "tolerance": tol})
        if diff > tol and broken is None:
            broken = rows[-1]
    odd_rows, odd_seen = [], False
    for qv, xv in ((0.5, 2.0), (1.0, 3.0)):
        plus, e1 = _scaled_integral(ctx, qv, xv)
        minus, e2 = _scaled_integral(ctx, -qv, xv)
        nonzero = abs(plus - minus) > e1 + e2
        odd_seen = odd_seen or nonzero
        odd_rows.append({"q": qv, "x": xv, "I(q)-I(-q)": plus - minus, "tolerance": e1 + e2})
    method = f"torch trapezoid, 4001 points ({ctx.dtype}, {ctx.device})"
    return [
        holds(f"I(q,x)√x invariant under q→2q, x→2^({-1 / alpha:g})x", broken is None, method=method,
              expected=f"function of q·x^({a.x_power_per_q}) only", counterexample=broken, points=rows),
        holds("I(q,x) = I(−q,x): no odd orders" if a.odd_orders_vanish else "I(q,x) ≠ I(−q,x): odd orders",
              odd_seen != bool(a.odd_orders_vanish), method=method,
              expected="even in q" if a.odd_orders_vanish else "not even in q",
              counterexample={"points": odd_rows}, points=odd_rows),
    ]


# --- ST-8 -------------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=2)
def _integrand_series(order: int) -> tuple[sp.Expr, ...]:
    """SymPy's series of the full q-integrand (with ``e^{qu}`` itself) in ``q``: coefficients of ``q^0 … q^order``."""
    exponent = -x * u**2 / 2 - (x / q**2) * (sp.exp(q * u) - 1 - q * u - q**2 * u**2 / 2) + q * u
    series = sp.expand(sp.series(sp.exp(exponent), q, 0, order + 1).removeO())
    return tuple(sp.simplify(series.coeff(q, i)) for i in range(order + 1))


def expansion_symbolic(ctx: CheckContext, a: QExpansion) -> list[Evidence]:
    """SymPy ``series`` of the integrand in ``q`` (through ``q²``) against each stated term."""
    truth = _integrand_series(len(a.terms) - 1)
    evidence = []
    for i, (text, coeff) in enumerate(zip(a.terms, truth, strict=True)):
        same = same_function(_sym(text), coeff, {x: (0.3, 4.0), u: (-2.5, 2.5)}, seed=ctx.seed + i)
        evidence.append(holds(f"coefficient of q^{i}", same.holds, method="sympy.series; " + same.method,
                              expected=str(coeff), counterexample=same.counterexample, stated=text))
    return evidence


@lru_cache(maxsize=8)
def _relative_terms(terms: Sequence[str]) -> tuple[list[sp.Expr], list[sp.Expr]]:
    """The stated terms relative to the Gaussian, ``h_i = T_i e^{xu²/2}`` (SymPy-simplified), with ``h_0 − 1`` in
    place of ``h_0``; and for each the sum of its monomials' absolute values, which bounds its rounding."""
    gauss = sp.exp(x * u**2 / 2)
    rel = [sp.simplify(_sym(t) * gauss) for t in terms]
    rel[0] = sp.simplify(rel[0] - 1)
    size = [sp.Add(*(sp.Abs(m) for m in sp.Add.make_args(sp.expand(h)))) for h in rel]
    return rel, size


def expansion_numeric(ctx: CheckContext, a: QExpansion) -> Evidence:
    """torch: the integrand minus the stated terms is ``O(q^{m})`` for ``m`` stated terms — log-log slope in ``q``.

    On ``u ∈ [−3, 3]`` (61 points), ``x ∈ {1, 2, 4}``: ``E(q) = max|integrand − Σ q^i T_i|``, computed without
    cancellation as ``e^{-xu²/2}·|expm1(r) − (h_0 − 1) − Σ_{i≥1} q^i h_i|`` with ``r = qu − (x/q²)(e^{qu} − 1 − qu −
    q²u²/2)`` (the tail summed by its series) and ``h_i = T_i e^{xu²/2}``, so the rounding is of order ε·q, not ε.
    For true terms ``E(q) = q^m ‖T_m‖(1 + ρ)``, ``|ρ| ≤ (q‖T_{m+1}‖ + q²‖T_{m+2}‖)/‖T_m‖`` (norms on the same grid
    from the exact expansion; doubled for the omitted orders), so ``log E`` is off a line of slope ``m`` by at most
    ``−log(1 − 2ρ)`` and the fitted slope by that times ``Σ|w_i|``, the least-squares weights; a wrong ``T_i``
    (``i < m``) leaves slope ``i``.  Of ``q = 0.01, 0.02, …, 0.16`` the four smallest where ``E`` is at least 10 times
    its rounding bound are used (at least three are needed), and the rounding's possible effect on the slope
    (``max −log(1 − δ/E)`` times the sum of the least-squares weights) is added.
    """
    count = len(a.terms)
    grid_u = torch.linspace(-3, 3, 61, dtype=ctx.torch_dtype, device=ctx.device)
    grid_x = torch.tensor([1.0, 2.0, 4.0], dtype=ctx.torch_dtype, device=ctx.device)
    uu, xx = torch.meshgrid(grid_u, grid_x, indexing="ij")
    gauss = torch.exp(-xx * uu * uu / 2)
    rel, size = _relative_terms(tuple(a.terms))

    def on_grid(expr: sp.Expr) -> torch.Tensor:
        return torch.as_tensor(torch_function(expr, "x", "u", positive=False)(xx, uu), dtype=uu.dtype,
                               device=uu.device).expand_as(uu)

    rel_values, size_values = [on_grid(h) for h in rel], [on_grid(m) for m in size]
    exact = _exact_terms(count + 2, uu, xx)
    norms = [float(t.abs().max()) for t in exact]
    candidates = [0.01, 0.02, 0.04, 0.08, 0.16]
    errs, roundings = [], []
    for qv in candidates:
        v = qv * uu
        tail = (xx / qv**2) * exp_tail(v, 3)
        remainder = torch.expm1(v - tail) - sum((qv**i * h for i, h in enumerate(rel_values)), torch.zeros_like(uu))
        errs.append(float((gauss * remainder).abs().max()))
        scale = gauss * (v.abs() + 4 * tail.abs() + torch.expm1(v - tail).abs()
                         + sum(qv**i * m for i, m in enumerate(size_values)))
        roundings.append(tolerance(ctx.dtype, n=8, scale=float(scale.max())))
    usable = [i for i, (e, r) in enumerate(zip(errs, roundings, strict=True)) if e >= 10 * r][:4]
    qs = [candidates[i] for i in usable]
    method = (f"torch ({ctx.dtype}, {ctx.device}), u ∈ [−3, 3], x ∈ {{1, 2, 4}}, "
              f"q = {', '.join(f'{v:g}' for v in qs) or 'none usable'}")
    if len(usable) < 3:
        return Evidence(name="integrand − stated terms = O(q^m)", outcome=Outcome.UNDECIDED, method=method,
                        note=f"{ctx.dtype} cannot resolve the O(q^{count}) remainder", quantities={"errors": errs})
    rho = (max(qs) * norms[count + 1] + max(qs) ** 2 * norms[count + 2]) / norms[count]
    lq = torch.log(torch.tensor(qs, dtype=torch.float64))
    centred = lq - lq.mean()
    weight = float(centred.abs().sum() / (centred * centred).sum())  # Σ|w_i| of the least-squares slope
    model = weight * -math.log1p(-2 * rho)  # log E moves by ≤ −log(1 − ρ); ρ doubled for the omitted orders
    noise = weight * max(-math.log1p(-roundings[i] / errs[i]) for i in usable)
    tol = model + noise
    used = [errs[i] for i in usable]
    slope = fit_slope(lq, torch.log(torch.tensor(used, dtype=torch.float64)))
    return holds("integrand − stated terms = O(q^m)", abs(slope - count) <= tol, method=method,
                 expected=f"slope {count} ± {tol:.3g}", counterexample={"q": qs, "max_error": used, "slope": slope},
                 slope=slope, tolerance=tol, tolerance_from_next_terms=model, tolerance_from_rounding=noise,
                 errors=used, stated_terms=count)


def _exact_terms(count: int, uu: torch.Tensor, xx: torch.Tensor) -> list[torch.Tensor]:
    """``T_0 … T_{count}`` on the grid, from the exact expansion (times ``e^{-xu²/2}``), for the slope tolerance."""
    gauss = torch.exp(-xx * uu * uu / 2)
    terms = [torch.zeros_like(uu) for _ in range(count + 1)]
    for (qa, p, j), coeff in q_expansion(count).items():
        terms[qa] = terms[qa] + float(coeff) * uu**p * xx**j
    return [t * gauss for t in terms]


# --- ST-9 -------------------------------------------------------------------------------------------------------------

def term_by_term_symbolic(ctx: CheckContext, a: TermByTerm) -> list[Evidence]:
    """The q-method in exact arithmetic to ``q^{q_order}``: its ``a_k`` against the stated ones and against the
    Bernoulli-exp coefficients; SymPy's ``∫ e^{-xu²/2} du`` against the stated prefactor."""
    order = int(a.q_order)
    q_coeffs = stirling_coefficients(order // 2 + 1, method="q-method")
    bernoulli = stirling_coefficients(order // 2 + 1, method="bernoulli")
    stated = [fraction_value(c) for c in a.series]
    wrong = [k for k, s in enumerate(stated) if k >= len(q_coeffs) or s != q_coeffs[k]]
    disagree = [k for k in range(len(q_coeffs)) if q_coeffs[k] != bernoulli[k]]
    prefactor = same_function(gaussian_integral(0), a.prefactor.expr, {x: (0.2, 20.0)}, seed=ctx.seed,
                              positive=True)
    return [
        holds("∫ e^{-xu²/2} du = stated prefactor", prefactor.holds, method="sympy.integrate; " + prefactor.method,
              expected=a.prefactor, found=str(gaussian_integral(0)), counterexample=prefactor.counterexample),
        holds("stated series = q-method coefficients", not wrong, method=f"exact q-method to q^{order}",
              expected=[fraction_text(c) for c in q_coeffs[: len(stated)]],
              counterexample={"k": wrong[0], "stated": fraction_text(stated[wrong[0]]),
                              "q_method": fraction_text(q_coeffs[wrong[0]])} if wrong else None),
        holds(f"q-method a_0…a_{order // 2} = Bernoulli-exp a_k", not disagree, method="exact rational comparison",
              expected="identical", counterexample={"k": disagree[0]} if disagree else None,
              q_method=[fraction_text(c) for c in q_coeffs]),
    ]


@lru_cache(maxsize=64)
def _laplace_integral(dtype: str, device: str, xv: float) -> tuple[float, float]:
    """``∫ e^{-x(e^u−1−u)+u} du`` (the last form of ST-4) by the trapezoid rule, and its rounding bound."""
    ctx = context_for(dtype, device)
    phi = _log_q_integrand(1.0, xv)
    lo, hi = window(ctx, phi, -400.0, 60.0)
    quad = trapezoid(ctx, lambda uu: torch.exp(phi(uu)), lo, hi, 4001,
                     error_scale=lambda uu: 4 * xv * exp_tail(uu, 2).abs() + uu.abs() + 1)
    return float(quad.value), float(quad.rounding)


def term_by_term_numeric(ctx: CheckContext, a: TermByTerm) -> list[Evidence]:
    """torch: the Laplace integral by the trapezoid rule, divided by the stated prefactor, minus the stated partial
    sums, falls like ``x^{-K}`` (``x = 4 … 60``; see :func:`~.numerics.residual_slopes`)."""
    prefactor = torch_function(a.prefactor, "x")
    stated = [float(fraction_value(c)) for c in a.series]
    points = torch.logspace(0.6, 1.78, 24, dtype=torch.float64).tolist()
    values, rounding = [], []
    for xv in points:
        integral, bound = _laplace_integral(ctx.dtype, ctx.device, xv)
        scale = torch.as_tensor(prefactor(torch.tensor(xv, dtype=ctx.torch_dtype, device=ctx.device)),
                                dtype=ctx.torch_dtype, device=ctx.device)
        value = integral / scale
        values.append(value)
        rounding.append(bound / scale + tolerance(ctx.dtype, n=8, scale=float(value.abs())))
    grid = torch.tensor(points, dtype=ctx.torch_dtype, device=ctx.device)
    return residual_slopes(ctx, grid, torch.stack(values), torch.stack(rounding), stated,
                           label="∫(Laplace integrand)/prefactor",
                           method=f"torch trapezoid, 4001 points ({ctx.dtype}, {ctx.device}), x = 4…60")
