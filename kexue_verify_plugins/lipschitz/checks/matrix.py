"""Checks of the matrix-norm claims LIP-2, LIP-3, LIP-5, LIP-6 and LIP-12.

An assertion (:class:`~kexue_verify_plugins.lipschitz.assertions.MatrixRelations`) is a tuple of relations in
the vocabulary of :mod:`kexue_verify_plugins.lipschitz.quantities`, optionally restricted to a class of matrices
(``on="square"``) and with an equality class (``equality_on="normal"`` adds ``Eq(spec, rho)`` on those).  The
symbolic check decides each relation exactly on :data:`~kexue_verify_plugins.lipschitz.quantities.EXACT_MATRICES`;
the numeric check decides it on random torch matrices in the run's dtype, with the tolerance
``8·γ_{mn}·‖W‖_F·√min(m,n)`` (Higham's bound for the sums of ``mn`` products behind each norm, at the scale of the
largest quantity).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Formula, close, holds, undecided
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.lipschitz.assertions import MatrixRelations, SmallestConstant, WeightClipping
from kexue_verify_plugins.lipschitz.bounds import cpu_generator
from kexue_verify_plugins.lipschitz.quantities import (
    EXACT_MATRICES,
    decide_exact,
    decide_float,
    exact_quantities,
    float_quantities,
    parse_relation,
)

__all__ = [
    "clipping_scale_numeric",
    "float_matrices",
    "frobenius_symbolic",
    "relations_numeric",
    "relations_symbolic",
    "smallest_constant_numeric",
    "smallest_constant_symbolic",
    "sup_identity_symbolic",
]


#: The relation that ``equality_on`` asserts on its class of matrices.
EQUALITY = Formula("Eq(spec, rho)")


def _relations(a: MatrixRelations) -> list[str]:
    rels = list(a.relations)
    if a.equality_on:
        rels.append(str(EQUALITY))
    return rels


def _in_class(tags: frozenset[str], wanted: str | None) -> bool:
    return wanted in (None, "all") or wanted in tags


def _applies(rel_text: str, a: MatrixRelations, tags: frozenset[str]) -> bool:
    wanted = a.equality_on if a.equality_on and EQUALITY.same_as(rel_text) else a.on
    return _in_class(tags, wanted)


def _params(a: MatrixRelations) -> dict[str, sp.Expr]:
    """The claim's parameters in the relations' vocabulary: the clipping constant ``c`` of LIP-12."""
    return {"c": a.c.expr} if isinstance(a, WeightClipping) else {}


def _clipped(m: sp.Matrix, a: WeightClipping) -> sp.Matrix:
    """``m`` scaled so that ``max|w_ij| = c``: the extreme case of clipping at ``c``."""
    return m * a.c.expr / max(abs(x) for x in m)


def _show(value: Any) -> str:
    return str(sp.expand(sp.sqrtdenest(value))) if isinstance(value, sp.Basic) else repr(value)


def relations_symbolic(ctx: CheckContext, a: MatrixRelations) -> list[Evidence]:
    """Decide each asserted relation exactly on every exact matrix of its class (SymPy, 60-digit sign)."""
    evidence = []
    matrices = {name: (_clipped(m, a) if isinstance(a, WeightClipping) else m, tags)
                for name, (m, tags) in EXACT_MATRICES.items()}
    for text in _relations(a):
        rel = parse_relation(text)
        checked, failures, skipped = 0, [], []
        for name, (matrix, tags) in matrices.items():
            if not _applies(text, a, tags):
                continue
            values = {**exact_quantities(matrix), **_params(a)}
            decision = decide_exact(rel, values)
            if decision.holds is None:
                skipped.append(name)
                continue
            checked += 1
            if not decision.holds:
                failures.append({"matrix": name, "W": [[str(x) for x in row] for row in matrix.tolist()],
                                 "lhs": _show(decision.lhs),
                                 "rhs": _show(decision.rhs), "lhs_value": float(decision.lhs),
                                 "rhs_value": float(decision.rhs)})
        if not checked:
            evidence.append(undecided(f"{text} (exact)", method="sympy", note=f"no exact matrix decides it: {skipped}"))
            continue
        evidence.append(holds(f"{text} on exact matrices", not failures, method="sympy, exact arithmetic",
                              expected="holds on every matrix of its class", counterexample=failures[:2] or None,
                              matrices_checked=checked, failures=len(failures)))
    return evidence


def float_matrices(ctx: CheckContext) -> dict[str, tuple[torch.Tensor, frozenset[str]]]:
    """Random matrices in the run's dtype: Gaussian, triangular, nilpotent, symmetric, orthogonal, low rank."""
    gen = cpu_generator(ctx.seed + 1)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64).to(device=ctx.device, dtype=ctx.torch_dtype)

    sym = randn(6, 6)
    q, _ = torch.linalg.qr(randn(6, 6).double())
    return {
        "gaussian 6×6": (randn(6, 6), frozenset({"square"})),
        "gaussian 8×5": (randn(8, 5), frozenset({"rectangular"})),
        "gaussian 3×7": (randn(3, 7), frozenset({"rectangular"})),
        "upper-triangular 6×6": (torch.triu(randn(6, 6)), frozenset({"square", "triangular"})),
        "nilpotent 5×5": (torch.triu(randn(5, 5), diagonal=1), frozenset({"square", "triangular"})),
        "symmetric 6×6": (sym + sym.T, frozenset({"square", "normal", "symmetric"})),
        "2·orthogonal 6×6": ((2 * q).to(device=ctx.device, dtype=ctx.torch_dtype), frozenset({"square", "normal"})),
        "rank-2 8×6": (randn(8, 2) @ randn(2, 6), frozenset({"rectangular"})),
        "ones 4×7": (torch.ones(4, 7, dtype=ctx.torch_dtype, device=ctx.device), frozenset({"rectangular"})),
    }


