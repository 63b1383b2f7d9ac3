r"""Checks of actnorm's log-det (FLOW-13): h·w·Σ log|s| (equivalently −h·w·Σ log|σ|), the same for every batch.

SymPy on per-channel scaling with c = 2, h·w = 3; torch on the built-in actnorm of :mod:`..layers` after
data-dependent initialisation and a perturbation, against the float64 ``slogdet`` of the autograd Jacobian.
"""

from __future__ import annotations

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify_plugins.flows import layers
from kexue_verify_plugins.flows.assertions import ActnormLogdet
from kexue_verify_plugins.flows.checks.common import plain
from kexue_verify_plugins.flows.checks.formulas import as_tensor, indexed, to_torch, witness
from kexue_verify_plugins.flows.checks.instances import logdet_vs_jacobian, randn, small_layer
from kexue_verify_plugins.flows.jacobian import batch_jacobian

__all__ = ["actnorm_numeric", "actnorm_symbolic"]


def actnorm_symbolic(ctx: CheckContext, a: ActnormLogdet) -> list[Evidence]:
    """SymPy: per-channel scaling on c = 2, h·w = 3 has a diagonal Jacobian with each s_c repeated h·w times, so
    log|det J| = Σ over its diagonal of log|s|; against the stated formula; and the σ-form −h·w Σ log|σ|, s = 1/σ."""
    s1, s2 = sp.symbols("s1 s2", nonzero=True, real=True)
    jac = sp.diag(*([s1] * 3 + [s2] * 3))
    assert jac.is_diagonal()
    truth = sum(sp.log(sp.Abs(jac[k, k])) for k in range(6))  # log|det| of a diagonal matrix
    expr, syms = indexed(a.logdet, {"c": 2}, ("s",), real=("s",), plain="h w")
    stated = expr.xreplace({syms["s"][0]: s1, syms["s"][1]: s2}).subs({sp.Symbol("h"): 1, sp.Symbol("w"): 3})
    ev = [witness(stated - truth, {s1: 2, s2: sp.Rational(-1, 3)}, "stated log-det − log|det J| = 0 (c = 2, h·w = 3)")]
    sig1, sig2 = sp.symbols("sigma1 sigma2", positive=True)
    sigma_form = -3 * (sp.log(sig1) + sp.log(sig2))
    ev.append(witness(sigma_form - truth.subs({s1: 1 / sig1, s2: 1 / sig2}), {sig1: 2, sig2: 3},
                       "σ-form −h·w Σ log σ = h·w Σ log|s| with s = 1/σ"))
    return ev


def actnorm_numeric(ctx: CheckContext, a: ActnormLogdet) -> list[Evidence]:
    """torch: actnorm on 4×6×3 after data-dependent init and a perturbation: the stated formula against slogdet of the
    Jacobian; and whether one sample's log-det depends on the rest of its batch."""
    layer = small_layer(ctx, lambda gen: layers.ActNorm((3, 4, 6)))
    x = randn(ctx, 2, 3, 4, 6)
    jac, method = batch_jacobian(lambda v: layer(v)[0], x)
    expr, syms = indexed(a.logdet, {"c": 3}, ("s",), real=("s",), plain="h w")
    h, w = sp.Symbol("h"), sp.Symbol("w")
    fn = to_torch(expr, [h, w, *syms["s"][:3]])
    with torch.no_grad():
        s = layer.logs.exp()
    predicted = as_tensor(fn(4.0, 6.0, *s)).expand(2)
    ev = [logdet_vs_jacobian("stated log-det = slogdet J (4×6×3)", predicted, jac, ctx, f"{method}; float64 slogdet")]
    other = randn(ctx, 3, 3, 4, 6, offset=5) * 3 + 1
    with torch.no_grad():
        _, ld_a = layer(x)
        _, ld_b = layer(torch.cat([x[:1], other]))
    depends = not torch.equal(ld_a[0], ld_b[0])
    ev.append(holds("the log-det of a sample depends on its batch", depends == a.batch_dependent,
                    method="same sample in two batches", expected=a.batch_dependent,
                    counterexample={"in_batch_a": plain(ld_a[0]), "in_batch_b": plain(ld_b[0])}))
    return ev
