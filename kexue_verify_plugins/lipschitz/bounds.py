"""The Lipschitz sandwich of a torch module: a certified upper bound and an empirical lower bound.

For ``f: ℝⁿ → ℝᵐ`` (the module in eval mode, on inputs of a given shape) and the Euclidean norms,

.. math::  \\max_{\\text{found } x} \\|J_f(x)\\|_2 \\;\\le\\; |f|_L \\;\\le\\; \\prod_\\ell |f_\\ell|_L .

* **Upper** (:func:`certified_upper_bound`): walk the computation actually performed — one forward pass
  with hooks records every call of every layer, so a layer used twice (weight tying) counts twice, and a
  forward that does not follow the module structure, or a module with forward hooks, gets no certificate.
  ``nn.Sequential`` multiplies,
  :class:`Residual` adds one (``|x + g(x)|_L ≤ 1 + |g|_L``), a ``Linear`` contributes its exact
  ``σ_max``, a ``Conv2d`` its exact circular operator norm or a certified bound
  (:func:`~kexue_verify_plugins.lipschitz.norms.conv_operator_norm`), an eval-mode BatchNorm
  ``max_c |γ_c|/√(var_c + ε)``, and each activation the supremum of its derivative
  (:data:`ACTIVATION_LIPSCHITZ`).  A module it does not know gives **no certificate**, and says which.
  Norms are computed in float64 from the module's own (possibly float32) parameters, so the
  certificate is about the function those parameters define.
* **Lower** (:func:`empirical_lower_bound`): from seeded random starts spread over input scales
  (:data:`SEARCH_SCALES`, 1 to 10³), gradient ascent on the
  difference quotient ``‖f(x+δ) − f(x−δ)‖/(2‖δ‖)`` over the centre ``x`` and the direction ``δ``,
  with ``‖δ‖`` shrinking from ``h₀`` to ``h₁``: a finite-difference smoothing of ``‖J_f(x)δ̂‖``
  that still has a gradient for piecewise-linear networks, where ``∇ₓ‖J_f(x)‖`` vanishes.
  Then ``‖J_f(x)‖₂`` at the centres found, by power iteration on ``JᵀJ`` (Jacobian products by
  reverse-mode autograd).  Every number it returns is attained: a pair ratio is a pair of inputs,
  and a Jacobian norm comes with a witness pair ``x ± t v`` evaluated in float64.

Cost is counted in Jacobian products (one ``jvp`` or ``vjp``, or one forward-and-backward of a
point), so that the search can be compared with random sampling at equal budget
(``benchmarks/lipschitz_lower_bound.py``).

The upper side lives in :mod:`.certificate`, the lower side in :mod:`.lower_bound`; this module puts them
together (:func:`sandwich`) and re-exports both, so ``bounds.<name>`` is the one place to import them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .certificate import (
    ACTIVATION_LIPSCHITZ,
    Certificate,
    LayerFactor,
    Residual,
    certified_upper_bound,
)
from .lower_bound import (
    SEARCH_SCALES,
    LowerBound,
    cpu_generator,
    empirical_lower_bound,
    jacobian_cross_check,
    jacobian_spectral_norm,
    pair_ratio,
    randn,
    random_search_lower_bound,
)

__all__ = [
    "ACTIVATION_LIPSCHITZ",
    "SEARCH_SCALES",
    "Certificate",
    "LayerFactor",
    "LowerBound",
    "Residual",
    "Sandwich",
    "certified_upper_bound",
    "cpu_generator",
    "empirical_lower_bound",
    "jacobian_cross_check",
    "jacobian_spectral_norm",
    "pair_ratio",
    "randn",
    "random_search_lower_bound",
    "sandwich",
]


@dataclass
class Sandwich:
    """``lower ≤ |f|_L ≤ upper`` for one module, with what each side rests on."""

    certificate: Certificate
    lower: LowerBound

    @property
    def upper(self) -> float | None:
        return self.certificate.value

    @property
    def gap(self) -> float | None:
        """``upper / lower`` (1 means the constant is pinned down)."""
        if self.upper is None or self.lower.value <= 0:
            return None
        return self.upper / self.lower.value

    def summary(self) -> dict[str, Any]:
        return {
            "certified_upper": self.upper,
            "empirical_lower": self.lower.value,
            "jacobian_norm": self.lower.jacobian_norm,
            "best_pair_ratio": self.lower.pair_ratio,
            "witness_ratio": self.lower.witness_ratio,
            "search_scales": list(self.lower.scales),
            "scale_of_best": self.lower.scale,
            "gap_upper_over_lower": self.gap,
            "uncertified_modules": list(self.certificate.unsupported),
            "layers": [{"path": f.path, "kind": f.kind, "factor": f.factor, "exact": f.exact, "method": f.method}
                       for f in self.certificate.factors],
        }


def sandwich(model: nn.Module, input_shape: tuple[int, ...], *, generator: torch.Generator | None = None,
             scales: tuple[float, ...] = SEARCH_SCALES, **search: Any) -> Sandwich:
    """Both sides for ``model`` on inputs of ``input_shape`` (batch dimension excluded); the lower bound
    searched from starts spread over every scale in ``scales``."""
    return Sandwich(certified_upper_bound(model, input_shape),
                    empirical_lower_bound(model, input_shape, scale=scales, generator=generator, **search))
