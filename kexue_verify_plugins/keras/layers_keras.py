"""The post's Keras layers, callbacks and loss, ported to Keras 3 (``keras.ops`` in place of ``keras.backend``).

Su Jianlin, “让Keras更酷一些！”：精巧的层与花式的回调, 2018 (https://kexue.fm/archives/5765).  Keras 3 has no
``K.in_train_phase``; the noise layer takes the ``training`` argument that Keras passes to a ``Lambda`` whose
function accepts one, which is what ``in_train_phase`` read.  ``self.params['steps']`` is how Keras 3 reports the
steps per epoch (it has no ``params['samples']``), so the warmup falls back on ⌈N/B⌉ as the post does.

Keras is imported by :func:`post_keras` only, on the torch backend (:func:`.backend.keras_or_skip`).
"""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace
from typing import Any, cast

from .backend import keras_or_skip

__all__ = ["post_keras"]


@functools.cache
def post_keras() -> SimpleNamespace:
    """The post's Keras code as classes and functions; raises ``SkipCheck`` when Keras is absent."""
    keras = keras_or_skip()
    ops = keras.ops
    # keras is imported at run time (typed Any); mypy takes a typed local, not a module attribute, as a base class
    layer_base: Any = keras.layers.Layer
    callback_base: Any = keras.callbacks.Callback

    def add_noise_in_train(x: Any, training: bool | None = None) -> Any:
        """``x + ε`` in training, ``x`` otherwise (the post's ``K.in_train_phase(x + noise, x)``)."""
        if training:
            return x + keras.random.normal(ops.shape(x), dtype=x.dtype)
        return x

    class SplitVector(layer_base):
        """Two outputs: the first ``d // 2`` and the last ``d - d // 2`` features."""

        def call(self, inputs: Any) -> list[Any]:
            in_dim = inputs.shape[-1]
            return [inputs[:, : in_dim // 2], inputs[:, in_dim // 2 :]]

        def compute_mask(self, inputs: Any, mask: Any = None) -> list[None]:
            return [None, None]

        def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> list[tuple[int | None, ...]]:
            in_dim = cast(int, input_shape[-1])  # the feature dimension is known; only the batch one may be None
            return [(input_shape[0], in_dim // 2), (input_shape[0], in_dim - in_dim // 2)]

    class DenseWithCenterLoss(layer_base):
        """Logits ``xW + b``; ``loss`` adds ``λ Σ_k (c_{y,k} − x_k)²`` with trainable centres (λ = 0.5)."""

        def __init__(self, output_dim: int, lamb: float = 0.5, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.output_dim = output_dim
            self.lamb = lamb

        def build(self, input_shape: tuple[int | None, ...]) -> None:
            d = input_shape[1]
            self.kernel = self.add_weight(name="kernel", shape=(d, self.output_dim), initializer="glorot_normal")
            self.bias = self.add_weight(name="bias", shape=(self.output_dim,), initializer="zeros")
            self.centers = self.add_weight(name="centers", shape=(self.output_dim, d), initializer="glorot_normal")

        def call(self, inputs: Any) -> Any:
            return ops.matmul(inputs, self.kernel) + self.bias

        def loss(self, inputs: Any, y_true: Any) -> Any:
            """Per-sample loss (the post reads the inputs saved by ``call``; here they are passed)."""
            y_true = ops.cast(y_true, "int32")
            crossentropy = keras.losses.sparse_categorical_crossentropy(y_true, self(inputs), from_logits=True)
            centers = ops.take(self.centers, y_true, axis=0)
            return crossentropy + self.lamb * ops.sum(ops.square(centers - inputs), axis=1)

    def mycrossentropy(y_true: Any, y_pred: Any, e: float = 0.1) -> Any:
        """``(1 − e)·CE(y, p) + e·CE(1/K, p)`` on probabilities ``p``, as in the post."""
        nb_classes = y_pred.shape[-1]
        loss1 = keras.losses.categorical_crossentropy(y_true, y_pred)
        loss2 = keras.losses.categorical_crossentropy(ops.ones_like(y_pred) / nb_classes, y_pred)
        return (1 - e) * loss1 + e * loss2

    def lr_schedule(epoch: int, lr: float | None = None) -> float:
        """1e-2 before epoch 50, 1e-3 before epoch 80, then 1e-4 (epochs counted from 0, as Keras passes them)."""
        if epoch < 50:
            return 1e-2
        if epoch < 80:
            return 1e-3
        return 1e-4

    class Warmup(callback_base):
        """Raise the learning rate linearly over the first ``warmup_epochs`` epochs, batch by batch."""

        def __init__(self, lr: float = 0.001, warmup_epochs: int = 10, samples: int | None = None,
                     batch_size: int | None = None) -> None:
            super().__init__()
            self.lr, self.warmup_epochs = lr, warmup_epochs
            self.samples, self.batch_size = samples, batch_size
            self.num_passed_batchs = 0

        def on_batch_begin(self, batch: int, logs: Any = None) -> None:
            steps = self.params.get("steps")
            if steps is None:
                steps = math.ceil(self.samples / self.batch_size)  # type: ignore[operator]  # without params['steps'] the post passes both
            if self.num_passed_batchs < steps * self.warmup_epochs:
                self.model.optimizer.learning_rate = (
                    self.lr * (1.0 + self.num_passed_batchs) / steps / self.warmup_epochs)
                self.num_passed_batchs += 1

    class Evaluate(callback_base):
        """Save the weights whenever the epoch's accuracy is at least the best so far (``acc >= highest``)."""

        def __init__(self, evaluate: Any, path: str) -> None:
            super().__init__()
            self.evaluate, self.path = evaluate, path
            self.accs: list[float] = []
            self.highest = 0.0
            self.saved_at: list[int] = []

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            acc = self.evaluate(epoch)
            self.accs.append(acc)
            if acc >= self.highest:
                self.highest = acc
                self.model.save_weights(self.path)
                self.saved_at.append(epoch)

    return SimpleNamespace(keras=keras, add_noise_in_train=add_noise_in_train, SplitVector=SplitVector,
                           DenseWithCenterLoss=DenseWithCenterLoss, mycrossentropy=mycrossentropy,
                           lr_schedule=lr_schedule, Warmup=Warmup, Evaluate=Evaluate)
