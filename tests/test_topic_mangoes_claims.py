"""The catalogue claims of section 2 (MG-1 … MG-8): all constructed, shown as such in every report format."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kexue_verify import CaseResult, RunConfig, Status, Verdict
from kexue_verify.reports import build_report
from kexue_verify.reports.writers import write_html, write_json, write_junit, write_markdown
from kexue_verify.testing import assert_verdict, builtin_plugins, run_claim
from kexue_verify_plugins.mangoes import CLAIMS
from kexue_verify_plugins.mangoes.checks.sampling import exact_coverage
from kexue_verify_plugins.mangoes.checks.threshold import exact_errors

pytestmark = pytest.mark.usefixtures("one_thread")

BY_ID = {c.id: c for c in CLAIMS}


def test_every_claim_is_constructed_and_says_so():
    loaded = builtin_plugins()
    mine = [c for c in loaded.claims if c.family == "mangoes"]
    assert {c.label for c in mine} == {f"MG-{i}" for i in range(1, 9)}
    assert all(c.status is Status.CONSTRUCTED for c in mine)
    assert all(c.notes.startswith("Constructed formalisation (not the post's words)") for c in mine)
    assert all(c.false_variants for c in mine)
    assert {c.label for c in mine if "empirical" in c.tags} == {"MG-6", "MG-7", "MG-8"}


def test_the_threshold_values_are_exact():
    import sympy as sp

    e = exact_errors()
    assert e["tau_star"] == sp.Rational(50, 11)
    assert sp.simplify(e["error_at_5"] - sp.Rational(2, 9)) == 0
    assert float(e["min_error"]) == pytest.approx(0.21962, abs=1e-5)
    assert float(e["p_good"]) == pytest.approx(0.44826, abs=1e-5)


def test_hoeffding_n_covers_and_ten_matches_do_not():
    assert exact_coverage(185, 500) >= 0.95
    assert exact_coverage(10, 500) < 0.95


@pytest.mark.slow
@pytest.mark.parametrize("claim", [c.id for c in CLAIMS])
def test_claims_are_verified_and_every_false_variant_refuted(claim):
    assert_verdict(run_claim(claim), Verdict.VERIFIED)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("claim", [c.id for c in CLAIMS])
def test_claims_keep_their_verdict_across_seeds_and_dtypes(claim, seed, dtype):
    assert_verdict(run_claim(claim, seed=seed, dtype=dtype), Verdict.VERIFIED)


def test_a_threshold_near_the_optimum_is_still_refuted():
    claim = BY_ID["mangoes.one-threshold-is-suboptimal"]
    wrong = dataclasses.replace(claim, assertion=claim.assertion.changed(tau_star="46/10"), false_variants=())
    assert run_claim(wrong).verdict is Verdict.REFUTED


def test_constructed_status_reaches_json_markdown_html_and_junit(tmp_path: Path):
    """The report is built from a recorded result, so the test checks the writers, not the (slower) claim."""
    cid = "mangoes.strike-a-few-matches"
    result = CaseResult(cid, cid, None, Verdict.VERIFIED, Verdict.VERIFIED, 0)
    report = build_report([result], BY_ID, RunConfig())
    for name, writer in (("r.json", write_json), ("r.md", write_markdown), ("r.html", write_html),
                         ("r.xml", write_junit)):
        writer(report, tmp_path / name)
    assert json.loads((tmp_path / "r.json").read_text())["claims"][0]["status"] == "constructed"
    assert "constructed formalisation" in (tmp_path / "r.md").read_text()
    page = (tmp_path / "r.html").read_text()
    assert 'class="caution"><span class="badge s-badge s-constructed">constructed</span>' in page
    case = ET.parse(tmp_path / "r.xml").getroot().find("testcase")
    assert {p.get("name"): p.get("value") for p in case.iter("property")} == {"status": "constructed"}
