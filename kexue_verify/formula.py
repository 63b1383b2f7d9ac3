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
import contextlib
import difflib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import sympy as sp

from kexue_verify.errors import FormulaError

__all__ = ["FUNCTIONS", "LIMITS", "METHODS", "RELATIONS", "namespace", "parse_formula", "parse_relation"]

#: Plain SymPy functions (not classes) a formula may call.
FUNCTIONS = (
    "sqrt", "root", "cbrt", "real_root", "diff", "integrate", "limit", "series", "summation", "product", "expand",
    "factor", "cancel", "together", "apart", "simplify", "trigsimp", "powsimp", "expand_log", "eye", "zeros", "ones",
    "diag", "det", "trace", "transpose", "kronecker_product", "hessian",
)

#: Methods a formula may call on a SymPy value (``h.jacobian(X)``, ``G.inv()``), and attributes it may read.
METHODS = frozenset({
    "jacobian", "dot", "cross", "norm", "inv", "det", "transpose", "trace", "conjugate", "adjoint", "doit", "diff",
    "expand", "simplify", "factor", "removeO", "subs",
})
_ATTRIBUTES = frozenset({"T", "H"})
_KEYWORDS = frozenset({"evaluate", "n", "x0"})

#: SymPy classes that would let a formula invent names instead of using declared ones.
_DENIED = frozenset({"Symbol", "Dummy", "Wild", "WildFunction", "Function", "IndexedBase", "Idx", "Indexed"})

#: The bounds on what one formula may ask for.
LIMITS: Mapping[str, float] = {
    "length": 10_000,  # characters of text
    "nodes": 5_000,  # syntax-tree nodes
    "depth": 200,  # nesting of the syntax tree (a sum of n terms is n levels deep)
    "literal_digits": 1_000,  # digits of one integer literal
    "power_bits": 100_000,  # bits of an exact power such as 2**100000
    "eager_integer": 10_000,  # largest integer argument of factorial, binomial, gamma, prime, ...
    "dimension": 100,  # largest size given to eye, zeros, ones, Matrix(rows, cols, ...)
    "float_digits": 1_000,  # precision asked of Float(value, digits)
    "seconds": 10.0,  # default wall-clock limit of one parse
}

#: Modules whose functions evaluate an integer argument eagerly (factorial(10**9) would compute it).
_EAGER_MODULES = (
    "sympy.functions.combinatorial",
    "sympy.ntheory",
    "sympy.functions.special.gamma_functions",
    "sympy.functions.special.zeta_functions",
)
_MATRIX_BUILDERS = ("eye", "zeros", "ones")

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


@lru_cache(maxsize=1)
def namespace() -> Mapping[str, Any]:
    """The names every formula may use: SymPy's mathematical classes and constants and :data:`FUNCTIONS`.

    Classes that create new names (``Symbol``, ``Function``, ``IndexedBase`` …) are left out: a
    formula uses the symbols its caller declares.
    """
    from sympy.matrices import MatrixBase

    ns: dict[str, Any] = {}
    for name in sp.__all__:
        if name in _DENIED or name.startswith("_"):
            continue
        obj = getattr(sp, name, None)
        if (isinstance(obj, type) and issubclass(obj, (sp.Basic, MatrixBase))) or isinstance(obj, sp.Basic):
            ns[name] = obj
    for name in FUNCTIONS:
        ns[name] = getattr(sp, name)
    return ns


@lru_cache(maxsize=1)
def _eager() -> frozenset[Any]:
    ns = namespace()
    found = {obj for obj in ns.values() if getattr(obj, "__module__", "").startswith(_EAGER_MODULES)}
    return frozenset(found)


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


class _OutOfTime(BaseException):
    """Raised by the alarm; not an Exception, so that SymPy's ``except Exception`` cannot swallow it."""


class _Clock:
    """The parse's deadline: checked between syntax nodes (any thread) and enforced by ``SIGALRM`` inside SymPy
    (main thread); ``expired`` stays set even where SymPy swallowed the alarm's exception (in a ``__del__``)."""

    def __init__(self, seconds: float | None, text: str) -> None:
        self.seconds, self.text = seconds, text
        self.end = None if seconds is None else time.monotonic() + seconds
        self.expired = False

    def check(self) -> None:
        if self.expired or (self.end is not None and time.monotonic() > self.end):
            self.expired = True
            raise _OutOfTime

    def error(self) -> FormulaError:
        short = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return FormulaError(f"parsing {short!r} took longer than {self.seconds:g} s; simplify the formula")


@contextlib.contextmanager
def _deadline(seconds: float | None, text: str) -> Iterator[_Clock]:
    clock = _Clock(seconds, text)
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
    previous = None

    def expire(signum: int, frame: Any) -> None:
        if _swallows_exceptions(frame):  # a gc callback or __del__: raising there is lost; try again in 5 ms
            signal.setitimer(signal.ITIMER_REAL, 0.005)
            return
        clock.expired = True
        raise _OutOfTime

    if usable:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 1e-3))  # type: ignore[arg-type]
    try:
        yield clock
        if clock.expired:  # the alarm went off where its exception was swallowed: the result is still too late
            raise _OutOfTime
    except _OutOfTime:
        raise clock.error() from None
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _swallows_exceptions(frame: Any) -> bool:
    """Whether ``frame`` runs where Python discards exceptions: a finalizer or a garbage-collector callback."""
    import gc

    if frame is None:
        return True
    code = frame.f_code
    return code.co_name == "__del__" or any(getattr(cb, "__code__", None) is code for cb in gc.callbacks)


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
