"""The report id and its check: claim and definition digests, what the id ignores, `report --check`, `rerun`."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import CORE_FAKES, ROOT, SLOW_FAKES

from kexue_verify import FalseVariant, LoadOptions, ModelSpec, RunConfig, load, run
from kexue_verify.reports import check_report, report_id
from kexue_verify.reports.identity import code_digest, definition_digest
from kexue_verify.reports.rerun import compare_entries, rerun

SELECTION = ["fake.good-sum", "fake.doubles"]


@pytest.fixture(scope="module")
def fakes():
    return load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))


def fresh_report(loaded, patterns=SELECTION, seed: int = 0) -> dict[str, Any]:
    return run(patterns, config=RunConfig(seed=seed, in_process=True), loaded=loaded).report


@pytest.fixture(scope="module")
def report(fakes) -> dict[str, Any]:
    return fresh_report(fakes)


def entry(report: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(e for e in report["claims"] if e["id"] == case_id)


# --- digests ---------------------------------------------------------------------------------------------------------

def test_every_claim_carries_its_digests_and_a_fresh_report_checks(report) -> None:
    assert [e["id"] for e in report["claims"]] == ["fake.doubles[doubler-a]", "fake.doubles[doubler-b]",
                                                   "fake.good-sum"]
    for e in report["claims"]:
        assert len(e["digest"]) == len(e["definition_digest"]) == 64
    assert set(report["digests"]) == {"tool", "environment", "summary", "sources", "plugins"}
    assert check_report(report) == []
    assert report_id(report) == report["report_id"]


@pytest.mark.parametrize(("change", "named"), [
    (lambda r: entry(r, "fake.good-sum").update(verdict="refuted"), "claim fake.good-sum"),
    (lambda r: entry(r, "fake.good-sum")["numeric"]["evidence"][0]["quantities"].update(n=41), "claim fake.good-sum"),
    (lambda r: entry(r, "fake.doubles[doubler-b]")["false_variants"][0].update(verdict="verified"),
     "claim fake.doubles[doubler-b]"),
    (lambda r: r["environment"].update(seed=7), "environment"),
    (lambda r: r["environment"]["packages"].update(torch="9.9"), "environment"),
    (lambda r: r["summary"].update(as_expected=0), "summary"),
    (lambda r: r["sources"][0].update(title="Another title"), "sources"),
    (lambda r: r["plugins"].append({"name": "x", "origin": "core", "version": None}), "plugins"),
    (lambda r: r.update(report_id="kv-00000000000000000000"), "report_id"),
    (lambda r: r["claims"].pop(), "summary"),
])
def test_check_names_what_was_altered(report, change, named: str) -> None:
    altered = copy.deepcopy(report)
    change(altered)
    problems = check_report(altered)
    assert any(p.startswith(named) for p in problems), problems
    assert any(p.startswith("report_id") for p in problems) or named == "report_id"


def test_a_verdict_flipped_and_its_digest_recomputed_still_breaks_the_summary_and_the_id(report) -> None:
    from kexue_verify.reports.identity import claim_digest

    altered = copy.deepcopy(report)
    e = entry(altered, "fake.good-sum")
    e.update(verdict="verified", expected="refuted")  # as_expected now contradicts the verdicts
    e["digest"] = claim_digest(e)
    problems = check_report(altered)
    assert any("as_expected is True" in p for p in problems)
    assert any(p.startswith("report_id") for p in problems)


def test_the_id_ignores_plugins_that_contributed_nothing(fakes) -> None:
    wider = load(LoadOptions(dirs=(str(CORE_FAKES), str(SLOW_FAKES)), only=()))
    assert len(wider.plugins) > len(fakes.plugins)
    narrow_report, wide_report = fresh_report(fakes, ["fake.good-sum"]), fresh_report(wider, ["fake.good-sum"])
    assert [p["name"] for p in narrow_report["plugins"]] == ["good"]
    assert wide_report["plugins"] == narrow_report["plugins"]
    assert wide_report["report_id"] == narrow_report["report_id"]


def test_the_id_is_the_same_for_the_same_cases_however_selected(fakes) -> None:
    by_id, by_label = fresh_report(fakes, ["fake.good-sum"]), fresh_report(fakes, ["FK-1"])
    assert by_id["selection"] != by_label["selection"]
    assert by_id["report_id"] == by_label["report_id"]


def test_definition_digest_covers_statement_variants_model_and_check_code(fakes) -> None:
    claim = fakes.claims["fake.good-sum"]
    base = definition_digest(claim)
    assert definition_digest(claim) == base
    other_module = fakes.claims["fake.post-typo"]
    changes = [
        dataclasses.replace(claim, statement=claim.statement + r"\,"),
        dataclasses.replace(claim, assertion={"offset": 1, "divisor": 2.0}),
        dataclasses.replace(claim, false_variants=claim.false_variants[:1]),
        dataclasses.replace(claim, false_variants=(
            dataclasses.replace(claim.false_variants[0], description="n(n-1)/3"), *claim.false_variants[1:])),
        dataclasses.replace(claim, numeric=other_module.numeric or other_module.symbolic),
        dataclasses.replace(claim, expected="refuted"),
    ]
    digests = [definition_digest(c) for c in changes]
    assert base not in digests
    assert len(set(digests)) == len(digests)
    model = fakes.models["doubler-a"]
    doubles = fakes.claims["fake.doubles"]
    assert definition_digest(doubles, model) != definition_digest(doubles, fakes.models["doubler-b"])
    declared = ModelSpec(name=model.name, kind=model.kind, factory=model.factory, declared={"factor": 3.0})
    assert definition_digest(doubles, model) != definition_digest(doubles, declared)
    buggy = FalseVariant(name="v", description="d", model="kexue_verify_plugins.flows.buggy:make_doubled_logdet")
    assert definition_digest(dataclasses.replace(doubles, false_variants=(buggy,))) != definition_digest(doubles)


def test_code_digest_reads_the_source_file_and_imports_nothing(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import sys
        from kexue_verify.reports.identity import code_digest
        digest = code_digest("kexue_verify_plugins.lipschitz.checks.declared:declared_bound_numeric")
        print(digest, "torch" in sys.modules, "kexue_verify_plugins.lipschitz.checks.declared" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path)
    digest, torch_loaded, module_loaded = out.stdout.split()
    assert (torch_loaded, module_loaded) == ("False", "False")
    import hashlib

    source = (ROOT / "kexue_verify_plugins" / "lipschitz" / "checks" / "declared.py").read_bytes()
    assert digest == hashlib.sha256(source.replace(b"\r\n", b"\n")).hexdigest()


def test_code_digest_of_a_callable_is_its_module_file() -> None:
    from kexue_verify.reports import identity

    digest = code_digest(identity.code_digest)
    import hashlib

    assert digest == hashlib.sha256(Path(identity.__file__).read_bytes().replace(b"\r\n", b"\n")).hexdigest()
    assert code_digest(None) is None
    assert code_digest("no_such_module_anywhere:f") == code_digest("no_such_module_anywhere:f")  # the name stands in


# --- surrogates and characters XML forbids ---------------------------------------------------------------------------

BAD_TEXT_PLUGIN = '''
from kexue_verify import Claim, Evidence, FalseVariant, Outcome, Source, hookimpl

SOURCE = Source(title="Bad text", author="Tester, Alice", date="2021", url="https://example.org/bad")


def numeric(ctx, a):
    if a == "raise":
        raise ValueError("cannot decode \\udcff and \\x00 here")
    return [Evidence(name="note with \\udcff", outcome=Outcome.PASS, note="file name b'\\udcff' and NUL \\x00",
                     quantities={"path\\udcff": "x\\x1b"})]


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="bad.text", title="Odd characters \\udcff", statement="x = x", source=SOURCE,
                       assertion="ok", numeric=numeric,
                       false_variants=(FalseVariant(name="raises", description="\\x00 raises", assertion="raise"),)))
'''


@pytest.fixture
def bad_text(tmp_path: Path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "bad_text.py").write_text(BAD_TEXT_PLUGIN, encoding="utf-8")
    return load(LoadOptions(dirs=(str(folder),), only=()))


def test_a_lone_surrogate_does_not_crash_the_run_and_every_report_is_written(bad_text, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from kexue_verify.reports.writers import write_html, write_json, write_junit, write_markdown

    report = fresh_report(bad_text, ["bad.text"])
    assert check_report(report) == []
    e = report["claims"][0]
    assert e["verdict"] == "error"  # the variant's check raised: an error, never a pass
    assert r"\udcff" in e["title"]
    assert r"\udcff" in e["false_variants"][0]["numeric"]["error"]
    for writer, name in ((write_json, "r.json"), (write_markdown, "r.md"), (write_html, "r.html"),
                         (write_junit, "r.xml")):
        writer(report, tmp_path / name)
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "\udcff" not in text
        assert "\x00" not in text or name == "r.json"
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["report_id"] == report["report_id"]
    root = ET.parse(tmp_path / "r.xml").getroot()  # well-formed
    assert root.find("testcase").get("name") == "bad.text"
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert r"cannot decode \udcff and \x00 here" in page  # both escapes visible in the variant's error


def test_junit_with_forbidden_characters_is_well_formed(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from test_reports import golden_report

    from kexue_verify.reports.writers import write_junit

    report = golden_report()
    hang = entry(report, "demo.hang")
    hang["message"] = "NUL \x00, bell \x07, ESC \x1b, \ufffe, vertical tab \x0b, fine: é π 😀"
    hang["family"] = "fam\x00ily"
    write_junit(report, tmp_path / "j.xml")
    raw = (tmp_path / "j.xml").read_bytes()
    assert not any(b in raw for b in (b"\x00", b"\x07", b"\x1b", b"\x0b"))
    root = ET.fromstring(raw)
    case = next(c for c in root.iter("testcase") if c.get("name") == "demo.hang")
    message = case.find("error").get("message")
    assert r"NUL \x00, bell \x07, ESC \x1b, \ufffe, vertical tab \x0b, fine: é π 😀" in message
    assert case.get("classname") == r"fam\x00ily"


# --- rerun -----------------------------------------------------------------------------------------------------------

def test_rerun_reproduces_every_verdict_and_digest(fakes, report) -> None:
    outcome = rerun(report, loaded=fakes, in_process=True)
    assert [c.status for c in outcome.cases] == ["reproduced"] * 3
    assert outcome.reproduced
    assert outcome.new_id == report["report_id"]


def test_rerun_says_what_differs(fakes, report) -> None:
    changed = load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))
    claim = changed.claims["fake.good-sum"]
    changed.claims._items["fake.good-sum"] = dataclasses.replace(
        claim, false_variants=(*claim.false_variants, FalseVariant(name="same", description="the claim itself",
                                                                   assertion=claim.assertion)))
    outcome = rerun(report, loaded=changed, in_process=True)
    by_id = {c.case_id: c for c in outcome.cases}
    assert by_id["fake.doubles[doubler-a]"].reproduced
    good = by_id["fake.good-sum"]
    assert good.status == "differs"
    assert any("definition changed" in d for d in good.details)
    assert any("verdict verified then, inconclusive now" in d for d in good.details)
    assert any("false variant same: absent then, verified now" in d for d in good.details)
    assert not outcome.reproduced
    assert outcome.new_id != report["report_id"]


def test_rerun_names_a_case_that_no_longer_exists(report, tmp_path: Path) -> None:
    (tmp_path / "good.py").write_bytes((CORE_FAKES / "good.py").read_bytes())
    only_good = load(LoadOptions(dirs=(str(tmp_path),), only=()))
    outcome = rerun(report, loaded=only_good, in_process=True)
    assert {c.case_id: c.status for c in outcome.cases} == {"fake.doubles[doubler-a]": "missing",
                                                            "fake.doubles[doubler-b]": "missing",
                                                            "fake.good-sum": "reproduced"}
    assert not outcome.reproduced


def test_compare_entries_tells_evidence_from_verdicts(report) -> None:
    old = entry(report, "fake.good-sum")
    new = copy.deepcopy(old)
    new["message"], new["digest"] = "another message", "0" * 64
    assert compare_entries(old, new).details == (
        "same verdicts, but the evidence (a measured number, a message) differs",)


# --- the CLI ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def written(invoke, tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    result = invoke("run", "fake.good-sum", "--in-process", "-q", "-o", path)
    assert result.exit_code == 0, result.output
    return path


def test_report_check_passes_an_intact_report(invoke, written: Path) -> None:
    result = invoke("report", "--check", written)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_report_check_fails_naming_the_altered_claim(invoke, written: Path) -> None:
    data = json.loads(written.read_text(encoding="utf-8"))
    data["claims"][0]["false_variants"][0]["verdict"] = "verified"
    written.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("report", "--check", written)
    assert result.exit_code == 1
    assert "altered: claim fake.good-sum: its content does not match its digest" in result.output
    assert "altered: report_id" in result.output


def test_report_without_output_or_check_is_a_usage_error(invoke, written: Path) -> None:
    result = invoke("report", written)
    assert result.exit_code == 2
    assert "-o report.html" in result.output
    assert "--check" in result.output


def test_cite_refuses_an_altered_report(invoke, written: Path) -> None:
    data = json.loads(written.read_text(encoding="utf-8"))
    data["claims"][0]["verdict"] = "refuted"
    written.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("cite", written)
    assert result.exit_code == 2
    assert "was altered after it was written, so it cannot be cited" in result.output
    assert "claim fake.good-sum" in result.output
    assert "@online" not in result.output


def test_cite_prints_the_url_where_the_report_is_published(invoke, written: Path) -> None:
    result = invoke("cite", written, "--url", "https://example.org/supplement/report.html")
    assert result.exit_code == 0, result.output
    assert "url          = {https://example.org/supplement/report.html}," in result.output


def test_rerun_command_reproduces_and_exits_zero(invoke, written: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    result = invoke("rerun", written, "--in-process", "-o", again)
    assert result.exit_code == 0, result.output
    assert "reproduced  fake.good-sum" in result.output
    assert "1 of 1 cases reproduced" in result.output
    assert json.loads(again.read_text(encoding="utf-8"))["report_id"] == json.loads(
        written.read_text(encoding="utf-8"))["report_id"]


def test_rerun_command_exits_one_when_a_case_is_missing(invoke, written: Path) -> None:
    result = invoke("rerun", written, "--in-process", plugins=())
    assert result.exit_code == 1
    assert "missing     fake.good-sum" in result.output


def test_the_id_does_not_depend_on_where_python_put_the_objects(fakes) -> None:
    """A false variant's buggy model is a function: its name in the evidence must not be a repr with an address."""
    again = load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))
    first, second = fresh_report(fakes, ["fake.doubles"]), fresh_report(again, ["fake.doubles"])
    method = first["claims"][0]["false_variants"][0]["numeric"]["evidence"][0]["method"]
    assert " at 0x" not in method
    assert method.endswith(":make_buggy")
    assert first["report_id"] == second["report_id"]


def test_an_interrupted_report_checks_and_its_interruption_is_covered() -> None:
    from test_reports import golden_report

    from kexue_verify.reports import seal

    report = golden_report()
    report["interrupted"] = {"signal": "SIGINT", "completed": 5, "planned": 7, "not_run": ["demo.x", "demo.y"]}
    seal(report)
    assert "interrupted" in report["digests"]
    assert check_report(report) == []
    assert report["report_id"] != golden_report()["report_id"]
    report["interrupted"]["not_run"] = []
    assert any(p.startswith("interrupted") for p in check_report(report))
