r"""SVD-4: the autoencoder learns the subspace, not the vectors: ``C`` varies, ``CD = V_kV_kᵀ`` does not.

``(CG)(G⁻¹D) = CD`` for every invertible ``G``, so the factors are determined only up to ``GL(k)``;
at the global optimum (``σ_k > σ_{k+1}``) the product is the orthogonal projector ``V_kV_kᵀ``
(Baldi & Hornik 1989: every local minimum of the linear autoencoder is global).

The assertion holds two booleans: ``same_projector`` (different seeds give the same ``CD``) and
``c_equals_vk_up_to_sign`` (``C = V_k S`` for a diagonal sign matrix ``S``).  The claim says
True / False; the false variants flip one of them.

Reference: P. Baldi and K. Hornik, "Neural networks and principal component analysis: learning
from examples without local minima", *Neural Networks* 2 (1989) 53–58.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import remember
from kexue_verify_plugins.svd.assertions import Nonuniqueness
from kexue_verify_plugins.svd.bounds import autoencoder_bounds
from kexue_verify_plugins.svd.claims import DEFAULT_SHAPE
from kexue_verify_plugins.svd.exact import EXACT_MATRIX, exact_eigenbasis, rank_projector
from kexue_verify_plugins.svd.linalg import cpu_generator, planted_matrix, spectrum, top_right_singular
from kexue_verify_plugins.svd.models import linear_autoencoder, seeded
from kexue_verify_plugins.svd.training import fit_lbfgs

#: One training run: the loss reached, the product (AB or CD), the first factor, the trainer's description.
Run = tuple[float, torch.Tensor, torch.Tensor, str]

__all__ = ["distance_to_signed_basis", "nonunique_numeric", "nonunique_symbolic"]

SEEDS = 5


def distance_to_signed_basis(c: torch.Tensor, basis: torch.Tensor) -> float:
    """``min_S ‖C − V_k S‖_F`` over diagonal sign matrices ``S`` (column by column)."""
    plus = ((c - basis) ** 2).sum(dim=0)
    minus = ((c + basis) ** 2).sum(dim=0)
    return float(torch.minimum(plus, minus).sum().sqrt())


def nonunique_symbolic(ctx: CheckContext, a: Nonuniqueness) -> list[Evidence]:
    """SymPy: the gauge identity for symbolic C, D, G; an exact optimum C = V₂G that is not V₂ up to sign."""
    c = sp.Matrix(3, 2, sp.symbols("c1:7"))
    d = sp.Matrix(2, 3, sp.symbols("d1:7"))
    g = sp.Matrix(2, 2, sp.symbols("g1:5"))
    # entries are rational functions of the symbols: cancel (to p/q in lowest terms) decides whether they are 0
    gauge = ((c * g) * (g.inv() * d) - c * d).applyfunc(sp.cancel) == sp.zeros(3, 3)
    m = EXACT_MATRIX
    vectors = [v / sp.sqrt((v.T * v)[0, 0]) for _, v in exact_eigenbasis(m)[:2]]
    basis = sp.Matrix.hstack(*vectors)
    mix = sp.Matrix([[1, 1], [0, 1]])
    c_opt, d_opt = basis * mix, mix.inv() * basis.T
    projector_kept = sp.simplify(c_opt * d_opt - rank_projector(m, 2)) == sp.zeros(3, 3)
    signed = [basis * sp.diag(s1, s2) for s1 in (1, -1) for s2 in (1, -1)]
    up_to_sign = any(sp.simplify(c_opt - x) == sp.zeros(3, 2) for x in signed)
    stated = bool(a.c_equals_vk_up_to_sign)
    return [
        holds("(CG)(G⁻¹D) = CD for symbolic C (3×2), D (2×3), G (2×2)", gauge, method="SymPy cancel"),
        holds("C = V₂G with G = [[1, 1], [0, 1]] keeps CD = V₂V₂ᵀ", projector_kept,
              method="SymPy, exact 3×3 matrix with singular values 3, 2, 1"),
        holds("C = V_k up to sign" if stated else "an optimal C that is not V_k up to sign exists",
              up_to_sign == stated, method="SymPy: compare V₂G with the four V₂S",
              expected=f"c_equals_vk_up_to_sign = {stated}",
              counterexample={"C": [[str(x) for x in row] for row in c_opt.tolist()],
                              "V_2": [[str(x) for x in row] for row in basis.tolist()]}),
    ]


def _seeds(ctx: CheckContext, data: torch.Tensor, n: int, k: int) -> list[Run]:
    """Train the post's autoencoder from five seeds: (loss, CD, C, trainer description) for each."""
    eye = torch.eye(n, dtype=ctx.torch_dtype, device=ctx.device)
    out = []
    for seed in range(SEEDS):
        model = seeded(linear_autoencoder(n, k), replace(ctx, seed=ctx.seed + seed))
        fit = fit_lbfgs(model, data)
        with torch.no_grad():
            cd = model(eye).to(torch.float64).cpu()
            reached = float(((data - model(data)) ** 2).sum())
        encoder = cast(torch.nn.Linear, model[0])  # linear_autoencoder's first layer
        out.append((reached, cd, encoder.weight.detach().T.to(torch.float64).cpu(),
                    f"{fit.method}; {fit.evaluations} evaluations"))
    return out