def _tol(ctx: CheckContext, w: torch.Tensor, values: dict[str, float]) -> float:
    m, n = w.shape
    return tolerance(ctx.dtype, n=m * n, scale=values["fro"] * min(m, n) ** 0.5)


def relations_numeric(ctx: CheckContext, a: MatrixRelations, matrices: dict[str, Any] | None = None) -> list[Evidence]:
    """Decide each asserted relation on random torch matrices of its class, in the run's dtype."""
    matrices = matrices if matrices is not None else float_matrices(ctx)
    params = {k: float(v) for k, v in _params(a).items()}
    evidence = []
    for text in _relations(a):
        rel = parse_relation(text)
        checked, failures = 0, []
        for name, (w, tags) in matrices.items():
            if not _applies(text, a, tags):
                continue
            values = {**float_quantities(w), **params}
            decision = decide_float(rel, values, _tol(ctx, w, values))
            if decision.holds is None:
                continue
            checked += 1
            if not decision.holds:
                failures.append({"matrix": name, "lhs": decision.lhs, "rhs": decision.rhs})
        if not checked:
            evidence.append(undecided(f"{text} ({ctx.dtype})", method="torch.linalg", note="no matrix applies"))
            continue
        evidence.append(holds(f"{text} on random matrices", not failures,
                              method=f"torch.linalg ({ctx.dtype}, {ctx.device}); tol 8·γ_mn·‖W‖_F·√min(m,n)",
                              expected="holds on every matrix of its class", counterexample=failures[:2] or None,
                              matrices_checked=checked, failures=len(failures)))
    return evidence


def _sup_identity_evidence() -> list[Evidence]:
    """For a general 2-column matrix: ``max_t ‖W(cos t, sin t)‖² = λ_max(WᵀW)`` (see :func:`_sup_identity`)."""
    return list(_sup_identity())


