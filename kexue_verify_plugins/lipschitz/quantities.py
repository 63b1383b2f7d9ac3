"""Matrix quantities, exactly (SymPy) and in floating point (torch), and relations between them.

A claim about matrix norms is written as relations in a small vocabulary, in SymPy syntax, e.g.
``"spec <= fro"``, ``"fro <= sqrt(rank)*spec"``, ``"Eq(spec, rho)"``.  The same relation is
decided on exact matrices (SymPy, where the counterexamples of the post live) and on random
torch matrices in the run's dtype.

========== =====================================================================
name       meaning
========== =====================================================================
``spec``   ``sup_{x≠0} ‖Wx‖/‖x‖``.  Exactly: for a matrix with two columns (or, through ``Wᵀ``,
           two rows) ``‖W(cos t, sin t)‖² = A cos²t + 2B cos t sin t + C sin²t`` with ``A, B, C``
           the Gram entries, whose maximum over ``t`` is ``(A+C)/2 + √(((A−C)/2)² + B²)`` — the
           amplitude of a sinusoid, no eigenvalues involved.  In torch: ``matrix_norm(ord=2)``.
``lmax``   ``λ_max(WᵀW)``, the largest root of the characteristic polynomial (``eigvalsh``).
``svmax``  the largest singular value (``svdvals``).
``fro``    ``√(Σ w_ij²)``.
``rho``    the spectral radius ``max |λ_i(W)|`` (square matrices).
``maxabs`` ``max |w_ij|``.
``rank``   the rank.
``m, n``   rows and columns.
``c``      a parameter of the claim (the clipping constant of LIP-12).
========== =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
import torch

from kexue_verify import formula

__all__ = [
    "EXACT_MATRICES",
    "NAMES",
    "Decision",
    "decide_exact",
    "decide_float",
    "exact_quantities",
    "float_quantities",
    "parse_relation",
    "sup_two_columns",
]

NAMES = ("spec", "lmax", "svmax", "fro", "rho", "maxabs", "rank", "m", "n", "c")
_SYMBOLS = {name: sp.Symbol(name, nonnegative=True) for name in NAMES}


def parse_relation(text: str) -> sp.Basic:
    """A relation (``<=``, ``>=``, ``<``, ``>``, ``Eq``) in the vocabulary above, read by
    :func:`kexue_verify.formula.parse_relation` (never evaluated as Python)."""
    return formula.parse_relation(text, _SYMBOLS)


def sup_two_columns(w: sp.Matrix) -> sp.Expr:
    """``max_t ‖W(cos t, sin t)‖`` for a matrix with two columns, by the sinusoid amplitude (exact)."""
    if w.shape[1] != 2:
        raise ValueError("sup_two_columns needs exactly two columns")
    a = (w[:, 0].T * w[:, 0])[0]
    b = (w[:, 0].T * w[:, 1])[0]
    c = (w[:, 1].T * w[:, 1])[0]
    return sp.sqrt((a + c) / 2 + sp.sqrt(((a - c) / 2) ** 2 + b**2))


def exact_quantities(w: sp.Matrix) -> dict[str, sp.Expr]:
    """The vocabulary for an exact matrix with at most two rows or two columns."""
    tall = w if w.shape[1] <= 2 else w.T
    spec = sp.sqrt((tall.T * tall)[0]) if tall.shape[1] == 1 else sup_two_columns(tall)
    gram = w.T * w
    values = {
        "spec": spec,
        "lmax": sp.Max(*gram.eigenvals().keys()),
        "fro": sp.sqrt(sum(x**2 for x in w)),
        "maxabs": sp.Max(*[sp.Abs(x) for x in w]),
        "rank": sp.Integer(w.rank()),
        "m": sp.Integer(w.shape[0]),
        "n": sp.Integer(w.shape[1]),
    }
    values["svmax"] = sp.sqrt(values["lmax"])
    if w.shape[0] == w.shape[1]:
        values["rho"] = sp.Max(*[sp.Abs(ev) for ev in w.eigenvals()])
    return values


def float_quantities(w: torch.Tensor) -> dict[str, float]:
    """The vocabulary for a torch matrix, each by its own library routine."""
    values = {
        "spec": float(torch.linalg.matrix_norm(w, ord=2)),
        "lmax": float(torch.linalg.eigvalsh(w.T @ w)[-1]),
        "svmax": float(torch.linalg.svdvals(w)[0]),
        "fro": float(torch.linalg.matrix_norm(w)),
        "maxabs": float(w.abs().max()),
        "rank": int(torch.linalg.matrix_rank(w)),
        "m": w.shape[0],
        "n": w.shape[1],
    }
    if w.shape[0] == w.shape[1]:
        values["rho"] = float(torch.linalg.eigvals(w).abs().max())
    return values


@dataclass(frozen=True)
class Decision:
    """Whether a relation holds at one matrix: ``lhs``, ``rhs``, and the verdict (None: undecidable)."""

    holds: bool | None
    lhs: Any
    rhs: Any


#: Below this magnitude a 60-digit value of ``lhs − rhs`` does not settle its sign: it may be an exact 0.
_UNSETTLED = sp.Float("1e-45")


def _sign_exact(d: sp.Expr) -> int | None:
    """The sign of the number ``d``: read from its 60-digit value (SymPy's ``evalf``, which raises its working
    precision where terms cancel) when that is real and at least 10⁻⁴⁵ in size; otherwise ``d`` is simplified
    first, and is 0 only if SymPy reduces it to 0 (or, not a rational, ``nsimplify`` identifies its value as 0).
    Simplifying every ``d`` first gave the same signs on the Lipschitz topic (192 decisions) and took 97 % of their
    time, in ``simplify`` of numbers that are plainly not 0."""
    value = sp.N(d, 60)
    if value.is_real and abs(value) >= _UNSETTLED:
        return 1 if value > 0 else -1
    d = sp.simplify(d)
    if d == 0:
        return 0
    if d.is_Rational:  # exact: 10⁻⁵⁰ is not 0 (nsimplify below would round it to 0)
        return 1 if d > 0 else -1
    value = sp.N(d, 60)
    if not value.is_real:
        return None
    if abs(value) < _UNSETTLED:
        return 0 if sp.nsimplify(d) == 0 else None
    return 1 if value > 0 else -1


def _relation_holds(rel: sp.Basic, sign: int) -> bool:
    op = rel.rel_op
    return {"==": sign == 0, "<=": sign <= 0, ">=": sign >= 0, "<": sign < 0, ">": sign > 0}[op]


def decide_exact(rel: sp.Basic, values: dict[str, Any]) -> Decision:
    """Decide ``rel`` exactly: ``lhs − rhs`` simplified; its sign at 60 digits when not identically 0."""
    subs = {_SYMBOLS[k]: v for k, v in values.items() if k in _SYMBOLS}
    lhs, rhs = sp.sympify(rel.lhs).subs(subs), sp.sympify(rel.rhs).subs(subs)
    if lhs.free_symbols or rhs.free_symbols:
        return Decision(None, lhs, rhs)
    sign = _sign_exact(lhs - rhs)
    return Decision(None if sign is None else _relation_holds(rel, sign), lhs, rhs)


def decide_float(rel: sp.Basic, values: dict[str, float], tol: float) -> Decision:
    """Decide ``rel`` in floating point with absolute tolerance ``tol`` on ``lhs − rhs``."""
    names = sorted(str(s) for s in rel.free_symbols)
    if any(name not in values for name in names):
        return Decision(None, None, None)
    args = [values[name] for name in names]
    syms = [_SYMBOLS[name] for name in names]
    lhs = float(sp.lambdify(syms, rel.lhs, "math")(*args))
    rhs = float(sp.lambdify(syms, rel.rhs, "math")(*args))
    d = lhs - rhs
    sign = 0 if abs(d) <= tol else (1 if d > 0 else -1)
    return Decision(_relation_holds(rel, sign), lhs, rhs)


def _m(rows: list[list[int]]) -> sp.Matrix:
    return sp.Matrix(rows)


#: Exact matrices with a class tag: the post's counterexamples and normal and rectangular ones.
EXACT_MATRICES: dict[str, tuple[sp.Matrix, frozenset[str]]] = {
    "nilpotent [[0,1],[0,0]]": (_m([[0, 1], [0, 0]]), frozenset({"square", "triangular"})),
    "shear [[1,1],[0,1]]": (_m([[1, 1], [0, 1]]), frozenset({"square", "triangular"})),
    "symmetric [[2,-1],[-1,2]]": (_m([[2, -1], [-1, 2]]), frozenset({"square", "normal", "symmetric"})),
    "rotation [[0,-1],[1,0]]": (_m([[0, -1], [1, 0]]), frozenset({"square", "normal"})),
    "diagonal [[3,0],[0,1]]": (_m([[3, 0], [0, 1]]), frozenset({"square", "normal", "symmetric", "triangular"})),
    "generic [[1,2],[3,4]]": (_m([[1, 2], [3, 4]]), frozenset({"square"})),
    "ones 2×3": (sp.ones(2, 3), frozenset({"rectangular"})),
    "rank-one 3×2 [[1,2],[2,4],[3,6]]": (_m([[1, 2], [2, 4], [3, 6]]), frozenset({"rectangular"})),
}
