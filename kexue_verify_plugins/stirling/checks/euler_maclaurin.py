"""Checks of the post's remark on the Euler–Maclaurin route (ST-14).

The post writes “n! = Σ_{k=1}^n ln k”, which must read ``ln n! = Σ ln k``, and adds that summation cannot give
``√(2π)`` directly: Euler–Maclaurin yields ``ln n! = (n+½) ln n − n + C + 1/(12n) − …`` with the constant only as
the limit ``C = lim (ln n! − (n+½) ln n + n)``; identifying ``C = ½ ln 2π`` takes Wallis' product,
``Π 4k²/(4k²−1) = π/2``, which forces ``e^{2C}/4 = π/2``.
"""

from __future__ import annotations

import mpmath
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Formula, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.stirling.assertions import EulerMaclaurin
from kexue_verify_plugins.stirling.symbolic import finite_power_series, log_ratio_series

n = sp.Symbol("n", positive=True, integer=True)
k = sp.Symbol("k", positive=True, integer=True)

#: ``n`` for the exact comparison of the two sides (``n!`` itself stays representable in float32 up to 34).
SMALL_N = range(1, 21)


def _shift(a: EulerMaclaurin) -> int:
    """How many terms short of ``n`` the stated sum stops: ``upper = n − shift`` for an integer ``shift ≥ 0``."""
    shift = sp.simplify(n - a.upper.expr)
    if not (shift.is_integer and shift.is_nonnegative):
        raise ValueError(f"the upper limit must be n − s for an integer s ≥ 0, got {a.upper!r}")
    return int(shift)


def _sum_closed(a: EulerMaclaurin) -> sp.Expr:
    """``Σ_{k=1}^{upper} log g(k) = log Π g(k)`` (the summand must be a logarithm); SymPy evaluates the product."""
    summand = a.summand.expr
    if not isinstance(summand, sp.log):
        raise ValueError(f"the summand must be a logarithm, got {a.summand!r}")
    return sp.log(sp.product(summand.args[0], (k, 1, a.upper.expr)))


def euler_maclaurin_symbolic(ctx: CheckContext, a: EulerMaclaurin) -> list[Evidence]:
    """SymPy: ``lhs = log Π_{k≤upper} k`` as functions of ``n``; mpmath (50 digits) at ``n = 1 … 20``; the limit
    ``C`` from SymPy's ``loggamma`` series at ∞ and Wallis' product from ``sympy.product``, against the stated
    constant."""
    lhs, closed = a.lhs.expr, _sum_closed(a)
    identity = sp.simplify(lhs - closed) == 0
    worst = None
    with mpmath.workdps(50):
        for value in SMALL_N:
            left = sp.N(lhs.subs(n, value), 50)
            right = mpmath.fsum(mpmath.log(j) for j in range(1, int(a.upper.expr.subs(n, value)) + 1))
            if abs(mpmath.mpf(left) - right) > mpmath.mpf(10) ** -40:
                worst = {"n": value, "lhs": float(left), "sum_of_logs": float(right)}
                break
    series = log_ratio_series("gamma(n+1)", "n**(n+1/2)*exp(-n)", "n", 1)
    constant = sp.simplify(series) if finite_power_series(series) else sp.nan
    stated = a.constant.expr
    with mpmath.workdps(30):
        wallis = mpmath.nprod(lambda j: 4 * j * j / (4 * j * j - 1), [1, mpmath.inf])
        forced = mpmath.exp(2 * mpmath.mpf(sp.N(stated, 40))) / 4
        wallis_forces = bool(abs(forced / wallis - 1) < mpmath.mpf(10) ** -20)
    return [
        holds("lhs = Σ_{k=1}^{upper} ln k for all n", identity and worst is None,
              method="sympy.product + simplify; mpmath 50 digits at n = 1…20",
              expected=f"{a.lhs} = log({sp.product(k, (k, 1, a.upper.expr))})", counterexample=worst,
              closed_form_of_sum=str(closed)),
        holds("lim (ln n! − (n+½) ln n + n) = stated constant", sp.simplify(constant - stated) == 0,
              method="sympy.series of loggamma at ∞", expected=a.constant, found=str(constant),
              counterexample={"limit": str(constant), "stated": a.constant}),
        holds("Wallis: Π 4k²/(4k²−1) = e^{2C}/4 for the stated C", wallis_forces,
              method="mpmath.nprod (extrapolated infinite product), 30 digits; tolerance 1e-20 relative",
              expected=float(wallis), found=float(forced),
              counterexample={"wallis_product": float(wallis), "exp(2C)/4": float(forced)}),
    ]


