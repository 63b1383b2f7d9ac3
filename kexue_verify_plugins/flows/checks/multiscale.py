r"""Checks of the multi-scale architecture: FLOW-7 (the sizes of the factored-out parts), FLOW-8 (the conditional
prior), FLOW-15 (the split prior as a conditional actnorm) and FLOW-21 (sampling at a temperature).

SymPy on the Gaussian log-density and ``sympy.stats``; torch on the split prior and the multi-scale Glow of
:mod:`..multiscale` with perturbed parameters, and Gauss–Legendre quadrature of the conditional density.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows import layers, multiscale
from kexue_verify_plugins.flows.assertions import ConditionalActnorm, ConditionalPrior, MultiscaleSizes, Temperature
from kexue_verify_plugins.flows.checks.common import plain
from kexue_verify_plugins.flows.checks.formulas import as_tensor, to_torch, witness
from kexue_verify_plugins.flows.checks.instances import randn, small_layer

__all__ = ["conditional_actnorm_numeric", "conditional_actnorm_symbolic", "conditional_prior_numeric",
           "conditional_prior_symbolic", "multiscale_numeric", "multiscale_symbolic", "temperature_numeric",
           "temperature_symbolic"]


# --------------------------------------------------------------------------------------------- FLOW-7


def multiscale_symbolic(ctx: CheckContext, a: MultiscaleSizes) -> list[Evidence]:
    """SymPy: the stated sizes add up to the stated total, and a bijection's total output is D."""
    d = a.total.symbols["D"]
    sizes = [s.expr for s in a.sizes]
    total = a.total.expr
    return [holds("Σ sizes = stated total", sp.simplify(sum(sizes) - total) == 0, method="sympy",
                  counterexample={"sum_of_sizes": str(sum(sizes)), "total": str(total)}),
            holds("stated total = D (the flow is a bijection of R^D)", sp.simplify(total - d) == 0, method="sympy",
                  counterexample={"total": str(total)})]


def multiscale_numeric(ctx: CheckContext, a: MultiscaleSizes) -> list[Evidence]:
    """torch: a multi-scale Glow (L = 3, K = 1) on one 3×32×32 input; the sizes of its outputs and their total."""
    with layers.seeded(ctx.seed) as gen:
        flow = multiscale.MultiScaleGlow((3, 32, 32), gen, levels=3, depth=1, hidden=4)
    flow = flow.to(device=ctx.device, dtype=ctx.torch_dtype)
    x = randn(ctx, 1, 3, 32, 32)
    with torch.no_grad():
        y, _ = flow(x)
    measured = flow.output_sizes()
    d = a.total.symbols["D"]
    stated = [int(s.expr.subs(d, 3072)) for s in a.sizes]
    total = int(a.total.expr.subs(d, 3072))
    return [holds("sizes of the factored-out parts (32×32×3)", measured == stated, method="torch, Glow L = 3",
                  expected=stated, counterexample={"measured": measured, "stated": stated}),
            holds("total output entries", y.shape[1] == total, method="torch forward", expected=total,
                  counterexample={"measured": int(y.shape[1]), "stated": total})]


# --------------------------------------------------------------------------------------------- FLOW-8


def _normal_logpdf(z: sp.Expr, mu: sp.Expr, sigma: sp.Expr) -> sp.Expr:
    return -(z - mu) ** 2 / (2 * sigma**2) - sp.log(sigma) - sp.log(2 * sp.pi) / 2


def conditional_prior_symbolic(ctx: CheckContext, a: ConditionalPrior) -> Evidence:
    """SymPy: log N(z; μ, σ²) − [log N((z−μ)/σ; 0, 1) + stated correction] = 0."""
    z, mu = sp.symbols("z mu", real=True)
    sigma = a.correction.symbols["sigma"]
    correction = a.correction.expr
    diff = _normal_logpdf(z, mu, sigma) - (_normal_logpdf((z - mu) / sigma, 0, 1) + correction)
    return witness(diff, {sigma: 2, z: 1, mu: 0}, "log N(z;μ,σ²) − log N(ẑ;0,1) − correction = 0")


def _quadrature_1d(fn: Callable[[torch.Tensor], torch.Tensor], nodes: int) -> float:
    u, w = np.polynomial.legendre.leggauss(nodes)
    u64, w64 = torch.as_tensor(u), torch.as_tensor(w)
    x = u64 / (1 - u64**2)
    return float((w64 * (1 + u64**2) / (1 - u64**2) ** 2 * fn(x)).sum())


