"""The empirical lower side of the Lipschitz sandwich: ``max_{found x} ‖J_f(x)‖₂ ≤ |f|_L``, with a witness pair.

:func:`empirical_lower_bound`: from seeded random starts spread over input scales (:data:`SEARCH_SCALES`, 1 to
10³), gradient ascent on the difference quotient ``‖f(x+δ) − f(x−δ)‖/(2‖δ‖)`` over the centre ``x`` and the
direction ``δ``, with ``‖δ‖`` shrinking from ``h₀`` to ``h₁``: a finite-difference smoothing of ``‖J_f(x)δ̂‖`` that
still has a gradient for piecewise-linear networks, where ``∇ₓ‖J_f(x)‖`` vanishes.  Then ``‖J_f(x)‖₂`` at the
centres found, by power iteration on ``JᵀJ`` (Jacobian products by reverse-mode autograd).  Every number it returns
is attained: a pair ratio is a pair of inputs, and a Jacobian norm comes with a witness pair ``x ± t v`` evaluated
in float64.

Autograd runs the model's own backward, which a custom ``torch.autograd.Function`` may get wrong.  In the screening,
the ascent and the power iteration's *directions* it only drives the search: a wrong gradient makes the search
weaker (a pair it does not find), never a pair ratio wrong, since pairs are evaluated forward only.  The one number
it gives as ground truth is ``jacobian_norm``, reported as part of the lower bound ``value``:
:func:`jacobian_cross_check` compares the autograd Jacobian at the centre where it was measured
(``LowerBound.centre``) with central finite differences of the forward map (:func:`kexue_verify.jacobians.cross_check`,
float64).

Cost is counted in Jacobian products (one ``jvp`` or ``vjp``, or one forward-and-backward of a point), so that the
search can be compared with random sampling at equal budget (:func:`random_search_lower_bound`,
``benchmarks/lipschitz_lower_bound.py``).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from kexue_verify.evidence import Evidence
from kexue_verify.jacobians import cross_check

__all__ = [
    "SEARCH_SCALES",
    "LowerBound",
    "cpu_generator",
    "empirical_lower_bound",
    "jacobian_cross_check",
    "jacobian_spectral_norm",
    "pair_ratio",
    "randn",
    "random_search_lower_bound",
]


def _f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float64)


def cpu_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed`` (mod 2⁶³): draws are made on the CPU in float64 and then
    moved, so that a run gives the same numbers on every device and in every dtype."""
    return torch.Generator().manual_seed(seed % 2**63)


def randn(shape: tuple[int, ...], generator: torch.Generator | None, dtype: torch.dtype, device: Any) -> torch.Tensor:
    """Standard normal draws made on the CPU in float64 (``generator`` is a CPU one), moved to ``device``, ``dtype``."""
    return torch.randn(shape, generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)


def _per_sample_norm(t: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(t.reshape(t.shape[0], -1), dim=1)


def _unit(t: torch.Tensor) -> torch.Tensor:
    shape = (t.shape[0],) + (1,) * (t.dim() - 1)
    return t / _per_sample_norm(t).clamp_min(torch.finfo(t.dtype).tiny).reshape(shape)


def _jacobian_products(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
                       ) -> tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]:
    """``v ↦ J v`` and ``w ↦ Jᵀ w`` at ``x`` from one forward pass, by reverse mode only.

    ``Jᵀu`` is computed once with ``create_graph`` for a placeholder ``u``; being linear in ``u``, its
    derivative in ``u`` along ``v`` is ``J v`` (the double-backward trick).  This avoids forward-mode AD,
    which not every module supports.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        y = f(x)
        u = torch.zeros_like(y, requires_grad=True)
        (jt_u,) = torch.autograd.grad(y, x, u, create_graph=True)

    def jvp(v: torch.Tensor) -> torch.Tensor:
        return torch.autograd.grad(jt_u, u, v, retain_graph=True)[0]

    def vjp(w: torch.Tensor) -> torch.Tensor:
        return torch.autograd.grad(y, x, w, retain_graph=True)[0]

    return jvp, vjp


def jacobian_spectral_norm(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, steps: int,
                           start: torch.Tensor | None = None,
                           generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``‖J_f(x_b)‖₂`` for each sample of a batch, by ``steps`` of power iteration on ``JᵀJ``.

    ``f`` must treat samples independently (eval-mode layers do).  Returns the estimates
    ``‖J v‖`` (each a lower bound of ``‖J(x_b)‖₂``, up to rounding) and the unit vectors ``v``.
    """
    v = _unit(randn(tuple(x.shape), generator, x.dtype, x.device) if start is None
              else start.detach())
    jvp, vjp = _jacobian_products(f, x)
    for _ in range(steps):
        v = _unit(vjp(jvp(v)))
    return _per_sample_norm(jvp(v)).detach(), v.detach()


