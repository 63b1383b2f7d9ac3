"""Checks of MG-1 (the model outputs P(tasty) = σ(w·x + b), with learnable weights) and MG-2 (one-class data).

MG-1: the log-likelihood ℓ = Σ yᵢ log σ(zᵢ) + (1 − yᵢ) log(1 − σ(zᵢ)), zᵢ = w·xᵢ + b, has Hessian −XᵀDX with
D = diag(σ(1 − σ)) ≻ 0, so it is concave; its b-score Σ(yᵢ − σ(zᵢ)) = 0 makes the mean fitted probability equal the
fraction of positives (not each probability); with an exactly collinear feature it is flat along a line, so the
weights are not identifiable.  MG-2: with every yᵢ = 1, ∂ℓ/∂b = Σ 1/(1 + e^{zᵢ}) > 0 everywhere, so ℓ has no
stationary point and no finite maximiser; sup ℓ = 0 is approached as b → ∞.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, at_most, close, holds, undecided
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.mangoes.assertions import LogisticModel, OneClassData
from kexue_verify_plugins.mangoes.models import logistic_model

TRUE_W = (1.5, -2.0, 0.5)
TRUE_B = 0.3
SAMPLES = 100_000


def _loglik(points: list[tuple[sp.Expr, ...]], labels: list[int], w: list[sp.Symbol], b: sp.Symbol) -> sp.Expr:
    total = sp.Integer(0)
    for x, y in zip(points, labels, strict=True):
        z = sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b
        total += y * sp.log(1 / (1 + sp.exp(-z))) + (1 - y) * sp.log(1 - 1 / (1 + sp.exp(-z)))
    return total


@cache
def likelihood_facts() -> dict[str, Any]:
    """SymPy on three symbolic points: Hessian ≡ −XᵀDX; the b-score; the flat direction under collinearity."""
    w = list(sp.symbols("w1 w2", real=True))
    b = sp.Symbol("b", real=True)
    xs = sp.symbols("x1:4", real=True)
    us = sp.symbols("u1:4", real=True)
    points = [(xs[i], us[i]) for i in range(3)]
    labels = [1, 0, 1]
    ell = _loglik(points, labels, w, b)
    params = [*w, b]
    hessian = sp.hessian(ell, params)
    design = sp.Matrix([[xs[i], us[i], 1] for i in range(3)])
    sig = [1 / (1 + sp.exp(-(w[0] * xs[i] + w[1] * us[i] + b))) for i in range(3)]
    weights = sp.diag(*[s * (1 - s) for s in sig])
    gap = sp.simplify((hessian + design.T * weights * design).applyfunc(lambda e: sp.simplify(e.rewrite(sp.exp))))
    concave = gap == sp.zeros(3, 3)
    score = sp.simplify(sp.diff(ell, b) - sum(y - s for y, s in zip(labels, sig, strict=True)))
    t = sp.Symbol("t", real=True)
    collinear = [(xs[i], 2 * xs[i]) for i in range(3)]
    flat = _loglik(collinear, labels, w, b)
    moved = flat.subs({w[0]: w[0] + 2 * t, w[1]: w[1] - t}, simultaneous=True)
    identifiable = sp.simplify(sp.expand(moved - flat)) != 0
    return {"concave": concave, "gap": str(gap), "score": score, "identifiable": identifiable}


def likelihood_symbolic(ctx: CheckContext, a: LogisticModel) -> list[Evidence]:
    """SymPy (:func:`likelihood_facts`, memoised) against the stated concavity, identifiability and b-score."""
    f = likelihood_facts()
    concave, gap, score, identifiable = f["concave"], f["gap"], f["score"], f["identifiable"]
    evidence = [
        holds(f"ℓ is concave (Hessian = −XᵀDX, D ≻ 0): {a.concave}", concave is a.concave,
              method="sympy.hessian vs −XᵀDX on 3 symbolic points", gap=gap,
              counterexample={"hessian_identity_holds": concave, "claimed_concave": a.concave}),
        holds(f"weights identifiable under exact collinearity (x₂ = 2x₁): {a.collinear_identifiable}",
              identifiable is a.collinear_identifiable, method="sympy: ℓ(w₁ + 2t, w₂ − t) − ℓ(w₁, w₂) ≡ 0",
              counterexample={"flat_direction": "(2, -1)", "identifiable": identifiable}),
    ]
    if a.batch_fraction == "mean":
        evidence.append(holds("∂ℓ/∂b = Σ(yᵢ − σ(zᵢ)): the mean fitted probability is the positive fraction",
                              score == 0, method="sympy.diff", difference=str(score)))
    else:
        evidence.append(undecided("each σ(w·xᵢ + b) equals the positive fraction", method="sympy",
                                  note="the b-score fixes only the mean of the fitted probabilities"))
    return evidence


@cache
def _fit(seed: int, dtype: str, device: str) -> dict[str, Any]:
    ctx = CheckContext(case_id="mangoes.logistic", seed=seed, dtype=dtype, device=device)
    gen = ctx.generator()
    x = torch.randn(SAMPLES, 3, generator=gen, dtype=ctx.torch_dtype, device=device)
    w, b = ctx.tensor(TRUE_W), TRUE_B
    y = (torch.rand(SAMPLES, generator=gen, dtype=ctx.torch_dtype, device=device) < torch.sigmoid(x @ w + b))
    y = y.to(ctx.torch_dtype)
    model, fisher = logistic_model(x, y)
    with torch.no_grad():
        p = torch.sigmoid(model(x)[:, 0])
    # x₂ = 2x₁ is exact in every binary dtype; the Fisher matrix is formed in float64 so that its singularity is
    # a property of the data, resolved to float64 rounding whatever the run's dtype
    collinear = torch.cat([x[:, :1], 2 * x[:, :1], x[:, 2:]], dim=1).to(torch.float64)
    design = torch.cat([collinear, torch.ones_like(collinear[:, :1])], 1)
    q = torch.sigmoid(design @ torch.tensor([*TRUE_W, TRUE_B], dtype=torch.float64, device=device))
    info = design.T @ (design * (q * (1 - q))[:, None])
    eig = torch.linalg.eigvalsh(info)
    theta = torch.cat([model.weight[0], model.bias]).detach()
    xs = torch.cat([x[:2000], torch.ones_like(x[:2000, :1])], 1).requires_grad_(False)

    def loglik(t: torch.Tensor) -> torch.Tensor:
        z = xs @ t
        logsig = torch.nn.functional.logsigmoid
        return (y[:2000] * logsig(z) + (1 - y[:2000]) * logsig(-z)).sum()

    probes = [theta, torch.randn(4, generator=gen, dtype=ctx.torch_dtype, device=device) * 3]
    top = max(float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(loglik, t)).max()) for t in probes)
    return {
        "theta": theta.tolist(), "se": torch.linalg.inv(fisher).diagonal().sqrt().tolist(),
        "mean_p": float(p.mean()), "mean_y": float(y.mean()), "max_dev_p": float((p - y.mean()).abs().max()),
        "collinear_condition": float(eig[0] / eig[-1]), "hessian_top_eigenvalue": top,
        "hessian_scale": float(xs.abs().max()) ** 2 * 2000,
    }


def likelihood_numeric(ctx: CheckContext, a: LogisticModel) -> list[Evidence]:
    """torch: Newton-fitted ``nn.Linear(3, 1)`` on 10⁵ samples from known w; autograd Hessians; the collinear Fisher.

    Recovery: each coefficient within 5 standard errors (inverse Fisher information), a two-sided 5σ band.
    Concavity: the largest Hessian eigenvalue (``torch.autograd.functional.hessian``) at the MLE and at a random
    point is ≤ rounding.  Collinearity: the Fisher information's smallest/largest eigenvalue ratio is 0 to float64
    rounding.
    """
    m = _fit(ctx.seed, ctx.dtype, ctx.device)
    truth = [*TRUE_W, TRUE_B]
    z = max(abs(t - e) / s for t, e, s in zip(truth, m["theta"], m["se"], strict=True))
    rounding = tolerance(ctx.dtype, n=SAMPLES)
    concave = m["hessian_top_eigenvalue"] <= tolerance(ctx.dtype, n=2000, scale=m["hessian_scale"])
    singular = m["collinear_condition"] <= tolerance("float64", n=SAMPLES, scale=10.0)
    evidence = [
        at_most("max |ŵ − w|/se over the 4 coefficients", z, 5.0, method=f"Newton (IRLS) MLE, n = {SAMPLES} "
                f"({ctx.dtype})", estimate=m["theta"], truth=truth, standard_errors=m["se"]),
        holds(f"autograd Hessian is negative semidefinite: {a.concave}", concave is a.concave,
              method="torch.autograd.functional.hessian at the MLE and a random point",
              top_eigenvalue=m["hessian_top_eigenvalue"],
              counterexample={"top_eigenvalue": m["hessian_top_eigenvalue"]}),
        holds(f"collinear weights identifiable: {a.collinear_identifiable}",
              (not singular) is a.collinear_identifiable, method="eigvalsh of the Fisher information, x₂ = 2x₁",
              condition_ratio=m["collinear_condition"], counterexample={"condition_ratio": m["collinear_condition"]}),
    ]
    if a.batch_fraction == "mean":
        evidence.append(close("mean σ(ŵ·x + b̂) = fraction of positives", m["mean_p"], m["mean_y"],
                              tol=2 * rounding, method="the b-score at the MLE (two means of 10⁵ terms)"))
    else:
        evidence.append(at_most("max |σ(ŵ·xᵢ + b̂) − fraction of positives|", m["max_dev_p"], 0.0,
                                tol=rounding + tolerance(ctx.dtype, n=8), method="over the whole batch",
                                counterexample={"max_deviation": m["max_dev_p"]}))
    return evidence


# --- MG-2 -------------------------------------------------------------------------------------------------------------


def one_class_symbolic(ctx: CheckContext, a: OneClassData) -> list[Evidence]:
    """SymPy: d/dz log σ(z) = 1/(1 + e^z) > 0; log σ < 0 and → 0 as b → ∞: sup ℓ = 0 is never attained."""
    z = sp.Symbol("z", real=True)
    log_sigma = sp.log(1 / (1 + sp.exp(-z)))
    slope = sp.simplify(sp.diff(log_sigma, z) - 1 / (1 + sp.exp(z)))
    positive = (1 / (1 + sp.exp(z))).is_positive
    limit = sp.limit(log_sigma, z, sp.oo)
    negative = sp.exp(-z).is_positive  # σ(z) = 1/(1 + e^{−z}) < 1, so log σ(z) < 0
    no_max = bool(slope == 0 and positive and limit == 0 and negative)
    evidence = [holds(f"a finite MLE exists for one-class data: {a.finite_mle}", (not no_max) is a.finite_mle,
                      method="sympy: ∂ℓ/∂b = Σ 1/(1 + e^{zᵢ}) > 0, lim_{b→∞} ℓ = 0 > ℓ", limit=str(limit),
                      counterexample={"d_loglik_db": "sum 1/(1 + exp(z_i)) > 0", "sup": "0, not attained"})]
    if a.optimum is not None:
        at_zero = sp.diff(log_sigma, z).subs(z, 0)  # every z_i = 0 at (w, b) = 0, so ∂ℓ/∂b = n · this
        evidence.append(holds(f"(w, b) = {list(a.optimum)} is stationary", sp.simplify(at_zero) == 0,
                              method="sympy: ∂ℓ/∂b at w = 0, b = 0", d_loglik_db_per_point=str(at_zero),
                              counterexample={"d_loglik_db_per_point": str(at_zero)}))
    return evidence


@cache
def _one_class_run(seed: int, dtype: str, device: str) -> tuple[dict[int, float], dict[int, float], float]:
    ctx = CheckContext(case_id="mangoes.one-class", seed=seed, dtype=dtype, device=device)
    gen = ctx.generator()
    x = torch.randn(200, 2, generator=gen, dtype=ctx.torch_dtype, device=ctx.device)
    design = torch.cat([x, torch.ones_like(x[:, :1])], 1)
    theta = torch.zeros(3, dtype=ctx.torch_dtype, device=ctx.device, requires_grad=True)
    grad0 = None
    checkpoints, b, loss = {30, 300, 3000}, {}, {}
    opt = torch.optim.SGD([theta], lr=1.0)
    for step in range(1, 3001):
        opt.zero_grad()
        nll = torch.nn.functional.softplus(-(design @ theta)).mean()
        nll.backward()
        if grad0 is None:
            assert theta.grad is not None  # backward() has just filled it
            grad0 = float(theta.grad.norm())
        opt.step()
        if step in checkpoints:
            b[step], loss[step] = float(theta.detach()[2]), float(nll.detach())
    assert grad0 is not None  # set at the first of the 3000 steps
    return b, loss, float(grad0)


def one_class_numeric(ctx: CheckContext, a: OneClassData) -> list[Evidence]:
    """torch: gradient ascent on one-class data (n = 200, 2 features); b after 30, 300, 3000 steps.

    Without a finite maximiser b keeps growing about log(steps) (the loss decays like 1/steps), so each decade adds a
    similar amount; a converging sequence would add geometrically less.  The gradient at (0, 0) is measured too.
    """
    b, loss, grad0 = _one_class_run(ctx.seed, ctx.dtype, ctx.device)
    increments = [b[300] - b[30], b[3000] - b[300]]
    unbounded = increments[1] > 0.5 * increments[0] > 0 and loss[3000] < loss[300] < loss[30]
    evidence = [holds(f"a finite MLE exists: {a.finite_mle}", (not unbounded) is a.finite_mle,
                      method=f"SGD (lr 1) on the logistic loss ({ctx.dtype})", b={str(k): v for k, v in b.items()},
                      loss={str(k): v for k, v in loss.items()},
                      counterexample={"b": {str(k): v for k, v in b.items()}, "increments_per_decade": increments})]
    if a.optimum is not None:
        evidence.append(at_most("gradient norm at (w, b) = 0", grad0, 0.0, tol=tolerance(ctx.dtype, n=200),
                                method="autograd", counterexample={"gradient_norm": grad0}))
    return evidence
