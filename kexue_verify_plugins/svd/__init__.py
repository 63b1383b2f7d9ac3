"""SVD and the linear autoencoder — Su Jianlin, “SVD分解(一)：自编码器与人工智能”, 2017 (kexue.fm/archives/4208).

Catalogue section 4 (SVD-1 … SVD-9).  The claims and the models of kind ``linear-autoencoder`` are declared in
:mod:`.claims` (typed assertions in :mod:`.assertions`), the model factories are in :mod:`.models`; the checks
(:mod:`.checks`, one module per subject) are imported only when a claim runs.  Support modules: :mod:`.linalg`
(planted matrices, targets), :mod:`.exact` (exact matrices), :mod:`.bounds` (tolerances), :mod:`.training`
(trainers), :mod:`.memo` (measurements shared by a claim and its variants), :mod:`.figures`.
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, ModelRegistry, hookimpl
from kexue_verify_plugins import PROOFS_DIR

from .claims import CLAIMS, DEFAULT_SHAPE, MODELS, POST

__all__ = ["CLAIMS", "DEFAULT_SHAPE", "MODELS", "POST", "kexue_register_claims", "kexue_register_models"]


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add_proof_dir(PROOFS_DIR)
    for claim in CLAIMS:
        registry.add(claim)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    for spec in MODELS:
        registry.add(spec)
