"""The syntax-tree walk of :mod:`kexue_verify.formula`: :class:`_Builder` builds the SymPy objects a whitelisted
tree describes, node type by node type, and refuses anything else; the helpers below it bound the work of
calls and exact powers before SymPy computes them (:data:`~kexue_verify.formula_names.LIMITS`).
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import sympy as sp

from kexue_verify.errors import FormulaError
from kexue_verify.formula_deadline import _Clock, _OutOfTime
from kexue_verify.formula_names import (
    _ATTRIBUTES,
    _KEYWORDS,
    _MATRIX_BUILDERS,
    FUNCTIONS,
    LIMITS,
    METHODS,
    _eager,
    namespace,
)

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.MatMult: lambda a, b: a @ b,
    ast.Div: lambda a, b: a / b,
    ast.Mod: lambda a, b: sp.Mod(a, b),
    ast.FloorDiv: lambda a, b: sp.floor(a / b),
}
_OPERATOR_HINTS = {
    ast.BitXor: "'^' is not a power here; write '**'",
    ast.BitAnd: "'&' is not allowed in a formula",
    ast.BitOr: "'|' is not allowed in a formula",
    ast.LShift: "'<<' is not allowed in a formula",
    ast.RShift: "'>>' is not allowed in a formula",
}


class _Builder:
    """Walks a syntax tree, node type by node type, and builds the SymPy objects it describes."""

    def __init__(self, text: str, known: Mapping[str, Any], clock: _Clock) -> None:
        self.text = text
        self.known = known
        self.clock = clock

    def build(self, node: ast.AST) -> Any:
        self.clock.check()
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise FormulaError(f"{_describe(node)} is not allowed in a formula: {self._source(node)!r}")
        try:
            return method(node)
        except (FormulaError, _OutOfTime):
            raise
        except RecursionError:
            raise FormulaError(f"{self._source(node)!r} is nested too deeply") from None
        except Exception as exc:  # noqa: BLE001 - SymPy constructors raise any type for bad arguments
            raise FormulaError(f"cannot build {self._source(node)!r}: {type(exc).__name__}: {exc}") from None

    def _source(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node) or self.text
        return segment if len(segment) <= 80 else segment[:77] + "..."

    # -- leaves ---------------------------------------------------------------------------

    def _Constant(self, node: ast.Constant) -> Any:  # noqa: N802 - named after the ast node
        value = node.value
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if value.bit_length() > LIMITS["literal_digits"] * math.log2(10):
                raise FormulaError(f"an integer literal may have at most {LIMITS['literal_digits']} digits")
            return sp.Integer(value)
        if isinstance(value, float):
            return sp.Float(self._digits(node), precision=None) if self._digits(node) else sp.Float(value)
        if isinstance(value, complex):
            return sp.I * sp.Float(value.imag) if value.imag % 1 else sp.I * sp.Integer(int(value.imag))
        if isinstance(value, (str, bytes)):
            raise FormulaError(f"string literals are not allowed in a formula: {self._source(node)}")
        raise FormulaError(f"{value!r} is not a number")

    def _digits(self, node: ast.Constant) -> str:
        segment = (ast.get_source_segment(self.text, node) or "").replace("_", "")
        return segment if segment and all(c in "0123456789.eE+-" for c in segment) else ""

    def _Name(self, node: ast.Name) -> Any:  # noqa: N802
        name = node.id
        _public(name)
        if name in self.known:
            return self.known[name]
        ns = namespace()
        if name in ns:
            return ns[name]
        close = difflib.get_close_matches(name, [*self.known, *ns], n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise FormulaError(f"unknown name {name!r} (declare it with 'assume', 'function' or 'let'){hint}")

    # -- containers -----------------------------------------------------------------------

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:  # noqa: N802
        return tuple(self.build(e) for e in node.elts)

    def _List(self, node: ast.List) -> list[Any]:  # noqa: N802
        return [self.build(e) for e in node.elts]

    # -- operators ------------------------------------------------------------------------

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:  # noqa: N802
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise FormulaError(f"{_describe(node.op)} is not allowed in a formula: {self._source(node)!r}")

    def _BinOp(self, node: ast.BinOp) -> Any:  # noqa: N802
        if type(node.op) in _OPERATOR_HINTS:
            raise FormulaError(f"{_OPERATOR_HINTS[type(node.op)]}: {self._source(node)!r}")
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        return _OPERATORS[type(node.op)](_sympy(left), _sympy(right))

    # -- calls, attributes, subscripts ----------------------------------------------------

    def _Call(self, node: ast.Call) -> Any:  # noqa: N802
        if isinstance(node.func, ast.Attribute):
            fn = self._method(node.func)
        else:
            fn = self.build(node.func)
            if not _callable(fn):
                raise FormulaError(f"{self._source(node.func)!r} is not a function: {self._source(node)!r}")
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise FormulaError(f"'*' unpacking is not allowed in a formula: {self._source(node)!r}")
            args.append(self.build(arg))
        kwargs = {}
        for kw in node.keywords:
            if kw.arg not in _KEYWORDS:
                allowed = ", ".join(sorted(_KEYWORDS))
                where = self._source(node)
                raise FormulaError(f"keyword {kw.arg or '**'!r} is not allowed (only {allowed}): {where!r}")
            kwargs[kw.arg] = self.build(kw.value)
        _check_call(fn, args, kwargs)
        return fn(*args, **kwargs)

    def _method(self, node: ast.Attribute) -> Any:
        _public(node.attr)
        if node.attr not in METHODS:
            raise FormulaError(f"the method {node.attr!r} is not allowed; allowed: {', '.join(sorted(METHODS))}")
        return getattr(self._sympy_value(node.value), node.attr)

    def _Attribute(self, node: ast.Attribute) -> Any:  # noqa: N802
        _public(node.attr)
        if node.attr not in _ATTRIBUTES:
            what = "a method, call it" if node.attr in METHODS else "not allowed"
            raise FormulaError(f"the attribute {node.attr!r} is {what}: {self._source(node)!r}")
        return getattr(self._sympy_value(node.value), node.attr)

    def _sympy_value(self, node: ast.AST) -> Any:
        from sympy.matrices import MatrixBase

        value = self.build(node)
        if not isinstance(value, (sp.Basic, MatrixBase)):
            raise FormulaError(f"{self._source(node)!r} is not a SymPy value, so it has no methods")
        return value

    def _Subscript(self, node: ast.Subscript) -> Any:  # noqa: N802
        from sympy.matrices import MatrixBase

        value = self.build(node.value)
        index = node.slice
        if isinstance(index, ast.Slice) or (isinstance(index, ast.Tuple) and any(
            isinstance(e, ast.Slice) for e in index.elts
        )):
            raise FormulaError(f"slices are not allowed in a formula: {self._source(node)!r}")
        key = self.build(index)
        if isinstance(value, sp.IndexedBase):
            return value[key]
        if isinstance(value, (MatrixBase, sp.Tuple, tuple, list)):
            return value[_integer_index(key, self._source(node))]
        raise FormulaError(f"only matrices, tuples and indexed bases can be indexed: {self._source(node)!r}")


def _public(name: str) -> None:
    if name.startswith("_"):
        raise FormulaError(f"names starting with '_' are not allowed: {name!r}")


def _integer_index(key: Any, where: str) -> Any:
    keys = key if isinstance(key, tuple) else (key,)
    out = []
    for k in keys:
        if isinstance(k, sp.Integer):
            out.append(int(k))
        else:
            raise FormulaError(f"an index must be an integer: {where!r}")
    return tuple(out) if isinstance(key, tuple) else out[0]


def _describe(node: ast.AST) -> str:
    names = {
        "JoinedStr": "an f-string",
        "FormattedValue": "an f-string",
        "Lambda": "a Python lambda",
        "Compare": "a comparison",
        "BoolOp": "'and'/'or'",
        "IfExp": "'if ... else'",
        "ListComp": "a comprehension",
        "GeneratorExp": "a generator",
        "SetComp": "a comprehension",
        "DictComp": "a comprehension",
        "Dict": "a dict",
        "Set": "a set",
        "NamedExpr": "':='",
        "Starred": "'*' unpacking",
        "Not": "'not'",
        "Invert": "'~'",
        "Await": "'await'",
        "Yield": "'yield'",
    }
    return names.get(type(node).__name__, f"Python syntax ({type(node).__name__})")


def _callable(fn: Any) -> bool:
    from sympy.matrices import MatrixBase

    if isinstance(fn, type):
        return issubclass(fn, (sp.Basic, MatrixBase))
    if isinstance(fn, sp.Lambda):
        return True
    return any(fn is namespace()[name] for name in FUNCTIONS)


def _sympy(value: Any) -> Any:
    if isinstance(value, bool):
        return sp.true if value else sp.false
    if isinstance(value, (list, tuple)):
        raise FormulaError("a list or tuple cannot be used in arithmetic; wrap it in Matrix(...)")
    return value


def _integer_arguments(args: list[Any], kwargs: Mapping[str, Any]) -> Iterator[int]:
    for value in [*args, *kwargs.values()]:
        if isinstance(value, sp.Integer):
            yield abs(int(value))


def _check_call(fn: Any, args: list[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse calls that SymPy would evaluate into an enormous object before any time limit could help."""
    ns = namespace()
    name = getattr(fn, "__name__", type(fn).__name__)
    if fn is sp.Pow and len(args) >= 2:
        _power(args[0], args[1], check_only=True)
    elif fn in (ns["root"], ns["real_root"]) and len(args) >= 2 and args[1] != 0:
        _power(args[0], 1 / _sympy(args[1]), check_only=True)
    elif fn is sp.Float:
        if len(args) >= 2 and isinstance(args[1], sp.Integer) and abs(int(args[1])) > LIMITS["float_digits"]:
            raise FormulaError(f"Float precision is limited to {LIMITS['float_digits']} digits")
    elif fn in _eager() and any(n > LIMITS["eager_integer"] for n in _integer_arguments(args, kwargs)):
        raise FormulaError(
            f"{name} of an integer above {LIMITS['eager_integer']:,} would be evaluated in full; "
            "keep the arguments symbolic"
        )
    elif _builds_matrix(fn, ns) and any(n > LIMITS["dimension"] for n in _integer_arguments(args, kwargs)):
        raise FormulaError(f"a matrix in a formula has at most {LIMITS['dimension']} rows and columns")


