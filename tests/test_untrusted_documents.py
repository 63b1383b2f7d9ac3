"""A hostile proof document runs nothing and cannot hang the parser: every formula in it (the start,
steps, ``let`` lines, ``assume`` bounds, substitutions, limit points) goes through the formula parser.

Like ``test_formula.py`` these tests import neither torch nor the CLI, so CI runs them with
``--noconftest`` on Python 3.12 and 3.13 too, where f-strings tokenize as ``FSTRING_*`` tokens.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kexue_verify.derivation import Derivation
from kexue_verify.errors import DerivationError
from kexue_verify.proofs import load_document


def _payload(canary: Path) -> str:
    return "f\"{__import__('pathlib').Path(" + repr(str(canary)) + ").touch()}\""


def _documents(payload: str) -> dict[str, str]:
    return {
        "step": f"  x\n= sin({payload})\n",
        "start": f"  exp({payload})\n= x\n",
        "let": f"let h = sin({payload})\n  h\n= h\n",
        "assume bound": f"assume x: real, {payload} <= x <= 1\n  x\n= x\n",
        "substitution": (
            "assume t: positive\n  Integral(exp(-t), (t, 0, oo))\n"
            f"= Integral(exp(-t), (t, 0, oo))   with t = {payload}\n"
        ),
        "limit point": f"  1/x\n-> 0   as x -> {payload}\n",
    }


@pytest.mark.parametrize("where", list(_documents("")))
def test_code_in_a_proof_document_is_never_run(where: str, tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    block = _documents(_payload(canary))[where]
    if not block.startswith("assume"):
        block = "assume x: positive\n" + block
    doc = tmp_path / "hostile.md"
    doc.write_text(f"# hostile\n\n```derivation hostile\n{block}```\n", encoding="utf-8")
    with pytest.raises(DerivationError, match=r"f-string|string literal|cannot read"):
        load_document(doc)
    assert not canary.exists()


def test_code_in_derivation_api_strings_is_never_run(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    payload = _payload(canary)
    attempts = [
        lambda: Derivation.begin("a", start=f"sin({payload})", assume={"x": "real"}),
        lambda: Derivation.begin("b", start="x", assume={"x": "real"}).eq(f"cos({payload})"),
        lambda: Derivation.begin("c", start="h", assume={"x": "real"}, define={"h": f"sin({payload})"}),
        lambda: Derivation.begin("d", start="x", assume={"x": "real"}, bounds={"x": (payload, 1)}),
        lambda: Derivation.begin("e", start="x", assume={"x": "real"}).eq("x").le(f"x + 0*{payload}"),
    ]
    for attempt in attempts:
        with pytest.raises(DerivationError):
            attempt()
    assert not canary.exists()


@pytest.mark.parametrize("formula", ["9**9**9", "factorial(10**10)", "2**2**2**2**2**2", "eye(10**7)"])
def test_a_huge_literal_does_not_hang_prove(formula: str, tmp_path: Path) -> None:
    doc = tmp_path / "huge.md"
    block = f"```derivation huge\nassume x: positive\n  x\n= x + {formula} - {formula}\n```\n"
    doc.write_text(block, encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(DerivationError, match=r"huge\.md:4: .*(exact number|evaluated in full|rows and columns)"):
        load_document(doc)
    assert time.monotonic() - start < 5.0
