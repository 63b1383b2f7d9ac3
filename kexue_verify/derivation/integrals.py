r"""Integrals and changes of variables: bound variables that respect their ranges, and the substitution rule.

Two single integrals are equal when, after the stated monotone substitution ``t = φ(v)``, their integrands
agree exactly over matching limits:

.. math:: \int_a^b f(t)\,dt = \int_\alpha^\beta f(\varphi(v))\,\varphi'(v)\,dv
          \quad\text{with } \varphi(\alpha) = a,\ \varphi(\beta) = b,\ \varphi' \ne 0 \text{ of one sign}

(:func:`_integrals_agree`).  :func:`_substitution_mismatch` checks numerically that a step's stated
substitution is the one that turns one side into the other (also with the new limits written the other way
round and the integrand's sign changed).  Since SymPy applies a symbol's assumptions as soon as an expression
is built, a variable of integration must be declared so that its assumptions hold on its whole range
(:func:`_range_consistent`; :func:`_signs_consistent` for a summation index).
"""

from __future__ import annotations

from typing import Any, cast

import sympy as sp

from kexue_verify.derivation.budget import _Budget
from kexue_verify.derivation.exact import _short, _simplify_zero, _undefined
from kexue_verify.derivation.sampling import _Numeric


def _single_integral(expr: Any) -> tuple[Any, Any, Any, Any] | None:
    """``c·∫_a^b f dv`` with ``c`` free of ``v`` as ``(c·f, v, a, b)``; None for any other shape."""
    if isinstance(expr, sp.Integral):
        factor, integral = sp.Integer(1), expr
    elif expr.is_Mul:
        integrals = [f for f in expr.args if isinstance(f, sp.Integral)]
        if len(integrals) != 1:
            return None
        integral = integrals[0]
        factor = sp.Mul(*[f for f in expr.args if f is not integral])
    else:
        return None
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        return None
    var, lo, hi = integral.limits[0]
    if var in factor.free_symbols:
        return None
    return factor * integral.function, var, lo, hi


def _range_consistent(var: Any, lo: Any, hi: Any) -> bool:
    """Whether the assumptions on an integration variable hold on its interval of integration.

    Simplifying an integrand with ``u`` positive is only sound if ``u`` ranges over positive
    numbers; an integer or rational variable of integration is never consistent.
    """
    if any(getattr(var, f"is_{p}") for p in ("integer", "rational", "even", "odd")):
        return False

    def holds(relation: Any) -> bool:
        return relation is sp.true

    if (var.is_positive or var.is_nonnegative) and not (holds(sp.Ge(lo, 0)) and holds(sp.Ge(hi, 0))):
        return False
    if (var.is_negative or var.is_nonpositive) and not (holds(sp.Le(lo, 0)) and holds(sp.Le(hi, 0))):
        return False
    return not (var.is_real and not (lo.is_extended_real and hi.is_extended_real))


def _sign_props(var: Any) -> list[str]:
    """The strongest sign and number-kind assumptions of a symbol, for messages."""
    props = (
        [next(p for p in ("positive", "negative", "nonnegative", "nonpositive") if getattr(var, f"is_{p}"))]
        if (var.is_nonnegative or var.is_nonpositive)
        else []
    )
    if var.is_integer:
        props.append("integer")
    elif var.is_rational:
        props.append("rational")
    return props


def _signs_consistent(var: Any, lo: Any, hi: Any) -> bool:
    """Whether the sign assumptions of a summation index hold on its range."""
    if var.is_positive and sp.Gt(lo, 0) is not sp.true:
        return False
    if var.is_nonnegative and sp.Ge(lo, 0) is not sp.true:
        return False
    if var.is_negative and sp.Lt(hi, 0) is not sp.true:
        return False
    return not (var.is_nonpositive and sp.Le(hi, 0) is not sp.true)


def _value_at(phi: Any, var: Any, point: Any, side: str) -> Any:
    """``phi`` at an end of an interval, as a one-sided limit where plain substitution fails."""
    if point.is_finite:
        value = phi.subs(var, point)
        if not (_undefined(value) or value.has(sp.oo, -sp.oo)):
            return value
        return sp.limit(phi, var, point, side)
    return sp.limit(phi, var, point)


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if a.is_infinite or b.is_infinite:
        return False
    return cast(bool, sp.simplify(a - b) == 0)


