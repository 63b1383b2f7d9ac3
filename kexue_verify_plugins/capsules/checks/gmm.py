r"""CAP-3, CAP-4, CAP-7, CAP-14: EM for Gaussian mixtures, routing 1 as EM algorithm 2, and GMM vs K-means.

EM (the post's algorithms 1 and 2, Bishop §9.2): with :math:`\gamma_{ij}=p(j|x_i)`,

.. math::  \pi_j=\frac1n\sum_i\gamma_{ij},\quad \mu_j=\frac{\sum_i\gamma_{ij}x_i}{n\pi_j},\quad
           \Sigma_j=\frac{\sum_i\gamma_{ij}(x_i-\mu_j)(x_i-\mu_j)^\top}{n\pi_j}\ (\text{or its diagonal}).

The numeric check runs the stated updates on a 2-D three-component mixture (300 points) and asks two things of
them, measured independently of the update code: the log-likelihood (``torch.distributions``) never decreases, and
at the fixed point the autograd gradient of the mean log-likelihood with respect to (μ, Cholesky factor or log σ,
mixture logits), in float64, is ≈ 0 — which is what makes the fixed point a maximum-likelihood candidate.
"""

from __future__ import annotations

import dataclasses
import math
from typing import cast

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import eps, tolerance
from kexue_verify_plugins.capsules.assertions import ClusterRecovery, EMUpdates, Routing1

__all__ = ["adjusted_rand_index", "clusters_numeric", "em_numeric", "fit_gmm", "kmeans", "routing_1_numeric"]


def mixture_data(gen: torch.Generator, n: int = 300) -> tuple[Tensor, Tensor]:
    """Three 2-D Gaussian clusters with different shapes, and their labels (float64)."""
    means = torch.tensor([[0.0, 0.0], [4.0, 1.0], [1.0, 4.5]], dtype=torch.float64)
    shapes = torch.tensor([[[1.0, 0.0], [0.6, 0.5]], [[0.7, 0.0], [-0.3, 1.1]], [[0.5, 0.0], [0.0, 0.9]]],
                          dtype=torch.float64)
    labels = torch.arange(n) % 3
    z = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    return means[labels] + torch.einsum("nab,nb->na", shapes[labels], z), labels


def log_likelihood(x: Tensor, pi: Tensor, mu: Tensor, cov: Tensor) -> Tensor:
    """Σ_i ln Σ_j π_j N(x_i; μ_j, Σ_j) by ``torch.distributions`` (π need not sum to 1: it is used as given)."""
    comp = torch.distributions.MultivariateNormal(mu, covariance_matrix=cov)
    return torch.logsumexp(pi.log() + comp.log_prob(x[:, None]), -1).sum()


def em_step(x: Tensor, pi: Tensor, mu: Tensor, cov: Tensor, a: EMUpdates) -> tuple[Tensor, Tensor, Tensor]:
    """One EM iteration with the stated updates (``a``: sigma_divisor, pi, mu_divisor, covariance)."""
    n = x.shape[0]
    comp = torch.distributions.MultivariateNormal(mu, covariance_matrix=cov)
    log_lik = comp.log_prob(x[:, None])                                  # ln p(x_i|j), (n, k)
    post = torch.softmax(pi.log() + log_lik, -1)                          # p(j|x_i)
    n_pi = post.sum(0)
    new_pi = n_pi / n if a.pi == "posterior" else log_lik.exp().mean(0)
    mu_div = n_pi if a.mu_divisor == "n_pi" else torch.full_like(n_pi, n)
    new_mu = post.T @ x / mu_div[:, None]
    dev = x[:, None] - new_mu                                             # (n, k, d)
    div = n_pi if a.sigma_divisor == "n_pi" else n_pi - 1
    new_cov = torch.einsum("nk,nka,nkb->kab", post, dev, dev) / div[:, None, None]
    if a.covariance == "diagonal":
        new_cov = torch.diag_embed(new_cov.diagonal(dim1=-2, dim2=-1))
    return new_pi, new_mu, new_cov


