"""Normalizing flows — Su Jianlin, “细水长flow之RealNVP与Glow：流模型的传承与升华”, 2018 (kexue.fm/archives/5807),
with the change-of-variables background of “细水长flow之NICE” (kexue.fm/archives/5776).

Catalogue section 7 (FLOW-1 … FLOW-21), and the model kinds ``flow-layer`` and ``flow-2d``: the generic claims
(log-det against the autograd Jacobian, inverse, both directions, structure) run on every registered flow layer — the
built-in ones and any a user registers — and their false variants are the buggy layers of :mod:`.buggy` and
:mod:`.hidden_bugs`; the 2-D flows must have densities that integrate to 1.

The claims are declared in :mod:`.claims` (generic) and :mod:`.catalogue` (FLOW-1 … FLOW-21) with the typed
assertions of :mod:`.assertions`; the models and their factories are in :mod:`.models`; the checks live in
:mod:`.checks` (one module per subject) and are imported only when a claim runs.
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, ModelRegistry, hookimpl
from kexue_verify_plugins import PROOFS_DIR

from .claims import CATALOGUE_CLAIMS, CLAIMS, GENERIC_CLAIMS, NICE_POST, POST
from .models import CONTROLS, MODELS

__all__ = ["CATALOGUE_CLAIMS", "CLAIMS", "CONTROLS", "GENERIC_CLAIMS", "MODELS", "NICE_POST", "POST",
           "kexue_register_claims", "kexue_register_models"]


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add_proof_dir(PROOFS_DIR)
    for claim in CLAIMS:
        registry.add(claim)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    for spec in MODELS + CONTROLS:
        registry.add(spec)
