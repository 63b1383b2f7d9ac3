"""The Stirling topic's move to typed assertions changed nothing a report shows.

``tests/golden/stirling_evidence_*.json`` hold, for every claim, the verdict, the message and the evidence of both
parts and of every false variant (timings left out) from ``kexue-verify run stirling -j 1`` with the plain-data
assertions the topic had before.  The typed topic must reproduce them: the same verdicts, the same evidence names,
outcomes, methods, expected values and counterexamples, and the same numbers.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden"
RUNS = {
    "stirling_evidence_float64.json": [],
    "stirling_evidence_float32_seed3.json": ["--dtype", "float32", "--seed", "3"],
}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "duration_s"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def per_claim(report: dict[str, Any]) -> dict[str, Any]:
    """What the comparison covers, per claim id."""
    keep = ("verdict", "expected", "as_expected", "seed", "message", "symbolic", "numeric", "false_variants")
    return {c["id"]: _strip({k: c.get(k) for k in keep}) for c in report["claims"]}


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Where ``new`` differs from ``old``: strings, flags and structure exactly; floats to 1e-12 relative."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = [f"{path}/{k}: only in one" for k in sorted(set(old) ^ set(new))]
        for key in sorted(set(old) & set(new)):
            found += differences(old[key], new[key], f"{path}/{key}")
        return found
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items before, {len(new)} now"]
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in differences(a, b, f"{path}[{i}]")]
    if isinstance(old, float) and isinstance(new, (int, float)) and not isinstance(new, bool):
        return [] if math.isclose(old, new, rel_tol=1e-12, abs_tol=1e-300) else [f"{path}: {old!r} -> {new!r}"]
    return [] if old == new and type(old) is type(new) else [f"{path}: {old!r} -> {new!r}"]


def test_the_comparison_sees_a_change() -> None:
    golden = json.loads((GOLDEN / "stirling_evidence_float64.json").read_text(encoding="utf-8"))["claims"]
    changed = json.loads(json.dumps(golden))
    evidence = changed["stirling.formula"]["false_variants"][0]["numeric"]["evidence"][0]
    evidence["quantities"]["max_error"] *= 1 + 1e-9
    changed["stirling.series-coefficients"]["verdict"] = "refuted"
    found = differences(golden, changed)
    assert len(found) == 2, found
    assert any("max_error" in d for d in found)
    assert any("/verdict" in d for d in found)


@pytest.mark.slow
@pytest.mark.parametrize("fixture", sorted(RUNS))
def test_typed_stirling_reproduces_the_plain_data_report(fixture: str, tmp_path: Path) -> None:
    golden = json.loads((GOLDEN / fixture).read_text(encoding="utf-8"))
    out = tmp_path / "report.json"
    command = [sys.executable, "-m", "kexue_verify", "run", "stirling", "-j", "1", "-q", "-o", str(out), *RUNS[fixture]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    now = per_claim(json.loads(out.read_text(encoding="utf-8")))
    found = differences(golden["claims"], now)
    assert not found, "\n".join(found[:40])
