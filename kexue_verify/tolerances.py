"""Tolerances derived from the dtype and the size of the computation, never picked to make a check pass.

The bound used throughout is Higham's constant for ``n`` floating-point operations in
sequence (N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1):

.. math::  \\gamma_n = \\frac{n u}{1 - n u},\\qquad u = \\varepsilon/2 \\text{ (unit round-off)}

A sum or dot product of length ``n`` is accurate to ``γ_{n-1} Σ|x_i|``; a computation with
condition number ``κ`` loses another factor ``κ``.  :func:`tolerance` returns
``safety · γ_n · κ · scale``; the default ``safety = 8`` covers the few extra roundings of
library kernels (``exp``, ``log``, reductions in blocked order) and nothing more.

``EPS`` is the one dtype→machine-epsilon table; look values up with :func:`eps`.

>>> eps("float64")
2.220446049250313e-16
>>> tolerance("float64", n=100) < 1e-12
True
"""

from __future__ import annotations

from typing import Any

from kexue_verify.errors import UsageError

__all__ = ["EPS", "eps", "gamma", "tolerance"]

#: Machine epsilon (the gap between 1 and the next float) of each supported dtype.
EPS: dict[str, float] = {
    "float64": 2.0**-52,
    "float32": 2.0**-23,
    "bfloat16": 2.0**-7,
    "float16": 2.0**-10,
}


def _name(dtype: Any) -> str:
    name = str(dtype).removeprefix("torch.")
    if name not in EPS:
        raise UsageError(f"unsupported dtype {dtype!r}; use one of {', '.join(EPS)}")
    return name


def eps(dtype: Any) -> float:
    """Machine epsilon of ``dtype`` (a torch dtype or its name)."""
    return EPS[_name(dtype)]


def gamma(n: int, dtype: Any) -> float:
    """Higham's ``γ_n = n u / (1 - n u)`` with ``u = eps/2``; infinite when ``n u ≥ 1``."""
    u = eps(dtype) / 2
    nu = max(int(n), 1) * u
    return float("inf") if nu >= 1 else nu / (1 - nu)


def tolerance(dtype: Any, *, n: int = 1, condition: float = 1.0, scale: float = 1.0, safety: float = 8.0) -> float:
    """Absolute tolerance ``safety · γ_n · condition · scale`` for a result of magnitude ``scale``."""
    return safety * gamma(n, dtype) * condition * abs(scale)
