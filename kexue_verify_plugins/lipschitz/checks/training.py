"""Checks of the training-side claims: L2 regularisation (LIP-4), the WGAN dual (LIP-10), the gradient
penalty (LIP-11) and its cost (LIP-15).

The references are the definitions: torch's optimisers for LIP-4; the Kantorovich–Rubinstein dual
``sup_{|f|_L ≤ K} E_r f − E_g f`` estimated by a trained spectrally normalised critic, and the
primal ``W₁`` of the sorted samples, for LIP-10; the WGAN-GP penalty ``E(‖∇ₓf(x̂)‖ − 1)²``
(Gulrajani et al. 2017, Algorithm 1) and the one-sided ``E max(‖∇ₓf‖ − 1, 0)²`` (Petzka et al. 2018)
computed by autograd, for LIP-11 and LIP-15.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import sympy as sp
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from kexue_verify import CheckContext, Evidence, close, holds
from kexue_verify.helpers import seed_torch, tolerance, torch_function
from kexue_verify_plugins.lipschitz.assertions import (
    DoubleBackprop,
    GradientPenalty,
    L2WeightDecay,
    WassersteinDual,
)
from kexue_verify_plugins.lipschitz.bounds import cpu_generator
from kexue_verify_plugins.lipschitz.models import converge_spectral_norm

__all__ = [
    "double_backprop_numeric",
    "gradient_penalty_numeric",
    "gradient_penalty_symbolic",
    "l2_weight_decay_numeric",
    "l2_weight_decay_symbolic",
    "wgan_dual_numeric",
    "wgan_dual_symbolic",
]

LAM, FRO = sp.symbols("lam fro", positive=True)  # the symbols of L2WeightDecay's formulas


def _randn(ctx: CheckContext, gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(device=ctx.device, dtype=ctx.torch_dtype)


def l2_weight_decay_symbolic(ctx: CheckContext, a: L2WeightDecay) -> Evidence:
    """SymPy on a 2×3 matrix of symbols: ``∂ penalty/∂W`` against ``sgd_decay · W`` (then SGD steps coincide)."""
    w = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
    fro = sp.sqrt(sum(x**2 for x in w))
    penalty = a.penalty.expr.subs(FRO, fro)
    decay = a.sgd_decay.expr
    residual = [sp.simplify(sp.diff(penalty, x) - decay * x) for x in w]
    return holds("∂ penalty/∂W = sgd_decay · W", all(r == 0 for r in residual), method="sympy.diff",
                 expected=f"({decay})·W", gradient=str(sp.simplify(sp.diff(penalty, w[0, 0]))) + " (entry 0,0)",
                 counterexample=None if all(r == 0 for r in residual) else {"residual_00": str(residual[0])})


def _train(ctx: CheckContext, make_opt: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
           penalty: Callable[[torch.Tensor], torch.Tensor] | None) -> torch.Tensor:
    gen = cpu_generator(ctx.seed + 9)
    w0, x, y = _randn(ctx, gen, 5, 8), _randn(ctx, gen, 32, 8), _randn(ctx, gen, 32, 5)
    w = w0.clone().requires_grad_(True)
    opt = make_opt([w])
    for _ in range(3):
        opt.zero_grad()
        loss = ((x @ w.T - y) ** 2).mean()
        if penalty is not None:
            loss = loss + penalty(w)
        loss.backward()
        opt.step()
    return w.detach()


def l2_weight_decay_numeric(ctx: CheckContext, a: L2WeightDecay) -> list[Evidence]:
    """torch: three steps of SGD on ``L + penalty`` against SGD with ``weight_decay = sgd_decay`` (λ = 0.05);
    and Adam on ``L + penalty`` against AdamW with the same decay, whose equality is ``adam_equivalent``.

    Tolerance ``8·γ₆₄`` at the scale of the weights: both runs do the same arithmetic up to the order
    of one addition per step.
    """
    lam = 0.05
    penalty_fn = torch_function(a.penalty.expr, "lam", "fro")
    decay = float(a.sgd_decay.expr.subs(LAM, lam))

    def penalty(w: torch.Tensor) -> torch.Tensor:
        return penalty_fn(torch.tensor(lam, dtype=w.dtype, device=w.device), torch.linalg.matrix_norm(w))

    sgd_l2 = _train(ctx, lambda p: torch.optim.SGD(p, lr=0.1), penalty)
    sgd_wd = _train(ctx, lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=decay), None)
    adam_l2 = _train(ctx, lambda p: torch.optim.Adam(p, lr=0.1), penalty)
    adamw = _train(ctx, lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=decay), None)
    tol = tolerance(ctx.dtype, n=64, scale=float(sgd_wd.abs().max()))
    sgd_gap = float((sgd_l2 - sgd_wd).abs().max())
    adam_gap = float((adam_l2 - adamw).abs().max())
    return [
        close("SGD on L + penalty vs SGD(weight_decay = sgd_decay)", sgd_gap, 0.0, tol=tol,
              method=f"torch.optim, 3 steps, λ = {lam}, lr 0.1 ({ctx.dtype})", decay=decay,
              counterexample={"max_weight_difference": sgd_gap}),
        holds("Adam on L + penalty " + ("equals" if a.adam_equivalent else "differs from")
              + " AdamW(weight_decay = sgd_decay)", (adam_gap <= tol) == a.adam_equivalent,
              method="torch.optim.Adam vs AdamW, 3 steps", max_weight_difference=adam_gap, tol=tol,
              counterexample={"max_weight_difference": adam_gap}),
    ]


def _k(a: WassersteinDual) -> sp.Expr:
    return a.critic_lipschitz.expr


@lru_cache(maxsize=1)
def _w1_gaussians() -> tuple[sp.Expr, Any, sp.Expr]:
    """``W₁(N(2,1), N(0,1))`` three ways: Fubini (exact), the CDF integral (mpmath, 30 digits), and ``f(x) = x``.

    ``∫(Φ(x) − Φ(x−2))dx = ∫∫ 1[x−2 ≤ t ≤ x] φ(t) dt dx = ∫ 2φ(t) dt = 2`` (the integrand is ≥ 0, so the
    order of integration may be swapped); the value of the critic ``f(x) = x`` is
    ``E_{N(2,1)} x − E_{N(0,1)} x = ∫ (t + 2)φ(t) dt − ∫ tφ(t) dt``.  Cached: assertion-independent.
    """
    import mpmath

    t = sp.Symbol("t", real=True)
    phi = sp.exp(-(t**2) / 2) / sp.sqrt(2 * sp.pi)
    fubini = sp.integrate(2 * phi, (t, -sp.oo, sp.oo))
    with mpmath.workdps(30):
        cdf_integral = mpmath.quad(lambda x: mpmath.ncdf(x) - mpmath.ncdf(x - 2), [-mpmath.inf, 0, 2, mpmath.inf])
    identity = sp.integrate((t + 2) * phi, (t, -sp.oo, sp.oo)) - sp.integrate(t * phi, (t, -sp.oo, sp.oo))
    return fubini, cdf_integral, identity


def wgan_dual_symbolic(ctx: CheckContext, a: WassersteinDual) -> list[Evidence]:
    """SymPy: ``W₁(N(0,1), N(2,1)) = ∫|F_r − F_g| = 2``, attained by ``f(x) = x``; the supremum over
    ``K``-Lipschitz critics is ``K·W₁`` (``f`` is K-Lipschitz iff ``f/K`` is 1-Lipschitz), compared with
    the asserted value (``K = oo``: unconstrained, ``c·x`` gives ``2c → ∞``).
    """
    c = sp.Symbol("c", positive=True)
    w1, cdf_integral, identity_value = _w1_gaussians()
    k = _k(a)
    sup = sp.limit(2 * c, c, sp.oo) if k == sp.oo else k * w1
    asserted = a.value.expr
    return [
        holds("W₁ = ∫|F_r − F_g| = 2, attained by f(x) = x", sp.simplify(w1 - 2) == 0 and sp.simplify(
            identity_value - w1) == 0 and abs(float(cdf_integral) - 2) < 1e-25,
              method="sympy.integrate (Fubini form) and mpmath.quad (30 digits) of the CDF difference", w1=str(w1),
              cdf_integral=float(cdf_integral), value_of_identity=str(identity_value)),
        holds("sup over K-Lipschitz critics = asserted value", sp.simplify(sup - asserted) == 0 if sup != sp.oo
              else asserted == sp.oo, method="scaling f ↦ f/K", expected=str(asserted), derived=str(sup),
              counterexample={"K": str(k), "sup": str(sup), "asserted": str(asserted)}),
    ]


STEPS = 150


def _critic(constrained: bool) -> nn.Module:
    def lin(i: int, o: int) -> nn.Module:
        layer = nn.Linear(i, o)
        return torch_spectral_norm(layer) if constrained else layer

    return nn.Sequential(lin(1, 16), nn.ReLU(), lin(16, 16), nn.ReLU(), lin(16, 1))


@lru_cache(maxsize=8)
def _trained_critic(seed: int, constrained: bool, dtype: str, device: str) -> tuple[float, float, float, float]:
    """Train a critic on ``N(2,1)`` against ``N(0,1)`` and evaluate it on 20 000 fresh samples of each.

    Returns (value, its standard error, the primal W₁ of the sorted samples, its standard error).
    Cached per process: the false variants ask for the same critic.
    """
    ctx = CheckContext(case_id="wgan", seed=seed, dtype=dtype, device=device)
    with torch.random.fork_rng(devices=[]):
        seed_torch(seed)
        g = _critic(constrained).to(device=device, dtype=ctx.torch_dtype)
    gen = cpu_generator(ctx.seed + 10)
    opt = torch.optim.Adam(g.parameters(), lr=2e-2)
    g.train()
    for _ in range(STEPS):
        out = g(torch.cat([_randn(ctx, gen, 256, 1) + 2, _randn(ctx, gen, 256, 1)]))
        loss = -(out[:256].mean() - out[256:].mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
    if constrained:
        converge_spectral_norm(g, torch.zeros(1, 1, dtype=ctx.torch_dtype, device=device))
    g.eval()
    n = 20000
    real, fake = _randn(ctx, gen, n, 1) + 2, _randn(ctx, gen, n, 1)
    with torch.no_grad():
        fr, fg = g(real), g(fake)
    value = float(fr.mean() - fg.mean())
    se = float((fr.var() / n + fg.var() / n) ** 0.5)
    primal = float((real.sort(dim=0).values - fake.sort(dim=0).values).abs().mean())
    primal_se = float((real.var() / n + fake.var() / n) ** 0.5)
    return value, se, primal, primal_se


def wgan_dual_numeric(ctx: CheckContext, a: WassersteinDual) -> list[Evidence]:
    """torch: a critic ``K·g`` with ``g`` a spectrally normalised 3-layer ReLU net (unconstrained when
    ``K = oo``) trained on ``N(2,1)`` against ``N(0,1)`` (150 Adam steps of 256 samples), evaluated on
    20 000 fresh samples.  ``K·g`` is K-Lipschitz exactly when ``g`` is 1-Lipschitz, so one training of
    ``g`` serves every finite ``K``.

    * No critic of the class beats the supremum: ``value(K·g) ≤ asserted + 4·SE`` (SE from the samples).
    * The asserted supremum is at most ``K·W₁`` of the sorted samples (an upward-biased primal estimate:
      ``W₁`` is convex, so Jensen) plus ``4·K·SE``.
    * The trained critic reaches the asserted value within ``4·SE`` and a 5 % training allowance
      (a fixed, empirical margin for 150 steps).
    """
    k = _k(a)
    asserted = float(a.value.expr)
    constrained = k != sp.oo
    scale = float(k) if constrained else 1.0
    value, se, primal, primal_se = _trained_critic(ctx.seed, constrained, ctx.dtype, ctx.device)
    value, se = scale * value, scale * se
    k_primal = scale * primal if constrained else float("inf")
    kind = f"{k}·(SN ReLU critic)" if constrained else "unconstrained ReLU critic"
    return [
        holds("trained critic value ≤ asserted supremum + 4·SE", value <= asserted + 4 * se,
              method=f"{kind}, {STEPS} Adam steps ({ctx.dtype})", critic_value=value, se=se,
              counterexample={"critic_value": value, "asserted": asserted}),
        holds("asserted supremum ≤ K·W₁(sorted samples) + 4·K·SE", asserted <= k_primal + 4 * scale * primal_se,
              method="primal: mean |sorted real − sorted fake|", primal_w1=primal,
              counterexample={"asserted": asserted, "K_times_primal": k_primal}),
        holds("trained critic reaches the asserted value", value >= asserted * 0.95 - 4 * se,
              method="4·SE + 5 % training allowance", critic_value=value,
              counterexample={"critic_value": value, "asserted": asserted}),
    ]


def _interpolates(scheme: str, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    if scheme == "uniform":
        eps = torch.rand(real.shape[0], 1, generator=gen, dtype=torch.float64).to(real)
    elif scheme == "midpoint":
        eps = torch.full((real.shape[0], 1), 0.5, dtype=real.dtype, device=real.device)
    else:
        raise ValueError(f"unknown interpolation {scheme!r}")
    return eps * real + (1 - eps) * fake


def _grad_norms(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, create_graph: bool) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x, create_graph=create_graph)
    return torch.linalg.vector_norm(grad, dim=1)


def gradient_penalty_symbolic(ctx: CheckContext, a: GradientPenalty) -> Evidence:
    """SymPy: does a vanishing penalty (asserted interpolation) certify ``|f|_L ≤ 1`` along the segments?

    Critic ``f(x) = x + x³``, pair ``x_r = −1``, ``x_f = 1``: ``|f(x_r) − f(x_f)| = 4 > 2 = |x_r − x_f|``.
    Uniform ``ε``: ``∫₀¹ (f'(2ε − 1) − 1)² dε = 9/5 > 0`` — the penalty sees the violation; the
    midpoint ``x̂ = 0``: ``(f'(0) − 1)² = 0`` — it does not.
    """
    x, eps = sp.symbols("x epsilon", real=True)
    f = x + x**3
    fp = sp.diff(f, x)
    x_hat = eps * (-1) + (1 - eps) * 1
    if a.interpolation == "uniform":
        penalty = sp.integrate((fp.subs(x, x_hat) - 1) ** 2, (eps, 0, 1))
    else:
        penalty = (fp.subs(x, x_hat.subs(eps, sp.Rational(1, 2))) - 1) ** 2
    ratio = sp.Abs(f.subs(x, -1) - f.subs(x, 1)) / 2
    ok = not (penalty == 0 and ratio > 1)
    return holds("zero penalty ⇒ 1-Lipschitz on the segment", ok, method="sympy, exact",
                 expected="penalty > 0 whenever the pair ratio exceeds 1", penalty=str(penalty),
                 pair_ratio=str(ratio), counterexample={"critic": "x + x**3", "x_real": -1, "x_fake": 1,
                                                        "penalty": str(penalty), "pair_ratio": str(ratio)})


def gradient_penalty_numeric(ctx: CheckContext, a: GradientPenalty) -> list[Evidence]:
    """torch: the penalties of a linear critic ``f(x) = aᵀx`` (‖a‖ = 1.7 and 0.6, ℝ⁸, batch 64) by double
    backprop against the asserted closed forms in ``g = ‖a‖``, with their gradients in ``a``; and the
    cubic critic of the symbolic check, with the asserted interpolation, on a batch of 256 pairs.
    """
    gen = cpu_generator(ctx.seed + 11)
    g_sym = a.penalty.symbols["g"]
    two, one = a.penalty.expr, a.one_sided.expr
    rows, failures = [], []
    for norm in (1.7, 0.6):
        direction = _randn(ctx, gen, 8)
        vec = (norm * direction / torch.linalg.vector_norm(direction)).requires_grad_(True)
        real, fake = _randn(ctx, gen, 64, 8) + 1, _randn(ctx, gen, 64, 8)
        x_hat = _interpolates(a.interpolation, real, fake, gen)
        def linear(x: torch.Tensor, v: torch.Tensor = vec) -> torch.Tensor:
            return x @ v

        gn = _grad_norms(linear, x_hat, create_graph=True)
        computed = {"two-sided": ((gn - 1) ** 2).mean(), "one-sided": (torch.relu(gn - 1) ** 2).mean()}
        for label, expr in (("two-sided", two), ("one-sided", one)):
            value = float(expr.subs(g_sym, norm))
            (grad,) = torch.autograd.grad(computed[label], vec, retain_graph=True)
            slope = float(sp.diff(expr, g_sym).subs(g_sym, norm)) if expr.has(g_sym) else 0.0
            expected_grad = slope * vec.detach() / norm
            tol = tolerance(ctx.dtype, n=64 * 8, scale=max(1.0, abs(value)))
            measured = float(computed[label].detach())
            err = max(abs(measured - value), float((grad - expected_grad).abs().max()))
            rows.append({"norm_a": norm, "penalty": label, "computed": measured, "closed_form": value,
                         "error": err})
            if err > tol:
                failures.append(rows[-1])
    cubic = lambda x: x + x**3  # noqa: E731
    real = -torch.ones(256, 1, dtype=ctx.torch_dtype, device=ctx.device)
    fake = torch.ones(256, 1, dtype=ctx.torch_dtype, device=ctx.device)
    x_hat = _interpolates(a.interpolation, real, fake, gen)
    penalty = float(((_grad_norms(cubic, x_hat, create_graph=False) - 1) ** 2).mean())
    ratio = float((cubic(real) - cubic(fake)).abs().mean() / 2)
    blind = penalty <= tolerance(ctx.dtype, n=256) and ratio > 1
    return [
        holds("penalties and their gradients match the closed forms (linear critic)", not failures,
              method=f"autograd.grad(create_graph=True), torch ({ctx.dtype})", counterexample=failures[:2] or None,
              table=rows),
        holds("the penalty sees a critic that breaks |f|_L ≤ 1 on the segments", not blind,
              method=f"f(x) = x + x³, pairs (−1, 1), {a.interpolation} interpolation", penalty=penalty,
              pair_ratio=ratio, counterexample={"critic": "x + x**3", "penalty": penalty, "pair_ratio": ratio}),
    ]


def _graph(t: torch.Tensor) -> list[str]:
    """The names of the autograd nodes reachable from ``t.grad_fn``."""
    seen, stack, names = set(), [t.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.append(node.name())
        stack.extend(nxt for nxt, _ in node.next_functions)
    return names


def double_backprop_numeric(ctx: CheckContext, a: DoubleBackprop) -> list[Evidence]:
    """LIP-15: the penalty's gradient in the critic's parameters needs the graph of ``∇ₓf``.

    A tanh critic ``8 → 32 → 32 → 1``.  With ``create_graph`` as asserted, the parameter gradient of the
    penalty (in the run's dtype) is compared with a central difference in float64 along a random
    parameter direction (steps ``h = 10⁻⁴`` and ``h/2``; tolerance 4× their difference, plus the
    difference's rounding ``8·γ·|P|/h``, plus the dtype's rounding of the directional derivative
    ``8·γ_n·Σ|g_i d_i|``).  Without ``create_graph``
    the penalty is a constant to autograd, so its parameter gradient is 0 — wrong.  The penalised
    loss's graph must contain second-order nodes (``…BackwardBackward``: autograd differentiating a
    backward function), which the plain loss's does not; its size and the time per step (median of
    15) are reported.
    """
    with torch.random.fork_rng(devices=[]):
        seed_torch(ctx.seed)
        critic = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)).to(
            device=ctx.device, dtype=ctx.torch_dtype)
    gen = cpu_generator(ctx.seed + 12)
    real, fake = _randn(ctx, gen, 64, 8) + 1, _randn(ctx, gen, 64, 8)
    x_hat = _interpolates("uniform", real, fake, gen)
    params = list(critic.parameters())
    create = a.needs_create_graph

    def penalty(create_graph: bool) -> torch.Tensor:
        return ((_grad_norms(critic, x_hat, create_graph) - 1) ** 2).mean()

    p = penalty(create)
    raw_grads: Sequence[torch.Tensor | None] = (torch.autograd.grad(p, params, allow_unused=True)
                                                if p.requires_grad else [None] * len(params))
    grads = [torch.zeros_like(q) if gr is None else gr for q, gr in zip(params, raw_grads, strict=True)]
    direction = [torch.randn(q.shape, generator=gen, dtype=torch.float64) for q in params]
    norm = sum(float((d**2).sum()) for d in direction) ** 0.5
    direction = [d / norm for d in direction]
    products = [gr.detach().double().cpu() * d for gr, d in zip(grads, direction, strict=True)]
    analytic = sum(float(t.sum()) for t in products)
    scale = sum(float(t.abs().sum()) for t in products)
    critic64 = copy.deepcopy(critic).to(device="cpu", dtype=torch.float64)
    x_hat64 = x_hat.detach().to(device="cpu", dtype=torch.float64)
    params64 = list(critic64.parameters())

    def shifted(h: float) -> float:
        with torch.no_grad():
            for q, d in zip(params64, direction, strict=True):
                q.add_(h * d)
        value = float(((_grad_norms(critic64, x_hat64, False) - 1) ** 2).mean())
        with torch.no_grad():
            for q, d in zip(params64, direction, strict=True):
                q.sub_(h * d)
        return value

    h = 1e-4
    fd = (shifted(h) - shifted(-h)) / (2 * h)
    fd_half = (shifted(h / 2) - shifted(-h / 2)) / h
    tol = (4 * abs(fd - fd_half) + tolerance("float64", n=64 * 32, scale=float(p.detach())) / h
           + tolerance(ctx.dtype, n=len(params) * 32 * 32, scale=scale))
    loss_plain = -(critic(real).mean() - critic(fake).mean())
    loss_gp = loss_plain + 10 * penalty(True)

    def timed(create_graph: bool | None) -> float:
        times = []
        for _ in range(15):
            start = time.perf_counter()
            loss = -(critic(real).mean() - critic(fake).mean())
            if create_graph is not None:
                loss = loss + 10 * penalty(create_graph)
            torch.autograd.grad(loss, params)
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    t_plain, t_gp = timed(None), timed(True)
    plain_nodes, gp_nodes = _graph(loss_plain), _graph(loss_gp)
    second_order = sorted({n for n in gp_nodes if "BackwardBackward" in n})
    return [
        close("∂P/∂θ along a direction: autograd vs central difference", analytic, fd, tol=tol,
              method=f"create_graph={create}, torch ({ctx.dtype})", counterexample={"autograd": analytic, "fd": fd}),
        holds("the penalised loss's graph differentiates a backward pass", bool(second_order) and not any(
            "BackwardBackward" in n for n in plain_nodes), method="autograd node names reachable from grad_fn",
              second_order_nodes=second_order, graph_nodes_plain=len(plain_nodes), graph_nodes_penalty=len(gp_nodes),
              timings={"plain_s": t_plain, "penalty_s": t_gp, "ratio": t_gp / t_plain},
              note="timings are empirical (median of 15 steps) and not a criterion"),
    ]
