"""Reading a derivation's text: formulas parsed against the declared names, bounds read as numbers, and the
compiled form (:class:`_Compiled`) the checks work on.

Every expression goes through :func:`kexue_verify.formula.parse_formula`, which builds SymPy objects from
Python's syntax tree against the declared symbols and a restricted namespace; nothing is evaluated.  A
symbol's sampling domain is its declared ``[lower, upper]``, or a default range that respects its sign and
kind (:func:`_default_range`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from kexue_verify.derivation.model import Step
from kexue_verify.derivation.series import SeriesCoeff
from kexue_verify.errors import DerivationError, FormulaError
from kexue_verify.formula import namespace, parse_formula

#: Names a derivation adds to every formula's namespace (:func:`kexue_verify.formula.namespace`).
_EXTRA_NAMES: dict[str, Any] = {"series_coeff": SeriesCoeff}


def _namespace() -> Mapping[str, Any]:
    """The names a declaration may not take: SymPy's (those every formula may use) and the derivation's own."""
    return {**namespace(), **_EXTRA_NAMES}


def _parse(text: str, local: Mapping[str, Any]) -> Any:
    """Parse ``text`` with :func:`kexue_verify.formula.parse_formula` against the declared names ``local``.

    Nothing in ``text`` is evaluated: the formula parser builds the SymPy objects from the syntax tree.
    """
    try:
        value = parse_formula(text, {**_EXTRA_NAMES, **local})
    except FormulaError as exc:
        raise DerivationError(str(exc)) from None
    if isinstance(value, sp.MatrixBase):
        return value
    if not isinstance(value, sp.Expr):
        raise DerivationError(f"{text.strip()!r} is not a mathematical value (it is a {type(value).__name__})")
    return value


@dataclass(frozen=True)
class _Range:
    """The sampling domain of one symbol."""

    lower: Any  # sympy Rational
    upper: Any
    integer: bool
    lower_open: bool
    upper_open: bool
    nonzero: bool


@dataclass(frozen=True)
class _CompiledStep:
    step: Step
    expr: Any
    var: Any = None
    point: Any = None
    direction: str = "+-"
    substitution: tuple[Any, Any] | None = None


@dataclass(frozen=True)
class _Compiled:
    local: Mapping[str, Any]
    symbols: Mapping[str, Any]
    functions: Mapping[str, Any]
    ranges: Mapping[Any, _Range]
    start: Any
    steps: tuple[_CompiledStep, ...]


def _default_range(props: tuple[str, ...]) -> tuple[int, int]:
    integer = any(p in props for p in ("integer", "even", "odd"))
    size = 12 if integer else 10
    if "positive" in props:
        return (1 if integer else 0, size)
    if "nonnegative" in props:
        return (0, size)
    if "negative" in props:
        return (-size, -1 if integer else 0)
    if "nonpositive" in props:
        return (-size, 0)
    return (-size, size)


def _number(text: str, where: str) -> Any:
    value = _parse(text, {})
    if value.free_symbols or not value.is_extended_real or not value.is_finite:
        raise DerivationError(f"{where}: a bound must be a finite real number, got {text!r}")
    if value.is_Rational:
        return value
    return sp.Rational(str(sp.N(value, 25)))
