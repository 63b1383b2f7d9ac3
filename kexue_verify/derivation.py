"""Derivations: chains of steps from what a source assumes to what it claims, each step checked.

A derivation starts from an expression and relates every new expression to the one before it,
the way a textbook page does::

    Γ(x+1) = ∫₀^∞ e^{-t} t^x dt                      Euler's integral (DLMF 5.2.1)
           = x^{x+1} ∫₀^∞ e^{-x(s - ln s)} ds        substitute t = x s

Each relation is one of ``=``, ``<=``, ``<``, ``>=``, ``>``, ``~`` (asymptotic equivalence:
the ratio of the two sides tends to 1) and ``->`` (the previous expression tends to the new one).
:func:`check_derivation` checks every step and records *how* it was checked:

``proved``
    SymPy decided the step exactly: the difference of the two sides simplified to 0, two
    integrals have identical integrands after a checked change of variables, a limit was
    evaluated, or the sign of a difference follows from the declared assumptions.
``numerically verified``
    SymPy could not decide, and the two sides agree to ``digits`` significant digits at
    ``points`` random points of the declared domain, evaluated with mpmath (unevaluated
    integrals with :func:`mpmath.quad`); for an inequality no violation was found at those
    points nor by a local search from the worst of them.  This is evidence, never a proof.
``refuted``
    The step is false: SymPy reduced the difference to a nonzero constant, or mpmath found a
    point where the two sides differ (or where the inequality fails), confirmed again at a
    higher precision.  The point is recorded as the counterexample.
``undecided``
    Neither: for instance too few points could be evaluated.

Expressions are written in SymPy syntax and read by :func:`kexue_verify.formula.parse_formula`,
which builds them from Python's syntax tree against the symbols the derivation declares and a
restricted namespace of SymPy's mathematical functions and classes; nothing is evaluated, and
strings, private names and any syntax outside its whitelist are refused.

>>> d = (Derivation.begin("square", start="(x + 1)**2", assume={"x": "real"})
...      .eq("x**2 + 2*x + 1", why="binomial theorem"))
>>> check_derivation(d).steps[0].status.value
'proved'
"""

from __future__ import annotations

import contextlib
import dataclasses
import decimal
import enum
import heapq
import keyword
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from kexue_verify.claims import Evidence, Outcome
from kexue_verify.errors import DerivationError, FormulaError
from kexue_verify.formula import namespace, parse_formula

__all__ = [
    "PROPERTIES",
    "RELATIONS",
    "Assumption",
    "Definition",
    "Derivation",
    "DerivationResult",
    "SeriesCoeff",
    "Step",
    "StepResult",
    "StepStatus",
    "check_derivation",
]

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
# A series-coefficient helper usable in expressions
# --------------------------------------------------------------------------------------------


class SeriesCoeff(sp.Function):
    r"""``series_coeff(f, t, k)``: the coefficient :math:`[t^k]\,f` of the Taylor series of ``f`` at ``t = 0``.

    It stays unevaluated (so a derivation can show it) until ``doit()``:

    >>> t = sp.Symbol("t")
    >>> c = SeriesCoeff(sp.exp(t / 12 - t**3 / 360), t, 3)
    >>> c.doit()
    -139/51840
    """

    nargs = 3

    @classmethod
    def eval(cls, expr: Any, var: Any, k: Any) -> None:
        if not isinstance(var, sp.Symbol):
            raise TypeError(f"series_coeff: the variable must be a declared symbol, got {var}")
        if not (k.is_Integer and k >= 0):
            raise TypeError(f"series_coeff: the order must be a non-negative integer, got {k}")
        return None

    @property
    def free_symbols(self) -> set[Any]:
        expr, var, _ = self.args
        return expr.free_symbols - {var}

    def doit(self, **hints: Any) -> Any:
        expr, var, k = self.args
        if hints.get("deep", True):
            expr = expr.doit(**hints)
        return _taylor_coefficient(expr, var, int(k))

    def _latex(self, printer: Any) -> str:
        expr, var, k = self.args
        return rf"[{printer._print(var)}^{{{printer._print(k)}}}]\,\left({printer._print(expr)}\right)"

    def _sympystr(self, printer: Any) -> str:
        return "series_coeff({})".format(", ".join(printer._print(a) for a in self.args))