def _integrals_agree(prev: Any, new: Any, substitution: Any, budget: _Budget) -> str | None:
    """Prove ``prev = new`` for two single integrals by comparing integrands exactly."""
    left, right = _single_integral(prev), _single_integral(new)
    if left is None or right is None:
        return None
    f, t, a, b = left
    g, v, alpha, beta = right
    if not (_range_consistent(t, a, b) and _range_consistent(v, alpha, beta)):
        return None
    if substitution is None:
        if not (budget.attempt(_same, a, alpha) and budget.attempt(_same, b, beta)):
            return None
        if v != t:
            if t in g.free_symbols:
                return None  # t is also a parameter of the right-hand side; renaming would confuse them
            g = g.xreplace({v: t})
        method, _ = _simplify_zero(f - g, budget)
        return f"{_short(method)}: equal integrands over the same range" if method else None
    old, phi = substitution
    if old != t or v not in phi.free_symbols:
        return None
    dphi = budget.attempt(sp.diff, phi, v)
    if dphi is None or not (dphi.is_positive or dphi.is_negative):
        return None  # not visibly monotone: the change of variables is not checked
    ends = (budget.attempt(_value_at, phi, v, alpha, "+"), budget.attempt(_value_at, phi, v, beta, "-"))
    if ends[0] is None or ends[1] is None:
        return None
    if not (budget.attempt(_same, ends[0], a) and budget.attempt(_same, ends[1], b)):
        return None
    method, _ = _simplify_zero(f.xreplace({t: phi}) * dphi - g, budget)
    if method is None:
        return None
    return f"{_short(method)}: equal integrands after the monotone substitution {t} = {phi}"


def _interior_points(lo: Any, hi: Any) -> list[Any]:
    """Two points strictly inside ``(lo, hi)`` (either end may be infinite)."""
    if lo.is_finite and hi.is_finite:
        return [lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3]
    if lo.is_finite:
        return [lo + sp.Rational(1, 2), lo + sp.Rational(3, 2)]
    if hi.is_finite:
        return [hi - sp.Rational(1, 2), hi - sp.Rational(3, 2)]
    return [sp.Rational(-1, 2), sp.Rational(1, 3)]


def _substitution_mismatch(
    prev: Any, new: Any, substitution: tuple[Any, Any], budget: _Budget, numeric: _Numeric
) -> str | None:
    """Why ``old = phi`` does not turn the integral ``prev`` into ``new``, or None if it does (or cannot tell).

    Checked numerically at a few points: the new integrand against ``f(φ(v))·φ'(v)`` (or its negative,
    for a decreasing ``φ``), and the new limits mapped by ``φ`` against the old ones, with the other
    symbols at a random point of the domain.
    """
    left, right = _single_integral(prev), _single_integral(new)
    old, phi = substitution
    if left is None or right is None:
        return "one side is not a single integral, so there is nothing for the substitution to act on"
    f, t, a, b = left
    g, v, alpha, beta = right
    if old != t:
        return f"the integral on the left is over {t}, not {old}"
    if v not in phi.free_symbols:
        return f"{old} = {phi} does not involve the new integration variable {v}"
    dphi = budget.attempt(sp.diff, phi, v)
    ends = (budget.attempt(_value_at, phi, v, alpha, "+"), budget.attempt(_value_at, phi, v, beta, "-"))
    if dphi is None or ends[0] is None or ends[1] is None:
        return None
    params = {s: val for s, val in numeric.candidate(0).values.items() if s not in (t, v)}

    def num(expr: Any) -> Any:
        value = sp.N(sp.sympify(expr).subs(params), 30)
        if not value.is_number or value.has(sp.nan, sp.zoo):
            raise ValueError("not a number")
        return complex(value) if not value.is_infinite else value

    def same(x: Any, y: Any) -> bool:
        if sp.sympify(x).is_infinite or sp.sympify(y).is_infinite:
            return cast(bool, sp.sympify(x) == sp.sympify(y))
        return cast(bool, abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y)))

    inside = _interior_points(alpha, beta)
    try:
        mapped = [num(e) for e in ends]
        limits = [num(a), num(b)]
        forward = same(mapped[0], limits[0]) and same(mapped[1], limits[1])
        backward = same(mapped[0], limits[1]) and same(mapped[1], limits[0])
        if not (forward or backward):
            return (f"it maps the new limits ({alpha}, {beta}) to ({sp.sstr(ends[0])}, {sp.sstr(ends[1])}), "
                    f"not to the old ones ({a}, {b})")
        sign = 1 if forward else -1
        for point in inside:
            lhs = num(g.subs(v, point))
            rhs = num(sign * f.subs(t, phi).subs(v, point) * dphi.subs(v, point))
            if not same(lhs, rhs):
                return (f"at {v} = {point} the new integrand is {sp.N(lhs, 8)}, but f({phi})·d({phi})/d{v} "
                        f"is {sp.N(rhs, 8)}")
    except (ValueError, TypeError, ArithmeticError):
        return None
    return None