def pair_ratio(f: Callable[[torch.Tensor], torch.Tensor], x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
    """``‖f(x1) − f(x2)‖/‖x1 − x2‖`` per sample: a lower bound of ``|f|_L`` that needs no derivative."""
    with torch.no_grad():
        return _per_sample_norm(f(x1) - f(x2)) / _per_sample_norm(x1 - x2)


@dataclass
class LowerBound:
    """What the search found: the best Jacobian norm and pair ratio, and the witness pair."""

    value: float
    jacobian_norm: float
    pair_ratio: float
    witness: tuple[torch.Tensor, torch.Tensor]
    witness_ratio: float
    evaluations: int
    history: list[float] = field(default_factory=list)
    scale: float = 1.0
    scales: tuple[float, ...] = (1.0,)
    #: the input at which ``jacobian_norm`` was measured (by autograd), in the model's dtype
    centre: torch.Tensor | None = None


def _float64_copy(model: nn.Module) -> nn.Module:
    clone = copy.deepcopy(model)
    return clone.to(torch.float64).eval()


def _witness(model: nn.Module, centre: torch.Tensor, direction: torch.Tensor, scale: float
             ) -> tuple[tuple[torch.Tensor, torch.Tensor], float]:
    """The pair ``centre ± t·direction`` (``t = 10⁻⁴·scale``) and its ratio, evaluated in float64."""
    model64 = _float64_copy(model)
    c, d = _f64(centre).unsqueeze(0), _f64(direction).unsqueeze(0)
    if not bool(torch.linalg.vector_norm(d) > 0):  # the Jacobian vanished there: any direction gives a true pair
        d = torch.zeros_like(d).flatten()
        d[0] = 1.0
        d = d.reshape(c.shape)
    t = 1e-4 * scale
    x1, x2 = c + t * d, c - t * d
    return (x1[0], x2[0]), float(pair_ratio(model64, x1, x2)[0])


#: Input scales the lower-bound search starts from by default: the unit ball and out to 10³, since a bias
#: can put a network's steepest region far from the origin, where starts drawn from ``N(0, I)`` never go.
SEARCH_SCALES: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0)


def _row_scales(scales: tuple[float, ...], rows: int, dims: int, dtype: torch.dtype, device: Any) -> torch.Tensor:
    """``scales`` repeated over ``rows`` rows (row ``b`` gets ``scales[b mod len]``), shaped to broadcast."""
    values = torch.tensor([scales[b % len(scales)] for b in range(rows)], dtype=dtype, device=device)
    return values.reshape((rows,) + (1,) * dims)


def empirical_lower_bound(model: nn.Module, input_shape: tuple[int, ...], *, restarts: int = 8, steps: int = 40,
                          screen: int = 8, screen_power_steps: int = 3, power_steps: int = 10,
                          scale: float | tuple[float, ...] = 1.0, lr: float = 0.2, h_end: float = 0.05,
                          generator: torch.Generator | None = None) -> LowerBound:
    """Screen ``screen·restarts`` random inputs, ascend from the best ``restarts``, then ``‖J‖`` at the centres found.

    Screening ranks ``x ~ N(0, s²I)`` by ``screen_power_steps`` steps of power iteration on ``JᵀJ``; with
    several ``scale`` values the screened inputs are spread evenly over them, so the starts kept are the
    most promising at any scale (:data:`SEARCH_SCALES`).  The ascent maximises the difference quotient over
    ``(x, δ)`` with Adam, each start in units of its own scale ``s`` (``x = s z``, ``δ = s e``, step ``lr``
    in ``z``), while ``‖δ‖`` shrinks geometrically from ``s`` to ``h_end·s``.  Finally ``power_steps`` of
    power iteration at the last and at the best centres.  ``history`` is the best quotient after each step;
    ``evaluations`` counts Jacobian products per restart, screening included; ``scale`` of the result is the
    scale of the start that found it.
    """
    model.eval()
    scales = (float(scale),) if isinstance(scale, int | float) else tuple(float(v) for v in scale)
    param = next(model.parameters(), None)
    dtype, device = (param.dtype, param.device) if param is not None else (torch.float64, "cpu")
    dims = len(input_shape)
    rows = screen * restarts
    row_scale = _row_scales(scales, rows, dims, dtype, device)
    x = row_scale * randn((rows, *input_shape), generator, dtype, device)
    gains, directions = jacobian_spectral_norm(model, x, screen_power_steps, generator=generator)
    order = torch.argsort(gains, descending=True)[:restarts]
    s = row_scale[order]
    x0, d0 = x[order], directions[order]
    z = (x0 / s).clone().requires_grad_(True)
    e = d0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z, e], lr=lr)
    best_ratio = torch.zeros(restarts, dtype=dtype, device=device)
    best_pair = (z.detach().clone(), e.detach().clone())
    history: list[float] = []
    for step in range(steps):
        h = h_end ** (step / max(steps - 1, 1))
        with torch.no_grad():
            e.copy_(h * _unit(e))
        ratio = _per_sample_norm(model(s * (z + e)) - model(s * (z - e))) / (2 * h * s.flatten())
        with torch.no_grad():
            better = ratio.detach() > best_ratio
            best_ratio = torch.where(better, ratio.detach(), best_ratio)
            mask = better.reshape((-1,) + (1,) * dims)
            best_pair = (torch.where(mask, z, best_pair[0]), torch.where(mask, e, best_pair[1]))
        history.append(float(best_ratio.max()))
        opt.zero_grad(set_to_none=True)
        # autograd only steers the ascent here (a wrong backward makes the search weaker, the ratios stay forward)
        z.grad, e.grad = torch.autograd.grad(-ratio.sum(), [z, e])
        opt.step()
    centres = torch.cat([s * z.detach(), s * best_pair[0], x0])
    starts = torch.cat([e.detach(), best_pair[1], d0])
    centre_scales = torch.cat([s, s, s]).flatten()
    gains, directions = jacobian_spectral_norm(model, centres, power_steps, start=starts)
    best = int(torch.argmax(gains))
    witness, witness_ratio = _witness(model, centres[best], directions[best], float(centre_scales[best]))
    found_at = float(centre_scales[best])
    i = int(torch.argmax(best_ratio))
    c, dd = _f64(s[i] * best_pair[0][i]), _f64(s[i] * best_pair[1][i])
    pair_value = float(pair_ratio(_float64_copy(model), (c + dd).unsqueeze(0), (c - dd).unsqueeze(0))[0])
    if pair_value > witness_ratio:
        witness, witness_ratio, found_at = (c + dd, c - dd), pair_value, float(s[i].flatten()[0])
    jac = float(gains[best])
    cost = screen * (2 * screen_power_steps + 1) + 2 * steps + 3 * (2 * power_steps + 1)
    return LowerBound(value=max(jac, witness_ratio), jacobian_norm=jac, pair_ratio=pair_value, witness=witness,
                      witness_ratio=witness_ratio, evaluations=cost, history=history, scale=found_at, scales=scales,
                      centre=centres[best].detach().clone())


