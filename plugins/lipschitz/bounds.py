"""The Lipschitz sandwich of a torch module: a certified upper bound and an empirical lower bound.

For ``f: ℝⁿ → ℝᵐ`` (the module in eval mode, on inputs of a given shape) and the Euclidean norms,

.. math::  \\max_{\\text{found } x} \\|J_f(x)\\|_2 \\;\\le\\; |f|_L \\;\\le\\; \\prod_\\ell |f_\\ell|_L .

* **Upper** (:func:`certified_upper_bound`): walk the module — ``nn.Sequential`` multiplies,
  :class:`Residual` adds one (``|x + g(x)|_L ≤ 1 + |g|_L``), a ``Linear`` contributes its exact
  ``σ_max``, a ``Conv2d`` its exact circular operator norm or a certified bound
  (:func:`~kexue_verify_plugins.lipschitz.norms.conv_operator_norm`), an eval-mode BatchNorm
  ``max_c |γ_c|/√(var_c + ε)``, and each activation the supremum of its derivative
  (:data:`ACTIVATION_LIPSCHITZ`).  A module it does not know gives **no certificate**, and says which.
  Norms are computed in float64 from the module's own (possibly float32) parameters, so the
  certificate is about the function those parameters define.
* **Lower** (:func:`empirical_lower_bound`): from seeded random starts, gradient ascent on the
  difference quotient ``‖f(x+δ) − f(x−δ)‖/(2‖δ‖)`` over the centre ``x`` and the direction ``δ``,
  with ``‖δ‖`` shrinking from ``h₀`` to ``h₁``: a finite-difference smoothing of ``‖J_f(x)δ̂‖``
  that still has a gradient for piecewise-linear networks, where ``∇ₓ‖J_f(x)‖`` vanishes.
  Then ``‖J_f(x)‖₂`` at the centres found, by power iteration on ``JᵀJ`` (Jacobian products by
  reverse-mode autograd).  Every number it returns is attained: a pair ratio is a pair of inputs,
  and a Jacobian norm comes with a witness pair ``x ± t v`` evaluated in float64.

Cost is counted in Jacobian products (one ``jvp`` or ``vjp``, or one forward-and-backward of a
point), so that the search can be compared with random sampling at equal budget
(``benchmarks/lipschitz_lower_bound.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from kexue_verify_plugins.lipschitz.norms import conv_operator_norm, spectral_norm
from torch import nn

__all__ = [
    "ACTIVATION_LIPSCHITZ",
    "Certificate",
    "LayerFactor",
    "LowerBound",
    "Residual",
    "Sandwich",
    "certified_upper_bound",
    "cpu_generator",
    "empirical_lower_bound",
    "jacobian_spectral_norm",
    "pair_ratio",
    "randn",
    "random_search_lower_bound",
    "sandwich",
]


class Residual(nn.Module):
    """``x ↦ x + inner(x)``; its Lipschitz constant is at most ``1 + |inner|_L`` (triangle inequality)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(x)


def _leaky(m: nn.LeakyReLU) -> float:
    return max(1.0, abs(m.negative_slope))


def _elu(m: nn.ELU) -> float:
    return max(1.0, float(m.alpha))


#: Sup of |σ'| for elementwise activations (LIP-1: relu 1, tanh 1, sigmoid 1/4), and 1 for reshapes.
ACTIVATION_LIPSCHITZ: dict[type, Callable[[Any], float]] = {
    nn.ReLU: lambda m: 1.0,
    nn.ReLU6: lambda m: 1.0,
    nn.Hardtanh: lambda m: 1.0,
    nn.Tanh: lambda m: 1.0,
    nn.Sigmoid: lambda m: 0.25,
    nn.Softplus: lambda m: 1.0,
    nn.LeakyReLU: _leaky,
    nn.ELU: _elu,
    nn.Identity: lambda m: 1.0,
    nn.Flatten: lambda m: 1.0,
    nn.Unflatten: lambda m: 1.0,
    nn.Dropout: lambda m: 1.0,  # the identity in eval mode
}


@dataclass(frozen=True)
class LayerFactor:
    """One layer's contribution to the certificate."""

    path: str
    kind: str
    factor: float
    exact: bool
    method: str


@dataclass(frozen=True)
class Certificate:
    """A certified upper bound (``None`` when a module is not understood; ``unsupported`` says which)."""

    value: float | None
    factors: tuple[LayerFactor, ...]
    unsupported: tuple[str, ...]


