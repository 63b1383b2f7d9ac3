r"""CAP-8 … CAP-11: the entropy identity, the closed form of :math:`S_j`, the paper's cost (1) against Su's (14), and
activation (15) against eq. (2) and Procedure 1.

The key fact (CAP-9, CAP-10): with weights :math:`w_i` and :math:`\sigma^2=\sum_iw_i(x_i-\mu)^2/\sum_iw_i`,

.. math::  \sum_iw_i\frac{(x_i-\mu)^2}{2\sigma^2}=\frac12\sum_iw_i

whatever :math:`\sum_iw_i` is.  So for the paper's unnormalised :math:`r_{ij}=a_iR_{ij}` the cost per pose dimension
is :math:`(\ln\sigma+\frac{1+\ln2\pi}2)\sum_ir_{ij}` — eq. (1) — while Su's (14) has :math:`\frac d2` without the
factor :math:`\sum_ir_{ij}` and is off by :math:`\frac d2(\sum_ir_{ij}-1)`.
"""

from __future__ import annotations

import math

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Formula, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.capsules.assertions import ActivationFamily, CostFormula, EntropyClosedForm, EntropyEstimate

__all__ = ["activation_numeric", "closed_form_numeric", "cost_numeric", "entropy_mc_numeric"]

LOG_2PI = math.log(2 * math.pi)
C = (1 + LOG_2PI) / 2


def entropy_mc_numeric(ctx: CheckContext, a: EntropyEstimate) -> Evidence:
    r"""Monte-Carlo :math:`-\frac{1}{n\pi_1}\sum_iR_{i1}\ln p(x_i|1)` for a 1-D two-component mixture, n up to 10⁶,
    against the exact entropy :math:`\frac12\ln(2\pi e\sigma_1^2)`; pass within 5 standard errors."""
    gen = ctx.generator()
    pi = torch.tensor([0.3, 0.7], dtype=torch.float64)
    mu, sd = torch.tensor([-1.0, 2.0], dtype=torch.float64), torch.tensor([0.8, 1.5], dtype=torch.float64)
    exact = 0.5 * math.log(2 * math.pi * math.e * float(sd[0]) ** 2)
    estimates, errors = [], []
    for n in (10**3, 10**4, 10**5, 10**6):
        z = torch.multinomial(pi, n, replacement=True, generator=gen)
        x = (mu[z] + sd[z] * torch.randn(n, generator=gen, dtype=torch.float64)).to(ctx.device, ctx.torch_dtype)
        m, s, p = mu.to(x), sd.to(x), pi.to(x)
        log_lik = torch.distributions.Normal(m, s).log_prob(x[:, None])          # ln p(x_i|j)
        post = torch.softmax(p.log() + log_lik, -1)
        w = post[:, 0] if a.weights == "posterior" else log_lik[:, 0].exp()
        scale = 1 / (n * float(pi[0])) if a.scale == "1/(n pi)" else 1 / n
        terms = -(w * log_lik[:, 0]).double() * scale * n
        estimates.append(float(terms.mean()))
        errors.append(float(terms.std()) / math.sqrt(n))
    rounding = tolerance(ctx.dtype, n=math.ceil(math.log2(10**6)) + 8, scale=abs(exact))
    gap = abs(estimates[-1] - exact)
    ok = gap <= 5 * errors[-1] + rounding
    return holds(f"the estimate with weights {a.weights} and scale {a.scale} converges to ½ln(2πeσ₁²)", ok,
                 method=f"Monte Carlo, n = 10³ … 10⁶ ({ctx.dtype}); pass within 5 standard errors at n = 10⁶",
                 estimates=estimates, standard_errors=errors, exact=exact, gap=gap,
                 counterexample=None if ok else {"n": 10**6, "estimate": estimates[-1], "exact": exact,
                                                 "standard_error": errors[-1]})