def _autograd_jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The full Jacobian ``(1, D_out, D_in)`` of ``f`` at one input ``x`` ``(1, *shape)``, by reverse-mode autograd
    (one ``vjp`` per output, batched over copies of ``x``: ``f`` treats samples independently)."""
    with torch.enable_grad():
        d_out = f(x.detach()).numel()
        xs = x.detach().expand(d_out, *x.shape[1:]).clone().requires_grad_(True)
        y = f(xs).reshape(d_out, -1)
        (rows,) = torch.autograd.grad(y, xs, torch.eye(d_out, dtype=y.dtype, device=y.device))
    return rows.reshape(1, d_out, -1).detach()


def jacobian_cross_check(model: nn.Module, lower: LowerBound) -> Evidence:
    """The autograd Jacobian at the centre where ``lower.jacobian_norm`` was measured against finite differences of
    the forward map, both on a float64 copy of ``model`` (:func:`kexue_verify.jacobians.cross_check`: fails when the
    backward does not differentiate the forward, undecided when the differences cannot resolve it).

    ``‖J(x)‖₂`` is the one number of the search that rests on the model's own backward; a wrong custom
    ``autograd.Function`` (say, one whose backward halves the gradient) would report a Jacobian norm that is no lower
    bound of anything, and agree with itself."""
    model64 = _float64_copy(model)
    if lower.centre is None:
        raise ValueError("the lower bound records no centre (not from empirical_lower_bound)")
    x = _f64(lower.centre).unsqueeze(0)
    evidence = cross_check("autograd J_f = finite differences of f where ‖J_f‖₂ was measured",
                           _autograd_jacobian(model64, x), model64, x, dtype="float64")
    return dataclasses.replace(evidence, method=evidence.method + " (the model's backward run on its float64 copy, "
                               "as the differences)", quantities={**evidence.quantities,
                                                                  "jacobian_norm": lower.jacobian_norm})


def random_search_lower_bound(model: nn.Module, input_shape: tuple[int, ...], *, points: int, power_steps: int = 10,
                              scale: float = 1.0, generator: torch.Generator | None = None) -> float:
    """The baseline: ``‖J_f(x)‖₂`` at ``points`` random inputs ``x ~ N(0, scale²I)``, best of them."""
    model.eval()
    param = next(model.parameters(), None)
    dtype, device = (param.dtype, param.device) if param is not None else (torch.float64, "cpu")
    x = scale * randn((points, *input_shape), generator, dtype, device)
    gains, _ = jacobian_spectral_norm(model, x, power_steps, generator=generator)
    return float(gains.max())
