"""The Lipschitz sandwich of a torch module: a certified upper bound and an empirical lower bound.

For ``f: ℝⁿ → ℝᵐ`` (the module in eval mode, on inputs of a given shape) and the Euclidean norms,

.. math::  \\max_{\\text{found } x} \\|J_f(x)\\|_2 \\;\\le\\; |f|_L \\;\\le\\; \\prod_\\ell |f_\\ell|_L .

* **Upper** (:func:`certified_upper_bound`): walk the computation actually performed — one forward pass
  with hooks records every call of every layer, so a layer used twice (weight tying) counts twice, and a
  forward that does not follow the module structure, or a module with forward hooks, gets no certificate.
  ``nn.Sequential`` multiplies,
  :class:`Residual` adds one (``|x + g(x)|_L ≤ 1 + |g|_L``), a ``Linear`` contributes its exact
  ``σ_max``, a ``Conv2d`` its exact circular operator norm or a certified bound
  (:func:`~kexue_verify_plugins.lipschitz.norms.conv_operator_norm`), an eval-mode BatchNorm
  ``max_c |γ_c|/√(var_c + ε)``, and each activation the supremum of its derivative
  (:data:`ACTIVATION_LIPSCHITZ`).  A module it does not know gives **no certificate**, and says which.
  Norms are computed in float64 from the module's own (possibly float32) parameters, so the
  certificate is about the function those parameters define.
* **Lower** (:func:`empirical_lower_bound`): from seeded random starts spread over input scales
  (:data:`SEARCH_SCALES`, 1 to 10³), gradient ascent on the
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
    "SEARCH_SCALES",
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


@dataclass
class _Trace:
    """The leaf-module calls one forward pass actually made, in order, with the input shape of each.

    A *leaf* is any module other than a plain ``nn.Sequential`` or :class:`Residual` (whose forwards are
    known); calls made inside a leaf (a parametrization computing its weight) are not recorded.
    """

    calls: list[tuple[nn.Module, tuple[int, ...] | None]]
    position: int = 0
    broken: bool = False  # the walk met a call it did not expect; later mismatches follow from that one

    def take(self, module: nn.Module) -> tuple[int, ...] | bool | None:
        """The shape of the next call if it is a call of ``module``; ``False`` when the forward did something else."""
        if self.position >= len(self.calls) or self.calls[self.position][0] is not module:
            return False
        shape = self.calls[self.position][1]
        self.position += 1
        return shape


def _hooks(module: nn.Module) -> list[str]:
    """The forward hooks on ``module`` (they may change what it computes)."""
    found = []
    for attr in ("_forward_hooks", "_forward_pre_hooks"):
        if getattr(module, attr, None):
            found.append(attr.strip("_").replace("_", " "))
    return found


def _global_hooks() -> list[str]:
    from torch.nn.modules import module as module_impl

    return [name for name in ("_global_forward_hooks", "_global_forward_pre_hooks") if getattr(module_impl, name, None)]


def _container(module: nn.Module) -> bool:
    return (_plain(module, nn.Sequential) or _plain(module, Residual)) and not _hooks(module)


def _trace(model: nn.Module, example: torch.Tensor) -> _Trace:
    """One forward pass with hooks on every module, recording the outermost leaf calls (a reused module each time)."""
    calls: list[tuple[nn.Module, tuple[int, ...] | None]] = []
    depth = [0]
    handles = []
    for module in model.modules():
        if _container(module):
            continue

        def pre(mod: nn.Module, args: tuple[Any, ...]) -> None:
            if depth[0] == 0:
                calls.append((mod, tuple(args[0].shape) if args and isinstance(args[0], torch.Tensor) else None))
            depth[0] += 1

        def post(mod: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            depth[0] -= 1

        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post, always_call=True))
    try:
        with torch.no_grad():
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return _Trace(calls)


def _f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float64)


def _plain(module: nn.Module, base: type) -> bool:
    """``module`` is a ``base`` whose ``forward`` is ``base``'s own: a subclass that overrides it (a LoRA linear,
    a Sequential with a skip), or an instance given its own ``forward``, computes something else, and gets no
    certificate."""
    return isinstance(module, base) and type(module).forward is base.forward and "forward" not in vars(module)


def _layer_factor(module: nn.Module, path: str, shape: tuple[int, ...] | None) -> LayerFactor | None:
    kind = type(module).__name__
    for cls, rule in ACTIVATION_LIPSCHITZ.items():
        if type(module) is cls:
            return LayerFactor(path, kind, rule(module), True, "sup of the derivative")
    if _plain(module, nn.Linear):
        return LayerFactor(path, kind, float(spectral_norm(_f64(module.weight))), True, "σ_max (SVD, float64)")
    if _plain(module, nn.Conv2d):
        if shape is None:
            return None
        norm = conv_operator_norm(_f64(module.weight), tuple(shape[-2:]), padding=module.padding,
                                  padding_mode=module.padding_mode, stride=module.stride,
                                  dilation=module.dilation, groups=module.groups)
        return LayerFactor(path, kind, float(norm.value), norm.exact, norm.method)
    if _plain(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats:
        scale = 1 / torch.sqrt(_f64(module.running_var) + module.eps)
        if module.affine:
            scale = scale * _f64(module.weight)
        return LayerFactor(path, kind, float(scale.abs().max()), True, "max_c |γ_c|/√(var_c + ε) (eval mode)")
    return None


def _walk(module: nn.Module, path: str, trace: _Trace, factors: list[LayerFactor],
          unsupported: list[str]) -> float | None:
    """The bound of ``module``, consuming from ``trace`` the leaf calls its forward made, in order.

    A plain ``nn.Sequential`` is walked over *all* its entries (``_modules``, where a module listed twice
    appears twice, as its forward calls it twice), not ``named_children()``, which lists a module once.
    """
    where = path or "<root>"
    hooks = _hooks(module)
    if hooks:
        unsupported.append(f"{where} ({type(module).__name__}: it has {' and '.join(hooks)}, which may change what "
                           "it computes)")
        return None
    if _plain(module, nn.Sequential):
        total: float | None = 1.0
        for name, child in module._modules.items():
            if child is None:
                continue
            part = _walk(child, f"{path}.{name}" if path else name, trace, factors, unsupported)
            total = None if total is None or part is None else total * part
        return total
    if _plain(module, Residual):
        inner = _walk(module.inner, f"{path}.inner" if path else "inner", trace, factors, unsupported)
        return None if inner is None else 1.0 + inner
    shape = trace.take(module)
    if shape is False:
        if trace.broken:
            return None
        trace.broken = True
        unsupported.append(f"{where} ({type(module).__name__}: the forward pass does not call it where the module "
                           "structure puts it; the computation is not a chain this walk can certify)")
        return None
    try:
        factor = _layer_factor(module, path, shape)  # type: ignore[arg-type]
    except ValueError as exc:
        unsupported.append(f"{where} ({type(module).__name__}: {exc})")
        return None
    if factor is None:
        unsupported.append(f"{where} ({type(module).__name__})")
        return None
    factors.append(factor)
    return factor.factor


def certified_upper_bound(model: nn.Module, input_shape: tuple[int, ...]) -> Certificate:
    """The product of exact (or certified) layer norms along the computation performed, or ``None`` with the reason.

    ``input_shape`` excludes the batch dimension.  The model is put in eval mode.  The bound is read from
    the forward pass actually made (:func:`_trace`): every call of a module contributes its factor, so a
    module used twice (weight tying) counts twice, and the walk of the module structure must account for
    exactly the calls that were made, in order; otherwise — or if a module carries forward hooks, or global
    forward hooks are installed — there is no certificate, and ``unsupported`` says why.
    """
    model.eval()
    param = next(model.parameters(), None)
    dtype, device = (param.dtype, param.device) if param is not None else (torch.float64, "cpu")
    factors: list[LayerFactor] = []
    unsupported: list[str] = [f"<global> (torch.nn.modules.module.{name} is set: it may change every module's "
                              "output)" for name in _global_hooks()]
    if unsupported:
        return Certificate(None, (), tuple(unsupported))
    trace = _trace(model, torch.zeros((1, *input_shape), dtype=dtype, device=device))
    value = _walk(model, "", trace, factors, unsupported)
    if value is not None and trace.position != len(trace.calls):
        extra = trace.calls[trace.position][0]
        unsupported.append(f"{type(extra).__name__} (called {len(trace.calls) - trace.position} more time(s) than "
                           "the module structure accounts for)")
        value = None
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
    scale: float = 1.0
    scales: tuple[float, ...] = (1.0,)


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
                      witness_ratio=witness_ratio, evaluations=cost, history=history, scale=found_at, scales=scales)


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
            "search_scales": list(self.lower.scales),
            "scale_of_best": self.lower.scale,
            "gap_upper_over_lower": self.gap,
            "uncertified_modules": list(self.certificate.unsupported),
            "layers": [{"path": f.path, "kind": f.kind, "factor": f.factor, "exact": f.exact, "method": f.method}
                       for f in self.certificate.factors],
        }


def sandwich(model: nn.Module, input_shape: tuple[int, ...], *, generator: torch.Generator | None = None,
             scales: tuple[float, ...] = SEARCH_SCALES, **search: Any) -> Sandwich:
    """Both sides for ``model`` on inputs of ``input_shape`` (batch dimension excluded); the lower bound
    searched from starts spread over every scale in ``scales``."""
    return Sandwich(certified_upper_bound(model, input_shape),
                    empirical_lower_bound(model, input_shape, scale=scales, generator=generator, **search))
