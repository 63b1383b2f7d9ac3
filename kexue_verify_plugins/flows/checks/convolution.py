r"""Checks of the invertible 1×1 convolution: FLOW-10 (log|det J| = h·w·log|det W|) and FLOW-11 (the LU
parametrisation W = PLU and its log-det).

SymPy on a symbolic 2×2 W (Kronecker products) and exact LU factorisations; torch on the built-in convolutions of
:mod:`..layers` with W moved away from its orthogonal initialisation, against the float64 ``slogdet`` of the
autograd Jacobian.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows import buggy, layers
from kexue_verify_plugins.flows.assertions import Conv1x1Logdet, LULogdet
from kexue_verify_plugins.flows.checks.common import plain
from kexue_verify_plugins.flows.checks.formulas import as_tensor, indexed, to_torch
from kexue_verify_plugins.flows.checks.instances import logdet_vs_jacobian, randn, small_layer
from kexue_verify_plugins.flows.jacobian import batch_jacobian

__all__ = ["conv1x1_numeric", "conv1x1_symbolic", "lu_numeric", "lu_symbolic"]


# --------------------------------------------------------------------------------------------- FLOW-10


def conv1x1_symbolic(ctx: CheckContext, a: Conv1x1Logdet) -> list[Evidence]:
    """SymPy: det(I_hw ⊗ Wᵀ) = det(W)^{hw} for a symbolic 2×2 W and h·w = 3, 4; the stated log-det's coefficient
    of L = log|det W| must be that exponent."""
    ws = sp.symbols("w11 w12 w21 w22", real=True)
    w_mat = sp.Matrix(2, 2, ws)
    h, w, c, ell = (a.logdet.symbols[n] for n in ("h", "w", "c", "L"))
    stated = a.logdet.expr
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


def conv1x1_numeric(ctx: CheckContext, a: Conv1x1Logdet) -> list[Evidence]:
    """torch: a 1×1 convolution with W moved away from its orthogonal initialisation (where log|det W| = 0 makes
    every variant agree), on 1×3×4×6 (D = 72): the stated formula against slogdet of the Jacobian; and the vector
    form h = xW, whose Jacobian is Wᵀ."""
    layer = small_layer(ctx, lambda gen: layers.InvConv1x1((3, 4, 6), gen))
    x = randn(ctx, 1, 3, 4, 6)
    jac, method = batch_jacobian(lambda v: layer(v)[0], x)
    h, w, c, ell = (a.logdet.symbols[n] for n in ("h", "w", "c", "L"))
    stated = to_torch(a.logdet.expr, [h, w, c, ell])
    log_det_w = torch.linalg.slogdet(layer.weight.detach().to(torch.float64))[1]
    predicted = as_tensor(stated(4.0, 6.0, 3.0, log_det_w)).reshape(1)
    ev = [logdet_vs_jacobian("stated log-det = slogdet J (1×3×4×6)", predicted, jac, ctx,
                              f"{method}; slogdet in float64", log_abs_det_w=plain(log_det_w))]
    with layers.seeded(ctx.seed) as gen:
        w0 = layers.random_orthogonal(4, gen).to(device=ctx.device, dtype=ctx.torch_dtype)
    xv = randn(ctx, 1, 4, offset=1)
    jv, _ = batch_jacobian(lambda v: v @ w0, xv)
    ev.append(holds("vector form: the Jacobian of x ↦ xW is Wᵀ (so |det| = |det W|)", torch.equal(jv[0], w0.T),
                    method="torch.func jacobian"))
    ev.append(close("orthogonal initialisation: |det W| = 1", float(torch.linalg.det(w0.to(torch.float64)).abs()), 1.0,
                    tol=tolerance(ctx.dtype, n=4, condition=4), method="QR of a Gaussian matrix (Glow's init)"))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-11


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


def lu_symbolic(ctx: CheckContext, a: LULogdet) -> list[Evidence]:
    """SymPy: the stated factorisation exists for [[0,1],[1,0]] and for a random integer 3×3 W; and the stated
    log-det of U's diagonal equals log|det W| exactly (50 digits)."""
    rng = np.random.default_rng(ctx.seed % 2**32)
    mats = {"[[0,1],[1,0]]": sp.Matrix([[0, 1], [1, 0]])}
    while True:
        cand = sp.Matrix(3, 3, [int(v) for v in rng.integers(-4, 5, size=9)])
        if cand.det() != 0:
            mats["random 3×3"] = cand
            break
    pivoting = a.factorisation == "PLU"
    bad = next((name for name, m in mats.items() if not _lu_exists(m, pivoting)), None)
    ev = [holds(f"every invertible W has W = {a.factorisation}", bad is None,
                method="sympy LUdecomposition / solve L·U = W", counterexample={"W": bad} if bad else None)]
    w_mat = mats["random 3×3"]
    _, upper, _ = w_mat.LUdecomposition()
    expr, syms = indexed(a.logdet, {"c": 3}, ("u",), real=("u",))
    value = expr.xreplace({syms["u"][k]: upper[k, k] for k in range(3)})
    diff = sp.N(value - sp.log(abs(w_mat.det())), 50)
    ev.append(holds("stated Σ over diag(U) = log|det W|", abs(diff) < sp.Float(10) ** -40, method="sympy, 50 digits",
                    counterexample={"W": str(w_mat.tolist()), "diag_U": [str(upper[k, k]) for k in range(3)],
                                    "stated": str(sp.N(value, 15)),
                                    "log_abs_det": str(sp.N(sp.log(abs(w_mat.det())), 15))}))
    return ev


