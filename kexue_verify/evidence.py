"""Evidence: one named, recorded finding of a check, with its outcome, and what may go into a report.

A check returns :class:`Evidence` (usually through the constructors of :mod:`kexue_verify.comparisons`); the
evaluator (:mod:`kexue_verify.verdicts`) turns a part's evidence into its outcome.  A non-finite number is never a
pass: :func:`_finite` looks into nested quantities, and :func:`_json_safe` stores NaN and infinities as text.
This module imports neither torch nor sympy.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kexue_verify.errors import ClaimDefinitionError

__all__ = ["Evidence", "Outcome", "as_evidence_list"]


def _text(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ClaimDefinitionError(f"{what} must be a non-empty string, got {value!r}")


class Outcome(str, enum.Enum):
    """The outcome of one piece of evidence."""

    PASS = "pass"
    FAIL = "fail"
    UNDECIDED = "undecided"
    ERROR = "error"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


def _jsonable(value: Any) -> Any:
    """Turn numbers, arrays and containers into plain JSON data; floats stay floats."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy / torch without importing them
    if callable(tolist):
        return _jsonable(tolist())
    try:
        return float(value)  # mpmath.mpf, sympy Float, Fraction
    except (TypeError, ValueError):
        return str(value)


def _finite(value: Any) -> bool:
    """True if every number inside ``value`` is finite: NaN or ±Inf of any numeric type makes it False.

    Python floats and complex numbers, numpy and torch scalars and arrays (through ``tolist``), mpmath
    ``mpf``/``mpc``, ``Decimal`` and SymPy numbers (``nan``, ``zoo``, ``oo``) are all looked into; a
    value that is not a number (a string, a symbolic expression) counts as finite.
    """
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, complex):
        return math.isfinite(value.real) and math.isfinite(value.imag)
    if isinstance(value, Mapping):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_finite(v) for v in value)
    tolist = getattr(value, "tolist", None)  # numpy / torch scalars and arrays
    if callable(tolist):
        try:
            listed = tolist()
        except (TypeError, ValueError, RuntimeError):
            listed = value
        if listed is not value:
            return _finite(listed)
    try:
        number = complex(value)  # mpmath, Decimal, Fraction, SymPy numbers (nan and zoo give nan)
    except (TypeError, ValueError, OverflowError):
        return True  # not a number: a symbolic expression or an arbitrary object
    return math.isfinite(number.real) and math.isfinite(number.imag)


#: How a non-finite float is written into evidence once it has been judged (JSON has no NaN or Inf).
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _json_safe(value: Any, *, figure: bool = False) -> Any:
    """``value`` with every NaN/±Inf replaced by ``"NaN"``/``"±Infinity"`` (by ``None`` in figure data)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if figure else NON_FINITE[repr(float(value))]
    if isinstance(value, dict):
        return {k: _json_safe(v, figure=figure) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v, figure=figure) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What one check measured, and whether that supports the assertion.

    A non-finite number among the quantities, the expected value or the tolerance turns the
    outcome into :attr:`Outcome.ERROR`: NaN or Inf is never a pass, and never counts as a
    refutation either.  Once judged, non-finite numbers are stored as the strings ``"NaN"``,
    ``"Infinity"`` and ``"-Infinity"`` (``None`` in figure data), so the report stays valid JSON.
    """

    name: str
    outcome: Outcome
    method: str = ""
    quantities: Mapping[str, Any] = field(default_factory=dict)
    expected: Any = None
    tolerance: Any = None
    counterexample: Any = None
    note: str = ""
    steps: tuple[Mapping[str, Any], ...] = ()
    figure: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        _text(self.name, "Evidence.name")
        outcome = Outcome(self.outcome)
        # judged on the values as given: once made JSON data, a complex NaN would be the string "(nan+1j)"
        finite = _finite(dict(self.quantities)) and _finite(self.expected) and _finite(self.tolerance)
        quantities = _jsonable(dict(self.quantities))
        object.__setattr__(self, "quantities", quantities)
        object.__setattr__(self, "expected", _jsonable(self.expected))
        object.__setattr__(self, "tolerance", _jsonable(self.tolerance))
        object.__setattr__(self, "counterexample", _jsonable(self.counterexample))
        object.__setattr__(self, "steps", tuple(_jsonable(dict(s)) for s in self.steps))
        if self.figure is not None:
            object.__setattr__(self, "figure", _jsonable(dict(self.figure)))
        if outcome in (Outcome.PASS, Outcome.FAIL) and not finite:
            outcome = Outcome.ERROR
            note = (self.note + " " if self.note else "") + "non-finite value (NaN/Inf) measured"
            object.__setattr__(self, "note", note)
        object.__setattr__(self, "outcome", outcome)
        for name in ("quantities", "expected", "tolerance", "counterexample"):
            object.__setattr__(self, name, _json_safe(getattr(self, name)))
        object.__setattr__(self, "steps", tuple(_json_safe(s) for s in self.steps))
        if self.figure is not None:
            object.__setattr__(self, "figure", _json_safe(self.figure, figure=True))

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "outcome": self.outcome.value,
            "method": self.method,
            "quantities": self.quantities,
            "expected": self.expected,
            "tolerance": self.tolerance,
            "counterexample": self.counterexample,
            "note": self.note,
        }
        if self.steps:
            data["steps"] = list(self.steps)
        if self.figure is not None:
            data["figure"] = self.figure
        return data


def as_evidence_list(value: Evidence | Iterable[Evidence] | None, part: str) -> list[Evidence]:
    """Normalise what a check returned; anything but Evidence is a bug in the check."""
    if value is None:
        raise TypeError(f"the {part} check returned None; it must return Evidence or a list of Evidence")
    items = [value] if isinstance(value, Evidence) else list(value)
    if not items:
        raise TypeError(f"the {part} check returned no evidence")
    for item in items:
        if not isinstance(item, Evidence):
            raise TypeError(f"the {part} check returned {type(item).__name__}, not Evidence")
    return items
