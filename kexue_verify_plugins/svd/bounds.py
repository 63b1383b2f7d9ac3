r"""Tolerances for "a trained autoencoder equals the truncated SVD", derived from the dtype and the spectrum.

Only one number is a rounding bound; the others follow from it by inequalities proved below.

**Loss.**  The loss ``L = ‖M − R‖_F²`` is a sum of ``m n`` squares whose residuals come from
products of length ``n + k``; by Higham's bound (``kexue_verify.tolerances``) its computed value
is within ``τ = 8 γ_{mn} ‖M‖_F²`` of the exact one, and so is the reference ``L* = Σ_{i>k} σ_i²``.
The loss check therefore passes when ``|L − L*| ≤ τ``, and the *excess* it lets through is at
most ``δ = 2τ``.

**Subspace.**  Let ``R`` have rank ≤ ``k`` with rows in a ``k``-dimensional subspace ``S``
(projector ``P_S``).  Rows of ``M − M P_S`` are orthogonal to ``S`` and rows of ``M P_S − R`` lie in
it, so (Pythagoras) ``‖M − R‖² = ‖M − M P_S‖² + ‖M P_S − R‖²``.  With ``A = MᵀM`` (eigenvalues
``λ_i = σ_i²``, eigenvectors ``v_i``) and ``p_i = ‖P_S v_i‖² ∈ [0, 1]``, ``Σ p_i = k``:

.. math::  \|M\|^2 - \|M - MP_S\|^2 = \operatorname{tr}(P_S A) = \sum_i λ_i p_i
           \le \sum_{i\le k} λ_i - (λ_k - λ_{k+1}) \sum_{i\le k} (1 - p_i),

and ``Σ_{i≤k}(1 − p_i) = k − ‖P_S V_k‖_F² = ‖\sin Θ(S, V_k)‖_F²``.  Hence, with the gap
``g = σ_k² − σ_{k+1}²``,

* ``‖\sin Θ‖_F² ≤ δ / g``                      (every principal angle),
* ``‖M P_S − R‖_F ≤ √δ`` and ``‖P_S − V_kV_kᵀ‖_F = √2 ‖\sin Θ‖_F``, so
  ``‖R − M_k‖_F ≤ √δ + σ_1 √(2δ/g)``,
* for ``R = M W`` with ``M`` of full column rank, ``‖W − P_S‖_F ≤ ‖M(W − P_S)‖_F / σ_n``, so
  ``‖W − V_kV_kᵀ‖_F ≤ √δ/σ_n + √(2δ/g)``.

**Affine maps (PCA).**  For ``R = M W + 1cᵀ`` and centred ``M_c = M − 1μᵀ`` (whose columns sum
to 0) the loss splits as ``‖M_c − M_c W‖² + m‖μ(I − W) − c‖²``, so both parts exceed their
optima by at most ``δ``: the bounds above hold with the spectrum of ``M_c``, the reconstruction
gains one more ``√δ``, and the offset obeys ``‖c − μ(I − P_c)‖ ≤ √(δ/m) + ‖μ‖ ‖W − P_c‖_F``.

Reference: the inequality for ``tr(P_S A)`` is Ky Fan's maximum principle with the gap kept
(Ky Fan, *PNAS* 35 (1949) 652); cf. the Davis–Kahan sin Θ theorem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kexue_verify.helpers import tolerance

__all__ = ["AutoencoderBounds", "autoencoder_bounds", "l1_loss_floor", "loss_floor"]


def loss_floor(dtype: Any, *, m: int, n: int, norm_sq: float) -> float:
    """``τ = 8 γ_{mn} ‖M‖_F²``: the rounding bound on a sum of ``m n`` squared residuals."""
    return tolerance(dtype, n=m * n, scale=norm_sq)


def l1_loss_floor(dtype: Any, *, m: int, n: int, frobenius: float) -> float:
    """Rounding bound on ``Σ|r_ij|``: ``8 γ_{mn} √(mn) ‖M‖_F`` (Cauchy–Schwarz turns entry errors into ``‖·‖_F``)."""
    return tolerance(dtype, n=m * n, scale=math.sqrt(m * n) * frobenius)


@dataclass(frozen=True)
class AutoencoderBounds:
    """The tolerances of the autoencoder checks, all derived from ``loss`` (see the module docstring)."""

    loss: float
    excess: float
    reconstruction: float
    linear: float
    offset: float
    sine: float

    @property
    def angle(self) -> float:
        """The bound on the largest principal angle, in radians."""
        return math.asin(min(1.0, self.sine))


def autoencoder_bounds(
    dtype: Any, *, m: int, n: int, norm_sq: float, largest: float, smallest: float, gap: float, mean_norm: float,
) -> AutoencoderBounds:
    """Bounds for data ``M`` (``m × n``, ``‖M‖_F² = norm_sq``) and a target with the given spectrum.

    ``largest``, ``smallest`` and ``gap`` are ``σ_1``, ``σ_n`` and ``σ_k² − σ_{k+1}²`` of the matrix
    the target projects with; ``mean_norm`` is ``‖μ‖`` for an affine target (0 for a linear one).
    """
    tau = loss_floor(dtype, m=m, n=n, norm_sq=norm_sq)
    delta = 2 * tau
    root = math.sqrt(delta)
    sine = math.sqrt(delta / gap)
    linear = root / smallest + math.sqrt(2) * sine
    return AutoencoderBounds(
        loss=tau,
        excess=delta,
        reconstruction=root * (2 + largest * math.sqrt(2 / gap)),
        linear=linear,
        offset=math.sqrt(delta / m) + mean_norm * linear,
        sine=sine,
    )
