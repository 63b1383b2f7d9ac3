r"""The flow-layer protocol: what a layer must provide for the generic flow claims to run on it.

A **flow layer** is an invertible map :math:`f:\mathbb R^D\to\mathbb R^D` acting sample by sample on a batch:

.. code-block:: python

    class MyLayer(torch.nn.Module):
        event_shape = (C, H, W)                     # or (D,); optional if the ModelSpec declares it
        def forward(self, x):                       # x: (N, *event_shape)
            return y, log_abs_det                   # log|det ∂y/∂x|, one number per sample: shape (N,)
        def inverse(self, y):
            return x, log_abs_det_inverse           # or just x; log|det ∂x/∂y| of the inverse map, shape (N,)

``y`` may have another shape than ``x`` (a multi-scale flow may return its factored-out parts flattened into
``(N, D)``) but the same number of entries per sample.  Optional attributes: ``invariants`` (or
``flow_declared["invariants"]``), the names of the structural properties the log-det formula relies on
(``"triangular"``, ``"positive-scales"``, ``"volume-preserving"``, ``"permutation"``, ``"orthogonal"``,
``"pixelwise"``, ``"diagonal"``; see :mod:`.checks.structure`), which the structure claim then checks.

Layers written for other libraries are adapted by :func:`as_flow_layer`:

==========================================  =======================================================================
object                                      convention used
==========================================  =======================================================================
this protocol                               ``forward(x) -> (y, ld)``, ``inverse(y) -> x | (x, ld)``
``torch.distributions.transforms.Transform`` ``y = t(x)``, ``t.log_abs_det_jacobian(x, y)`` summed over event dims
zuko ``Transform`` / ``LazyTransform`` /     ``call_and_ladj``; lazy objects are called afresh every time
``Flow``                                    (a ``Flow``'s transform maps data to the base space)
nflows ``Transform`` / ``Flow``              ``forward(x) -> (y, logabsdet)``, ``inverse(y) -> (x, logabsdet)``
normflows ``Flow`` / ``NormalizingFlow``     ``forward(z) -> (z', log_det)``; ``forward_and_log_det`` for a model
==========================================  =======================================================================

zuko, nflows and normflows are optional: ``pip install "kexue-verify[flows]"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

__all__ = ["Flow", "FlowLayer", "as_flow_layer", "event_shape_of"]


@runtime_checkable
class FlowLayer(Protocol):
    """The native protocol (see the module docstring)."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]: ...

    def inverse(self, y: Tensor) -> Any: ...


@dataclass
class Flow:
    """A flow layer seen through one convention: ``forward(x) -> (y, ld)``, ``inverse(y) -> (x, ld or None)``.

    ``modules`` are the ``torch.nn.Module`` objects holding the parameters (what the checks perturb and put in
    eval mode); a layer without any (a plain ``torch.distributions`` transform) has none.
    """

    obj: Any
    event_shape: tuple[int, ...]
    convention: str
    forward_fn: Callable[[Tensor], tuple[Tensor, Tensor]]
    inverse_fn: Callable[[Tensor], tuple[Tensor, Tensor | None]]
    invariants: tuple[str, ...] = ()
    modules: list[nn.Module] = field(default_factory=list)
    #: How many parameter tensors the checks perturbed (set by :func:`.checks.common.prepare`).
    perturbed: int = 0
    #: The ModelSpec's ``declared`` mapping (event shape, invariants, ``domain_radius``).
    declared: dict[str, Any] = field(default_factory=dict)
    #: What the last probe covered (set by :func:`.probing.probe`).
    region: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        n = 1
        for s in self.event_shape:
            n *= s
        return n

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.forward_fn(x)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor | None]:
        return self.inverse_fn(y)

    def eval(self) -> Flow:
        for m in self.modules:
            m.eval()
        return self


def event_shape_of(obj: Any, declared: Mapping[str, Any] | None = None) -> tuple[int, ...] | None:
    """The event shape: ``declared["event_shape"]``, else the layer's ``event_shape`` attribute, else None."""
    shape = (declared or {}).get("event_shape")
    if shape is None:
        shape = getattr(obj, "event_shape", None)
    if shape is None or (isinstance(shape, torch.Size) and len(shape) == 0):
        return None
    return tuple(int(s) for s in shape)


def _invariants(obj: Any, declared: Mapping[str, Any]) -> tuple[str, ...]:
    if "invariants" in declared:
        return tuple(declared["invariants"])
    own = getattr(obj, "flow_declared", None)
    if isinstance(own, Mapping) and "invariants" in own:
        return tuple(own["invariants"])
    return tuple(getattr(obj, "invariants", ()) or ())


def _native(obj: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def forward(x: Tensor) -> tuple[Tensor, Tensor]:
        out = obj(x) if isinstance(obj, nn.Module) else obj.forward(x)
        if not (isinstance(out, Sequence) and len(out) == 2):
            raise TypeError(f"{type(obj).__name__}.forward must return (y, log_abs_det), got {type(out).__name__}")
        return out[0], out[1]

    def inverse(y: Tensor) -> tuple[Tensor, Tensor | None]:
        out = obj.inverse(y)
        if isinstance(out, Tensor):
            return out, None
        return out[0], out[1]

    return forward, inverse


def _with_declared(flow: Flow, declared: dict[str, Any]) -> Flow:
    own = getattr(flow.obj, "flow_declared", None)
    flow.declared = {**(dict(own) if isinstance(own, Mapping) else {}), **declared}
    return flow


def as_flow_layer(obj: Any, declared: Mapping[str, Any] | None = None) -> Flow:
    """Adapt ``obj`` (a native layer, a torch/zuko/nflows/normflows object, or a :class:`Flow`) to :class:`Flow`.

    ``declared`` (a ModelSpec's ``declared``) may give ``event_shape`` and ``invariants``; layers from other
    libraries usually need ``event_shape`` declared.
    """
    from kexue_verify_plugins.flows import adapters

    declared = dict(declared or {})
    if isinstance(obj, Flow):
        return obj
    library = type(obj).__module__.split(".")[0]
    shape = event_shape_of(obj, declared)
    invariants = _invariants(obj, declared)
    if library in adapters.LIBRARIES:
        return _with_declared(adapters.LIBRARIES[library](obj, shape, invariants), declared)
    if isinstance(obj, torch.distributions.transforms.Transform):
        return _with_declared(adapters.torch_transform(obj, shape, invariants), declared)
    if callable(getattr(obj, "forward", None)) and callable(getattr(obj, "inverse", None)):
        if shape is None:
            raise TypeError(f"{type(obj).__name__}: give the layer an event_shape attribute or declare "
                            "'event_shape' in its ModelSpec")
        forward, inverse = _native(obj)
        modules = [obj] if isinstance(obj, nn.Module) else []
        return _with_declared(Flow(obj, shape, "native (forward -> (y, ld), inverse)", forward, inverse, invariants,
                                   modules), declared)
    raise TypeError(
        f"{type(obj).__name__} is not a flow layer: it needs forward(x) -> (y, log_abs_det) and inverse(y), or to be "
        "a torch.distributions Transform, a zuko, nflows or normflows object (see docs/topics/flows.md)"
    )