def _weighted(ctx: CheckContext, n: int, d: int, weights: str, variance: str, offset: int = 0
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Votes x (n, d), weights r (normalised or a_iR_i), and the r-weighted μ and σ² (divided by Σr or n)."""
    gen = ctx.generator(offset)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64) * 1.5 + 0.5
    a_in = 0.3 + 0.7 * torch.rand(n, generator=gen, dtype=torch.float64)
    big_r = 0.2 + 0.7 * torch.rand(n, generator=gen, dtype=torch.float64)
    r = a_in * big_r
    if weights == "normalised":
        r = r / r.sum()
    x, r = x.to(ctx.device, ctx.torch_dtype), r.to(ctx.device, ctx.torch_dtype)
    mu = (r[:, None] * x).sum(0) / r.sum()
    div = r.sum() if variance == "sum-r" else torch.tensor(float(n), dtype=x.dtype, device=x.device)
    sigma2 = (r[:, None] * (x - mu) ** 2).sum(0) / div
    return x, r, mu, sigma2


def _direct(x: torch.Tensor, r: torch.Tensor, mu: torch.Tensor, sigma2: torch.Tensor) -> torch.Tensor:
    """−Σ_i r_i Σ_l ln N(x_il; μ_l, σ_l²), by torch.distributions."""
    return -(r[:, None] * torch.distributions.Normal(mu, sigma2.sqrt()).log_prob(x)).sum()


def closed_form_numeric(ctx: CheckContext, a: EntropyClosedForm) -> list[Evidence]:
    """d = 16, n = 50, Σr = 1: the direct sum, the stated closed form and the entropy of N(μ, diag σ²)."""
    n, d = 50, 16
    x, r, mu, sigma2 = _weighted(ctx, n, d, "normalised", "sum-r")
    direct = float(_direct(x, r, mu, sigma2))
    entropy = float(torch.distributions.Normal(mu, sigma2.sqrt()).entropy().sum())
    stated = a.half_d * d + a.log_2pi * d * LOG_2PI + a.log_sigma2 * float(sigma2.log().sum())
    tol = tolerance(ctx.dtype, n=n + d + 4, scale=d * (1 + LOG_2PI + float(sigma2.log().abs().max())))
    return [holds(f"stated closed form = {name}", abs(stated - value) <= tol,
                  method=f"d = 16, n = 50, Σ_i r_i = 1 ({ctx.dtype})", stated=stated, value=value, tolerance=tol,
                  counterexample=None if abs(stated - value) <= tol else {"stated": stated, name: value})
            for name, value in (("direct −Σ r ln p", direct), ("entropy of N(μ, diag σ²)", entropy))]


def _cost_formula(formula: str, sigma2: torch.Tensor, amount: float) -> float:
    d = sigma2.numel()
    log_sigma = 0.5 * float(sigma2.log().sum())
    if formula == "eq-1":
        return (log_sigma + d * C) * amount
    if formula == "eq-1-without-half":
        return (log_sigma + d * LOG_2PI / 2) * amount
    if formula == "su-14":
        return d / 2 + (log_sigma + d * LOG_2PI / 2) * amount
    raise ValueError(f"unknown cost formula {formula!r}")


def cost_numeric(ctx: CheckContext, a: CostFormula) -> list[Evidence]:
    """Σ_h Σ_i −r_ij ln N(V^h; μ^h, σ^h) against the stated formula, n = 40 children, d = 16, r_ij = a_iR_ij."""
    n, d = 40, 16
    x, r, mu, sigma2 = _weighted(ctx, n, d, a.weights, a.variance)
    amount = float(r.sum())
    direct = float(_direct(x, r, mu, sigma2))
    stated = _cost_formula(a.formula, sigma2, amount)
    tol = tolerance(ctx.dtype, n=n + d + 4, scale=amount * d * (1 + LOG_2PI + float(sigma2.log().abs().max())))
    ok = abs(direct - stated) <= tol
    ev = [holds(f"Σ_h cost_j^h = {a.formula} (weights {a.weights}, σ² divided by {a.variance})", ok,
                method=f"torch.distributions, n = {n}, d = {d} ({ctx.dtype})", sum_r=amount, direct=direct,
                stated=stated, difference=direct - stated, d_half_sum_r_minus_1=d / 2 * (amount - 1), tolerance=tol,
                counterexample=None if ok else {"sum_r": amount, "direct": direct, "stated": stated,
                                                "difference": direct - stated,
                                                "d/2 (sum_r - 1)": d / 2 * (amount - 1)})]
    if a.formula == "su-14":
        _, _, _, s2n = _weighted(ctx, n, d, "normalised", "sum-r")
        same = abs(_cost_formula("su-14", s2n, 1.0) - _cost_formula("eq-1", s2n, 1.0))
        ev.append(holds("with normalised r (Σ_i r_ij = 1) Su's (14) and eq. (1) coincide",
                        same <= tol, difference=same, tolerance=tol))
    return ev


def _values(formula: Formula, **values: float) -> dict[sp.Symbol, float]:
    """``values`` keyed by the formula's own symbols, for ``formula.expr.subs``."""
    return {formula.symbols[name]: value for name, value in values.items()}


def activation_numeric(ctx: CheckContext, a: ActivationFamily) -> list[Evidence]:
    """The logit of a_j by eq. (2), by Procedure 1 read literally (cost summed over h) and by (15)."""
    gen = ctx.generator()
    d = 16
    sigma2 = (0.2 + 2 * torch.rand(d, generator=gen, dtype=torch.float64)).to(ctx.device, ctx.torch_dtype)
    amount, beta_u, beta_a = (float(v) for v in 3 * torch.rand(3, generator=gen, dtype=torch.float64) - 1)
    amount = abs(amount) + 0.5
    log_sigma = 0.5 * sigma2.log()
    eq2 = beta_a - beta_u * amount - float(((log_sigma + C) * amount).sum())
    beta_u1 = (beta_u + d * C) / d                                 # the relation d β_u′ = β_u + d c that holds
    if a.beta_u_prime is not None:                                 # the stated β_u′
        beta_u1 = float(a.beta_u_prime.expr.subs(_values(a.beta_u_prime, beta_u=beta_u, d=d, c=C)))
    literal = beta_a - float(((beta_u1 + log_sigma) * amount).sum())          # Procedure 1: Σ_h (β_u′ + ln σ_h) S
    count = int(a.beta_u_count.expr.subs(_values(a.beta_u_count, d=d)))
    reading = beta_a - (count * beta_u1 + float(log_sigma.sum())) * amount
    eq15 = beta_a - (beta_u + d * C + float(log_sigma.sum())) * amount
    tol = tolerance(ctx.dtype, n=d + 8, scale=amount * d * (abs(beta_u1) + C + float(log_sigma.abs().max())))
    reparam = abs(literal - eq2) <= tol and abs(eq15 - eq2) <= tol
    if a.beta_u_prime is None:
        first = holds("no β_u′ makes Procedure 1 equal eq. (2)", not reparam,
                      counterexample={"beta_u_prime": beta_u1, "procedure_1": literal, "eq_2": eq2} if reparam
                      else None, tolerance=tol)
    else:
        first = holds("with dβ_u′ = β_u″ = β_u + d(1 + ln2π)/2, Procedure 1 and (15) equal eq. (2)", reparam,
                      procedure_1=literal, eq_15=eq15, eq_2=eq2, tolerance=tol,
                      counterexample=None if reparam else {"procedure_1": literal, "eq_15": eq15, "eq_2": eq2})
    ok = abs(reading - literal) <= tol
    return [first, holds(f"Procedure 1's Σ_h cost^h adds β_u′ {a.beta_u_count} times", ok,
                         method=f"literal sum over the {d} pose entries ({ctx.dtype})", literal=literal,
                         reading=reading, tolerance=tol,
                         counterexample=None if ok else {"literal": literal, "reading": reading,
                                                         "beta_u_prime": beta_u1})]
