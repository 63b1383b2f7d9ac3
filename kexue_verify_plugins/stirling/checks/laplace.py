"""Checks of the Laplace route to Stirling's formula (ST-4 … ST-6): substitutions, the Gaussian term, its moments.

The post (kexue.fm/archives/3731, “斯特灵公式”) writes

.. math::  \\Gamma(x+1)=\\int_0^\\infty e^{-t}t^x dt = x^{x+1}\\int_0^\\infty e^{-x(s-\\ln s)}ds
           = x^{x+1}\\int_{-\\infty}^{\\infty} e^{-x(e^u-u)+u}du
           = x\\Bigl(\\frac xe\\Bigr)^x\\int_{-\\infty}^{\\infty} e^{-\\frac{xu^2}{2}-x(e^u-1-u-\\frac{u^2}{2})+u}du

and takes the Gaussian factor ``∫ e^{-xu²/2} du = √(2π/x)`` as the leading term, with the moments
``∫ e^{-xu²/2} u^k du = c_k x^{-(k+1)/2}`` for the corrections.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.formula import parse_formula
from kexue_verify.helpers import tolerance, torch_function
from kexue_verify_plugins.stirling.assertions import ChainForm, GaussianLeadingTerm, GaussianMoments, SubstitutionChain
from kexue_verify_plugins.stirling.numerics import LogExpression, context_for, trapezoid, window
from kexue_verify_plugins.stirling.symbolic import finite_power_series, log_ratio_series, same_function

x = sp.Symbol("x", positive=True)
u = sp.Symbol("u", real=True)
c = sp.Symbol("c")
k = sp.Symbol("k", integer=True, nonnegative=True)

#: The x at which the chain of integrals is compared (the catalogue's 3.7) and two more for torch.
CHAIN_X = (1.5, 3.7, 10.0)


def _sym(text: str, **extra: sp.Symbol) -> sp.Expr:
    names = {"x": x, "u": u, "c": c, "k": k, "E": sp.E, "pi": sp.pi, "oo": sp.oo, **extra}
    return parse_formula(text, names)


# --- ST-4: the chain of substitutions ---------------------------------------------------------------------------------

def _form(form: ChainForm) -> tuple[sp.Symbol, sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    var = sp.Symbol(form.var, real=True)
    integrand = form.integrand.expr
    return var, form.prefactor.expr, integrand, form.lower.expr, form.upper.expr


def chain_symbolic(ctx: CheckContext, a: SubstitutionChain) -> list[Evidence]:
    """Each step of the chain: the substitution carries integrand, Jacobian and limits into the next form.

    For a step with ``old = φ(new)``: ``P_old f_old(φ(v)) φ'(v) ≡ P_new f_new(v)`` (SymPy, or random points at
    50 digits) and ``φ`` maps the new limits onto the old ones (SymPy limits).  Without a substitution the two
    integrands times prefactors must be the same function.  Then mpmath (40 digits) integrates every form at
    ``x = 3.7`` and compares with ``Γ(4.7)``; the tolerance is ``10⁻³⁰`` relative, above ``quad``'s own error
    estimate at 40 digits (recorded).
    """
    forms = a.forms
    evidence: list[Evidence] = []
    for i in range(1, len(forms)):
        old_var, old_pref, old_f, old_lo, old_hi = _form(forms[i - 1])
        new_var, new_pref, new_f, new_lo, new_hi = _form(forms[i])
        sub = forms[i].substitution
        if sub:
            _, rhs_text = (side.strip() for side in sub.split("="))
            phi = _sym(rhs_text, **{forms[i].var: new_var})
            carried = old_pref * old_f.subs(old_var, phi) * sp.diff(phi, new_var)
            limits_ok = all(sp.limit(phi, new_var, lim_new, dir="+" if j == 0 else "-") == lim_old
                            for j, (lim_new, lim_old) in enumerate(((new_lo, old_lo), (new_hi, old_hi))))
        else:
            carried = old_pref * old_f.subs(old_var, new_var)
            limits_ok = (new_lo, new_hi) == (old_lo, old_hi)
        target = new_pref * new_f
        ranges = {x: (0.5, 8.0), new_var: (0.2, 3.0) if sub == "t = x*s" else (-2.0, 2.0)}
        same = same_function(carried, target, ranges, seed=ctx.seed + i, positive=True)
        evidence.append(holds(
            f"step {i}: {sub or 'rewrite'} carries form {i} into form {i + 1}", same.holds and limits_ok,
            method=same.method + "; limits by sympy.limit", expected="identical integrands and limits",
            counterexample=same.counterexample if not same.holds else {"limits_map": limits_ok},
            limits_map=limits_ok))
    evidence.append(_chain_quad(a))
    return evidence


@lru_cache(maxsize=64)
def _quad_form(prefactor: str, integrand: str, var: str, lower: str, upper: str, point: str) -> tuple[float, float]:
    """mpmath ``P(x) ∫ f`` at ``x = point`` (40 digits) relative to ``Γ(x+1)``, and ``quad``'s error estimate.

    The integrand is evaluated as ``exp(log f)`` and set to 0 where ``log f < −400`` (below 10⁻¹⁷³, far under
    40 digits of the result): tanh-sinh nodes reach ``u ~ 10⁹``, where ``e^{-x e^u}`` would otherwise cost
    an exponent with billions of digits.
    """
    v = sp.Symbol(var, real=True)
    log_f = sp.lambdify([x, v], sp.expand_log(sp.log(_sym(integrand, **{var: v})), force=True), modules="mpmath")
    p = sp.lambdify([x], _sym(prefactor), modules="mpmath")
    lo, hi = (mpmath.mpf(float(e)) if e.is_finite else (-mpmath.inf if e == -sp.oo else mpmath.inf)
              for e in (_sym(lower), _sym(upper)))
    with mpmath.workdps(40):
        xp = mpmath.mpf(point)

        def f(s: mpmath.mpf) -> mpmath.mpf:
            if s == 0 and lo == 0:
                return mpmath.mpf(0)
            phi = log_f(xp, s)
            return mpmath.exp(phi) if phi > -400 else mpmath.mpf(0)

        breaks = [lo, 0, hi] if lo < 0 < hi else [lo, 1, hi]
        value, err = mpmath.quad(f, breaks, error=True)
        total = p(xp) * value
        gamma = mpmath.gamma(xp + 1)
        return float(abs(total / gamma - 1)), float(abs(p(xp) * err / gamma))


def _chain_quad(a: SubstitutionChain) -> Evidence:
    rows = []
    for i, form in enumerate(a.forms, start=1):
        rel, est = _quad_form(form.prefactor, form.integrand, form.var, form.lower, form.upper, "3.7")
        rows.append({"form": i, "relative_error_vs_gamma": rel, "quad_error_estimate": est})
    worst = max(rows, key=lambda r: r["relative_error_vs_gamma"])
    return holds("every form equals Γ(x+1) at x = 3.7", worst["relative_error_vs_gamma"] <= 1e-30,
                 method="mpmath.quad, 40 digits", expected="relative error ≤ 1e-30", counterexample=worst,
                 forms=rows)


def chain_numeric(ctx: CheckContext, a: SubstitutionChain) -> list[Evidence]:
    """torch: the two ``u``-forms (trapezoid on their window, 4001 points) against ``exp(lgamma(x+1))``.

    The ``u`` integrands are entire and decay doubly exponentially for ``u → ∞`` and exponentially for
    ``u → −∞``, so the trapezoid error is below rounding (see :func:`~.numerics.trapezoid`).  The tolerance is the
    quadrature's rounding bound times the prefactor plus the rounding of ``lgamma`` (Higham γ).
    """
    evidence = []
    for i, form in enumerate(a.forms, start=1):
        if form.var != "u":
            continue
        integrand = torch_function(str(sp.expand_log(sp.log(form.integrand.expr), force=True)), "x", "u",
                                   positive=False)
        log_pref = LogExpression(form.prefactor, "x")
        errors, worst = [], None
        for point in CHAIN_X:
            xt = torch.tensor(point, dtype=ctx.torch_dtype, device=ctx.device)
            # the lambdas bind loop values as defaults, which mypy cannot infer against Callable[[Tensor], Tensor]
            lo, hi = window(ctx, lambda uu, p=point, g=integrand: g(torch.tensor(p, dtype=uu.dtype, device=uu.device),  # type: ignore[misc]
                                                                                   uu), -400.0, 60.0)
            quad = trapezoid(ctx, lambda uu, xt=xt, g=integrand: torch.exp(g(xt, uu)), lo, hi, 4001,  # type: ignore[misc]
                             error_scale=lambda uu, p=point: p * (uu.exp() + uu.abs() + 1 + uu * uu) + uu.abs() + 1)  # type: ignore[misc]
            log_value = torch.log(quad.value) + log_pref.value(xt.reshape(1))[0]
            lg = torch.lgamma(xt + 1)
            rel_tol = float(quad.rounding / quad.value) + _tol(ctx, float(lg.abs()) + float(log_pref.scale(
                xt.reshape(1))[0]))
            err = float((log_value - lg).abs())
            errors.append({"x": point, "log_error": err, "tolerance": rel_tol, "window": [lo, hi]})
            if err > rel_tol and worst is None:
                worst = {"x": point, "log_integral_times_prefactor": float(log_value), "lgamma": float(lg)}
        evidence.append(holds(f"form {i} (u-integral) = Γ(x+1)", worst is None,
                              method=f"torch trapezoid, 4001 points ({ctx.dtype}, {ctx.device}), x = 1.5, 3.7, 10",
                              expected="|log(P·∫f) − lgamma(x+1)| ≤ rounding bound", counterexample=worst,
                              points=errors))
    return evidence


def _tol(ctx: CheckContext, scale: float) -> float:
    return tolerance(ctx.dtype, n=8, scale=scale)


# --- ST-5: the leading Gaussian term ----------------------------------------------------------------------------------

def gaussian_symbolic(ctx: CheckContext, a: GaussianLeadingTerm) -> list[Evidence]:
    """SymPy: ``∫ e^{-xu²/2} du`` (Risch/meijerg) equals the stated value; times ``x(x/e)^x`` it is the stated
    result; and ``Γ(x+1)/result → 1`` (SymPy's ``loggamma`` series at ∞, as in ST-1)."""
    gauss = a.gaussian.expr
    found = gaussian_integral(0)
    same = same_function(found, gauss, {x: (0.2, 20.0)}, seed=ctx.seed, positive=True)
    product = same_function(a.prefactor.expr * gauss, a.result.expr, {x: (0.2, 20.0)}, seed=ctx.seed,
                            positive=True)
    series = sp.expand(log_ratio_series("gamma(x+1)", a.result, "x", 1))
    limit_one = finite_power_series(series) and sp.simplify(series) == 0
    return [
        holds("∫ e^{-xu²/2} du = stated", same.holds, method="sympy.integrate; " + same.method,
              expected=str(gauss), found=str(found), counterexample=same.counterexample),
        holds("x(x/e)^x · stated Gaussian = stated result", product.holds, method=product.method,
              expected=a.result, counterexample=product.counterexample),
        holds("Γ(x+1)/result → 1", limit_one, method="sympy.series of loggamma at ∞",
              expected="0 = lim ln(Γ(x+1)/result)", found=str(series),
              counterexample={"log_ratio_at_infinity": str(series)}),
    ]


def gaussian_numeric(ctx: CheckContext, a: GaussianLeadingTerm) -> list[Evidence]:
    """torch: trapezoid of ``e^{-xu²/2}`` against the stated value; ``ln Γ(x+1) − ln result ∈ (0, 1/(12x))``.

    The bracket is proven for every ``x > 0`` (DLMF 5.6.1, with ``Γ(x+1) = xΓ(x)``); it is tested at ``x = 1 …
    10⁴`` with the rounding of ``lgamma`` added to both ends.
    """
    stated = torch_function(a.gaussian, "x")
    rows, worst = [], None
    for point in (0.25, 1.0, 3.7, 10.0, 100.0):
        xt = torch.tensor(point, dtype=ctx.torch_dtype, device=ctx.device)
        half = float((2 * 62 / point) ** 0.5)  # e^{-xu²/2} < e^{-62} beyond |u| = half
        # the lambdas bind loop values as defaults, which mypy cannot infer against Callable[[Tensor], Tensor]
        quad = trapezoid(ctx, lambda uu, xt=xt: torch.exp(-xt * uu * uu / 2), -half, half, 2001,  # type: ignore[misc]
                         error_scale=lambda uu, p=point: p * uu * uu / 2 + 1)  # type: ignore[misc]
        expected = stated(xt)
        err = float((quad.value - expected).abs())
        rows.append({"x": point, "quadrature": float(quad.value), "stated": float(expected), "error": err,
                     "tolerance": float(quad.rounding) + _tol(ctx, float(expected))})
        if err > rows[-1]["tolerance"] and worst is None:
            worst = rows[-1]
    grid = torch.logspace(0, 4, 25, dtype=ctx.torch_dtype, device=ctx.device)
    result = LogExpression(a.result, "x")
    gap = torch.lgamma(grid + 1) - result.value(grid)
    slack = torch.tensor([_tol(ctx, s) for s in (torch.lgamma(grid + 1).abs() + result.scale(grid)).tolist()],
                         dtype=grid.dtype, device=grid.device)
    inside = (gap > -slack) & (gap < 1 / (12 * grid) + slack)
    bad = int(torch.argmin(inside.to(torch.int8)))
    return [
        holds("trapezoid ∫ e^{-xu²/2} du = stated", worst is None,
              method=f"torch trapezoid, 2001 points ({ctx.dtype}, {ctx.device})", expected=a.gaussian,
              counterexample=worst, points=rows),
        holds("0 < ln Γ(x+1) − ln result < 1/(12x)", bool(inside.all()),
              method=f"torch.lgamma ({ctx.dtype}, {ctx.device}), x = 1…10⁴ (25 points)",
              expected="inside DLMF 5.6.1's bracket, up to rounding",
              counterexample={"x": float(grid[bad]), "gap": float(gap[bad]), "upper": float(1 / (12 * grid[bad]))},
              max_gap_times_12x=float((gap * 12 * grid).max())),
    ]


# --- ST-6: Gaussian moments -------------------------------------------------------------------------------------------

MOMENTS = range(9)


@lru_cache(maxsize=16)
def gaussian_integral(order: int) -> sp.Expr:
    """``∫_{-∞}^{∞} u^order e^{-xu²/2} du`` by SymPy."""
    return sp.simplify(sp.integrate(u**order * sp.exp(-x * u**2 / 2), (u, -sp.oo, sp.oo)))


def _stated_moment(a: GaussianMoments, order: int) -> sp.Expr:
    ck = (a.c_even if order % 2 == 0 else a.c_odd).expr.subs(k, order)
    return a.rhs.expr.subs(k, order).subs(c, ck)


def moments_symbolic(ctx: CheckContext, a: GaussianMoments) -> list[Evidence]:
    """SymPy, ``k = 0 … 8``: the right side must not involve the integration variable ``u``; ``c_k`` must be
    free of ``x`` (the ratio of the moment to ``rhs`` at ``c = 1``); and moment ``=`` stated right side."""
    rhs = a.rhs.expr
    free_of_u = u not in rhs.free_symbols
    not_constant, wrong = [], []
    for order in MOMENTS:
        moment = gaussian_integral(order)
        shape = rhs.subs(k, order).subs(c, 1)
        if moment != 0:
            ratio = sp.simplify(moment / shape)
            if ratio.free_symbols & {x, u}:
                not_constant.append({"k": order, "moment/shape": str(ratio)})
        stated = _stated_moment(a, order)
        same = same_function(moment, stated, {x: (0.3, 5.0), u: (0.3, 3.0)}, seed=ctx.seed + order)
        if not same.holds:
            wrong.append({"k": order, "moment": str(moment), "stated": str(stated), **(same.counterexample or {})})
    return [
        holds("right side free of the integration variable u", free_of_u, method="sympy free_symbols",
              expected="no u", counterexample=None if free_of_u else {"rhs": a.rhs}),
        holds("c_k independent of x (moment ∝ stated power)", not not_constant, method="sympy.simplify of the ratio",
              expected="ratio free of x and u", counterexample=not_constant[0] if not_constant else None),
        holds("∫ u^k e^{-xu²/2} du = stated, k = 0…8", not wrong, method="sympy.integrate; identity test",
              expected=a.rhs, counterexample=wrong[0] if wrong else None, mismatches=len(wrong)),
    ]


@lru_cache(maxsize=64)
def _moment_quadrature(dtype: str, device: str, point: float, order: int) -> tuple[float, float]:
    """``∫ u^order e^{-xu²/2} du`` at ``x = point`` by the trapezoid rule (4001 points), and its rounding bound."""
    ctx = context_for(dtype, device)
    xt = torch.tensor(point, dtype=ctx.torch_dtype, device=ctx.device)
    half = float((2 * (62 + 40) / point) ** 0.5)  # u^8 e^{-xu²/2} < e^{-62} of its peak beyond |u| = half
    quad = trapezoid(ctx, lambda uu: uu**order * torch.exp(-xt * uu * uu / 2), -half, half, 4001,
                     error_scale=lambda uu: point * uu * uu / 2 + order + 1)
    return float(quad.value), float(quad.rounding)


def moments_numeric(ctx: CheckContext, a: GaussianMoments) -> Evidence:
    """torch: trapezoid moments for ``x ∈ {0.5, 1, 2, 4}``, ``k = 0 … 8`` against the stated right side.

    A right side that involves ``u`` is evaluated at ``u = 0.5, 1, 2``: a true identity cannot depend on it.
    Tolerance: the trapezoid's rounding bound plus the rounding of the stated value (Higham γ).
    """
    rhs_fns = {order: torch_function(str(_stated_moment(a, order)), "x", "u") for order in MOMENTS}
    worst, max_err = None, 0.0
    for point in (0.5, 1.0, 2.0, 4.0):
        xt = torch.tensor(point, dtype=ctx.torch_dtype, device=ctx.device)
        for order in MOMENTS:
            moment, rounding = _moment_quadrature(ctx.dtype, ctx.device, point, order)
            for up in (0.5, 1.0, 2.0):
                ut = torch.tensor(up, dtype=ctx.torch_dtype, device=ctx.device)
                expected = torch.as_tensor(rhs_fns[order](xt, ut), dtype=ctx.torch_dtype, device=ctx.device)
                err = abs(moment - float(expected))
                tol = rounding + _tol(ctx, float(expected.abs()))
                max_err = max(max_err, err / tol)
                if err > tol and worst is None:
                    worst = {"k": order, "x": point, "u": up, "moment": moment, "stated": float(expected)}
    return holds("trapezoid moments = stated right side", worst is None,
                 method=f"torch trapezoid, 4001 points ({ctx.dtype}, {ctx.device}), x = 0.5…4, k = 0…8",
                 expected=a.rhs, counterexample=worst, worst_ratio_to_tolerance=max_err)
