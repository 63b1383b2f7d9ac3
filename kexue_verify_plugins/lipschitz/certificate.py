"""The certified upper side of the Lipschitz sandwich: ``|f|_L ≤ ∏_ℓ |f_ℓ|_L`` for a torch module.

:func:`certified_upper_bound` walks the computation actually performed — one forward pass with hooks records every call
of every layer, so a layer used twice (weight tying) counts twice, and a forward that does not follow the module
structure, a module with forward hooks, a layer holding a tensor subclass (whose ``__torch_function__`` decides what
``F.linear`` computes), or an active torch function or dispatch mode gets no certificate. ``nn.Sequential`` multiplies,
:class:`Residual` adds one (``|x + g(x)|_L ≤ 1 + |g|_L``), a ``Linear`` contributes its exact ``σ_max``, a ``Conv2d``
its exact circular operator norm or a certified bound
(:func:`~kexue_verify_plugins.lipschitz.norms.conv_operator_norm`), an eval-mode BatchNorm ``max_c |γ_c|/√(var_c + ε)``,
and each activation the supremum of its derivative (:data:`ACTIVATION_LIPSCHITZ`). A module it does not know gives **no
certificate**, and says which. Norms are computed in float64 from the module's own (possibly float32) parameters, so the
certificate is about the function those parameters define. :mod:`.bounds` puts it together with the empirical lower side
(:mod:`.lower_bound`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar

import torch
from torch import nn

from .norms import conv_operator_norm, spectral_norm

__all__ = ["ACTIVATION_LIPSCHITZ", "Certificate", "LayerFactor", "Residual", "certified_upper_bound"]


class Residual(nn.Module):
    """``x ↦ x + inner(x)``; its Lipschitz constant is at most ``1 + |inner|_L`` (triangle inequality)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner: nn.Module = inner

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


_M = TypeVar("_M", bound=nn.Module)


def _plain(module: nn.Module, base: type[_M]) -> TypeGuard[_M]:
    """``module`` is a ``base`` whose ``forward`` is ``base``'s own: a subclass that overrides it (a LoRA linear,
    a Sequential with a skip), or an instance given its own ``forward``, computes something else, and gets no
    certificate."""
    return isinstance(module, base) and type(module).forward is base.forward and "forward" not in vars(module)


#: Tensor types whose operations are torch's own; a subclass (``__torch_function__``/``__torch_dispatch__``) can
#: make ``F.linear`` compute anything, so a layer holding one is not certified from its numbers.
_PLAIN_TENSORS = (torch.Tensor, nn.Parameter)


def _foreign_tensors(module: nn.Module) -> list[str]:
    """The parameters and buffers of ``module`` (and the weight its forward reads) that are tensor subclasses."""
    tensors: list[tuple[str, torch.Tensor]] = [*module.named_parameters(), *module.named_buffers()]
    weight = getattr(module, "weight", None)
    if "weight" not in module._parameters and isinstance(weight, torch.Tensor):
        tensors.append(("weight", weight))  # computed, e.g. by a parametrization
    return [f"{name} is of type {type(t).__name__}" for name, t in tensors if type(t) not in _PLAIN_TENSORS]


def _global_overrides() -> list[str]:
    """Active torch function or dispatch modes: they may change what every layer computes.

    Except torch's own ``DeviceContext``, the mode behind ``torch.set_default_device`` and ``with torch.device(...)``:
    it only gives factory functions a default device, and a process that set the default device (to ``"cpu"``, say)
    keeps one on the stack.
    """
    from torch.overrides import _get_current_function_mode_stack
    from torch.utils._device import DeviceContext
    from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

    return [f"{type(mode).__name__} ({kind} mode) is active" for kind, stack in
            (("torch function", _get_current_function_mode_stack()),
             ("dispatch", _get_current_dispatch_mode_stack())) for mode in stack if type(mode) is not DeviceContext]


def _layer_factor(module: nn.Module, path: str, shape: tuple[int, ...] | None) -> LayerFactor | None:
    kind = type(module).__name__
    foreign = _foreign_tensors(module)
    if foreign:
        raise ValueError(f"{', '.join(foreign)}: a tensor subclass may compute the layer differently from its "
                         "numbers; use plain tensors to certify it")
    for cls, rule in ACTIVATION_LIPSCHITZ.items():
        if type(module) is cls:
            return LayerFactor(path, kind, rule(module), True, "sup of the derivative")
    if _plain(module, nn.Linear):
        return LayerFactor(path, kind, float(spectral_norm(_f64(module.weight))), True, "σ_max (SVD, float64)")
    if _plain(module, nn.Conv2d):
        if shape is None:
            return None
        # a Conv2d's input is 3-D or 4-D; a str padding ("same", "valid") fails in `_pair` (ValueError: no certificate)
        norm = conv_operator_norm(_f64(module.weight), (shape[-2], shape[-1]),
                                  padding=module.padding,  # type: ignore[arg-type]
                                  padding_mode=module.padding_mode, stride=module.stride,
                                  dilation=module.dilation, groups=module.groups)
        return LayerFactor(path, kind, float(norm.value), norm.exact, norm.method)
    if _plain(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats:
        scale = 1 / torch.sqrt(_f64(module.running_var) + module.eps)  # type: ignore[arg-type]  # a buffer here
        if module.affine:
            scale = scale * _f64(module.weight)  # type: ignore[arg-type]  # affine: weight is a Parameter
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
    unsupported += [f"<global> ({mode}: it may change every module's output)" for mode in _global_overrides()]
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
