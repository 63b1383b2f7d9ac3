r"""Checks of the catalogue claims about the layers' mathematics (FLOW-1 … FLOW-13, FLOW-15, FLOW-18, FLOW-21) and of
the consistency-only testing practice.

Symbolic parts use SymPy on small symbolic instances (undefined functions for the conditioners); numeric parts use the
built-in layers of :mod:`.layers` with perturbed parameters, in the run's dtype and device, against the float64
``slogdet`` of autograd Jacobians (:mod:`.jacobian`).  Formulas in assertions use ``s[i]``-style indexed names summed
with ``Sum(…, (i, 1, d))``; :func:`indexed` expands them for a given size.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from kexue_verify_plugins.flows import buggy, layers
from kexue_verify_plugins.flows.directions import directions_check
from kexue_verify_plugins.flows.generic import (
    consistency_only,
    inverse_check,
    logdet_check,
    plain,
    prepare,
    probe,
    structure_check,
)
from kexue_verify_plugins.flows.jacobian import batch_jacobian, componentwise_condition, no_tf32, slogdet64

from kexue_verify import CheckContext, Evidence, Outcome, close, holds
from kexue_verify.numeric import plain_symbols, sympify
from kexue_verify.tolerances import tolerance

I = sp.Symbol("i", integer=True)  # noqa: E741 - the summation index of the assertions

# --------------------------------------------------------------------------------------------- helpers


def indexed(text: str, sizes: dict[str, int], names: Sequence[str], real: Sequence[str] = (),
            plain: str = "") -> tuple[sp.Expr, dict]:
    """Parse ``text`` (with ``Sum(…, (i, 1, d))`` over ``name[i]``) at the given sizes and expand it.

    ``plain`` names further variables the text may use (``"h w"``), as plain symbols. Returns the expression
    in plain symbols ``name_k`` (positive unless listed in ``real``) and the map ``{name: [name_1, …]}``.
    """
    bases = {n: sp.IndexedBase(n) for n in names}
    size_syms = {k: sp.Integer(v) for k, v in sizes.items()}
    expr = sympify(text, {**plain_symbols(plain), **bases, **size_syms, "i": I}).doit()
    largest = max(sizes.values())
    symbols = {n: [sp.Symbol(f"{n}_{k}", real=True) if n in real else sp.Symbol(f"{n}_{k}", positive=True)
                   for k in range(1, largest + 1)] for n in names}
    mapping = {bases[n][k]: symbols[n][k - 1] for n in names for k in range(1, largest + 1)}
    return expr.xreplace(mapping), symbols


def _as_tensor(v: Any) -> torch.Tensor:
    return v if isinstance(v, torch.Tensor) else torch.tensor(float(v), dtype=torch.float64)


_TORCH = {name: (lambda fn: lambda *a: fn(*(_as_tensor(x) for x in a)))(getattr(torch, name))
          for name in ("log", "exp", "sqrt", "abs", "sigmoid", "tanh")}
_TORCH["Abs"] = _TORCH["abs"]


def to_torch(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., torch.Tensor]:
    """``sympy.lambdify`` onto torch tensors (numbers lifted to float64 0-dim tensors)."""
    return sp.lambdify(list(symbols), expr, modules=[_TORCH, "math"])


def _ctx_model(ctx: CheckContext, factory: Callable[[Any], Any]) -> Any:
    """Build a model as the runner does: factory(ctx), then onto the run's device and dtype."""
    model = factory(ctx)
    return model.to(device=ctx.device, dtype=ctx.torch_dtype) if hasattr(model, "to") else model


def _layer(ctx: CheckContext, build: Callable[[torch.Generator], layers.FlowModule], scale: float = 0.3) -> Any:
    with layers.seeded(ctx.seed) as gen:
        module = layers.finish_layer(build(gen), gen, scale=scale)
    return module.to(device=ctx.device, dtype=ctx.torch_dtype)