def _input_shapes(model: nn.Module, example: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """The input shape each submodule sees, from one forward pass with hooks."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for name, module in model.named_modules():
        def hook(mod: nn.Module, args: tuple[Any, ...], out: Any, name: str = name) -> None:
            if args and isinstance(args[0], torch.Tensor):
                shapes.setdefault(name, tuple(args[0].shape))
        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return shapes


def _f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float64)


def _plain(module: nn.Module, base: type) -> bool:
    """``module`` is a ``base`` whose ``forward`` is ``base``'s own: a subclass that overrides it (a LoRA linear,
    a Sequential with a skip) computes something else, and gets no certificate."""
    return isinstance(module, base) and type(module).forward is base.forward


def _layer_factor(module: nn.Module, path: str, shapes: dict[str, tuple[int, ...]]) -> LayerFactor | None:
    kind = type(module).__name__
    for cls, rule in ACTIVATION_LIPSCHITZ.items():
        if type(module) is cls:
            return LayerFactor(path, kind, rule(module), True, "sup of the derivative")
    if _plain(module, nn.Linear):
        return LayerFactor(path, kind, float(spectral_norm(_f64(module.weight))), True, "σ_max (SVD, float64)")
    if _plain(module, nn.Conv2d):
        if path not in shapes:
            return None
        norm = conv_operator_norm(_f64(module.weight), tuple(shapes[path][-2:]), padding=module.padding,
                                  padding_mode=module.padding_mode, stride=module.stride,
                                  dilation=module.dilation, groups=module.groups)
        return LayerFactor(path, kind, float(norm.value), norm.exact, norm.method)
    if _plain(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats:
        scale = 1 / torch.sqrt(_f64(module.running_var) + module.eps)
        if module.affine:
            scale = scale * _f64(module.weight)
        return LayerFactor(path, kind, float(scale.abs().max()), True, "max_c |γ_c|/√(var_c + ε) (eval mode)")
    return None


def _walk(module: nn.Module, path: str, shapes: dict[str, tuple[int, ...]],
          factors: list[LayerFactor], unsupported: list[str]) -> float | None:
    if _plain(module, nn.Sequential):
        total: float | None = 1.0
        for name, child in module.named_children():
            part = _walk(child, f"{path}.{name}" if path else name, shapes, factors, unsupported)
            total = None if total is None or part is None else total * part
        return total
    if _plain(module, Residual):
        inner = _walk(module.inner, f"{path}.inner" if path else "inner", shapes, factors, unsupported)
        return None if inner is None else 1.0 + inner
    try:
        factor = _layer_factor(module, path, shapes)
    except ValueError as exc:
        unsupported.append(f"{path or '<root>'} ({type(module).__name__}: {exc})")
        return None
    if factor is None:
        unsupported.append(f"{path or '<root>'} ({type(module).__name__})")
        return None
    factors.append(factor)
    return factor.factor


def certified_upper_bound(model: nn.Module, input_shape: tuple[int, ...]) -> Certificate:
    """The product of exact (or certified) layer norms along the module, or ``None`` with the reason.

    ``input_shape`` excludes the batch dimension.  The model is put in eval mode.
    """
    model.eval()
    param = next(model.parameters(), None)
    dtype, device = (param.dtype, param.device) if param is not None else (torch.float64, "cpu")
    shapes = _input_shapes(model, torch.zeros((1, *input_shape), dtype=dtype, device=device))
    factors: list[LayerFactor] = []
    unsupported: list[str] = []
    value = _walk(model, "", shapes, factors, unsupported)
    return Certificate(value, tuple(factors), tuple(unsupported))


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


def _float64_copy(model: nn.Module) -> nn.Module:
    clone = copy.deepcopy(model)
    return clone.to(torch.float64).eval()


def _witness(model: nn.Module, centre: torch.Tensor, direction: torch.Tensor, scale: float
             ) -> tuple[tuple[torch.Tensor, torch.Tensor], float]:
    """The pair ``centre ± t·direction`` (``t = 10⁻⁴·scale``) and its ratio, evaluated in float64."""
    model64 = _float64_copy(model)
    c, d = _f64(centre).unsqueeze(0), _f64(direction).unsqueeze(0)
    t = 1e-4 * scale
    x1, x2 = c + t * d, c - t * d
    return (x1[0], x2[0]), float(pair_ratio(model64, x1, x2)[0])


def _screen(model: nn.Module, shape: tuple[int, ...], keep: int, power_steps: int, scale: float,
            generator: torch.Generator | None, dtype: torch.dtype, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Random inputs ranked by a short power iteration on ``JᵀJ``: the ``keep`` best and their directions."""
    x = scale * randn(shape, generator, dtype, device)
    gains, directions = jacobian_spectral_norm(model, x, power_steps, generator=generator)
    order = torch.argsort(gains, descending=True)[:keep]
    return x[order], directions[order]