@cache  # the same for every claim, variant and seed that shows it (14 times in a run of the topic)
def _sup_identity() -> tuple[Evidence, ...]:
    """For a general 2-column matrix: ``max_t ‖W(cos t, sin t)‖² = λ_max(WᵀW)``.

    With Gram entries ``A, B, C``: ``A cos²t + 2B cos t sin t + C sin²t = (A+C)/2 + ((A−C)/2) cos 2t
    + B sin 2t``, whose maximum is ``(A+C)/2 + √(((A−C)/2)² + B²)``; this equals the larger root of
    ``λ² − (A+C)λ + (AC − B²)``.  (The post's sketch proves only ≤; the maximiser ``t*`` attains it.)
    """
    big_a, big_b, big_c, t, lam = sp.symbols("A B C t lambda", real=True)
    quad = big_a * sp.cos(t) ** 2 + 2 * big_b * sp.cos(t) * sp.sin(t) + big_c * sp.sin(t) ** 2
    sinusoid = (big_a + big_c) / 2 + (big_a - big_c) / 2 * sp.cos(2 * t) + big_b * sp.sin(2 * t)
    amplitude = (big_a + big_c) / 2 + sp.sqrt(((big_a - big_c) / 2) ** 2 + big_b**2)
    roots = sp.solve(lam**2 - (big_a + big_c) * lam + (big_a * big_c - big_b**2), lam)
    larger = max(roots, key=lambda r: r.subs({big_a: 2, big_b: 1, big_c: 1}))
    return (
        holds("‖W(cos t, sin t)‖² is a sinusoid in 2t", sp.simplify(sp.expand_trig(quad - sinusoid)) == 0,
              method="sympy.simplify", expected="0"),
        holds("its maximum equals λ_max(WᵀW)", sp.simplify(amplitude - larger) == 0, method="sympy.simplify",
              expected="0", maximum=str(amplitude), eigenvalue=str(larger)),
    )


def sup_identity_symbolic(ctx: CheckContext, a: MatrixRelations) -> list[Evidence]:
    """LIP-5: the general identity ``sup = √λ_max(WᵀW)`` (2 columns), then the relations on exact matrices."""
    return _sup_identity_evidence() + relations_symbolic(ctx, a)


def smallest_constant_symbolic(ctx: CheckContext, a: SmallestConstant) -> list[Evidence]:
    """LIP-2: the supremum is a maximum (attained at ``t*``), and the asserted constant equals it exactly."""
    return _sup_identity_evidence() + relations_symbolic(ctx, MatrixRelations(relations=(f"Eq(spec, {a.constant})",)))


def frobenius_symbolic(ctx: CheckContext, a: MatrixRelations) -> list[Evidence]:
    """LIP-3, general 2×2 ``W``: ``tr(WᵀW) = ‖W‖_F²`` and ``det(WᵀW) = det(W)² ≥ 0``, so both eigenvalues
    ``σ₁², σ₂²`` of ``WᵀW`` are ≥ 0 and ``‖W‖_F² = σ₁² + σ₂² ≥ σ₁²``; then the relations on exact matrices."""
    a_, b_, c_, d_ = sp.symbols("a b c d", real=True)
    w = sp.Matrix([[a_, b_], [c_, d_]])
    gram = w.T * w
    trace_ok = sp.simplify(gram.trace() - (a_**2 + b_**2 + c_**2 + d_**2)) == 0
    det_ok = sp.simplify(gram.det() - (a_ * d_ - b_ * c_) ** 2) == 0
    return [holds("‖W‖_F² = tr(WᵀW) = σ₁² + σ₂², det(WᵀW) = det(W)² ≥ 0", trace_ok and det_ok,
                  method="sympy.simplify, general 2×2"), *relations_symbolic(ctx, a)]


def smallest_constant_numeric(ctx: CheckContext, a: SmallestConstant) -> list[Evidence]:
    """LIP-2: ``C`` bounds ``‖Wx‖/‖x‖`` at 256 random ``x`` and is attained at an explicit ``x`` (so no smaller
    constant is valid).

    ``C`` is the asserted expression in the float vocabulary (``spec`` = ``matrix_norm(ord=2)``, LAPACK's SVD). The
    maximiser is the top eigenvector of ``WᵀW`` from ``eigh`` (a different LAPACK routine), and ``‖Wx‖/‖x‖`` is
    evaluated there by a plain product.  Tolerance ``8·γ_mn·‖W‖_F·√min(m,n)`` as for the relations.
    """
    expr, names = a.constant.expr, a.constant.symbols
    gen = cpu_generator(ctx.seed + 2)
    bound_fail, attain_fail, rows = [], [], []
    for name, (w, _) in float_matrices(ctx).items():
        values = float_quantities(w)
        c = float(expr.subs({names[k]: v for k, v in values.items() if k in names}))
        tol = _tol(ctx, w, values)
        x = torch.randn(256, w.shape[1], generator=gen, dtype=torch.float64).to(w)
        ratios = torch.linalg.vector_norm(x @ w.T, dim=1) / torch.linalg.vector_norm(x, dim=1)
        top = torch.linalg.eigh(w.T @ w).eigenvectors[:, -1]
        attained = float(torch.linalg.vector_norm(w @ top) / torch.linalg.vector_norm(top))
        worst = max(float(ratios.max()), attained)
        rows.append({"matrix": name, "C": c, "ratio_at_top_eigenvector": attained, "random_max": float(ratios.max())})
        if worst > c + tol:
            bound_fail.append({"matrix": name, "C": c, "ratio": worst})
        if attained < c - tol:
            attain_fail.append({"matrix": name, "C": c, "ratio_at_top_eigenvector": attained})
    return [
        holds("‖Wx‖ ≤ C‖x‖ at every x tried", not bound_fail, method=f"torch ({ctx.dtype}): 256 random x and the top "
              "eigenvector of WᵀW", counterexample=bound_fail[:2] or None, expected="ratio ≤ C + tol"),
        holds("C is attained (nothing smaller is valid)", not attain_fail, method="x = top eigenvector of WᵀW (eigh)",
              counterexample=attain_fail[:2] or None, expected="ratio ≥ C − tol", table=rows),
    ]


