r"""SVD-3, caveat 1: the equivalence needs the squared loss — under L1 an autoencoder beats the truncated SVD.

The claim is an existence statement: there is a matrix ``M`` and ``k`` with
``min_{C,D} ‖M − MCD‖₁ < ‖M − M_k‖₁``.  It is found, not assumed: for three seeded integer
matrices ``M ∈ {−3, …, 3}^{8×2}`` and ``k = 1``, ``C`` (2×1) and ``D`` (1×2) are optimised under the
asserted loss (Adam, 300 steps, from the SVD solution and from a random start), and the candidate
that improves most on the truncated SVD is kept.

* Numeric: the improvement must exceed the loss's rounding bound (Higham).
* Symbolic: ``C`` and ``D`` are rounded to rationals with denominators ≤ 1000 and the two losses are
  computed exactly — the autoencoder's as a rational, the SVD's as an algebraic number (the top
  eigenvector of the integer matrix ``MᵀM``) evaluated to 50 digits.

The false variant asserts the same under the squared loss, where Eckart–Young forbids it: the search
finds no improvement and the exact loss of the rounded ``C, D`` is at least ``σ₂²``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import remember, tolerance
from kexue_verify_plugins.svd.assertions import LossBeatsSvd
from kexue_verify_plugins.svd.linalg import cpu_generator
from kexue_verify_plugins.svd.training import reconstruction_loss

__all__ = ["Candidate", "find_counterexample", "l1_numeric", "l1_symbolic"]

CANDIDATES, STEPS = 3, 300

Candidate = dict[str, Any]


def _optimise(m: torch.Tensor, c: torch.Tensor, d: torch.Tensor, loss: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam on ``loss(M − MCD)`` (built-in matrices; autograd only drives the search, the losses are recomputed)."""
    c, d = c.clone().requires_grad_(), d.clone().requires_grad_()
    opt = torch.optim.Adam([c, d], lr=0.05)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS)
    for _ in range(STEPS):
        opt.zero_grad()
        reconstruction_loss(m - m @ c @ d, loss).backward()
        opt.step()
        schedule.step()
    return c.detach(), d.detach()


def find_counterexample(seed: int, loss: str, *, dtype: torch.dtype = torch.float64, device: str = "cpu") -> Candidate:
    """The seeded search: the candidate ``(M, C, D)`` whose loss improves most on the truncated SVD's."""
    gen = cpu_generator(seed)
    best: Candidate | None = None
    for _ in range(CANDIDATES):
            m = torch.randint(-3, 4, (8, 2), generator=gen).to(device=device, dtype=dtype)
            vh = torch.linalg.svd(m, full_matrices=False)[2]
            svd_loss = float(reconstruction_loss(m - m @ vh[:1].T @ vh[:1], loss))
            starts = [(vh[:1].T, vh[:1]),
                      (torch.randn(2, 1, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype),
                       torch.randn(1, 2, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype))]
            for c0, d0 in starts:
                c, d = _optimise(m, c0, d0, loss)
                ae_loss = float(reconstruction_loss(m - m @ c @ d, loss))
                if best is None or svd_loss - ae_loss > best["improvement"]:
                    best = {"M": m.cpu().tolist(), "C": c.cpu().tolist(), "D": d.cpu().tolist(), "svd_loss": svd_loss,
                            "autoencoder_loss": ae_loss, "improvement": svd_loss - ae_loss,
                            "scale": float((m**2).sum()) if loss == "squared" else float(m.abs().sum())}
    assert best is not None
    return best


def l1_numeric(ctx: CheckContext, a: LossBeatsSvd) -> Evidence:
    """Search in the run's dtype; pass when the best autoencoder beats the truncated SVD by more than rounding."""
    found = remember(("l1-search", ctx.seed, a.loss, ctx.dtype, ctx.device),
                     lambda: find_counterexample(ctx.seed, a.loss, dtype=ctx.torch_dtype, device=ctx.device))
    tol = tolerance(ctx.dtype, n=16, scale=found["scale"])
    return holds(f"some C, D beat the truncated SVD under the {a.loss} loss", found["improvement"] > tol,
                 method=f"seeded search: {CANDIDATES} integer 8×2 matrices, k = 1, Adam {STEPS} steps ({ctx.dtype})",
                 expected=f"improvement > {tol:.3g}", improvement=found["improvement"], svd_loss=found["svd_loss"],
                 autoencoder_loss=found["autoencoder_loss"], witness=found)


def _rational(values: list[list[float]]) -> sp.Matrix:
    return sp.Matrix([[sp.Rational(Fraction(v).limit_denominator(1000)) for v in row] for row in values])


def l1_symbolic(ctx: CheckContext, a: LossBeatsSvd) -> Evidence:
    """Exact losses of the found (M, C, D), with C, D rounded to rationals, against the exact truncated SVD."""
    found = remember(("l1-search", ctx.seed, a.loss, "float64", "cpu"),
                     lambda: find_counterexample(ctx.seed, a.loss))
    m, c, d = sp.Matrix(found["M"]).applyfunc(sp.Integer), _rational(found["C"]), _rational(found["D"])
    residual = m - m * c * d
    (top, _, (v,)) = max((m.T * m).eigenvects(), key=lambda p: float(p[0]))
    svd_residual = m - m * v * v.T / (v.T * v)[0, 0]
    if a.loss == "l1":
        ae_loss = sum(abs(x) for x in residual)
        svd_loss = sum(sp.Abs(sp.radsimp(x)) for x in svd_residual)
    else:
        ae_loss = sum(x**2 for x in residual)
        svd_loss = sp.nsimplify(sum(x**2 for x in m) - top)
    gap = sp.N(svd_loss - ae_loss, 50)
    return holds(f"exactly: ‖M − MCD‖ < ‖M − M₁‖ under the {a.loss} loss", bool(gap > sp.Float("1e-40")),
                 method="SymPy: C, D rounded to rationals (denominators ≤ 1000); SVD loss evaluated to 50 digits",
                 autoencoder_loss=str(ae_loss), svd_loss=str(sp.N(svd_loss, 20)), difference=str(sp.N(gap, 20)),
                 witness={"M": found["M"], "C": [[str(x) for x in c]], "D": [[str(x) for x in d]],
                                 "autoencoder_loss": str(ae_loss), "svd_loss": str(sp.N(svd_loss, 20))})
