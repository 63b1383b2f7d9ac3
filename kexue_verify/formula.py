"""Formula strings to SymPy objects, without evaluating any of the text.

Every formula a proof document or a plugin supplies (``x**(x + 1)*Integral(exp(-t), (t, 0, oo))``)
goes through :func:`parse_formula`. It parses the text with :func:`ast.parse` and walks the syntax
tree against a whitelist, building the SymPy objects itself:

* numbers become :class:`sympy.Integer` / :class:`sympy.Float` (from the literal's own digits) and
  ``2j`` becomes ``2*I``; strings, bytes, f-strings, ``None`` and ``...`` are refused;
* names are the ``symbols`` the caller declares, then SymPy's mathematical classes and constants
  (:func:`namespace`); anything else, and every name starting with ``_``, is refused;
* operators are ``+ - * / ** % // @`` and unary ``-`` ``+``; calls are to those classes, to a few
  plain SymPy functions (``sqrt``, ``diff``, ``integrate`` …), to declared functions and to
  :class:`sympy.Lambda` values; ``.T``, ``.H`` and a short list of methods (``jacobian``, ``dot``,
  ``inv`` …) may be used on SymPy values, ``[i]`` / ``[i, j]`` on matrices, tuples and indexed bases;
* no other syntax (lambdas, comprehensions, comparisons, keywords other than ``evaluate``, ``n``
  and ``x0``, attribute access outside the list) is accepted.

Nothing is ever passed to ``eval``, ``sympify`` or ``parse_expr``: the tree never reaches Python's
compiler, so no text can run code, whatever the Python version's tokenizer does with string
prefixes. Work is bounded: the text length, the tree's size and depth, integer literals, exact
powers (``9**9**9`` is refused before it is computed), the integers given to SymPy's eagerly
evaluated combinatorial functions and to matrix constructors, and the whole parse runs under a
wall-clock limit (``SIGALRM``, in the main thread of a POSIX process).

>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> parse_formula("sqrt(2*pi*x)*(x/E)**x", {"x": x})
sqrt(2)*sqrt(pi)*sqrt(x)*(x*exp(-1))**x
>>> parse_formula("__import__('os')")
Traceback (most recent call last):
    ...
kexue_verify.errors.FormulaError: names starting with '_' are not allowed: '__import__'
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import sympy as sp

from kexue_verify.errors import FormulaError

# Every name this module held before the parser was split into it and formula_names, formula_deadline and
# formula_builder stays importable from here; those this module does not use are marked as re-exports.
from kexue_verify.formula_builder import (
    _OPERATOR_HINTS,  # noqa: F401
    _OPERATORS,  # noqa: F401
    _Builder,
    _builds_matrix,  # noqa: F401
    _callable,  # noqa: F401
    _check_call,  # noqa: F401
    _count,  # noqa: F401
    _describe,  # noqa: F401
    _exact_number,  # noqa: F401
    _integer_arguments,  # noqa: F401
    _integer_index,  # noqa: F401
    _power,  # noqa: F401
    _public,  # noqa: F401
    _short,  # noqa: F401
    _sympy,  # noqa: F401
)
from kexue_verify.formula_deadline import (
    _Clock,  # noqa: F401
    _deadline,
    _OutOfTime,  # noqa: F401
    _swallows_exceptions,  # noqa: F401
)
from kexue_verify.formula_names import (
    _ATTRIBUTES,  # noqa: F401
    _DENIED,  # noqa: F401
    _EAGER_MODULES,  # noqa: F401
    _KEYWORDS,  # noqa: F401
    _MATRIX_BUILDERS,  # noqa: F401
    FUNCTIONS,
    LIMITS,
    METHODS,
    _eager,  # noqa: F401
    namespace,
)

__all__ = ["FUNCTIONS", "LIMITS", "METHODS", "RELATIONS", "namespace", "parse_formula", "parse_relation"]


def parse_formula(
    text: str,
    symbols: Mapping[str, Any] | None = None,
    *,
    time_limit: float | None = LIMITS["seconds"],
) -> Any:
    """Build the SymPy object that ``text`` writes, from its syntax tree and never by evaluating it.

    Parameters
    ----------
    text:
        A formula in SymPy's (Python's) syntax, e.g. ``"Integral(exp(-t)*t**x, (t, 0, oo))"``.
    symbols:
        The names the formula may use besides :func:`namespace`: symbols, undefined functions,
        indexed bases, :class:`sympy.Lambda` values or earlier results. They take precedence.
    time_limit:
        Seconds the parse may take (SymPy evaluates some constructors eagerly); ``None`` for no
        limit. Enforced in the main thread only, where no other alarm is set.

    Returns a :class:`sympy.Basic` (an expression, a boolean, a :class:`sympy.Tuple`) or an
    immutable matrix. Raises :class:`~kexue_verify.errors.FormulaError`, whose message says what
    is not allowed and how to write it, for anything else.
    """
    text, known = _prepared(text, symbols)
    with _deadline(time_limit, text) as clock:
        tree = _syntax_tree(text)
        _check_size(tree, text)
        value = _Builder(text, known, clock).build(tree.body)
    return _result(value, text)


#: The comparisons :func:`parse_relation` reads, as SymPy's relational operators.
RELATIONS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "=="}


def parse_relation(
    text: str,
    symbols: Mapping[str, Any] | None = None,
    *,
    time_limit: float | None = LIMITS["seconds"],
) -> Any:
    """A relation ``lhs OP rhs`` (OP one of ``< <= > >= ==``, or ``Eq(lhs, rhs)``), kept unevaluated.

    Each side is read by the rules of :func:`parse_formula`, under the same limits; a chain such as
    ``a < b < c`` is refused. Returns a :class:`sympy.core.relational.Relational` built with
    ``evaluate=False``, so ``1 <= 2`` stays a relation to decide rather than becoming ``True``.

    >>> parse_relation("spec <= fro", {"spec": sp.Symbol("spec"), "fro": sp.Symbol("fro")})
    spec <= fro
    """
    text, known = _prepared(text, symbols)
    with _deadline(time_limit, text) as clock:
        tree = _syntax_tree(text)
        _check_size(tree, text)
        body = tree.body
        if isinstance(body, ast.Compare) and len(body.ops) == 1 and type(body.ops[0]) in RELATIONS:
            sides, op = (body.left, body.comparators[0]), RELATIONS[type(body.ops[0])]
        elif (isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "Eq"
              and len(body.args) == 2 and not body.keywords):
            sides, op = (body.args[0], body.args[1]), "=="
        else:
            raise FormulaError(f"{text!r} is not a relation: write one comparison, lhs <= rhs "
                               "(or <, >, >=, ==, Eq(lhs, rhs))")
        builder = _Builder(text, known, clock)
        lhs, rhs = (_result(builder.build(side), text) for side in sides)
    return sp.Rel(lhs, rhs, op, evaluate=False)


def _prepared(text: Any, symbols: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The stripped text and the declared names, once both are checked against the limits."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is a string, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise FormulaError("the formula is empty")
    if len(text) > LIMITS["length"]:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {LIMITS['length']:,} are read")
    if "\x00" in text:
        raise FormulaError("the formula contains a NUL character")
    known = dict(symbols or {})
    for name in known:
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise FormulaError(f"{name!r} cannot be declared as a name in a formula")
    return text, known


def _syntax_tree(text: str) -> ast.Expression:
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise FormulaError(f"cannot read {text!r}{where}: {exc.msg}") from None
    except (MemoryError, RecursionError, ValueError) as exc:
        raise FormulaError(f"cannot read {text!r}: it is nested too deeply ({type(exc).__name__})") from None


def _check_size(tree: ast.AST, text: str) -> None:
    count = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > LIMITS["nodes"]:
            raise FormulaError(f"the formula has more than {LIMITS['nodes']:,} parts; split it with 'let' definitions")
        if depth > LIMITS["depth"]:
            raise FormulaError(f"the formula is nested more than {LIMITS['depth']} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _result(value: Any, text: str) -> Any:
    from sympy.matrices import MatrixBase

    if isinstance(value, MatrixBase):
        return sp.ImmutableMatrix(value)
    if isinstance(value, tuple):
        return sp.Tuple(*value)
    if isinstance(value, bool):
        return sp.true if value else sp.false
    if isinstance(value, sp.Basic):
        return value
    raise FormulaError(f"{text!r} is not a mathematical value (it is a {type(value).__name__})")
