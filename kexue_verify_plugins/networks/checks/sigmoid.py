"""Checks of NN-6: the smooth surrogate of θ, its limit as k → ∞, the tanh identity and the sigmoid's slope.

The post defines θ(x) = 1 for x ≥ 0 and −1 for x < 0, then replaces it by S(x) = 1/(1 + e^{−kx}).  For x ≠ 0,
S → H(x) ∈ {0, 1}, not θ(x) ∈ {±1}; the faithful surrogate is 2S − 1 = tanh(kx/2) → sign(x).  S' = kS(1 − S) has
its maximum k/4 at 0.

SymPy takes the limits (x as a positive and as a negative symbol) and simplifies the identity; torch measures the
sup distance to θ on [−1, −δ] ∪ [δ, 1] for growing k, and the slope by autograd.
"""

from __future__ import annotations

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, at_most, close, holds
from kexue_verify.helpers import tolerance, torch_function
from kexue_verify.numeric import sympify
from kexue_verify_plugins.networks.assertions import SigmoidSlope, Surrogate

K_VALUES = (10, 100, 1000)
DELTA = 0.05  #: the probed region is δ ≤ |x| ≤ 1; the limit is pointwise for x ≠ 0


def _parse(text: str, *, x_sign: str) -> tuple[sp.Expr, sp.Symbol, sp.Symbol]:
    """The formula read again with x of one sign (``"+"`` or ``"-"``), so that ``sympy.limit`` may use it."""
    k = sp.Symbol("k", positive=True)
    x = sp.Symbol("x", positive=True) if x_sign == "+" else sp.Symbol("x", negative=True)
    return sympify(text, {"k": k, "x": x}), k, x


def limit_symbolic(ctx: CheckContext, a: Surrogate) -> list[Evidence]:
    """SymPy: lim_{k→∞} of the surrogate for x > 0 and x < 0 against θ (1 and −1), and ``surrogate ≡ equals``."""
    evidence = []
    for sign, theta in (("+", 1), ("-", -1)):
        expr, k, _ = _parse(a.surrogate, x_sign=sign)
        lim = sp.limit(expr, k, sp.oo)
        evidence.append(holds(f"lim k→∞ surrogate for x {'>' if sign == '+' else '<'} 0 is θ = {theta}",
                              sp.simplify(lim - theta) == 0, method="sympy.limit", expected=theta, found=str(lim),
                              counterexample={"x_sign": sign, "limit": str(lim), "theta": theta}))
    diff = sp.simplify((a.surrogate.expr - a.equals.expr).rewrite(sp.exp))
    evidence.append(holds(f"{a.surrogate} ≡ {a.equals}", diff == 0, method="sympy.simplify of the difference "
                          "rewritten in exp", difference=str(diff), counterexample={"difference": str(diff)}))
    return evidence


def limit_numeric(ctx: CheckContext, a: Surrogate) -> list[Evidence]:
    """torch: sup_{δ≤|x|≤1} |surrogate − θ| for k = 10, 100, 1000, and sup |surrogate − equals| at the same k.

    The limit holds when the sup at k = 1000 is within rounding of 0 (the exact tail of tanh(kδ/2) there is
    ≈ 4·10⁻²², far below any dtype's resolution); the identity holds when the sup difference is within rounding.
    """
    s = torch_function(a.surrogate, "k", "x", positive=False)
    e = torch_function(a.equals, "k", "x", positive=False)
    half = torch.linspace(DELTA, 1.0, 2001, dtype=ctx.torch_dtype, device=ctx.device)
    x = torch.cat([-half.flip(0), half])
    theta = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))
    sups, diffs = {}, {}
    worst_x = None
    for kv in K_VALUES:
        k = torch.tensor(float(kv), dtype=ctx.torch_dtype, device=ctx.device)
        err = (s(k, x) - theta).abs()
        sups[str(kv)] = float(err.max())
        worst_x = float(x[err.argmax()])
        diffs[str(kv)] = float((s(k, x) - e(k, x)).abs().max())
    tol = tolerance(ctx.dtype, n=4)
    return [
        at_most("sup |surrogate − θ| at k = 1000", sups[str(K_VALUES[-1])], 0.0, tol=tol,
                method=f"torch on {x.numel()} points, δ = {DELTA} ≤ |x| ≤ 1 ({ctx.dtype})", sup_by_k=sups,
                counterexample={"k": K_VALUES[-1], "x": worst_x, "distance_to_theta": sups[str(K_VALUES[-1])]}),
        at_most(f"sup |{a.surrogate} − {a.equals}|", max(diffs.values()), 0.0, tol=tol,
                method=f"torch, k ∈ {list(K_VALUES)} ({ctx.dtype})", sup_by_k=diffs,
                counterexample={"sup_difference_by_k": diffs}),
    ]


