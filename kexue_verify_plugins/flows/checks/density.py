r"""The change-of-variables density of a 2-D flow integrates to 1: checked by quadrature, independently of autograd.

For a flow :math:`f:\mathbb R^2\to\mathbb R^2` onto a standard normal base, the model density is

.. math::  p_X(x)=\varphi(f(x))\,|\det J_f(x)|,\qquad \int_{\mathbb R^2}p_X(x)\,dx=1 .

A wrong log-det (doubled, sign-flipped, linearised) gives a function that integrates to something else.  The
integral is taken with tensor-product Gauss–Legendre nodes after the substitution :math:`x=u/(1-u^2)`,
:math:`u\in(-1,1)` (which maps the whole real line to a bounded interval, so nothing is truncated); the
nodes, weights and the substitution are computed in ball arithmetic and rounded once (:func:`substituted_rule`;
NumPy's ``leggauss`` is off by 4·10⁻¹⁴ at 320 nodes, which refuted a correct layer); the
error is estimated a posteriori as :math:`|Q_{2n}-Q_n|`, which for an analytic integrand (tanh conditioners)
over-estimates the error of :math:`Q_{2n}` (Gauss rules converge geometrically, Trefethen, *Approximation Theory
and Approximation Practice*, ch. 19).  Rounding the exponent of each density value in the run's dtype (a sum of a
handful of terms) makes a relative error of at most :math:`8\gamma_8|\log p_X|`, which adds
:math:`8\gamma_8\int p_X|\log p_X|` to the tolerance; the difference of two converged rules is itself only rounding
noise, so the rounding of the quadrature (the correctly rounded nodes and weights, and the pairwise float64 sum of
:math:`N` terms) adds :math:`8\gamma_{8+\lceil\log_2N\rceil}\,Q_{2n}`: an error estimate alone is not a bound.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch

from kexue_verify import CheckContext, Evidence, Outcome
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows.assertions import DensityQuadrature
from kexue_verify_plugins.flows.checks.common import plain, prepare

__all__ = ["density_check", "integrate_density"]


@functools.lru_cache(maxsize=8)
def substituted_rule(nodes: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    r"""The ``nodes``-point Gauss–Legendre rule carried to the real line by :math:`x=u/(1-u^2)`: points
    :math:`x_k` and weights :math:`w_k\,(1+u_k^2)/(1-u_k^2)^2`, each correctly rounded to float64.

    The nodes and weights are arb balls (python-flint, ``arb.legendre_p_root``) at 96 bits, and so is the
    substitution, which amplifies a node's error by :math:`1/(1-u^2)` near the ends.  NumPy's ``leggauss`` is not
    accurate enough here: at 320 nodes its rule integrates :math:`\varphi` on the real line to
    :math:`1-4.0\cdot10^{-14}` (:math:`\varphi\otimes\varphi` to :math:`1-8.0\cdot10^{-14}`), and a correct
    RealNVP was refuted at seed 8 by exactly that (both rules agreed, and missed 1 by :math:`8.07\cdot10^{-14}`).
    """
    import flint

    saved = flint.ctx.prec
    flint.ctx.prec = 96
    try:
        points, weights = [], []
        for k in range(nodes):
            u, w = flint.arb.legendre_p_root(nodes, k, weight=True)
            one_minus = 1 - u * u
            points.append(float((u / one_minus).mid()))
            weights.append(float((w * (1 + u * u) / (one_minus * one_minus)).mid()))
    finally:
        flint.ctx.prec = saved
    return tuple(points), tuple(weights)


def integrate_density(flow: Any, nodes: int, dtype: torch.dtype, device: str) -> tuple[float, float, bool]:
    """``(∫ p_X, ∫ p_X |log p_X|, shape_ok)`` with ``nodes``² Gauss–Legendre points after ``x = u/(1-u²)``.

    The second integral bounds the effect of rounding the exponent: a relative error ε|log p| in each value.
    """
    x1d, w1d = (torch.tensor(v, dtype=torch.float64) for v in substituted_rule(nodes))
    g1, g2 = torch.meshgrid(x1d, x1d, indexing="ij")
    x = torch.stack([g1.reshape(-1), g2.reshape(-1)], dim=1)
    weight = (w1d[:, None] * w1d[None, :]).reshape(-1)
    with torch.no_grad():
        z, ld = flow.forward(x.to(device=device, dtype=dtype))
    if tuple(ld.shape) != (x.shape[0],):
        return float("nan"), float("nan"), False
    z64, ld64 = z.to(torch.float64).cpu().reshape(x.shape[0], -1), ld.to(torch.float64).cpu()
    log_p = -0.5 * (z64**2).sum(dim=1) - math.log(2 * math.pi) + ld64
    p = log_p.exp()
    return float((weight * p).sum()), float((weight * p * log_p.abs()).sum()), True


def density_check(ctx: CheckContext, assertion: DensityQuadrature | None) -> list[Evidence]:
    """∫ φ(f(x)) |det J_f(x)| dx = 1 over R², by Gauss–Legendre quadrature at two resolutions."""
    a = assertion or DensityQuadrature()
    flow = prepare(ctx, assertion)
    if flow.dim != 2:
        raise ValueError(f"the density claim integrates over R²; this flow has D = {flow.dim}")
    n = int(a.nodes)
    coarse, _, shape_ok = integrate_density(flow, n, ctx.torch_dtype, ctx.device)
    if not shape_ok:
        return [Evidence(name="∫ p_X = 1", outcome=Outcome.FAIL, method="shape check",
                         expected="one log-det per point", counterexample={"log_det_shape": "not (N,)"},
                         note="the log-det is not one number per sample, so no density can be formed")]
    fine, weighted_log, _ = integrate_density(flow, 2 * n, ctx.torch_dtype, ctx.device)
    estimate = abs(fine - coarse)
    rounding = tolerance(ctx.dtype, n=8, scale=weighted_log) if math.isfinite(weighted_log) else 0.0
    # the quadrature's own rounding, which |Q_2n − Q_n| does not bound (once both have converged it is noise of
    # the same size): nodes, weights and the substitution (a few roundings each) and the pairwise float64 sum of
    # (2n)² terms, ≤ γ_{8 + ⌈log₂ N⌉} Σ w p (Higham, Accuracy and Stability, §4.2)
    terms = (2 * n) ** 2
    summation = tolerance("float64", n=8 + math.ceil(math.log2(terms)), scale=abs(fine)) if math.isfinite(fine) else 0.0
    tol = estimate + rounding + summation
    ok = math.isfinite(fine) and abs(fine - 1) <= tol
    return [Evidence(
        name="∫ φ(f(x)) |det J_f(x)| dx = 1",
        outcome=Outcome.PASS if ok else Outcome.FAIL,
        method=f"Gauss–Legendre {2 * n}² nodes after x = u/(1-u²) ({ctx.dtype}, {ctx.device}); "
               f"error estimate |Q_{2 * n} − Q_{n}|",
        quantities={"integral": plain(fine), "integral_coarse": plain(coarse), "error_estimate": estimate,
                    "rounding_bound": rounding, "summation_bound": summation,
                    "deviation_from_1": plain(abs(fine - 1))},
        expected=1.0,
        tolerance={"atol": tol},
        counterexample=None if ok else {"integral": plain(fine)},
    )]
