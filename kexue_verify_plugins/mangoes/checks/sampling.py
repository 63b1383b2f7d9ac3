"""Check of MG-4: striking a few matches to judge the box, as sampling without replacement.

Draw n of N matches, of which a fraction p strike.  The hit count is hypergeometric, so p̂ = K/n is unbiased with
Var p̂ = p(1 − p)/n · (N − n)/(N − 1) (finite-population correction).  Hoeffding's inequality, which holds for
sampling without replacement too (Hoeffding 1963, Theorem 4), gives P(|p̂ − p| > ε) ≤ 2e^{−2nε²}, so
n ≥ ln(2/δ)/(2ε²) suffices for ±ε at confidence 1 − δ: n = 185 for ε = 0.1, δ = 0.05.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import sympy as sp
import sympy.stats as stats
import torch

from kexue_verify import CheckContext, Evidence, at_most, close, holds
from kexue_verify_plugins.mangoes.assertions import SampleSize

BOX = 1000  #: N, matches in the box
TRIALS = 10_000


def _n(a: SampleSize) -> int:
    """The sample size the stated formula gives at the stated ε and δ (rounded up)."""
    eps, delta = a.n_formula.symbols["eps"], a.n_formula.symbols["delta"]
    return int(sp.ceiling(a.n_formula.expr.subs({eps: a.eps.expr, delta: a.delta.expr})))


@cache
def exact_coverage(n: int, hits: int, box: int = BOX, eps: Fraction = Fraction(1, 10)) -> Fraction:
    """P(|K/n − p| ≤ ε) for K hypergeometric(box, hits, n), exactly, with p = hits/box."""
    p = Fraction(hits, box)
    total = math.comb(box, n)
    ks = range(max(0, n - box + hits), min(n, hits) + 1)
    good = sum(math.comb(hits, k) * math.comb(box - hits, n - k) for k in ks if abs(Fraction(k, n) - p) <= eps)
    return Fraction(good, total)


def sampling_symbolic(ctx: CheckContext, a: SampleSize) -> list[Evidence]:
    """SymPy: mean and variance of K/n from ``sympy.stats.Hypergeometric`` against the stated formula (several n,
    including n = N); Hoeffding solved for n; the exact coverage at the stated n for p = 1/2 (the worst case).
    """
    p_sym, n_sym, big_n = sp.symbols("p n N", positive=True)
    stated_var = a.variance.expr                                   # p, n, N positive, as p_sym, n_sym, big_n
    mismatches = []
    for box, hits, n in ((20, 6, 5), (20, 6, 20), (50, 25, 10), (30, 9, 30)):
        k = stats.Hypergeometric("K", box, hits, n)
        mean, var = sp.simplify(stats.E(k) / n), sp.simplify(stats.variance(k) / n**2)
        want = stated_var.subs({p_sym: sp.Rational(hits, box), n_sym: n, big_n: box})
        if mean != sp.Rational(hits, box) or sp.simplify(var - want) != 0:
            mismatches.append({"N": box, "hits": hits, "n": n, "variance": str(var), "stated": str(want)})
    eps, delta, n = sp.symbols("eps delta n", positive=True)
    hoeffding = sp.solve(sp.Eq(2 * sp.exp(-2 * n * eps**2), delta), n)[0]
    stated_n = a.n_formula.expr                                    # eps, delta positive, as here
    required = _n(a)
    coverage = exact_coverage(required, BOX // 2, eps=Fraction(a.eps))
    return [
        holds("E p̂ = p and Var p̂ = stated (sympy.stats.Hypergeometric)", not mismatches,
              method="exact, N ∈ {20, 30, 50}, n up to N", counterexample=mismatches[:2]),
        holds("n formula = Hoeffding's ln(2/δ)/(2ε²)", sp.simplify(stated_n - hoeffding) == 0,
              method="sympy.solve(2e^{−2nε²} = δ)", found=str(hoeffding), stated=a.n_formula,
              counterexample={"hoeffding": str(hoeffding), "stated": a.n_formula}),
        holds(f"stated n = {a.n} is the formula's", required == a.n, method="ceiling", formula_gives=required,
              counterexample={"formula_gives": required, "stated": a.n}),
        at_most(f"exact miss probability at n = {a.n}, p = 1/2, N = {BOX}", float(1 - exact_coverage(
                a.n, BOX // 2, eps=Fraction(a.eps))), float(Fraction(a.delta)),
                method="exact hypergeometric sum (integers)", formula_n_coverage=float(coverage),
                counterexample={"n": a.n, "coverage": float(exact_coverage(a.n, BOX // 2,
                                                                                eps=Fraction(a.eps)))}),
    ]


@cache
def _draws(seed: int, dtype: str, device: str, n: int, hits: int) -> torch.Tensor:
    """p̂ over TRIALS boxes: a random permutation of the N matches per trial, the first n struck (memoised)."""
    ctx = CheckContext(case_id="mangoes.matches", seed=seed, dtype=dtype, device=device)
    gen = ctx.generator(offset=n * 7919 + hits)
    box = torch.zeros(BOX, dtype=ctx.torch_dtype, device=ctx.device)
    box[:hits] = 1
    perm = torch.rand(TRIALS, BOX, generator=gen, device=ctx.device).argsort(dim=1)[:, :n]
    return box[perm].mean(dim=1)


def sampling_numeric(ctx: CheckContext, a: SampleSize) -> list[Evidence]:
    """torch Monte Carlo (10⁴ boxes of N = 1000): variance of p̂ at n = 50, 185, N against the stated formula, and
    the coverage of p̂ ± ε at the stated n.

    Variance: within 5 standard errors of the sample variance, √(2/(T − 1))·s² (plus rounding).  Coverage: the
    stated confidence must lie within 5 binomial standard errors of the measured coverage or below it.
    """
    p = 0.5
    names = a.variance.symbols
    var_formula = a.variance.expr
    evidence = []
    for n in (50, 185, BOX):
        phat = _draws(ctx.seed, ctx.dtype, ctx.device, n, int(p * BOX))
        s2 = float(phat.var())
        want = float(var_formula.subs({names["p"]: sp.Rational(1, 2), names["n"]: n, names["N"]: BOX}))
        tol = 5 * (2 / (TRIALS - 1)) ** 0.5 * s2 + 1e-12
        evidence.append(close(f"Var p̂ at n = {n}", s2, want, tol=tol, method=f"torch, {TRIALS} permutations "
                              f"({ctx.dtype})", counterexample={"n": n, "variance": s2, "stated": want}))
    phat = _draws(ctx.seed, ctx.dtype, ctx.device, a.n, int(p * BOX))
    eps, delta = float(Fraction(a.eps)), float(Fraction(a.delta))
    covered = float(((phat - p).abs() <= eps + 1e-9).double().mean())
    se = (covered * (1 - covered) / TRIALS) ** 0.5
    evidence.append(at_most(f"1 − δ ≤ coverage of p̂ ± {a.eps} at n = {a.n}", 1 - delta, covered,
                            tol=5 * se, method="Monte Carlo coverage, p = 1/2 (the worst case)",
                            counterexample={"n": a.n, "coverage": covered}))
    return evidence
