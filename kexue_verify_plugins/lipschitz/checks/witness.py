"""Evidence from the witness pair of a Lipschitz sandwich, shared by :mod:`.network` and :mod:`.declared`.

A bound is refuted only by a pair ``(x₁, x₂)`` with ``‖f(x₁) − f(x₂)‖/‖x₁ − x₂‖`` above it, evaluated in float64
(:class:`~kexue_verify_plugins.lipschitz.bounds.Sandwich`).
"""

from __future__ import annotations

from typing import Any

from kexue_verify import Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.lipschitz.bounds import Sandwich

__all__ = ["lower_tol", "pair_evidence"]


def pair_evidence(name: str, s: Sandwich, bound: float, tol: float, method: str, **quantities: Any) -> Evidence:
    """Whether the sandwich's witness pair stays within ``bound`` (``tol`` added): a failure is the pair itself."""
    lower = s.lower.witness_ratio
    x1, x2 = s.lower.witness
    return holds(name, lower <= bound + tol, method=method, expected=f"witness ratio ≤ {bound!r}",
                 counterexample={"x1": x1.tolist(), "x2": x2.tolist(), "ratio": lower, "bound": bound},
                 empirical_lower=lower, bound=bound, certified_upper=s.upper, search_scales=list(s.lower.scales),
                 scale_of_best=s.lower.scale, **quantities)


def lower_tol(s: Sandwich, bound: float) -> float:
    """Rounding of a float64 difference quotient at step ``t = 10⁻⁴``: ``8·γ₆₄·max(1, |bound|)·10⁴``."""
    return tolerance("float64", n=64, scale=max(1.0, abs(bound))) * 1e4
