"""Checks of MG-6 (overfitting, and regularisation against it) and MG-7 (prefer simple models: Occam's razor).

MG-6.  For one feature, ridge β_λ = s_xy/(s_xx + λ) has training RSS with dRSS/dλ = 2λs_xy²/(s_xx + λ)³ ≥ 0: the
penalty never lowers the training error.  Its risk (β_λ − β)² in expectation, λ²β²/(s_xx + λ)² + σ²s_xx/(s_xx + λ)²,
has slope −2σ²/s_xx² < 0 at λ = 0, so some λ > 0 beats least squares (Hoerl & Kennard, *Technometrics* 12, 1970).
1-nearest-neighbour fits its training set exactly and errs more on new data.

MG-7.  With a linear truth, least squares of degree d has prediction variance σ²h_d(x), with leverage
h_d = φ_d(x)ᵀ(ΦᵀΦ)⁻¹φ_d(x); nested models have h₉ ≥ h₁ and tr H = number of parameters (10 vs 2).
"""

from __future__ import annotations

from functools import cache

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import least_squares
from kexue_verify_plugins.mangoes.assertions import OccamSetup, RidgeEffect
from kexue_verify_plugins.mangoes.models import fit_ridge, nearest_neighbour_predict


def ridge_symbolic(ctx: CheckContext, a: RidgeEffect) -> list[Evidence]:
    """SymPy, one feature: the sign of dRSS/dλ, and the sign of the risk's slope at λ = 0."""
    sxx, sxy, syy, lam, beta, sigma = sp.symbols("s_xx s_xy s_yy lambda beta sigma", positive=True)
    b = sxy / (sxx + lam)
    rss = syy - 2 * b * sxy + b**2 * sxx
    d_rss = sp.factor(sp.diff(rss, lam))
    rises = sp.simplify(d_rss - 2 * lam * sxy**2 / (sxx + lam) ** 3) == 0
    risk = (lam * beta / (sxx + lam)) ** 2 + sigma**2 * sxx / (sxx + lam) ** 2
    slope0 = sp.simplify(sp.diff(risk, lam).subs(lam, 0))
    beats = bool(slope0.is_negative)
    return [
        holds(f"ridge training error vs least squares: {a.train}", (a.train == "higher") is rises,
              method="sympy: dRSS/dλ = 2λs_xy²/(s_xx + λ)³ ≥ 0", derivative=str(d_rss),
              counterexample={"dRSS_dlambda": str(d_rss)}),
        holds(f"some ridge λ > 0 has {a.test} risk than least squares", (a.test == "lower") is beats,
              method="sympy: d risk/dλ at 0", slope_at_zero=str(slope0), counterexample={"slope_at_0": str(slope0)}),
    ]


@cache
def _ridge_study(seed: int, dtype: str, device: str) -> dict[str, float]:
    ctx = CheckContext(case_id="mangoes.ridge", seed=seed, dtype=dtype, device=device)
    gen = ctx.generator()
    dt = ctx.torch_dtype
    n, p, reps = 40, 35, 30
    grid = [10.0**e for e in (-2, -1, 0, 0.5, 1, 1.5, 2)]
    totals = dict.fromkeys(("ols_train", "ols_test", "ridge_train", "ridge_test", "nn_train", "nn_test"), 0.0)
    ridge_lower_train = 0
    for _ in range(reps):
        beta = torch.randn(p, generator=gen, dtype=dt, device=device) / p**0.5
        x = torch.randn(n, p, generator=gen, dtype=dt, device=device)
        y = x @ beta + torch.randn(n, generator=gen, dtype=dt, device=device)
        xt = torch.randn(1000, p, generator=gen, dtype=dt, device=device)
        yt = xt @ beta + torch.randn(1000, generator=gen, dtype=dt, device=device)
        folds = torch.arange(n, device=device) % 5
        cv = []
        for lam in grid:
            err = 0.0
            for f in range(5):
                tr, va = folds != f, folds == f
                err += float(((x[va] @ fit_ridge(x[tr], y[tr], lam) - y[va]) ** 2).sum())
            cv.append(err)
        lam = grid[min(range(len(grid)), key=cv.__getitem__)]
        ols = least_squares(x, y[:, None])[:, 0]
        ridge = fit_ridge(x, y, lam)
        parts = {"ols": ols, "ridge": ridge}
        for name, coef in parts.items():
            totals[f"{name}_train"] += float(((x @ coef - y) ** 2).mean()) / reps
            totals[f"{name}_test"] += float(((xt @ coef - yt) ** 2).mean()) / reps
        ridge_lower_train += float(((x @ ridge - y) ** 2).mean()) < float(((x @ ols - y) ** 2).mean())
        totals["nn_train"] += float(((nearest_neighbour_predict(x, y, x) - y) ** 2).mean()) / reps
        totals["nn_test"] += float(((nearest_neighbour_predict(x, y, xt) - yt) ** 2).mean()) / reps
    totals["replicates_where_ridge_trains_lower"] = ridge_lower_train
    return totals


