"""Lipschitz constraints — Su Jianlin, “深度学习中的Lipschitz约束：泛化与生成模型”, 2018 (kexue.fm/archives/6051).

Catalogue section 8 (LIP-1 … LIP-16), and the model kind ``lipschitz-net``: the generic claim
``lipschitz.declared-bound`` runs on every registered network with a declared Lipschitz bound and
reports a sandwich — a certified upper bound (exact layer norms; the FFT operator norm for
convolutions) and an empirical lower bound with the input pair that attains it.

The post's three mistakes are claims "as posted" that are expected to be refuted, each next to its
corrected claim: LIP-6 (the spectral norm is not the largest |eigenvalue|), LIP-7 (power iteration
from the all-ones start can fail), LIP-13 (normalising a reshaped conv kernel or a BatchNorm γ does
not give a 1-Lipschitz layer).

This module only registers.  The claims are declared in :mod:`.claims` (typed assertions from
:mod:`.assertions`), the model specs in :mod:`.model_specs`, the factories in :mod:`.models`; the checks live in
the sub-package :mod:`.checks` (one module per subject) and are imported only when a claim runs.
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, ModelRegistry, hookimpl
from kexue_verify_plugins import PROOFS_DIR

from .claims import CLAIMS, KIND, POST
from .model_specs import MODELS_REGISTERED, POST_RESHAPED_CONVNET, SWISH_MLP

__all__ = [
    "CLAIMS",
    "KIND",
    "MODELS_REGISTERED",
    "POST",
    "POST_RESHAPED_CONVNET",
    "SWISH_MLP",
    "kexue_register_claims",
    "kexue_register_models",
]


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add_proof_dir(PROOFS_DIR)
    for claim in CLAIMS:
        registry.add(claim)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    for spec in MODELS_REGISTERED:
        registry.add(spec)
