"""The checks of the example plugin; imported only when a claim runs."""

from __future__ import annotations

from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.formula import parse_formula
from kexue_verify.tolerances import tolerance

x = sp.Symbol("x", real=True)


def sup_derivative_symbolic(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """SymPy: the critical points of f' (roots of f''), f' there and at ±∞; the largest is the supremum."""
    f = parse_formula(a["function"], {"x": x})
    d1 = sp.diff(f, x)
    candidates = [sp.simplify(d1.subs(x, c)) for c in sp.solve(sp.diff(f, x, 2), x) if c.is_real]
    candidates += [sp.limit(d1, x, sp.oo), sp.limit(d1, x, -sp.oo)]
    sup = max(candidates, key=lambda v: float(v))
    stated = parse_formula(a["sup"])
    return holds("sup f' equals the stated value", sp.simplify(sup - stated) == 0, method="sympy.solve f'' = 0, limits",
                 expected=str(stated), found=str(sup))


def sup_derivative_numeric(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """torch autograd: max f'(x) on a fine grid of [-20, 20], compared with the stated value."""
    grid = torch.linspace(-20, 20, 400_001, dtype=ctx.torch_dtype, device=ctx.device, requires_grad=True)
    f = sp.lambdify(x, parse_formula(a["function"], {"x": x}), modules=[{"exp": torch.exp}, "math"])
    (slope,) = torch.autograd.grad(f(grid).sum(), grid)
    spacing = 40 / 400_000
    # f' is within (spacing/2)·sup|f''| of its maximum at the nearest grid point; sup|σ''| < 0.1.
    tol = 0.1 * spacing / 2 + tolerance(ctx.dtype, n=4)
    return close("max f' on the grid", slope.max(), float(parse_formula(a["sup"])), tol=tol,
                 method=f"torch.autograd on 400001 points ({ctx.dtype})")


def make_tanh(ctx: CheckContext) -> torch.nn.Module:
    return torch.nn.Tanh()


def make_sigmoid(ctx: CheckContext) -> torch.nn.Module:
    return torch.nn.Sigmoid()


class _Declared(torch.nn.Module):
    """Wraps an activation and carries a declared bound, as a buggy model would."""

    def __init__(self, inner: torch.nn.Module, bound: float) -> None:
        super().__init__()
        self.inner, self.lipschitz_bound = inner, bound

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.inner(t)


def understated_tanh(ctx: CheckContext) -> torch.nn.Module:
    return _Declared(torch.nn.Tanh(), 0.5)


def declared_slope(ctx: CheckContext, a: Any) -> Evidence:
    """The largest difference quotient over close random pairs must not exceed the declared bound."""
    model = ctx.model
    bound = getattr(model, "lipschitz_bound", ctx.declared.get("lipschitz_bound"))
    gen = ctx.generator()
    u = torch.randn(100_000, generator=gen, dtype=ctx.torch_dtype) * 3
    v = u + torch.randn(100_000, generator=gen, dtype=ctx.torch_dtype) * 1e-3
    with torch.no_grad():
        ratio = (model(u) - model(v)).abs() / (u - v).abs()
    worst = int(ratio.argmax())
    # The difference quotient of values rounded to eps·|f| over gaps of ~1e-3 is accurate to ~2·eps/1e-3.
    tol = tolerance(ctx.dtype, n=2) / 1e-3
    return holds("largest difference quotient <= declared bound", bool(ratio.max() <= bound + tol),
                 method=f"100000 random close pairs ({ctx.dtype})", expected=f"<= {bound}",
                 largest_ratio=float(ratio.max()), declared=bound,
                 counterexample={"x": float(u[worst]), "y": float(v[worst]), "ratio": float(ratio[worst])})