def ridge_numeric(ctx: CheckContext, a: RidgeEffect) -> list[Evidence]:
    """torch: n = 40, p = 35, 30 replicates; ridge with λ by 5-fold CV vs least squares, and 1-NN regression.

    Least squares minimises the training error, so ridge's can only be higher (in every replicate); the test errors
    are averaged over 10³ fresh points per replicate.
    """
    m = _ridge_study(ctx.seed, ctx.dtype, ctx.device)
    train_higher = m["replicates_where_ridge_trains_lower"] == 0 and m["ridge_train"] > m["ols_train"]
    test_lower = m["ridge_test"] < m["ols_test"]
    return [
        holds(f"ridge training error vs least squares: {a.train}", train_higher is (a.train == "higher"),
              method=f"torch.linalg.lstsq ({ctx.dtype})", ols_train=m["ols_train"], ridge_train=m["ridge_train"],
              counterexample={"ols_train": m["ols_train"], "ridge_train": m["ridge_train"]}),
        holds(f"ridge test error vs least squares: {a.test}", test_lower is (a.test == "lower"),
              method="10³ test points × 30 replicates", ols_test=m["ols_test"], ridge_test=m["ridge_test"],
              counterexample={"ols_test": m["ols_test"], "ridge_test": m["ridge_test"]}),
        holds(f"1-NN: training error 0, test error higher: {a.nn_overfits}",
              (m["nn_train"] == 0.0 and m["nn_test"] > 0) is a.nn_overfits, method="torch.cdist 1-NN",
              nn_train=m["nn_train"], nn_test=m["nn_test"],
              counterexample={"nn_train": m["nn_train"], "nn_test": m["nn_test"]}),
    ]


# --- MG-7 -------------------------------------------------------------------------------------------------------------


def _vandermonde(xs: list[sp.Rational], degree: int) -> sp.Matrix:
    return sp.Matrix([[x**j for j in range(degree + 1)] for x in xs])


def occam_symbolic(ctx: CheckContext, a: OccamSetup) -> list[Evidence]:
    """Exact (SymPy rationals), 21 design points on [−1, 1]: leverages of degree 9 vs degree 1, and tr H."""
    xs = [sp.Rational(i, 10) for i in range(-10, 11)]
    lev = {}
    for d in (a.low, a.high):
        phi = _vandermonde(xs, d)
        hat = phi * (phi.T * phi).inv() * phi.T
        lev[d] = [hat[i, i] for i in range(len(xs))]
    pointwise = all(bool(h >= g) for h, g in zip(lev[a.high], lev[a.low], strict=True))
    traces = {d: sum(v) for d, v in lev.items()}
    ratio = traces[a.high] / traces[a.low]
    larger = bool(pointwise and ratio > 1)
    claim = f"degree-{a.high} prediction variance is larger than degree-{a.low}: {a.high_variance_larger}"
    return [holds(claim,
                  larger is a.high_variance_larger, method="exact hat-matrix diagonals",
                  traces={str(d): str(t) for d, t in traces.items()}, ratio=str(ratio),
                  counterexample={"average_variance_ratio": str(ratio)})]


@cache
def _bootstrap(seed: int, dtype: str, device: str, low: int, high: int) -> dict[str, float]:
    ctx = CheckContext(case_id="mangoes.occam", seed=seed, dtype=dtype, device=device)
    gen = ctx.generator()
    dt = ctx.torch_dtype
    x = torch.rand(30, generator=gen, dtype=dt, device=device) * 2 - 1
    y = 0.5 + 2 * x + 0.3 * torch.randn(30, generator=gen, dtype=dt, device=device)
    grid = torch.linspace(-0.95, 0.95, 201, dtype=dt, device=device)
    boots = torch.randint(0, 30, (200, 30), generator=gen, device=device)

    def basis(t: torch.Tensor, d: int) -> torch.Tensor:
        return torch.stack([torch.special.chebyshev_polynomial_t(t, j) for j in range(d + 1)], -1)

    out = {}
    for d in (low, high):
        coef = least_squares(basis(x[boots], d), y[boots][:, :, None])
        pred = (basis(grid, d)[None] @ coef)[:, :, 0]
        out[f"variance_{d}"] = float(pred.var(dim=0).mean())
        out[f"test_{d}"] = float(((pred - (0.5 + 2 * grid)) ** 2).mean())
    return out


def occam_numeric(ctx: CheckContext, a: OccamSetup) -> list[Evidence]:
    """torch: 200 bootstrap resamples of 30 points from a linear truth; prediction variance and error on
    [−0.95, 0.95]."""
    m = _bootstrap(ctx.seed, ctx.dtype, ctx.device, a.low, a.high)
    larger = m[f"variance_{a.high}"] > m[f"variance_{a.low}"]
    return [
        holds(f"bootstrap prediction variance, degree {a.high} > degree {a.low}: {a.high_variance_larger}",
              larger is a.high_variance_larger, method=f"Chebyshev-basis lstsq ({ctx.dtype})",
              **m,  # type: ignore[arg-type]  # m's keys are variance_<d> and test_<d>, never note
              counterexample=m),
        holds(f"degree {a.high} has {a.high_error} error than degree {a.low}",
              (m[f"test_{a.high}"] > m[f"test_{a.low}"]) is (a.high_error == "larger"),
              method="mean squared error against the true line", counterexample=m),
    ]
