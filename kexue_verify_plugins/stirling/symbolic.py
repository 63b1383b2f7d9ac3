"""Symbolic helpers: SymPy's asymptotic series of ``ln Γ``, and deciding whether two expressions are one function.

:func:`log_ratio_series` asks SymPy for the expansion of ``ln(Γ/prefactor)`` at infinity (SymPy's own
implementation of DLMF 5.11.1, code that knows nothing of this project).

:func:`same_function` decides ``lhs ≡ rhs``

SymPy first (``simplify`` of the difference, then of the logarithm of the ratio for products of powers and
exponentials).  When it cannot decide, the expressions are compared at random points with mpmath at 50 digits,
as SymPy's own ``verify_numerically`` does (``sympy/core/random.py``); a relative difference above ``1e-40`` at
any point is a counterexample, and agreement at every point is reported as a random-point test, not a proof.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp

from kexue_verify.formula import parse_formula

__all__ = ["Identity", "finite_power_series", "fraction_value", "log_ratio_series", "same_function", "t"]

#: The expansion variable ``t = 1/x`` of the series at infinity.
t = sp.Symbol("t", positive=True)


@lru_cache(maxsize=32)
def log_ratio_series(function: str, prefactor: str, var: str, order: int) -> sp.Expr:
    """SymPy's expansion of ``ln(function/prefactor)`` in ``t = 1/var`` at ``t = 0``, through ``t^(order-1)``.

    ``function`` is ``gamma(v+1)`` or ``gamma(v)`` with ``v = var``; ``prefactor`` a SymPy string in ``var``.

    >>> log_ratio_series("gamma(n+1)", "sqrt(2*pi*n)*(n/E)**n", "n", 2)
    t/12
    """
    v = sp.Symbol(var, positive=True)
    shift = {f"gamma({var}+1)": 1, f"gamma({var})": 0}[function.replace(" ", "")]
    pref = parse_formula(prefactor, {var: v, "E": sp.E, "pi": sp.pi})
    log_ratio = sp.loggamma(v + shift) - sp.expand_log(sp.log(pref), force=True)
    return sp.expand(sp.simplify(sp.series(log_ratio.subs(v, 1 / t), t, 0, order).removeO()))


def finite_power_series(expr: sp.Expr) -> bool:
    """True if ``expr`` is a polynomial in ``t`` (no ``log t``, no negative powers): the limit is finite."""
    return bool(expr.is_polynomial(t)) and not expr.has(sp.log(t))


@dataclass(frozen=True)
class Identity:
    """The verdict on ``lhs ≡ rhs``: whether it holds, how that was decided, and a point where it fails."""

    holds: bool
    method: str
    counterexample: dict[str, Any] | None = None


def _zero(expr: sp.Expr) -> bool | None:
    try:
        simplified = sp.simplify(expr)
    except (TypeError, ValueError, NotImplementedError, RecursionError):  # SymPy gives up in many ways
        return None
    if simplified == 0:
        return True
    return None


def same_function(lhs: sp.Expr, rhs: sp.Expr, ranges: Mapping[sp.Symbol, tuple[float, float]], *,
                  seed: int = 0, points: int = 8, positive: bool = False) -> Identity:
    """Is ``lhs − rhs ≡ 0`` for the variables in ``ranges`` (each drawn uniformly from its interval)?

    With ``positive=True`` both sides are positive and the log of the ratio is tried as well (it turns
    ``x^{x+1} e^{-x}…`` identities into sums that ``simplify`` handles).  Results are cached: false variants
    share most of their steps with the claim.
    """
    return _same_function(sp.sympify(lhs), sp.sympify(rhs), tuple(ranges.items()), seed, points, positive)


#: A relative difference this large, at 50 digits and again at 100, is no rounding: the sides differ, whatever
#: ``simplify`` would say (a true identity would need 30 digits of cancellation inside one side to look so).
_PLAINLY_DIFFERENT = mpmath.mpf(10) ** -20


@lru_cache(maxsize=256)
def _same_function(lhs: sp.Expr, rhs: sp.Expr, ranges: tuple[tuple[sp.Symbol, tuple[float, float]], ...],
                   seed: int, points: int, positive: bool) -> Identity:
    # The random points first: where the sides plainly differ there, no simplification can make them equal, and
    # simplify spent most of its time on such false variants.  Else an identity simplify proves is proved.
    sampled = f"random-point test, {points} points, mpmath 50 digits"
    worst, failure = None, None
    try:
        worst = _worst_point(lhs, rhs, ranges, seed, points)
    except Exception as exc:  # noqa: BLE001 - not evaluable at the points: simplify decides, else it is raised
        failure = exc
    if worst is not None and worst["relative_difference"] > _PLAINLY_DIFFERENT and _differs_at_100_digits(
            lhs, rhs, {s: worst[str(s)] for s, _ in ranges}):
        return Identity(False, sampled, worst)
    if _zero(lhs - rhs):
        return Identity(True, "sympy.simplify(lhs − rhs) = 0")
    if positive and _zero(sp.expand_log(sp.log(lhs) - sp.log(rhs), force=True)):
        return Identity(True, "sympy.simplify(expand_log(log lhs − log rhs)) = 0")
    if failure is not None:
        raise failure
    return Identity(worst is None, f"{sampled} (SymPy could not simplify)", worst)


def _differs_at_100_digits(lhs: sp.Expr, rhs: sp.Expr, point: dict[sp.Symbol, float]) -> bool:
    """Whether ``lhs`` and ``rhs`` still differ by more than :data:`_PLAINLY_DIFFERENT` (relative) at ``point``
    when evaluated with 100 digits: a difference made by rounding at 50 digits shrinks by 10⁻⁵⁰ there."""
    symbols = list(point)
    with mpmath.workdps(100):
        values = [mpmath.mpf(v) for v in point.values()]
        a = sp.lambdify(symbols, lhs, modules="mpmath")(*values)
        b = sp.lambdify(symbols, rhs, modules="mpmath")(*values)
        return bool(_relative_difference(a, b) > _PLAINLY_DIFFERENT)


def _relative_difference(a: Any, b: Any) -> Any:
    """``|a − b| / max(|a|, |b|, 10⁻³⁰)`` (mpmath numbers)."""
    return abs(a - b) / max(abs(a), abs(b), mpmath.mpf(10) ** -30)


def _worst_point(lhs: sp.Expr, rhs: sp.Expr, ranges: tuple[tuple[sp.Symbol, tuple[float, float]], ...],
                 seed: int, points: int) -> dict[str, Any] | None:
    """The point of ``points`` random ones (each variable uniform in its range) where ``lhs`` and ``rhs`` differ
    most, relative to the larger, at 50 digits; None if they agree to 10⁻⁴⁰ at every one."""
    rng = random.Random(seed)
    symbols = [s for s, _ in ranges]
    bounds = dict(ranges)
    f_lhs = sp.lambdify(symbols, lhs, modules="mpmath")
    f_rhs = sp.lambdify(symbols, rhs, modules="mpmath")
    worst: dict[str, Any] | None = None
    with mpmath.workdps(50):
        for _ in range(points):
            point = {s: mpmath.mpf(rng.uniform(*bounds[s])) for s in symbols}
            a, b = f_lhs(*point.values()), f_rhs(*point.values())
            rel = _relative_difference(a, b)
            if rel > mpmath.mpf(10) ** -40 and (worst is None or rel > worst["relative_difference"]):
                worst = {**{str(s): float(v) for s, v in point.items()}, "lhs": float(a), "rhs": float(b),
                         "relative_difference": float(rel)}
    return worst


def fraction_value(text: str | int | float | Fraction) -> Fraction:
    """An exact rational from a stated coefficient (``"-139/51840"``, ``"1"``, ``1/12`` as a string)."""
    if isinstance(text, Fraction):
        return text
    if isinstance(text, (int, float)):
        return Fraction(text)
    value = sp.Rational(parse_formula(text))
    return Fraction(int(value.p), int(value.q))
