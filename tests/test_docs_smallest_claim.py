"""docs/writing-a-plugin.md's smallest claim is complete, short, and works as written (verified, variants refuted)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from kexue_verify import LoadOptions, Verdict, load
from kexue_verify.testing import assert_verdict, run_claim

PAGE = Path(__file__).resolve().parent.parent / "docs" / "writing-a-plugin.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def _claim_and_checks() -> tuple[str, str]:
    blocks = _blocks()
    claims = next(b for b in blocks if "class SupSlope(Assertion)" in b)
    checks = next(b for b in blocks if "def sup_slope(" in b)
    return claims, checks


def test_the_claim_with_two_false_variants_takes_under_15_lines() -> None:
    claims, _ = _claim_and_checks()
    lines = claims.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("@dataclass"))
    end = next(i for i, line in enumerate(lines) if i > start and line == ")")
    body = [line for line in lines[start:end + 1] if line.strip()]
    assert len(body) < 15, "\n".join(body)
    assert claims.count("variant(") == 2


@pytest.fixture
def my_claims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    claims, checks = _claim_and_checks()
    package = tmp_path / "my_claims"
    package.mkdir()
    (package / "__init__.py").write_text(claims, encoding="utf-8")
    (package / "checks.py").write_text(checks, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    _forget_my_claims()  # another test (new-plugin, the docs' commands) may have imported a different my_claims
    yield load(LoadOptions(modules=("my_claims",), only=(), strict=True))
    _forget_my_claims()


def _forget_my_claims() -> None:
    for name in [m for m in sys.modules if m == "my_claims" or m.startswith("my_claims.")]:
        del sys.modules[name]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_documented_claim_is_verified_and_its_variants_refuted(my_claims, dtype: str) -> None:
    result = run_claim("example.sigmoid-slope", loaded=my_claims, dtype=dtype)
    assert_verdict(result, "verified")
    for variant in result.variants:  # each variant is refuted by both the symbolic and the numeric check
        assert variant.verdict is Verdict.REFUTED
        assert {part: r.outcome.value for part, r in variant.parts.items()} == {"symbolic": "fail", "numeric": "fail"}