def stationarity_gradient(x: Tensor, pi: Tensor, mu: Tensor, cov: Tensor, covariance: str) -> float:
    """max |∇ (1/n) ln L| over (μ, Cholesky factor or log σ, logits), float64."""
    x, pi, mu, cov = (t.detach().double().cpu() for t in (x, pi, mu, cov))
    logits = (pi / pi.sum()).log().requires_grad_(True)
    mu = mu.clone().requires_grad_(True)
    if covariance == "diagonal":
        log_sd = (0.5 * cov.diagonal(dim1=-2, dim2=-1).log()).requires_grad_(True)
        params = [logits, mu, log_sd]
        cov_fn = lambda: torch.diag_embed((2 * log_sd).exp())  # noqa: E731
    else:
        chol = torch.linalg.cholesky(cov).requires_grad_(True)
        params = [logits, mu, chol]
        cov_fn = lambda: chol.tril() @ chol.tril().mT  # noqa: E731
    with torch.enable_grad():
        value = log_likelihood(x, logits.softmax(0), mu, cov_fn()) / x.shape[0]
        grads = torch.autograd.grad(value, params)
    return max(float(g.abs().max()) for g in grads)


def fit(x: Tensor, a: EMUpdates, *, iterations: int, tol: float) -> tuple[list[float], tuple[Tensor, ...]]:
    """Run the stated EM from a fixed start; stop when no parameter moves by more than ``tol``."""
    pi = torch.full((3,), 1 / 3, dtype=x.dtype, device=x.device)
    mu = x[[0, 1, 2]].clone() + torch.tensor([[0.3, -0.2], [0.1, 0.4], [-0.3, 0.2]], dtype=x.dtype, device=x.device)
    cov = torch.eye(2, dtype=x.dtype, device=x.device).expand(3, 2, 2).clone()
    curve = [float(log_likelihood(x, pi, mu, cov))]
    for _ in range(iterations):
        new = em_step(x, pi, mu, cov, a)
        if not all(bool(torch.isfinite(t).all()) for t in new):
            curve.append(float("nan"))
            break
        moved = max(float((u - v).abs().max()) for u, v in zip(new, (pi, mu, cov), strict=True))
        pi, mu, cov = new
        try:
            curve.append(float(log_likelihood(x, pi, mu, cov)))
        except ValueError:                                     # a covariance that is no longer positive definite
            curve.append(float("nan"))
            break
        if moved <= tol:
            break
    return curve, (pi, mu, cov)


BUGGY_FOR_FIGURE = {"sigma_divisor": "n_pi", "pi": "posterior", "mu_divisor": "n"}


