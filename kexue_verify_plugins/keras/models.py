"""Model factories: the post's layers, losses, schedules and callbacks, in Keras 3 and in plain torch.

Every factory takes the check context and builds on ``ctx.device`` with ``ctx.dtype``.  The Keras factories raise
``SkipCheck`` (via :func:`.backend.keras_or_skip`) when Keras is not installed, so their cases are ``skipped``.
The ``buggy_*`` factories are the false variants' models: each is wrong in one way a check must catch.
"""

# ruff: noqa: N806 - S is the post's steps per epoch

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, TypedDict, cast

from .subjects import LayerSubject, LossSubject


def _keras_layer(layer: Any, ctx: Any) -> LayerSubject:
    from .backend import keras_compute_dtype
    from .layers_keras import post_keras

    return LayerSubject(layer, "keras", keras_compute_dtype(post_keras().keras, ctx.dtype), ctx.device)

# -- KER-1: a parameter-free Lambda layer ------------------------------------------------------------------------


def torch_add_two(ctx: Any) -> LayerSubject:
    from .layers_torch import AddTwo

    return LayerSubject(AddTwo().to(device=ctx.device, dtype=ctx.torch_dtype), "torch")


def keras_add_two(ctx: Any) -> LayerSubject:
    from .layers_keras import post_keras

    keras = post_keras().keras
    return _keras_layer(keras.layers.Lambda(lambda x: x + 2, dtype=ctx.dtype), ctx)