def _taylor_coefficient(expr: Any, var: Any, k: int) -> Any:
    """``[var^k] expr``: by truncated power series for ``exp(polynomial)``, else by ``sympy.series``."""
    if isinstance(expr, sp.exp) and expr.args[0].is_polynomial(var):
        exponent = sp.Poly(sp.expand(expr.args[0]), var)
        h = {deg: c for (deg,), c in exponent.terms() if 0 < deg <= k}
        constant = exponent.coeff_monomial(1)
        total: dict[int, Any] = {0: sp.Integer(1)}
        power: dict[int, Any] = {0: sp.Integer(1)}
        for n in range(1, k + 1):
            product: dict[int, Any] = {}
            for d1, c1 in power.items():
                for d2, c2 in h.items():
                    if d1 + d2 <= k:
                        product[d1 + d2] = product.get(d1 + d2, 0) + c1 * c2
            power = {d: sp.expand(c) for d, c in product.items()}
            if not power:
                break
            for d, c in power.items():
                total[d] = total.get(d, 0) + c / sp.factorial(n)
        return sp.expand(sp.exp(constant) * total.get(k, 0))
    polynomial = sp.series(expr, var, 0, k + 1).removeO()
    return sp.expand(polynomial).coeff(var, k)


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


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# The derivation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Derivation:
    """A chain ``start R₁ e₁ R₂ e₂ …`` of checked steps, with the assumptions it rests on.

    Build one with :meth:`begin` and the step methods, which return new derivations::

        Derivation.begin("laplace", title="Γ(x+1) by Laplace's method",
                         assume={"x": "positive", "t": "positive"}, bounds={"x": (1, 50)},
                         start="gamma(x + 1)")
            .eq("Integral(exp(-t)*t**x, (t, 0, oo))", why="Euler's integral, DLMF 5.2.1")

    Every expression is parsed when the derivation is built, so a typo fails at once with a
    :class:`~kexue_verify.errors.DerivationError` naming the step (and the file and line when
    the derivation comes from a document).
    """

    name: str
    start: str
    steps: tuple[Step, ...] = ()
    title: str = ""
    assumptions: tuple[Assumption, ...] = ()
    definitions: tuple[Definition, ...] = ()
    origin: str = ""
    line: int | None = None
    _compiled: _Compiled | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _SLUG.match(self.name):
            raise DerivationError(f"a derivation name must be a slug like 'laplace-route', got {self.name!r}")
        for name in ("steps", "assumptions", "definitions"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.title:
            object.__setattr__(self, "title", self.name)
        object.__setattr__(self, "_compiled", self._compile())

    # -- builder ---------------------------------------------------------------------------

    @classmethod
    def begin(
        cls,
        name: str,
        *,
        start: str,
        title: str = "",
        assume: Mapping[str, str | Iterable[str]] | None = None,
        bounds: Mapping[str, tuple[Any, Any]] | None = None,
        functions: Mapping[str, str | Iterable[str]] | Iterable[str] = (),
        define: Mapping[str, str] | None = None,
    ) -> Derivation:
        """Start a derivation at ``start``; add steps with :meth:`eq`, :meth:`le`, :meth:`sim`, ...

        ``assume`` maps symbol names to SymPy assumptions (``"positive integer"``), ``bounds``
        maps names to the ``(lower, upper)`` domain sampled by the numerical checks,
        ``functions`` declares undefined functions (optionally with properties of their
        values) and ``define`` holds ``let`` abbreviations, in order.
        """
        assume = dict(assume or {})
        bounds = dict(bounds or {})
        decls = []
        for sym in [*assume, *(b for b in bounds if b not in assume)]:
            lo, hi = bounds.get(sym, (None, None))
            decls.append(
                Assumption(
                    name=sym,
                    properties=_words(assume.get(sym)),
                    lower=None if lo is None else str(lo),
                    upper=None if hi is None else str(hi),
                )
            )
        items = functions.items() if isinstance(functions, Mapping) else ((f, ()) for f in functions)
        decls += [Assumption(name=f, properties=_words(p), function=True) for f, p in items]
        defs = tuple(Definition(name=k, expr=v) for k, v in (define or {}).items())
        return cls(name=name, title=title, start=start, assumptions=tuple(decls), definitions=defs)

    def step(
        self,
        relation: str,
        expr: str,
        *,
        why: str = "",
        var: str | None = None,
        point: str | None = None,
        direction: str | None = None,
        substitution: str | None = None,
    ) -> Derivation:
        """A new derivation with one more step ``RELATION expr``."""
        new = Step(
            relation=relation,
            expr=expr,
            why=why,
            var=var,
            point=point,
            direction=direction,
            substitution=substitution,
        )
        return dataclasses.replace(self, steps=(*self.steps, new))

    def eq(self, expr: str, *, why: str = "", substitution: str | None = None) -> Derivation:
        """``= expr``; ``substitution="t = x*s"`` names a change of integration variable."""
        return self.step("=", expr, why=why, substitution=substitution)

    def le(self, expr: str, *, why: str = "") -> Derivation:
        """``<= expr``."""
        return self.step("<=", expr, why=why)

    def lt(self, expr: str, *, why: str = "") -> Derivation:
        """``< expr``."""
        return self.step("<", expr, why=why)

    def ge(self, expr: str, *, why: str = "") -> Derivation:
        """``>= expr``."""
        return self.step(">=", expr, why=why)

    def gt(self, expr: str, *, why: str = "") -> Derivation:
        """``> expr``."""
        return self.step(">", expr, why=why)

    def sim(self, expr: str, *, var: str, point: str = "oo", direction: str | None = None, why: str = "") -> Derivation:
        """``~ expr`` as ``var -> point``: the ratio of the previous expression to ``expr`` tends to 1."""
        return self.step("~", expr, why=why, var=var, point=point, direction=direction)

    def to(self, expr: str, *, var: str, point: str = "oo", direction: str | None = None, why: str = "") -> Derivation:
        """``-> expr`` as ``var -> point``: the previous expression tends to ``expr``."""
        return self.step("->", expr, why=why, var=var, point=point, direction=direction)

    # -- compilation -----------------------------------------------------------------------

    def _where(self, line: int | None, what: str = "") -> str:
        place = f"{self.origin}:{line}: " if self.origin and line else (f"line {line}: " if line else "")
        return f"{place}derivation {self.name!r}{', ' + what if what else ''}"

    def _compile(self) -> _Compiled:
        local: dict[str, Any] = {}
        symbols: dict[str, Any] = {}
        functions: dict[str, Any] = {}
        ranges: dict[Any, _Range] = {}
        for decl in self.assumptions:
            where = self._where(decl.line, f"assumption on {decl.name!r}")
            if decl.name in local:
                raise DerivationError(f"{where}: {decl.name!r} is declared twice")
            if decl.name in _namespace():
                raise DerivationError(f"{where}: {decl.name!r} is a SymPy name; choose another one")
            kwargs = dict.fromkeys(decl.properties, True)
            try:
                if decl.function:
                    obj = sp.Function(decl.name, **kwargs)
                    functions[decl.name] = obj
                else:
                    obj = sp.Symbol(decl.name, **kwargs)
                    symbols[decl.name] = obj
                    ranges[obj] = self._range(decl, where)
            except DerivationError:
                raise
            except ValueError:  # sympy's InconsistentAssumptions (positive and negative, ...)
                props = " ".join(decl.properties)
                raise DerivationError(f"{where}: the assumptions {props!r} contradict each other") from None
            local[decl.name] = obj
        for definition in self.definitions:
            where = self._where(definition.line, f"definition of {definition.name!r}")
            if definition.name in local or definition.name in _namespace():
                raise DerivationError(f"{where}: the name {definition.name!r} is already taken")
            local[definition.name] = self._parse_at(definition.expr, local, where)
        start = self._parse_at(self.start, local, self._where(self.line, "start"))
        self._check_bound_variables(start, self._where(self.line, "start"))
        steps = tuple(self._compile_step(i, s, local, symbols) for i, s in enumerate(self.steps, 1))
        for i, cstep in enumerate(steps, 1):
            self._check_bound_variables(cstep.expr, self._where(cstep.step.line, f"step {i}"))
        return _Compiled(local, symbols, functions, ranges, start, steps)

    @staticmethod
    def _check_bound_variables(expr: Any, where: str) -> None:
        """Refuse an integral whose variable's declared sign does not hold on its range.

        SymPy applies a symbol's assumptions as soon as an expression is built: with ``u``
        positive, ``sqrt(u**2)`` becomes ``u`` even inside ``Integral(..., (u, -oo, oo))``.
        """
        for node in expr.atoms(sp.Integral, sp.Sum, sp.Product) if isinstance(expr, sp.Basic) else ():
            for limit in node.limits:
                if len(limit) != 3:
                    continue
                var, lo, hi = limit
                ok = _range_consistent(var, lo, hi) if isinstance(node, sp.Integral) else _signs_consistent(var, lo, hi)
                if not ok:
                    props = " ".join(_sign_props(var)) or "with its assumptions"
                    raise DerivationError(
                        f"{where}: {var} is declared {props}, but it runs over [{lo}, {hi}]; "
                        f"declare the variable of integration to match its range"
                    )

    @staticmethod
    def _parse_at(text: str, local: Mapping[str, Any], where: str) -> Any:
        try:
            return _parse(text, local)
        except DerivationError as exc:
            raise DerivationError(f"{where}: {exc}") from None

    @staticmethod
    def _range(decl: Assumption, where: str) -> _Range:
        props = decl.properties
        integer = any(p in props for p in ("integer", "even", "odd"))
        lo_default, hi_default = _default_range(props)
        lo = _number(decl.lower, where) if decl.lower is not None else sp.Integer(lo_default)
        hi = _number(decl.upper, where) if decl.upper is not None else sp.Integer(hi_default)
        if not lo < hi:
            raise DerivationError(f"{where}: the lower bound {lo} is not below the upper bound {hi}")
        if ("positive" in props or "nonnegative" in props) and lo < 0:
            raise DerivationError(f"{where}: the bounds [{lo}, {hi}] contradict {' '.join(props)!r}")
        if ("negative" in props or "nonpositive" in props) and hi > 0:
            raise DerivationError(f"{where}: the bounds [{lo}, {hi}] contradict {' '.join(props)!r}")
        lo_open = decl.lower_strict or ("positive" in props and lo == 0)
        hi_open = decl.upper_strict or ("negative" in props and hi == 0)
        if integer and sp.ceiling(lo) > sp.floor(hi):
            raise DerivationError(f"{where}: no integer lies in [{lo}, {hi}]")
        return _Range(lo, hi, integer, lo_open, hi_open, "nonzero" in props)

    def _compile_step(
        self, index: int, step: Step, local: Mapping[str, Any], symbols: Mapping[str, Any]
    ) -> _CompiledStep:
        where = self._where(step.line, f"step {index}")
        expr = self._parse_at(step.expr, local, where)
        if step.relation not in _LIMIT_RELATIONS:
            substitution = None
            if step.substitution is not None:
                old, new = (part.strip() for part in step.substitution.split("="))
                if old not in symbols:
                    raise DerivationError(f"{where}: {old!r} in 'with {step.substitution}' is not a declared symbol")
                substitution = (symbols[old], self._parse_at(new, local, where))
            if step.relation != "=" and isinstance(expr, sp.MatrixBase):
                raise DerivationError(f"{where}: matrices can only be related by '='")
            return _CompiledStep(step, expr, substitution=substitution)
        if step.var not in symbols:
            raise DerivationError(f"{where}: the limit variable {step.var!r} is not a declared symbol")
        var = symbols[step.var]
        point = self._parse_at(step.point or "oo", {}, where)
        if point.free_symbols or not (point.is_extended_real):
            raise DerivationError(f"{where}: the limit point must be a real number or ±oo, got {step.point!r}")
        if step.relation == "->" and var in expr.free_symbols:
            raise DerivationError(f"{where}: the limit {step.expr!r} still depends on {step.var!r}")
        natural = self._direction(var, point, where)
        direction = step.direction or natural
        if point.is_finite and natural != "+-" and direction != natural:
            side = "right (+)" if natural == "+" else "left (-)"
            raise DerivationError(
                f"{where}: {step.var} is declared {' '.join(_sign_props(var))}, "
                f"so it can only approach {step.point} from the {side}"
            )
        return _CompiledStep(step, expr, var=var, point=point, direction=direction)

    @staticmethod
    def _direction(var: Any, point: Any, where: str) -> str:
        """The side a limit is taken from: both sides unless the sign of ``var`` rules one out."""
        above = var.is_positive or var.is_nonnegative
        below = var.is_negative or var.is_nonpositive
        if point.is_infinite:
            if (point == sp.oo and below) or (point == -sp.oo and above):
                raise DerivationError(f"{where}: {var} cannot tend to {point} given its sign")
            return "-" if point == sp.oo else "+"
        if (above and point < 0) or (below and point > 0):
            raise DerivationError(f"{where}: {var} cannot tend to {point} given its sign")
        if above and point == 0:
            return "+"
        if below and point == 0:
            return "-"
        return "+-"

    # -- views -----------------------------------------------------------------------------

    @property
    def symbols(self) -> dict[str, Any]:
        """The declared SymPy symbols, by name."""
        assert self._compiled is not None
        return dict(self._compiled.symbols)

    def expressions(self) -> list[Any]:
        """The parsed start and step expressions, in order."""
        assert self._compiled is not None
        return [self._compiled.start, *(s.expr for s in self._compiled.steps)]


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """The outcome of checking one step, with both sides and how it was decided."""

    index: int
    relation: str
    lhs: str
    rhs: str
    lhs_latex: str
    rhs_latex: str
    justification: str
    status: StepStatus
    method: str
    counterexample: Mapping[str, str] | None = None
    detail: str = ""
    text: str = ""
    line: int | None = None
    limit: str | None = None

    @property
    def ok(self) -> bool:
        return self.status.ok

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data (embedded in reports)."""
        return {
            "index": self.index,
            "relation": self.relation,
            "lhs": self.lhs,
            "rhs": self.rhs,
            "lhs_latex": self.lhs_latex,
            "rhs_latex": self.rhs_latex,
            "relation_latex": RELATIONS[self.relation],
            "limit": self.limit,
            "justification": self.justification,
            "status": self.status.value,
            "method": self.method,
            "counterexample": dict(self.counterexample) if self.counterexample else None,
            "detail": self.detail,
            "line": self.line,
        }


def _compose(relations: Iterable[str]) -> str | None:
    """The relation between the start and the end of a chain, if the steps compose into one."""
    rels = set(relations)
    if not rels:
        return None
    if rels == {"="}:
        return "="
    if rels <= {"=", "~"}:
        return "~"
    if rels <= {"=", "<=", "<"}:
        return "<" if "<" in rels else "<="
    if rels <= {"=", ">=", ">"}:
        return ">" if ">" in rels else ">="
    return None


@dataclass(frozen=True, kw_only=True)
class DerivationResult:
    """Every step of a derivation, checked."""

    name: str
    title: str
    start: str
    start_latex: str
    steps: tuple[StepResult, ...]
    start_text: str = ""
    origin: str = ""
    digits: int = 30
    points: int = 8
    seed: int = 0

    @property
    def ok(self) -> bool:
        """True when every step is proved or numerically verified."""
        return all(s.ok for s in self.steps)

    @property
    def first_failure(self) -> StepResult | None:
        """The first step that is refuted or undecided, if any."""
        return next((s for s in self.steps if not s.ok), None)

    @property
    def conclusion(self) -> str | None:
        """``start R end`` when the relations of the steps compose (``=`` and ``<=`` give ``<=``)."""
        if not self.steps or any(s.relation == "->" for s in self.steps):
            return None
        rel = _compose(s.relation for s in self.steps)
        return None if rel is None else f"{self.start} {rel} {self.steps[-1].rhs}"

    def summary(self) -> str:
        """E.g. ``"4 steps: 3 sympy, 1 mpmath 30 digits"``."""
        counts = {status: sum(s.status is status for s in self.steps) for status in StepStatus}
        parts = []
        if counts[StepStatus.PROVED]:
            parts.append(f"{counts[StepStatus.PROVED]} sympy")
        if counts[StepStatus.NUMERIC]:
            parts.append(f"{counts[StepStatus.NUMERIC]} mpmath {self.digits} digits")
        if counts[StepStatus.REFUTED]:
            parts.append(f"{counts[StepStatus.REFUTED]} refuted")
        if counts[StepStatus.UNDECIDED]:
            parts.append(f"{counts[StepStatus.UNDECIDED]} undecided")
        n = len(self.steps)
        return f"{n} step{'s' if n != 1 else ''}: {', '.join(parts) or 'none'}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "origin": self.origin,
            "start": self.start,
            "start_latex": self.start_latex,
            "start_text": self.start_text,
            "ok": self.ok,
            "conclusion": self.conclusion,
            "summary": self.summary(),
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_evidence(self) -> Evidence:
        """Evidence for a claim's symbolic part: PASS if every step holds, FAIL if one is refuted."""
        statuses = [s.status for s in self.steps]
        if self.ok:
            outcome = Outcome.PASS
        elif StepStatus.REFUTED in statuses:
            outcome = Outcome.FAIL
        else:
            outcome = Outcome.UNDECIDED
        failure = self.first_failure
        counterexample = None
        note = self.conclusion or ""
        if failure is not None:
            counterexample = {"step": failure.index, **dict(failure.counterexample or {})}
            note = f"step {failure.index} ({failure.relation} {failure.rhs}) {failure.status.value}: {failure.detail}"
        return Evidence(
            name=f"derivation {self.name}",
            outcome=outcome,
            method=self.summary(),
            quantities={
                "steps": len(self.steps),
                "proved": statuses.count(StepStatus.PROVED),
                "numerically_verified": statuses.count(StepStatus.NUMERIC),
                "refuted": statuses.count(StepStatus.REFUTED),
                "undecided": statuses.count(StepStatus.UNDECIDED),
            },
            counterexample=counterexample,
            note=note,
            steps=tuple(s.to_dict() for s in self.steps),
        )


# --------------------------------------------------------------------------------------------
# Time limits for SymPy
# --------------------------------------------------------------------------------------------


class _OutOfTime(BaseException):
    """Raised by the alarm when a SymPy computation overruns its budget (not an Exception,
    so that SymPy's own ``except Exception`` clauses cannot swallow it)."""


class _Budget:
    """A wall-clock budget for the exact phase of one step.

    The limit is enforced with ``SIGALRM``, so only in the main thread of a POSIX process and
    only when no other alarm is set; elsewhere SymPy runs unbounded (cheap methods come first).
    """

    def __init__(self, seconds: float | None) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds

    def left(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    @contextlib.contextmanager
    def limit(self) -> Iterator[None]:
        left = self.left()
        if left is not None and left <= 0:
            raise _OutOfTime
        usable = (
            left is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        )
        if not usable:
            yield
            return

        armed = [True]
        previous_hook = sys.unraisablehook

        def absorb_dropped_alarm(unraisable: Any) -> None:
            # An alarm raised where Python cannot propagate it (a gc callback, a finaliser) is dropped: it is no
            # error of the check's, and the next repeat lands. Anything else goes to the hook that was there.
            if not isinstance(unraisable.exc_value, _OutOfTime):
                previous_hook(unraisable)

        def expire(signum: int, frame: Any) -> None:
            if armed[0] and (frame is None or frame.f_code is not absorb_dropped_alarm.__code__):
                raise _OutOfTime

        sys.unraisablehook = absorb_dropped_alarm
        previous = signal.signal(signal.SIGALRM, expire)
        # The alarm repeats every 50 ms after the deadline: Python drops an exception raised while a garbage-collector
        # callback runs, and SymPy catches broad exceptions in places, so a single alarm can be lost and leave a
        # factorisation running for ever. Repeating it until it lands keeps the budget a bound.
        signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), 0.05)
        try:
            yield
        finally:
            while armed[0]:
                try:
                    armed[0] = False  # an alarm from here on is ignored
                except _OutOfTime:  # one that fired just before the assignment
                    continue
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            sys.unraisablehook = previous_hook

    def attempt(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args)`` within the budget; ``None`` if it fails or runs out of time."""
        try:
            with self.limit():
                return fn(*args, **kwargs)
        except _OutOfTime:
            return None
        except Exception:  # noqa: BLE001 - a SymPy method that cannot handle this expression just fails
            return None


# --------------------------------------------------------------------------------------------
# Exact checks
# --------------------------------------------------------------------------------------------

_SIZE_LIMIT = 600  # count_ops above which simplify() is not attempted
_CROSS_DIGITS = 15  # digits of the mpmath cross-check of SymPy's integrals and sums


@dataclass(frozen=True)
class _Decision:
    status: StepStatus
    method: str
    detail: str = ""
    counterexample: Mapping[str, str] | None = None


def _is_zero(value: Any) -> bool:
    if isinstance(value, sp.MatrixBase):
        return all(entry == 0 for entry in value)
    return value == 0


def _entrywise(fn: Any, value: Any) -> Any:
    if isinstance(value, sp.MatrixBase):
        return value.applyfunc(fn)
    return fn(value)


def _size(value: Any) -> int:
    if isinstance(value, sp.MatrixBase):
        return sum(sp.count_ops(e) for e in value)
    return sp.count_ops(value)


def _undefined(value: Any) -> bool:
    return value.has(sp.nan, sp.zoo)


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
    return sp.simplify(a - b) == 0


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


#: The functions interval arithmetic can enclose (hyperbolic ones are rewritten with exp first).
_IV_FUNCTIONS: dict[str, Any] = {
    "exp": mpmath.iv.exp, "log": mpmath.iv.log, "sqrt": mpmath.iv.sqrt, "sin": mpmath.iv.sin,
    "cos": mpmath.iv.cos, "tan": mpmath.iv.tan, "gamma": mpmath.iv.gamma, "loggamma": mpmath.iv.loggamma,
    "erf": mpmath.iv.erf, "pi": mpmath.iv.pi, "E": mpmath.iv.e, "Abs": abs,
}
#: Boxes the interval search may examine per step.
_BOXES = 400


def _interior_points(lo: Any, hi: Any) -> list[Any]:
    """Two points strictly inside ``(lo, hi)`` (either end may be infinite)."""
    if lo.is_finite and hi.is_finite:
        return [lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3]
    if lo.is_finite:
        return [lo + sp.Rational(1, 2), lo + sp.Rational(3, 2)]
    if hi.is_finite:
        return [hi - sp.Rational(1, 2), hi - sp.Rational(3, 2)]
    return [sp.Rational(-1, 2), sp.Rational(1, 3)]


def _short(method: str) -> str:
    return "sympy" if method.startswith("sympy (") else method


def _doit(value: Any) -> Any:
    return value.doit(risch=False, heurisch=False)


def _exact_equal(prev: Any, new: Any, substitution: Any, budget: _Budget, *, thorough: bool) -> _Decision | None:
    """Decide ``prev = new`` exactly, or return None."""
    if prev == new:
        return _Decision(StepStatus.PROVED, "sympy (identical expressions)", "both sides are the same expression")
    diff = prev - new
    if not thorough:
        method = _cheap_zero(diff, budget)
        if method:
            return _Decision(StepStatus.PROVED, method, "the difference of the two sides reduces to 0")
        if not isinstance(diff, sp.MatrixBase):
            method = _integrals_agree(prev, new, substitution, budget)
            if method:
                return _Decision(StepStatus.PROVED, method, "the integrals have the same integrand and limits")
        return None
    done_prev, done_new = budget.attempt(_doit, prev), budget.attempt(_doit, new)
    if done_prev is not None and done_new is not None and (done_prev != prev or done_new != new):
        done = done_prev - done_new
        method, last = _simplify_zero(done, budget)
        if method:
            method = "sympy.doit" if method.startswith("sympy (") else f"sympy.doit + {method}"
            return _Decision(StepStatus.PROVED, method, "after evaluating, the difference reduces to 0")
        if _nonzero_constant(last):
            return _Decision(
                StepStatus.REFUTED,
                "sympy.doit + sympy.simplify",
                f"the two sides differ by the nonzero constant {last}",
                {"lhs": sp.sstr(done_prev), "rhs": sp.sstr(done_new), "difference": sp.sstr(last)},
            )
    method, last = _simplify_zero(diff, budget)
    if method:
        return _Decision(StepStatus.PROVED, method, "the difference of the two sides reduces to 0")
    if _nonzero_constant(last):
        return _Decision(
            StepStatus.REFUTED,
            "sympy.simplify",
            f"the two sides differ by the nonzero constant {last}",
            {"difference": sp.sstr(last)},
        )
    return None


def _log_ratio(a: Any, b: Any) -> Any:
    """``ln a - ln b`` for positive ``a``, ``b``, expanded, with ``ln Γ(z)`` (z > 0) as ``loggamma(z)``."""
    expr = sp.expand_log(sp.log(a) - sp.log(b))
    return expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.gamma) and e.args[0].args[0].is_positive,
        lambda e: sp.loggamma(e.args[0].args[0]),
    )


def _nonzero_constant(value: Any) -> bool:
    """A number SymPy itself decides is finite and not zero (``1/12``, ``sqrt(2) - 1``, ``log(2)/2``)."""
    if isinstance(value, sp.MatrixBase) or not isinstance(value, sp.Expr):
        return False
    return bool(value.is_number and value.is_finite and value.is_zero is False)


def _exact_inequality(diff: Any, strict: bool, budget: _Budget) -> _Decision | None:
    """Decide ``diff > 0`` (strict) or ``diff >= 0`` from SymPy's assumptions, or return None."""
    forms = [("sympy assumptions", diff)]
    for name, fn in (("sympy.factor", sp.factor), ("sympy.simplify", sp.simplify)):
        if name == "sympy.simplify" and _size(diff) > _SIZE_LIMIT:
            continue
        form = budget.attempt(fn, diff)
        if form is not None:
            forms.append((name, form))
    want = "positive" if strict else "nonnegative"
    for name, form in forms:
        if form.is_Rational:
            good = form > 0 if strict else form >= 0
            status = StepStatus.PROVED if good else StepStatus.REFUTED
            detail = f"the difference of the sides is the constant {form}"
            return _Decision(status, name, detail, None if good else {"difference": sp.sstr(form)})
        decided = budget.attempt(lambda f: getattr(f, f"is_{want}"), form)
        if decided is True:
            return _Decision(StepStatus.PROVED, name, f"the difference of the sides is {want} under the assumptions")
    return None


