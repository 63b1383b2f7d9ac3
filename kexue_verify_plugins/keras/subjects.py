"""One calling convention for a layer under test, whether it is a torch ``nn.Module`` or a Keras 3 layer.

The layer kinds of this topic (``parameter-free-layer``, ``train-only-noise``, ``split-vector``,
``center-loss-layer``) are built by their factories as a :class:`LayerSubject`.  A user's own layer of one of
these kinds is registered the same way: ``LayerSubject(my_layer, "torch")`` or ``LayerSubject(my_layer, "keras")``.

Keras 3 on the torch backend computes with torch tensors, so a Keras layer takes and returns the same tensors as
the torch module; only the train/test switch differs (``module.train(flag)`` vs ``layer(x, training=flag)``).
The subject has no ``.to``: it is built on the run's device and dtype by its factory.
"""

from __future__ import annotations

import contextlib
import math
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["LayerSubject", "LossSubject"]


@dataclass
class LayerSubject:
    """A layer and the framework it belongs to (``"torch"`` or ``"keras"``)."""

    layer: Any
    framework: str
    #: The dtype the layer really computes in (Keras 3 computes 64-bit ops in 32 bits); ``None``: the run's dtype.
    precision: str | None = None
    #: The device a Keras layer creates its tensors on (Keras's own default is the GPU whenever there is one).
    device: str | None = None

    def __post_init__(self) -> None:
        if self.framework not in ("torch", "keras"):
            raise ValueError(f"framework must be 'torch' or 'keras', got {self.framework!r}")

    def scope(self) -> Any:
        """``keras.device(self.device)`` for a Keras layer with a device, else a no-op context."""
        if self.framework == "keras" and self.device:
            return sys.modules["keras"].device(self.device)
        return contextlib.nullcontext()

    def __call__(self, x: Any, *, training: bool = False) -> Any:
        if self.framework == "keras":
            with self.scope():
                return self.layer(x, training=training)
        self.layer.train(training)
        return self.layer(x)

    def weights(self) -> list[tuple[str, Any, bool]]:
        """Every weight as ``(name, tensor, trainable)``; a Keras layer must have been called (built) first."""
        if self.framework == "keras":
            return [(w.path, w.value, bool(w.trainable)) for w in self.layer.weights]
        params = [(n, p, bool(p.requires_grad)) for n, p in self.layer.named_parameters()]
        return params + [(n, b, False) for n, b in self.layer.named_buffers()]

    def weight(self, name: str) -> Any:
        """The tensor of the weight called ``name`` (the last part of its path)."""
        for path, tensor, _ in self.weights():
            if path.replace("/", ".").split(".")[-1] == name:
                return tensor
        raise KeyError(f"the layer has no weight named {name!r}; it has {[p for p, _, _ in self.weights()]}")

    def count(self, *, trainable_only: bool = False) -> int:
        """The number of scalar weights (trainable ones only if asked)."""
        return sum(math.prod(t.shape) for _, t, trainable in self.weights() if trainable or not trainable_only)

    def output_shapes(self, input_shape: tuple[int | None, ...]) -> Any:
        """The shapes the layer promises for ``input_shape`` (``compute_output_shape`` / ``output_shapes``)."""
        if self.framework == "keras":
            return self.layer.compute_output_shape(input_shape)
        return self.layer.output_shapes(input_shape)

    def loss(self, x: Any, y: Any) -> Any:
        """The layer's per-sample loss, for layers that define one (the center-loss layer)."""
        with self.scope():
            return self.layer.loss(x, y)


@dataclass
class LossSubject:
    """A loss ``(y_onehot, logits, e) -> per-sample loss`` and the framework it is written in."""

    fn: Any
    framework: str
    precision: str | None = None

    def __call__(self, y: Any, logits: Any, e: float) -> Any:
        return self.fn(y, logits, e)
