"""Check of NN-2: "high-degree fits overfit", made precise as the Runge phenomenon and a noisy polynomial fit.

Interpolating f(x) = 1/(1 + 25x²) on [−1, 1] at n + 1 equispaced nodes, the max error grows without bound with the
degree n (Runge 1901); at the Chebyshev points cos((2j + 1)π/(2n + 2)) it falls geometrically (Trefethen,
*Approximation Theory and Approximation Practice*, ch. 8 and 13).  The training error (at the nodes) is 0 either way.

The symbolic side evaluates the interpolants with the barycentric formula in mpmath at 40 digits; the numeric side
does the same in torch in the run's dtype, and fits degree 15 and degree 3 to 16 noisy samples of sin 3x.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

import mpmath
import torch

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import least_squares, tolerance
from kexue_verify_plugins.networks.assertions import RungeErrors

GRID = 4001
DEGREES_FOR_TREND = (10, 20, 30, 40)


def _nodes(kind: str, n: int, lib: Any) -> list[Any]:
    if kind == "equispaced":
        return [-1 + lib.mpf(2) * j / n for j in range(n + 1)]
    return [lib.cos((2 * j + 1) * lib.pi / (2 * n + 2)) for j in range(n + 1)]


def _runge(x: Any) -> Any:
    return 1 / (1 + 25 * x**2)


@cache
def max_error_mp(kind: str, n: int) -> tuple[float, float]:
    """(max |f − p_n| on [−1, 1], max |f − p_n| at the nodes), barycentric formula in mpmath at 40 digits.

    The max is located in each of the three largest bumps of a float64 scan (20001 points) and refined there by a
    golden-section search in mpmath, so the value is the local maximum to 40 digits, not a grid value.
    """
    import numpy as np

    with mpmath.workdps(40):
        xs = _nodes(kind, n, mpmath)
        w = [1 / mpmath.fprod(xs[j] - xs[m] for m in range(n + 1) if m != j) for j in range(n + 1)]
        fs = [_runge(v) for v in xs]

        def err(t: Any) -> Any:
            if any(t == xj for xj in xs):
                return mpmath.mpf(0)
            terms = [wj / (t - xj) for wj, xj in zip(w, xs, strict=True)]
            return abs(_runge(t) - mpmath.fsum(tj * fj for tj, fj in zip(terms, fs, strict=True)) / mpmath.fsum(terms))

        xf, wf = np.array([float(v) for v in xs]), np.array([float(v) for v in w])
        grid = np.linspace(-1, 1, 20001)
        grid = grid[np.all(grid[:, None] != xf[None, :], axis=1)]
        terms = wf[None, :] / (grid[:, None] - xf[None, :])
        scan = np.abs(_runge(grid) - (terms * _runge(xf)[None, :]).sum(1) / terms.sum(1))
        step = mpmath.mpf(grid[1] - grid[0])
        best = mpmath.mpf(0)
        for i in np.argsort(scan)[-3:]:
            lo, hi = mpmath.mpf(grid[i]) - step, mpmath.mpf(grid[i]) + step
            lo, hi = max(lo, mpmath.mpf(-1)), min(hi, mpmath.mpf(1))
            g = (mpmath.sqrt(5) - 1) / 2
            for _ in range(60):
                a, b = hi - g * (hi - lo), lo + g * (hi - lo)
                if err(a) > err(b):
                    hi = b
                else:
                    lo = a
            best = max(best, err(lo), err(hi), err(mpmath.mpf(grid[i])))
        at_nodes = max(abs(fj - _runge(xj)) for xj, fj in zip(xs, fs, strict=True))
        return float(best), float(at_nodes)


def _printed_tolerance(value: float) -> float:
    """Half a unit in the last of three significant digits: the precision the values are printed with."""
    import math

    return 0.5 * 10 ** (math.floor(math.log10(abs(value))) - 2)


def _trend(errors: dict[int, float]) -> tuple[bool, bool]:
    values = [errors[n] for n in DEGREES_FOR_TREND]
    grows = all(b > a for a, b in itertools.pairwise(values)) and values[-1] > 1
    falls = all(b < a for a, b in itertools.pairwise(values)) and values[-1] < 1e-3
    return grows, falls


def runge_symbolic(ctx: CheckContext, a: RungeErrors) -> list[Evidence]:
    """mpmath: the stated max errors, the trend over degrees 10 … 40, and zero error at the nodes."""
    evidence = []
    for kind in ("equispaced", "chebyshev"):
        for n, stated in a.errors(kind):
            err, _ = max_error_mp(kind, int(n))
            evidence.append(close(f"{kind} degree {n}: max error", err, stated, tol=_printed_tolerance(stated),
                                  method="mpmath barycentric interpolation, 40 digits, 4001-point grid",
                                  counterexample={"kind": kind, "degree": int(n), "max_error": err}))
        grows, falls = _trend({n: max_error_mp(kind, n)[0] for n in DEGREES_FOR_TREND})
        claimed = a.equispaced_diverges if kind == "equispaced" else a.chebyshev_converges
        observed = grows if kind == "equispaced" else falls
        errors = {str(n): max_error_mp(kind, n)[0] for n in DEGREES_FOR_TREND}
        evidence.append(holds(f"{kind}: error {'grows' if kind == 'equispaced' else 'falls'} with the degree: "
                              f"{claimed}", observed is claimed, method="mpmath, degrees 10, 20, 30, 40",
                              errors=errors, counterexample={"kind": kind, "errors": errors}))
    node_error = max(max_error_mp(k, 20)[1] for k in ("equispaced", "chebyshev"))
    evidence.append(holds("training error at the nodes is 0", node_error == 0.0, method="mpmath",
                          node_error=node_error))
    return evidence


def _barycentric_torch(kind: str, n: int, ctx: CheckContext) -> float:
    dt = ctx.torch_dtype
    j = torch.arange(n + 1, dtype=torch.float64)
    if kind == "equispaced":
        xs64 = -1 + 2 * j / n
        log_binomial = torch.lgamma(torch.tensor(n + 1.0)) - torch.lgamma(j + 1) - torch.lgamma(n - j + 1)
        w64 = (-1.0) ** j * torch.exp(log_binomial)
    else:
        theta = (2 * j + 1) * torch.pi / (2 * n + 2)
        xs64, w64 = torch.cos(theta), (-1.0) ** j * torch.sin(theta)
    xs, w = xs64.to(device=ctx.device, dtype=dt), w64.to(device=ctx.device, dtype=dt)
    t = torch.linspace(-1, 1, GRID, dtype=dt, device=ctx.device)
    t = t[(t[:, None] != xs[None, :]).all(dim=1)]
    terms = w[None, :] / (t[:, None] - xs[None, :])
    p = (terms * _runge(xs)[None, :]).sum(1) / terms.sum(1)
    return float((_runge(t) - p).abs().max())


def _lebesgue_bound(kind: str, n: int) -> float:
    """A bound on the Lebesgue constant: 2ⁿ⁺¹/(e n log n) for equispaced nodes, (2/π) log(n + 1) + 1 for Chebyshev."""
    import math

    if kind == "equispaced":
        return 2 ** (n + 1) / (math.e * n * math.log(n))
    return 2 / math.pi * math.log(n + 1) + 1


def runge_numeric(ctx: CheckContext, a: RungeErrors) -> list[Evidence]:
    """torch: the same interpolants in the run's dtype; and degree 15 vs 3 least squares on 16 noisy samples of sin 3x.

    Interpolation tolerance: the printed precision plus rounding amplified by the Lebesgue constant.  The noisy fit
    (σ = 0.1, equispaced x, Chebyshev basis ``torch.special.chebyshev_polynomial_t``) is judged by its own numbers:
    degree 15 interpolates (training MSE within rounding of 0) and its test MSE on 10³ fresh points exceeds degree 3's.
    """
    evidence = []
    for kind in ("equispaced", "chebyshev"):
        for n, stated in a.errors(kind):
            err = _barycentric_torch(kind, int(n), ctx)
            rounding = tolerance(ctx.dtype, n=int(n) + 1, condition=_lebesgue_bound(kind, int(n)))
            tol = _printed_tolerance(stated) + rounding
            evidence.append(close(f"torch {kind} degree {n}: max error", err, stated, tol=tol,
                                  method=f"torch barycentric formula ({ctx.dtype})",
                                  counterexample={"kind": kind, "degree": int(n), "max_error": err}))
        degrees = (10, 20)
        errors = {n: _barycentric_torch(kind, n, ctx) for n in degrees}
        claimed = a.equispaced_diverges if kind == "equispaced" else a.chebyshev_converges
        observed = errors[degrees[1]] > errors[degrees[0]] if kind == "equispaced" else \
            errors[degrees[1]] < errors[degrees[0]]
        evidence.append(holds(f"torch {kind}: error {'grows' if kind == 'equispaced' else 'falls'} from degree "
                              f"{degrees[0]} to {degrees[1]}: {claimed}", observed is claimed,
                              method="torch barycentric", errors={str(k): v for k, v in errors.items()},
                              counterexample={"kind": kind, "errors": {str(k): v for k, v in errors.items()}}))
    evidence += _noisy_fit(ctx, a)
    return evidence


def _noisy_fit(ctx: CheckContext, a: RungeErrors) -> list[Evidence]:
    gen = ctx.generator()
    dt, dev = ctx.torch_dtype, ctx.device
    x = torch.linspace(-1, 1, 16, dtype=dt, device=dev)
    y = torch.sin(3 * x) + 0.1 * torch.randn(16, generator=gen, dtype=dt, device=dev)
    xt = torch.rand(1000, generator=gen, dtype=dt, device=dev) * 2 - 1
    yt = torch.sin(3 * xt) + 0.1 * torch.randn(1000, generator=gen, dtype=dt, device=dev)
    result = {}
    for degree in (3, 15):
        basis = torch.stack([torch.special.chebyshev_polynomial_t(x, k) for k in range(degree + 1)], 1)
        coef = least_squares(basis, y[:, None])
        test_basis = torch.stack([torch.special.chebyshev_polynomial_t(xt, k) for k in range(degree + 1)], 1)
        train = float(((basis @ coef)[:, 0] - y).pow(2).mean())
        test = float(((test_basis @ coef)[:, 0] - yt).pow(2).mean())
        result[degree] = (train, test, float(torch.linalg.cond(basis)))
    train15, test15, cond15 = result[15]
    train3, test3, _ = result[3]
    rounding = tolerance(ctx.dtype, n=16, condition=cond15, scale=float(y.abs().max())) ** 2
    interpolates = train15 <= rounding
    low = a.overfit_train_error == "low"
    return [
        holds(f"degree 15 on 16 points: training error {'≈ 0' if low else 'high'}",
              (interpolates and train15 < train3) is low, method=f"Chebyshev-basis lstsq ({ctx.dtype})",
              train_mse={"3": train3, "15": train15}, rounding_bound=rounding,
              counterexample={"train_mse": {"3": train3, "15": train15}}),
        holds("degree 15 tests worse than degree 3", test15 > test3, method="10³ fresh points, σ = 0.1",
              test_mse={"3": test3, "15": test15}),
    ]
