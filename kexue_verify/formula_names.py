"""What a formula may name and how much it may ask for: the whitelist and the limits of :mod:`kexue_verify.formula`.

:data:`FUNCTIONS` (plain SymPy functions a formula may call), :data:`METHODS` (methods and, with
``_ATTRIBUTES``, attributes it may use on SymPy values), the keywords it may pass, the SymPy classes it
may not (``_DENIED``), :data:`LIMITS`, and :func:`namespace`, the names every formula may use.
Everything here is re-exported by :mod:`kexue_verify.formula`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import sympy as sp

__all__ = ["FUNCTIONS", "LIMITS", "METHODS", "namespace"]

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
