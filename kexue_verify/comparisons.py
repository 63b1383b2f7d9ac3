"""Small constructors of :class:`~kexue_verify.claims.Evidence` that checks use to report a comparison.

Each one decides pass/fail from the numbers it is given, records them, and refuses to
pass a non-finite value.  They accept Python numbers, numpy/torch scalars and mpmath numbers.

>>> close("ratio", 1.0 + 1e-13, 1.0, tol=1e-12).outcome.value
'pass'
>>> close("ratio", float("nan"), 1.0, tol=1e-12).outcome.value
'error'
>>> at_most("norm", 2.0, 1.0, tol=0.0).outcome.value
'fail'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kexue_verify.evidence import Evidence, Outcome, _finite

__all__ = ["at_most", "close", "holds", "undecided"]


def _num(value: Any) -> float:
    item = getattr(value, "item", None)
    return float(item() if callable(item) else value)


def close(
    name: str,
    measured: Any,
    expected: Any,
    *,
    tol: float,
    relative: bool = False,
    method: str = "",
    counterexample: Any = None,
    note: str = "",
    **quantities: Any,
) -> Evidence:
    """Pass when ``|measured - expected| ≤ tol`` (times ``|expected|`` if ``relative``)."""
    m, e = _num(measured), _num(expected)
    err = abs(m - e)
    bound = tol * abs(e) if relative else tol
    ok = err <= bound
    return Evidence(
        name=name,
        outcome=Outcome.PASS if ok else Outcome.FAIL,
        method=method,
        quantities={"measured": m, "error": err, **quantities},
        expected=e,
        tolerance={"rtol" if relative else "atol": tol},
        counterexample=None if ok else counterexample,
        note=note,
    )


def at_most(
    name: str,
    value: Any,
    bound: Any,
    *,
    tol: float = 0.0,
    method: str = "",
    counterexample: Any = None,
    note: str = "",
    **quantities: Any,
) -> Evidence:
    """Pass when ``value ≤ bound + tol``."""
    v, b = _num(value), _num(bound)
    ok = v <= b + tol
    return Evidence(
        name=name,
        outcome=Outcome.PASS if ok else Outcome.FAIL,
        method=method,
        quantities={"value": v, "bound": b, **quantities},
        expected=f"<= {b!r}",
        tolerance={"atol": tol},
        counterexample=None if ok else counterexample,
        note=note,
    )


def holds(
    name: str,
    condition: bool,
    *,
    method: str = "",
    expected: Any = None,
    counterexample: Any = None,
    note: str = "",
    **quantities: Any,
) -> Evidence:
    """Pass when ``condition`` is true; record the quantities it was computed from.

    ``condition=None`` is *undecided*, not false: it is what SymPy's three-valued predicates
    (``expr.is_nonnegative``, ``is_zero``, ...) return when SymPy cannot decide, and "cannot decide"
    must never count as a refutation.
    """
    if condition is None:
        return Evidence(
            name=name,
            outcome=Outcome.UNDECIDED,
            method=method,
            quantities=dict(quantities),
            expected=expected,
            note=(note + " " if note else "") + "the condition is None, so undecided: SymPy's is_* predicates "
            "return None when SymPy cannot decide",
        )
    ok = bool(condition) and _finite(quantities)
    return Evidence(
        name=name,
        outcome=Outcome.PASS if ok else Outcome.FAIL,
        method=method,
        quantities=dict(quantities),
        expected=expected,
        counterexample=None if ok else counterexample,
        note=note,
    )


def undecided(name: str, *, method: str = "", note: str = "", quantities: Mapping[str, Any] | None = None) -> Evidence:
    """Neither pass nor fail: the check could not decide (e.g. SymPy could not simplify)."""
    return Evidence(name=name, outcome=Outcome.UNDECIDED, method=method, note=note, quantities=dict(quantities or {}))