# --------------------------------------------------------------------------------------------
# Numerical checks
# --------------------------------------------------------------------------------------------


class _NoValueError(Exception):
    """An expression could not be evaluated at a point (undefined, infinite, unreliable)."""


_HUGE = mpmath.mpf(10) ** 100


def _safe_exp(z: Any) -> Any:
    """``exp`` that does not try to build numbers with astronomically many digits.

    Far tails of infinite integrals evaluate ``exp(-x·e^u)`` at huge ``u``; an argument with
    real part beyond ±10¹⁰⁰ stands for 0 (or ∞), which is what it is at any precision.
    """
    re_z = mpmath.re(z)
    if re_z < -_HUGE:
        return mpmath.mpf(0)
    if re_z > _HUGE:
        return mpmath.inf
    return mpmath.exp(z)


_MODULES = [{"exp": _safe_exp}, "mpmath"]


def _decimal(value: Any) -> str:
    """A point coordinate as text: exact for a decimal fraction, else 20 significant digits."""
    if isinstance(value, sp.Rational):
        q = int(value.q)
        for prime in (2, 5):
            while q % prime == 0:
                q //= prime
        if q == 1:
            with decimal.localcontext() as ctx:
                ctx.prec = 60
                return str(decimal.Decimal(int(value.p)) / decimal.Decimal(int(value.q)))
        return str(sp.N(value, 20))
    return mpmath.nstr(value, 20)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        if len(value) == 1:
            return _show(value[0])
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, mpmath.mpc) and value.imag == 0:
        value = value.real
    return mpmath.nstr(value, 20)


