r"""CAP-2, CAP-5, CAP-6: the Gaussian density's normaliser, the misprinted shared-σ density, and the K-means limit.

The assertion of a density claim is a :class:`~..assertions.GaussianNormaliser` (``covariance`` ``"full"`` or
``"shared"``, ``two_pi_power`` ``(α, β)``): the stated normaliser is :math:`(2\pi)^{\alpha d+\beta}|\Sigma|^{1/2}`
(shared: :math:`\Sigma=\sigma^2I`).  Eq. (11) as printed is ``(0, ½)``; the correct one ``(½, 0)``.

* Symbolic: SymPy integrates :math:`e^{-\frac12x^\top\Sigma^{-1}x}` over :math:`\mathbb R^d` (shared σ symbolic, d =
  1, 2, 3; full Σ = [[2, 1], [1, 3]], d = 2) and divides by the stated normaliser.
* Numeric: a trapezoid rule on [−12σ, 12σ]^d (exponentially accurate for a Gaussian) in the run's dtype, and the
  stated log-density against ``torch.distributions.MultivariateNormal.log_prob`` at random points.

CAP-6: :math:`p(j|x)=\mathrm{softmax}_j(\ln\pi_j-\|x-\mu_j\|^2/2\sigma^2)`.  The responsibilities of a point nearer
to :math:`\mu_1` by :math:`\Delta` in squared distance tend to one-hot with the tail bound
:math:`1-p(1|x)\le\sum_{k\ne1}\frac{\pi_k}{\pi_1}e^{-\Delta_k/2\sigma^2}`, which the numeric check uses as its
threshold at the smallest σ.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.capsules.assertions import GaussianNormaliser, KMeansLimit, MisprintImpact

__all__ = ["density_numeric", "density_symbolic", "kmeans_numeric", "kmeans_symbolic", "misprint_impact_numeric"]

FULL_SIGMA = ((2, 1), (1, 3))


@functools.lru_cache(maxsize=8)
def _gaussian_integral(covariance: str, d: int) -> sp.Expr:
    """∫ exp(−½ xᵀΣ⁻¹x) dx over R^d by SymPy (cached: the false variants reuse it)."""
    xs = sp.symbols(f"x1:{d + 1}", real=True)
    if covariance == "shared":
        s = sp.Symbol("sigma", positive=True)
        quad = sum(x**2 for x in xs) / s**2
    else:
        sigma = sp.Matrix(FULL_SIGMA)
        vec = sp.Matrix(xs)
        quad = (vec.T * sigma.inv() * vec)[0]
    return sp.simplify(sp.integrate(sp.exp(-quad / 2), *[(x, -sp.oo, sp.oo) for x in xs]))


def _normaliser(covariance: str, d: int, power: tuple[float, float]) -> sp.Expr:
    alpha, beta = (sp.nsimplify(p) for p in power)
    det_root = sp.Symbol("sigma", positive=True) ** d if covariance == "shared" else sp.sqrt(
        sp.Matrix(FULL_SIGMA).det())
    return (2 * sp.pi) ** (alpha * d + beta) * det_root


def density_symbolic(ctx: CheckContext, a: GaussianNormaliser) -> Evidence:
    """SymPy: the stated density's integral is exactly 1 for each d checked."""
    dims = (1, 2, 3) if a.covariance == "shared" else (2,)
    values = {}
    for d in dims:
        values[d] = sp.simplify(_gaussian_integral(a.covariance, d) / _normaliser(a.covariance, d, a.two_pi_power))
    bad = {f"d={d}": str(v) for d, v in values.items() if sp.simplify(v - 1) != 0}
    return holds(f"∫ density dx = 1 for d in {list(dims)}", not bad, method="sympy.integrate over R^d",
                 counterexample=bad or None, integrals={f"d={d}": str(v) for d, v in values.items()})


def _covariance(ctx: CheckContext, covariance: str, d: int, gen: torch.Generator) -> torch.Tensor:
    if covariance == "shared":
        s = 0.5 + torch.rand((), generator=gen, dtype=torch.float64)
        return s**2 * torch.eye(d, dtype=torch.float64)
    m = torch.randn(d, d, generator=gen, dtype=torch.float64)
    return m @ m.T + 0.5 * torch.eye(d, dtype=torch.float64)


