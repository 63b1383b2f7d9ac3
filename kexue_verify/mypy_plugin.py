"""A mypy plugin: a typed assertion's ``Formula`` fields take formula text, as they do at run time.

:class:`kexue_verify.Assertion` reads each string given for a ``Formula`` (or ``tuple[Formula, ...]``) field into a
:class:`~kexue_verify.Formula` when the assertion is built (``__post_init__``), so a claim writes
``StirlingFormula(prefactor="sqrt(2*pi*n)*(n/E)**n")`` and a check reads ``a.prefactor.expr``.  Dataclasses cannot
declare that conversion to a type checker, which would flag every claim; this plugin widens the parameters of the
generated ``__init__`` of every ``Assertion`` subclass from ``Formula`` to ``Formula | str`` (and tuples of them
alike), while the fields themselves stay ``Formula``.  Enable it with ``plugins = ["kexue_verify.mypy_plugin"]``
under ``[tool.mypy]``.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import TypeInfo
from mypy.plugin import FunctionSigContext, Plugin
from mypy.types import CallableType, Instance, ProperType, Type, UnionType, get_proper_type

ASSERTION = "kexue_verify.assertions.Assertion"
FORMULA = "kexue_verify.assertions.Formula"


def _widen(kind: Type, text: Instance) -> Type:
    """``Formula`` → ``Formula | str``, inside tuples and unions too; every other type unchanged."""
    proper: ProperType = get_proper_type(kind)
    if isinstance(proper, Instance) and proper.type.fullname == FORMULA:
        return UnionType([proper, text])
    if isinstance(proper, Instance) and proper.type.fullname == "builtins.tuple" and proper.args:
        return proper.copy_modified(args=[_widen(a, text) for a in proper.args])
    if isinstance(proper, UnionType):
        return UnionType([_widen(item, text) for item in proper.items])
    return kind


def _formula_text_accepted(ctx: FunctionSigContext) -> CallableType:
    text = ctx.api.named_generic_type("builtins.str", [])
    signature = ctx.default_signature
    return signature.copy_modified(arg_types=[_widen(a, text) for a in signature.arg_types])


class AssertionPlugin(Plugin):
    """Widens the constructor of every subclass of :class:`kexue_verify.Assertion`."""

    def get_function_signature_hook(self, fullname: str) -> Callable[[FunctionSigContext], CallableType] | None:
        symbol = self.lookup_fully_qualified(fullname)
        if symbol is not None and isinstance(symbol.node, TypeInfo) and symbol.node.has_base(ASSERTION):
            return _formula_text_accepted
        return None


def plugin(version: str) -> type[Plugin]:
    """The entry point mypy calls (``version`` is mypy's own)."""
    return AssertionPlugin