def em_numeric(ctx: CheckContext, a: EMUpdates) -> list[Evidence]:
    """Monotone log-likelihood and a stationary fixed point for the stated EM updates."""
    gen = ctx.generator()
    x64, _ = mixture_data(gen)
    x = x64.to(ctx.device, ctx.torch_dtype)
    step_tol = 4 * eps(ctx.dtype) * float(x64.abs().max())         # stop at rounding level
    curve, (pi, mu, cov) = fit(x, a, iterations=3000, tol=step_tol)
    finite = all(math.isfinite(v) for v in curve)
    n = x.shape[0]
    ll_tol = tolerance(ctx.dtype, n=math.ceil(math.log2(n)) + 16, scale=max(abs(v) for v in curve if math.isfinite(v)))
    drops = [(t, curve[t] - curve[t + 1]) for t in range(len(curve) - 1)
             if math.isfinite(curve[t + 1]) and curve[t + 1] < curve[t] - ll_tol]
    reference, _ = fit(x64, cast(EMUpdates, a.changed(**BUGGY_FOR_FIGURE)), iterations=60, tol=0.0)
    figure = {
        "title": "EM log-likelihood per iteration",
        "xlabel": "iteration", "ylabel": "log-likelihood",
        "series": [{"label": "stated updates", "x": list(range(min(len(curve), 60))), "y": curve[:60]},
                   {"label": "buggy: μ without 1/π_j", "x": list(range(len(reference))), "y": reference}],
    }
    monotone = holds("the log-likelihood never decreases", finite and not drops,
                     method=f"torch.distributions log-likelihood after each update ({ctx.dtype}); tolerance "
                            "8·γ_n·|ln L|", iterations=len(curve) - 1, final=curve[-1] if finite else "NaN",
                     tolerance=ll_tol, decreases=len(drops),
                     counterexample=None if finite and not drops else (
                         {"iteration": drops[0][0], "drop": drops[0][1]} if drops else {"non_finite_at": len(curve)}))
    if ctx.variant is None:                     # the claim's own run draws the figure; its false variants do not
        monotone = dataclasses.replace(monotone, figure=figure)
    sums = float(pi.sum())
    sum_tol = tolerance(ctx.dtype, n=n)
    if not finite:
        return [monotone, holds("the fixed point is stationary", False, counterexample={"non_finite": True})]
    grad = stationarity_gradient(x, pi, mu, cov, a.covariance)
    # At a fixed point computed in the run's dtype the parameters carry the rounding of weighted means of n
    # points, δθ ≈ γ_{log2 n}·max|x|; the gradient is the Hessian times δθ, ≈ δθ/σ²_min (μ) and δθ/σ_min (scale).
    var_min = float(cov.diagonal(dim1=-2, dim2=-1).min().double())
    scale = float(x64.abs().max()) / var_min + 1 / math.sqrt(var_min)
    g_tol = tolerance(ctx.dtype, n=math.ceil(math.log2(n)) + 16, scale=scale)
    return [
        monotone,
        holds("Σ_j π_j = 1", abs(sums - 1) <= sum_tol, sum_pi=sums, tolerance=sum_tol,
              counterexample=None if abs(sums - 1) <= sum_tol else {"sum_pi": sums}),
        holds("∇ (1/n) ln L ≈ 0 at the fixed point", grad <= g_tol,
              method="autograd in float64 at the converged parameters (μ, Cholesky / log σ, logits)",
              max_gradient=grad, tolerance=g_tol, counterexample=None if grad <= g_tol else {"max_gradient": grad}),
    ]


def routing_1_numeric(ctx: CheckContext, a: Routing1) -> list[Evidence]:
    """Routing 1's statistics against one M-step of EM algorithm 2 with responsibilities R."""
    gen = ctx.generator()
    n, k, d = 12, 3, 16
    poses = torch.randn(n, d, generator=gen, dtype=torch.float64).to(ctx.device, ctx.torch_dtype)
    big_r = torch.softmax(torch.randn(n, k, generator=gen, dtype=torch.float64), -1).to(poses)
    r = big_r / big_r.sum(0)
    m = r.T @ poses
    w = r if a.variance_weights == "normalised" else big_r
    sigma2 = torch.einsum("ik,ikd->kd", w, (poses[:, None] - m) ** 2)
    pi = big_r.mean(0) if a.pi == "mean" else big_r.sum(0)
    n_pi = big_r.sum(0)
    em_mu = big_r.T @ poses / n_pi[:, None]
    em_var = torch.einsum("ik,ikd->kd", big_r, (poses[:, None] - em_mu) ** 2) / n_pi[:, None]
    em_pi = n_pi / n
    tol = tolerance(ctx.dtype, n=n + 4, scale=float(poses.abs().max()) ** 2)
    out = []
    for name, got, want in (("M_j = μ_j", m, em_mu), ("σ_j² = EM-2 variance", sigma2, em_var), ("π_j", pi, em_pi)):
        err = float((got - want).abs().max())
        out.append(holds(name, err <= tol, method=f"one EM-2 M-step with responsibilities R ({ctx.dtype})",
                         max_error=err, tolerance=tol, counterexample=None if err <= tol else {"error": err}))
    return out


def adjusted_rand_index(a: Tensor, b: Tensor) -> float:
    """Hubert & Arabie's adjusted Rand index of two labelings (1 = identical up to renaming)."""
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    table = torch.zeros(ka, kb, dtype=torch.float64)
    table.index_put_((a, b), torch.ones(len(a), dtype=torch.float64), accumulate=True)

    def pairs(t: Tensor) -> float:
        return float((t * (t - 1) / 2).sum())

    index, ra, rb = pairs(table), pairs(table.sum(1)), pairs(table.sum(0))
    total = len(a) * (len(a) - 1) / 2
    expected = ra * rb / total
    return (index - expected) / ((ra + rb) / 2 - expected)


