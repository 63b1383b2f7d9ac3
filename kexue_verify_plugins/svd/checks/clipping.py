r"""SVD-9: ReLU as truncation of negative reconstructed frequencies.

Two claims formalise the post's remark.

1. **Clipping never hurts** (for nonnegative data): ``|max(a, 0) − m| ≤ |a − m|`` whenever ``m ≥ 0``
   (case ``a ≥ 0``: equality; case ``a < 0``: ``m ≤ m − a``), hence
   ``‖M − max(M_k, 0)‖_F ≤ ‖M − M_k‖_F`` for every nonnegative ``M``.  The clipped matrix is in
   general *not* of rank ``k``, so it is not the best nonnegative rank-``k`` approximation (that
   problem is NMF).
2. **Negatives need k ≥ 2**: for ``k = 1`` the truncated SVD of a nonnegative matrix is nonnegative
   (Perron–Frobenius: ``|v|ᵀA|v| ≥ vᵀAv`` termwise for ``A = MᵀM ≥ 0``, so the top singular vectors
   can be taken nonnegative); for ``k = 2`` negatives occur, exactly in
   ``M = [[5, 2, 0], [2, 4, 2], [0, 2, 3]]`` (eigenvalues 7, 4, 1), whose rank-2 truncation has the
   entry ``−2/9``.

The numeric checks use a Poisson(0.7) 30×20 matrix at ``k = 3`` (the catalogue's example) and 40
random nonnegative matrices of three kinds.
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import remember, tolerance
from kexue_verify_plugins.svd.assertions import ClippingError, FirstNegativeRank
from kexue_verify_plugins.svd.exact import rank_projector
from kexue_verify_plugins.svd.linalg import cpu_generator, truncated_svd

__all__ = [
    "EXACT_NONNEGATIVE",
    "clipping_numeric",
    "clipping_symbolic",
    "entrywise_inequality",
    "negatives_numeric",
    "negatives_symbolic",
]

#: A nonnegative integer matrix (eigenvalues 7, 4, 1) whose rank-2 truncated SVD has the entry −2/9.
EXACT_NONNEGATIVE = sp.Matrix([[5, 2, 0], [2, 4, 2], [0, 2, 3]])


def entrywise_inequality(domain: str) -> tuple[bool, dict[str, Any] | None]:
    """Decide ``|max(a, 0) − m| ≤ |a − m|`` for all real ``a`` and ``m`` in ``domain`` by the two cases of ``a``.

    Returns ``(proved, counterexample)``: SymPy decides the sign of the slack in each case from the
    symbols' assumptions; when it cannot, a grid of small rationals is searched for a violation.
    """
    m = sp.Symbol("m", nonnegative=True) if domain == "nonnegative" else sp.Symbol("m", real=True)
    cases = {"a >= 0": sp.Symbol("a", nonnegative=True), "a < 0": sp.Symbol("a", negative=True)}
    for case, a in cases.items():
        slack = sp.Abs(a - m) - sp.Abs(sp.Max(a, 0) - m)
        if sp.simplify(slack).is_nonnegative:
            continue
        grid = [sp.Rational(p, 2) for p in range(-6, 7)]
        for av, mv in itertools.product(grid, grid):
            if (av >= 0) != (case == "a >= 0") or (domain == "nonnegative" and mv < 0):
                continue
            value = slack.subs({a: av, m: mv})
            if value < 0:
                return False, {"case": case, "a": str(av), "m": str(mv), "|max(a,0) - m|": str(abs(max(av, 0) - mv)),
                               "|a - m|": str(abs(av - mv))}
        return False, None
    return True, None


def clipping_symbolic(ctx: CheckContext, a: ClippingError) -> list[Evidence]:
    """Proof by cases of the entrywise inequality; the exact 3×3 example at k = 2."""
    proved, counterexample = entrywise_inequality(a.data)
    never = a.clipping == "never-increases"
    evidence = [holds(f"|max(a,0) − m| ≤ |a − m| for real a, {a.data} m" if never
                      else "some entry gets worse after clipping", proved == never,
                      method="SymPy assumptions, cases a ≥ 0 and a < 0; rational grid search for a violation",
                      expected=f"clipping {a.clipping}", proved=proved, counterexample=counterexample)]
    m = EXACT_NONNEGATIVE
    approx = m * rank_projector(m, 2)
    clipped = approx.applyfunc(lambda x: sp.Max(x, 0))
    before = sum((x - y) ** 2 for x, y in zip(m, approx, strict=True))
    after = sum((x - y) ** 2 for x, y in zip(m, clipped, strict=True))
    name = "exact example: clipping M₂ lowers the error" if never else "exact example: clipping raises it"
    evidence.append(holds(name, (sp.nsimplify(after - before) <= 0) == never, method="SymPy, exact rationals",
                          error_before=str(before), error_after=str(after), smallest_entry=str(min(approx))))
    return evidence


def _samples(gen: torch.Generator, data: str) -> list[torch.Tensor]:
    """40 test matrices: Poisson(0.7), uniform and sparse nonnegative ones, or Gaussian ones for ``data="real"``."""
    shapes = [(30, 20), (20, 12), (12, 9), (40, 8)] * 10
    out = []
    for i, shape in enumerate(shapes):
        if data == "real":
            out.append(torch.randn(*shape, generator=gen, dtype=torch.float64))
        elif i % 3 == 0:
            out.append(torch.poisson(torch.full(shape, 0.7, dtype=torch.float64), generator=gen))
        elif i % 3 == 1:
            out.append(torch.rand(*shape, generator=gen, dtype=torch.float64))
        else:
            mask = torch.rand(*shape, generator=gen, dtype=torch.float64) < 0.3
            out.append(torch.rand(*shape, generator=gen, dtype=torch.float64) * mask)
    return out


def _errors(m: torch.Tensor, k: int) -> tuple[float, float, torch.Tensor]:
    approx = truncated_svd(m, k)
    clipped = approx.clamp(min=0)
    return float((m - approx).norm()), float((m - clipped).norm()), approx


def _clipping_runs(ctx: CheckContext, data: str) -> dict[str, Any]:
    """The measurements of :func:`clipping_numeric` (independent of the assertion, so computed once)."""
    gen = cpu_generator(ctx.seed)
    example = torch.poisson(torch.full((30, 20), 0.7, dtype=torch.float64), generator=gen)
    example = example.to(device=ctx.device, dtype=ctx.torch_dtype)
    before, after, approx = _errors(example, 3)
    out: dict[str, Any] = {
        "before": before, "after": after, "smallest": float(approx.min()),
        "tol": tolerance(ctx.dtype, n=example.numel(), scale=float(example.norm())),
        "rank": int(torch.linalg.matrix_rank(approx.clamp(min=0))), "worst": -float("inf"), "worst_case": None,
    }
    for i, m in enumerate(_samples(gen, data)):
        m = m.to(device=ctx.device, dtype=ctx.torch_dtype)
        k = 2 + i % 3
        e, e_clipped, _ = _errors(m, k)
        ratio = (e_clipped - e) / tolerance(ctx.dtype, n=m.numel(), scale=float(m.norm()))
        if ratio > out["worst"]:
            out["worst"] = ratio
            out["worst_case"] = {"sample": i, "shape": list(m.shape), "k": k, "error": e, "clipped_error": e_clipped}
    return out


def clipping_numeric(ctx: CheckContext, a: ClippingError) -> list[Evidence]:
    """The Poisson example at k = 3 and 40 random matrices at k = 2, 3, 4, in the run's dtype.

    "Increases" means by more than the rounding bound 8 γ_{mn} ‖M‖_F of the two norms.
    """
    run = remember(("clipping", ctx.seed, ctx.dtype, ctx.device, a.data), lambda: _clipping_runs(ctx, a.data))
    never = a.clipping == "never-increases"
    increased = run["worst"] > 1.0
    method = f"torch.linalg.svd ({ctx.dtype}, {ctx.device})"
    return [
        holds("Poisson(0.7) 30×20, k = 3: M₃ has negative entries and clipping lowers the error",
              run["smallest"] < -run["tol"] and run["after"] < run["before"] - run["tol"], method=method,
              smallest_entry=run["smallest"], error=run["before"], clipped_error=run["after"]),
        holds("‖M − max(M_k,0)‖ ≤ ‖M − M_k‖ on 40 random matrices" if never
              else "clipping raises the error on some random matrix", increased != never, method=method,
              expected=f"clipping {a.clipping} on {a.data} data",
              largest_increase_in_tolerances=run["worst"], counterexample=run["worst_case"]),
        holds("max(M₃, 0) has rank ≤ 3 (could be a rank-3 NMF)" if a.clipped_rank_at_most_k
              else "max(M₃, 0) has rank > 3, so it is not a nonnegative rank-3 approximation",
              (run["rank"] <= 3) == bool(a.clipped_rank_at_most_k), method="torch.linalg.matrix_rank",
              rank_after_clipping=run["rank"]),
    ]


def _negatives_lemma() -> bool:
    """``|x||y| ≥ x y`` for real ``x, y``, proved by SymPy in each of the four sign cases."""
    for sx, sy in itertools.product(("positive", "negative"), repeat=2):
        x, y = sp.Symbol("x", **{sx: True}), sp.Symbol("y", **{sy: True})
        if not sp.simplify(sp.Abs(x) * sp.Abs(y) - x * y).is_nonnegative:
            return False
    return True


def negatives_symbolic(ctx: CheckContext, a: FirstNegativeRank) -> list[Evidence]:
    """Perron–Frobenius lemma (k = 1 never negative) and the exact example (negatives at k = 2)."""
    lemma = _negatives_lemma()
    m = EXACT_NONNEGATIVE
    smallest = {k: min(m * rank_projector(m, k)) for k in (1, 2)}
    first = next((k for k in (1, 2) if smallest[k] < 0), None)
    stated = int(a.smallest_rank_with_negatives)
    evidence = [holds("|x||y| ≥ xy for real x, y (so |v| is a top singular vector when M ≥ 0)", lemma,
                      method="SymPy assumptions, four sign cases")]
    consistent = (stated > 1 if lemma else True) and first == stated
    evidence.append(holds(f"the smallest k with negative entries is {stated}", consistent,
                          method="SymPy exact truncated SVD of [[5,2,0],[2,4,2],[0,2,3]] + the lemma for k = 1",
                          smallest_entries={str(k): str(v) for k, v in smallest.items()},
                          counterexample={f"k={k} smallest entry": str(v) for k, v in smallest.items()}))
    return evidence


def _first_negative_ranks(ctx: CheckContext) -> tuple[list[int], float]:
    """For each of the 40 nonnegative matrices, the smallest k ≤ 3 with an entry of M_k below −8 γ_n σ₁ (0: none)."""
    gen = cpu_generator(ctx.seed)
    found: list[int] = []
    worst_rank_one = float("inf")
    for m in _samples(gen, "nonnegative"):
        m = m.to(device=ctx.device, dtype=ctx.torch_dtype)
        tol = tolerance(ctx.dtype, n=max(m.shape), scale=float(torch.linalg.matrix_norm(m, ord=2)))
        minima = {k: float(truncated_svd(m, k).min()) for k in (1, 2, 3)}
        worst_rank_one = min(worst_rank_one, minima[1] / tol)
        found.append(next((k for k in (1, 2, 3) if minima[k] < -tol), 0))
    return found, worst_rank_one


def negatives_numeric(ctx: CheckContext, a: FirstNegativeRank) -> Evidence:
    """40 random nonnegative matrices: the smallest k at which M_k has an entry below −tol, in the run's dtype."""
    found, worst_rank_one = remember(("negatives", ctx.seed, ctx.dtype, ctx.device),
                                     lambda: _first_negative_ranks(ctx))
    observed = min((k for k in found if k), default=0)
    stated = int(a.smallest_rank_with_negatives)
    return holds(f"smallest k with negative entries over 40 nonnegative matrices is {stated}", observed == stated,
                 method=f"torch.linalg.svd ({ctx.dtype}, {ctx.device}); negative means below −8 γ_n σ₁",
                 observed=observed, matrices_with_negatives_at_k2=sum(1 for k in found if k == 2),
                 rank_one_smallest_entry_in_tolerances=worst_rank_one)
