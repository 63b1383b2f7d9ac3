"""The ``kexue-verify`` command: every subcommand, exit codes, usage errors, progress lines, and start-up cost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BROKEN_FAKES, CORE_FAKES, FAKE_VERDICTS, MODULE_FAKES

from kexue_verify.cli import cli

VERDICT_LINE = re.compile(r"^(verified|refuted|inconclusive|error|timeout|skipped) +(\S+)(  \(expected (\w+)\))?"
                          r"  \[\d+\.\d\ds\]$")
SUMMARY_LINE = re.compile(r"^(\d+) of (\d+) as expected \((.*)\); report (kv-[0-9a-f]{20})$")


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- list and show --------------------------------------------------------------------------------------------------

def test_list_prints_one_line_per_claim(invoke) -> None:
    result = invoke("list")
    assert result.exit_code == 0
    rows = lines(result.stdout)
    assert [row.split()[0] for row in rows] == ["fake.doubles", "fake.failing-squares", "fake.good-sum", "fake.nan",
                                                "fake.orphan", "fake.post-typo", "fake.raising", "fake.seeded",
                                                "fake.weak"]
    good = next(row for row in rows if row.startswith("fake.good-sum"))
    assert good.split()[1:3] == ["FK-1", "verified"]
    assert "[each fake-doubler]" in rows[0]
    assert result.stderr.strip() == "9 claims, 10 cases (see `list --cases`)"


def test_list_json_is_a_machine_readable_array(invoke) -> None:
    result = invoke("list", "--json")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    good = next(i for i in items if i["id"] == "fake.good-sum")
    assert {k: good[k] for k in ("id", "label", "family", "title")} == {
        "id": "fake.good-sum", "label": "FK-1", "family": "fake", "title": "Gauss's sum of the first n integers"}
    assert good["source"] == {"title": "Fake sums for testing", "author": "Tester, Alice", "date": "2020-01-02",
                              "url": "https://example.org/sums", "section": "Gauss"}
    assert good["false_variants"] == [{"name": "offset-minus-one", "description": "n(n-1)/2"},
                                      {"name": "no-halving", "description": "n(n+1)"}]


@pytest.mark.parametrize(("args", "ids"), [
    (["fake.good-sum", "FK-2"], ["fake.good-sum", "fake.post-typo"]),
    (["fake.d*"], ["fake.doubles"]),
    (["-k", "sum and not squares"], ["fake.good-sum"]),
    (["--tag", "exact"], ["fake.good-sum"]),
])
def test_list_selects_like_run(invoke, args: list[str], ids: list[str]) -> None:
    assert [i["id"] for i in json.loads(invoke("list", "--json", *args).stdout)] == ids


def test_show_prints_statement_source_checks_and_false_variants(invoke) -> None:
    result = invoke("show", "FK-1")
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("fake.good-sum  (FK-1)\n")
    for fragment in (r"statement: \sum_{k=1}^{n} k = \frac{n(n+1)}{2}",
                     "source:    Tester, Alice, “Fake sums for testing”, 2020-01-02, https://example.org/sums, Gauss",
                     "expected:  verified", "checks:    symbolic, numeric", "tags:      sums, exact",
                     "plugin:    good", "- offset-minus-one: n(n-1)/2", "- no-halving: n(n+1)"):
        assert fragment in text


def test_show_lists_the_models_a_claim_runs_on(invoke) -> None:
    assert "runs on:   every 'fake-doubler' model: doubler-a, doubler-b" in invoke("show", "fake.doubles").stdout
    assert "every 'fake-nothing' model: (none registered)" in invoke("show", "fake.orphan").stdout


# --- run: exit codes and progress -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("claims", "code"), [
    (["fake.good-sum", "fake.post-typo", "fake.doubles"], 0),   # verified, refuted as expected, on both models
    (["fake.failing-squares"], 1),                               # refuted but expected verified
    (["fake.weak"], 1),                                          # inconclusive
    (["fake.orphan"], 1),                                        # inconclusive: no model of its kind
    (["fake.raising"], 3),
    (["fake.nan"], 3),
    (["fake.failing-squares", "fake.raising"], 3),               # an error outranks a wrong verdict
    (["-k", "good or typo"], 0),
])
def test_run_exit_codes(invoke, claims: list[str], code: int) -> None:
    result = invoke("run", *claims, "--in-process")
    assert result.exit_code == code, result.output


def test_run_prints_one_line_per_claim_and_a_summary_when_not_a_tty(fake_run) -> None:
    out = lines(fake_run.result.stdout)
    why = next(i for i, line in enumerate(out) if " not as expected " in line)  # then why, case by case
    seen = {}
    for line in out[:why]:
        match = VERDICT_LINE.match(line)
        assert match, f"not a progress line: {line!r}"
        seen[match.group(2)] = match.group(1)
        assert (match.group(3) is None) == (match.group(2) in ("fake.good-sum", "fake.seeded", "fake.post-typo",
                                                               "fake.doubles[doubler-a]", "fake.doubles[doubler-b]"))
    assert seen == FAKE_VERDICTS
    summary = SUMMARY_LINE.match(out[-1])
    assert summary, out[-1]
    assert summary.group(1, 2) == ("5", "12")
    assert summary.group(3) == "4 verified, 2 refuted, 2 inconclusive, 3 error, 1 timeout"
    assert summary.group(4) == fake_run.report["report_id"]


def test_run_tells_stderr_what_was_written_and_what_went_wrong(fake_run) -> None:
    err = fake_run.result.stderr
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        assert f"wrote {fake_run.folder / name}" in err
    assert "not as expected: slow.hang" in err
    assert "not as expected: fake.good-sum" not in err


def test_run_writes_every_requested_format(fake_run) -> None:
    folder, report = fake_run.folder, fake_run.report
    assert sorted(p.name for p in folder.iterdir()) == ["junit.xml", "report.html", "report.json", "report.md"]
    assert report["report_id"] in (folder / "report.md").read_text(encoding="utf-8")
    assert report["report_id"] in (folder / "report.html").read_text(encoding="utf-8")
    suite = ET.parse(folder / "junit.xml").getroot()
    assert len(suite.findall("testcase")) == 12
    assert (suite.get("failures"), suite.get("errors")) == ("3", "4")


def test_run_on_a_terminal_shows_a_progress_bar_and_still_names_each_claim(invoke,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from kexue_verify import terminal

    plain_init = terminal.TerminalReporter.__init__

    def on_a_terminal(self, **kwargs) -> None:
        plain_init(self, **kwargs)
        self.tty = True

    monkeypatch.setattr(terminal.TerminalReporter, "__init__", on_a_terminal)
    result = invoke("run", "fake.good-sum", "fake.post-typo", "--in-process")
    assert result.exit_code == 0, result.output
    assert "verified     fake.good-sum" in result.output
    assert "refuted      fake.post-typo" in result.output
    assert SUMMARY_LINE.match(lines(result.stdout)[-1])


def test_run_quiet_prints_only_the_summary(invoke) -> None:
    result = invoke("run", "fake.good-sum", "--in-process", "-q")
    assert [SUMMARY_LINE.match(line) is not None for line in lines(result.stdout)] == [True]


def test_run_device_cuda_without_cuda_is_skipped_not_failed(invoke) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = invoke("run", "fake.good-sum", "--device", "cuda", "--in-process")
    assert result.exit_code == 4  # nothing was checked, which is not a success
    assert lines(result.stdout)[0].startswith("skipped      fake.good-sum  (expected verified)")
    assert "(1 skipped)" in result.stdout


def test_run_device_auto_and_dtype_reach_the_checks(invoke, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = invoke("run", "fake.good-sum", "--device", "auto", "--dtype", "float32", "--seed", "7", "--in-process",
                    "-o", out)
    assert result.exit_code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    torch = pytest.importorskip("torch")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    assert (report["environment"]["device"], report["environment"]["dtype"], report["environment"]["seed"]) == (
        device, "float32", 7)
    assert report["claims"][0]["numeric"]["evidence"][0]["quantities"]["dtype"] == "float32"


def test_run_a_plugin_module_and_a_plugin_report_format(invoke, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(MODULE_FAKES))
    out = tmp_path / "verdicts.csv"
    result = invoke("run", "cmdline.square", "--in-process", "-p", "kv_fake_cmdline", "-p", "kv_fake_builtins.beta",
                    "-o", out, plugins=())
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == "id,verdict\ncmdline.square,verified\n"


# --- usage errors: exit 2, one line, no traceback -------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["run", "fake.good-summ"], "Error: no claim matches 'fake.good-summ'; did you mean fake.good-sum"),
    (["run"], "Error: say what to run: `kexue-verify run all`, a claim id, a family, or -k EXPR"),
    (["run", "all", "-o", "report.txt"], "Error: -o report.txt: no report writer for '.txt'; use one of .html, "
                                         ".json, .md, .xml"),
    (["run", "all", "-o", "report"], "Error: -o report: no report writer for '(no extension)'"),
    (["run", "all", "-k", "good and"], "Error: -k 'good and': expected a word or '(' at position 3"),
    (["run", "all", "-k", "nothing-like-this"], "Error: -k 'nothing-like-this' leaves no claim to run"),
    (["run", "all", "--tag", "no-such-tag"], "Error: --tag 'no-such-tag' leaves no claim to run"),
    (["run", "fake.doubles[doubler-z]"], "Error: no case matches 'fake.doubles[doubler-z]'; did you mean"),
    (["run", "all", "--bogus"], "Error: No such option '--bogus'"),
    (["run", "all", "--dtype", "float16"], "Error: Invalid value for '--dtype'"),
    (["run", "all", "-j", "0"], "Error: Invalid value for '-j' / '--jobs'"),
    (["run", "all", "--timeout", "0"], "Error: Invalid value for '--timeout'"),
    (["show", "fake.nope"], "Error: no claim matches 'fake.nope'; did you mean"),
    (["list", "nothing-like-this"], "Error: no claim matches 'nothing-like-this'"),
    (["cite", "missing.json"], "Error: missing.json: no such file"),
    (["report", "missing.json", "-o", "x.md"], "Error: missing.json: no such file"),
    (["report", "missing.json"], "Error: say what to do with the report: -o report.html (repeatable) and/or --check"),
    (["rerun", "missing.json"], "Error: missing.json: no such file"),
    (["frobnicate"], "Error: No such command 'frobnicate'"),
    (["list", "--plugins-dir", "no/such/folder"], "Error: --plugins-dir no/such/folder: no such folder"),
])
def test_usage_errors_exit_2_with_one_error_line(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(message), result.output
    assert "Traceback" not in result.output
    assert not VERDICT_LINE.match(result.stdout.split("\n")[0])  # nothing was run
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_strict_plugins_turns_a_broken_plugin_into_a_usage_error(invoke) -> None:
    result = invoke("list", "--strict-plugins", plugins=(CORE_FAKES, BROKEN_FAKES))
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: plugin 'broken_import' (plugins-dir): failed to import: "
                                            "ModuleNotFoundError")


def test_broken_plugins_are_warnings_without_strict(invoke) -> None:
    result = invoke("list", plugins=(CORE_FAKES, BROKEN_FAKES))
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split("'")[1] for w in warnings] == ["broken_import", "duplicate", "hook_raises", "misspelt"]
    assert "fake.good-sum" in result.stdout


def test_reading_a_file_that_is_not_a_report(invoke, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"a": 1}')
    result = invoke("cite", tmp_path / "x.json")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: {tmp_path / 'x.json'} is not a kexue-verify report "
                                     "(no schema_version/claims)")


# --- plugins, cite, report ------------------------------------------------------------------------------------------

def test_plugins_table_shows_version_origin_and_what_was_registered(invoke) -> None:
    from kexue_verify import __version__

    result = invoke("plugins", plugins=(CORE_FAKES, BROKEN_FAKES))
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in lines(result.stdout)}
    assert rows["writers"].split()[1:3] == [__version__, "core"]
    assert rows["doublers"].endswith("1 claims, 1 models, 0 report formats")
    assert rows["writers"].endswith("0 claims, 0 models, 4 report formats")
    assert "plugins-dir" in rows["good"]
    assert "FAILED: failed to import: ModuleNotFoundError" in rows["broken_import"]


def test_plugins_json(invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(MODULE_FAKES))
    result = invoke("plugins", "--json", "-p", "kv_fake_cmdline")
    infos = {p["name"]: p for p in json.loads(result.stdout)}
    assert infos["kv_fake_cmdline"] == {"name": "kv_fake_cmdline", "origin": "command-line",
                                        "module": "kv_fake_cmdline", "version": "0.7.1",
                                        "claims": ["cmdline.square"], "models": [], "reporters": [], "error": None}
    assert infos["more_doublers"]["models"] == ["doubler-b"]
    assert infos["writers"]["reporters"] == [".json", ".md", ".html", ".xml"]


def test_cite_prints_bibtex_for_the_report_and_each_source(invoke, fake_run) -> None:
    result = invoke("cite", fake_run.folder / "report.json")
    assert result.exit_code == 0
    bib, report = result.stdout, fake_run.report
    assert bib.startswith(f"@online{{{report['report_id']},")
    urls = sorted({e["source"]["url"] for e in report["claims"]})
    assert bib.count("@online{") == len(urls) + 1 == 6
    for url in urls:
        assert f"url          = {{{url}}}," in bib


def test_report_rerenders_a_json_report_identically(invoke, fake_run, tmp_path: Path) -> None:
    result = invoke("report", fake_run.folder / "report.json", "-o", tmp_path / "again.md", "-o", tmp_path / "j.xml")
    assert result.exit_code == 0
    assert (tmp_path / "again.md").read_text(encoding="utf-8") == (fake_run.folder / "report.md").read_text(
        encoding="utf-8")
    assert (tmp_path / "j.xml").read_bytes() == (fake_run.folder / "junit.xml").read_bytes()


@pytest.mark.parametrize("command", [[], ["list"], ["run"], ["show"], ["plugins"], ["cite"], ["report"], ["prove"],
                                     ["new-plugin"], ["rerun"]])
def test_help_has_examples(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "kexue-verify" in result.output


def test_version() -> None:
    from kexue_verify import __version__

    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.strip() == f"kexue-verify, version {__version__}"


# --- the built-in reference claim -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_builtin_stirling_formula_is_verified_with_its_false_variants_refuted(tmp_path: Path) -> None:
    out = tmp_path / "st1.json"
    result = CliRunner().invoke(cli, ["run", "stirling.formula", "--in-process", "-o", str(out)],
                                env={"KEXUE_VERIFY_PLUGINS": "stirling"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(out.read_text(encoding="utf-8"))["claims"]
    assert (entry["id"], entry["label"], entry["verdict"]) == ("stirling.formula", "ST-1", "verified")
    assert entry["symbolic"]["outcome"] == entry["numeric"]["outcome"] == "pass"
    variants = entry["false_variants"]
    assert len(variants) == 3
    assert [v["verdict"] for v in variants] == ["refuted"] * 3


# --- start-up cost: list, show and --help must not import torch or sympy --------------------------------------------

HEAVY_PROBE = """
import sys
from kexue_verify.cli import main
try:
    main({argv!r})
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
heavy = sorted(m for m in ("torch", "sympy") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.parametrize("argv", [["list"], ["list", "--json"], ["list", "--cases"], ["show", "stirling.formula"],
                                  ["--help"], ["run", "--help"], ["plugins"], ["prove", "--list"]])
def test_light_commands_import_neither_torch_nor_sympy(argv: list[str], tmp_path: Path) -> None:
    probe = subprocess.run([sys.executable, "-c", HEAVY_PROBE.format(argv=argv)], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60, check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().splitlines()[-1] == "HEAVY=", f"{argv} imported {probe.stdout.splitlines()[-1]}"


def test_importing_the_package_is_light(tmp_path: Path) -> None:
    code = ("import sys, kexue_verify, kexue_verify.cli\n"
            "print(sorted(m for m in ('torch', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_list_is_fast(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("kexue-verify")
    command = [str(script), "list"] if script.exists() else [sys.executable, "-m", "kexue_verify", "list"]
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, cwd=tmp_path, timeout=60, check=True)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    print(f"`kexue-verify list` took {best:.3f} s (goal < 0.5 s)")
    assert best < 2.0, f"`kexue-verify list` took {best:.2f} s; something heavy is imported at start-up"


def test_python_dash_m_is_the_same_command(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "kexue_verify", "--help"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=60, check=True)
    assert "Usage: kexue-verify" in out.stdout
