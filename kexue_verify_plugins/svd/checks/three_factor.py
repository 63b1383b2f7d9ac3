r"""SVD-6: the three-factor form ``M = A_{m×k} P_{k×l} Q_{l×n}`` is a two-factor model of inner dimension ``min(k, l)``.

``rank(APQ) ≤ min(rank A, rank P, rank Q) ≤ min(k, l)``, and generic factors attain it; conversely
every matrix of rank ``min(k, l)`` is such a product.  The assertion's ``max_rank``
(:class:`~kexue_verify_plugins.svd.assertions.ThreeFactorRank`) is a formula in ``k`` and ``l`` for the largest
rank the form can reach (for ``m, n ≥ k + l``); the claim says ``Min(k, l)``, the false variants ``k + l`` and
``Max(k, l)``.

* Symbolic: with symbolic entries (m = n = 3), every minor of order ``max_rank + 1`` of ``APQ``
  vanishes identically (SymPy ``expand``), and a product of random integer factors has exact rank
  ``max_rank`` (so the bound is attained); a draw of lower rank is non-generic, not a counterexample, and
  is drawn again (at most three times, entries in [−500, 500]).
* Numeric: ``torch.linalg.matrix_rank`` of products of Gaussian factors (m = n = 8, 1 ≤ k, l ≤ 4)
  equals ``max_rank``, and a random matrix of rank ``min(k, l)`` is rebuilt as ``APQ`` from its SVD.
"""

from __future__ import annotations

import itertools
import random

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.svd.assertions import ThreeFactorRank
from kexue_verify_plugins.svd.linalg import cpu_generator

__all__ = ["three_factor_numeric", "three_factor_symbolic"]

def _max_rank(a: ThreeFactorRank, k: int, l: int) -> int:  # noqa: E741 - l is the post's name
    """The stated ``max_rank`` at these ``k`` and ``l``."""
    symbol = a.max_rank.symbols
    return int(a.max_rank.expr.subs({symbol["k"]: k, symbol["l"]: l}))


#: Integer entries are drawn from [-WIDTH, WIDTH], at most DRAWS times: the rank of APQ falls below min(k, l)
#: only on the zero set of a nonzero polynomial of degree ≤ 3·min(k, l) in the entries, so by Schwartz–Zippel one
#: draw is deficient with probability ≤ 3·min(k, l)/(2·WIDTH + 1) < 1 %, and all DRAWS of them with < 10⁻⁶.
WIDTH, DRAWS = 500, 3


def _generic_instance(product: sp.Matrix, stated: int, rng: random.Random) -> tuple[sp.Matrix, int, int]:
    """A random integer instance of ``product`` of the highest rank found in up to :data:`DRAWS` draws.

    A single "random" instance may be non-generic (small entries make rank deficiency likely: a rank-1
    witness of a rank-2 form is no counterexample), so draws continue while the rank stays below ``stated``.
    Returns the instance, its exact rank and the number of draws made.
    """
    best: tuple[sp.Matrix, int] | None = None
    for draw in range(1, DRAWS + 1):
        values = {s: rng.randint(-WIDTH, WIDTH) for s in sorted(product.free_symbols, key=str)}
        instance = product.subs(values)
        rank = instance.rank()
        if best is None or rank > best[1]:
            best = (instance, rank)
        if rank >= min(stated, *product.shape):
            return instance, rank, draw
    assert best is not None
    return best[0], best[1], DRAWS


def three_factor_symbolic(ctx: CheckContext, a: ThreeFactorRank) -> list[Evidence]:
    """Minors of order r + 1 vanish identically (r = stated max rank); a random integer instance has rank r."""
    evidence = []
    rng = random.Random(ctx.seed)
    for k, l in ((2, 1), (1, 2), (2, 2)):  # noqa: E741
        r = _max_rank(a, k, l)
        fa = sp.Matrix(3, k, sp.symbols(f"a1:{3 * k + 1}"))
        fp = sp.Matrix(k, l, sp.symbols(f"p1:{k * l + 1}"))
        fq = sp.Matrix(l, 3, sp.symbols(f"q1:{3 * l + 1}"))
        product = fa * fp * fq
        order = r + 1
        vanish = order > 3 or all(
            sp.expand(product.extract(list(rows), list(cols)).det()) == 0
            for rows in itertools.combinations(range(3), order) for cols in itertools.combinations(range(3), order))
        instance, attained, draws = _generic_instance(product, r, rng)
        evidence.append(holds(f"k = {k}, l = {l}: rank(APQ) ≤ {r} identically and = {r} for random integers",
                              vanish and attained == min(r, 3), method="SymPy: minors of symbolic APQ; exact rank",
                              expected=f"max rank {r}", minors_vanish=vanish, rank_of_random_instance=attained,
                              instances_drawn=draws,
                              counterexample={"k": k, "l": l, "stated_max_rank": r, "rank_found": attained,
                                              "instance": [[int(x) for x in row] for row in instance.tolist()],
                                              "draws": draws}))
    return evidence


def three_factor_numeric(ctx: CheckContext, a: ThreeFactorRank) -> list[Evidence]:
    """Ranks of Gaussian products A P Q (8×8, k, l ≤ 4), and APQ rebuilt from the SVD of a rank-min(k, l) matrix."""
    gen = cpu_generator(ctx.seed)
    size = 8
    mismatches, rebuilt_errors = [], []
    for k, l in itertools.product(range(1, 5), repeat=2):  # noqa: E741
        fa, fp, fq = (torch.randn(*s, generator=gen, dtype=torch.float64) for s in ((size, k), (k, l), (l, size)))
        product = (fa @ fp @ fq).to(device=ctx.device, dtype=ctx.torch_dtype)
        rank = int(torch.linalg.matrix_rank(product))
        if rank != _max_rank(a, k, l):
            mismatches.append({"k": k, "l": l, "rank": rank, "stated": _max_rank(a, k, l)})
        r = min(k, l)
        target = torch.randn(size, r, generator=gen, dtype=torch.float64) @ torch.randn(r, size, generator=gen,
                                                                                       dtype=torch.float64)
        target = target.to(device=ctx.device, dtype=ctx.torch_dtype)
        u, s, vh = torch.linalg.svd(target)
        left = torch.zeros(size, k, dtype=target.dtype, device=target.device)
        left[:, :r] = u[:, :r]
        middle = torch.zeros(k, l, dtype=target.dtype, device=target.device)
        middle[:r, :r] = torch.diag(s[:r])
        right = torch.zeros(l, size, dtype=target.dtype, device=target.device)
        right[:r] = vh[:r]
        error = float((left @ middle @ right - target).norm())
        rebuilt_errors.append(error / tolerance(ctx.dtype, n=size, condition=1.0, scale=float(s[0])))
    return [
        holds("rank(APQ) of Gaussian factors equals the stated max rank for every 1 ≤ k, l ≤ 4",
              not mismatches, method=f"torch.linalg.matrix_rank ({ctx.dtype}), 8×8 products",
              expected=str(a.max_rank), counterexample=mismatches[:4], mismatches=len(mismatches)),
        holds("every rank-min(k, l) matrix is A P Q (built from its SVD)", max(rebuilt_errors) <= 1.0,
              method="‖A P Q − M‖_F against 8 γ₈ σ₁ (Higham)", worst_ratio_to_tolerance=max(rebuilt_errors)),
    ]
