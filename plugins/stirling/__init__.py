"""Stirling's formula and asymptotic series — Su Jianlin, “斯特灵(stirling)公式与渐近级数”, 2016 (kexue.fm/archives/3731).

Catalogue section 3 (ST-1 … ST-14).  This module only declares the claims; the checks live
in :mod:`kexue_verify_plugins.stirling.checks` and are imported when a claim runs.
"""

from __future__ import annotations

from kexue_verify import Claim, ClaimRegistry, FalseVariant, Source, hookimpl
from kexue_verify_plugins import PROOFS_DIR

POST = Source(
    title="斯特灵(stirling)公式与渐近级数 (Stirling's formula and asymptotic series)",
    author="Su, Jianlin",
    date="2016-04-15",
    url="https://kexue.fm/archives/3731",
    language="chinese",
)
CHECKS = "kexue_verify_plugins.stirling.checks"


def _at(section: str) -> Source:
    return Source(title=POST.title, author=POST.author, date=POST.date, url=POST.url, section=section,
                  language=POST.language)


FORMULA = Claim(
    id="stirling.formula",
    label="ST-1",
    title="Stirling's formula: n! ~ √(2πn)(n/e)^n",
    statement=r"n! \sim \sqrt{2\pi n}\,\left(\frac{n}{e}\right)^{n},\qquad "
    r"\frac{n!}{\sqrt{2\pi n}(n/e)^n} = 1 + \frac{1}{12n} + O(n^{-2})",
    source=_at("斯特灵公式"),
    tags=("asymptotics", "gamma"),
    assertion={"prefactor": "sqrt(2*pi*n)*(n/E)**n", "limit": "1", "correction": "1/(12*n)"},
    symbolic=f"{CHECKS}:formula_symbolic",
    numeric=f"{CHECKS}:formula_numeric",
    false_variants=(
        FalseVariant(name="sqrt-2pi-over-n", description=r"prefactor \sqrt{2\pi/n} instead of \sqrt{2\pi n}",
                     assertion={"prefactor": "sqrt(2*pi/n)*(n/E)**n", "limit": "1", "correction": "1/(12*n)"}),
        FalseVariant(name="power-n-plus-half", description=r"(n/e)^{n+1/2} instead of (n/e)^n",
                     assertion={"prefactor": "sqrt(2*pi*n)*(n/E)**(n+1/2)", "limit": "1", "correction": "1/(12*n)"}),
        FalseVariant(name="ratio-to-e-twelfth", description=r"the ratio tends to e^{1/12} instead of 1",
                     assertion={"prefactor": "sqrt(2*pi*n)*(n/E)**n", "limit": "exp(1/12)", "correction": "1/(12*n)"}),
    ),
)


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add_proof_dir(PROOFS_DIR)
    registry.add(FORMULA)