def conditional_prior_numeric(ctx: CheckContext, a: ConditionalPrior) -> list[Evidence]:
    """torch: (1) the split prior's ``Normal(μ,σ).log_prob`` against the standardised form with the stated
    correction; (2) the conditional density ∫ p(z₂ | ·) dz₂ by Gauss–Legendre quadrature (after z = u/(1−u²),
    error estimate |Q₂ₙ − Qₙ|), with μ, σ computed from the other half or (variant) from z₂ itself."""
    layer = small_layer(ctx, lambda gen: multiscale.SplitPrior((4, 4, 4), hidden=8))
    x = randn(ctx, 3, 4, 4, 4)
    correction = to_torch(a.correction.expr, [a.correction.symbols["sigma"]])
    with torch.no_grad():
        z1, z2 = layers.split_halves(x)
        mu, log_sigma = layer.mean_and_log_std(z1)
        sigma = log_sigma.exp()
        direct = layer.log_prior(x)
        standard = torch.distributions.Normal(0.0, 1.0).log_prob((z2 - mu) / sigma)
        via = layers.per_sample(standard + correction(sigma))
    tol = tolerance(ctx.dtype, n=z2[0].numel(), scale=float(direct.abs().max()) + z2[0].numel())
    ev = [close("Σ log N(z₂;μ,σ²) = Σ [log N(ẑ;0,1) + correction]", float((direct - via).abs().max()), 0.0, tol=tol,
                method=f"torch.distributions.Normal ({ctx.dtype}, {ctx.device}), split prior on 4×4×4",
                counterexample={"direct": plain(direct[0]), "standardised_plus_correction": plain(via[0])})]
    vec = small_layer(ctx, lambda gen: multiscale.SplitPrior((2,), hidden=8), scale=0.5).to(torch.float64).cpu()

    def density(z2_grid: torch.Tensor, z1_value: float) -> torch.Tensor:
        cond = torch.full_like(z2_grid, z1_value) if a.conditioner == "other-half" else z2_grid
        with torch.no_grad():
            m, ls = vec.mean_and_log_std(cond.reshape(-1, 1))
        return torch.distributions.Normal(m.reshape(-1), ls.exp().reshape(-1)).log_prob(z2_grid).exp()

    worst = None
    for z1_value in (-1.5, 0.0, 0.7):

        def at_z1(g: torch.Tensor, v: float = z1_value) -> torch.Tensor:
            return density(g, v)

        coarse = _quadrature_1d(at_z1, 200)
        fine = _quadrature_1d(at_z1, 400)
        dev = abs(fine - 1) - abs(fine - coarse) - tolerance("float64", n=400)
        if worst is None or dev > worst[0]:
            worst = (dev, z1_value, fine, abs(fine - coarse))
    assert worst is not None  # the loop ran three times
    ev.append(holds("∫ p(z₂ | conditioner) dz₂ = 1", worst[0] <= 0,
                    method="Gauss–Legendre 400 nodes after z = u/(1−u²), float64, three values of z₁",
                    expected="|∫ − 1| ≤ |Q₄₀₀ − Q₂₀₀| + rounding",
                    counterexample={"z1": worst[1], "integral": worst[2], "conditioner": a.conditioner},
                    integral=worst[2], error_estimate=worst[3]))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-15


def conditional_actnorm_symbolic(ctx: CheckContext, a: ConditionalActnorm) -> Evidence:
    """SymPy: log N(z₂; μ, σ²) = log N(ẑ; 0, 1) + stated log-det, with the stated ẑ."""
    z2, mu, sigma = (a.zhat.symbols[n] for n in ("z2", "mu", "sigma"))
    zhat, logdet = a.zhat.expr, a.logdet.expr
    diff = _normal_logpdf(z2, mu, sigma) - (_normal_logpdf(zhat, 0, 1) + logdet)
    return witness(diff, {sigma: 2, z2: 1, mu: 0}, "log N(z₂;μ,σ²) − log N(ẑ;0,1) − log-det = 0")