def _plusplus(x: Tensor, k: int, gen: torch.Generator) -> Tensor:
    centres = [x[int(torch.randint(len(x), (1,), generator=gen))]]
    for _ in range(k - 1):
        d2 = torch.stack([((x - c) ** 2).sum(-1) for c in centres]).min(0).values
        centres.append(x[int(torch.multinomial(d2 / d2.sum(), 1, generator=gen))])
    return torch.stack(centres)


def kmeans(x: Tensor, k: int, gen: torch.Generator, *, starts: int = 5, iterations: int = 100) -> Tensor:
    """Lloyd's algorithm from k-means++ starts; the labels of the start with the least inertia."""
    best, best_inertia = None, math.inf
    for _ in range(starts):
        c = _plusplus(x, k, gen)
        for _ in range(iterations):
            labels = torch.cdist(x, c).argmin(-1)
            c = torch.stack([x[labels == j].mean(0) if (labels == j).any() else c[j] for j in range(k)])
        inertia = float(((x - c[labels]) ** 2).sum())
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    assert best is not None
    return best


def fit_gmm(x: Tensor, k: int, gen: torch.Generator, *, starts: int = 5, iterations: int = 200) -> Tensor:
    """Full-covariance EM from k-means++ starts; the labels of the start with the largest log-likelihood."""
    a = EMUpdates(covariance="full")
    best, best_ll = None, -math.inf
    eye = torch.eye(x.shape[1], dtype=x.dtype)
    for _ in range(starts):
        pi, mu, cov = torch.full((k,), 1 / k, dtype=x.dtype), _plusplus(x, k, gen), eye.expand(k, -1, -1).clone()
        for _ in range(iterations):
            pi, mu, cov = em_step(x, pi, mu, cov + 1e-6 * eye, a)
        ll = float(log_likelihood(x, pi, mu, cov + 1e-6 * eye))
        if ll > best_ll:
            comp = torch.distributions.MultivariateNormal(mu, covariance_matrix=cov + 1e-6 * eye)
            best, best_ll = (pi.log() + comp.log_prob(x[:, None])).argmax(-1), ll
    assert best is not None
    return best


def clusters_numeric(ctx: CheckContext, a: ClusterRecovery) -> Evidence:
    """ARI of full-covariance EM and of K-means on three sheared blobs (600 points)."""
    gen = ctx.generator()
    n, k = 600, 3
    labels = torch.arange(n) % k
    centres = torch.tensor([[-4.0, 0.0], [0.0, 0.0], [4.0, 0.0]], dtype=torch.float64)
    shear = torch.tensor([[0.6, -0.64], [-0.41, 0.85]], dtype=torch.float64)
    x = ((centres[labels] + torch.randn(n, 2, generator=gen, dtype=torch.float64) * torch.tensor([0.35, 2.5],
         dtype=torch.float64)) @ shear).to(ctx.device, ctx.torch_dtype)
    ari_gmm = adjusted_rand_index(fit_gmm(x, k, gen).cpu(), labels)
    ari_km = adjusted_rand_index(kmeans(x, k, gen).cpu(), labels)
    ok = ari_gmm >= a.gmm_ari_min
    if a.kmeans_ari_max is not None:
        ok = ok and ari_km <= a.kmeans_ari_max
    if a.kmeans_ari_min is not None:
        ok = ok and ari_km >= a.kmeans_ari_min
    return holds("ARI thresholds on anisotropic blobs: " + ", ".join(f"{k} = {v}" for k, v in a.bounds().items()), ok,
                 method=f"3 sheared blobs, n = 600; best of 5 k-means++ starts each ({ctx.dtype})",
                 ari_gmm=ari_gmm, ari_kmeans=ari_km,
                 counterexample=None if ok else {"ari_gmm": ari_gmm, "ari_kmeans": ari_km})