#: How random points after the two edge points are placed (one entry drawn per variable and point).
_SAMPLING = ("uniform", "uniform", "uniform", "near-lower", "near-upper", "small")
#: Index offset of the interior points (:meth:`_Numeric.interior_candidate`), so that their cached values never
#: collide with those of the edge-and-mix points.
_INTERIOR = 10**6
#: How close (relative to the width of the range) a point comes to an open edge; the smallest log-uniform distance.
_NUDGE = sp.Rational(1, 10**8)


def _log_uniform(rng: random.Random, top: Any) -> Any:
    """A rational ``top·10^u`` with ``u`` uniform on ``[−8, 0]`` (12 significant digits)."""
    return top * sp.Rational(f"{10 ** rng.uniform(-8.0, 0.0):.12e}")


def _sampled_range(cands: Iterable[_Candidate], symbols: Iterable[Any]) -> str:
    """``x ∈ [min, max]`` over the points used, per symbol: the region the numerical check actually covered."""
    cands = list(cands)
    parts = []
    for sym in sorted(symbols, key=str):
        values = [c.values[sym] for c in cands if sym in c.values]
        if values:
            parts.append(f"{sym} ∈ [{_decimal(min(values))}, {_decimal(max(values))}]")
    return ", ".join(parts)


@dataclass(frozen=True)
class _Candidate:
    """A random point of the domain, with random instances of the undefined functions."""

    index: int
    values: Mapping[Any, Any]  # Symbol -> sympy Rational
    functions: Mapping[Any, Any]  # (function class, arity) -> Lambda

    def describe(self, symbols: Iterable[Any]) -> dict[str, str]:
        out = {str(s): _decimal(self.values[s]) for s in sorted(symbols, key=str) if s in self.values}
        for (fn, _), body in sorted(self.functions.items(), key=lambda kv: str(kv[0][0])):
            out[str(fn)] = sp.sstr(body)
        return out