def _log_density(x: torch.Tensor, mu: torch.Tensor, cov: torch.Tensor, power: Sequence[float]) -> torch.Tensor:
    d = x.shape[-1]
    chol = torch.linalg.cholesky(cov)
    z = torch.linalg.solve_triangular(chol, (x - mu).unsqueeze(-1), upper=False).squeeze(-1)
    log_det = 2 * chol.diagonal().log().sum()
    return -0.5 * (z**2).sum(-1) - (power[0] * d + power[1]) * math.log(2 * math.pi) - 0.5 * log_det


def density_numeric(ctx: CheckContext, a: GaussianNormaliser) -> list[Evidence]:
    """Trapezoid integral of the stated density (d = 2, 3) and its log against torch.distributions."""
    gen = ctx.generator()
    out = []
    for d, points in ((2, 401), (3, 121)):
        cov = _covariance(ctx, a.covariance, d, gen)
        half = 12 * float(cov.diagonal().max().sqrt())
        axis = torch.linspace(-half, half, points, dtype=torch.float64)
        grid = torch.stack(torch.meshgrid(*[axis] * d, indexing="ij"), -1).reshape(-1, d)
        log_dens = _log_density(grid, torch.zeros(d, dtype=torch.float64), cov, a.two_pi_power)
        dens64 = log_dens.exp()
        dens = dens64.to(ctx.device, ctx.torch_dtype)
        cell = float(axis[1] - axis[0]) ** d
        integral = float(dens.sum()) * cell                      # the grid's edges carry ~e^{-72}: trapezoid = sum
        # Each value: γ of the d² + d + 8 operations of the log-density, times |ln p| (exp turns an absolute error
        # of the log into a relative one), averaged under p; then the cast and the pairwise sum in the run's dtype.
        weight = float((dens64 * (1 + log_dens.abs())).sum()) * cell
        tol = (tolerance("float64", n=d * d + d + 8, scale=weight)
               + tolerance(ctx.dtype, n=math.ceil(math.log2(dens.numel())) + 2, scale=max(integral, 1.0)))
        out.append(holds(f"trapezoid ∫ density over R^{d} = 1", abs(integral - 1) <= tol,
                         method=f"{points}^{d} grid on [−12σ, 12σ]^{d} ({ctx.dtype})", integral=integral,
                         error=abs(integral - 1), tolerance=tol,
                         counterexample=None if abs(integral - 1) <= tol else {"d": d, "integral": integral}))
    d = 3
    cov = _covariance(ctx, a.covariance, d, gen)
    x = torch.randn(64, d, generator=gen, dtype=torch.float64) * 2
    ref = torch.distributions.MultivariateNormal(torch.zeros(d, dtype=torch.float64), cov).log_prob(x)
    got = _log_density(x, torch.zeros(d, dtype=torch.float64), cov, a.two_pi_power)
    err = float((got - ref).abs().max())
    tol = tolerance("float64", n=4 * d, scale=float(ref.abs().max()), condition=float(torch.linalg.cond(cov)))
    out.append(holds("log-density = torch.distributions.MultivariateNormal.log_prob (d = 3)", err <= tol,
                     method="64 random points, float64", max_error=err, tolerance=tol,
                     counterexample=None if err <= tol else {"x": x[0].tolist(), "stated": float(got[0]),
                                                             "torch": float(ref[0])}))
    return out


def misprint_impact_numeric(ctx: CheckContext, a: MisprintImpact) -> Evidence:
    """Responsibilities and log-likelihood of a shared-σ mixture with the printed and the correct normaliser."""
    gen = ctx.generator()
    d, k, n = 3, 3, 200
    mu = 3 * torch.randn(k, d, generator=gen, dtype=torch.float64)
    pi = torch.softmax(torch.randn(k, generator=gen, dtype=torch.float64), 0)
    x = (mu[torch.randint(k, (n,), generator=gen)] + torch.randn(n, d, generator=gen, dtype=torch.float64)).to(
        ctx.device, ctx.torch_dtype)
    sigma = 1.3
    mu, pi = mu.to(x), pi.to(x)
    sq = ((x[:, None] - mu) ** 2).sum(-1)

    def joint(power: list[float]) -> torch.Tensor:
        return pi.log() - sq / (2 * sigma**2) - d * math.log(sigma) - (power[0] * d + power[1]) * math.log(2 * math.pi)

    printed, correct = joint([0.0, 0.5]), joint([0.5, 0.0])
    if a.quantity == "responsibilities":
        err = float((printed.softmax(-1) - correct.softmax(-1)).abs().max())
        tol = tolerance(ctx.dtype, n=k + 4)
    else:
        lp, lc = printed.logsumexp(-1).sum(), correct.logsumexp(-1).sum()
        err = float((lp - lc).abs())
        tol = tolerance(ctx.dtype, n=math.ceil(math.log2(n)) + k + 4, scale=float(lc.abs()))
    return holds(f"the {a.quantity} are the same with √(2π)σ^d and (2π)^(d/2)σ^d", err <= tol,
                 method=f"3-component mixture, d = 3, n = 200 ({ctx.dtype})", difference=err, tolerance=tol,
                 expected_log_likelihood_shift=n * (d - 1) / 2 * math.log(2 * math.pi),
                 counterexample=None if err <= tol else {"difference": err})