def buggy_add_two_with_weight(ctx: Any) -> LayerSubject:
    """``x + 2 + w`` with a trainable ``w = 0``: the same outputs at initialisation, but it holds a weight."""
    import torch
    from torch import nn

    class AddTwoPlusWeight(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + 2 + self.w

    return LayerSubject(AddTwoPlusWeight().to(device=ctx.device, dtype=ctx.torch_dtype), "torch")


# -- KER-2: train-only Gaussian noise ----------------------------------------------------------------------------


def torch_train_noise(ctx: Any) -> LayerSubject:
    from .layers_torch import TrainOnlyGaussianNoise

    return LayerSubject(TrainOnlyGaussianNoise(), "torch")


def keras_train_noise(ctx: Any) -> LayerSubject:
    from .layers_keras import post_keras

    post = post_keras()
    return _keras_layer(post.keras.layers.Lambda(post.add_noise_in_train, dtype=ctx.dtype), ctx)


def _noise_module(kind: str) -> Any:
    import torch
    from torch import nn

    class BuggyNoise(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            eps = torch.randn_like(x)
            if kind == "always":
                return x + eps
            if not self.training:
                return x
            return x + math.sqrt(0.5) * eps if kind == "half-variance" else 0.5 * (x + eps) + 0.5 * x

    return BuggyNoise()


def buggy_noise_at_test(ctx: Any) -> LayerSubject:
    """Adds the noise in evaluation mode too."""
    return LayerSubject(_noise_module("always"), "torch")


def buggy_noise_half_variance(ctx: Any) -> LayerSubject:
    """Noise of variance 0.5."""
    return LayerSubject(_noise_module("half-variance"), "torch")


def buggy_noise_mixed_branches(ctx: Any) -> LayerSubject:
    """In training, the average of the two branches ``½(x + ε) + ½x`` (variance ¼)."""
    return LayerSubject(_noise_module("mixed"), "torch")


# -- KER-3: SplitVector ------------------------------------------------------------------------------------------


def torch_split_vector(ctx: Any) -> LayerSubject:
    from .layers_torch import SplitVector

    return LayerSubject(SplitVector(), "torch")


def keras_split_vector(ctx: Any) -> LayerSubject:
    from .layers_keras import post_keras

    return _keras_layer(post_keras().SplitVector(dtype=ctx.dtype), ctx)


def buggy_split_floor_both(ctx: Any) -> LayerSubject:
    """Both halves ``d // 2`` wide, declared so: the last feature is lost when d is odd."""
    from torch import nn

    class FloorBoth(nn.Module):
        def forward(self, x: Any) -> tuple[Any, Any]:
            h = x.shape[-1] // 2
            return x[..., :h], x[..., h : 2 * h]

        @staticmethod
        def output_shapes(shape: tuple[int | None, ...]) -> list[tuple[int | None, ...]]:
            *lead, d = shape
            d = cast(int, d)  # the feature dimension is known; only the batch one may be None
            return [(*lead, d // 2), (*lead, d // 2)]

    return LayerSubject(FloorBoth(), "torch")


# -- KER-4: the center-loss layer ----------------------------------------------------------------------------------

#: The problem the center-loss claims run on: 2-D features, 3 classes, λ = 0.5.
class CenterShape(TypedDict):
    in_dim: int
    classes: int
    lamb: float


CENTER_SHAPE: CenterShape = {"in_dim": 2, "classes": 3, "lamb": 0.5}


def torch_center_loss(ctx: Any) -> LayerSubject:
    from .layers_torch import DenseWithCenterLoss

    layer = DenseWithCenterLoss(CENTER_SHAPE["in_dim"], CENTER_SHAPE["classes"], CENTER_SHAPE["lamb"])
    return LayerSubject(layer.to(device=ctx.device, dtype=ctx.torch_dtype), "torch")


def keras_center_loss(ctx: Any) -> LayerSubject:
    from .layers_keras import post_keras

    post = post_keras()
    layer = post.DenseWithCenterLoss(CENTER_SHAPE["classes"], CENTER_SHAPE["lamb"], dtype=ctx.dtype)
    with post.keras.device(ctx.device):  # the weights on the run's device, not Keras's default
        layer.build((None, CENTER_SHAPE["in_dim"]))
    return _keras_layer(layer, ctx)


def buggy_center_loss_frozen_centres(ctx: Any) -> LayerSubject:
    """The centres are a buffer, not a trainable weight: the optimizer never moves them."""
    from .layers_torch import DenseWithCenterLoss

    layer = DenseWithCenterLoss(CENTER_SHAPE["in_dim"], CENTER_SHAPE["classes"], CENTER_SHAPE["lamb"])
    centres = layer.centers.detach().clone()
    del layer.centers
    layer.register_buffer("centers", centres)
    return LayerSubject(layer.to(device=ctx.device, dtype=ctx.torch_dtype), "torch")


# -- KER-6: the mixed (label-smoothed) cross-entropy -------------------------------------------------------------


def torch_mixed_crossentropy(ctx: Any) -> LossSubject:
    from .layers_torch import mixed_crossentropy

    return LossSubject(mixed_crossentropy, "torch")


def keras_mixed_crossentropy(ctx: Any) -> LossSubject:
    from .layers_keras import post_keras

    post = post_keras()

    def on_logits(y: Any, logits: Any, e: float) -> Any:
        with post.keras.device(ctx.device):
            return post.mycrossentropy(y, post.keras.ops.softmax(logits, axis=-1), e)

    from .backend import keras_compute_dtype

    return LossSubject(on_logits, "keras", keras_compute_dtype(post.keras, ctx.dtype))


# -- KER-5 and KER-8: learning-rate schedules (kind lr-schedule) -------------------------------------------------


def post_lr_schedule(epoch: int) -> float:
    """The post's ``lr_schedule``: 1e-2 for epoch < 50, 1e-3 for epoch < 80, else 1e-4 (0-based epochs)."""
    if epoch < 50:
        return 1e-2
    if epoch < 80:
        return 1e-3
    return 1e-4


def post_warmup_factor(t: int, steps: int, warmup_epochs: int = 10) -> float:
    """The post's warmup as a factor of 0.001: ``(t + 1)/(10 S)`` for the 0-based batch t < 10 S, then 1."""
    return min(1.0, (t + 1) / (warmup_epochs * steps))


def _sgd(ctx: Any, lr: float) -> Any:
    import torch

    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1, device=ctx.device, dtype=ctx.torch_dtype))], lr=lr)


def piecewise_lambdalr(ctx: Any) -> Any:
    """``LambdaLR(SGD(lr=1), post_lr_schedule)``, stepped once an epoch."""
    from torch.optim.lr_scheduler import LambdaLR

    return LambdaLR(_sgd(ctx, 1.0), post_lr_schedule)


def piecewise_function(ctx: Any) -> Any:
    """The post's ``lr_schedule`` itself, a function of the 0-based epoch."""
    return post_lr_schedule


