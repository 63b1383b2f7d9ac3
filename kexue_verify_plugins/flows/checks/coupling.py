r"""Checks of the coupling layers' mathematics: FLOW-1 (the affine coupling's inverse), FLOW-2 and FLOW-3 (the
log-dets of affine and additive coupling) and FLOW-18 (the scale of a zero-initialised coupling).

Symbolic parts use SymPy on a d = 2 + 2 instance with undefined functions for the conditioners; numeric parts use the
built-in couplings of :mod:`..layers` with perturbed parameters, in the run's dtype and device, against the float64
``slogdet`` of autograd Jacobians (:mod:`..jacobian`).
"""

from __future__ import annotations

import math

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows import layers
from kexue_verify_plugins.flows.assertions import CouplingInverse, CouplingLogdet, ZeroInitScale
from kexue_verify_plugins.flows.checks.common import plain
from kexue_verify_plugins.flows.checks.formulas import as_tensor, indexed, to_torch, witness
from kexue_verify_plugins.flows.checks.instances import logdet_vs_jacobian, randn, small_layer
from kexue_verify_plugins.flows.jacobian import batch_jacobian

__all__ = ["additive_logdet_numeric", "additive_logdet_symbolic", "coupling_inverse_numeric",
           "coupling_inverse_symbolic", "coupling_logdet_numeric", "coupling_logdet_symbolic", "zero_init_numeric",
           "zero_init_symbolic"]


# --------------------------------------------------------------------------------------------- FLOW-1


def coupling_inverse_symbolic(ctx: CheckContext, a: CouplingInverse) -> Evidence:
    """SymPy: substitute h₂ = s·x₂ + t into the stated inverse; it must give back x₂ (s > 0)."""
    x2 = sp.Symbol("x2", real=True)
    h2, s, t = (a.inverse.symbols[n] for n in ("h2", "s", "t"))
    inverse = a.inverse.expr
    diff = sp.simplify(inverse.subs(h2, s * x2 + t) - x2)
    point = {s: 2, t: 1, x2: 1}
    return holds("inverse(forward(x₂)) − x₂ = 0", diff == 0, method="sympy.simplify", expected="0",
                 counterexample={"s": 2, "t": 1, "x2": 1, "recovered": str(inverse.subs(h2, s * x2 + t).subs(point))},
                 difference=str(diff))


def coupling_inverse_numeric(ctx: CheckContext, a: CouplingInverse) -> Evidence:
    """torch: an exp-affine coupling (tanh MLPs, D = 6, perturbed), inverted with the stated formula.

    Tolerance per entry: 8γ₄ · ((|h₂| + 2|t|)/s + |x₂|(1 + |log s|)) — the rounding of the forward map's
    multiply-add carried through the inverse's subtract-divide, and of ``exp`` (Higham γ₄, four operations).
    """
    layer = small_layer(ctx, lambda gen: layers.AffineCoupling((6,), hidden=16, scale="exp"))
    x = randn(ctx, 64, 6)
    with torch.no_grad():
        h, _ = layer(x)
        h1, h2 = layers.split_halves(h)
        log_s, t = layer.log_scale_and_shift(h1)
    s = log_s.exp()
    fn = to_torch(a.inverse.expr, [a.inverse.symbols[n] for n in ("h2", "s", "t")])
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


def coupling_logdet_symbolic(ctx: CheckContext, a: CouplingLogdet) -> list[Evidence]:
    """SymPy, d = 2 + 2 with undefined s, t: det J = s₁s₂, so log det J equals the stated formula."""
    det, funcs, args = _coupling_jacobian_det(additive=False)
    ev = [holds("det J = s₁ s₂", sp.simplify(det - funcs["s"][0] * funcs["s"][1]) == 0,
                method="sympy Matrix.jacobian().det()", det=str(det))]
    stated = _coupling_formula(a.logdet, funcs, args)
    ev.append(witness(stated - sp.log(det), _concrete(funcs, args), "stated log-det − log det J = 0"))
    return ev


def additive_logdet_symbolic(ctx: CheckContext, a: CouplingLogdet) -> list[Evidence]:
    """SymPy, d = 2 + 2 with undefined m: det J = 1, so log det J = 0 must equal the stated formula."""
    det, funcs, args = _coupling_jacobian_det(additive=True)
    ev = [holds("det J = 1", sp.simplify(det - 1) == 0, method="sympy Matrix.jacobian().det()", det=str(det))]
    stated = _coupling_formula(a.logdet, funcs, args)
    ev.append(witness(stated - sp.log(det), _concrete(funcs, args), "stated log-det − log det J = 0"))
    return ev