def kmeans_symbolic(ctx: CheckContext, a: KMeansLimit) -> Evidence:
    r"""SymPy: :math:`p(1|x)=\pi_1/(\pi_1+\pi_2e^{-\Delta/2\sigma^2})` with the point nearer μ₁ (Δ > 0), π₁ < π₂."""
    s, delta = sp.symbols("sigma Delta", positive=True)
    pi1, pi2 = sp.Rational(1, 4), sp.Rational(3, 4)
    p1 = pi1 / (pi1 + pi2 * sp.exp(-delta / (2 * s**2)))
    point = a.sigma_to.expr
    limit = sp.limit(p1, s, point, "+") if point == 0 else sp.limit(p1, s, sp.oo)
    predicted = {"nearest": 1, "largest-pi": 0}[a.assign]
    ok = sp.simplify(limit - predicted) == 0
    return holds(f"lim p(1|x) as σ → {a.sigma_to} is {predicted} (x nearer μ₁, π₁ = 1/4 < π₂ = 3/4)", ok,
                 method="sympy.limit", limit=str(limit), predicted=predicted,
                 counterexample=None if ok else {"limit": str(limit), "predicted": predicted})


def kmeans_numeric(ctx: CheckContext, a: KMeansLimit) -> Evidence:
    """Deviation of the responsibilities from the stated one-hot assignment along σ → 0 (or ∞)."""
    gen = ctx.generator()
    k, d, n = 3, 2, 400
    mu = 2 * torch.randn(k, d, generator=gen, dtype=torch.float64)
    pi = 0.2 + torch.rand(k, generator=gen, dtype=torch.float64)
    pi = pi / pi.sum()
    x = 3 * torch.randn(n, d, generator=gen, dtype=torch.float64)
    sq = ((x[:, None] - mu) ** 2).sum(-1)
    top2 = sq.topk(2, largest=False).values
    keep = (top2[:, 1] - top2[:, 0]) > 0.05                      # no (near-)ties
    x, sq = x[keep], sq[keep]
    targets = {"nearest": sq.argmin(-1), "largest-pi": pi.argmax().expand(len(x)),
               "nearest-printed": ((x[:, None] - mu**2) ** 2).sum(-1).argmin(-1)}
    target = targets[a.assign]
    sigmas = [1.0, 0.3, 0.1, 0.03] if a.sigma_to.expr == 0 else [1.0, 3.0, 10.0, 30.0]
    deviations = []
    for s in sigmas:
        logits = (pi.log() - sq / (2 * s**2)).to(ctx.device, ctx.torch_dtype)
        p = logits.softmax(-1).double().cpu()
        onehot = torch.nn.functional.one_hot(target, k).double()
        deviations.append(float((p - onehot).abs().max()))
    s = min(sigmas)
    nearest = sq.argmin(-1)
    gap = sq - sq.gather(1, nearest[:, None])
    ratio = pi[None] / pi[nearest][:, None]
    bound = float((ratio * (-gap / (2 * s**2)).exp()).sum(-1).sub(1).max()) * 2
    tol = bound + tolerance(ctx.dtype, n=k + 4)
    ok = deviations[-1] <= tol
    bad = int((targets[a.assign] != nearest).sum())
    return holds(f"max |p(j|x) − one-hot({a.assign})| → 0 as σ → {a.sigma_to}", ok,
                 method=f"{len(x)} points, 3 components, σ = {sigmas} ({ctx.dtype}); threshold: the tail bound "
                        "2Σ_k (π_k/π_j) e^{−Δ_k/2σ²} at the last σ plus rounding",
                 deviations=deviations, threshold=tol, points=len(x),
                 counterexample=None if ok else {"sigma": sigmas[-1], "deviation": deviations[-1],
                                                 "points_assigned_elsewhere_than_nearest": bad})