def _builds_matrix(fn: Any, ns: Mapping[str, Any]) -> bool:
    from sympy.matrices import MatrixBase

    return (isinstance(fn, type) and issubclass(fn, MatrixBase)) or any(fn is ns[n] for n in _MATRIX_BUILDERS)


def _power(base: Any, exponent: Any, *, check_only: bool = False) -> Any:
    """``base**exponent``, refused when it is a number SymPy would compute exactly and it is enormous."""
    base, exponent = _sympy(base), _sympy(exponent)
    if _exact_number(base) and isinstance(exponent, sp.Basic) and exponent.is_Rational:
        rationals = list(base.atoms(sp.Rational)) or [sp.Integer(2)]
        bits = max(max(math.log2(abs(int(r.p)) or 1), math.log2(int(r.q)), 1.0) for r in rationals)
        size = abs(exponent) * bits
        if size > LIMITS["power_bits"]:
            raise FormulaError(
                f"{_short(base)}**{_short(exponent)} would be an exact number of about {_count(size * 0.30103)} "
                f"digits; powers are limited to about {int(LIMITS['power_bits'] * 0.30103):,} digits"
            )
    if check_only:
        return None
    return base**exponent


def _exact_number(value: Any) -> bool:
    """A number SymPy keeps exact (so raises to a power in full): not a float, not 0 or ±1, not e or ±i."""
    if not isinstance(value, sp.Basic) or not value.is_number or value.has(sp.Float):
        return False
    return value not in (sp.S.Zero, sp.S.One, sp.S.NegativeOne, sp.E, sp.I, -sp.I)


def _count(value: Any) -> str:
    """``12,345`` for a count, ``1.2e+19728`` when it is too large to print in full."""
    value = sp.Float(value)
    return f"{int(value):,}" if value < 1e15 else sp.sstr(sp.N(value, 2))


def _short(value: Any) -> str:
    if isinstance(value, sp.Integer) and abs(int(value)).bit_length() > 100:
        return f"(an integer of about {int(abs(int(value)).bit_length() * 0.30103):,} digits)"
    text = str(value)
    return text if len(text) <= 30 else text[:27] + "..."
