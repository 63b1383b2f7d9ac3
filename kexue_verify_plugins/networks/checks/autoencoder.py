"""Check of NN-8: a 100→50→100 linear autoencoder loses Σ_{i>50} σᵢ² on full-rank data and nothing on rank-30 data.

A bias-free linear autoencoder x ↦ xCD has rank(CD) ≤ 50, so by Eckart–Young (Eckart & Young 1936; see the ``svd``
topic) its least squared error on data X is Σ_{i>50} σᵢ(X)²; data of rank ≤ 50 are reconstructed exactly.

The symbolic side is exact on a small instance built with rational orthogonal (Householder) factors, so the
singular values are known: 8-dimensional data through a width-4 code, of rank 8 and of rank 3.  The numeric side
trains the 100→50→100 ``nn.Linear`` autoencoder by alternating least squares from a random start, and compares
with ``svdvals``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.networks.assertions import AutoencoderError
from kexue_verify_plugins.networks.models import fit_autoencoder

SAMPLES = 200
#: Relative optimisation tolerance of a trained model (catalogue §0.2: about 1e-3 for trained models).
TRAINED_RTOL = 1e-3


def _householder(v: list[int]) -> sp.Matrix:
    u = sp.Matrix(v)
    return sp.eye(len(v)) - 2 * u * u.T / (u.T * u)[0]


def _predicted(a: AutoencoderError, sigmas: list[sp.Expr], code: int) -> sp.Expr:
    """The error the assertion predicts: the tail (i > code) or the head (i ≤ code) of σᵢ²."""
    ordered = sorted(sigmas, reverse=True)
    part = ordered[code:] if a.min_error == "tail" else ordered[:code]
    return sum((s**2 for s in part), sp.Integer(0))


def ae_symbolic(ctx: CheckContext, a: AutoencoderError) -> list[Evidence]:
    """Exact: X = U diag(σ) Vᵀ with rational Householder U, V; the best width-4 code (the top right singular
    vectors) and its error; the rank-3 data through the same code; rank(CD) ≤ code on an integer instance.
    """
    d, code = 8, 4
    left = _householder([1, 2, -1, 3, 0, 1, -2, 1])
    right = _householder([2, -1, 1, 1, -3, 0, 1, 2])
    sigmas = [sp.Integer(s) for s in (9, 7, 6, 5, 4, 3, 2, 1)]
    data = left * sp.diag(*sigmas) * right.T
    proj = right[:, :code] * right[:, :code].T
    err = sum(e**2 for e in (data - data * proj))
    stated = _predicted(a, sigmas, code)
    low = left * sp.diag(*sigmas[:3], *([0] * (d - 3))) * right.T
    low_err = sum(e**2 for e in (low - low * proj))
    enc = sp.Matrix(d, code, lambda i, j: (3 * i + 5 * j * j + 1) % 7 - 3)
    dec = sp.Matrix(code, d, lambda i, j: (2 * i * i + 3 * j + 2) % 5 - 2)
    rank_bound = (enc * dec).rank() <= code
    return [
        holds("optimal width-4 code on rank-8 data: error = stated", sp.simplify(err - stated) == 0,
              method="exact (sympy Rational), Householder factors", error=str(err), stated=str(stated),
              counterexample={"error": str(err), "stated": str(stated)}),
        holds(f"rank-8 data: exact reconstruction {'possible' if a.any_data_exact else 'impossible'}",
              (err == 0) is a.any_data_exact, method="error of the optimal code", error=str(err),
              counterexample={"error": str(err)}),
        holds(f"rank-3 data: exact reconstruction {'possible' if a.low_rank_exact else 'impossible'}",
              (low_err == 0) is a.low_rank_exact, method="exact", error=str(low_err),
              counterexample={"error": str(low_err)}),
        holds("rank(CD) ≤ code for integer enc (8×4), dec (4×8)", rank_bound, method="sympy rank, exact"),
    ]


@cache
def _trained(seed: int, dtype: str, device: str) -> dict[str, float]:
    from kexue_verify import CheckContext as Ctx

    ctx = Ctx(case_id="networks.autoencoder", seed=seed, dtype=dtype, device=device)
    gen = ctx.generator(offset=7)
    dt = ctx.torch_dtype
    # coordinate scales 1 (first 50) and 0.3 (last 50): full rank, with a spectral gap at 50 so the optimum is unique
    scales = torch.where(torch.arange(100, device=device) < 50, 1.0, 0.3).to(dt)
    full = torch.randn(SAMPLES, 100, generator=gen, dtype=dt, device=device) * scales
    basis = torch.randn(30, 100, generator=gen, dtype=dt, device=device)
    low = torch.randn(SAMPLES, 30, generator=gen, dtype=dt, device=device) @ basis / 30**0.5
    sig = torch.linalg.svdvals(full.to(torch.float64))
    return {
        "full_trained": fit_autoencoder(ctx, full, 50),
        "low_trained": fit_autoencoder(ctx, low, 50),
        "tail": float((sig[50:] ** 2).sum() / SAMPLES),
        "head": float((sig[:50] ** 2).sum() / SAMPLES),
        "full_energy": float((full.to(torch.float64) ** 2).sum() / SAMPLES),
        "low_energy": float((low.to(torch.float64) ** 2).sum() / SAMPLES),
    }


def ae_numeric(ctx: CheckContext, a: AutoencoderError) -> list[Evidence]:
    """torch: trained (alternating least squares) 100→50→100 ``nn.Linear`` autoencoders on full-rank and on
    rank-30 data (N = 200).

    The trained error must match the predicted one within the trained-model tolerance, and can never beat the tail
    (up to rounding): that lower bound is a theorem, not an optimisation result.  Rank-30 data count as exactly
    reconstructed when the error is below 10⁻⁶ of the data's energy, far under the full-rank tail (about 8 % of it).
    """
    m = _trained(ctx.seed, ctx.dtype, ctx.device)
    stated = m["tail"] if a.min_error == "tail" else m["head"]
    rounding = tolerance(ctx.dtype, n=100 * 50, scale=m["full_energy"])
    exact_low = m["low_trained"] <= 1e-6 * m["low_energy"]
    exact_full = m["full_trained"] <= 1e-6 * m["full_energy"]
    return [
        holds("trained error on full-rank data = stated minimum", abs(m["full_trained"] - stated)
              <= TRAINED_RTOL * stated + rounding,
              method=f"alternating least squares from a random start ({ctx.dtype}); svdvals in "
              "float64", trained=m["full_trained"], tail=m["tail"], head=m["head"],
              counterexample={"trained": m["full_trained"], "stated": stated}),
        holds("the trained error never beats Σ_{i>50} σᵢ²/N", m["full_trained"] >= m["tail"] - rounding,
              method="Eckart–Young lower bound", trained=m["full_trained"], tail=m["tail"]),
        holds(f"full-rank data: exact reconstruction {'possible' if a.any_data_exact else 'impossible'}",
              exact_full is a.any_data_exact, method="trained error vs 10⁻⁶ of the energy",
              counterexample={"trained": m["full_trained"], "energy": m["full_energy"]}),
        holds(f"rank-30 data: exact reconstruction {'possible' if a.low_rank_exact else 'impossible'}",
              exact_low is a.low_rank_exact, method="trained error vs 10⁻⁶ of the energy",
              trained=m["low_trained"], energy=m["low_energy"],
              counterexample={"trained": m["low_trained"], "energy": m["low_energy"]}),
    ]
