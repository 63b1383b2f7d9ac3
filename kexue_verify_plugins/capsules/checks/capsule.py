r"""CAP-1 and CAP-13: matrix capsules as Kronecker-structured maps, and the votes :math:`V_{ij}=P_iW_{ij}`.

* CAP-1: :math:`\mathrm{vec}(PW)=(W^\top\otimes I_4)\mathrm{vec}(P)` (column-major vec) for random W and P; the
  span of the maps :math:`P\mapsto PW` over all W has dimension 16 (the rank of the 256 × 16 matrix of their
  vectorised operators), not 256; one W holds 16 numbers.
* CAP-13: the votes of :class:`~..routing.MatrixCapsules` equal ``P_i @ W_ij`` computed pair by pair, it holds
  ``n_in·n_out·16`` weights, and its output is the reference routing of those votes.
"""

from __future__ import annotations

import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.capsules.assertions import KroneckerMap, Votes
from kexue_verify_plugins.capsules.routing import EMRouting, MatrixCapsules

__all__ = ["kronecker_numeric", "votes_numeric"]

# ``torch.kron`` of a transposed (non-contiguous) view raises a view-size RuntimeError in torch 2.13: copy first.
OPERATORS = {
    "kron(W.T, I)": lambda w, eye: torch.kron(w.T.contiguous(), eye),
    "kron(I, W)": lambda w, eye: torch.kron(eye, w),
}


def vec(m: torch.Tensor) -> torch.Tensor:
    """Column-major vectorisation, ``vec(M) = M.T.reshape(-1)``."""
    return m.T.reshape(-1)


def kronecker_numeric(ctx: CheckContext, a: KroneckerMap) -> list[Evidence]:
    """vec(PW) against the stated operator, the span dimension and the parameter count."""
    gen = ctx.generator()
    dt = ctx.torch_dtype
    eye = torch.eye(4, dtype=dt, device=ctx.device)
    worst, where = 0.0, None
    for k in range(5):
        p = torch.randn(4, 4, generator=gen, dtype=torch.float64).to(ctx.device, dt)
        w = torch.randn(4, 4, generator=gen, dtype=torch.float64).to(ctx.device, dt)
        err = float((vec(p @ w) - OPERATORS[a.operator](w, eye) @ vec(p)).abs().max())
        if err > worst:
            worst, where = err, {"trial": k, "error": err}
    tol = tolerance(ctx.dtype, n=4, scale=16.0)
    basis = []
    for idx in range(16):
        w = torch.zeros(16, dtype=torch.float64)
        w[idx] = 1
        basis.append(torch.kron(w.reshape(4, 4).T.contiguous(), torch.eye(4, dtype=torch.float64)).reshape(-1))
    span = int(torch.linalg.matrix_rank(torch.stack(basis)))
    count = MatrixCapsules(1, 1).weight.numel()
    return [
        holds(f"vec(PW) = {a.operator} vec(P) on 5 random pairs", worst <= tol,
              method=f"torch.kron ({ctx.dtype})", counterexample=None if worst <= tol else where, max_error=worst,
              tolerance=tol),
        holds(f"the maps P ↦ PW span a space of dimension {a.span}", span == a.span,
              method="rank of the 256 × 16 matrix of vectorised operators", expected=a.span, measured=span,
              counterexample=None if span == a.span else {"span_dimension": span}),
        holds(f"one pair (i, j) of a matrix-capsule layer holds {a.parameters} weights", count == a.parameters,
              method="MatrixCapsules(1, 1).weight.numel()", measured=count, expected=a.parameters,
              counterexample=None if count == a.parameters else {"parameters": count}),
    ]


def votes_numeric(ctx: CheckContext, a: Votes) -> list[Evidence]:
    """A layer's votes pair by pair, its weight count and its output against the reference routing."""
    gen = ctx.generator()
    dt = ctx.torch_dtype
    n_in, n_out, batch = 6, 3, 2
    layer = MatrixCapsules(n_in, n_out, generator=gen).to(device=ctx.device, dtype=dt)
    poses = torch.randn(batch, n_in, 4, 4, generator=gen, dtype=torch.float64).to(ctx.device, dt)
    a_in = (0.1 + 0.9 * torch.rand(batch, n_in, generator=gen, dtype=torch.float64)).to(ctx.device, dt)
    w = layer.weight.detach()
    if a.weights == "shared-over-children":
        w = w[:1].expand_as(w)
    worst, where = 0.0, None
    got = layer.votes(poses).detach()
    for b in range(batch):
        for i in range(n_in):
            for j in range(n_out):
                want = (poses[b, i] @ w[i, j] if a.votes == "P W" else w[i, j] @ poses[b, i]).reshape(16)
                err = float((got[b, i, j] - want).abs().max())
                if err > worst:
                    worst, where = err, {"batch": b, "child": i, "parent": j, "error": err}
    scale = float(poses.abs().max() * w.abs().max())
    tol = tolerance(ctx.dtype, n=4, scale=4 * scale)
    want_count = n_in * n_out * 16 if a.weights == "per-pair" else n_out * 16
    out = layer(poses, a_in)
    ref = EMRouting()(layer.votes(poses).detach(), a_in, layer.beta_u.detach(), layer.beta_a.detach(),
                      layer.inverse_temperature, layer.iterations)
    route_err = max(float((x.detach() - y).abs().max()) for x, y in zip(out, ref, strict=True))
    return [
        holds(f"V_ij = {a.votes} for every (b, i, j)", worst <= tol, method=f"MatrixCapsules.votes ({ctx.dtype})",
              counterexample=None if worst <= tol else where, max_error=worst, tolerance=tol),
        holds(f"the layer holds {want_count} weights", layer.weight.numel() == want_count,
              measured=layer.weight.numel(), expected=want_count,
              counterexample=None if layer.weight.numel() == want_count else {"weights": layer.weight.numel()}),
        holds("the layer's output is the reference routing of its votes", route_err == 0.0,
              method="same votes, same routing code", max_error=route_err),
    ]
