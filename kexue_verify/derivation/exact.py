"""Exact zero tests every kind of step uses: does a difference reduce to 0, or to a nonzero constant?

Cheap methods come first (SymPy's automatic evaluation, ``expand``, ``cancel``, ``powsimp`` + ``expand``),
then ``simplify`` for expressions of at most :data:`_SIZE_LIMIT` operations without unevaluated integrals;
matrices are tested entry by entry.  Each method runs within the step's :class:`_Budget`.
"""

from __future__ import annotations

from typing import Any, cast

import sympy as sp

from kexue_verify.derivation.budget import _Budget

_SIZE_LIMIT = 600  # count_ops above which simplify() is not attempted


def _is_zero(value: Any) -> bool:
    if isinstance(value, sp.MatrixBase):
        return all(entry == 0 for entry in value)
    return cast(bool, value == 0)


def _entrywise(fn: Any, value: Any) -> Any:
    if isinstance(value, sp.MatrixBase):
        return value.applyfunc(fn)
    return fn(value)


def _size(value: Any) -> int:
    if isinstance(value, sp.MatrixBase):
        return sum(sp.count_ops(e) for e in value)
    return cast(int, sp.count_ops(value))


def _undefined(value: Any) -> bool:
    return cast(bool, value.has(sp.nan, sp.zoo))


def _cheap_zero(diff: Any, budget: _Budget) -> str | None:
    """The name of a cheap SymPy method that reduces ``diff`` to 0, if any."""
    if _is_zero(diff):
        return "sympy (automatic evaluation)"
    methods = [("sympy.expand", lambda e: sp.expand(e))]
    if not diff.has(sp.Integral, sp.Sum, sp.Product):
        # (cancel orders terms by evaluating them numerically, which for an integral means a quadrature)
        methods += [
            ("sympy.cancel", lambda e: sp.cancel(e)),
            ("sympy.powsimp + sympy.expand", lambda e: sp.expand(sp.powsimp(sp.expand(e)))),
        ]
    for name, fn in methods:
        result = budget.attempt(_entrywise, fn, diff)
        if result is not None and _is_zero(result):
            return name
    return None


def _simplify_zero(diff: Any, budget: _Budget) -> tuple[str | None, Any]:
    """Try the cheap methods, then ``simplify``; return (method, last form of the difference).

    ``simplify`` is skipped for large expressions and for unevaluated integrals, whose
    integrands are compared separately (see :func:`_integrals_agree`).
    """
    method = _cheap_zero(diff, budget)
    if method:
        return method, 0
    if _size(diff) > _SIZE_LIMIT or diff.has(sp.Integral):
        return None, diff
    simplified = budget.attempt(_entrywise, sp.simplify, diff)
    if simplified is None:
        return None, diff
    if _is_zero(simplified):
        return "sympy.simplify", 0
    return None, simplified


def _short(method: str) -> str:
    return "sympy" if method.startswith("sympy (") else method


def _doit(value: Any) -> Any:
    return value.doit(risch=False, heurisch=False)


def _nonzero_constant(value: Any) -> bool:
    """A number SymPy itself decides is finite and not zero (``1/12``, ``sqrt(2) - 1``, ``log(2)/2``)."""
    if isinstance(value, sp.MatrixBase) or not isinstance(value, sp.Expr):
        return False
    return bool(value.is_number and value.is_finite and value.is_zero is False)
