"""Exact matrices for the symbolic checks: rational orthogonal matrices and an exact SVD with known spectrum.

A rational orthogonal matrix comes from the Cayley transform ``Q = (I − S)(I + S)⁻¹`` of a rational
skew-symmetric ``S`` (``I + S`` is always invertible), so ``M = Q₁ diag(σ) Q₂ᵀ`` is a rational matrix
whose singular values are exactly ``σ`` and whose right singular vectors are the columns of ``Q₂``.
The checks never read ``σ`` or ``Q₂`` from the construction: they recompute them with SymPy.

Reference: A. Cayley, "Sur quelques propriétés des déterminants gauches", *J. reine angew. Math.* 32 (1846).
"""

from __future__ import annotations

import sympy as sp

__all__ = ["EXACT_MATRIX", "cayley", "exact_eigenbasis", "frobenius_sq", "rank_projector"]


def cayley(a: int, b: int, c: int) -> sp.Matrix:
    """The rational orthogonal 3×3 matrix ``(I − S)(I + S)⁻¹`` with ``S = [[0, a, b], [−a, 0, c], [−b, −c, 0]]``."""
    s = sp.Matrix([[0, a, b], [-a, 0, c], [-b, -c, 0]])
    eye = sp.eye(3)
    return (eye - s) * (eye + s).inv()


#: A 3×3 rational matrix with singular values exactly 3, 2, 1 (built as Q₁ diag(3, 2, 1) Q₂ᵀ).
EXACT_MATRIX: sp.Matrix = cayley(1, 2, 0) * sp.diag(3, 2, 1) * cayley(0, 1, 1).T


def frobenius_sq(matrix: sp.Matrix) -> sp.Expr:
    """``‖A‖_F² = Σ a_ij²`` (entries real)."""
    return sp.expand(sum(x**2 for x in matrix))


def exact_eigenbasis(matrix: sp.Matrix) -> list[tuple[sp.Expr, sp.Matrix]]:
    """Eigenpairs of the symmetric ``MᵀM``, largest eigenvalue first, one (unnormalised) vector per eigenvalue."""
    gram = matrix.T * matrix
    pairs = []
    for value, multiplicity, vectors in gram.eigenvects():
        if multiplicity != 1:
            raise ValueError("exact_eigenbasis needs distinct singular values")
        pairs.append((sp.nsimplify(value), vectors[0]))
    return sorted(pairs, key=lambda p: -float(p[0]))


def rank_projector(matrix: sp.Matrix, k: int) -> sp.Matrix:
    """``V_k V_kᵀ`` computed exactly as ``Σ_{i≤k} v_i v_iᵀ / (v_iᵀ v_i)`` from the eigenvectors of ``MᵀM``."""
    n = matrix.shape[1]
    proj = sp.zeros(n, n)
    for _, v in exact_eigenbasis(matrix)[:k]:
        proj += v * v.T / (v.T * v)[0, 0]
    return sp.simplify(proj)