def nonunique_numeric(ctx: CheckContext, a: Nonuniqueness) -> list[Evidence]:
    """Five seeds of the bias-free autoencoder (L-BFGS): compare their C with V_k and their CD with V_kV_kᵀ."""
    n, k = DEFAULT_SHAPE["n"], DEFAULT_SHAPE["k"]
    data = planted_matrix(4 * n, n, k, cpu_generator(ctx.seed), mean="tail").to(device=ctx.device,
                                                                                dtype=ctx.torch_dtype)
    used = data.to(torch.float64).cpu()
    spec = spectrum(used, k)
    bound = autoencoder_bounds(ctx.dtype, m=4 * n, n=n, norm_sq=float((used**2).sum()), largest=spec.largest,
                               smallest=spec.smallest, gap=spec.gap, mean_norm=0.0)
    basis = top_right_singular(used, k)
    target = basis @ basis.T
    runs = remember(("nonunique", ctx.seed, ctx.dtype, ctx.device), lambda: _seeds(ctx, data, n, k))
    evidence = [close(f"seed {seed}: loss reaches Σ_{{i>k}} σ_i²", reached, spec.tail_energy, tol=bound.loss,
                      method=method) for seed, (reached, _, _, method) in enumerate(runs)]
    cs = [run[2] for run in runs]
    projector_errors = [float((run[1] - target).norm()) for run in runs]
    sign_distances = [distance_to_signed_basis(c, basis) for c in cs]
    same = max(projector_errors) <= bound.linear
    equal_up_to_sign = max(sign_distances) <= bound.linear
    spread = max(float((x - y).norm()) for i, x in enumerate(cs) for y in cs[i + 1:])
    evidence.append(holds("every seed's CD is V_kV_kᵀ" if a.same_projector else "the seeds' CD differ",
                          same == bool(a.same_projector), method="max_s ‖C_sD_s − V_kV_kᵀ‖_F",
                          expected=f"same_projector = {bool(a.same_projector)}", errors=projector_errors,
                          bound=bound.linear, counterexample={"projector_errors": projector_errors}))
    evidence.append(holds("C = V_k up to sign" if a.c_equals_vk_up_to_sign else "C is not V_k up to sign",
                          equal_up_to_sign == bool(a.c_equals_vk_up_to_sign),
                          method="min over signs S of ‖C_s − V_kS‖_F, every seed",
                          expected=f"c_equals_vk_up_to_sign = {bool(a.c_equals_vk_up_to_sign)}",
                          distances=sign_distances, largest_pairwise_difference_of_C=spread, bound=bound.linear,
                          counterexample={"C_seed0": cs[0].tolist(), "V_k": basis.tolist()}))
    return evidence