def clipping_scale_numeric(ctx: CheckContext, a: WeightClipping) -> list[Evidence]:
    """LIP-12: the norm bounds on clipped matrices, and how a bias-free ReLU critic scales with its weights.

    Matrices with ``|w_ij| ≤ c`` (``c = 0.01``): uniform on ``[−c, c]`` 64×32 (the catalogue's example),
    ``c·sign`` of a Gaussian, and ``c·ones`` (where ``‖W‖₂ = c√(mn)``: the bound is attained).  Then a
    bias-free ReLU network with ``L = 3`` layers, all weights multiplied by ``k = 3``: its output, hence
    the WGAN loss ``E f(x_r) − E f(x_g)``, is multiplied by the asserted factor (``k**L``: ReLU is
    positively homogeneous).
    """
    c = float(a.c.expr)
    gen = cpu_generator(ctx.seed + 3)
    dt, dev = ctx.torch_dtype, ctx.device
    uniform = (2 * torch.rand(64, 32, generator=gen, dtype=torch.float64) - 1) * c
    matrices = {
        "uniform [−c, c] 64×32": (uniform.to(device=dev, dtype=dt), frozenset({"clipped"})),
        "c·sign(gaussian) 64×32": ((c * torch.randn(64, 32, generator=gen, dtype=torch.float64).sign()).to(
            device=dev, dtype=dt), frozenset({"clipped"})),
        "c·ones 64×32": (torch.full((64, 32), c, dtype=dt, device=dev), frozenset({"clipped"})),
    }
    evidence = relations_numeric(ctx, a, matrices)
    example = float_quantities(matrices["uniform [−c, c] 64×32"][0])
    evidence.append(holds("the catalogue's 64×32 example", True, method="uniform [−c, c], c = 0.01",
                          spec=example["spec"], fro=example["fro"], c_sqrt_mn=c * (64 * 32) ** 0.5))
    layers = [torch.randn(n_out, n_in, generator=gen, dtype=torch.float64).to(device=dev, dtype=dt) / n_in**0.5
              for n_in, n_out in ((8, 16), (16, 16), (16, 1))]

    def critic(x: torch.Tensor, k: float) -> torch.Tensor:
        for i, w in enumerate(layers):
            x = x @ (k * w).T
            x = torch.relu(x) if i < len(layers) - 1 else x
        return x

    k = 3.0
    real = torch.randn(512, 8, generator=gen, dtype=torch.float64).to(device=dev, dtype=dt) + 1
    fake = torch.randn(512, 8, generator=gen, dtype=torch.float64).to(device=dev, dtype=dt)
    loss = lambda kk: float(critic(real, kk).mean() - critic(fake, kk).mean())  # noqa: E731
    names = a.rescale.symbols
    factor = float(a.rescale.expr.subs({names["k"]: k, names["L"]: len(layers)}))
    base = loss(1.0)
    condition = float(critic(real, 1.0).abs().mean()) / abs(base)
    evidence.append(close("loss(k·W) / loss(W)", loss(k) / base, factor, relative=True,
                          tol=tolerance(ctx.dtype, n=16 * 3, condition=condition),
                          method=f"bias-free ReLU critic, L = 3, k = {k}, torch ({ctx.dtype})",
                          counterexample={"k": k, "L": len(layers), "ratio": loss(k) / base}))
    return evidence
