"""The data model of a derivation: the relations a step may assert, the assumptions a symbol may carry, the
declarations a derivation is built from (:class:`Assumption`, :class:`Definition`, :class:`Step`) and
:class:`StepStatus`, how a step came out.

These are plain frozen records, checked for well-formedness when they are made; their expressions stay text
until :mod:`kexue_verify.derivation.parsing` reads them.
"""

from __future__ import annotations

import enum
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kexue_verify.errors import DerivationError

#: The relations a step may assert between the previous expression and its own, with their LaTeX.
RELATIONS: dict[str, str] = {
    "=": "=",
    "<=": r"\le",
    "<": "<",
    ">=": r"\ge",
    ">": ">",
    "~": r"\sim",
    "->": r"\to",
}

#: SymPy assumptions a symbol (or an undefined function's values) may be declared with.
PROPERTIES = frozenset(
    {
        "positive",
        "negative",
        "nonnegative",
        "nonpositive",
        "nonzero",
        "real",
        "integer",
        "rational",
        "even",
        "odd",
        "finite",
        "complex",
    }
)

_LIMIT_RELATIONS = ("~", "->")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SLUG = re.compile(r"^[A-Za-z0-9][\w.-]*$")
_DIRECTIONS = ("+", "-", "+-")


class StepStatus(str, enum.Enum):
    """How a step came out: proved exactly, verified numerically, refuted, or neither."""

    PROVED = "proved"
    NUMERIC = "numerically verified"
    REFUTED = "refuted"
    UNDECIDED = "undecided"

    def __str__(self) -> str:
        return self.value

    @property
    def ok(self) -> bool:
        """True for a step that holds: proved, or verified numerically."""
        return self in (StepStatus.PROVED, StepStatus.NUMERIC)


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------


def _words(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(w for w in re.split(r"[\s,]+", value) if w)
    return tuple(str(w) for w in value)


@dataclass(frozen=True, kw_only=True)
class Assumption:
    """What a derivation assumes of one symbol, or the declaration of an undefined function.

    ``properties`` are SymPy assumptions (:data:`PROPERTIES`), e.g. ``("positive", "integer")``.
    ``lower``/``upper`` bound the domain the derivation is claimed on; random points are drawn
    inside it.  Exact proofs use only the properties, so a proved step holds on the whole
    domain they describe.  A function (``function=True``) takes its properties as properties
    of its values, e.g. a positive scale ``s(x)``.

    >>> Assumption(name="x", properties="positive", lower="1", upper="60").properties
    ('positive',)
    """

    name: str
    properties: tuple[str, ...] = ()
    lower: str | None = None
    upper: str | None = None
    lower_strict: bool = False
    upper_strict: bool = False
    function: bool = False
    line: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", _words(self.properties))
        if not isinstance(self.name, str) or not _NAME.match(self.name) or keyword.iskeyword(self.name):
            raise DerivationError(
                f"{self.name!r} is not a valid name (letters, digits and '_', starting with a letter)"
            )
        unknown = [p for p in self.properties if p not in PROPERTIES]
        if unknown:
            raise DerivationError(
                f"unknown assumption {unknown[0]!r} for {self.name!r}; use any of {', '.join(sorted(PROPERTIES))}"
            )
        for side in ("lower", "upper"):
            value = getattr(self, side)
            if value is not None:
                object.__setattr__(self, side, str(value))
        if self.function and (self.lower is not None or self.upper is not None):
            raise DerivationError(f"function {self.name!r} cannot have bounds")


@dataclass(frozen=True, kw_only=True)
class Definition:
    """``let name = expr``: an abbreviation usable in every later expression of the derivation."""

    name: str
    expr: str
    line: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name) or keyword.iskeyword(self.name):
            raise DerivationError(f"{self.name!r} is not a valid name for a definition")
        if not isinstance(self.expr, str) or not self.expr.strip():
            raise DerivationError(f"definition {self.name!r} needs an expression")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step: ``previous RELATION expr``, with the reason a reader should believe it.

    ``var``/``point``/``direction`` say which limit a ``~`` or ``->`` step is about
    (``point`` defaults to ``"oo"``; ``direction`` is ``"+"``, ``"-"`` or ``"+-"`` for a finite
    point, two-sided by default).  ``substitution`` (``"t = x*s"``) names the change of
    variables that turns the previous integral into this one; the checker verifies that the
    map is monotone, that it sends the new limits to the old ones, and that the integrands
    then agree.

    >>> Step(relation="~", expr="sqrt(2*pi*x)*(x/E)**x", var="x").point
    'oo'
    """

    relation: str
    expr: str
    why: str = ""
    var: str | None = None
    point: str | None = None
    direction: str | None = None
    substitution: str | None = None
    line: int | None = None

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise DerivationError(f"unknown relation {self.relation!r}; use one of {' '.join(RELATIONS)}")
        if not isinstance(self.expr, str) or not self.expr.strip():
            raise DerivationError("a step needs an expression")
        if self.relation in _LIMIT_RELATIONS:
            if not self.var:
                raise DerivationError(f"a {self.relation!r} step needs the variable of its limit, e.g. 'as x -> oo'")
            if self.point is None:
                object.__setattr__(self, "point", "oo")
        elif self.var is not None or self.point is not None or self.direction is not None:
            raise DerivationError(f"only '~' and '->' steps take a limit ('as ...'), not {self.relation!r}")
        if self.direction is not None and self.direction not in _DIRECTIONS:
            raise DerivationError(f"direction must be one of {', '.join(_DIRECTIONS)}, got {self.direction!r}")
        if self.substitution is not None:
            if self.relation != "=":
                raise DerivationError("a substitution ('with t = ...') only makes sense on an '=' step")
            if self.substitution.count("=") != 1:
                raise DerivationError(f"a substitution looks like 't = x*s', got {self.substitution!r}")