def slope_symbolic(ctx: CheckContext, a: SigmoidSlope) -> list[Evidence]:
    """SymPy: dS/dx − (stated derivative) ≡ 0; the only critical point of S' is x = 0, S'(0) against the stated max.

    S' → 0 at ±∞, so the value at the single critical point is the maximum.
    """
    s_expr, k, x = a.function.expr, a.function.symbols["k"], a.function.symbols["x"]
    d = sp.diff(s_expr, x)
    stated = sympify(a.derivative, {"k": k, "x": x, "S": s_expr})
    diff = sp.simplify(d - stated)
    critical = sp.solve(sp.diff(d, x), x)
    at_zero = sp.simplify(d.subs(x, 0))
    stated_max = a.max_slope.expr
    tails = [sp.limit(d, x, sp.oo), sp.limit(d, x, -sp.oo)]
    return [
        holds("dS/dx ≡ stated derivative", diff == 0, method="sympy.diff, simplify", difference=str(diff),
              counterexample={"difference": str(diff)}),
        holds("max S' = stated", critical == [0] and sp.simplify(at_zero - stated_max) == 0 and tails == [0, 0],
              method="sympy.solve(S'' = 0), limits of S' at ±∞", critical_points=str(critical),
              value_at_zero=str(at_zero), expected=str(stated_max),
              counterexample={"max": str(at_zero), "stated": str(stated_max)}),
    ]


def slope_numeric(ctx: CheckContext, a: SigmoidSlope) -> list[Evidence]:
    """torch autograd: max of dS/dx on a grid through 0 for k = 1, 10, 100, against the stated max; and the stated
    derivative formula against autograd."""
    sig = torch_function(a.function, "k", "x", positive=False)
    stated_max = torch_function(a.max_slope, "k", positive=True)
    stated_d = torch_function(a.derivative.replace("S", f"({a.function})"), "k", "x", positive=False)
    evidence = []
    for kv in (1, 10, 100):
        k = torch.tensor(float(kv), dtype=ctx.torch_dtype, device=ctx.device)
        x = torch.linspace(-10 / kv, 10 / kv, 4001, dtype=ctx.torch_dtype, device=ctx.device, requires_grad=True)
        (grad,) = torch.autograd.grad(sig(k, x).sum(), x)
        want = float(stated_max(k))
        tol = tolerance(ctx.dtype, n=8)
        evidence.append(close(f"max S' at k = {kv}", float(grad.max()), want, tol=tol, relative=True,
                              method=f"torch.autograd on 4001 points through 0 ({ctx.dtype})",
                              counterexample={"k": kv, "max_slope": float(grad.max()), "stated": want}))
        with torch.no_grad():
            gap = float((grad - stated_d(k, x)).abs().max()) / kv
        evidence.append(at_most(f"|S' − stated derivative|/k at k = {kv}", gap, 0.0, tol=tol,
                                method="torch.autograd vs the stated formula",
                                counterexample={"k": kv, "gap": gap}))
    return evidence
