"""The canonical JSON report, its id, atomic writes, the renderers (golden files), BibTeX and exit codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import CORE_FAKES, GOLDEN

from kexue_verify import LoadOptions, RunConfig, UsageError, Verdict, load, run
from kexue_verify.reports import (
    SCHEMA_VERSION,
    build_report,
    canonical_json,
    exit_code,
    load_report,
    report_id,
    seal,
    write_atomic,
)
from kexue_verify.reports.bibtex import report_bibtex, source_bibtex
from kexue_verify.reports.markdown import render_markdown
from kexue_verify.reports.writers import write_html, write_json, write_junit, write_markdown
from kexue_verify.verdicts import CaseResult

SCHEMA = Path(__file__).resolve().parents[1] / "kexue_verify" / "reports" / "schema.json"


# --- a fixed, hand-built report: the input of the golden files ------------------------------------------------------

def _evidence(name: str, outcome: str, **fields: Any) -> dict[str, Any]:
    data = {"name": name, "outcome": outcome, "method": "", "quantities": {}, "expected": None, "tolerance": None,
            "counterexample": None, "note": ""}
    data.update(fields)
    return data


def _part(outcome: str, evidence: list[dict[str, Any]], error: str | None = None) -> dict[str, Any]:
    return {"outcome": outcome, "evidence": evidence, "error": error, "duration_s": 0.25}


SOURCE = {"title": "Stirling's formula & asymptotic series", "author": "Su, Jianlin", "date": "2016-04-15",
          "url": "https://kexue.fm/archives/3731", "language": "chinese"}
PAPER = {"title": "Density estimation using Real NVP", "author": "Dinh, Laurent", "date": "2017",
         "url": "https://arxiv.org/abs/1605.08803", "section": "3.3"}


def _entry(case_id: str, verdict: str, expected: str, **fields: Any) -> dict[str, Any]:
    claim_id = case_id.split("[")[0]
    entry = {
        "id": case_id, "claim_id": claim_id, "label": None, "family": claim_id.split(".")[0], "title": "A claim",
        "statement": "x = x", "source": SOURCE, "tags": [], "proof": None, "model": None, "verdict": verdict,
        "expected": expected, "as_expected": verdict == expected, "seed": 1234567890123, "message": "",
        "symbolic": None, "numeric": None, "false_variants": [], "duration_s": 1.5, "status": None, "notes": None,
        "definition_digest": hashlib.sha256(case_id.encode()).hexdigest(),
    }
    entry.update(fields)
    return entry


def golden_report() -> dict[str, Any]:
    """Five claims covering every renderer branch: steps, a figure, variants, a counterexample, an error, a skip."""
    claims = [
        _entry(
            "demo.model[tiny-net]", "error", "verified", model="tiny-net", family="demo",
            title="Coupling log-determinant", statement=r"\log|\det J| = \sum_i s_i",
            source=PAPER, message="numeric: RuntimeError: shapes (2,3) and (2,2) not aligned",
            numeric=_part("error", [], error="RuntimeError: shapes (2,3) and (2,2) not aligned\nTraceback (…)"),
        ),
        _entry(
            "demo.stirling", "verified", "verified", label="DM-1", title="Stirling's formula | ratio → 1",
            statement=r"n! \sim \sqrt{2\pi n}\,(n/e)^n", tags=["asymptotics"], proof="demo.md#stirling",
            message="all 2 false variant(s) refuted",
            symbolic=_part("pass", [_evidence(
                "derivation demo.md#stirling", "pass", method="sympy",
                steps=[{"index": 1, "relation": "=", "rhs": "log(n!)", "rhs_latex": r"\log n!",
                        "justification": "definition", "status": "proved", "method": "sympy.simplify"},
                       {"index": 2, "relation": "~", "rhs": "n*log(n) - n", "justification": "Euler–Maclaurin",
                        "status": "numerically verified", "method": "mpmath, 30 digits"}],
            )]),
            numeric=_part("pass", [
                _evidence("ratio at large n", "pass", method="torch.lgamma (float64, cpu)",
                          quantities={"measured": 1.0000000000001, "error": 1e-13, "n": 1000,
                                      "points": list(range(12))},
                          expected=1.0, tolerance={"atol": 1.7763568394002505e-15}),
                _evidence("convergence", "pass", note="error shrinks like 1/n",
                          figure={"title": "relative error", "xlabel": "n", "ylabel": "error", "yscale": "log",
                                  "series": [{"label": "ratio - 1", "x": [1, 10, 100], "y": [0.08, 0.008, 0.0008]}]}),
            ]),
            false_variants=[
                {"name": "sqrt-2pi-over-n", "description": r"\sqrt{2\pi/n} instead of \sqrt{2\pi n}",
                 "verdict": "refuted", "refuted": True,
                 "numeric": _part("fail", [_evidence("ratio at large n", "fail")])},
                {"name": "ratio-e", "description": "the ratio tends to e", "verdict": "refuted", "refuted": True},
            ],
        ),
        _entry(
            "demo.typo", "refuted", "refuted", label="DM-2", title="A power of two as printed",
            statement="2^{10} = 1000", message="numeric: 2**10 failed; counterexample {'exponent': 10}",
            numeric=_part("fail", [_evidence("2**10", "fail", quantities={"measured": 1024.0, "error": 24.0},
                                             expected=1000.0, tolerance={"atol": 0.0},
                                             counterexample={"exponent": 10, "actual": 1024})]),
        ),
        _entry("demo.gpu", "skipped", "verified", message="CUDA was asked for (--device cuda) but torch sees none"),
        _entry("demo.hang", "timeout", "verified", message="no verdict within 3 s (raise it with --timeout)",
               duration_s=3.0),
    ]
    claims.sort(key=lambda e: e["id"])
    report = {
        "schema_version": SCHEMA_VERSION,
        "report_id": "",
        "created": "2024-01-02T03:04:05+00:00",
        "tool": {"name": "kexue-verify", "version": "0.1.0"},
        "environment": {
            "python": "3.11.7", "implementation": "CPython", "platform": "Linux-x86_64", "host": "builder",
            "packages": {"kexue-verify": "0.1.0", "torch": "2.13.0", "sympy": "1.14.0", "mpmath": "1.3.0",
                         "numpy": "2.1.0", "pluggy": "1.6.0", "python-flint": "0.7.1"},
            "device": "cpu", "device_name": "cpu", "dtype": "float64", "seed": 0,
            "claims_commit": "0123456789abcdef0123456789abcdef01234567",
        },
        "selection": {"patterns": ["demo"], "keyword": None, "tags": []},
        "summary": {"total": 5, "verdicts": {"verified": 1, "refuted": 1, "inconclusive": 0, "error": 1,
                                             "timeout": 1, "skipped": 1},
                    "as_expected": 2, "unexpected": ["demo.hang", "demo.model[tiny-net]"], "exit_code": 3},
        "claims": claims,
        "sources": [{"key": "dinh2017density", **PAPER}, {"key": "su2016stirling", **SOURCE}],
        "plugins": [{"name": "demo", "origin": "plugins-dir", "version": None}],
        "digests": {},
    }
    return seal(report)


def compare_with_golden(name: str, text: str, regen: bool) -> None:
    path = GOLDEN / name
    if regen:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; create it with `pytest --regen-golden`"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from tests/golden/{name}; if the change is intended, rerun with --regen-golden and review "
        "the diff")


def test_markdown_matches_the_golden_file(regen_golden: bool) -> None:
    text, figures = render_markdown(golden_report(), "report_figures")
    compare_with_golden("sample_report.md", text, regen_golden)
    assert [name for name, _ in figures] == ["demo-stirling-1.svg"]


def test_junit_matches_the_golden_file(tmp_path: Path, regen_golden: bool) -> None:
    write_junit(golden_report(), tmp_path / "junit.xml")
    compare_with_golden("sample_junit.xml", (tmp_path / "junit.xml").read_text(encoding="utf-8"), regen_golden)


def test_junit_marks_failures_errors_and_skips() -> None:
    root = ET.fromstring((GOLDEN / "sample_junit.xml").read_text(encoding="utf-8").split("\n", 1)[1])
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("5", "0", "2", "1")
    kinds = {case.get("name"): [child.tag for child in case] for case in root.iter("testcase")}
    assert kinds == {"demo.gpu": ["skipped"], "demo.hang": ["error"], "demo.model[tiny-net]": ["error"],
                     "demo.stirling": [], "demo.typo": []}
    assert root.find("properties/property").get("value") == golden_report()["report_id"]


def test_markdown_shows_what_a_reader_needs() -> None:
    report = golden_report()
    text, _ = render_markdown(report, "figs")
    assert text.startswith(f"# kexue-verify report `{report['report_id']}`")
    assert "2 of 5 verdicts as expected." in text
    assert "**Not as expected:** `demo.hang`, `demo.model[tiny-net]`" in text
    assert r"Stirling's formula \| ratio → 1" in text  # a pipe in a table cell is escaped
    assert "counterexample: `{exponent: 10, actual: 1024}`" in text
    assert "[0, 1, 2, 3, 4, 5, … (12 values)]" in text
    assert "![relative error](figs/demo-stirling-1.svg)" in text
    assert "| 2 | ~ | `n*log(n) - n` | Euler–Maclaurin | ≈ numerically verified | mpmath, 30 digits |" in text
    assert "- [su2016stirling] Su, Jianlin, “Stirling's formula & asymptotic series”, 2016-04-15" in text
    assert "claims at commit `0123456789ab`" in text


def test_markdown_writer_draws_the_figures_as_svg(tmp_path: Path) -> None:
    write_markdown(golden_report(), tmp_path / "out.md")
    svg = tmp_path / "out_figures" / "demo-stirling-1.svg"
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "](out_figures/demo-stirling-1.svg)" in (tmp_path / "out.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md", "out_figures"]  # no temp files left


def test_a_figure_with_a_gap_is_still_drawn(tmp_path: Path) -> None:
    from kexue_verify import Evidence, Outcome
    from kexue_verify.reports.figures import draw_figure

    ev = Evidence(name="e", outcome=Outcome.PASS, figure={"series": [{"x": [1, 2, 3], "y": [1.0, float("nan"), 3.0]}],
                                                          "kind": "scatter"})
    assert draw_figure(ev.figure, tmp_path / "gap.svg").stat().st_size > 0


def test_html_is_one_self_contained_escaped_page(tmp_path: Path) -> None:
    report = golden_report()
    report["claims"][0]["title"] = "<script>alert(1)</script>"
    write_html(report, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]  # no figure folder: the SVG is inline
    assert "<img" not in page
    assert 'src="' not in page
    assert "<link" not in page
    assert page.count("<svg") == 1


# --- the report id --------------------------------------------------------------------------------------------------

def test_report_id_is_a_hash_of_the_canonical_content() -> None:
    report = golden_report()
    assert re.fullmatch(r"kv-[0-9a-f]{20}", report["report_id"])
    assert report_id(report) == report["report_id"]


def entry(report: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(e for e in report["claims"] if e["id"] == case_id)


@pytest.mark.parametrize("change", [
    lambda r: r.update(created="2030-12-31T23:59:59+00:00"),
    lambda r: r["environment"].update(host="elsewhere", platform="Darwin"),
    lambda r: entry(r, "demo.stirling").update(duration_s=99.0),
    lambda r: entry(r, "demo.stirling")["numeric"].update(duration_s=42.0),
    lambda r: entry(r, "demo.stirling")["false_variants"][0]["numeric"].update(duration_s=7.0),
    lambda r: entry(r, "demo.stirling")["numeric"]["evidence"][0]["quantities"].update(timings={"step_s": 0.3}),
    lambda r: r.update(report_id="kv-00000000000000000000"),
    lambda r: r["environment"].update(claims_commit=None),  # a wheel has no commit, an editable install has one
    lambda r: r.update(selection={"patterns": ["DM-1", "demo.*"], "keyword": None, "tags": []}),
])
def test_report_id_ignores_timings_host_and_creation_time(change) -> None:
    report = golden_report()
    change(report)
    assert report_id(report) == golden_report()["report_id"]


@pytest.mark.parametrize("change", [
    lambda r: r["environment"].update(seed=1),
    lambda r: r["environment"].update(dtype="float32"),
    lambda r: r["environment"]["packages"].update(torch="2.14.0"),
    lambda r: entry(r, "demo.stirling").update(statement=r"n! \sim \sqrt{2\pi n}(n/e)^{n+1}"),
    lambda r: entry(r, "demo.stirling")["numeric"]["evidence"][0]["quantities"].update(measured=1.0000000000002),
    lambda r: entry(r, "demo.stirling")["false_variants"][1].update(verdict="verified"),
    lambda r: entry(r, "demo.typo")["false_variants"].append({"name": "x", "description": "y", "verdict": "refuted"}),
])
def test_report_id_changes_with_the_content(change) -> None:
    report = golden_report()
    change(report)
    assert report_id(report) != golden_report()["report_id"]


@pytest.fixture(scope="module")
def fakes():
    return load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))


def run_fakes(fakes, seed: int = 0, loaded=None) -> dict[str, Any]:
    config = RunConfig(seed=seed, in_process=True)
    return run(["fake.good-sum", "fake.seeded", "fake.doubles"], config=config, loaded=loaded or fakes).report


def test_two_runs_with_the_same_seed_have_the_same_id(fakes) -> None:
    first, second = run_fakes(fakes), run_fakes(fakes)
    assert first["report_id"] == second["report_id"]
    assert first["created"] <= second["created"]


def test_another_seed_gives_another_id(fakes) -> None:
    assert run_fakes(fakes, seed=0)["report_id"] != run_fakes(fakes, seed=1)["report_id"]


def test_a_changed_claim_gives_another_id(fakes) -> None:
    changed = load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))
    claim = changed.claims["fake.good-sum"]
    changed.claims._items["fake.good-sum"] = dataclasses.replace(claim, statement=claim.statement + r"\quad")
    assert run_fakes(fakes)["report_id"] != run_fakes(fakes, loaded=changed)["report_id"]


# --- the report's contents ------------------------------------------------------------------------------------------

def test_report_has_the_documented_top_level_fields(fakes) -> None:
    report = run_fakes(fakes, seed=3)
    assert list(report) == ["schema_version", "report_id", "created", "tool", "environment", "selection", "summary",
                            "claims", "sources", "plugins", "digests"]
    assert report["schema_version"] == SCHEMA_VERSION
    created = dt.datetime.fromisoformat(report["created"])
    assert created.utcoffset() == dt.timedelta(0)
    env = report["environment"]
    assert {"python", "packages", "device", "dtype", "seed", "claims_commit"} <= set(env)
    assert (env["device"], env["dtype"], env["seed"]) == ("cpu", "float64", 3)
    assert env["packages"]["kexue-verify"] is not None
    assert "torch" in env["packages"]
    assert report["selection"] == {"patterns": ["fake.good-sum", "fake.seeded", "fake.doubles"], "keyword": None,
                                   "tags": []}
    assert report["summary"] == {"total": 4, "verdicts": {"verified": 4, "refuted": 0, "inconclusive": 0, "error": 0,
                                                          "timeout": 0, "skipped": 0},
                                 "as_expected": 4, "unexpected": [], "exit_code": 0}
    assert [s["key"] for s in report["sources"]] == ["tester2020fake", "tester2022fake"]  # one per URL
    # only the plugins that contributed a selected claim or model; the report writers asserted nothing
    assert [p["name"] for p in report["plugins"]] == ["doublers", "good", "more_doublers", "seeded"]


def test_each_claim_entry_carries_its_evidence_and_false_variants(fakes) -> None:
    entry = next(e for e in run_fakes(fakes)["claims"] if e["id"] == "fake.good-sum")
    assert {k: entry[k] for k in ("id", "claim_id", "label", "family", "verdict", "expected", "as_expected")} == {
        "id": "fake.good-sum", "claim_id": "fake.good-sum", "label": "FK-1", "family": "fake", "verdict": "verified",
        "expected": "verified", "as_expected": True}
    assert entry["source"]["section"] == "Gauss"
    assert entry["symbolic"]["evidence"][0]["quantities"] == {"checked": 40}
    numeric = entry["numeric"]["evidence"][0]
    assert numeric["tolerance"] == {"atol": 1e-9}
    assert (numeric["quantities"]["dtype"], numeric["quantities"]["device"]) == ("float64", "cpu")
    variants = {v["name"]: v for v in entry["false_variants"]}
    assert sorted(variants) == ["no-halving", "offset-minus-one"]
    assert all(v["verdict"] == "refuted" and v["refuted"] for v in variants.values())
    assert variants["offset-minus-one"]["symbolic"]["evidence"][0]["counterexample"] == {"n": 1}


def test_report_validates_against_the_published_schema(fakes, fake_run) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for report in (golden_report(), run_fakes(fakes), fake_run.report):
        jsonschema.validate(report, schema)


# --- writing and reading --------------------------------------------------------------------------------------------

def test_canonical_json_is_sorted_compact_and_refuses_nan() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "π"]}) == '{"a":[1.5,"π"],"b":1}'
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"x": float("nan")})


def test_write_atomic_replaces_the_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "report.json"
    write_atomic(path, "first")
    write_atomic(path, "second")
    assert path.read_text(encoding="utf-8") == "second"
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_a_report_is_readable_by_others_as_any_new_file_is(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644


def test_an_exception_mid_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("old report", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "half written " + "\ud800")  # a lone surrogate cannot be encoded: fails inside write()
    assert path.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_failed_rename_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_report_with_nan_is_refused_before_the_old_file_is_touched(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")
    report = golden_report()
    report["claims"][0]["message"] = float("nan")
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json(report, path)
    assert path.read_text(encoding="utf-8") == "old"


def test_json_round_trip(tmp_path: Path) -> None:
    report = golden_report()
    write_json(report, tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.startswith('{\n  "schema_version": ')  # indented, in the report's own order
    assert load_report(tmp_path / "r.json") == report


@pytest.mark.parametrize(("content", "fragment"), [
    (None, "no such file; write one with `kexue-verify run all -o"),
    ("{not json", "is not JSON"),
    ("[1, 2]", "is not a kexue-verify report"),
    ('{"claims": []}', "is not a kexue-verify report"),
    ('{"schema_version": "3.0", "claims": []}', "has schema 3.0; this version reads 2."),
    ('{"schema_version": 1, "claims": []}', "has schema 1; this version reads 2."),
    ('{"schema_version": "1.0", "claims": []}', "reports of schema 1.x have no digests: run the selection again"),
])
def test_load_report_explains_what_is_wrong(tmp_path: Path, content: str | None, fragment: str) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=re.escape(fragment)):
        load_report(path)


# --- BibTeX ---------------------------------------------------------------------------------------------------------

def test_bibtex_has_the_report_and_one_online_entry_per_source() -> None:
    report = golden_report()
    bib = report_bibtex(report)
    assert bib.startswith(f"@online{{{report['report_id']},")
    assert f"report id {report['report_id']}" in bib
    assert bib.count("@online{") == len(report["sources"]) + 1 == 3
    assert "@online{su2016stirling," in bib
    assert "@online{dinh2017density," in bib
    assert r"Stirling's formula \& asymptotic series" in bib  # special characters escaped in titles
    assert "seed 0" in bib
    assert "5 claims (1 verified, 1 refuted, 1 error, 1 timeout, 1 skipped)" in bib
    assert bib.count("{") == bib.count("}")


def test_source_bibtex_fields() -> None:
    entry = source_bibtex({"key": "dinh2017density", **PAPER})
    assert entry.splitlines() == [
        "@online{dinh2017density,",
        "  author       = {Dinh, Laurent},",
        "  title        = {Density estimation using Real NVP},",
        "  date         = {2017},",
        "  year         = {2017},",
        "  url          = {https://arxiv.org/abs/1605.08803},",
        "  note         = {Section: 3.3},",
        "}",
    ]


# --- exit codes -----------------------------------------------------------------------------------------------------

def without_timings(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: without_timings(v) for k, v in data.items() if k != "duration_s"}
    if isinstance(data, list):
        return [without_timings(v) for v in data]
    return data


def result(verdict: str, expected: str = "verified") -> CaseResult:
    return CaseResult("a.b", "a.b", None, Verdict(verdict), Verdict(expected), 0)


@pytest.mark.parametrize(("verdicts", "code"), [
    ([], 0),
    ([("verified", "verified")], 0),
    ([("refuted", "refuted")], 0),
    ([("verified", "verified"), ("skipped", "verified")], 0),
    ([("refuted", "verified")], 1),
    ([("verified", "refuted")], 1),
    ([("inconclusive", "verified")], 1),
    ([("inconclusive", "refuted")], 1),
    ([("error", "verified")], 3),
    ([("timeout", "refuted")], 3),
    ([("refuted", "verified"), ("error", "verified")], 3),  # a crash outranks a wrong verdict
])
def test_exit_code(verdicts: list[tuple[str, str]], code: int) -> None:
    assert exit_code([result(v, e) for v, e in verdicts]) == code


def test_build_report_sorts_entries_and_is_independent_of_result_order(fakes) -> None:
    results = run(["fake.good-sum", "fake.seeded"], config=RunConfig(in_process=True), loaded=fakes).results
    claims = {c.id: c for c in fakes.claims}
    when = dt.datetime(2024, 5, 6, tzinfo=dt.timezone.utc)
    forward = build_report(results, claims, RunConfig(), created=when)
    backward = build_report(list(reversed(results)), claims, RunConfig(), created=when)
    assert [e["id"] for e in forward["claims"]] == ["fake.good-sum", "fake.seeded"]
    assert without_timings(forward) == without_timings(backward)
    assert forward["report_id"] == backward["report_id"]
    assert forward["created"] == "2024-05-06T00:00:00+00:00"


def test_a_crashed_checks_traceback_is_code_not_one_escaped_line(fake_run: Any) -> None:
    """The "Why" line keeps the error's first line; the traceback is a fenced block under its part."""
    markdown = (fake_run.folder / "report.md").read_text(encoding="utf-8")
    section = markdown[markdown.index('<a id="fake-raising"></a>'):]
    section = section[:section.index("<a id=", 10)] if "<a id=" in section[10:] else section
    why = next(line for line in section.splitlines() if line.startswith("- **Why:**"))
    assert "Traceback" not in why
    assert "ZeroDivisionError" in why
    block = section[section.index("```\n"):]
    assert "Traceback (most recent call last):" in block.split("```")[1]
    assert 'raising.py", line' in block.split("```")[1]