def _coupling_numeric(ctx: CheckContext, text: str, additive: bool) -> Evidence:
    d2 = 3
    if additive:
        layer = small_layer(ctx, lambda gen: layers.AdditiveCoupling((2 * d2,), hidden=16))
    else:
        layer = small_layer(ctx, lambda gen: layers.AffineCoupling((2 * d2,), hidden=16, scale="exp"))
    x = randn(ctx, 4, 2 * d2)
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
    predicted = as_tensor(predicted).expand(4) if as_tensor(predicted).dim() == 0 else predicted
    kind = "additive" if additive else "exp-affine"
    return logdet_vs_jacobian("stated log-det = slogdet of the autograd Jacobian", predicted, jac, ctx,
                               f"{kind} coupling, D = {2 * d2}, {method}; slogdet in float64")


def coupling_logdet_numeric(ctx: CheckContext, a: CouplingLogdet) -> Evidence:
    """torch: exp-affine coupling (D = 6, perturbed): the stated formula against slogdet of the autograd Jacobian."""
    return _coupling_numeric(ctx, a.logdet, additive=False)


def additive_logdet_numeric(ctx: CheckContext, a: CouplingLogdet) -> Evidence:
    """torch: additive coupling (D = 6, perturbed): the stated formula against slogdet of the autograd Jacobian."""
    return _coupling_numeric(ctx, a.logdet, additive=True)


# --------------------------------------------------------------------------------------------- FLOW-18


def _init_scale_truth(kind: str) -> sp.Expr:
    """The scale of a coupling whose last layer is zero (h = 0): additive 1, exp(0) = 1, sigmoid(0 + 2)."""
    return {"additive": sp.Integer(1), "affine-exp": sp.exp(0), "affine-sigmoid": 1 / (1 + sp.exp(-2))}[kind]


def zero_init_symbolic(ctx: CheckContext, a: ZeroInitScale) -> list[Evidence]:
    """SymPy: each coupling's scale at h = 0 against the stated one; a stated scale of 0 gives det J = 0."""
    ev = []
    for kind, text in a.scales().items():
        stated, truth = text.expr, _init_scale_truth(kind)
        ev.append(holds(f"{kind}: scale at zero init", sp.simplify(stated - truth) == 0, method="sympy",
                        expected=str(truth), counterexample={"coupling": kind, "scale": float(truth),
                                                             "log_scale": float(sp.log(truth)), "stated": text}))
        if stated == 0:
            ev.append(holds(f"{kind}: a map with s = 0 is invertible", False, method="det diag(1, s) at s = 0",
                            counterexample={"det": 0}))
    return ev


def zero_init_numeric(ctx: CheckContext, a: ZeroInitScale) -> list[Evidence]:
    """torch: each coupling built with its zero-initialised last layer (not perturbed) on 4×4×4: measured y₂/x₂ and
    the log-det per transformed entry against the stated scale."""
    builders = {"additive": lambda: layers.AdditiveCoupling((4, 4, 4), hidden=8),
                "affine-exp": lambda: layers.AffineCoupling((4, 4, 4), hidden=8, scale="exp"),
                "affine-sigmoid": lambda: layers.AffineCoupling((4, 4, 4), hidden=8, scale="sigmoid")}
    ev = []
    x = randn(ctx, 2, 4, 4, 4)
    for kind, text in a.scales().items():
        with layers.seeded(ctx.seed):
            layer = builders[kind]().to(device=ctx.device, dtype=ctx.torch_dtype)
        with torch.no_grad():
            y, ld = layer(x)
        x2, y2 = layers.split_halves(x)[1], layers.split_halves(y)[1]
        scale = (y2 / x2).median()
        per_entry = float(ld[0]) / x2[0].numel()
        stated = float(text.expr)
        tol = tolerance(ctx.dtype, n=4, scale=1.0)
        ok = abs(float(scale) - stated) <= tol and (stated <= 0 or abs(per_entry - math.log(stated)) <= tol)
        ev.append(holds(f"{kind}: y₂ = s·x₂ at zero init with the stated s", ok, method=f"torch ({ctx.dtype})",
                        expected=text, counterexample={"coupling": kind, "measured_scale": plain(scale),
                                                       "log_det_per_entry": per_entry, "stated": stated},
                        measured_scale=plain(scale), log_det_per_entry=per_entry))
    return ev