def conditional_actnorm_numeric(ctx: CheckContext, a: ConditionalActnorm) -> list[Evidence]:
    """torch: the split layer's own output and log-det against the stated ẑ and log-det, and the split prior
    ``Normal(μ(z₁), σ(z₁)).log_prob(z₂)`` against ``Normal(0,1).log_prob(ẑ) + log-det`` (4×4×4, perturbed)."""
    layer = small_layer(ctx, lambda gen: multiscale.SplitPrior((4, 4, 4), hidden=8))
    x = randn(ctx, 3, 4, 4, 4)
    syms = [a.zhat.symbols[n] for n in ("z2", "mu", "sigma")]
    zhat_fn = to_torch(a.zhat.expr, syms)
    ld_fn = to_torch(a.logdet.expr, syms)
    with torch.no_grad():
        z1, z2 = layers.split_halves(x)
        mu, log_sigma = layer.mean_and_log_std(z1)
        sigma = log_sigma.exp()
        zhat = zhat_fn(z2, mu, sigma)
        ld = layers.per_sample(as_tensor(ld_fn(z2, mu, sigma)).expand_as(z2))
        y, layer_ld = layer(x)
        prior = layer.log_prior(x)
        via = layers.per_sample(torch.distributions.Normal(0.0, 1.0).log_prob(zhat)) + ld
    n = z2[0].numel()
    tol = tolerance(ctx.dtype, n=n, scale=float(prior.abs().max()) + n)
    return [
        close("layer output = stated ẑ", float((layers.split_halves(y)[1] - zhat).abs().max()), 0.0,
              tol=tolerance(ctx.dtype, n=4, scale=float(zhat.abs().max()) + 1), method="torch"),
        close("layer log-det = stated log-det", float((layer_ld - ld).abs().max()), 0.0, tol=tol, method="torch"),
        close("split prior = N(ẑ;0,I) + log-det", float((prior - via).abs().max()), 0.0, tol=tol,
              method=f"torch.distributions.Normal ({ctx.dtype}, {ctx.device})",
              counterexample={"prior": plain(prior[0]), "standard_plus_logdet": plain(via[0])}),
    ]


# --------------------------------------------------------------------------------------------- FLOW-21


def temperature_symbolic(ctx: CheckContext, a: Temperature) -> Evidence:
    """SymPy (sympy.stats): Var(μ + Tσε)/σ² for ε ~ N(0, 1), against the stated factor."""
    from sympy.stats import Normal, variance

    mu = sp.Symbol("mu", real=True)
    sigma, t = sp.Symbol("sigma", positive=True), a.variance_factor.symbols["T"]
    ratio = sp.simplify(variance(mu + t * sigma * Normal("eps", 0, 1)) / sigma**2)
    stated = a.variance_factor.expr
    return holds("Var(z)/σ² = stated factor", sp.simplify(ratio - stated) == 0, method="sympy.stats.variance",
                 expected=str(ratio), counterexample={"T": 0.8, "variance_factor": float(ratio.subs(t, 0.8)),
                                                      "stated": float(stated.subs(t, 0.8))})


def temperature_numeric(ctx: CheckContext, a: Temperature) -> Evidence:
    """torch: the split prior samples z₂ = μ + Tσε at T = 0.8 (4×4×4, perturbed, 1024 draws per entry); the variance
    of (z₂ − μ)/σ against the stated factor.  Tolerance: 6 standard errors of a sample variance, 6·f·√(2/(n−1))."""
    layer = small_layer(ctx, lambda gen: multiscale.SplitPrior((4, 4, 4), hidden=8))
    temp = float(a.temperature)
    z1 = randn(ctx, 1, 2, 4, 4).expand(1024, 2, 4, 4)
    gen = ctx.generator(0, device="cpu")
    with torch.no_grad():
        mu, log_sigma = layer.mean_and_log_std(z1)
        z2 = layer.sample(z1, temp, gen)
        standardised = ((z2 - mu) / log_sigma.exp()).to(torch.float64)
    n = standardised.numel()
    measured = float(standardised.var())
    stated = float(a.variance_factor.expr.subs(a.variance_factor.symbols["T"], temp))
    tol = 6 * stated * math.sqrt(2 / (n - 1)) + tolerance(ctx.dtype, n=4)
    return close("Var((z₂ − μ)/σ) = stated factor at T = 0.8", measured, stated, tol=tol,
                 method=f"{n} draws, {ctx.dtype}", counterexample={"T": temp, "measured_variance": measured,
                                                                   "stated": stated})
