"""Stirling's formula and asymptotic series — Su Jianlin, “斯特灵(stirling)公式与渐近级数”, 2016.

Source: https://kexue.fm/archives/3731.

Catalogue section 3 (ST-1 … ST-14).  The claims are declared in :mod:`.claims` (plain data); their checks live in
:mod:`.checks` (formula and series), :mod:`.laplace` (substitutions, Gaussian moments), :mod:`.qmethod` (Su's
q-bookkeeping), :mod:`.divergence` (divergence, optimal truncation), :mod:`.quartic` (the quartic example) and
:mod:`.euler_maclaurin`, and are imported only when a claim runs.  :mod:`.coefficients` gives the exact
Stirling-series coefficients (``stirling_coefficients``, ``log_series_coefficients``).
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
