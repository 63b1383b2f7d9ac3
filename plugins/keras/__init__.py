"""Keras layers and callbacks — Su Jianlin, “让Keras更酷一些！”：精巧的层与花式的回调, 2018 (kexue.fm/archives/5765).

Catalogue section 6 (KER-1 … KER-9).  The claims are declared in :mod:`.claims`; the models (the post's Keras 3
code, the same ideas in plain torch, and the false variants' buggy layers) in :mod:`.models`; the checks in
:mod:`.checks`.  Keras is imported only when a Keras case runs (the optional extra ``kexue-verify[keras]``).

Model kinds of this topic: ``parameter-free-layer``, ``train-only-noise``, ``split-vector``, ``center-loss-layer``
(:class:`.subjects.LayerSubject`), ``mixed-target-loss`` (:class:`.subjects.LossSubject`), ``best-model-callback``
(a function ``run(accuracies, folder)``), and ``lr-schedule`` (:mod:`.schedule`).
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, ModelRegistry, ModelSpec, hookimpl

from .claims import CLAIMS, PIECEWISE, POST, WARMUP

__all__ = ["CLAIMS", "MODELS", "POST", "kexue_register_claims", "kexue_register_models"]

_M = "kexue_verify_plugins.keras.models"
_PIECEWISE = {"formula": PIECEWISE, "epochs": 100, "steps_per_epoch": 2, "phases": [1e-2, 1e-3, 1e-4]}
_WARMUP = {"formula": WARMUP, "epochs": 12, "samples": 7, "batch_size": 3, "phases": [1e-3]}


def _pair(kind: str, name: str, what: str, **declared: object) -> tuple[ModelSpec, ModelSpec]:
    return (ModelSpec(name=f"keras-{name}", kind=kind, factory=f"{_M}:keras_{name.replace('-', '_')}",
                      description=f"the post's {what}, Keras 3 (torch backend)", declared=declared),
            ModelSpec(name=f"torch-{name}", kind=kind, factory=f"{_M}:torch_{name.replace('-', '_')}",
                      description=f"{what}, plain torch", declared=declared))


MODELS: tuple[ModelSpec, ...] = (
    *_pair("parameter-free-layer", "add-two", "Lambda(lambda x: x + 2)"),
    *_pair("train-only-noise", "train-noise", "Lambda(add_noise_in_train)"),
    *_pair("split-vector", "split-vector", "SplitVector"),
    *_pair("center-loss-layer", "center-loss", "Dense_with_Center_loss"),
    *_pair("mixed-target-loss", "mixed-crossentropy", "mycrossentropy"),
    *_pair("best-model-callback", "best-model", "Evaluate callback (save when acc >= best)"),
    ModelSpec(name="keras-piecewise", kind="lr-schedule", factory=f"{_M}:piecewise_keras",
              description="LearningRateScheduler(lr_schedule), the post's code", declared=_PIECEWISE),
    ModelSpec(name="torch-piecewise", kind="lr-schedule", factory=f"{_M}:piecewise_lambdalr",
              description="LambdaLR(SGD(lr=1), lr_schedule), stepped per epoch",
              declared={**_PIECEWISE, "step": "epoch"}),
    ModelSpec(name="function-piecewise", kind="lr-schedule", factory=f"{_M}:piecewise_function",
              description="lr_schedule(epoch), 0-based epochs", declared={**_PIECEWISE, "step": "epoch",
                                                                          "counting": 0}),
    ModelSpec(name="keras-warmup", kind="lr-schedule", factory=f"{_M}:warmup_keras",
              description="the post's Warmup callback (on_batch_begin), N = 7, B = 3", declared=_WARMUP),
    ModelSpec(name="torch-warmup", kind="lr-schedule", factory=f"{_M}:warmup_lambdalr",
              description="LambdaLR(SGD(lr=0.001), t ↦ min(1, (t+1)/(10S))), stepped per batch",
              declared={**_WARMUP, "step": "batch"}),
    ModelSpec(name="function-warmup", kind="lr-schedule", factory=f"{_M}:warmup_function",
              description="t ↦ 0.001 min(1, (t+1)/(10S)), 0-based batches",
              declared={**_WARMUP, "step": "batch", "counting": 0}),
)


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    for claim in CLAIMS:
        registry.add(claim)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    for spec in MODELS:
        registry.add(spec)