def piecewise_keras(ctx: Any) -> Any:
    """``keras.callbacks.LearningRateScheduler(lr_schedule)``, the post's code."""
    from .layers_keras import post_keras

    post = post_keras()
    return post.keras.callbacks.LearningRateScheduler(post.lr_schedule)


#: The training the post's warmup is checked on: N = 7 samples in batches of 3, so S = ⌈7/3⌉ = 3; 12 epochs.
WARMUP_TRAINING = {"samples": 7, "batch_size": 3, "epochs": 12}


def warmup_lambdalr(ctx: Any) -> Any:
    """``LambdaLR(SGD(lr=0.001), lambda t: min(1, (t+1)/(10 S)))``, stepped after every batch."""
    from torch.optim.lr_scheduler import LambdaLR

    S = math.ceil(WARMUP_TRAINING["samples"] / WARMUP_TRAINING["batch_size"])
    return LambdaLR(_sgd(ctx, 0.001), lambda t: post_warmup_factor(t, S))


def warmup_function(ctx: Any) -> Any:
    """The warmup as a plain function of the 0-based global batch index."""
    S = math.ceil(WARMUP_TRAINING["samples"] / WARMUP_TRAINING["batch_size"])
    return lambda t: 0.001 * post_warmup_factor(t, S)


def warmup_keras(ctx: Any) -> Any:
    """The post's ``Warmup`` callback (Keras 3 port)."""
    from .layers_keras import post_keras

    return post_keras().Warmup(lr=0.001, warmup_epochs=10, samples=WARMUP_TRAINING["samples"],
                               batch_size=WARMUP_TRAINING["batch_size"])


# -- KER-9: the best-model callback ------------------------------------------------------------------------------


def _torch_best_model_runner(ctx: Any, strict: bool) -> Any:
    import torch

    def run(accuracies: list[float], folder: Path) -> dict[str, Any]:
        """Train a one-weight model, one step an epoch, saving by the post's rule; report what was saved."""
        model = torch.nn.Linear(1, 1).to(device=ctx.device, dtype=ctx.torch_dtype)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.ones(4, 1, device=ctx.device, dtype=ctx.torch_dtype)
        path, highest, saved_at, snapshots = folder / "best_model.pt", 0.0, [], []
        for epoch, acc in enumerate(accuracies):
            optimizer.zero_grad()
            ((model(x) - 3.0) ** 2).mean().backward()
            optimizer.step()
            snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
            if (acc > highest) if strict else (acc >= highest):
                highest = acc
                torch.save(model.state_dict(), path)
                saved_at.append(epoch)
        saved = torch.load(path, weights_only=True)
        return {"saved_at": saved_at, "snapshots": snapshots, "saved": saved}

    return run


def torch_best_model(ctx: Any) -> Any:
    """A plain torch loop with the post's rule: save when ``acc >= best``."""
    return _torch_best_model_runner(ctx, strict=False)


def buggy_best_model_strict(ctx: Any) -> Any:
    """Saves only when ``acc > best``: a tie keeps the earlier epoch's weights."""
    return _torch_best_model_runner(ctx, strict=True)


def keras_best_model(ctx: Any) -> Any:
    """The post's ``Evaluate`` callback in ``model.fit``, one step an epoch."""
    import numpy as np

    from .backend import quiet_keras_internals
    from .layers_keras import post_keras

    post = post_keras()
    keras = post.keras
    # keras is imported at run time (typed Any); mypy takes a typed local, not a module attribute, as a base class
    callback_base: Any = keras.callbacks.Callback

    def weights(model: Any) -> dict[str, Any]:
        return {w.path: w.value.detach().cpu().clone() for w in model.weights}

    def run(accuracies: list[float], folder: Path) -> dict[str, Any]:
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        path = str(folder / "best_model.weights.h5")
        snapshots: list[dict[str, Any]] = []

        class Snapshot(callback_base):
            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                snapshots.append(weights(self.model))

        evaluate = post.Evaluate(lambda epoch: accuracies[epoch], path)
        x = np.ones((4, 1), dtype="float32")
        with quiet_keras_internals():
            model.fit(x, 3 * x, batch_size=4, epochs=len(accuracies), shuffle=False, verbose=0,
                      callbacks=[Snapshot(), evaluate])
            model.load_weights(path)
        saved = weights(model)
        return {"saved_at": evaluate.saved_at, "snapshots": snapshots, "saved": saved}

    return run
