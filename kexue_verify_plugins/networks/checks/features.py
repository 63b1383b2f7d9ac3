"""Check of NN-1: y = x² + x is badly fitted by a model linear in x and exactly by one linear in (x, x²).

For x ~ U[−1, 1] the least-squares line is y ≈ 1/3 + x, with residual MSE Var(x²) = 1/5 − 1/9 = 4/45; on the
features (1, x, x²) the residual is 0.  SymPy solves the normal equations with the exact moments; torch fits
``nn.Linear`` models, (a) with Gauss–Legendre weights (exact for these polynomials, so the population values are
reproduced to rounding) and (b) on 10⁴ uniform samples, judged against the sampling error of the MSE.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, at_most, close, holds
from kexue_verify.helpers import least_squares, tolerance
from kexue_verify_plugins.networks.assertions import LineFit

SAMPLES = 10_000


def _population_fit(features: list[sp.Expr], x: sp.Symbol) -> tuple[list[sp.Expr], sp.Expr]:
    y = x**2 + x

    def mean(f: sp.Expr) -> sp.Expr:
        return sp.integrate(f / 2, (x, -1, 1))

    gram = sp.Matrix([[mean(f * g) for g in features] for f in features])
    rhs = sp.Matrix([mean(f * y) for f in features])
    coef = list(gram.LUsolve(rhs))
    residual = y - sum(c * f for c, f in zip(coef, features, strict=True))
    return coef, sp.simplify(mean(residual**2))


def _residual_claim(a: LineFit) -> str:
    return a.feature_mse


def fit_symbolic(ctx: CheckContext, a: LineFit) -> list[Evidence]:
    """SymPy: intercept, slope and residual MSE of the line, and the residual on (1, x, x²), all exact."""
    x = sp.Symbol("x", real=True)
    (c0, c1), mse = _population_fit([sp.Integer(1), x], x)
    _, mse2 = _population_fit([sp.Integer(1), x, x**2], x)
    stated = a.linear_mse.expr
    evidence = [
        holds("least-squares line: intercept, slope", (c0, c1) == (a.intercept.expr, a.slope.expr),
              method="sympy normal equations, exact moments of U[−1, 1]", found=[str(c0), str(c1)],
              counterexample={"intercept": str(c0), "slope": str(c1)}),
        holds(f"residual MSE of the line = {a.linear_mse}", sp.simplify(mse - stated) == 0, method="sympy",
              found=str(mse), expected=str(stated), counterexample={"mse": str(mse)}),
    ]
    zero = mse2 == 0
    claimed_zero = _residual_claim(a) == "0"
    evidence.append(holds(f"residual MSE on (1, x, x²) is {'0' if claimed_zero else 'positive'}",
                          zero is claimed_zero, method="sympy", found=str(mse2), counterexample={"mse": str(mse2)}))
    return evidence


def _lstsq(design: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None = None) -> tuple[torch.Tensor, float]:
    """Least squares ``min Σ wᵢ(yᵢ − dᵢ·c)²`` (the optimum of an ``nn.Linear`` with bias), and cond(design)."""
    if weights is not None:
        root = weights.sqrt()[:, None]
        design, y = design * root, y * root[:, 0]
    coef = least_squares(design, y[:, None])
    return coef[:, 0], float(torch.linalg.cond(design))


def _linear_model(coef: torch.Tensor, ctx: CheckContext) -> torch.nn.Linear:
    layer = torch.nn.Linear(coef.numel() - 1, 1).to(device=ctx.device, dtype=ctx.torch_dtype)
    with torch.no_grad():
        layer.bias.copy_(coef[:1])
        layer.weight.copy_(coef[1:][None, :])
    return layer


def fit_numeric(ctx: CheckContext, a: LineFit) -> list[Evidence]:
    """torch: the line and the (x, x²) fit as ``nn.Linear`` models, on Gauss–Legendre nodes and on samples.

    Quadrature: 8 Gauss–Legendre nodes integrate polynomials of degree ≤ 15 exactly, so the weighted fit equals the
    population fit; tolerance from the dtype, the design's condition number and the 8-term sums.  Samples: the
    sample MSE of the fitted line estimates 4/45 with standard error sd((x² − 1/3)²)/√N, estimated from the sample;
    the check allows five of them (a two-sided 5σ band, false alarm < 10⁻⁶).
    """
    nodes, weights = np.polynomial.legendre.leggauss(8)
    xq, wq = ctx.tensor(nodes), ctx.tensor(weights / 2)
    yq = xq**2 + xq
    stated = float(a.linear_mse.expr)
    evidence = []
    for name, design in (("line", torch.stack([torch.ones_like(xq), xq], 1)),
                         ("(x, x²)", torch.stack([torch.ones_like(xq), xq, xq**2], 1))):
        coef, cond = _lstsq(design, yq, wq)
        model = _linear_model(coef, ctx)
        with torch.no_grad():
            mse = float((wq * (yq - model(design[:, 1:])[:, 0]) ** 2).sum())
        tol = tolerance(ctx.dtype, n=8, condition=cond, scale=2.0)
        if name == "line":
            evidence.append(close("population MSE of the line (Gauss–Legendre)", mse, stated, tol=tol,
                                  method=f"torch.linalg.lstsq, weighted, into nn.Linear ({ctx.dtype})",
                                  counterexample={"mse": mse}))
        else:
            zero = mse <= tol**2
            evidence.append(holds(f"population MSE on (x, x²) is {'0' if _residual_claim(a) == '0' else 'positive'}",
                                  zero is (_residual_claim(a) == "0"), method="weighted lstsq into nn.Linear(2, 1)",
                                  mse=mse, rounding_bound=tol**2, counterexample={"mse": mse}))
    gen = ctx.generator()
    xs = torch.rand(SAMPLES, generator=gen, dtype=ctx.torch_dtype, device=ctx.device) * 2 - 1
    ys = xs**2 + xs
    coef, _ = _lstsq(torch.stack([torch.ones_like(xs), xs], 1), ys)
    model = _linear_model(coef, ctx)
    with torch.no_grad():
        r2 = (ys - model(xs[:, None])[:, 0]) ** 2
    se = float(r2.std() / SAMPLES**0.5)
    evidence.append(close(f"sample MSE of nn.Linear(1, 1) on {SAMPLES} points", float(r2.mean()), stated,
                          tol=5 * se + tolerance(ctx.dtype, n=SAMPLES, scale=2.0), method="5 standard errors",
                          standard_error=se, counterexample={"sample_mse": float(r2.mean())}))
    evidence.append(at_most("the line's error is not 0", -float(r2.mean()), -10 * se, tol=0.0,
                            method="the sample MSE exceeds 10 standard errors", note="a model linear in x cannot "
                            "fit y = x² + x"))
    return evidence
