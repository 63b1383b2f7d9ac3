r"""SVD-7: the 神/魔 example — a rank-1 reconstruction invents the word 神术.

``M = [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]``: rows 神 and 魔, columns 兽, 界, 龙, 灵, 术.  ``MMᵀ = [[4, 4],
[4, 5]]`` has eigenvalues ``(9 ± √65)/2``, so ``σ = √((9 ± √65)/2) ≈ 2.9208, 0.6847``; the rank-1
reconstruction puts ``4√65/65 ≈ 0.4961`` on (神, 术), where the data have 0, with squared error
``(9 − √65)/2 ≈ 0.4689``.  The rank-2 reconstruction is ``M`` itself and invents nothing.

The assertion (:class:`~kexue_verify_plugins.svd.assertions.ShenMoExample`) gives ``rank``, the (神, 术) entry,
the other entries (神 row, 魔 row, (魔, 术)), the squared error and the singular values, as exact formulas.
Symbolic: SymPy's exact SVD.  Numeric: ``torch.linalg.svd`` in the run's dtype against the asserted values
evaluated to 30 digits.
"""

from __future__ import annotations

import functools
from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.svd.assertions import ShenMoExample

__all__ = ["COLUMNS", "ROWS", "TOY", "exact_reconstruction", "toy_numeric", "toy_symbolic"]

ROWS = ("神", "魔")
COLUMNS = ("兽", "界", "龙", "灵", "术")
TOY = ((1, 1, 1, 1, 0), (1, 1, 1, 1, 1))


@functools.lru_cache(maxsize=4)
def exact_reconstruction(rank: int) -> tuple[sp.Matrix, list[sp.Expr]]:
    """The exact rank-``rank`` truncated SVD of the toy matrix (via the eigenvectors of ``MMᵀ``) and ``σ``."""
    m = sp.Matrix(TOY)
    pairs = sorted((m * m.T).eigenvects(), key=lambda p: -float(p[0]))
    values = [sp.sqrt(sp.radsimp(p[0])) for p in pairs]
    recon = sp.zeros(*m.shape)
    for _, _, vectors in pairs[:rank]:
        u = vectors[0]
        recon += u * (u.T * m) / (u.T * u)[0, 0]
    return sp.ImmutableMatrix(recon.applyfunc(lambda x: sp.radsimp(sp.simplify(x)))), values


def _stated(a: ShenMoExample) -> dict[str, sp.Expr]:
    keys = ("entry", "shen", "mo", "mo_shu", "squared_error")
    return {key: getattr(a, key).expr for key in keys}


def _measured(recon: Any, m: Any) -> dict[str, Any]:
    """The entries the assertion names, and ``Σ (m_ij − r_ij)²`` (SymPy matrices or torch tensors)."""
    error = sum(x**2 for x in (m - recon)) if isinstance(m, sp.MatrixBase) else ((m - recon) ** 2).sum()
    return {"entry": recon[0, 4], "shen": recon[0, 0], "mo": recon[1, 0], "mo_shu": recon[1, 4],
            "squared_error": error}


_LABELS = {"entry": "(神, 术)", "shen": "(神, 兽)", "mo": "(魔, 兽)", "mo_shu": "(魔, 术)",
           "squared_error": "‖M − M_k‖_F²"}


def toy_symbolic(ctx: CheckContext, a: ShenMoExample) -> list[Evidence]:
    """SymPy: exact singular values, reconstruction entries and error against the stated expressions."""
    recon, values = exact_reconstruction(a.rank)
    m = sp.Matrix(TOY)
    evidence = [holds("singular values", all(sp.simplify(x - y.expr) == 0
                                             for x, y in zip(values, a.singular_values, strict=True)),
                      method="SymPy eigenvects of MMᵀ", expected=[str(y) for y in a.singular_values],
                      found=[str(v) for v in values])]
    measured = _measured(recon, m)
    for key, stated in _stated(a).items():
        found = sp.radsimp(sp.simplify(measured[key]))
        evidence.append(holds(f"rank-{a.rank} {_LABELS[key]} = {stated}", sp.simplify(found - stated) == 0,
                              method="SymPy, exact", expected=str(stated), found=str(found),
                              counterexample={"entry": _LABELS[key], "exact": str(found), "stated": str(stated),
                                              "exact_value": float(found)}))
    return evidence


def toy_numeric(ctx: CheckContext, a: ShenMoExample) -> list[Evidence]:
    """torch.linalg.svd in the run's dtype; tolerance 8 γ₁₀ σ₁ (1 + σ₁/(σ₁ − σ₂)) for singular vectors (Wedin)."""
    m = ctx.tensor(TOY)
    u, s, vh = torch.linalg.svd(m, full_matrices=False)
    k = a.rank
    recon = u[:, :k] @ torch.diag(s[:k]) @ vh[:k]
    sigma1, sigma2 = float(s[0]), float(s[1])
    tol = tolerance(ctx.dtype, n=10, condition=1 + sigma1 / (sigma1 - sigma2), scale=sigma1)
    method = f"torch.linalg.svd ({ctx.dtype}, {ctx.device})"
    evidence = [close(f"σ_{i + 1}", float(s[i]), float(sp.N(x.expr, 30)), tol=tol, method=method)
                for i, x in enumerate(a.singular_values)]
    measured = _measured(recon, m)
    for key, stated in _stated(a).items():
        scale = 2 * sigma1 if key == "squared_error" else 1.0
        evidence.append(close(f"rank-{k} {_LABELS[key]}", float(measured[key]), float(sp.N(stated, 30)),
                              tol=tol * scale, method=method,
                              counterexample={"entry": _LABELS[key], "torch": float(measured[key]),
                                              "stated": str(stated)}))
    return evidence
