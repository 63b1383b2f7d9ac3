r"""Checks of the permutations: FLOW-4 (the example (6), |det P| = 1 and the log-likelihood change of a shuffle),
FLOW-5 (a channel permutation as a 1×1 convolution) and FLOW-6 (squeeze: shapes, output shape, log-det).

SymPy on every permutation matrix of up to 4 elements; torch on the built-in reversal, shuffles and squeeze of
:mod:`..layers`, whose Jacobians are compared exactly (0/1 entries) and by float64 ``slogdet``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp
import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows import layers
from kexue_verify_plugins.flows.assertions import ChannelPermutationConv, Permutation, Squeeze
from kexue_verify_plugins.flows.checks.common import plain
from kexue_verify_plugins.flows.checks.instances import randn
from kexue_verify_plugins.flows.jacobian import batch_jacobian, slogdet64

__all__ = ["channel_permutation_numeric", "permutation_numeric", "permutation_symbolic", "squeeze_numeric"]


# --------------------------------------------------------------------------------------------- FLOW-4


def _perm_matrix(perm: Sequence[int]) -> sp.Matrix:
    n = len(perm)
    return sp.Matrix(n, n, lambda i, j: 1 if perm[i] == j else 0)


def permutation_symbolic(ctx: CheckContext, a: Permutation) -> list[Evidence]:
    """SymPy: the example (6) exactly; the stated determinant property for every permutation of 2…4 elements;
    and reversal = swap of halves ∘ a permutation inside each half (the NICE remark)."""
    out = sp.Matrix(a.example_rows) * sp.Matrix(a.example_input)
    ev = [holds("P (1,2,3,4)ᵀ = (2,1,4,3)ᵀ", list(out) == list(a.example_output), method="sympy exact",
                expected=list(a.example_output), computed=[int(v) for v in out])]
    det = a.vanishes_for_every_permutation.symbols["det"]
    prop = a.vanishes_for_every_permutation.expr
    bad = None
    for n in (2, 3, 4):
        for perm in itertools.permutations(range(n)):
            value = _perm_matrix(perm).det()
            if prop.subs(det, value) != 0:
                bad = {"permutation": list(perm), "det": int(value)}
                break
        if bad:
            break
    ev.append(holds(f"{a.vanishes_for_every_permutation} = 0 for every permutation of n ≤ 4", bad is None,
                    method="sympy det of all 32 permutation matrices", counterexample=bad))
    d = 6
    reverse, swap = list(range(d))[::-1], list(range(d // 2, d)) + list(range(d // 2))
    inside = [swap.index(r) for r in reverse]  # reverse = swap ∘ inside
    within = all((i < d // 2) == (j < d // 2) for i, j in enumerate(inside))
    ev.append(holds("reversal = swap of halves ∘ a permutation within each half (D = 6)", within,
                    method="composition of index maps", inside_permutation=inside))
    return ev


def permutation_numeric(ctx: CheckContext, a: Permutation) -> list[Evidence]:
    """torch: reversal and a random shuffle (D = 8 and 4×4×4): float64 slogdet of the Jacobian against the stated
    change of the log-likelihood."""
    ev = []
    dsym = a.logdet_change.symbols["D"]
    change = a.logdet_change.expr
    with layers.seeded(ctx.seed) as gen:
        cases = {"reverse, D = 8": layers.reverse_permutation((8,)),
                 "shuffle, D = 8": layers.random_permutation((8,), gen),
                 "shuffle, 4×4×4": layers.random_permutation((4, 4, 4), gen)}
    for name, layer in cases.items():
        layer = layer.to(device=ctx.device, dtype=ctx.torch_dtype)
        x = randn(ctx, 2, *layer.event_shape)

        def forward(v: torch.Tensor, layer: layers.ChannelPermutation = layer) -> torch.Tensor:
            return layer(v)[0]

        jac, _ = batch_jacobian(forward, x)
        sign, logabs = slogdet64(jac)
        expected = float(change.subs(dsym, jac.shape[-1]))
        ev.append(close(f"log|det P| = stated change ({name})", float(logabs.abs().max()), expected,
                        tol=tolerance(ctx.dtype, n=jac.shape[-1]), method="float64 slogdet of the Jacobian",
                        counterexample={"layer": name, "log_abs_det": plain(logabs[0]), "stated": expected},
                        sign=plain(sign[0])))
    return ev


# --------------------------------------------------------------------------------------------- FLOW-5


def channel_permutation_numeric(ctx: CheckContext, a: ChannelPermutationConv) -> Evidence:
    """torch: ``conv2d(x, W.view(c,c,1,1))`` with W = P (P[i, π(i)] = 1) or its transpose, against ``x[:, π]``.

    π is a 5-cycle (not an involution, so P and Pᵀ differ).  Each output is one input times 1 plus zeros:
    exact, up to 8γ_c·|x| if a library sums in another order.
    """
    c = 5
    perm = [(i + 2) % c for i in range(c)]
    p = torch.zeros(c, c, dtype=ctx.torch_dtype, device=ctx.device)
    p[torch.arange(c), torch.tensor(perm)] = 1
    weight = {"P": p, "P.T": p.T}[a.weight]
    x = randn(ctx, 2, c, 3, 4)
    conv = F.conv2d(x, weight.reshape(c, c, 1, 1))
    target = x[:, perm]
    err = (conv - target).abs()
    tol = tolerance(ctx.dtype, n=c, scale=float(x.abs().max()))
    channel = int(err.amax(dim=(0, 2, 3)).argmax())
    return holds("conv2d(x, W) = x[:, π]", bool((err <= tol).all()), method=f"torch conv2d ({ctx.dtype}, {ctx.device})",
                 expected=f"≤ {tol:.3g}", counterexample={"channel": channel, "conv_takes_channel": perm.index(channel)
                                                          if a.weight == "P.T" else perm[channel],
                                                          "permutation": perm},
                 max_error=plain(err.max()))


# --------------------------------------------------------------------------------------------- FLOW-6


def squeeze_numeric(ctx: CheckContext, a: Squeeze) -> list[Evidence]:
    """torch: which shapes squeeze accepts, the output shape, the Jacobian on 4×6×3 (a permutation matrix) against the
    stated log-det, and ``F.pixel_unshuffle`` as another permutation."""
    c_, h_, w_ = (a.logdet.symbols[n] for n in ("c", "h", "w"))
    requires = [r.expr for r in a.requires]
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
    x = randn(ctx, 2, 3, 4, 6)
    y, _ = squeeze(x)
    stated = [int(e.expr.subs({c_: 3, h_: 4, w_: 6})) for e in a.output_shape]
    ev.append(holds("output shape", list(y.shape[1:]) == stated, method="torch", expected=stated,
                    counterexample={"measured": list(y.shape[1:]), "stated": stated}))
    jac, _ = batch_jacobian(lambda v: squeeze(v)[0], x)
    perm_ok = bool((((jac == 0) | (jac == 1)).all()) and bool(((jac == 1).sum(-1) == 1).all())
                   and bool(((jac == 1).sum(-2) == 1).all()))
    ev.append(holds("the Jacobian on 4×6×3 is a permutation matrix", perm_ok, method="exact entries"))
    _, logabs = slogdet64(jac)
    stated_ld = float(a.logdet.expr.subs({c_: 3, h_: 4, w_: 6}))
    ev.append(close("log|det J| = stated log-det", float(logabs[0]), stated_ld, tol=tolerance(ctx.dtype, n=72),
                    method="float64 slogdet", counterexample={"log_abs_det": plain(logabs[0]), "stated": stated_ld}))
    ev.append(holds("F.pixel_unshuffle(x, 2) is the same squeeze (output channel 4c + 2i + j)",
                    torch.equal(F.pixel_unshuffle(x, 2), y), method="exact comparison",
                    note="the catalogue's remark that pixel_unshuffle orders channels differently from squeeze2d "
                         "does not hold: both put block offset (i, j) of channel c at 4c + 2i + j"))
    return ev
