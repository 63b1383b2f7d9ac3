"""Turning a SymPy expression into a function of torch tensors, so one formula string serves both checks.

>>> import torch
>>> f = torch_function("sqrt(2*pi*n)*log(n)", "n")
>>> bool(torch.allclose(f(torch.tensor([1.0, 2.0], dtype=torch.float64)),
...                     torch.tensor([0.0, 3.5449077018110318 * 0.6931471805599453], dtype=torch.float64)))
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["plain_symbols", "sympify", "torch_function"]

_TORCH_NAMES = ("log", "exp", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh", "atan", "asin", "acos",
                "lgamma", "erf", "expm1", "log1p", "abs", "sign", "sigmoid")


def sympify(text: Any, symbols: Mapping[str, Any] | None = None) -> Any:
    """Parse SymPy syntax with the given symbols (``E`` is Euler's number, ``pi`` is π).

    The text is read by :func:`kexue_verify.formula.parse_formula`, never evaluated; a name that is
    neither given in ``symbols`` nor one of SymPy's raises :class:`~kexue_verify.errors.FormulaError`.
    An assertion may also give a number (``2``, ``0.5``) or a SymPy value, which is returned as a
    SymPy value; any other type is refused. This is the one way plugins read a formula string.
    """
    import sympy as sp

    from kexue_verify.errors import FormulaError
    from kexue_verify.formula import parse_formula

    if isinstance(text, str):
        return parse_formula(text, symbols or {})
    if isinstance(text, bool) or not isinstance(text, (int, float, sp.Basic)):
        raise FormulaError(f"a formula is a string or a number, got {type(text).__name__}: {text!r}")
    return sp.sympify(text)  # a number or a SymPy value: nothing to read


def plain_symbols(*names: str) -> dict[str, Any]:
    """``{name: Symbol(name)}`` with no assumptions, for the names of a formula that :func:`sympify` reads.

    Each argument may hold several names separated by spaces: ``plain_symbols("h2 s t")``, ``plain_symbols(*values)``.
    """
    import sympy as sp

    return {name: sp.Symbol(name) for group in names for name in group.split()}


def _lift(fn: Callable[..., Any]) -> Callable[..., Any]:
    import torch

    def lifted(*args: Any) -> Any:
        return fn(*(a if isinstance(a, torch.Tensor) else torch.tensor(float(a), dtype=torch.float64) for a in args))

    return lifted


def torch_function(expr: Any, *names: str, positive: bool = True) -> Callable[..., Any]:
    """``sympy.lambdify`` onto torch: elementwise in tensors, numbers lifted to 0-dim tensors.

    ``expr`` is a SymPy expression or a string; ``names`` are its variables (positive by default).
    """
    import sympy as sp
    import torch

    symbols = {name: sp.Symbol(name, positive=positive) for name in names}
    if isinstance(expr, str):
        expr = sympify(expr, symbols)
    mapping = {name: _lift(getattr(torch, name)) for name in _TORCH_NAMES if hasattr(torch, name)}
    mapping["loggamma"] = mapping["lgamma"]
    mapping["Abs"] = mapping["abs"]
    fn: Callable[..., Any] = sp.lambdify([symbols[n] for n in names], expr, modules=[mapping, "math"])
    return fn