class _Numeric:
    """High-precision evaluation of the derivation's expressions at shared random points."""

    def __init__(self, compiled: _Compiled, *, seed: int, key: str, digits: int) -> None:
        self.compiled = compiled
        self.digits = digits
        self.work_dps = digits + 10
        self.confirm_dps = digits + 25
        self.rng = random.Random(f"kexue-verify:{seed}:{key}")
        self._interior_rng = random.Random(f"kexue-verify:{seed}:{key}:interior")
        self.candidates: list[_Candidate] = []
        self._interior: list[_Candidate] = []
        self.arities = self._arities()
        self._cache: dict[Any, Any] = {}
        self._plans: dict[Any, Any] = {}
        self._placeholders: dict[Any, Any] = {}
        self._careful = False

    # -- points ----------------------------------------------------------------------------

    def _arities(self) -> list[tuple[Any, int]]:
        seen: set[tuple[Any, int]] = set()
        exprs = [self.compiled.start, *(s.expr for s in self.compiled.steps)]
        for expr in exprs:
            for app in expr.atoms(AppliedUndef):
                seen.add((app.func, len(app.args)))
        return sorted(seen, key=lambda fa: (str(fa[0]), fa[1]))

    def candidate(self, i: int) -> _Candidate:
        while len(self.candidates) <= i:
            self.candidates.append(self._draw(len(self.candidates)))
        return self.candidates[i]

    def interior_candidate(self, i: int) -> _Candidate:
        """The ``i``-th point drawn uniformly inside the ranges (no edges): for the limit extrapolation, which
        assumes an expansion that can converge arbitrarily slowly at an edge of a parameter's range."""
        while len(self._interior) <= i:
            self._interior.append(self._draw(_INTERIOR + len(self._interior), self._interior_rng, uniform=True))
        return self._interior[i]

    def _draw(self, index: int, rng: random.Random | None = None, *, uniform: bool = False) -> _Candidate:
        rng = rng or self.rng
        values = {}
        for sym, rng_ in self.compiled.ranges.items():
            values[sym] = self._draw_value(rng, rng_, 2 if uniform else index, uniform=uniform)
        functions = {}
        for fn, arity in self.arities:
            functions[(fn, arity)] = self._draw_function(rng, fn, arity)
        return _Candidate(index, values, functions)

    @staticmethod
    def _draw_value(rng: random.Random, r: _Range, index: int = 2, *, uniform: bool = False) -> Any:
        """A point of the declared domain: point 0 at its lower edge, point 1 at its upper edge, then a mix.

        The mix (:data:`_SAMPLING`): half uniform on the range, the rest log-uniform in the distance to an
        edge (``10⁻⁸`` to the full width), or in magnitude where the range contains 0 — so that terms that
        matter only near an edge or at small magnitudes are evaluated where they matter.  An open edge is
        approached to within ``10⁻⁸`` of the width.
        """
        if r.integer:
            lo = int(sp.ceiling(r.lower)) + (1 if r.lower_open and r.lower.is_Integer else 0)
            hi = int(sp.floor(r.upper)) - (1 if r.upper_open and r.upper.is_Integer else 0)
            choices = [k for k in range(lo, hi + 1) if not (r.nonzero and k == 0)] or [lo]
            if index < 2:
                return sp.Integer(choices[-index])
            return sp.Integer(rng.choice(choices))
        width = r.upper - r.lower
        mode = "uniform" if uniform else "lower" if index == 0 else "upper" if index == 1 else rng.choice(_SAMPLING)
        for _ in range(100):
            if mode in ("lower", "upper"):
                edge, inward, is_open = ((r.lower, 1, r.lower_open) if mode == "lower" else (r.upper, -1, r.upper_open))
                value = edge + inward * width * _NUDGE if is_open else edge
            elif mode == "uniform":
                value = r.lower + width * sp.Rational(rng.randrange(1, 10_000), 10_000)
            else:
                distance = width * _log_uniform(rng, 1)
                if mode == "small" and r.lower < 0 < r.upper:
                    side = r.upper if rng.random() < 0.5 else r.lower
                    value = side * _log_uniform(rng, 1)
                elif mode == "near-upper" or (mode == "small" and r.upper <= 0):
                    value = r.upper - distance
                else:
                    value = r.lower + distance
                value = min(max(value, r.lower + width * _NUDGE), r.upper - width * _NUDGE)
            if not (r.nonzero and value == 0):
                return value
            mode = "uniform"
        return r.lower + width / 3

    @staticmethod
    def _draw_function(rng: random.Random, fn: Any, arity: int) -> Any:
        """A random smooth instance of an undefined function, respecting its declared sign."""
        args = sp.symbols(f"a0:{arity}", real=True)

        def coeff() -> Any:
            return sp.Rational(rng.randint(-20, 20), 8)

        linear = sum((coeff() * a for a in args), coeff())
        body = linear + coeff() * sp.sin(sum((coeff() * a for a in args), coeff())) / 2
        body += coeff() * sum((coeff() * a for a in args), sp.Integer(0)) ** 2 / 4
        if fn.is_positive or fn.is_nonnegative:
            body = sp.exp(body / 4)
        elif fn.is_negative or fn.is_nonpositive:
            body = -sp.exp(body / 4)
        return sp.Lambda(args, body)

    # -- evaluation ------------------------------------------------------------------------

    def value(
        self, expr: Any, cand: _Candidate, dps: int, *, fixed: Mapping[Any, Any] | None = None, careful: bool = False
    ) -> tuple:
        """The entries of ``expr`` at ``cand`` (and ``fixed`` overrides) with ``dps`` digits.

        ``careful`` integrates over finer subdivisions (log-spaced breakpoints on infinite
        ranges), so that a sharp peak away from the origin cannot be missed unnoticed; it is
        used to confirm differences and for limits.
        """
        key = (expr, cand.index, dps, careful, tuple(sorted(fixed.items(), key=str)) if fixed else None)
        if key in self._cache:
            result = self._cache[key]
            if isinstance(result, _NoValueError):
                raise result
            return result
        try:
            prepared = self._prepare(expr, cand)
            with mpmath.workdps(dps):
                env = {s: mpmath.mpf(v.p) / v.q for s, v in cand.values.items()}
                if fixed:
                    env.update(fixed)
                entries = list(prepared) if isinstance(prepared, sp.MatrixBase) else [prepared]
                self._careful = careful
                result = tuple(self._finite(self._eval(e, env)) for e in entries)
        except _NoValueError as exc:
            self._cache[key] = exc
            raise
        except (
            ArithmeticError,
            ValueError,
            TypeError,
            NameError,
            AttributeError,
            RecursionError,
            OverflowError,
        ) as exc:
            err = _NoValueError(f"{type(exc).__name__}: {exc}")
            self._cache[key] = err
            raise err from None
        self._cache[key] = result
        return result

    def _prepare(self, expr: Any, cand: _Candidate) -> Any:
        key = ("prepared", expr, cand.index if self.arities else None)
        if key in self._cache:
            return self._cache[key]
        out = expr
        if self.arities:
            for (fn, arity), body in cand.functions.items():
                out = out.replace(
                    lambda e, fn=fn, arity=arity: isinstance(e, fn) and len(e.args) == arity,
                    lambda e, body=body: body(*e.args),
                )
            out = out.doit(deep=True) if out.has(sp.Derivative, sp.Subs) else out
        exact = (SeriesCoeff, sp.Derivative, sp.Subs, sp.Determinant, sp.Trace)
        if out.has(*exact):
            out = out.replace(lambda e: isinstance(e, exact), lambda e: e.doit())
        if isinstance(out, sp.MatrixExpr) and not isinstance(out, sp.MatrixBase):
            out = out.doit()
        if out.has(sp.Limit) or out.has(AppliedUndef):
            raise _NoValueError("the expression contains an unevaluated limit or an undefined function")
        self._cache[key] = out
        return out

    @staticmethod
    def _finite(value: Any) -> Any:
        value = mpmath.mpmathify(value)
        if isinstance(value, mpmath.mpc):
            ok = mpmath.isfinite(value.real) and mpmath.isfinite(value.imag)
        else:
            ok = mpmath.isfinite(value)
        if not ok:
            raise _NoValueError("the value is infinite or undefined (nan)")
        return value

    def _eval(self, expr: Any, env: Mapping[Any, Any]) -> Any:
        plan = self._plans.get(expr)
        if plan is None:
            nodes = self._outermost(expr)
            placeholders = [self._placeholders.setdefault(node, sp.Dummy("I")) for node in nodes]
            body = expr.xreplace(dict(zip(nodes, placeholders, strict=True))) if nodes else expr
            args = tuple(sorted(body.free_symbols, key=sp.default_sort_key))
            plan = (tuple(zip(nodes, placeholders, strict=True)), args, sp.lambdify(args, body, modules=_MODULES))
            self._plans[expr] = plan
        nodes, args, fn = plan
        if nodes:
            env = dict(env)
            for node, placeholder in nodes:
                env[placeholder] = self._node(node, env)
        try:
            values = [env[a] for a in args]
        except KeyError as exc:
            raise _NoValueError(f"no value for {exc.args[0]}") from None
        return mpmath.mpmathify(fn(*values))

    @staticmethod
    def _outermost(expr: Any) -> list[Any]:
        found: list[Any] = []

        def walk(e: Any) -> None:
            if isinstance(e, (sp.Integral, sp.Sum)):
                found.append(e)
                return
            for arg in e.args:
                walk(arg)

        walk(expr)
        return list(dict.fromkeys(found))

    def _node(self, node: Any, env: Mapping[Any, Any]) -> Any:
        limits = list(node.limits)
        if any(len(lim) != 3 for lim in limits):
            raise _NoValueError("an indefinite integral or sum has no value")
        return self._nested(node, node.function, limits, env)

    def _nested(self, node: Any, body: Any, limits: list[Any], env: Mapping[Any, Any]) -> Any:
        if not limits:
            return self._eval(body, env)
        *inner, (var, lo, hi) = limits
        lo_v, hi_v = self._eval(lo, env), self._eval(hi, env)
        if isinstance(lo_v, mpmath.mpc) or isinstance(hi_v, mpmath.mpc):
            raise _NoValueError("complex limits")

        def at(x: Any) -> Any:
            return self._nested(node, body, inner, {**env, var: x})

        if isinstance(node, sp.Sum):
            if mpmath.isinf(lo_v) or mpmath.isinf(hi_v):
                return mpmath.nsum(at, [lo_v, hi_v])
            if hi_v - lo_v > 100_000:
                raise _NoValueError("a finite sum too long to add up")
            return mpmath.fsum(at(mpmath.mpf(k)) for k in range(int(lo_v), int(hi_v) + 1))
        nodes = self._breakpoints(lo_v, hi_v)
        dps = mpmath.mp.dps
        bound = mpmath.mpf(10) ** (8 - dps)  # the working precision less 8 guard digits
        # tanh-sinh loses about half the digits at an endpoint singularity like 1/sqrt(v):
        # if the first attempt falls short, integrate once more with twice the precision
        for extra in (0, dps):
            with mpmath.workdps(dps + extra):
                value, error = mpmath.quad(at, nodes, error=True)
                if error <= bound * abs(value):
                    return +value
                # a small value may be the cancellation of a large integrand: judge the
                # error against the integral of |f| instead
                size, size_error = mpmath.quad(lambda x: abs(at(x)), nodes, error=True)
                if error <= bound * size and size_error <= mpmath.mpf("1e-3") * size:
                    return +value
        raise _NoValueError(
            f"mpmath.quad could not reach {dps - 8} digits (error estimate {mpmath.nstr(error, 3)} "
            f"for the value {mpmath.nstr(value, 5)})"
        )

    def _breakpoints(self, lo: Any, hi: Any) -> list[Any]:
        if lo == hi:
            return [lo, hi]
        if not self._careful:
            return [lo, 0, hi] if mpmath.isinf(lo) and mpmath.isinf(hi) else [lo, hi]
        offsets = [mpmath.mpf(4) ** j / 16 for j in range(6)]  # 1/16 ... 64
        if not mpmath.isinf(lo) and not mpmath.isinf(hi):
            return [lo + (hi - lo) * k / 8 for k in range(9)]
        if mpmath.isinf(lo) and mpmath.isinf(hi):
            inner = [-o for o in reversed(offsets)] + [mpmath.mpf(0)] + offsets
            return [lo, *inner, hi] if lo < hi else [lo, *reversed(inner), hi]
        if mpmath.isinf(hi):
            return [lo, *(lo + o for o in offsets), hi] if hi > 0 else [lo, *(lo - o for o in offsets), hi]
        return (
            [lo, *(hi - o for o in reversed(offsets)), hi] if lo < 0 else [lo, *(hi + o for o in reversed(offsets)), hi]
        )

    # -- comparisons -----------------------------------------------------------------------

    def agree(self, left: tuple, right: tuple, digits: int | None = None) -> bool:
        """Whether the entries agree to ``digits`` significant digits (absolutely, next to an exact 0)."""
        if len(left) != len(right):
            return False
        tol = mpmath.mpf(10) ** (-(digits or self.digits))
        for lv, rv in zip(left, right, strict=True):
            diff = abs(lv - rv)
            if lv == 0 or rv == 0:
                if diff > tol:
                    return False
            elif diff > tol * max(abs(lv), abs(rv)):
                return False
        return True


# --------------------------------------------------------------------------------------------
# Checking steps
# --------------------------------------------------------------------------------------------


