"""Torch helpers shared by the Stirling checks: quadrature with a rounding bound, series residuals and their slopes.

Everything runs on ``ctx.device`` in ``ctx.dtype``; every value comes with the rounding bound it is compared
against (:func:`kexue_verify.tolerances.tolerance`, Higham's ``γ_n``), so a check can tell an effect from noise
and say ``undecided`` when the dtype cannot resolve it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Outcome, holds
from kexue_verify.formula import parse_formula
from kexue_verify.helpers import tolerance, torch_function

from .coefficients import stirling_coefficients

__all__ = [
    "LogExpression",
    "Quadrature",
    "context_for",
    "exp_tail",
    "fit_slope",
    "pairwise_sum",
    "partial_sums",
    "residual_slopes",
    "stirling_ratio",
    "trapezoid",
    "window",
]

#: Quadrature windows end where the integrand is below e^{-WINDOW_DEPTH} of its peak, far below float64 rounding.
WINDOW_DEPTH = 60.0


@dataclass(frozen=True)
class Quadrature:
    """A quadrature value and the bound on its rounding error (``γ_n Σ|f_i|h`` plus the error of each ``f_i``)."""

    value: torch.Tensor
    rounding: torch.Tensor


def window(ctx: CheckContext, log_integrand: Callable[[torch.Tensor], torch.Tensor], lo: float, hi: float,
           depth: float = WINDOW_DEPTH, coarse: int = 4001) -> tuple[float, float]:
    """The part of ``[lo, hi]`` where ``log_integrand ≥ max − depth``, widened by one coarse step each side.

    Found on a coarse float64 grid; outside it the integrand is below ``e^{-depth}`` of its peak (for a unimodal
    integrand), so cutting it off changes the integral by a relative ``< (hi − lo) e^{-depth}``.
    """
    u = torch.linspace(lo, hi, coarse, dtype=torch.float64, device=ctx.device)
    phi = log_integrand(u)
    keep = torch.nonzero(phi >= phi[torch.isfinite(phi)].max() - depth).flatten()
    step = (hi - lo) / (coarse - 1)
    return max(lo, float(u[keep[0]]) - step), min(hi, float(u[keep[-1]]) + step)


def pairwise_sum(values: torch.Tensor) -> torch.Tensor:
    """``Σ values`` by explicit pairwise (cascade) summation: error ≤ ``γ_⌈log₂ n⌉ Σ|v_i|`` (Higham 2002, §4.2).

    The tree is built here rather than left to ``torch.sum``, whose reduction order is not documented, so that
    the bound holds on every device.
    """
    v = values.flatten()
    size = 1 << max(0, (v.numel() - 1).bit_length())
    v = torch.cat([v, torch.zeros(size - v.numel(), dtype=v.dtype, device=v.device)])
    while v.numel() > 1:
        v = v[0::2] + v[1::2]
    return v[0]


def trapezoid(ctx: CheckContext, integrand: Callable[[torch.Tensor], torch.Tensor], lo: float, hi: float,
              points: int, *, error_scale: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Quadrature:
    """Trapezoid rule for ``∫_lo^hi f(u) du`` on ``points`` equally spaced nodes, in ``ctx.dtype`` on ``ctx.device``.

    For an integrand analytic in a strip around the real axis and negligible at both ends the rule converges
    geometrically in the number of points (Trefethen & Weideman, *SIAM Review* 56, 2014, §3), so on the windows
    used here its discretisation error is far below rounding.  The returned bound is the rounding error: the
    pairwise sum and the endpoint correction, ``tolerance(n=⌈log₂ points⌉ + 3, scale=h Σ|f_i|)``, plus
    ``h Σ|f_i| · tolerance(n=8, scale=s_i)`` for the evaluation of each ``f_i``, where ``s_i = error_scale(u_i)``
    bounds the magnitudes ``f_i`` was computed from (for ``f = exp(φ)``, the sum of the absolute values of the
    terms of ``φ``; default 1).
    """
    u = torch.linspace(lo, hi, points, dtype=ctx.torch_dtype, device=ctx.device)
    f = integrand(u)
    h = (hi - lo) / (points - 1)
    value = h * (pairwise_sum(f) - (f[0] + f[-1]) / 2)
    s = error_scale(u) if error_scale is not None else torch.ones_like(u)
    total = float(f.abs().sum()) * h
    per_point = float((f.abs() * s).sum()) * h
    depth = (points - 1).bit_length() + 3
    rounding = tolerance(ctx.dtype, n=depth, scale=total) + tolerance(ctx.dtype, n=8, scale=per_point)
    return Quadrature(value, torch.tensor(rounding, dtype=ctx.torch_dtype, device=ctx.device))


def context_for(dtype: str, device: str) -> CheckContext:
    """A bare context with only ``dtype`` and ``device``, for measurements cached across false variants (their
    checks differ only in the assertion, not in the integrals they measure)."""
    return CheckContext(case_id="cached-measurement", seed=0, device=device, dtype=dtype)


class LogExpression:
    """The logarithm of a positive SymPy expression in one variable, as torch functions of its additive terms.

    ``value(x)`` is ``log(expr)``; ``scale(x)`` is the sum of the absolute values of its terms — the magnitude the
    rounding of ``value`` is proportional to.
    """

    def __init__(self, text: str, var: str) -> None:
        symbol = sp.Symbol(var, positive=True)
        expr = parse_formula(text, {var: symbol, "E": sp.E, "pi": sp.pi})
        log_expr = sp.expand_log(sp.log(expr), force=True)
        self.terms = [torch_function(term, var) for term in sp.Add.make_args(log_expr)]

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return sum((_broadcast(t(x), x) for t in self.terms), torch.zeros_like(x))

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        return sum((_broadcast(t(x), x).abs() for t in self.terms), torch.zeros_like(x))


def _broadcast(value: Any, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(value, dtype=like.dtype, device=like.device).expand_as(like)


def stirling_ratio(ctx: CheckContext, x: torch.Tensor, function: str, prefactor: str,
                   var: str = "x") -> tuple[torch.Tensor, torch.Tensor]:
    """``Γ-function / prefactor`` from ``torch.lgamma`` and its rounding bound (absolute).

    ``function`` is ``"gamma(x+1)"`` or ``"gamma(x)"``; the ratio is ``exp(lgamma − log prefactor)`` and its
    relative error is the absolute error of the exponent, bounded by ``tolerance(n=8, scale=|lgamma| + Σ|log
    terms|)``.
    """
    shift = {"gamma(x+1)": 1.0, "gamma(x)": 0.0}
    if function.replace(" ", "") not in shift:
        raise ValueError(f"function must be 'gamma(x+1)' or 'gamma(x)', got {function!r}")
    lg = torch.lgamma(x + shift[function.replace(" ", "")])
    log_pref = LogExpression(prefactor, var)
    exponent = lg - log_pref.value(x)
    ratio = torch.exp(exponent)
    scale = lg.abs() + log_pref.scale(x)
    rel = torch.tensor([tolerance(ctx.dtype, n=8, scale=float(s)) for s in scale.tolist()],
                       dtype=x.dtype, device=x.device)
    return ratio, ratio.abs() * rel


def partial_sums(coefficients: Sequence[float], x: torch.Tensor, count: int) -> torch.Tensor:
    """``Σ_{k<count} c_k x^{-k}`` for every ``x`` (Horner in ``1/x``)."""
    t = 1 / x
    acc = torch.zeros_like(x)
    for c in reversed(list(coefficients)[:count]):
        acc = acc * t + c
    return acc


def residual_slopes(ctx: CheckContext, x: torch.Tensor, values: torch.Tensor, rounding: torch.Tensor,
                    stated: Sequence[float], *, label: str, method: str, max_ratio: float = 0.2,
                    exact: Sequence[float] | None = None) -> list[Evidence]:
    """The truncation error of the stated series must fall like ``x^{-K}`` after ``K`` terms, for ``K = 1 … len``.

    For a true series the residual ``r_K = value − Σ_{k<K} s_k x^{-k}`` is ``a_K x^{-K}(1 + ρ(x))`` with
    ``ρ(x) = Σ_{i≥1} (a_{K+i}/a_K) x^{-i}``.  The least-squares slope of ``log|r_K|`` against ``log x`` is a
    weighted average (positive weights) of the local slopes ``−K − xρ'/(1+ρ)`` (Abel summation), so it lies within
    ``max Σ_i i|a_{K+i}/a_K| x^{-i} / (1 − |ρ|)`` of ``−K``; ``ρ`` is summed to ``i = 3`` from the exact
    coefficients and the bound doubled for the rest.  Rounding moves each ``log|r_i|`` by at most
    ``η_i = −log(1 − δ_i/|r_i|)`` and the slope by at most ``max η · Σ|w_i|`` (``w`` the least-squares weights),
    which is added.  A wrong coefficient ``s_j`` leaves a residual of order ``x^{-j}``: a slope at least 1 away.

    Points are used where ``|ρ| ≤ max_ratio`` and ``|r_K|`` is at least 10 times its rounding bound ``δ``.  An
    order with fewer than four such points spanning a factor 1.5 is reported ``skipped`` (the dtype cannot
    resolve it), unless no order at all is resolvable, which is ``undecided``.  ``exact`` (at least
    ``len(stated) + 4`` true coefficients) defaults to Stirling's ``a_k``.
    """
    if exact is None:
        exact = [float(a) for a in stirling_coefficients(len(stated) + 4)]
    evidence, unresolved = [], []
    for k in range(1, len(stated) + 1):
        r = values - partial_sums(stated, x, k)
        rho = sum((abs(exact[k + i] / exact[k]) * x ** (-i) for i in (1, 2, 3)), torch.zeros_like(x))
        drift = sum((i * abs(exact[k + i] / exact[k]) * x ** (-i) for i in (1, 2, 3)), torch.zeros_like(x))
        usable = (rho <= max_ratio) & (r.abs() >= 10 * rounding) & torch.isfinite(r)
        xs, rs, ds = x[usable], r[usable], rounding[usable]
        name = f"{label}: residual after {k} term{'s' if k > 1 else ''} ~ x^-{k}"
        if xs.numel() < 4 or float(xs.max() / xs.min()) < 1.5:
            unresolved.append(Evidence(
                name=name, outcome=Outcome.SKIPPED, method=method,
                note=f"{ctx.dtype} cannot resolve the residual after {k} terms on this range of x",
                quantities={"resolvable_points": int(xs.numel())}))
            continue
        lx = torch.log(xs)
        slope = fit_slope(lx, torch.log(rs.abs()))
        centred = lx - lx.mean()
        weight = float(centred.abs().sum() / (centred * centred).sum())
        noise = float((-torch.log1p(-ds / rs.abs())).max()) * weight
        model = 2 * float((drift[usable] / (1 - rho[usable])).max())
        tol = model + noise
        same_sign = bool((rs > 0).all() or (rs < 0).all())
        worst = int(torch.argmin(xs))
        evidence.append(holds(
            name, abs(slope + k) <= tol and same_sign, method=method,
            expected=f"slope -{k} ± {tol:.3g}, one sign",
            counterexample={"x": float(xs[worst]), "residual": float(rs[worst]), "slope": slope},
            slope=slope, tolerance=tol, tolerance_from_next_terms=model, tolerance_from_rounding=noise,
            points=int(xs.numel()), x_min=float(xs.min()), x_max=float(xs.max()),
            residual_at_x_min=float(rs[worst]), one_sign=same_sign))
    if not evidence:
        return [Evidence(name=f"{label}: residuals of the stated series", outcome=Outcome.UNDECIDED, method=method,
                         note=f"{ctx.dtype} cannot resolve the residual after any number of terms")]
    return evidence + unresolved


def fit_slope(lx: torch.Tensor, ly: torch.Tensor) -> float:
    """Least-squares slope of ``ly`` against ``lx``."""
    lx = lx - lx.mean()
    return float((lx * (ly - ly.mean())).sum() / (lx * lx).sum())


def exp_tail(v: torch.Tensor, start: int) -> torch.Tensor:
    """``Σ_{m≥start} v^m/m! = e^v − Σ_{m<start} v^m/m!`` without cancellation.

    For ``|v| < 1/2`` the Taylor series itself (30 terms, truncation below 2⁻¹²⁰ relative); elsewhere
    ``expm1(v)`` minus the low terms, where they do not cancel badly.

    >>> import torch
    >>> round(float(exp_tail(torch.tensor([1e-3], dtype=torch.float64), 3)[0]) * 6e9, 8)  # v³/6 (1 + v/4 + …)
    1.00025005
    """
    small = v.abs() < 0.5
    vs = torch.where(small, v, torch.zeros_like(v))
    term = torch.ones_like(v)
    for m in range(1, start + 1):
        term = term * vs / m
    series = term
    for m in range(start + 1, start + 31):
        term = term * vs / m
        series = series + term
    head, power = torch.zeros_like(v), torch.ones_like(v)
    for m in range(start):
        head = head + power
        power = power * v / (m + 1)
    direct = torch.exp(v) - head if start == 0 else torch.expm1(v) - (head - 1)
    return torch.where(small, series, direct)


def log_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ``log y`` against ``x`` (plain floats; used for the ``e^{-2πx}`` fit)."""
    n = len(xs)
    mx = sum(xs) / n
    ly = [math.log(y) for y in ys]
    my = sum(ly) / n
    return sum((a - mx) * (b - my) for a, b in zip(xs, ly, strict=True)) / sum((a - mx) ** 2 for a in xs)
