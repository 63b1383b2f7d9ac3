r"""SVD-1: storing ``A_{m×k}`` and ``B_{k×n}`` instead of ``M_{m×n}`` saves space iff ``k < mn/(m+n)``.

``(m + n)k − mn = (m + n)(k − mn/(m + n))`` and ``m + n > 0``, so ``(m+n)k < mn ⇔ k < mn/(m+n)``.
The assertion (:class:`~kexue_verify_plugins.svd.assertions.StorageThreshold`) is the threshold, a formula in
``m`` and ``n``; the false variants are
``Min(m, n)/2`` and ``(m + n)/2``.

* Symbolic: SymPy solves ``(m + n)k = mn`` for ``k`` and compares the root with the stated
  threshold; the sign of the factor ``m + n`` is decided from the assumptions.  When they differ, the
  smallest integer triple ``(m, n, k)`` on which the two conditions disagree is the counterexample.
* Numeric: the number of stored entries of the factors of a torch truncated SVD, ``A.numel() +
  B.numel()``, against ``M.numel()`` for every ``1 ≤ m, n ≤ 16`` and ``1 ≤ k ≤ min(m, n)``.
"""

from __future__ import annotations

import itertools

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify_plugins.svd.assertions import StorageThreshold

__all__ = ["storage_numeric", "storage_symbolic"]

_M, _N, _K = sp.symbols("m n k", positive=True)  # m, n equal the assertion's own (same names, same assumptions)
SIDE = 16


def _first_disagreement(threshold: sp.Expr, limit: int) -> dict[str, int] | None:
    for m, n in itertools.product(range(1, limit + 1), repeat=2):
        t = threshold.subs({_M: m, _N: n})
        for k in range(1, min(m, n) + 1):
            if ((m + n) * k < m * n) != bool(k < t):
                return {"m": m, "n": n, "k": k, "factor_entries": (m + n) * k, "matrix_entries": m * n}
    return None


def storage_symbolic(ctx: CheckContext, a: StorageThreshold) -> Evidence:
    """solve((m+n)k = mn, k) against the stated threshold; factor m + n positive."""
    threshold = a.threshold.expr
    (root,) = sp.solve(sp.Eq((_M + _N) * _K, _M * _N), _K)
    same = sp.simplify(root - threshold) == 0
    positive = bool((_M + _N).is_positive)
    return holds(f"(m+n)k < mn ⇔ k < {threshold}", same and positive,
                 method="SymPy solve and assumptions (m, n, k positive)", expected=str(root), stated=str(threshold),
                 factor_positive=positive, counterexample=None if same else _first_disagreement(threshold, 24))


def storage_numeric(ctx: CheckContext, a: StorageThreshold) -> Evidence:
    """Count the entries of torch factors A = U_kΣ_k, B = V_kᵀ for every m, n ≤ SIDE and k ≤ min(m, n)."""
    threshold = sp.lambdify((_M, _N), a.threshold.expr, modules="math")
    gen = ctx.generator(0, device="cpu")
    disagreements = []
    checked = 0
    for m, n in itertools.product(range(1, SIDE + 1), repeat=2):
        matrix = torch.rand(m, n, generator=gen, dtype=torch.float64).to(device=ctx.device, dtype=ctx.torch_dtype)
        u, s, vh = torch.linalg.svd(matrix, full_matrices=False)
        for k in range(1, min(m, n) + 1):
            factors = (u[:, :k] * s[:k]).numel() + vh[:k].numel()
            saves = factors < matrix.numel()
            checked += 1
            if saves != (k < threshold(m, n)):
                disagreements.append({"m": m, "n": n, "k": k, "factor_entries": factors, "matrix_entries": m * n,
                                      "stated_threshold": float(threshold(m, n))})
    return holds("A.numel() + B.numel() < M.numel() exactly when k < threshold", not disagreements,
                 method=f"torch truncated SVD factors ({ctx.dtype}, {ctx.device}), m, n ≤ {SIDE}", checked=checked,
                 disagreements=len(disagreements), counterexample=disagreements[0] if disagreements else None)
