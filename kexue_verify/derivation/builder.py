"""The :class:`Derivation` builder: ``Derivation.begin(...).eq(...).le(...)...``, compiled as it is built.

Each step method returns a new frozen derivation; building one parses every expression, declares the symbols
and undefined functions with their SymPy assumptions, reads the sampling bounds, and refuses what cannot be
checked soundly (a name taken twice, contradictory assumptions, bounds outside the declared sign, an
integration variable whose sign does not hold on its range, a limit point its variable cannot approach).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from kexue_verify.derivation.integrals import _range_consistent, _sign_props, _signs_consistent
from kexue_verify.derivation.model import _LIMIT_RELATIONS, _SLUG, Assumption, Definition, Step, _words
from kexue_verify.derivation.parsing import (
    _Compiled,
    _CompiledStep,
    _default_range,
    _namespace,
    _number,
    _parse,
    _Range,
)
from kexue_verify.errors import DerivationError


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
        var = symbols[step.var]  # type: ignore[index]  # a limit step always names its variable (checked above)
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
