"""Models and choosing mangoes — Su Jianlin, “漫话模型|模型与选芒果”, 2015 (kexue.fm/archives/3390).

Catalogue section 2 (MG-1 … MG-8), claim family ``mangoes``.  The post has no formulas: every claim is a
*constructed* formalisation (``status=constructed``), which every report shows.  The claims are declared in
:mod:`.claims`; their checks live in :mod:`.checks` (logistic, threshold, sampling, risk, regularisation) and are
imported only when a claim runs; :mod:`.models` holds the torch fitters.

The package is called ``mangoes`` rather than ``models`` so that ``kexue_verify_plugins.mangoes.models`` (the
topic's model factories, as in every topic) does not read as ``models.models``.
"""

from __future__ import annotations

from kexue_verify import ClaimRegistry, hookimpl

from .claims import CLAIMS, POST

__all__ = ["CLAIMS", "POST", "kexue_register_claims"]


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    for claim in CLAIMS:
        registry.add(claim)
