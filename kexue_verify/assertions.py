"""Typed assertions: what a claim asserts, as a small frozen dataclass with formula fields.

An assertion class lists its fields with their types and the symbols its formulas use::

    @dataclass(frozen=True, kw_only=True)
    class Ratio(Assertion):
        SYMBOLS = symbols(n={"positive": True})
        prefactor: Formula
        limit: Formula = Formula("1")

    Claim(..., assertion=Ratio(prefactor="sqrt(2*pi*n)*(n/E)**n"),
          false_variants=(variant("sqrt-2pi-over-n", r"\\sqrt{2\\pi/n}", prefactor="sqrt(2*pi/n)*(n/E)**n"),))

A field annotated :class:`Formula` (or ``tuple[Formula, ...]``) accepts a string, which is read when
the assertion is built — that is, when the plugin is loaded — so a syntax error, a stray ``^`` or a
formula too large to parse fails there with :class:`~kexue_verify.errors.ClaimDefinitionError`
naming the field.  The syntax check needs only :mod:`ast`, so listing claims imports no SymPy; the
SymPy object (:attr:`Formula.expr`) is built by :func:`kexue_verify.formula.parse_formula` — the one
restricted parser, the same one ``prove`` uses — with the assertion class's :attr:`Assertion.SYMBOLS`,
once, the first time a check asks for it (:meth:`Assertion.parse` builds them all).

A false variant is written as the fields it changes (:func:`variant`); :class:`~kexue_verify.Claim`
applies the changes with :func:`dataclasses.replace` at load, and an unknown field, a field of the
wrong type, or a variant that equals its claim (formulas compared by syntax tree, so ``1/(12*n)``
equals ``1 / (12*n)``) is a :class:`~kexue_verify.errors.ClaimDefinitionError`.
"""

from __future__ import annotations

import ast
import dataclasses
import typing
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from kexue_verify.errors import ClaimDefinitionError, FormulaError

__all__ = ["Assertion", "Formula", "symbols", "variant"]

#: The most characters of a formula that are read (the restricted parser's own limit).
_MAX_LENGTH = 10_000


class Formula(str):
    """A formula in the restricted formula language: a string that has been read once, syntax first.

    It is a :class:`str` (its text, as written — so evidence quoting it is unchanged) whose syntax was
    checked when it was made.  :attr:`expr` is the SymPy object, built on first use with the symbols
    of the assertion that holds the formula (:meth:`bind`).
    """

    _symbols: Mapping[str, Mapping[str, bool]]
    _expr: Any
    _dump: str | None  # the syntax tree, dumped (:meth:`same_as`); made when first asked for

    def __new__(cls, text: str, symbols: Mapping[str, Mapping[str, bool]] | None = None) -> Formula:
        if not isinstance(text, str):
            raise FormulaError(f"a formula is a string, got {type(text).__name__}: {text!r}")
        self = super().__new__(cls, text)
        stripped = text.strip()
        if not stripped:
            raise FormulaError("the formula is empty")
        if len(stripped) > _MAX_LENGTH:
            raise FormulaError(f"the formula is {len(stripped)} characters long; at most {_MAX_LENGTH:,} are read")
        try:
            tree = ast.parse(stripped, mode="eval")
        except SyntaxError as exc:
            where = f" at column {exc.offset}" if exc.offset else ""
            raise FormulaError(f"cannot read {text!r}{where}: {exc.msg}") from None
        except (MemoryError, RecursionError, ValueError) as exc:
            raise FormulaError(f"cannot read {text!r}: {type(exc).__name__}") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
                raise FormulaError(f"{text!r}: '^' is not a power here; write '**'")
            if isinstance(node, ast.Name) and node.id.startswith("_"):
                raise FormulaError(f"{text!r}: names starting with '_' are not allowed: {node.id!r}")
        self._dump = None
        self._symbols = {name: dict(a) for name, a in (symbols or {}).items()}
        self._expr = None
        return self

    def bind(self, symbols: Mapping[str, Mapping[str, bool]]) -> Formula:
        """This formula with ``symbols`` (name → SymPy assumptions) as the names it may use (its syntax, already
        checked, is not read again)."""
        wanted = {name: dict(a) for name, a in symbols.items()}
        if wanted == self._symbols:
            return self
        bound = str.__new__(Formula, str(self))
        bound._dump, bound._symbols, bound._expr = self._dump, wanted, None
        return bound

    @property
    def _tree(self) -> str:
        if self._dump is None:
            self._dump = ast.dump(ast.parse(str(self).strip(), mode="eval"))
        return self._dump

    def same_as(self, other: object) -> bool:
        """Whether ``other`` writes the same formula: equal syntax trees (spacing and redundant brackets aside)."""
        if isinstance(other, Formula):
            return self._tree == other._tree
        if isinstance(other, str):
            try:
                return self._tree == Formula(other)._tree
            except FormulaError:
                return False
        return False

    @property
    def symbols(self) -> dict[str, Any]:
        """The SymPy symbols this formula may use: one :class:`sympy.Symbol` per declared name."""
        import sympy as sp

        return {name: sp.Symbol(name, **dict(assumptions)) for name, assumptions in self._symbols.items()}

    @property
    def expr(self) -> Any:
        """The SymPy object the formula writes, from :func:`kexue_verify.formula.parse_formula` (built once)."""
        if self._expr is None:
            from kexue_verify.formula import parse_formula

            self._expr = parse_formula(str(self), self.symbols)
        return self._expr

    def __reduce__(self) -> tuple[Any, ...]:
        return (Formula, (str(self), self._symbols))


