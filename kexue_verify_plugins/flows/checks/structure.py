r"""``flows.layer-structure``: a layer's Jacobian is nonsingular at every probe point and has every structure the
layer declares (``invariants``: triangular, positive scales, volume preserving, permutation, orthogonal, pixelwise
:math:`J=I_{hw}\otimes W`, diagonal), on the perturbed layer (:func:`.common.prepare`).

Exact structures (zero patterns, 0/1 entries) are compared exactly; :math:`|\det J|=1` to :math:`8\gamma_D\kappa`
(:func:`..jacobian.componentwise_condition`), :math:`J^\top J=I` entrywise to :math:`8\gamma_D(|J|^\top|J|+1)`, equal
pixel blocks to :math:`8\gamma_c\max|W|`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows.assertions import Probe
from kexue_verify_plugins.flows.checks.common import finite, non_finite, plain, prepare
from kexue_verify_plugins.flows.jacobian import componentwise_condition, slogdet64
from kexue_verify_plugins.flows.probing import probe, region_evidence
from kexue_verify_plugins.flows.protocol import Flow
from kexue_verify_plugins.flows.reference import checked_jacobian

__all__ = ["INVARIANTS", "structure_check"]


def _acyclic(pattern: Tensor) -> tuple[bool, list[int] | None]:
    """Is the dependency graph i ← j (pattern[i, j], i ≠ j) acyclic, i.e. J triangular in some order?

    Returns ``(True, None)`` or ``(False, cycle)`` with the coordinates of one dependency cycle.
    """
    d = pattern.shape[0]
    deps = pattern.clone()
    deps.fill_diagonal_(False)
    adj = [torch.nonzero(deps[i]).flatten().tolist() for i in range(d)]
    state = [0] * d  # 0 new, 1 on stack, 2 done
    for root in range(d):
        if state[root]:
            continue
        stack, path = [(root, iter(adj[root]))], [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state[nxt] == 1:
                return False, [*path[path.index(nxt):], nxt]
            elif state[nxt] == 0:
                state[nxt] = 1
                stack.append((nxt, iter(adj[nxt])))
                path.append(nxt)
    return True, None


def _triangular(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    pattern = (jac != 0).any(dim=0)
    ok, cycle = _acyclic(pattern.cpu())
    return holds("triangular: the Jacobian is triangular in some ordering", ok,
                 method="dependency graph of the Jacobian's nonzero pattern (union over the probe) is acyclic",
                 expected="no dependency cycle", counterexample={"cycle": cycle[:6] if cycle else None},
                 nonzeros=int(pattern.sum()))


def _positive_scales(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    diag = torch.diagonal(jac, dim1=-2, dim2=-1)
    n, i = (int(v) for v in torch.unravel_index(torch.argmin(diag), diag.shape))
    return holds("positive-scales: the diagonal of the (triangular) Jacobian is positive", bool((diag > 0).all()),
                 method="sign of every diagonal entry", expected="> 0",
                 counterexample={"sample": n, "kind": kinds[n], "coordinate": i, "diagonal": plain(diag[n, i])},
                 min_diagonal=plain(diag.min()))


def _volume_preserving(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    _, logabs = slogdet64(jac)
    kappa = componentwise_condition(jac)
    tol = torch.stack([torch.tensor(tolerance(ctx.dtype, n=jac.shape[-1], condition=float(k))) for k in kappa])
    i = int(torch.argmax(logabs.abs().cpu() - tol))
    return holds("volume-preserving: |det J| = 1", bool((logabs.abs().cpu() <= tol).all()),
                 method="float64 slogdet", expected="|log|det J|| ≤ 8γ_D κ",
                 counterexample={"sample": i, "kind": kinds[i], "log_abs_det": plain(logabs[i])},
                 max_abs_logdet=plain(logabs.abs().max()))


def _permutation(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    zero_one = bool(((jac == 0) | (jac == 1)).all())
    ones = (jac == 1)
    rows_ok = bool((ones.sum(dim=-1) == 1).all())
    cols_ok = bool((ones.sum(dim=-2) == 1).all())
    bad_col = torch.nonzero(ones.sum(dim=-2)[0] != 1).flatten()[:4].tolist()
    return holds("permutation: the Jacobian is a permutation matrix", zero_one and rows_ok and cols_ok,
                 method="exact 0/1 entries, one 1 per row and per column", expected="a permutation matrix",
                 counterexample={"entries_0_or_1": zero_one, "one_per_row": rows_ok, "one_per_column": cols_ok,
                                 "columns_without_a_single_one": bad_col})


def _orthogonal(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    j = jac.to(torch.float64)
    d = j.shape[-1]
    gram = j.transpose(-1, -2) @ j
    err = (gram - torch.eye(d, dtype=torch.float64, device=j.device)).abs()
    bound = tolerance(ctx.dtype, n=d) * (j.abs().transpose(-1, -2) @ j.abs())
    return holds("orthogonal: JᵀJ = I", bool((err <= bound + tolerance(ctx.dtype, n=d)).all()),
                 method="Gram matrix of the Jacobian", expected="entrywise |JᵀJ − I| ≤ 8γ_D(|J|ᵀ|J| + 1)",
                 counterexample={"max_deviation": plain(err.max())}, max_deviation=plain(err.max()))


def _pixel_blocks(jac: Tensor, flow: Flow) -> tuple[Tensor, Tensor] | None:
    shape = flow.event_shape
    if len(shape) != 3 or jac.shape[-2] != jac.shape[-1]:
        return None
    c, h, w = shape
    j = jac.reshape(-1, c, h * w, c, h * w)
    return j, torch.eye(h * w, dtype=torch.bool, device=jac.device)


def _pixelwise(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    blocks = _pixel_blocks(jac, flow)
    if blocks is None:
        return holds("pixelwise: one c×c block repeated at every position", True,
                     method="vector layer: a single position", note="trivially true for a vector layer")
    j, same = blocks
    cross = j.permute(0, 2, 4, 1, 3)[:, ~same]  # (N, pairs of different pixels, c, c)
    diag_blocks = torch.diagonal(j, dim1=2, dim2=4).permute(0, 3, 1, 2)  # (N, hw, c, c)
    spread = (diag_blocks - diag_blocks[:, :1]).abs().max()
    tol = tolerance(ctx.dtype, n=flow.event_shape[0], scale=float(diag_blocks.abs().max()))
    ok = bool((cross == 0).all()) and float(spread) <= tol
    return holds("pixelwise: J = I_hw ⊗ W (one c×c block at every position, no mixing across positions)", ok,
                 method="block structure of the Jacobian", expected="zero cross-position blocks, equal diagonal blocks",
                 counterexample={"max_cross_position_entry": plain(cross.abs().max()), "block_spread": plain(spread)},
                 block_spread=plain(spread))


def _diagonal(jac: Tensor, ctx: CheckContext, flow: Flow, kinds: list[str]) -> Evidence:
    off = jac - torch.diag_embed(torch.diagonal(jac, dim1=-2, dim2=-1))
    return holds("diagonal: the Jacobian is diagonal", bool((off == 0).all()), method="exact zero off-diagonal",
                 expected="off-diagonal entries 0", counterexample={"max_off_diagonal": plain(off.abs().max())})


#: The structural invariants a layer may declare, and their checks on the probe's Jacobians.
INVARIANTS: dict[str, Callable[[Tensor, CheckContext, Flow, list[str]], Evidence]] = {
    "triangular": _triangular,
    "positive-scales": _positive_scales,
    "volume-preserving": _volume_preserving,
    "permutation": _permutation,
    "orthogonal": _orthogonal,
    "pixelwise": _pixelwise,
    "diagonal": _diagonal,
}


def structure_check(ctx: CheckContext, assertion: Probe | None) -> list[Evidence]:
    """The Jacobian is nonsingular at every probe point, and has every structure the layer declares."""
    flow = prepare(ctx, assertion)
    unknown = [name for name in flow.invariants if name not in INVARIANTS]
    if unknown:
        raise ValueError(f"unknown invariant(s) {unknown}; known: {sorted(INVARIANTS)}")
    x, kinds = probe(flow, ctx, assertion)
    with torch.no_grad():
        y, _ = flow.forward(x)
    if not finite(y):
        return [non_finite("forward output finite", "y = f(x)", kinds, y)]
    jac, method, cross = checked_jacobian(flow, x, ctx, kinds)
    sign, logabs = slogdet64(jac)
    i = int(torch.argmin(sign.abs()))
    evidence = [holds("nonsingular: det J ≠ 0 at every probe point", bool((sign != 0).all()),
                      method=f"{method}; float64 slogdet", expected="sign(det J) = ±1",
                      counterexample={"sample": i, "kind": kinds[i], "log_abs_det": plain(logabs[i])},
                      invariants_declared=list(flow.invariants))]
    evidence += [region_evidence(flow), cross]
    evidence += [INVARIANTS[name](jac, ctx, flow, kinds) for name in flow.invariants]
    return evidence
