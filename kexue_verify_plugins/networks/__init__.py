"""Neural networks and deep learning — Su Jianlin, “闲聊：神经网络与深度学习”, 2015 (kexue.fm/archives/3331).

Catalogue section 1 (NN-1 … NN-9).  The claims are declared in :mod:`.claims` (plain data); their checks live in
:mod:`.checks` (one module per subject: features, runge, logic, sigmoid, counting, autoencoder, approximation) and
are imported only when a claim runs; the derivations are in
``proofs/networks.md``.  :mod:`.boolean` holds the exact McCulloch–Pitts facts, :mod:`.models` the torch
networks the checks train.
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, hookimpl
from kexue_verify_plugins import PROOFS_DIR

from .claims import CLAIMS, POST

__all__ = ["CLAIMS", "POST", "kexue_register_claims"]


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add_proof_dir(PROOFS_DIR)
    for claim in CLAIMS:
        registry.add(claim)