def symbols(**names: Mapping[str, bool]) -> Mapping[str, Mapping[str, bool]]:
    """An assertion class's symbol table: each name with its SymPy assumptions, read-only.

    >>> dict(symbols(x={"positive": True}, k={"integer": True}))
    {'x': mappingproxy({'positive': True}), 'k': mappingproxy({'integer': True})}
    """
    return MappingProxyType({name: MappingProxyType(dict(assumptions)) for name, assumptions in names.items()})


def _field_kind(hint: Any) -> str:
    """``"formula"``, ``"formulas"`` (a tuple of formulas), ``"assertion"``, ``"assertions"`` or ``"plain"``."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Formula:
        return "formula"
    if isinstance(hint, type) and issubclass(hint, Assertion):
        return "assertion"
    if origin is tuple and args:
        inner = args[0]
        if inner is Formula:
            return "formulas"
        if isinstance(inner, type) and issubclass(inner, Assertion):
            return "assertions"
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        kinds = {_field_kind(a) for a in args if a is not type(None)}
        if len(kinds) == 1:
            return kinds.pop()
    return "plain"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Assertion:
    """Base class of typed assertions: frozen, keyword-only, formula fields read at construction.

    Subclasses are ``@dataclass(frozen=True, kw_only=True)`` and may set :attr:`SYMBOLS`, the names
    their formulas use with their SymPy assumptions (``{"x": {"positive": True}}``); SymPy's own
    constants and functions (``pi``, ``E``, ``oo``, ``gamma``, ``sqrt`` …) need no declaration.
    """

    SYMBOLS: ClassVar[Mapping[str, Mapping[str, bool]]] = MappingProxyType({})

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            kind = _field_kind(hints.get(f.name))
            value = getattr(self, f.name)
            try:
                converted = self._convert(kind, value)
            except FormulaError as exc:
                raise ClaimDefinitionError(f"{type(self).__name__}.{f.name}: {exc}") from None
            if converted is not value:
                object.__setattr__(self, f.name, converted)

    def _convert(self, kind: str, value: Any) -> Any:
        if value is None:
            return value
        if kind == "formula":
            return Formula(value).bind(self.SYMBOLS) if isinstance(value, str) else _not_text(value)
        if kind == "formulas":
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                raise FormulaError(f"expected a tuple of formulas, got {value!r}")
            return tuple(Formula(v).bind(self.SYMBOLS) if isinstance(v, str) else _not_text(v) for v in value)
        if kind == "assertions":
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, Assertion) for v in value):
                raise FormulaError(f"expected a tuple of assertions, got {value!r}")
            return tuple(value)
        if kind == "plain" and isinstance(value, list):
            return tuple(value)
        return value

    def formulas(self) -> Iterator[tuple[str, Formula]]:
        """Every formula of the assertion, nested ones included, as ``(path, formula)``."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            items = value if isinstance(value, tuple) else (value,)
            for i, item in enumerate(items):
                path = f.name if not isinstance(value, tuple) else f"{f.name}[{i}]"
                if isinstance(item, Formula):
                    yield path, item
                elif isinstance(item, Assertion):
                    for sub, formula in item.formulas():
                        yield f"{path}.{sub}", formula

    def parse(self) -> None:
        """Build every formula's SymPy object now; a formula the parser refuses is a ``ClaimDefinitionError``."""
        for path, formula in self.formulas():
            try:
                formula.expr  # noqa: B018 - built and cached
            except FormulaError as exc:
                raise ClaimDefinitionError(f"{type(self).__name__}.{path}: {exc}") from None

    def same_as(self, other: object) -> bool:
        """Equal as statements: the same class, formulas with equal syntax trees, other fields equal."""
        if type(other) is not type(self):
            return False
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self))

    def changed(self, **changes: Any) -> Assertion:
        """A copy with ``changes`` applied; an unknown field is a :class:`ClaimDefinitionError`."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ClaimDefinitionError(
                f"{type(self).__name__} has no field {', '.join(repr(u) for u in unknown)} "
                f"(its fields: {', '.join(sorted(known))})")
        return dataclasses.replace(self, **changes)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Formula) or isinstance(b, Formula):
        return isinstance(a, str) and isinstance(b, str) and Formula(a).same_as(b)
    if isinstance(a, Assertion):
        return a.same_as(b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _not_text(value: Any) -> Any:
    raise FormulaError(f"a formula is a string, got {type(value).__name__}: {value!r}")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field types of an assertion class (each class's annotations read in its own module)."""
    if cls not in _HINTS:
        try:
            _HINTS[cls] = typing.get_type_hints(cls, localns={"Formula": Formula, "Assertion": Assertion})
        except NameError as exc:
            raise ClaimDefinitionError(f"{cls.__name__}: cannot read the type of a field ({exc}); import the names "
                                       "its annotations use in its module") from None
    return _HINTS[cls]


def variant(name: str, description: str, *, model: Any = None, **changes: Any) -> Any:
    """A false variant written as the assertion fields it changes (``prefactor="sqrt(2*pi/n)*(n/E)**n"``).

    The claim it is given to applies the changes to its own assertion when it is built; see the module doc.
    """
    from kexue_verify.claims import FalseVariant

    return FalseVariant(name=name, description=description, changes=changes or None, model=model)
