"""Adapters from the flow conventions people already use to the flow-layer protocol (:class:`.protocol.Flow`).

* ``torch.distributions.transforms.Transform`` — built in: ``y = t(x)`` and ``t.log_abs_det_jacobian(x, y)``, whose
  shape is the batch shape plus the event dimensions the transform treats elementwise; those are summed, so the
  result is one log-det per sample (forgetting that sum is the "per-element log-det" bug of the corpus).
* zuko (``Transform``, ``LazyTransform``, ``Flow``), nflows (``Transform``, ``Flow``) and normflows (``Flow``,
  ``NormalizingFlow``) — optional, imported only when an object of theirs is adapted;
  ``pip install "kexue-verify[flows]"`` installs all three.

Lazy objects (zuko's ``LazyTransform`` and ``Flow``) are called afresh on every evaluation, so the adapted layer
always reflects the current parameters.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from kexue_verify_plugins.flows.protocol import Flow

__all__ = ["LIBRARIES", "nflows_layer", "normflows_layer", "require", "torch_transform", "zuko_layer"]

EXTRA = 'pip install "kexue-verify[flows]"'


def require(library: str) -> Any:
    """Import an optional flow library, or fail with the command that installs it."""
    try:
        return importlib.import_module(library)
    except ImportError as exc:
        raise ImportError(f"the {library} adapter needs {library}: {EXTRA}") from exc


def _need_shape(shape: tuple[int, ...] | None, what: str) -> tuple[int, ...]:
    if shape is None:
        raise TypeError(f"{what} does not know its event shape: declare 'event_shape' in its ModelSpec")
    return shape


def per_sample(ld: Tensor, n: int) -> Tensor:
    """Sum a log-det over every dimension but the batch one; a 0-dim (constant) log-det is broadcast to ``(n,)``."""
    if ld.dim() == 0:
        return ld.expand(n)
    return ld.reshape(ld.shape[0], -1).sum(dim=1) if ld.dim() > 1 else ld


def _broadcast_constant(ld: Tensor, n: int) -> Tensor:
    """Only a 0-dim log-det is broadcast; any other shape is passed on for the checks to judge."""
    return ld.expand(n) if ld.dim() == 0 else ld


def _transform_pair(get: Callable[[], Any]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """forward/inverse for a torch ``Transform`` returned by ``get()`` (called on every evaluation)."""

    def call(t: Any, x: Tensor) -> tuple[Tensor, Tensor]:
        if hasattr(t, "call_and_ladj"):  # zuko computes both in one pass
            y, ld = t.call_and_ladj(x)
        else:
            y = t(x)
            ld = t.log_abs_det_jacobian(x, y)
        return y, per_sample(ld, x.shape[0])

    def forward(x: Tensor) -> tuple[Tensor, Tensor]:
        return call(get(), x)

    def inverse(y: Tensor) -> tuple[Tensor, Tensor | None]:
        return call(get().inv, y)

    return forward, inverse


def torch_transform(obj: Any, shape: tuple[int, ...] | None, invariants: tuple[str, ...]) -> Flow:
    """A ``torch.distributions.transforms.Transform`` (zuko's transforms are such objects too)."""
    forward, inverse = _transform_pair(lambda: obj)
    return Flow(obj, _need_shape(shape, type(obj).__name__), "torch.distributions Transform", forward, inverse,
                invariants, [m for m in (obj,) if isinstance(m, nn.Module)])


def zuko_layer(obj: Any, shape: tuple[int, ...] | None, invariants: tuple[str, ...]) -> Flow:
    """zuko: a ``Transform`` directly; a ``LazyTransform`` via ``obj()``; a ``Flow`` via ``obj().transform``."""
    zuko = require("zuko")
    name = type(obj).__name__
    if isinstance(obj, torch.distributions.Transform):
        return torch_transform(obj, shape, invariants)
    if isinstance(obj, zuko.lazy.LazyTransform):
        get, convention = obj, "zuko LazyTransform (called on every evaluation)"
    elif isinstance(obj, zuko.lazy.Flow):
        def get() -> Any:
            return obj().transform

        convention = "zuko Flow: the transform from data to the base space"
    else:
        raise TypeError(f"zuko object {name} is neither a Transform, a LazyTransform nor a Flow")
    forward, inverse = _transform_pair(get)
    return Flow(obj, _need_shape(shape, name), convention, forward, inverse, invariants, [obj])


def nflows_layer(obj: Any, shape: tuple[int, ...] | None, invariants: tuple[str, ...]) -> Flow:
    """nflows: ``Transform.forward(x, context) -> (y, logabsdet)`` and ``inverse``; a ``Flow`` uses its transform."""
    require("nflows")
    transform = getattr(obj, "_transform", obj)

    def forward(x: Tensor) -> tuple[Tensor, Tensor]:
        return transform(x, context=None)  # nflows promises (N,): not reduced here, so the shape is checked

    def inverse(y: Tensor) -> tuple[Tensor, Tensor | None]:
        return transform.inverse(y, context=None)

    return Flow(obj, _need_shape(shape, type(obj).__name__), "nflows Transform", forward, inverse, invariants,
                [obj])


def normflows_layer(obj: Any, shape: tuple[int, ...] | None, invariants: tuple[str, ...]) -> Flow:
    """normflows: ``Flow.forward(z) -> (z', log_det)``; a ``NormalizingFlow`` via ``forward_and_log_det``.

    normflows returns a 0-dim log-det when it is the same for every sample; it is broadcast to ``(N,)``.
    """
    require("normflows")
    if hasattr(obj, "forward_and_log_det"):
        fwd, inv, convention = obj.forward_and_log_det, obj.inverse_and_log_det, "normflows NormalizingFlow"
    else:
        fwd, inv, convention = obj.forward, obj.inverse, "normflows Flow"

    def forward(x: Tensor) -> tuple[Tensor, Tensor]:
        y, ld = fwd(x)
        return y, _broadcast_constant(torch.as_tensor(ld, dtype=x.dtype, device=x.device), x.shape[0])

    def inverse(y: Tensor) -> tuple[Tensor, Tensor | None]:
        x, ld = inv(y)
        return x, _broadcast_constant(torch.as_tensor(ld, dtype=y.dtype, device=y.device), y.shape[0])

    return Flow(obj, _need_shape(shape, type(obj).__name__), convention, forward, inverse, invariants, [obj])


#: Adapters chosen by the top-level package of the object's class.
LIBRARIES: dict[str, Callable[[Any, tuple[int, ...] | None, tuple[str, ...]], Flow]] = {
    "zuko": zuko_layer,
    "nflows": nflows_layer,
    "normflows": normflows_layer,
}