def _randn(ctx: CheckContext, *shape: int, offset: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed((ctx.seed + 31 * offset) % 2**63)
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(device=ctx.device, dtype=ctx.torch_dtype)


def _logdet_vs_jacobian(name: str, predicted: torch.Tensor, jac: torch.Tensor, ctx: CheckContext,
                        method: str, **quantities: Any) -> Evidence:
    """Predicted log-dets against float64 slogdet, tolerance 8γ_D(κ + |log det|) (see :mod:`.generic`)."""
    _, truth = slogdet64(jac)
    kappa = componentwise_condition(jac)
    d = jac.shape[-1]
    pred = predicted.detach().to(torch.float64).reshape(-1)
    err = (pred - truth).abs()
    tol = torch.tensor([tolerance(ctx.dtype, n=d, condition=float(k)) + tolerance(ctx.dtype, n=d, scale=float(t))
                        for k, t in zip(kappa, truth, strict=True)], dtype=torch.float64, device=err.device)
    k = int(torch.argmax(err / tol))
    ok = bool(torch.isfinite(pred).all()) and bool((err <= tol).all())
    return holds(name, ok, method=method, expected="|formula − slogdet J| ≤ 8γ_D(κ + |log|det||)",
                 counterexample={"sample": k, "formula": plain(pred[k]), "slogdet": plain(truth[k])},
                 max_error=plain(err.max()), tolerance_max=plain(tol.max()), **quantities)


def _witness(diff: sp.Expr, subs: dict, name: str) -> Evidence:
    """Pass if ``diff`` simplifies to 0; else evaluate it at concrete functions/values as a counterexample.

    ``expand_log`` is applied without ``force``, so logs of products split only where the symbols' assumptions
    (positive scales) allow it.
    """
    simplified = sp.simplify(sp.expand_log(diff))
    if simplified == 0:
        return holds(name, True, method="sympy.simplify", expected="0")
    value = sp.N(simplified.subs(subs).doit(), 15)
    return holds(name, False, method="sympy.simplify, then a concrete instance", expected="0",
                 counterexample={"difference": str(simplified)[:200], "at": {str(k): str(v) for k, v in subs.items()},
                                 "value": str(value)})


# --------------------------------------------------------------------------------------------- FLOW-1


def coupling_inverse_symbolic(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """SymPy: substitute h₂ = s·x₂ + t into the stated inverse; it must give back x₂ (s > 0)."""
    x2, t, h2 = sp.symbols("x2 t h2", real=True)
    s = sp.Symbol("s", positive=True)
    inverse = sympify(a["inverse"], {"h2": h2, "s": s, "t": t})
    diff = sp.simplify(inverse.subs(h2, s * x2 + t) - x2)
    point = {s: 2, t: 1, x2: 1}
    return holds("inverse(forward(x₂)) − x₂ = 0", diff == 0, method="sympy.simplify", expected="0",
                 counterexample={"s": 2, "t": 1, "x2": 1, "recovered": str(inverse.subs(h2, s * x2 + t).subs(point))},
                 difference=str(diff))


def coupling_inverse_numeric(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """torch: an exp-affine coupling (tanh MLPs, D = 6, perturbed), inverted with the stated formula.

    Tolerance per entry: 8γ₄ · ((|h₂| + 2|t|)/s + |x₂|(1 + |log s|)) — the rounding of the forward map's
    multiply-add carried through the inverse's subtract-divide, and of ``exp`` (Higham γ₄, four operations).
    """
    layer = _layer(ctx, lambda gen: layers.AffineCoupling((6,), hidden=16, scale="exp"))
    x = _randn(ctx, 64, 6)
    with torch.no_grad():
        h, _ = layer(x)
        h1, h2 = layers.split_halves(h)
        log_s, t = layer.log_scale_and_shift(h1)
    s = log_s.exp()
    fn = to_torch(sympify(a["inverse"], plain_symbols("h2 s t")), sp.symbols("h2 s t"))
    x2 = layers.split_halves(x)[1]
    recovered = fn(h2, s, t)
    err = (recovered - x2).abs().to(torch.float64)
    scale = ((h2.abs() + 2 * t.abs()) / s + x2.abs() * (1 + log_s.abs())).to(torch.float64)
    tol = tolerance(ctx.dtype, n=4) * scale
    k = int(torch.argmax(err / tol))
    n, j = divmod(k, err.shape[1])
    return holds("x₂ recovered by the stated inverse", bool((err <= tol).all()),
                 method=f"exp-affine coupling, 64 samples, D = 6 ({ctx.dtype}, {ctx.device})",
                 expected="|error| ≤ 8γ₄((|h₂|+2|t|)/s + |x₂|(1+|log s|))",
                 counterexample={"sample": n, "coordinate": j, "x2": plain(x2[n, j]),
                                 "recovered": plain(recovered[n, j]),
                                 "s": plain(s[n, j]), "t": plain(t[n, j])},
                 max_error=plain(err.max()))


# --------------------------------------------------------------------------------------------- FLOW-2, FLOW-3


def _coupling_jacobian_det(additive: bool) -> tuple[sp.Expr, dict, tuple]:
    """det of the d = 2 + 2 coupling Jacobian with undefined functions s_k, t_k (or m_k) of x₁ = (a₁, a₂)."""
    a1, a2, b1, b2 = sp.symbols("a1 a2 b1 b2", real=True)
    funcs = {name: [sp.Function(f"{name}{k}", positive=name == "s", real=True)(a1, a2) for k in (1, 2)]
             for name in ("s", "t", "m")}
    if additive:
        y = [a1, a2, b1 + funcs["m"][0], b2 + funcs["m"][1]]
    else:
        y = [a1, a2, funcs["s"][0] * b1 + funcs["t"][0], funcs["s"][1] * b2 + funcs["t"][1]]
    det = sp.simplify(sp.Matrix(y).jacobian([a1, a2, b1, b2]).det())
    return det, funcs, (a1, a2)


def _coupling_formula(text: str, funcs: dict, args: tuple) -> sp.Expr:
    expr, syms = indexed(text, {"d": 2}, ("s", "dt", "m"), real=("dt", "m"))
    a1, a2 = args
    repl = {}
    for k in (0, 1):
        repl[syms["s"][k]] = funcs["s"][k]
        repl[syms["m"][k]] = funcs["m"][k]
        repl[syms["dt"][k]] = sp.Derivative(funcs["t"][k], (a1, a2)[k])
    return expr.xreplace(repl)


def _concrete(funcs: dict, args: tuple) -> dict:
    a1, a2 = args
    concrete = {funcs["s"][0]: sp.exp(a1 + a2 / 2), funcs["s"][1]: sp.exp(a2 - a1 / 3) + 1,
                funcs["t"][0]: 3 * a1 + a1 * a2, funcs["t"][1]: 2 * a2 - a1,
                funcs["m"][0]: a1 + 2 * a2, funcs["m"][1]: a1 * a2 + 1}
    return {**concrete, a1: sp.Rational(3, 10), a2: sp.Rational(-7, 10)}


def coupling_logdet_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy, d = 2 + 2 with undefined s, t: det J = s₁s₂, so log det J equals the stated formula."""
    det, funcs, args = _coupling_jacobian_det(additive=False)
    ev = [holds("det J = s₁ s₂", sp.simplify(det - funcs["s"][0] * funcs["s"][1]) == 0,
                method="sympy Matrix.jacobian().det()", det=str(det))]
    stated = _coupling_formula(a["logdet"], funcs, args)
    ev.append(_witness(stated - sp.log(det), _concrete(funcs, args), "stated log-det − log det J = 0"))
    return ev


def additive_logdet_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy, d = 2 + 2 with undefined m: det J = 1, so log det J = 0 must equal the stated formula."""
    det, funcs, args = _coupling_jacobian_det(additive=True)
    ev = [holds("det J = 1", sp.simplify(det - 1) == 0, method="sympy Matrix.jacobian().det()", det=str(det))]
    stated = _coupling_formula(a["logdet"], funcs, args)
    ev.append(_witness(stated - sp.log(det), _concrete(funcs, args), "stated log-det − log det J = 0"))
    return ev


def _coupling_numeric(ctx: CheckContext, text: str, additive: bool) -> Evidence:
    d2 = 3
    if additive:
        layer = _layer(ctx, lambda gen: layers.AdditiveCoupling((2 * d2,), hidden=16))
    else:
        layer = _layer(ctx, lambda gen: layers.AffineCoupling((2 * d2,), hidden=16, scale="exp"))
    x = _randn(ctx, 4, 2 * d2)
    jac, method = batch_jacobian(lambda v: layer(v)[0], x)
    x1 = layers.split_halves(x)[0]
    with torch.no_grad():
        if additive:
            m = layer.m(x1)
            log_s, t_jac = torch.zeros_like(m), torch.zeros(4, d2, d2, dtype=x.dtype, device=x.device)
        else:
            log_s, _ = layer.log_scale_and_shift(x1)
            m = torch.zeros_like(log_s)
    if not additive:
        t_jac, _ = batch_jacobian(lambda v: layer.log_scale_and_shift(v)[1], x1)
    dt = torch.diagonal(t_jac, dim1=-2, dim2=-1)
    expr, syms = indexed(text, {"d": d2}, ("s", "dt", "m"), real=("dt", "m"))
    names = syms["s"][:d2] + syms["dt"][:d2] + syms["m"][:d2]
    fn = to_torch(expr, names)
    s = log_s.exp()
    predicted = fn(*[s[:, k] for k in range(d2)], *[dt[:, k] for k in range(d2)], *[m[:, k] for k in range(d2)])
    predicted = _as_tensor(predicted).expand(4) if _as_tensor(predicted).dim() == 0 else predicted
    kind = "additive" if additive else "exp-affine"
    return _logdet_vs_jacobian("stated log-det = slogdet of the autograd Jacobian", predicted, jac, ctx,
                               f"{kind} coupling, D = {2 * d2}, {method}; slogdet in float64")


def coupling_logdet_numeric(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """torch: exp-affine coupling (D = 6, perturbed): the stated formula against slogdet of the autograd Jacobian."""
    return _coupling_numeric(ctx, a["logdet"], additive=False)


def additive_logdet_numeric(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """torch: additive coupling (D = 6, perturbed): the stated formula against slogdet of the autograd Jacobian."""
    return _coupling_numeric(ctx, a["logdet"], additive=True)


# --------------------------------------------------------------------------------------------- FLOW-4, FLOW-5


def _perm_matrix(perm: Sequence[int]) -> sp.Matrix:
    n = len(perm)
    return sp.Matrix(n, n, lambda i, j: 1 if perm[i] == j else 0)


def permutation_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy: the example (6) exactly; the stated determinant property for every permutation of 2…4 elements;
    and reversal = swap of halves ∘ a permutation inside each half (the NICE remark)."""
    ex = a["example"]
    out = sp.Matrix(ex["rows"]) * sp.Matrix(ex["input"])
    ev = [holds("P (1,2,3,4)ᵀ = (2,1,4,3)ᵀ", list(out) == list(ex["output"]), method="sympy exact",
                expected=ex["output"], computed=[int(v) for v in out])]
    det = sp.Symbol("det")
    prop = sympify(a["vanishes_for_every_permutation"], {"det": det})
    bad = None
    for n in (2, 3, 4):
        for perm in itertools.permutations(range(n)):
            value = _perm_matrix(perm).det()
            if prop.subs(det, value) != 0:
                bad = {"permutation": list(perm), "det": int(value)}
                break
        if bad:
            break
    ev.append(holds(f"{a['vanishes_for_every_permutation']} = 0 for every permutation of n ≤ 4", bad is None,
                    method="sympy det of all 32 permutation matrices", counterexample=bad))
    d = 6
    reverse, swap = list(range(d))[::-1], list(range(d // 2, d)) + list(range(d // 2))
    inside = [swap.index(r) for r in reverse]  # reverse = swap ∘ inside
    within = all((i < d // 2) == (j < d // 2) for i, j in enumerate(inside))
    ev.append(holds("reversal = swap of halves ∘ a permutation within each half (D = 6)", within,
                    method="composition of index maps", inside_permutation=inside))
    return ev


def permutation_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: reversal and a random shuffle (D = 8 and 4×4×4): float64 slogdet of the Jacobian against the stated
    change of the log-likelihood."""
    ev = []
    dsym = sp.Symbol("D", positive=True, integer=True)
    change = sympify(a["logdet_change"], {"D": dsym})
    with layers.seeded(ctx.seed) as gen:
        cases = {"reverse, D = 8": layers.reverse_permutation((8,)),
                 "shuffle, D = 8": layers.random_permutation((8,), gen),
                 "shuffle, 4×4×4": layers.random_permutation((4, 4, 4), gen)}
    for name, layer in cases.items():
        layer = layer.to(device=ctx.device, dtype=ctx.torch_dtype)
        x = _randn(ctx, 2, *layer.event_shape)
        jac, _ = batch_jacobian(lambda v, layer=layer: layer(v)[0], x)
        sign, logabs = slogdet64(jac)
        expected = float(change.subs(dsym, jac.shape[-1]))
        ev.append(close(f"log|det P| = stated change ({name})", float(logabs.abs().max()), expected,
                        tol=tolerance(ctx.dtype, n=jac.shape[-1]), method="float64 slogdet of the Jacobian",
                        counterexample={"layer": name, "log_abs_det": plain(logabs[0]), "stated": expected},
                        sign=plain(sign[0])))
    return ev


def channel_permutation_numeric(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """torch: ``conv2d(x, W.view(c,c,1,1))`` with W = P (P[i, π(i)] = 1) or its transpose, against ``x[:, π]``.

    π is a 5-cycle (not an involution, so P and Pᵀ differ).  Each output is one input times 1 plus zeros:
    exact, up to 8γ_c·|x| if a library sums in another order.
    """
    c = 5
    perm = [(i + 2) % c for i in range(c)]
    p = torch.zeros(c, c, dtype=ctx.torch_dtype, device=ctx.device)
    p[torch.arange(c), torch.tensor(perm)] = 1
    weight = {"P": p, "P.T": p.T}[a["weight"]]
    x = _randn(ctx, 2, c, 3, 4)
    with no_tf32(ctx.device):
        conv = F.conv2d(x, weight.reshape(c, c, 1, 1))
    target = x[:, perm]
    err = (conv - target).abs()
    tol = tolerance(ctx.dtype, n=c, scale=float(x.abs().max()))
    channel = int(err.amax(dim=(0, 2, 3)).argmax())
    return holds("conv2d(x, W) = x[:, π]", bool((err <= tol).all()), method=f"torch conv2d ({ctx.dtype}, {ctx.device})",
                 expected=f"≤ {tol:.3g}", counterexample={"channel": channel, "conv_takes_channel": perm.index(channel)
                                                          if a["weight"] == "P.T" else perm[channel],
                                                          "permutation": perm},
                 max_error=plain(err.max()))


# --------------------------------------------------------------------------------------------- FLOW-6, FLOW-7


def squeeze_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: which shapes squeeze accepts, the output shape, the Jacobian on 4×6×3 (a permutation matrix) against the
    stated log-det, and ``F.pixel_unshuffle`` as another permutation."""
    c_, h_, w_ = sp.symbols("c h w", positive=True, integer=True)
    loc = {"c": c_, "h": h_, "w": w_}
    requires = [sympify(r, loc) for r in a["requires"]]
    squeeze = layers.Squeeze((3, 4, 6))
    mismatch = None
    for shape in [(3, 4, 6), (3, 3, 6), (3, 4, 5), (4, 4, 6), (5, 2, 2), (8, 6, 4)]:
        predicted = all(r.subs(dict(zip((c_, h_, w_), shape, strict=True))) == 0 for r in requires)
        try:
            squeeze(torch.zeros(1, *shape, dtype=ctx.torch_dtype, device=ctx.device))
            works = True
        except ValueError:
            works = False
        if predicted != works:
            mismatch = {"shape_chw": list(shape), "stated_requirements_met": predicted, "squeeze_works": works}
            break
    ev = [holds("the stated requirements are exactly the shapes squeeze accepts", mismatch is None,
                method="squeeze on 6 shapes", counterexample=mismatch)]
    x = _randn(ctx, 2, 3, 4, 6)
    y, _ = squeeze(x)
    stated = [int(sympify(e, loc).subs({c_: 3, h_: 4, w_: 6})) for e in a["output_shape"]]
    ev.append(holds("output shape", list(y.shape[1:]) == stated, method="torch", expected=stated,
                    counterexample={"measured": list(y.shape[1:]), "stated": stated}))
    jac, _ = batch_jacobian(lambda v: squeeze(v)[0], x)
    perm_ok = bool((((jac == 0) | (jac == 1)).all()) and bool(((jac == 1).sum(-1) == 1).all())
                   and bool(((jac == 1).sum(-2) == 1).all()))
    ev.append(holds("the Jacobian on 4×6×3 is a permutation matrix", perm_ok, method="exact entries"))
    _, logabs = slogdet64(jac)
    stated_ld = float(sympify(a["logdet"], loc).subs({c_: 3, h_: 4, w_: 6}))
    ev.append(close("log|det J| = stated log-det", float(logabs[0]), stated_ld, tol=tolerance(ctx.dtype, n=72),
                    method="float64 slogdet", counterexample={"log_abs_det": plain(logabs[0]), "stated": stated_ld}))
    ev.append(holds("F.pixel_unshuffle(x, 2) is the same squeeze (output channel 4c + 2i + j)",
                    torch.equal(F.pixel_unshuffle(x, 2), y), method="exact comparison",
                    note="the catalogue's remark that pixel_unshuffle orders channels differently from squeeze2d "
                         "does not hold: both put block offset (i, j) of channel c at 4c + 2i + j"))
    return ev


def multiscale_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy: the stated sizes add up to the stated total, and a bijection's total output is D."""
    d = sp.Symbol("D", positive=True)
    sizes = [sympify(s, {"D": d}) for s in a["sizes"]]
    total = sympify(a["total"], {"D": d})
    return [holds("Σ sizes = stated total", sp.simplify(sum(sizes) - total) == 0, method="sympy",
                  counterexample={"sum_of_sizes": str(sum(sizes)), "total": str(total)}),
            holds("stated total = D (the flow is a bijection of R^D)", sp.simplify(total - d) == 0, method="sympy",
                  counterexample={"total": str(total)})]


def multiscale_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: a multi-scale Glow (L = 3, K = 1) on one 3×32×32 input; the sizes of its outputs and their total."""
    with layers.seeded(ctx.seed) as gen:
        flow = layers.MultiScaleGlow((3, 32, 32), gen, levels=3, depth=1, hidden=4)
    flow = flow.to(device=ctx.device, dtype=ctx.torch_dtype)
    x = _randn(ctx, 1, 3, 32, 32)
    with torch.no_grad():
        y, _ = flow(x)
    measured = flow.output_sizes()
    d = sp.Symbol("D", positive=True)
    stated = [int(sympify(s, {"D": d}).subs(d, 3072)) for s in a["sizes"]]
    total = int(sympify(a["total"], {"D": d}).subs(d, 3072))
    return [holds("sizes of the factored-out parts (32×32×3)", measured == stated, method="torch, Glow L = 3",
                  expected=stated, counterexample={"measured": measured, "stated": stated}),
            holds("total output entries", y.shape[1] == total, method="torch forward", expected=total,
                  counterexample={"measured": int(y.shape[1]), "stated": total})]


# --------------------------------------------------------------------------------------------- FLOW-8, FLOW-15


def _normal_logpdf(z: sp.Expr, mu: sp.Expr, sigma: sp.Expr) -> sp.Expr:
    return -(z - mu) ** 2 / (2 * sigma**2) - sp.log(sigma) - sp.log(2 * sp.pi) / 2


def conditional_prior_symbolic(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """SymPy: log N(z; μ, σ²) − [log N((z−μ)/σ; 0, 1) + stated correction] = 0."""
    z, mu = sp.symbols("z mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    correction = sympify(a["correction"], {"sigma": sigma})
    diff = _normal_logpdf(z, mu, sigma) - (_normal_logpdf((z - mu) / sigma, 0, 1) + correction)
    return _witness(diff, {sigma: 2, z: 1, mu: 0}, "log N(z;μ,σ²) − log N(ẑ;0,1) − correction = 0")


def _quadrature_1d(fn: Callable[[torch.Tensor], torch.Tensor], nodes: int) -> float:
    u, w = np.polynomial.legendre.leggauss(nodes)
    u64, w64 = torch.as_tensor(u), torch.as_tensor(w)
    x = u64 / (1 - u64**2)
    return float((w64 * (1 + u64**2) / (1 - u64**2) ** 2 * fn(x)).sum())


def conditional_prior_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: (1) the split prior's ``Normal(μ,σ).log_prob`` against the standardised form with the stated
    correction; (2) the conditional density ∫ p(z₂ | ·) dz₂ by Gauss–Legendre quadrature (after z = u/(1−u²),
    error estimate |Q₂ₙ − Qₙ|), with μ, σ computed from the other half or (variant) from z₂ itself."""
    layer = _layer(ctx, lambda gen: layers.SplitPrior((4, 4, 4), hidden=8))
    x = _randn(ctx, 3, 4, 4, 4)
    sigma_s = sp.Symbol("sigma", positive=True)
    correction = to_torch(sympify(a["correction"], {"sigma": sigma_s}), [sigma_s])
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
    vec = _layer(ctx, lambda gen: layers.SplitPrior((2,), hidden=8), scale=0.5).to(torch.float64).cpu()

    def density(z2_grid: torch.Tensor, z1_value: float) -> torch.Tensor:
        cond = torch.full_like(z2_grid, z1_value) if a["conditioner"] == "other-half" else z2_grid
        with torch.no_grad():
            m, ls = vec.mean_and_log_std(cond.reshape(-1, 1))
        return torch.distributions.Normal(m.reshape(-1), ls.exp().reshape(-1)).log_prob(z2_grid).exp()

    worst = None
    for z1_value in (-1.5, 0.0, 0.7):
        coarse = _quadrature_1d(lambda g, v=z1_value: density(g, v), 200)
        fine = _quadrature_1d(lambda g, v=z1_value: density(g, v), 400)
        dev = abs(fine - 1) - abs(fine - coarse) - tolerance("float64", n=400)
        if worst is None or dev > worst[0]:
            worst = (dev, z1_value, fine, abs(fine - coarse))
    ev.append(holds("∫ p(z₂ | conditioner) dz₂ = 1", worst[0] <= 0,
                    method="Gauss–Legendre 400 nodes after z = u/(1−u²), float64, three values of z₁",
                    expected="|∫ − 1| ≤ |Q₄₀₀ − Q₂₀₀| + rounding",
                    counterexample={"z1": worst[1], "integral": worst[2], "conditioner": a["conditioner"]},
                    integral=worst[2], error_estimate=worst[3]))
    return ev


def conditional_actnorm_symbolic(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """SymPy: log N(z₂; μ, σ²) = log N(ẑ; 0, 1) + stated log-det, with the stated ẑ."""
    z2, mu = sp.symbols("z2 mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    loc = {"z2": z2, "mu": mu, "sigma": sigma}
    zhat, logdet = sympify(a["zhat"], loc), sympify(a["logdet"], loc)
    diff = _normal_logpdf(z2, mu, sigma) - (_normal_logpdf(zhat, 0, 1) + logdet)
    return _witness(diff, {sigma: 2, z2: 1, mu: 0}, "log N(z₂;μ,σ²) − log N(ẑ;0,1) − log-det = 0")


def conditional_actnorm_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: the split layer's own output and log-det against the stated ẑ and log-det, and the split prior
    ``Normal(μ(z₁), σ(z₁)).log_prob(z₂)`` against ``Normal(0,1).log_prob(ẑ) + log-det`` (4×4×4, perturbed)."""
    layer = _layer(ctx, lambda gen: layers.SplitPrior((4, 4, 4), hidden=8))
    x = _randn(ctx, 3, 4, 4, 4)
    syms = sp.symbols("z2 mu sigma")
    loc = dict(zip(("z2", "mu", "sigma"), syms, strict=True))
    zhat_fn = to_torch(sympify(a["zhat"], loc), syms)
    ld_fn = to_torch(sympify(a["logdet"], loc), syms)
    with torch.no_grad():
        z1, z2 = layers.split_halves(x)
        mu, log_sigma = layer.mean_and_log_std(z1)
        sigma = log_sigma.exp()
        zhat = zhat_fn(z2, mu, sigma)
        ld = layers.per_sample(_as_tensor(ld_fn(z2, mu, sigma)).expand_as(z2))
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


# --------------------------------------------------------------------------------------------- FLOW-10, FLOW-11


def conv1x1_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy: det(I_hw ⊗ Wᵀ) = det(W)^{hw} for a symbolic 2×2 W and h·w = 3, 4; the stated log-det's coefficient
    of L = log|det W| must be that exponent."""
    ws = sp.symbols("w11 w12 w21 w22", real=True)
    w_mat = sp.Matrix(2, 2, ws)
    h, w, c, ell = sp.symbols("h w c L", real=True)
    stated = sympify(a["logdet"], {"h": h, "w": w, "c": c, "L": ell})
    ev, bad = [], None
    for hh, ww in ((1, 3), (2, 2)):
        big = sp.kronecker_product(sp.eye(hh * ww), w_mat.T)
        identity = sp.expand(big.det() - w_mat.det() ** (hh * ww)) == 0
        ev.append(holds(f"det(I_{hh * ww} ⊗ Wᵀ) = det(W)^{hh * ww}", identity,
                        method="sympy kronecker_product, det"))
        coeff = sp.diff(stated, ell).subs({h: hh, w: ww, c: 2})
        if sp.simplify(coeff - hh * ww) != 0 and bad is None:
            bad = {"h": hh, "w": ww, "c": 2, "stated_coefficient_of_log_det_W": str(coeff), "exponent": hh * ww}
    ev.append(holds("stated log-det = (exponent) · log|det W|", bad is None, method="sympy", counterexample=bad))
    return ev


def conv1x1_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: a 1×1 convolution with W moved away from its orthogonal initialisation (where log|det W| = 0 makes
    every variant agree), on 1×3×4×6 (D = 72): the stated formula against slogdet of the Jacobian; and the vector
    form h = xW, whose Jacobian is Wᵀ."""
    layer = _layer(ctx, lambda gen: layers.InvConv1x1((3, 4, 6), gen))
    x = _randn(ctx, 1, 3, 4, 6)
    jac, method = batch_jacobian(lambda v: layer(v)[0], x)
    h, w, c, ell = sp.symbols("h w c L", real=True)
    stated = to_torch(sympify(a["logdet"], {"h": h, "w": w, "c": c, "L": ell}), [h, w, c, ell])
    log_det_w = torch.linalg.slogdet(layer.weight.detach().to(torch.float64))[1]
    predicted = _as_tensor(stated(4.0, 6.0, 3.0, log_det_w)).reshape(1)
    ev = [_logdet_vs_jacobian("stated log-det = slogdet J (1×3×4×6)", predicted, jac, ctx,
                              f"{method}; slogdet in float64", log_abs_det_w=plain(log_det_w))]
    with layers.seeded(ctx.seed) as gen:
        w0 = layers.random_orthogonal(4, gen).to(device=ctx.device, dtype=ctx.torch_dtype)
    xv = _randn(ctx, 1, 4, offset=1)
    jv, _ = batch_jacobian(lambda v: v @ w0, xv)
    ev.append(holds("vector form: the Jacobian of x ↦ xW is Wᵀ (so |det| = |det W|)", torch.equal(jv[0], w0.T),
                    method="torch.func jacobian"))
    ev.append(close("orthogonal initialisation: |det W| = 1", float(torch.linalg.det(w0.to(torch.float64)).abs()), 1.0,
                    tol=tolerance(ctx.dtype, n=4, condition=4), method="QR of a Gaussian matrix (Glow's init)"))
    return ev


def _lu_exists(mat: sp.Matrix, pivoting: bool) -> bool:
    """Does ``mat`` have the stated factorisation?  With pivoting: SymPy's LU; without: solve L U = mat."""
    n = mat.shape[0]
    if pivoting:
        lower, upper, swaps = mat.LUdecomposition()
        p = sp.eye(n)
        for i, j in reversed(swaps):
            p.row_swap(i, j)
        return sp.simplify(p * lower * upper - mat) == sp.zeros(n, n)
    ls = sp.symbols(f"l0:{n * n}")
    us = sp.symbols(f"u0:{n * n}")
    lower = sp.Matrix(n, n, lambda i, j: 1 if i == j else (ls[i * n + j] if i > j else 0))
    upper = sp.Matrix(n, n, lambda i, j: us[i * n + j] if i <= j else 0)
    return bool(sp.solve(list(lower * upper - mat), [*ls, *us], dict=True))


def lu_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy: the stated factorisation exists for [[0,1],[1,0]] and for a random integer 3×3 W; and the stated
    log-det of U's diagonal equals log|det W| exactly (50 digits)."""
    rng = np.random.default_rng(ctx.seed % 2**32)
    mats = {"[[0,1],[1,0]]": sp.Matrix([[0, 1], [1, 0]])}
    while True:
        cand = sp.Matrix(3, 3, [int(v) for v in rng.integers(-4, 5, size=9)])
        if cand.det() != 0:
            mats["random 3×3"] = cand
            break
    pivoting = a["factorisation"] == "PLU"
    bad = next((name for name, m in mats.items() if not _lu_exists(m, pivoting)), None)
    ev = [holds(f"every invertible W has W = {a['factorisation']}", bad is None,
                method="sympy LUdecomposition / solve L·U = W", counterexample={"W": bad} if bad else None)]
    w_mat = mats["random 3×3"]
    _, upper, _ = w_mat.LUdecomposition()
    expr, syms = indexed(a["logdet"], {"c": 3}, ("u",), real=("u",))
    value = expr.xreplace({syms["u"][k]: upper[k, k] for k in range(3)})
    diff = sp.N(value - sp.log(abs(w_mat.det())), 50)
    ev.append(holds("stated Σ over diag(U) = log|det W|", abs(diff) < sp.Float(10) ** -40, method="sympy, 50 digits",
                    counterexample={"W": str(w_mat.tolist()), "diag_U": [str(upper[k, k]) for k in range(3)],
                                    "stated": str(sp.N(value, 15)),
                                    "log_abs_det": str(sp.N(sp.log(abs(w_mat.det())), 15))}))
    return ev


def lu_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: ``torch.linalg.lu`` of a random W against slogdet; the LU 1×1 convolution on 4×4×4 (perturbed) against
    the Jacobian with the stated image factor; the stated factorisation computed for [[0,1],[1,0]]."""
    expr, syms = indexed(a["logdet"], {"c": 4}, ("u",), real=("u",))
    fn = to_torch(expr, syms["u"][:4])
    w_rand = _randn(ctx, 4, 4, offset=3)
    _, _, upper = torch.linalg.lu(w_rand)
    diag = torch.diagonal(upper)
    stated = _as_tensor(fn(*diag))
    truth = torch.linalg.slogdet(w_rand.to(torch.float64))[1]
    ev = [close("stated formula on diag(U) = log|det W| (torch.linalg.lu)", float(stated), float(truth),
                tol=tolerance(ctx.dtype, n=4, condition=float(torch.linalg.cond(w_rand.to(torch.float64)))),
                method=f"torch.linalg.lu ({ctx.dtype})")]
    layer = _layer(ctx, lambda gen: layers.InvConv1x1LU((4, 4, 4), gen))
    x = _randn(ctx, 1, 4, 4, 4)
    jac, method = batch_jacobian(lambda v: layer(v)[0], x)
    with torch.no_grad():
        u = layer.sign_s * layer.log_s.exp()
    h, w = sp.symbols("h w", positive=True)
    factor = float(sympify(a["image_factor"], {"h": h, "w": w}).subs({h: 4, w: 4}))
    ev.append(_logdet_vs_jacobian("image factor × stated formula = slogdet J (LU 1×1 conv, 4×4×4)",
                                  (factor * _as_tensor(fn(*u))).reshape(1), jac, ctx, f"{method}; float64 slogdet"))
    perm = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    if a["factorisation"] == "PLU":
        p, lo, up = torch.linalg.lu(perm)
        rebuilt = p @ lo @ up
    else:
        lo, up = buggy.doolittle_without_pivoting(perm)
        rebuilt = lo @ up
    finite = bool(torch.isfinite(rebuilt).all())
    ev.append(holds(f"{a['factorisation']} of [[0,1],[1,0]] reproduces it", finite and torch.equal(rebuilt, perm),
                    method="torch.linalg.lu / Doolittle without pivoting",
                    counterexample={"W": [[0, 1], [1, 0]], "rebuilt": str(rebuilt.tolist())}))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-13


def actnorm_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy: per-channel scaling on c = 2, h·w = 3 has a diagonal Jacobian with each s_c repeated h·w times, so
    log|det J| = Σ over its diagonal of log|s|; against the stated formula; and the σ-form −h·w Σ log|σ|, s = 1/σ."""
    s1, s2 = sp.symbols("s1 s2", nonzero=True, real=True)
    jac = sp.diag(*([s1] * 3 + [s2] * 3))
    assert jac.is_diagonal()
    truth = sum(sp.log(sp.Abs(jac[k, k])) for k in range(6))  # log|det| of a diagonal matrix
    expr, syms = indexed(a["logdet"], {"c": 2}, ("s",), real=("s",), plain="h w")
    stated = expr.xreplace({syms["s"][0]: s1, syms["s"][1]: s2}).subs({sp.Symbol("h"): 1, sp.Symbol("w"): 3})
    ev = [_witness(stated - truth, {s1: 2, s2: sp.Rational(-1, 3)}, "stated log-det − log|det J| = 0 (c = 2, h·w = 3)")]
    sig1, sig2 = sp.symbols("sigma1 sigma2", positive=True)
    sigma_form = -3 * (sp.log(sig1) + sp.log(sig2))
    ev.append(_witness(sigma_form - truth.subs({s1: 1 / sig1, s2: 1 / sig2}), {sig1: 2, sig2: 3},
                       "σ-form −h·w Σ log σ = h·w Σ log|s| with s = 1/σ"))
    return ev


def actnorm_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: actnorm on 4×6×3 after data-dependent init and a perturbation: the stated formula against slogdet of the
    Jacobian; and whether one sample's log-det depends on the rest of its batch."""
    layer = _layer(ctx, lambda gen: layers.ActNorm((3, 4, 6)))
    x = _randn(ctx, 2, 3, 4, 6)
    jac, method = batch_jacobian(lambda v: layer(v)[0], x)
    expr, syms = indexed(a["logdet"], {"c": 3}, ("s",), real=("s",), plain="h w")
    h, w = sp.Symbol("h"), sp.Symbol("w")
    fn = to_torch(expr, [h, w, *syms["s"][:3]])
    with torch.no_grad():
        s = layer.logs.exp()
    predicted = _as_tensor(fn(4.0, 6.0, *s)).expand(2)
    ev = [_logdet_vs_jacobian("stated log-det = slogdet J (4×6×3)", predicted, jac, ctx, f"{method}; float64 slogdet")]
    other = _randn(ctx, 3, 3, 4, 6, offset=5) * 3 + 1
    with torch.no_grad():
        _, ld_a = layer(x)
        _, ld_b = layer(torch.cat([x[:1], other]))
    depends = not torch.equal(ld_a[0], ld_b[0])
    ev.append(holds("the log-det of a sample depends on its batch", depends == bool(a["batch_dependent"]),
                    method="same sample in two batches", expected=bool(a["batch_dependent"]),
                    counterexample={"in_batch_a": plain(ld_a[0]), "in_batch_b": plain(ld_b[0])}))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-18


def _init_scale_truth(kind: str) -> sp.Expr:
    """The scale of a coupling whose last layer is zero (h = 0): additive 1, exp(0) = 1, sigmoid(0 + 2)."""
    return {"additive": sp.Integer(1), "affine-exp": sp.exp(0), "affine-sigmoid": 1 / (1 + sp.exp(-2))}[kind]


def zero_init_symbolic(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """SymPy: each coupling's scale at h = 0 against the stated one; a stated scale of 0 gives det J = 0."""
    ev = []
    for kind, text in a["init_scale"].items():
        stated, truth = sympify(text), _init_scale_truth(kind)
        ev.append(holds(f"{kind}: scale at zero init", sp.simplify(stated - truth) == 0, method="sympy",
                        expected=str(truth), counterexample={"coupling": kind, "scale": float(truth),
                                                             "log_scale": float(sp.log(truth)), "stated": text}))
        if stated == 0:
            ev.append(holds(f"{kind}: a map with s = 0 is invertible", False, method="det diag(1, s) at s = 0",
                            counterexample={"det": 0}))
    return ev


def zero_init_numeric(ctx: CheckContext, a: dict[str, Any]) -> list[Evidence]:
    """torch: each coupling built with its zero-initialised last layer (not perturbed) on 4×4×4: measured y₂/x₂ and
    the log-det per transformed entry against the stated scale."""
    builders = {"additive": lambda: layers.AdditiveCoupling((4, 4, 4), hidden=8),
                "affine-exp": lambda: layers.AffineCoupling((4, 4, 4), hidden=8, scale="exp"),
                "affine-sigmoid": lambda: layers.AffineCoupling((4, 4, 4), hidden=8, scale="sigmoid")}
    ev = []
    x = _randn(ctx, 2, 4, 4, 4)
    for kind, text in a["init_scale"].items():
        with layers.seeded(ctx.seed):
            layer = builders[kind]().to(device=ctx.device, dtype=ctx.torch_dtype)
        with torch.no_grad():
            y, ld = layer(x)
        x2, y2 = layers.split_halves(x)[1], layers.split_halves(y)[1]
        scale = (y2 / x2).median()
        per_entry = float(ld[0]) / x2[0].numel()
        stated = float(sympify(text))
        tol = tolerance(ctx.dtype, n=4, scale=1.0)
        ok = abs(float(scale) - stated) <= tol and (stated <= 0 or abs(per_entry - math.log(stated)) <= tol)
        ev.append(holds(f"{kind}: y₂ = s·x₂ at zero init with the stated s", ok, method=f"torch ({ctx.dtype})",
                        expected=text, counterexample={"coupling": kind, "measured_scale": plain(scale),
                                                       "log_det_per_entry": per_entry, "stated": stated},
                        measured_scale=plain(scale), log_det_per_entry=per_entry))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-21


def temperature_symbolic(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """SymPy (sympy.stats): Var(μ + Tσε)/σ² for ε ~ N(0, 1), against the stated factor."""
    from sympy.stats import Normal, variance

    mu = sp.Symbol("mu", real=True)
    sigma, t = sp.symbols("sigma T", positive=True)
    ratio = sp.simplify(variance(mu + t * sigma * Normal("eps", 0, 1)) / sigma**2)
    stated = sympify(a["variance_factor"], {"T": t})
    return holds("Var(z)/σ² = stated factor", sp.simplify(ratio - stated) == 0, method="sympy.stats.variance",
                 expected=str(ratio), counterexample={"T": 0.8, "variance_factor": float(ratio.subs(t, 0.8)),
                                                      "stated": float(stated.subs(t, 0.8))})


def temperature_numeric(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """torch: the split prior samples z₂ = μ + Tσε at T = 0.8 (4×4×4, perturbed, 1024 draws per entry); the variance
    of (z₂ − μ)/σ against the stated factor.  Tolerance: 6 standard errors of a sample variance, 6·f·√(2/(n−1))."""
    layer = _layer(ctx, lambda gen: layers.SplitPrior((4, 4, 4), hidden=8))
    temp = float(a["temperature"])
    z1 = _randn(ctx, 1, 2, 4, 4).expand(1024, 2, 4, 4)
    gen = torch.Generator(device="cpu").manual_seed(ctx.seed % 2**63)
    with torch.no_grad():
        mu, log_sigma = layer.mean_and_log_std(z1)
        z2 = layer.sample(z1, temp, gen)
        standardised = ((z2 - mu) / log_sigma.exp()).to(torch.float64)
    n = standardised.numel()
    measured = float(standardised.var())
    stated = float(sympify(a["variance_factor"], plain_symbols("T")).subs(sp.Symbol("T"), temp))
    tol = 6 * stated * math.sqrt(2 / (n - 1)) + tolerance(ctx.dtype, n=4)
    return close("Var((z₂ − μ)/σ) = stated factor at T = 0.8", measured, stated, tol=tol,
                 method=f"{n} draws, {ctx.dtype}", counterexample={"T": temp, "measured_variance": measured,
                                                                   "stated": stated})


# --------------------------------------------------------------------------------------------- consistency only


def consistency_suffices(ctx: CheckContext, a: dict[str, Any]) -> Evidence:
    """Run the consistency-only check (round trip, log-dets cancel, √ε tolerances) and the generic checks on every
    buggy layer of the corpus; the statement fails on each bug that passes the first and fails the second."""
    generic = (("log-det", logdet_check), ("structure", structure_check), ("directions", directions_check),
               ("inverse", inverse_check))
    rows, missed = [], []
    for name, ref in buggy.CORPUS.items():
        factory = getattr(buggy, ref.split(":")[1])
        cctx = ctx.with_model(_ctx_model(ctx, factory), name)
        flow = prepare(cctx, a)
        x, _ = probe(flow, cctx, a)
        seen = consistency_only(flow, x)
        caught_by = None if seen["passed"] else "(not run: the consistency-only check already catches it)"
        for check_name, check in generic if seen["passed"] else ():
            evidence = check(ctx.with_model(_ctx_model(ctx, factory), name), a)
            if any(e.outcome is Outcome.FAIL for e in evidence):
                caught_by = check_name
                break
        rows.append({"bug": name, "consistency_only": "passes" if seen["passed"] else "catches it",
                     "caught_by": caught_by})
        if seen["passed"] and caught_by:
            missed.append(f"{name} (caught by the {caught_by} check)")
    return Evidence(
        name="every bug the Jacobian checks catch is also caught by the consistency-only check",
        outcome=Outcome.FAIL if missed else Outcome.PASS,
        method=f"{len(rows)} buggy layers; consistency: allclose(f⁻¹(f(x)), x) and |ld_f + ld_f⁻¹| ≤ √ε(1+|ld|)",
        quantities={"bugs": rows, "passed_consistency_but_caught": len(missed)},
        expected="no bug passes the consistency-only check",
        counterexample={"bugs_missed_by_consistency_only": missed} if missed else None,
    )