def lu_numeric(ctx: CheckContext, a: LULogdet) -> list[Evidence]:
    """torch: ``torch.linalg.lu`` of a random W against slogdet; the LU 1×1 convolution on 4×4×4 (perturbed) against
    the Jacobian with the stated image factor; the stated factorisation computed for [[0,1],[1,0]]."""
    expr, syms = indexed(a.logdet, {"c": 4}, ("u",), real=("u",))
    fn = to_torch(expr, syms["u"][:4])
    w_rand = randn(ctx, 4, 4, offset=3)
    _, _, upper = torch.linalg.lu(w_rand)
    diag = torch.diagonal(upper)
    stated = as_tensor(fn(*diag))
    truth = torch.linalg.slogdet(w_rand.to(torch.float64))[1]
    ev = [close("stated formula on diag(U) = log|det W| (torch.linalg.lu)", float(stated), float(truth),
                tol=tolerance(ctx.dtype, n=4, condition=float(torch.linalg.cond(w_rand.to(torch.float64)))),
                method=f"torch.linalg.lu ({ctx.dtype})")]
    layer = small_layer(ctx, lambda gen: layers.InvConv1x1LU((4, 4, 4), gen))
    x = randn(ctx, 1, 4, 4, 4)
    jac, method = batch_jacobian(lambda v: layer(v)[0], x)
    with torch.no_grad():
        u = layer.sign_s * layer.log_s.exp()
    h, w = a.image_factor.symbols["h"], a.image_factor.symbols["w"]
    factor = float(a.image_factor.expr.subs({h: 4, w: 4}))
    ev.append(logdet_vs_jacobian("image factor × stated formula = slogdet J (LU 1×1 conv, 4×4×4)",
                                  (factor * as_tensor(fn(*u))).reshape(1), jac, ctx, f"{method}; float64 slogdet"))
    perm = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    if a.factorisation == "PLU":
        p, lo, up = torch.linalg.lu(perm)
        rebuilt = p @ lo @ up
    else:
        lo, up = buggy.doolittle_without_pivoting(perm)
        rebuilt = lo @ up
    finite = bool(torch.isfinite(rebuilt).all())
    ev.append(holds(f"{a.factorisation} of [[0,1],[1,0]] reproduces it", finite and torch.equal(rebuilt, perm),
                    method="torch.linalg.lu / Doolittle without pivoting",
                    counterexample={"W": [[0, 1], [1, 0]], "rebuilt": str(rebuilt.tolist())}))
    return ev
