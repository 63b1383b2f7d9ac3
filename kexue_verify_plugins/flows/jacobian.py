r"""Full Jacobians of a flow layer and their log-determinants, the ground truth every log-det is checked against.

For a batch ``x`` of shape ``(N, *event)`` and a map ``fn`` acting sample by sample, :func:`batch_jacobian` returns
``J`` of shape ``(N, D_out, D_in)`` with :math:`J_{n,i,j}=\partial\,\mathrm{fn}(x)_{n,i}/\partial x_{n,j}`:

* ``method="rev"``: ``torch.func.vmap(torch.func.jacrev(f))`` — one batched reverse pass per output row,
  ``chunk_size`` rows at a time (bounded memory);
* ``method="fwd"``: ``torch.func.vmap(torch.func.jacfwd(f))`` — forward mode, one batched pass per input column
  (with ``chunk_size``, ``vmap`` of ``torch.func.jvp`` over that many basis vectors at a time);
* ``method="loop"``: :func:`naive_jacobian`, the textbook loop of one ``torch.autograd.grad`` call per output row,
  used as the reference in ``benchmarks/flows_logdet.py`` and as the fallback for layers ``torch.func`` cannot
  transform (data-dependent Python control flow, in-place updates of captured tensors, ``.item()``).

:func:`slogdet64` takes the log-determinant in float64 whatever the layer's dtype (``torch.linalg.slogdet``, LU with
partial pivoting), so the reference does not inherit the float32 rounding of the determinant itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["batch_jacobian", "componentwise_condition", "is_triangular_in_some_order", "local_jacobian",
           "naive_jacobian", "reference_logdet", "slogdet64"]

Fn = Callable[[Tensor], Tensor]


def _per_sample(fn: Fn) -> Fn:
    """``f(x_i) = fn(x_i[None])`` flattened: the map of one sample, as ``torch.func`` wants it."""

    def f(xi: Tensor) -> Tensor:
        return fn(xi.unsqueeze(0)).reshape(-1)

    return f


def naive_jacobian(fn: Fn, x: Tensor, rows: int | None = None) -> Tensor:
    """Row by row: ``D_out`` calls of ``torch.autograd.grad`` per sample (``rows`` limits it to the first rows).

    This is what one writes without ``torch.func``; it is exact but pays one backward pass, with its Python and
    dispatch overhead, per row.
    """
    out = []
    for xi in x:
        xi = xi.detach().clone().requires_grad_(True)
        y = fn(xi.unsqueeze(0)).reshape(-1)
        n_rows = y.numel() if rows is None else min(rows, y.numel())
        grads = [torch.autograd.grad(y[i], xi, retain_graph=i + 1 < n_rows)[0].reshape(-1) for i in range(n_rows)]
        out.append(torch.stack(grads))
    return torch.stack(out)


def _jacfwd_chunked(f: Fn, xi: Tensor, chunk_size: int) -> Tensor:
    """Forward mode, ``chunk_size`` input directions at a time: ``vmap`` of ``torch.func.jvp`` over basis vectors."""
    d = xi.numel()
    eye = torch.eye(d, dtype=xi.dtype, device=xi.device)
    columns = []
    for start in range(0, d, chunk_size):
        basis = eye[start:start + chunk_size].reshape(-1, *xi.shape)
        columns.append(torch.func.vmap(lambda v: torch.func.jvp(f, (xi,), (v,))[1])(basis))
    return torch.cat(columns).T  # (D_out, D_in)


def batch_jacobian(fn: Fn, x: Tensor, *, method: str = "rev", chunk_size: int | None = None) -> tuple[Tensor, str]:
    """The per-sample Jacobians ``(N, D_out, D_in)`` of ``fn`` at ``x``, and the method that computed them.

    ``"rev"`` and ``"fwd"`` fall back to ``"loop"`` when ``torch.func`` cannot transform ``fn``; the method returned
    says which one ran (it is recorded in the evidence).
    """
    x = x.detach()
    if method == "loop":
        return naive_jacobian(fn, x).detach(), "autograd loop"
    try:
        with torch.enable_grad(), warnings.catch_warnings():
            # the first forward-mode call registers torch's jvp decompositions with torch.jit.script, which warns
            # (a DeprecationWarning in torch 2.13, a FutureWarning in later releases)
            warnings.filterwarnings("ignore", message=r"`torch.jit.script` is deprecated")
            if method == "rev":
                jac = torch.func.vmap(torch.func.jacrev(_per_sample(fn), chunk_size=chunk_size))(x)
            elif chunk_size is None:
                jac = torch.func.vmap(torch.func.jacfwd(_per_sample(fn)))(x)
            else:
                jac = torch.stack([_jacfwd_chunked(_per_sample(fn), xi, chunk_size) for xi in x])
        return jac.detach().reshape(x.shape[0], -1, x[0].numel()), f"torch.func vmap(jac{method})"
    except (RuntimeError, NotImplementedError, ValueError, TypeError) as exc:
        note = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        return naive_jacobian(fn, x).detach(), f"autograd loop (torch.func failed: {note})"


def local_jacobian(fn: Fn, x: Tensor, radius: int) -> Tensor:
    r"""The full Jacobian ``(D, D)`` of an image map whose output at a pixel depends only on inputs within
    ``radius`` pixels (Chebyshev distance) — by Jacobian compression (Curtis, Powell & Reid, *J. Inst. Math. Appl.*
    13, 1974).

    Output pixels on the same residue class mod ``2·radius + 1`` have disjoint input neighbourhoods, so one ``vjp``
    with the sum of their one-hot cotangents yields all their rows at once; ``(2r+1)²·C`` batched ``vjp`` calls
    (``torch.func.vmap``) replace ``D``.  **Exact only under the stated locality**: a layer that mixes pixels
    further apart (a bug, or global operations) gets a wrong Jacobian, so this is a benchmark of a known
    architecture (a Glow step: 1×1 mixing and two 3×3 convolutions, radius 2), never what the generic checks use.
    ``x`` is one image ``(1, C, H, W)`` and ``fn(x)`` has the same shape.
    """
    _, c, h, w = x.shape
    period = 2 * radius + 1
    rows = torch.arange(h, device=x.device).reshape(h, 1)
    cols = torch.arange(w, device=x.device).reshape(1, w)
    seeds = []
    for channel in range(c):
        for dy in range(period):
            for dx in range(period):
                seed = torch.zeros(c, h, w, dtype=x.dtype, device=x.device)
                seed[channel] = ((rows % period == dy) & (cols % period == dx)).to(x.dtype)
                seeds.append(seed)
    xi = x[0].detach()
    vjp_fn = torch.func.vjp(lambda v: fn(v.unsqueeze(0))[0], xi)[1]  # (output, vjp_fn): no has_aux
    compressed = torch.func.vmap(lambda s: vjp_fn(s)[0])(torch.stack(seeds))  # (C·period², C, H, W)
    # row (channel, i, j) is the compressed row of its colour, restricted to inputs within the radius of (i, j)
    colour = (torch.arange(c, device=x.device).reshape(c, 1, 1) * period**2
              + (rows % period).reshape(1, h, 1) * period + (cols % period).reshape(1, 1, w)).reshape(-1)
    near_y = (rows.reshape(h, 1) - rows.reshape(1, h)).abs() <= radius  # (H_out, H_in)
    near_x = (cols.reshape(w, 1) - cols.reshape(1, w)).abs() <= radius
    near = (near_y.reshape(h, 1, 1, h, 1) & near_x.reshape(1, w, 1, 1, w)).reshape(h * w, 1, h, w)
    mask = near.expand(h * w, c, h, w).repeat(c, 1, 1, 1).reshape(c * h * w, -1)
    return (compressed.reshape(len(seeds), -1)[colour] * mask.to(x.dtype)).detach()


def slogdet64(jac: Tensor) -> tuple[Tensor, Tensor]:
    """``(sign, log|det|)`` of each square matrix in float64."""
    return torch.linalg.slogdet(jac.to(torch.float64))


def componentwise_condition(jac: Tensor) -> Tensor:
    r"""Sensitivity of :math:`\log|\det J|` to relative perturbations of the entries of ``J``:
    :math:`\kappa=\sum_{ij}|(J^{-1})_{ji}|\,|J_{ij}|`.

    Since :math:`d\log|\det J|=\mathrm{tr}(J^{-1}dJ)`, entries perturbed by at most :math:`\epsilon|J_{ij}|` move the
    log-determinant by at most :math:`\epsilon\kappa` (to first order).  :math:`\kappa\ge D`, with equality for
    triangular and permutation matrices.  Singular ``J`` gives ``inf``.
    """
    j64 = jac.to(torch.float64)
    try:
        inv = torch.linalg.inv(j64)
    except RuntimeError:  # singular: no finite sensitivity
        return torch.full(jac.shape[:-2], float("inf"), dtype=torch.float64, device=jac.device)
    return (inv.transpose(-1, -2).abs() * j64.abs()).sum(dim=(-1, -2))


def is_triangular_in_some_order(jac: Tensor) -> bool:
    """Whether the nonzero pattern of one square matrix is triangular after a simultaneous permutation of rows and
    columns (its dependency graph ``i ← j``, ``J_ij ≠ 0``, is acyclic; Kahn's algorithm)."""
    d = jac.shape[-1]
    deps = jac != 0
    deps.fill_diagonal_(False)
    if int(deps.sum()) > d * (d - 1) // 2:
        return False
    alive = torch.ones(d, dtype=torch.bool, device=jac.device)
    while bool(alive.any()):
        ready = alive & ~(deps & alive[None, :]).any(dim=1)
        if not bool(ready.any()):
            return False
        alive &= ~ready
    return True


def reference_logdet(jac: Tensor) -> tuple[Tensor, Tensor, Tensor, list[str]]:
    r"""``(sign, log|det J|, condition, method)`` per sample, in float64, with the sensitivity of the method used.

    * **Triangular in some order** (couplings, autoregressive layers, and their compositions with permutations
      that keep it so): :math:`\log|\det J|=\sum_i\log|J_{ii}|` exactly, whose only error is that of the entries
      themselves, so the condition is :math:`D` (:func:`componentwise_condition` of a triangular matrix).  LU on
      such a matrix would pivot on its large off-diagonal entries (``∂t/∂x`` of an affine layer at a large input)
      and lose the small diagonal ones.
    * **Otherwise**: ``slogdet`` (LU with partial pivoting, :math:`J=PLU`), whose backward error is at most
      :math:`\gamma_D\,P|L||U|` entrywise (Higham, *Accuracy and Stability*, Thm. 9.3), so its log-determinant moves
      by at most :math:`\gamma_D\sum_{ij}|J^{-1}_{ji}|(P|L||U|)_{ij}`; the condition returned is the larger of that
      sum and :func:`componentwise_condition`.
    """
    j64 = jac.to(torch.float64)
    signs, logs, conds, methods = [], [], [], []
    for matrix in j64:
        if is_triangular_in_some_order(matrix):
            diag = torch.diagonal(matrix)
            signs.append(torch.prod(torch.sign(diag)))
            logs.append(diag.abs().log().sum())
            conds.append(torch.tensor(float(matrix.shape[-1]), dtype=torch.float64, device=matrix.device))
            methods.append("product of the diagonal (triangular in some order)")
            continue
        sign, logabs = torch.linalg.slogdet(matrix)
        cond = componentwise_condition(matrix)
        if bool(sign != 0):
            p, lower, upper = torch.linalg.lu(matrix)
            inv = torch.linalg.inv(matrix)
            cond = torch.maximum(cond, (inv.T.abs() * (p @ (lower.abs() @ upper.abs()))).sum())
        signs.append(sign)
        logs.append(logabs)
        conds.append(cond)
        methods.append("slogdet (LU with partial pivoting)")
    return torch.stack(signs), torch.stack(logs), torch.stack(conds), methods
