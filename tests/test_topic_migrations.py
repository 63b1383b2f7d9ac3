"""Refactorings of the built-in topics changed nothing a report shows.

Every ``tests/golden/<topic>_evidence_<label>.json`` (see :mod:`golden_reports`) was written from the topic's code
before a change that must not alter behaviour — the move to typed assertions, the one plugin layout.  The code now
must reproduce it: the same verdicts, the same evidence names, outcomes, methods, expected values and
counterexamples, and the same numbers (to 1e-12 relative) — on the platform the golden was written on; elsewhere the
verdicts and evidence outcomes (``golden_reports.skeleton``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden_reports import GOLDEN, differences, golden_arguments, per_claim, platform, run_report, skeleton

GOLDENS = sorted(p.name for p in GOLDEN.glob("*_evidence_*.json"))


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


def test_every_golden_report_names_its_command() -> None:
    assert "stirling_evidence_float64.json" in GOLDENS
    for name in GOLDENS:
        golden = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
        arguments = golden_arguments(golden)
        assert arguments[:2] == ["run", name.split("_evidence_")[0]], (name, arguments)
        assert golden["claims"], name


@pytest.mark.slow
@pytest.mark.parametrize("name", GOLDENS)
def test_the_topic_reproduces_its_golden_report(name: str, tmp_path: Path) -> None:
    golden = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    now = per_claim(run_report(golden_arguments(golden), tmp_path))
    if golden.get("platform") == platform():
        found = differences(golden["claims"], now)
    else:  # another CPU or other library versions round differently: verdicts and outcomes must still agree
        found = differences(skeleton(golden["claims"]), skeleton(now))
    assert not found, "\n".join(found[:40])


def test_the_skeleton_keeps_verdicts_and_outcomes_and_drops_numbers() -> None:
    golden = json.loads((GOLDEN / "stirling_evidence_float64.json").read_text(encoding="utf-8"))["claims"]
    changed = json.loads(json.dumps(golden))
    evidence = changed["stirling.formula"]["false_variants"][0]["numeric"]["evidence"][0]
    evidence["quantities"]["max_error"] *= 1 + 1e-6
    assert not differences(skeleton(golden), skeleton(changed))
    evidence["outcome"] = "pass" if evidence["outcome"] != "pass" else "fail"
    changed["stirling.series-coefficients"]["verdict"] = "refuted"
    assert len(differences(skeleton(golden), skeleton(changed))) == 2