def _torch_lhs(text: Formula, grid: torch.Tensor) -> torch.Tensor:
    """The stated left side on ``grid``; ``factorial`` through ``lgamma`` (``log(factorial(n))`` stays in logs)."""
    expr = text.expr
    if expr == sp.log(sp.factorial(n)):
        return torch.lgamma(grid + 1)
    if expr == sp.factorial(n):
        return torch.exp(torch.lgamma(grid + 1))
    raise ValueError(f"unsupported left side {text!r}")


def euler_maclaurin_numeric(ctx: CheckContext, a: EulerMaclaurin) -> list[Evidence]:
    """torch: ``cumsum(log k)`` against the stated left side for ``n = 1 … 20``; and for ``n = 10 … 10⁴``,
    ``lgamma(n+1) − (n+½) log n + n − C − 1/(12n)`` within ``1/(360n³)`` (the E–M remainder is bounded by its first
    omitted term, DLMF §5.11(ii)) plus rounding (Higham γ on the magnitudes involved)."""
    shift = _shift(a)
    grid = torch.arange(1, 21, dtype=ctx.torch_dtype, device=ctx.device)
    logs = torch.log(torch.arange(1, 21, dtype=ctx.torch_dtype, device=ctx.device))
    sums = torch.cumsum(logs, 0)
    sums = torch.cat([torch.zeros(shift, dtype=sums.dtype, device=sums.device), sums[: len(sums) - shift]])
    lhs = _torch_lhs(a.lhs, grid)
    magnitudes = zip(grid.tolist(), torch.cumsum(logs.abs(), 0).tolist(), lhs.tolist(), strict=True)
    tol = torch.tensor([tolerance(ctx.dtype, n=int(v) + 8, scale=float(s) + float(abs(w))) for v, s, w in magnitudes],
                       dtype=grid.dtype, device=grid.device)
    bad = (lhs - sums).abs() > tol
    first = int(torch.argmax(bad.to(torch.int8)))
    big = torch.logspace(1, 4, 25, dtype=ctx.torch_dtype, device=ctx.device)
    stated = float(a.constant.expr)
    lg = torch.lgamma(big + 1)
    value = lg - (big + 0.5) * torch.log(big) + big
    scale = lg.abs() + (big + 0.5) * torch.log(big) + big
    slack = torch.tensor([tolerance(ctx.dtype, n=8, scale=float(s)) for s in scale.tolist()], dtype=big.dtype,
                         device=big.device) + 1 / (360 * big**3)
    off = (value - stated - 1 / (12 * big)).abs()
    usable = slack < 0.1 * abs(stated)
    worst = int(torch.argmax(torch.where(usable, off / slack, torch.zeros_like(off))))
    return [
        holds("stated lhs = cumsum(log k), n = 1…20", not bool(bad.any()),
              method=f"torch ({ctx.dtype}, {ctx.device})", expected="equal up to rounding",
              counterexample={"n": int(grid[first]), "lhs": float(lhs[first]), "sum_of_logs": float(sums[first])},
              max_difference=float((lhs - sums).abs().max())),
        holds("ln n! − (n+½) ln n + n − 1/(12n) → stated constant", bool(usable.any())
              and not bool((usable & (off > slack)).any()),
              method=f"torch.lgamma ({ctx.dtype}, {ctx.device}), n = 10…10⁴ where rounding is below C/10",
              expected=a.constant,
              counterexample={"n": float(big[worst]), "measured": float(value[worst] - 1 / (12 * big[worst])),
                              "stated": stated}, points=int(usable.sum())),
    ]
