r"""The SymPy side of the catalogue checks: formulas with indexed names expanded at a size, turned into torch
functions, and a difference decided by simplification or refuted at a concrete instance.

Formulas in the assertions use ``s[i]``-style indexed names summed with ``Sum(…, (i, 1, d))``; :func:`indexed`
reads them through the project's formula parser (:func:`kexue_verify.numeric.sympify`) with those names as indexed
bases, and expands them for a given size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp
import torch

from kexue_verify import Evidence, holds
from kexue_verify.numeric import plain_symbols, sympify

__all__ = ["I", "as_tensor", "indexed", "to_torch", "witness"]


I = sp.Symbol("i", integer=True)  # noqa: E741 - the summation index of the assertions


def indexed(text: str, sizes: dict[str, int], names: Sequence[str], real: Sequence[str] = (),
            plain: str = "") -> tuple[sp.Expr, dict]:
    """Parse ``text`` (with ``Sum(…, (i, 1, d))`` over ``name[i]``) at the given sizes and expand it.

    ``plain`` names further variables the text may use (``"h w"``), as plain symbols. Returns the expression
    in plain symbols ``name_k`` (positive unless listed in ``real``) and the map ``{name: [name_1, …]}``.
    """
    bases = {n: sp.IndexedBase(n) for n in names}
    size_syms = {k: sp.Integer(v) for k, v in sizes.items()}
    expr = sympify(text, {**plain_symbols(plain), **bases, **size_syms, "i": I}).doit()
    largest = max(sizes.values())
    symbols = {n: [sp.Symbol(f"{n}_{k}", real=True) if n in real else sp.Symbol(f"{n}_{k}", positive=True)
                   for k in range(1, largest + 1)] for n in names}
    mapping = {bases[n][k]: symbols[n][k - 1] for n in names for k in range(1, largest + 1)}
    return expr.xreplace(mapping), symbols


def as_tensor(v: Any) -> torch.Tensor:
    return v if isinstance(v, torch.Tensor) else torch.tensor(float(v), dtype=torch.float64)


_TORCH = {name: (lambda fn: lambda *a: fn(*(as_tensor(x) for x in a)))(getattr(torch, name))
          for name in ("log", "exp", "sqrt", "abs", "sigmoid", "tanh")}


def to_torch(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., torch.Tensor]:
    """``sympy.lambdify`` onto torch tensors (numbers lifted to float64 0-dim tensors)."""
    return sp.lambdify(list(symbols), expr, modules=[_TORCH, "math"])


def witness(diff: sp.Expr, subs: dict, name: str) -> Evidence:
    """Pass if ``diff`` simplifies to 0; else evaluate it at concrete functions/values as a counterexample.

    ``expand_log`` is applied without ``force``, so logs of products split only where the symbols' assumptions
    (positive scales) allow it.
    """
    simplified = sp.simplify(sp.expand_log(diff))
    if simplified == 0:
        return holds(name, True, method="sympy.simplify", expected="0")
    value = sp.N(simplified.subs(subs).doit(), 15)
    return holds(name, False, method="sympy.simplify, then a concrete instance", expected="0",
                 counterexample={"difference": str(simplified)[:200], "at": {str(k): str(v) for k, v in subs.items()},
                                 "value": str(value)})