class _StepChecker:
    def __init__(
        self, derivation: Derivation, *, seed: int, digits: int, points: int, time_limit: float | None
    ) -> None:
        assert derivation._compiled is not None
        self.derivation = derivation
        self.compiled = derivation._compiled
        self.digits = digits
        self.points = points
        self.time_limit = time_limit
        self.numeric = _Numeric(self.compiled, seed=seed, key=derivation.name, digits=digits)

    def check(self, prev: Any, cstep: _CompiledStep) -> _Decision:
        new = cstep.expr
        if _undefined(prev) or _undefined(new):
            return _Decision(StepStatus.UNDECIDED, "none", "an expression is undefined (nan or zoo)")
        budget = _Budget(self.time_limit)
        relation = cstep.step.relation
        if relation != "=" and (isinstance(prev, sp.MatrixBase) or isinstance(new, sp.MatrixBase)):
            return _Decision(
                StepStatus.UNDECIDED, "none", f"a {relation!r} step needs scalar expressions, not matrices"
            )
        if relation == "=":
            return self._equal(prev, new, cstep, budget)
        if relation in _LIMIT_RELATIONS:
            return self._limit(prev, new, cstep, budget)
        return self._inequality(prev, new, relation, budget)

    # -- equality --------------------------------------------------------------------------

    def _equal(self, prev: Any, new: Any, cstep: _CompiledStep, budget: _Budget) -> _Decision:
        decision = self._equal_decision(prev, new, cstep, budget)
        if cstep.substitution is None or decision.status not in (StepStatus.PROVED, StepStatus.NUMERIC):
            return decision
        if "substitution" in decision.method or "substitution" in decision.detail:
            return decision
        # a budget of its own: deciding the step may have spent the step's
        reason = self._substitution_mismatch(prev, new, cstep.substitution, _Budget(self.time_limit))
        if reason is None:
            return decision
        return _Decision(
            StepStatus.UNDECIDED,
            decision.method,
            f"the two sides are equal ({decision.method}), but not by the step's stated justification "
            f"'with {cstep.step.substitution}': {reason}; correct the substitution or remove it",
        )

    def _substitution_mismatch(self, prev: Any, new: Any, substitution: tuple[Any, Any], budget: _Budget) -> str | None:
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
        params = {s: val for s, val in self.numeric.candidate(0).values.items() if s not in (t, v)}

        def num(expr: Any) -> Any:
            value = sp.N(sp.sympify(expr).subs(params), 30)
            if not value.is_number or value.has(sp.nan, sp.zoo):
                raise ValueError("not a number")
            return complex(value) if not value.is_infinite else value

        def same(x: Any, y: Any) -> bool:
            if sp.sympify(x).is_infinite or sp.sympify(y).is_infinite:
                return sp.sympify(x) == sp.sympify(y)
            return abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))

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

    def _equal_decision(self, prev: Any, new: Any, cstep: _CompiledStep, budget: _Budget) -> _Decision:
        if _shape(prev) != _shape(new):
            return _Decision(
                StepStatus.REFUTED,
                "shape",
                f"one side is {_shape(prev)}, the other {_shape(new)}",
                {"lhs": _shape(prev), "rhs": _shape(new)},
            )
        decision = _exact_equal(prev, new, cstep.substitution, budget, thorough=False)
        heavy = any(e.has(sp.Integral, sp.Sum, sp.Product) for e in (prev, new))
        if decision is None and heavy:
            # SymPy may spend long on integrals it cannot do: one cheap numerical probe first,
            # so that a false step is refuted without waiting for it
            probe = self._numeric_equal(prev, new, 1, _CROSS_DIGITS)
            if probe.status is StepStatus.REFUTED:
                return probe
        if decision is None:
            decision = _exact_equal(prev, new, cstep.substitution, budget, thorough=True)
        if decision is None:
            return self._numeric_equal(prev, new, self.points)
        if "doit" in decision.method and heavy:
            # SymPy's integration and summation have known wrong answers: cross-check them
            conflict = _conflict(decision, self._numeric_equal(prev, new, min(2, self.points), _CROSS_DIGITS))
            if conflict is not None:
                return conflict
        if decision.status is StepStatus.REFUTED:  # refuted exactly: add a point where the sides differ
            point = self._point_of_difference(prev, new)
            extra = dict(decision.counterexample or {})
            return dataclasses.replace(decision, counterexample={**point, **extra})
        return decision

    def _symbols_of(self, *exprs: Any) -> set[Any]:
        out: set[Any] = set()
        for e in exprs:
            out |= {s for s in e.free_symbols if s in self.compiled.ranges}
        return out

    def _point_of_difference(self, prev: Any, new: Any) -> dict[str, str]:
        num = self.numeric
        for i in range(3 * self.points):
            cand = num.candidate(i)
            try:
                left = num.value(prev, cand, num.work_dps)
                right = num.value(new, cand, num.work_dps)
            except _NoValueError:
                continue
            return {**cand.describe(self._symbols_of(prev, new)), "lhs": _show(left), "rhs": _show(right)}
        return {}

    def _numeric_equal(self, prev: Any, new: Any, points: int, digits: int | None = None) -> _Decision:
        """Compare both sides at ``points`` random points to ``digits`` significant digits."""
        num = self.numeric
        digits = digits or self.digits
        work = digits + 10
        good, reasons, used = 0, [], []
        symbols = self._symbols_of(prev, new)
        for i in range(3 * points):
            cand = num.candidate(i)
            try:
                left = num.value(prev, cand, work)
                right = num.value(new, cand, work)
            except _NoValueError as exc:
                reasons.append(str(exc))
                continue
            if num.agree(left, right, digits):
                hidden = self._hidden_difference(prev, new, cand, digits)
                if hidden is not None:
                    return hidden
                good += 1
                used.append(cand)
                if good == points or (not symbols and not num.arities):
                    break
                continue
            confirmed = self._confirm_difference(prev, new, cand, left, right, digits)
            if confirmed is not None:
                return confirmed
            reasons.append("a difference that did not persist at higher precision")
        needed = points if (symbols or num.arities) else 1
        method = f"mpmath {digits} digits at {good} point{'s' if good != 1 else ''}"
        if good >= needed:
            return _Decision(
                StepStatus.NUMERIC,
                method,
                f"SymPy could not decide; both sides agree to {digits} significant digits at "
                f"{good} random point{'s' if good != 1 else ''} of the domain"
                + (f" (sampled {_sampled_range(used, symbols)}, edges included)" if symbols else ""),
            )
        why = f" ({reasons[0]})" if reasons else ""
        return _Decision(
            StepStatus.UNDECIDED,
            method,
            f"SymPy could not decide, and only {good} of {needed} random points could be evaluated{why}",
        )

    def _hidden_difference(self, prev: Any, new: Any, cand: _Candidate, digits: int) -> _Decision | None:
        """A difference too small for ``digits`` digits, found at twice the precision and confirmed 20 digits higher.

        Two sides that agree to 30 digits may still differ by a term of relative size 10⁻³⁵ at that point
        (an extra ``e^{-x²}`` far out): at ``2·(digits + 10)`` working digits a true identity agrees to
        ``2·digits``, while a real difference stays the same when the precision is raised again.  Skipped for
        integrals and sums, whose quadrature error would swamp it.
        """
        if any(e.has(sp.Integral, sp.Sum, sp.Product) for e in (prev, new)):
            return None
        num = self.numeric
        high = 2 * (digits + 10)
        try:
            left1, right1 = num.value(prev, cand, high), num.value(new, cand, high)
            if num.agree(left1, right1, 2 * digits):
                return None
            left2, right2 = num.value(prev, cand, high + 20), num.value(new, cand, high + 20)
        except _NoValueError:
            return None
        worst = mpmath.mpf(0)
        for a1, b1, a2, b2 in zip(left1, right1, left2, right2, strict=True):
            d1, d2 = abs(a1 - b1), abs(a2 - b2)
            if d1 and abs(d1 - d2) > mpmath.mpf("0.01") * d1:
                return None  # it moved with the precision: rounding noise, not a term
            worst = max(worst, d2 / max(abs(a2), abs(b2), mpmath.mpf(10) ** -(high + 20)))
        if worst == 0:
            return None
        symbols = self._symbols_of(prev, new)
        ce = {**cand.describe(symbols), "lhs": _show(left2), "rhs": _show(right2),
              "relative_difference": mpmath.nstr(worst, 3)}
        where = ", ".join(f"{k} = {v}" for k, v in cand.describe(symbols).items()) or "(no variables)"
        return _Decision(
            StepStatus.REFUTED,
            f"mpmath {2 * digits} digits (raised from {digits}; confirmed at {high + 20})",
            f"the two sides agree to {digits} digits at {where} but differ there by a relative "
            f"{mpmath.nstr(worst, 3)}, the same at {high} and {high + 20} working digits: a term too small "
            f"to show at {digits} digits",
            ce,
        )

    def _confirm_difference(
        self, prev: Any, new: Any, cand: _Candidate, left: tuple, right: tuple, digits: int
    ) -> _Decision | None:
        """Recompute with 15 more working digits and a finer quadrature; the difference must persist."""
        num = self.numeric
        confirm = digits + 25
        try:
            left2 = num.value(prev, cand, confirm, careful=True)
            right2 = num.value(new, cand, confirm, careful=True)
        except _NoValueError:
            return None
        if num.agree(left2, right2, digits):
            return None
        for a1, b1, a2, b2 in zip(left, right, left2, right2, strict=True):
            d1, d2 = abs(a1 - b1), abs(a2 - b2)
            if d1 and abs(d1 - d2) > mpmath.mpf("0.01") * d1:
                return None  # unstable: the difference is numerical noise
        symbols = self._symbols_of(prev, new)
        ce = {**cand.describe(symbols), "lhs": _show(left2), "rhs": _show(right2)}
        where = ", ".join(f"{k} = {v}" for k, v in cand.describe(symbols).items()) or "(no variables)"
        return _Decision(
            StepStatus.REFUTED,
            f"mpmath {digits} digits (confirmed at {confirm})",
            f"the two sides differ at {where}: lhs = {ce['lhs']}, rhs = {ce['rhs']}",
            ce,
        )

    # -- inequalities ----------------------------------------------------------------------

    def _inequality(self, prev: Any, new: Any, relation: str, budget: _Budget) -> _Decision:
        strict = relation in ("<", ">")
        diff = new - prev if relation in ("<", "<=") else prev - new
        decision = _exact_inequality(diff, strict, budget)
        if decision is not None:
            if decision.status is StepStatus.REFUTED:
                point = self._point_of_difference(prev, new)
                return dataclasses.replace(decision, counterexample={**point, **dict(decision.counterexample or {})})
            return decision
        return self._numeric_inequality(prev, new, relation)

    def _gap(
        self, prev: Any, new: Any, relation: str, cand: _Candidate, dps: int, fixed: Any = None, careful: bool = False
    ) -> tuple[Any, Any, Any]:
        """(d, lhs, rhs) with d ≥ 0 exactly where the inequality holds (d > 0 for a strict one)."""
        num = self.numeric
        left = _one(num.value(prev, cand, dps, fixed=fixed, careful=careful))
        right = _one(num.value(new, cand, dps, fixed=fixed, careful=careful))
        scale = max(abs(left), abs(right), mpmath.mpf(10) ** (-self.digits))
        for v in (left, right):
            if isinstance(v, mpmath.mpc) and abs(v.imag) > mpmath.mpf(10) ** (-self.digits) * scale:
                raise _NoValueError("an inequality between non-real values")
        left, right = mpmath.re(left), mpmath.re(right)
        d = right - left if relation in ("<", "<=") else left - right
        return d / scale, left, right

    def _numeric_inequality(self, prev: Any, new: Any, relation: str) -> _Decision:
        num = self.numeric
        tol = mpmath.mpf(10) ** (-self.digits)
        good, worst, reasons = 0, None, []
        symbols = self._symbols_of(prev, new)
        for i in range(3 * self.points):
            cand = num.candidate(i)
            try:
                d, _left, _right = self._gap(prev, new, relation, cand, num.work_dps)
            except _NoValueError as exc:
                reasons.append(str(exc))
                continue
            if d < -tol:
                refuted = self._confirm_violation(prev, new, relation, cand, None)
                if refuted is not None:
                    return refuted
                continue
            good += 1
            if worst is None or d < worst[0]:
                worst = (d, cand)
            if good == self.points or (not symbols and not num.arities):
                break
        needed = self.points if (symbols or num.arities) else 1
        if good < needed or worst is None:
            why = f" ({reasons[0]})" if reasons else ""
            return _Decision(
                StepStatus.UNDECIDED,
                f"mpmath {self.digits} digits",
                f"SymPy could not decide, and only {good} of {needed} random points could be evaluated{why}",
            )
        found = self._search(prev, new, relation, worst[1], symbols)
        if found is not None:
            return found
        boxed = self._interval_search(prev, new, relation, symbols)
        if boxed is not None:
            return boxed
        return _Decision(
            StepStatus.NUMERIC,
            f"mpmath {self.digits} digits at {good} points + local search",
            f"SymPy could not decide; the inequality holds at {good} random points and a local search "
            "from the tightest of them found no violation",
        )

    def _confirm_violation(self, prev: Any, new: Any, relation: str, cand: _Candidate, fixed: Any) -> _Decision | None:
        num = self.numeric
        tol = mpmath.mpf(10) ** (-self.digits)
        try:
            d1, _, _ = self._gap(prev, new, relation, cand, num.work_dps, fixed)
            d2, left, right = self._gap(prev, new, relation, cand, num.confirm_dps, fixed, careful=True)
        except _NoValueError:
            return None
        if not (d1 < -tol and d2 < -tol) or abs(d1 - d2) > mpmath.mpf("0.01") * abs(d1):
            return None
        point = cand.describe(self._symbols_of(prev, new))
        if fixed:
            point.update({str(s): mpmath.nstr(v, 20) for s, v in fixed.items()})
        ce = {**point, "lhs": _show(left), "rhs": _show(right)}
        where = ", ".join(f"{k} = {v}" for k, v in point.items()) or "(no variables)"
        return _Decision(
            StepStatus.REFUTED,
            f"mpmath {self.digits} digits (confirmed at {num.confirm_dps})",
            f"the inequality fails at {where}: lhs = {ce['lhs']}, rhs = {ce['rhs']}",
            ce,
        )

    def _interval_search(self, prev: Any, new: Any, relation: str, symbols: set[Any]) -> _Decision | None:
        """Branch and bound with interval arithmetic (``mpmath.iv``) over the declared box of one or two variables.

        The gap ``d`` (``≥ 0`` where the inequality holds) is enclosed on a box; a box whose enclosure is
        ``≥ 0`` (``> 0`` for a strict inequality) holds everywhere; otherwise the gap is evaluated at its
        centre (a violation there is confirmed at higher precision and refutes the step) and the box is
        split along its widest side.  Boxes are taken widest first, at most :data:`_BOXES` of them.  A narrow
        interval of violation, which random points and a local search from the tightest of them miss, is
        found this way.  Returns a refutation, a certificate (every box holds), or None (budget spent, or an
        expression interval arithmetic cannot evaluate).
        """
        free = sorted(symbols, key=str)
        ranges = self.compiled.ranges
        if (not free or len(free) > 2 or self.numeric.arities or any(ranges[v].integer for v in free)
                or any(e.has(sp.Integral, sp.Sum, sp.Product) for e in (prev, new))):
            return None
        diff = new - prev if relation in ("<", "<=") else prev - new
        strict = relation in ("<", ">")
        try:
            hyperbolic_as_exp = diff.rewrite([sp.tanh, sp.sinh, sp.cosh], sp.exp)
            enclose = sp.lambdify(free, hyperbolic_as_exp, modules=[_IV_FUNCTIONS])
        except Exception:  # noqa: BLE001 - SymPy's printer rejects what it cannot print: no interval check
            return None
        tol = mpmath.mpf(10) ** (-self.digits)
        cand = self.numeric.candidate(0)
        box0 = tuple((mpmath.mpf(ranges[v].lower.p) / ranges[v].lower.q,
                      mpmath.mpf(ranges[v].upper.p) / ranges[v].upper.q) for v in free)
        heap: list[tuple[Any, int, tuple]] = [(-max(b - a for a, b in box0), 0, box0)]
        counter = 0
        while heap:
            if counter >= _BOXES:
                return None
            _, _, box = heapq.heappop(heap)
            counter += 1
            saved = mpmath.iv.prec
            try:
                mpmath.iv.dps = self.digits
                value = enclose(*(mpmath.iv.mpf([a, b]) for a, b in box))
                low = mpmath.mpf(value.a) if hasattr(value, "a") else mpmath.mpf(value)
            except Exception:  # noqa: BLE001 - a function mpmath.iv lacks, or an enclosure through a pole
                return None
            finally:
                mpmath.iv.prec = saved
            if low > 0 or (low >= 0 and not strict):
                continue
            centre = {v: (a + b) / 2 for v, (a, b) in zip(free, box, strict=True)}
            try:
                d, _, _ = self._gap(prev, new, relation, cand, self.numeric.work_dps, centre)
            except _NoValueError:
                d = None
            if d is not None and d < -tol:
                found = self._confirm_violation(prev, new, relation, cand, centre)
                if found is not None:
                    return dataclasses.replace(found, method=f"{found.method}; found by interval bisection")
            widest = max(range(len(free)), key=lambda i: box[i][1] - box[i][0])
            a, b = box[widest]
            if b - a <= (box0[widest][1] - box0[widest][0]) * mpmath.mpf(10) ** -12:
                return None  # a box that will not resolve (a touching point, a sharp enclosure): give up
            for half in ((a, (a + b) / 2), ((a + b) / 2, b)):
                child = tuple(half if i == widest else box[i] for i in range(len(free)))
                heapq.heappush(heap, (-max(hi - lo for lo, hi in child), counter + len(heap), child))
        where = ", ".join(f"{v} ∈ [{mpmath.nstr(a, 10)}, {mpmath.nstr(b, 10)}]" for v, (a, b) in zip(free, box0,
                                                                                                   strict=True))
        return _Decision(
            StepStatus.NUMERIC,
            f"interval arithmetic (mpmath.iv, {self.digits} digits), {counter} boxes",
            f"SymPy could not decide; interval arithmetic encloses the gap and shows it "
            f"{'positive' if strict else 'nonnegative'} on every one of {counter} boxes covering {where}",
        )

    def _search(self, prev: Any, new: Any, relation: str, cand: _Candidate, symbols: set[Any]) -> _Decision | None:
        """A compass search minimising the gap from the tightest sample, looking for a violation."""
        free = sorted((s for s in symbols if not self.compiled.ranges[s].integer), key=str)
        if not free:
            return None
        dps = 20
        heavy = prev.has(sp.Integral, sp.Sum) or new.has(sp.Integral, sp.Sum)
        budget = 40 if heavy else 300
        ranges = self.compiled.ranges
        with mpmath.workdps(dps):
            x = {s: mpmath.mpf(cand.values[s].p) / cand.values[s].q for s in free}
            lo = {s: mpmath.mpf(ranges[s].lower.p) / ranges[s].lower.q for s in free}
            hi = {s: mpmath.mpf(ranges[s].upper.p) / ranges[s].upper.q for s in free}
            step = {s: (hi[s] - lo[s]) / 8 for s in free}

            def gap(point: Mapping[Any, Any]) -> Any:
                try:
                    return self._gap(prev, new, relation, cand, dps, dict(point))[0]
                except _NoValueError:
                    return None

            best = gap(x)
            if best is None:
                return None
            evals = 1
            while evals < budget and any(step[s] > (hi[s] - lo[s]) * mpmath.mpf(10) ** -12 for s in free):
                improved = False
                for s in free:
                    for sign in (1, -1):
                        trial = dict(x)
                        margin = (hi[s] - lo[s]) * mpmath.mpf(10) ** -9
                        trial[s] = min(max(x[s] + sign * step[s], lo[s] + margin), hi[s] - margin)
                        value = gap(trial)
                        evals += 1
                        if value is not None and value < best:
                            x, best, improved = trial, value, True
                            if best < -(mpmath.mpf(10) ** -15):
                                break
                    if improved and best < -(mpmath.mpf(10) ** -15):
                        break
                if best < -(mpmath.mpf(10) ** -15):
                    found = self._confirm_violation(prev, new, relation, cand, x)
                    if found is not None:
                        return found
                if not improved:
                    for s in free:
                        step[s] /= 2
        return None

    # -- limits ----------------------------------------------------------------------------

    def _limit(self, prev: Any, new: Any, cstep: _CompiledStep, budget: _Budget) -> _Decision:
        var, point, direction = cstep.var, cstep.point, cstep.direction
        relation = cstep.step.relation
        expr = prev if relation == "->" else prev / new
        target = new if relation == "->" else sp.Integer(1)
        what = "the previous expression" if relation == "->" else "the ratio of the two sides"
        if relation == "~" and prev.is_positive and new.is_positive:
            # ln a - ln b -> 0 iff a/b -> 1; SymPy's asymptotics of loggamma make this much faster
            log_ratio = budget.attempt(_log_ratio, prev, new)
            value = None if log_ratio is None else budget.attempt(sp.limit, log_ratio, var, point, direction)
            if value is not None and not value.has(sp.Limit, sp.AccumBounds, sp.nan, sp.zoo):
                if value == 0:
                    decision = _Decision(
                        StepStatus.PROVED,
                        "sympy.limit (of the log-ratio)",
                        f"ln(lhs) - ln(rhs) tends to 0 as {var} -> {point}, so the ratio tends to 1",
                    )
                    return self._cross_limit(decision, expr, target, var, point, direction, what)
                if _nonzero_constant(value) or value.is_infinite:
                    decision = _Decision(
                        StepStatus.REFUTED,
                        "sympy.limit (of the log-ratio)",
                        f"ln(lhs) - ln(rhs) tends to {value}, so the ratio tends to exp({value}), not 1",
                        {str(var): str(point), "limit": sp.sstr(sp.exp(value)), "claimed": "1"},
                    )
                    return self._cross_limit(decision, expr, target, var, point, direction, what)
        value = budget.attempt(sp.limit, expr, var, point, direction)
        if value is not None and not value.has(sp.Limit, sp.AccumBounds, sp.nan, sp.zoo):
            method, last = _simplify_zero(value - target, budget)
            if method:
                decision = _Decision(StepStatus.PROVED, "sympy.limit", f"{what} tends to {value} as {var} -> {point}")
                return self._cross_limit(decision, expr, target, var, point, direction, what)
            if _nonzero_constant(last) or (value.is_infinite and target.is_finite):
                decision = _Decision(
                    StepStatus.REFUTED,
                    "sympy.limit",
                    f"{what} tends to {value}, not {target}, as {var} -> {point}",
                    {str(var): str(point), "limit": sp.sstr(value), "claimed": sp.sstr(target)},
                )
                return self._cross_limit(decision, expr, target, var, point, direction, what)
        return self._numeric_limit(expr, target, var, point, direction, what, self.points)

    def _cross_limit(
        self, decision: _Decision, expr: Any, target: Any, var: Any, point: Any, direction: str, what: str
    ) -> _Decision:
        """SymPy's limits have known wrong answers: compare with a (cheap) extrapolation."""
        if expr.has(sp.Integral, sp.Sum, sp.Product):
            return decision
        return _conflict(decision, self._numeric_limit(expr, target, var, point, direction, what, 1)) or decision

    def _numeric_limit(
        self, expr: Any, target: Any, var: Any, point: Any, direction: str, what: str, points: int
    ) -> _Decision:
        num = self.numeric
        symbols = self._symbols_of(expr, target) - {var}
        samples = points if symbols or num.arities else 1
        digits = max(self.digits // 3, 6)
        tol = mpmath.mpf(10) ** (-digits)
        good, reasons = 0, []
        method = "Richardson extrapolation with mpmath"
        for i in range(3 * samples):
            cand = num.interior_candidate(i)
            try:
                goal = _one(num.value(target, cand, num.work_dps))
                estimates = self._extrapolate(expr, var, point, direction, cand)
            except _NoValueError as exc:
                reasons.append(str(exc))
                continue
            scale = max(abs(goal), 1)
            if all(err <= tol * scale and abs(est - goal) <= tol * scale for est, err in estimates):
                good += 1
                if good == samples:
                    break
                continue
            est, err = max(estimates, key=lambda pair: abs(pair[0] - goal))
            gap = abs(est - goal)
            if gap > 1000 * tol * scale and gap > 100 * err:
                point_desc = cand.describe(symbols)
                ce = {**point_desc, str(var): str(point), "limit": _show(est), "claimed": _show(goal)}
                return _Decision(
                    StepStatus.REFUTED,
                    method,
                    f"{what} tends to about {_show(est)} (±{mpmath.nstr(err, 2)}), not {_show(goal)}, "
                    f"as {var} -> {point}",
                    ce,
                )
            reasons.append(f"the extrapolated limit {mpmath.nstr(est, 15)} (±{mpmath.nstr(err, 2)}) is not decisive")
        if good >= samples:
            return _Decision(
                StepStatus.NUMERIC,
                f"{method}, {digits} digits at {good} point{'s' if good != 1 else ''}",
                f"SymPy could not decide; extrapolating {what} as {var} -> {point} agrees with the claim "
                f"to {digits} digits",
            )
        why = f" ({reasons[0]})" if reasons else ""
        return _Decision(StepStatus.UNDECIDED, method, f"SymPy could not decide the limit{why}")

    def _extrapolate(self, expr: Any, var: Any, point: Any, direction: str, cand: _Candidate) -> list[tuple[Any, Any]]:
        """Richardson extrapolation of ``expr`` towards ``point``: (estimate, error estimate) per side.

        The expression is evaluated at ``x = x0·2^k`` (or ``point ± h0/2^k``) and assumed to
        have an expansion in integer powers of ``1/x`` (or of the distance to the point).
        """
        num = self.numeric
        heavy = expr.has(sp.Integral, sp.Sum)
        count, ratio = (8, mpmath.mpf(3) / 2) if heavy else (13, mpmath.mpf(2))
        lower = self.compiled.ranges[var].lower if var in self.compiled.ranges else sp.Integer(1)
        results = []
        with mpmath.workdps(num.work_dps):
            if point.is_infinite:
                sign = 1 if point == sp.oo else -1
                x0 = max(mpmath.mpf(2), mpmath.mpf(abs(lower.p)) / lower.q) if sign > 0 else mpmath.mpf(2)
                sides = [[sign * x0 * ratio**k for k in range(count)]]
            else:
                p = mpmath.mpmathify(str(sp.N(point, num.work_dps + 5)))
                h0 = mpmath.mpf(1) / 8
                signs = (1, -1) if direction == "+-" else ((1,) if direction == "+" else (-1,))
                sides = [[p + s * h0 / ratio**k for k in range(count)] for s in signs]
            for xs in sides:
                row = [_one(num.value(expr, cand, num.work_dps, fixed={var: x}, careful=heavy)) for x in xs]
                table = [row]
                for j in range(1, count):
                    prev_row = table[-1]
                    table.append(
                        [
                            prev_row[k] + (prev_row[k] - prev_row[k - 1]) / (ratio**j - 1)
                            for k in range(1, len(prev_row))
                        ]
                    )
                estimate = table[-1][0]
                error = abs(table[-1][0] - table[-2][-1])
                results.append((estimate, error))
        return results


def _shape(value: Any) -> str:
    if isinstance(value, sp.MatrixBase):
        return f"a {value.shape[0]}×{value.shape[1]} matrix"
    return "a scalar"


def _conflict(exact: _Decision, numeric: _Decision) -> _Decision | None:
    """An undecided verdict when SymPy and mpmath contradict each other, else None."""
    says_true = exact.status is StepStatus.PROVED
    if (says_true and numeric.status is StepStatus.REFUTED) or (
        not says_true and exact.status is StepStatus.REFUTED and numeric.status is StepStatus.NUMERIC
    ):
        verdict = "holds" if says_true else "fails"
        return _Decision(
            StepStatus.UNDECIDED,
            f"{exact.method} contradicted by {numeric.method}",
            f"SymPy ({exact.method}) says the step {verdict}, but mpmath disagrees: {numeric.detail}. "
            "One of them is wrong (SymPy has known bugs in integrals and limits); not decided",
            numeric.counterexample or exact.counterexample,
        )
    return None


def _one(value: tuple) -> Any:
    if len(value) != 1:
        raise _NoValueError("a matrix where a number was expected")
    return value[0]


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _text(expr: Any) -> str:
    """``sympy.sstr`` on one line (matrices print as tables otherwise)."""
    text = sp.sstr(expr)
    if "\n" not in text:
        return text
    return re.sub(r"\[\s+", "[", re.sub(r"\s+", " ", text))


def _limit_text(cstep: _CompiledStep) -> str | None:
    if cstep.var is None:
        return None
    suffix = "" if cstep.point.is_infinite or cstep.direction == "+-" else cstep.direction
    return f"{cstep.var} -> {sp.sstr(cstep.point)}{suffix}"


def check_derivation(
    derivation: Derivation,
    *,
    seed: int = 0,
    digits: int = 30,
    points: int = 8,
    time_limit: float | None = 10.0,
) -> DerivationResult:
    """Check every step of ``derivation`` and record how each one was decided.

    Parameters
    ----------
    seed:
        Seeds the random points (together with the derivation's name), so a check is reproducible.
    digits:
        Significant digits to which the two sides must agree at each random point; mpmath works
        with 10 guard digits, and confirms a difference again with 25.
    points:
        Random points of the declared domain for the numerical fallback.
    time_limit:
        Seconds of SymPy work allowed per step before falling back to numerics (enforced in the
        main thread only; ``None`` for no limit).

    Every step is checked, also after a failing one: each step relates two consecutive
    expressions and stands or falls on its own.
    """
    if not isinstance(derivation, Derivation):
        raise TypeError(f"check_derivation needs a Derivation, got {type(derivation).__name__}")
    if digits < 15:
        raise ValueError(f"digits must be at least 15, got {digits}")
    if points < 1:
        raise ValueError(f"points must be at least 1, got {points}")
    compiled = derivation._compiled
    assert compiled is not None
    checker = _StepChecker(derivation, seed=seed, digits=digits, points=points, time_limit=time_limit)
    prev = compiled.start
    results = []
    for index, cstep in enumerate(compiled.steps, 1):
        decision = checker.check(prev, cstep)
        step = cstep.step
        results.append(
            StepResult(
                index=index,
                relation=step.relation,
                lhs=_text(prev),
                rhs=_text(cstep.expr),
                lhs_latex=sp.latex(prev),
                rhs_latex=sp.latex(cstep.expr),
                justification=step.why,
                status=decision.status,
                method=decision.method,
                counterexample=decision.counterexample,
                detail=decision.detail,
                text=step.expr,
                line=step.line,
                limit=_limit_text(cstep),
            )
        )
        prev = cstep.expr
    return DerivationResult(
        name=derivation.name,
        title=derivation.title,
        start=_text(compiled.start),
        start_latex=sp.latex(compiled.start),
        start_text=derivation.start,
        steps=tuple(results),
        origin=derivation.origin,
        digits=digits,
        points=points,
        seed=seed,
    )
