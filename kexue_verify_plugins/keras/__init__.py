"""Keras layers and callbacks — Su Jianlin, “让Keras更酷一些！”：精巧的层与花式的回调, 2018 (kexue.fm/archives/5765).

Catalogue section 6 (KER-1 … KER-9).  The claims are declared in :mod:`.claims`; the models (the post's Keras 3
code, the same ideas in plain torch, and the false variants' buggy layers) in :mod:`.models`; the checks in
:mod:`.checks`.  Keras is imported only when a Keras case runs (the optional extra ``kexue-verify[keras]``).

Model kinds of this topic: ``parameter-free-layer``, ``train-only-noise``, ``split-vector``, ``center-loss-layer``
(:class:`.subjects.LayerSubject`), ``mixed-target-loss`` (:class:`.subjects.LossSubject`), ``best-model-callback``
(a function ``run(accuracies, folder)``), and ``lr-schedule`` (:mod:`.schedule`).
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, ModelRegistry, hookimpl

from .claims import CLAIMS, MODELS, PIECEWISE, POST, WARMUP

__all__ = ["CLAIMS", "MODELS", "PIECEWISE", "POST", "WARMUP", "kexue_register_claims", "kexue_register_models"]


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    for claim in CLAIMS:
        registry.add(claim)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    for spec in MODELS:
        registry.add(spec)
