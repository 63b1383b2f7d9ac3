"""Matrix capsules with EM routing — Su Jianlin, “三味Capsule：矩阵Capsule与EM路由”, 2018 (kexue.fm/archives/5155),
and Hinton, Sabour & Frosst, *Matrix Capsules with EM Routing* (ICLR 2018).

Catalogue section 5 (CAP-1 … CAP-14) and the model kind ``em-routing``: the generic claims ``capsules.routing-*``
run on every registered routing implementation (protocol in :mod:`.routing`, page ``docs/topics/capsules.md``)
and must refute the buggy corpus of :mod:`.buggy`.  Declarations are in :mod:`.claims`, factories in
:mod:`.models`; the checks (:mod:`.checks`) are imported only when a claim runs.
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, ModelRegistry, ModelSpec, hookimpl
from kexue_verify_plugins import PROOFS_DIR

from .claims import CLAIMS, PAPER, POST

__all__ = ["CLAIMS", "MODELS", "PAPER", "POST", "kexue_register_claims", "kexue_register_models"]

MODELS = (
    ModelSpec(name="procedure-1", kind="em-routing", factory="kexue_verify_plugins.capsules.models:procedure_1",
              description="reference EM routing, Procedure 1 of Hinton, Sabour & Frosst (2018), ε = 1e-8"),
    ModelSpec(name="su-routing-4", kind="em-routing", factory="kexue_verify_plugins.capsules.models:su_routing_4",
              description="Su's routing 4 (kexue.fm/archives/5155) with β_u″ = d·β_u, ε = 1e-8"),
)


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add_proof_dir(PROOFS_DIR)
    for claim in CLAIMS:
        registry.add(claim)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    for spec in MODELS:
        registry.add(spec)