def empirical_lower_bound(model: nn.Module, input_shape: tuple[int, ...], *, restarts: int = 8, steps: int = 40,
                          screen: int = 8, screen_power_steps: int = 3, power_steps: int = 10, scale: float = 1.0,
                          lr: float = 0.2, h_end: float = 0.05,
                          generator: torch.Generator | None = None) -> LowerBound:
    """Screen ``screen·restarts`` random inputs, ascend from the best ``restarts``, then ``‖J‖`` at the centres found.

    Screening ranks ``x ~ N(0, scale²I)`` by ``screen_power_steps`` steps of power iteration on ``JᵀJ``.
    The ascent maximises the difference quotient over ``(x, δ)`` with Adam (step ``lr·scale``) while
    ``‖δ‖`` shrinks geometrically from ``scale`` to ``h_end·scale``.  Finally ``power_steps`` of power
    iteration at the last and at the best centres.  ``history`` is the best quotient after each step;
    ``evaluations`` counts Jacobian products per restart, screening included.
    """
    model.eval()
    param = next(model.parameters(), None)
    dtype, device = (param.dtype, param.device) if param is not None else (torch.float64, "cpu")
    x0, d0 = _screen(model, (screen * restarts, *input_shape), restarts, screen_power_steps, scale, generator,
                     dtype, device)
    x = x0.clone().requires_grad_(True)
    d = d0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x, d], lr=lr * scale)
    best_ratio = torch.zeros(restarts, dtype=dtype, device=device)
    best_pair = (x.detach().clone(), d.detach().clone())
    history: list[float] = []
    h0, h1 = scale, h_end * scale
    for step in range(steps):
        h = h0 * (h1 / h0) ** (step / max(steps - 1, 1))
        with torch.no_grad():
            d.copy_(h * _unit(d))
        ratio = _per_sample_norm(model(x + d) - model(x - d)) / (2 * h)
        with torch.no_grad():
            better = ratio.detach() > best_ratio
            best_ratio = torch.where(better, ratio.detach(), best_ratio)
            mask = better.reshape((-1,) + (1,) * len(input_shape))
            best_pair = (torch.where(mask, x, best_pair[0]), torch.where(mask, d, best_pair[1]))
        history.append(float(best_ratio.max()))
        opt.zero_grad(set_to_none=True)
        x.grad, d.grad = torch.autograd.grad(-ratio.sum(), [x, d])
        opt.step()
    centres = torch.cat([x.detach(), best_pair[0], x0])
    starts = torch.cat([d.detach(), best_pair[1], d0])
    gains, directions = jacobian_spectral_norm(model, centres, power_steps, start=starts)
    best = int(torch.argmax(gains))
    witness, witness_ratio = _witness(model, centres[best], directions[best], scale)
    i = int(torch.argmax(best_ratio))
    c, dd = _f64(best_pair[0][i]), _f64(best_pair[1][i])
    pair_value = float(pair_ratio(_float64_copy(model), (c + dd).unsqueeze(0), (c - dd).unsqueeze(0))[0])
    if pair_value > witness_ratio:
        witness, witness_ratio = (c + dd, c - dd), pair_value
    jac = float(gains[best])
    cost = screen * (2 * screen_power_steps + 1) + 2 * steps + 3 * (2 * power_steps + 1)
    return LowerBound(value=max(jac, witness_ratio), jacobian_norm=jac, pair_ratio=pair_value, witness=witness,
                      witness_ratio=witness_ratio, evaluations=cost, history=history)


def random_search_lower_bound(model: nn.Module, input_shape: tuple[int, ...], *, points: int, power_steps: int = 10,
                              scale: float = 1.0, generator: torch.Generator | None = None) -> float:
    """The baseline: ``‖J_f(x)‖₂`` at ``points`` random inputs ``x ~ N(0, scale²I)``, best of them."""
    model.eval()
    param = next(model.parameters(), None)
    dtype, device = (param.dtype, param.device) if param is not None else (torch.float64, "cpu")
    x = scale * randn((points, *input_shape), generator, dtype, device)
    gains, _ = jacobian_spectral_norm(model, x, power_steps, generator=generator)
    return float(gains.max())


@dataclass
class Sandwich:
    """``lower ≤ |f|_L ≤ upper`` for one module, with what each side rests on."""

    certificate: Certificate
    lower: LowerBound

    @property
    def upper(self) -> float | None:
        return self.certificate.value

    @property
    def gap(self) -> float | None:
        """``upper / lower`` (1 means the constant is pinned down)."""
        if self.upper is None or self.lower.value <= 0:
            return None
        return self.upper / self.lower.value

    def summary(self) -> dict[str, Any]:
        return {
            "certified_upper": self.upper,
            "empirical_lower": self.lower.value,
            "jacobian_norm": self.lower.jacobian_norm,
            "best_pair_ratio": self.lower.pair_ratio,
            "witness_ratio": self.lower.witness_ratio,
            "gap_upper_over_lower": self.gap,
            "uncertified_modules": list(self.certificate.unsupported),
            "layers": [{"path": f.path, "kind": f.kind, "factor": f.factor, "exact": f.exact, "method": f.method}
                       for f in self.certificate.factors],
        }


def sandwich(model: nn.Module, input_shape: tuple[int, ...], *, generator: torch.Generator | None = None,
             **search: Any) -> Sandwich:
    """Both sides for ``model`` on inputs of ``input_shape`` (batch dimension excluded)."""
    return Sandwich(certified_upper_bound(model, input_shape),
                    empirical_lower_bound(model, input_shape, generator=generator, **search))
