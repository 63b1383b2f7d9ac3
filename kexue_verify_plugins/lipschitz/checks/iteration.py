"""Checks of the power-iteration and gradient claims: LIP-7, LIP-8, LIP-9 and LIP-16.

Power iteration (post eq. (13)–(15)): ``u_r ∝ (WWᵀ)^r u₀``.  Writing ``u₀ = Σ c_i u_i`` in the left
singular vectors, ``u_r ∝ Σ c_i σ_i^{2r} u_i``, so for ``c₁ ≠ 0``

.. math::  \\frac{|c_2|}{|c_1|}\\rho^r \\;\\le\\; \\tan\\theta_r \\;\\le\\; \\tan\\theta_0\\,\\rho^r,
           \\qquad \\rho = (\\sigma_2/\\sigma_1)^2 ,

and the estimate ``u_rᵀWv_r = ‖Wv_r‖`` satisfies ``σ₁ cos θ ≤ σ̂ ≤ σ₁``.  Both sides of the
sandwich are checked step by step, so a claimed rate that is too slow *or* too fast fails.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, Outcome, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.lipschitz.assertions import (
    KerasSpectralNorm,
    PowerIteration,
    Reparametrisation,
    SpectralGradient,
)
from kexue_verify_plugins.lipschitz.bounds import cpu_generator
from kexue_verify_plugins.lipschitz.norms import (
    conv_operator_norm,
    keras_spectral_norm,
    power_iteration,
    spectral_norm,
)
from kexue_verify_plugins.lipschitz.quantities import exact_quantities

__all__ = [
    "keras_spectral_norm_numeric",
    "power_iteration_numeric",
    "power_iteration_symbolic",
    "reparametrisation_numeric",
    "spectral_gradient_numeric",
    "spectral_gradient_symbolic",
]

S1, S2 = sp.symbols("s1 s2", positive=True)  # the symbols of PowerIteration's and SpectralGradient's formulas
COUNTEREXAMPLE = [[2, -1], [-1, 2]]


def _rate(a: PowerIteration) -> sp.Expr:
    return a.rate.expr


def _limit(a: PowerIteration) -> sp.Expr:
    return a.limit.expr


def _precondition_evidence(name: str, requires: str, c1: Any, estimates: list[Any], sigma1: Any, sigma2: Any,
                           tol: float, method: str, subject: Any) -> Evidence:
    """Convergence from a start: required when the assertion has no precondition or when ``c₁ ≠ 0``.

    Where the assertion requires ``c₁ ≠ 0`` and the start has ``c₁ = 0``, the corrected theory predicts
    that the iterate never leaves ``u₁^⊥``, so the estimate stays ≤ σ₂; that is what is checked then.
    """
    last = float(estimates[-1])
    if requires == "c1 != 0" and abs(float(c1)) <= tol:
        return holds(f"{name}: c₁ = 0, so no convergence is claimed; the estimate stays ≤ σ₂", last <= float(sigma2)
                     + tol, method=method, expected="estimate ≤ σ₂", c1=float(c1), estimate=last,
                     sigma_2=float(sigma2))
    return holds(f"{name}: the estimate converges to σ₁", abs(last - float(sigma1)) <= tol, method=method,
                 expected=f"σ₁ = {float(sigma1)!r}", c1=float(c1), estimates=[float(e) for e in estimates],
                 counterexample={"W": subject, "start": "ones", "estimate": last, "sigma_1": float(sigma1)})


def power_iteration_symbolic(ctx: CheckContext, a: PowerIteration) -> list[Evidence]:
    """SymPy: the post's counterexample iterated exactly; the per-step rate and the limit in the 2-D model.

    * ``W = [[2,−1],[−1,2]]`` from ``u₀ = (1, 1)``: ``Wᵀu₀ = u₀``, so the estimate is exactly 1 at
      every step while ``σ₁ = 3``; ``c₁ = ⟨u₀, u₁⟩ = 0``.
    * In the eigenbasis, ``tan θ_r = |c₂/c₁| (σ₂/σ₁)^{2r}``: the ratio of consecutive tangents is
      compared with the asserted rate.
    * With ``σ₂ = σ₁/(1+p)``, ``lim_{r→∞} σ̂_r² = σ₁²`` (Gruntz): compared with the asserted limit squared.
    """
    w = sp.Matrix(COUNTEREXAMPLE)
    u = sp.Matrix([1, 1]) / sp.sqrt(2)
    estimates = []
    for _ in range(3):
        v = w.T * u
        v = v / sp.sqrt((v.T * v)[0])
        u = w * v
        u = u / sp.sqrt((u.T * u)[0])
        estimates.append(sp.simplify((u.T * w * v)[0]))
    values = exact_quantities(w)
    eig = (w.T * w).eigenvects()
    top = max(eig, key=lambda e: e[0])[2][0]
    c1 = sp.simplify((sp.Matrix([1, 1]).T * top)[0])
    sigma2 = sp.sqrt(min(e[0] for e in eig))
    evidence = [_precondition_evidence("[[2,−1],[−1,2]] from ones (exact)", a.requires, c1, estimates,
                                       values["spec"], sigma2, 0.0, "sympy, exact iteration", COUNTEREXAMPLE)]
    c1s, c2s, r, p = sp.symbols("c1 c2 r p", positive=True)
    tan = c2s * S2 ** (2 * r) / (c1s * S1 ** (2 * r))
    ratio = sp.simplify(tan.subs(r, r + 1) / tan)
    evidence.append(holds("tan θ_{r+1}/tan θ_r = asserted rate", sp.simplify(ratio - _rate(a)) == 0,
                          method="sympy, 2-D eigenbasis", expected=str(_rate(a)), derived=str(ratio)))
    est2 = (c1s**2 * S1**2 + c2s**2 * S1**2 * (1 + p) ** (-(4 * r + 2))) / (c1s**2 + c2s**2 * (1 + p) ** (-4 * r))
    limit = sp.limit(est2, r, sp.oo)
    evidence.append(holds("lim σ̂_r² = (asserted limit)²", sp.simplify(limit - _limit(a) ** 2) == 0,
                          method="sympy.limit (Gruntz), σ₂ = σ₁/(1+p)", expected=str(_limit(a) ** 2),
                          derived=str(limit)))
    return evidence


def _with_spectrum(ctx: CheckContext, sigmas: torch.Tensor, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``W = U diag(σ) Vᵀ`` (``m × len(σ)``) with Haar-random ``U``, ``V``; returns ``W`` and ``U``."""
    gen = cpu_generator(ctx.seed + 4)
    n = len(sigmas)
    u, _ = torch.linalg.qr(torch.randn(m, m, generator=gen, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    w = u[:, :n] @ torch.diag(sigmas) @ v.T
    return w.to(device=ctx.device, dtype=ctx.torch_dtype), u.to(device=ctx.device, dtype=ctx.torch_dtype)


def _tangent(u: torch.Tensor, u1: torch.Tensor) -> float:
    c = u @ u1
    return float(torch.linalg.vector_norm(u - c * u1) / c.abs())


def power_iteration_numeric(ctx: CheckContext, a: PowerIteration) -> list[Evidence]:
    """torch: the rate sandwich step by step on a 64×32 matrix with σ₁ = 2, σ₂ = 1.6; the limit; the counterexample.

    The rounding floor of ``tan θ_r`` is ``8·γ₆₄/(1 − ρ)`` (each step's rounding is damped by ρ in the
    following steps); only steps whose lower bound is ten times the floor are compared.
    """
    sigmas = torch.cat([torch.tensor([2.0, 1.6], dtype=torch.float64), torch.linspace(1.2, 0.1, 30,
                                                                                       dtype=torch.float64)])
    w, u_basis = _with_spectrum(ctx, sigmas, 64)
    s1, s2 = float(sigmas[0]), float(sigmas[1])
    rho_true = (s2 / s1) ** 2
    rho = float(_rate(a).subs({S1: s1, S2: s2}))
    floor = tolerance(ctx.dtype, n=64) / (1 - rho_true)
    gen = cpu_generator(ctx.seed + 5)
    u = torch.randn(64, generator=gen, dtype=torch.float64).to(w)
    u = u / torch.linalg.vector_norm(u)
    u1, u2 = u_basis[:, 0], u_basis[:, 1]
    c1, c2 = float(u @ u1), float(u @ u2)
    tan0 = _tangent(u, u1)
    steps, tangents, errors, violations, compared = 40, [], [], [], 0
    for r in range(1, steps + 1):
        trace = power_iteration(w, 1, u)
        u = trace.u
        tangents.append(_tangent(u, u1))
        errors.append(abs(float(trace.value) - s1))
        lower, upper = abs(c2 / c1) * rho**r, tan0 * rho**r
        if lower > 10 * floor:
            compared += 1
            if not lower - floor <= tangents[-1] <= upper + floor:
                violations.append({"step": r, "tan_theta": tangents[-1], "lower": lower, "upper": upper})
    w0 = torch.tensor(COUNTEREXAMPLE, dtype=ctx.torch_dtype, device=ctx.device)
    ones = power_iteration(w0, 20)
    resolved = [(r, e / s1) for r, e in enumerate(errors, 1) if e / s1 > tolerance(ctx.dtype, n=64)]
    figure = {
        "title": "Power iteration: error against steps",
        "xlabel": "step r", "ylabel": "error", "yscale": "log",
        "series": [
            {"label": "tan θ_r, 64×32 with σ₂/σ₁ = 0.8, random start", "x": list(range(1, steps + 1)),
             "y": tangents},
            {"label": "(σ₁ − σ̂_r)/σ₁, same (above rounding)", "x": [r for r, _ in resolved],
             "y": [e for _, e in resolved]},
            {"label": "tan θ₀ ρ^r, ρ = (σ₂/σ₁)² = 0.64", "x": list(range(1, steps + 1)),
             "y": [tan0 * rho_true**r for r in range(1, steps + 1)], "marker": ""},
            {"label": "(σ₁ − σ̂_r)/σ₁, [[2,−1],[−1,2]] from all ones", "x": list(range(1, 21)),
             "y": [(3 - float(e)) / 3 for e in ones.estimates]},
        ],
        "caption": ("From a random start the tangent follows the predicted line tan θ₀ ρ^r and the estimate's error "
                    "falls twice as fast; from the all-ones start on [[2,−1],[−1,2]] it never falls (c₁ = 0)."),
    }
    evidence = [Evidence(
        name="|c₂/c₁| ρ^r ≤ tan θ_r ≤ tan θ₀ ρ^r at every decisive step",
        outcome=Outcome.PASS if compared and not violations else Outcome.FAIL,
        method=f"torch ({ctx.dtype}, {ctx.device}), 40 steps from a random start; floor 8·γ₆₄/(1−ρ)",
        quantities={"asserted_rate": rho, "true_rate": rho_true, "steps_compared": compared,
                    "observed_rate_last5": (tangents[14] / tangents[9]) ** (1 / 5)},
        expected="inside the sandwich", tolerance={"floor": floor},
        counterexample=violations[:3] or None, figure=figure)]
    limit = float(_limit(a).subs({S1: s1, S2: s2}))
    evidence.append(close("σ̂ after 40 steps vs asserted limit", float(trace.value), limit,
                          tol=s1 * (tan0 * rho_true**steps) ** 2 + tolerance(ctx.dtype, n=64, scale=s1),
                          method="σ₁ − σ̂ ≤ σ₁ tan²θ", counterexample={"estimate": float(trace.value),
                                                                       "asserted": limit}))
    left = torch.linalg.svd(w0.double()).U[:, 0].to(w0)
    c1_ones = float(left @ torch.ones(2, dtype=w0.dtype, device=w0.device) / 2**0.5)
    sv = torch.linalg.svdvals(w0)
    evidence.append(_precondition_evidence("[[2,−1],[−1,2]] from ones (torch)", a.requires, c1_ones,
                                           ones.estimates.tolist(), sv[0], sv[1],
                                           tolerance(ctx.dtype, n=4, scale=3.0), f"torch ({ctx.dtype}), 20 steps",
                                           COUNTEREXAMPLE))
    ones_big = power_iteration(w, 200)
    evidence.append(_precondition_evidence("64×32 from ones (torch)", a.requires, float(u1 @ ones_big.u),
                                           ones_big.estimates.tolist()[-3:], s1, s2,
                                           tolerance(ctx.dtype, n=64, scale=s1), f"torch ({ctx.dtype}), 200 steps",
                                           "64×32, σ = (2, 1.6, 1.2 … 0.1)"))
    return evidence


def keras_spectral_norm_numeric(ctx: CheckContext, a: KerasSpectralNorm) -> list[Evidence]:
    """LIP-8: the post's Keras code (ported) against the σ_max it is said to approximate.

    With ``w`` the reshaped kernel, the code returns ``σ̂ = ‖w v_r‖`` with ``v_r ∝ (wᵀw)^{r−1} wᵀ1``, so
    ``σ₁ cos θ ≤ σ̂ ≤ σ₁`` where ``tan θ ≤ (σ₂/σ₁)^{2(r−1)} tan θ(wᵀ1, v₁)`` (LIP-7).  The asserted
    ``target`` (``reshaped``: σ_max of the reshaped kernel; ``frobenius``; ``conv``: the circular conv
    operator norm on 8×8 inputs) and ``side`` (``below``: inside that interval; ``exact``: equal to
    rounding; ``above``: ``σ̂ ≥`` target) are checked on three kernels in Keras layout ``(k_h, k_w, in, out)``.
    """
    gen = cpu_generator(ctx.seed + 6)
    kernels = {
        "random 3×3×16×32": torch.randn(3, 3, 16, 32, generator=gen, dtype=torch.float64),
        "positive 3×3×4×8": torch.randn(3, 3, 4, 8, generator=gen, dtype=torch.float64).abs(),
        "1/3's 3×3×1×1": torch.full((3, 3, 1, 1), 1 / 3, dtype=torch.float64),
    }
    r = a.r
    rows, failures = [], []
    for name, k in kernels.items():
        k = k.to(device=ctx.device, dtype=ctx.torch_dtype)
        estimate = float(keras_spectral_norm(k, r))
        w = k.reshape(-1, k.shape[-1]).double()
        svd = torch.linalg.svd(w, full_matrices=False)
        s = svd.S
        start = w.T @ torch.ones(w.shape[0], dtype=torch.float64, device=w.device)
        c = svd.Vh @ start
        tan0 = float(torch.linalg.vector_norm(c[1:]) / c[0].abs())
        ratio = float(s[1] / s[0]) if len(s) > 1 else 0.0
        tan_r = tan0 * ratio ** (2 * (r - 1))
        low = float(s[0]) / (1 + tan_r**2) ** 0.5
        tol = tolerance(ctx.dtype, n=w.numel(), scale=float(s[0]))
        torch_layout = k.permute(3, 2, 0, 1)  # (out, in, kh, kw)
        target = {"reshaped": float(s[0]), "frobenius": float(torch.linalg.matrix_norm(w)),
                  "conv": float(conv_operator_norm(torch_layout.double(), (8, 8), padding=1,
                                                   padding_mode="circular").value)}[a.target]
        side = a.side
        ok = {"below": target * low / float(s[0]) - tol <= estimate <= target + tol,
              "exact": abs(estimate - target) <= tol,
              "above": estimate >= target - tol}[side]
        row = {"kernel": name, "estimate": estimate, "target": target, "sigma_max_reshaped": float(s[0]),
               "proven_lower": low, "torch_reshape_sigma": float(spectral_norm(torch_layout.reshape(
                   torch_layout.shape[0], -1).double()))}
        rows.append(row)
        if not ok:
            failures.append(row)
    return [holds(f"Keras spectral_norm (r = {r}) vs {a.target} ({a.side})", not failures,
                  method=f"port of the post's code, torch ({ctx.dtype}); interval from the LIP-7 bound",
                  counterexample=failures[:2] or None, table=rows,
                  expected={"below": "σ₁cos θ ≤ σ̂ ≤ target", "exact": "σ̂ = target",
                            "above": "σ̂ ≥ target"}[a.side])]


def _gradient_formula(a: SpectralGradient, s1: Any, u1: Any, v1: Any) -> Any:
    coefficient = a.coefficient.expr.subs(S1, s1)
    outer = {"u1 v1^T": lambda: u1 * v1.T, "v1 u1^T": lambda: v1 * u1.T}[a.outer]
    return coefficient, outer()


def spectral_gradient_symbolic(ctx: CheckContext, a: SpectralGradient) -> list[Evidence]:
    """SymPy on a general 2×2 ``W``: ``σ₁² = (T + √(T² − 4D²))/2`` with ``T = ‖W‖_F²``, ``D = det W``;
    its entrywise derivative at exact points against the asserted ``coefficient · outer``.

    Exact points ``W = U diag(s) Vᵀ`` with Pythagorean rotations ``U`` (3-4-5), ``V`` (5-12-13) and
    ``s = (3, 1)``, ``(2, 1/2)``: every quantity is rational, so the comparison is exact and fast.
    ``v₁`` comes from the eigenvectors of ``WᵀW``, ``u₁ = Wv₁/σ₁``.  Also the penalty: the asserted
    penalty at those points against σ₁².
    """
    a_, b_, c_, d_ = sp.symbols("a b c d", real=True)
    w = sp.Matrix([[a_, b_], [c_, d_]])
    t = a_**2 + b_**2 + c_**2 + d_**2
    det = a_ * d_ - b_ * c_
    s1_sq = (t + sp.sqrt(t**2 - 4 * det**2)) / 2
    grad = sp.Matrix(2, 2, lambda i, j: sp.diff(s1_sq, w[i, j]))
    failures, penalty_failures = [], []
    rot_u = sp.Matrix([[3, -4], [4, 3]]) / 5
    rot_v = sp.Matrix([[5, -12], [12, 5]]) / 13
    for spectrum in ((3, 1), (2, sp.Rational(1, 2))):
        wp = rot_u * sp.diag(*spectrum) * rot_v.T
        point = [[str(x) for x in row] for row in wp.tolist()]
        subs = dict(zip((a_, b_, c_, d_), list(wp), strict=True))
        lam, _, vecs = max((wp.T * wp).eigenvects(), key=lambda e: e[0])
        v1 = vecs[0] / sp.sqrt((vecs[0].T * vecs[0])[0])
        s1 = sp.sqrt(lam)
        u1 = wp * v1 / s1
        coefficient, outer = _gradient_formula(a, s1, u1, v1)
        derived = grad.subs(subs)
        asserted = coefficient * outer
        if any(sp.simplify(x) != 0 for x in (derived - asserted)):
            failures.append({"W": point, "derived": str(sp.simplify(derived)), "asserted": str(sp.simplify(asserted))})
        penalty = _penalty_exact(a, wp)
        if sp.simplify(penalty - lam) != 0:
            penalty_failures.append({"W": point, "penalty": str(penalty), "sigma1_squared": str(lam)})
    return [
        holds(f"∂σ₁²/∂W = {a.coefficient}·{a.outer} (exact)", not failures,
              method="sympy.diff of the closed-form σ₁², exact points", counterexample=failures[:1] or None),
        holds(f"penalty {a.penalty} equals ‖W‖₂² (exact)", not penalty_failures, method="sympy",
              counterexample=penalty_failures[:1] or None),
    ]


def _penalty_exact(a: SpectralGradient, w: sp.Matrix) -> sp.Expr:
    values = exact_quantities(w)
    names = a.penalty.symbols
    return a.penalty.expr.subs({names["s1"]: values["spec"], names["fro"]: values["fro"]})


def spectral_gradient_numeric(ctx: CheckContext, a: SpectralGradient) -> list[Evidence]:
    """torch autograd through ``svdvals`` (σ₁ simple) against ``coefficient · outer`` from the SVD; and, by the
    chain rule ``∂σ₁ = ∂σ₁²/(2σ₁)``, autograd's ``∂σ₁/∂W`` against ``coefficient/(2σ₁) · outer`` (= ``u₁v₁ᵀ``).

    Matrices: random 5×5 and 6×4.  ``v₁u₁ᵀ`` has the wrong shape for a non-square ``W``, which is a
    failure of the formula, not a crash.  Tolerance: ``8·γ_{mn}·‖W‖_F`` times the condition ``σ₁/(σ₁ − σ₂)``
    of the top singular vectors (Wedin).
    """
    gen = cpu_generator(ctx.seed + 7)
    failures: list[dict[str, object]] = []
    penalty_failures, rows = [], []
    for shape in ((5, 5), (6, 4)):
        w = torch.randn(*shape, generator=gen, dtype=torch.float64).to(device=ctx.device, dtype=ctx.torch_dtype)
        w.requires_grad_(True)
        sv = torch.linalg.svdvals(w)
        fro = torch.linalg.matrix_norm(w)
        s1_expr = {"s1": sv[0], "fro": fro}
        grad, grad_s1 = (torch.autograd.grad(t, w, retain_graph=True)[0] for t in (sv[0] ** 2, sv[0]))
        penalty = _torch_penalty(a, s1_expr).detach()
        u, s, vh = torch.linalg.svd(w.detach())
        coefficient = float(a.coefficient.expr.subs(S1, float(s[0])))
        outer = torch.outer(u[:, 0], vh[0]) if a.outer == "u1 v1^T" else torch.outer(vh[0], u[:, 0])
        gap = float(s[0] / (s[0] - s[1]))
        tol = tolerance(ctx.dtype, n=w.numel(), scale=float(fro.detach()), condition=gap) * max(1.0, coefficient)
        if outer.shape != grad.shape:
            failures.append({"shape": shape, "why": f"formula has shape {tuple(outer.shape)}, W has {shape}"})
        else:
            err = float((grad - coefficient * outer).abs().max())
            err_s1 = float((grad_s1 - coefficient / (2 * float(s[0])) * outer).abs().max())
            rows.append({"shape": shape, "max_error_sigma1_squared": err, "max_error_sigma1": err_s1, "tol": tol})
            if max(err, err_s1) > tol:
                failures.append(rows[-1])
        perr = abs(float(penalty) - float(s[0]) ** 2)
        if perr > tolerance(ctx.dtype, n=w.numel(), scale=float(fro.detach()) ** 2):
            penalty_failures.append({"shape": shape, "penalty": float(penalty), "sigma1_squared": float(s[0]) ** 2})
    return [
        holds(f"autograd ∂σ₁²/∂W = {a.coefficient}·{a.outer} (and ∂σ₁/∂W by the chain rule)", not failures,
              method=f"torch.linalg.svdvals backward ({ctx.dtype}); tol 8·γ·‖W‖_F·σ₁/(σ₁−σ₂)",
              counterexample=failures[:1] or None, table=rows),
        holds(f"penalty {a.penalty} equals ‖W‖₂²", not penalty_failures, method="torch",
              counterexample=penalty_failures[:1] or None),
    ]


def _torch_penalty(a: SpectralGradient, values: dict[str, torch.Tensor]) -> torch.Tensor:
    from kexue_verify.helpers import torch_function

    fn = torch_function(a.penalty.expr, *values)
    return fn(*values.values())


def reparametrisation_numeric(ctx: CheckContext, a: Reparametrisation) -> list[Evidence]:
    """LIP-16: gradient descent on ``L(W/σ(W))`` against the asserted gradient formula and against projection.

    A 4×3 ``W``, data ``X`` (16×3) and targets, ``L(W̄) = ‖XW̄ᵀ − Y‖²/16``, step ``η = 0.1``.
    Reference: autograd through ``W/svdvals(W)[0]``.  ``formula`` names the asserted gradient:
    ``"miyato"`` = ``(G − ⟨G, W̄⟩u₁v₁ᵀ)/σ``, ``"plain"`` = ``G/σ`` (``G = ∂L/∂W̄``).  ``projection_equal``:
    whether projected GD, ``W̄ ← Π(W̄ − ηG)`` with ``Π(A) = A/σ(A)``, gives the same next ``W̄``.
    """
    gen = cpu_generator(ctx.seed + 8)
    dt, dev = ctx.torch_dtype, ctx.device

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64).to(device=dev, dtype=dt)

    w, x, y, eta = randn(4, 3), randn(16, 3), randn(16, 4), 0.1
    w.requires_grad_(True)

    def loss(wbar: torch.Tensor) -> torch.Tensor:
        return ((x @ wbar.T - y) ** 2).sum() / 16

    sigma = torch.linalg.svdvals(w)[0]
    wbar = w / sigma
    (reference,) = torch.autograd.grad(loss(wbar), w)
    wbar_d = wbar.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(wbar_d), wbar_d)
    u, s, vh = torch.linalg.svd(w.detach())
    uv = torch.outer(u[:, 0], vh[0])
    formula = {"miyato": (g - (g * wbar.detach()).sum() * uv) / s[0], "plain": g / s[0]}[a.formula]
    scale = float(g.abs().max() / s[0])
    tol = tolerance(dt, n=64, scale=scale, condition=float(s[0] / (s[0] - s[1])))
    err = float((formula - reference).abs().max())
    new_w = w.detach() - eta * reference
    reparam_next = new_w / torch.linalg.svdvals(new_w)[0]
    stepped = wbar.detach() - eta * g
    projected_next = stepped / torch.linalg.svdvals(stepped)[0]
    gap = float((reparam_next - projected_next).abs().max())
    same = gap <= tolerance(dt, n=64, scale=1.0)
    return [
        close(f"asserted gradient ({a.formula}) vs autograd through W/σ(W)", err, 0.0, tol=tol,
              method=f"torch ({ctx.dtype}); tol 8·γ₆₄·|G|/σ·σ₁/(σ₁−σ₂)",
              counterexample={"max_error": err}),
        holds("projection after the step equals the reparametrised step" if a.projection_equal else
              "projection after the step differs from the reparametrised step",
              same == a.projection_equal, method="one step each, η = 0.1", next_wbar_gap=gap,
              counterexample={"reparametrised": reparam_next.tolist(), "projected": projected_next.tolist()}),
    ]
