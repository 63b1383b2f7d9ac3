r"""``series_coeff(f, t, k)``, the Taylor coefficient :math:`[t^k]\,f` at ``t = 0``, usable in expressions.

For ``f = exp(p(t))`` with a polynomial ``p = c + h(t)`` (``h`` without constant term) the coefficient comes
from the truncated exponential series, without :func:`sympy.series`:

.. math:: [t^k]\, e^{c + h(t)} = e^c\, [t^k] \sum_{n=0}^{k} \frac{h(t)^n}{n!},

where only the terms of ``h`` of degree ``1 … k`` matter (each power ``h^n`` is truncated at degree ``k``).
Any other ``f`` goes to :func:`sympy.series`.
"""

from __future__ import annotations

from typing import Any, cast

import sympy as sp


class SeriesCoeff(sp.Function):  # type: ignore[misc]  # SymPy has no type information
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
        return cast(set[Any], expr.free_symbols - {var})

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
