"""Hostile or broken input gives one clear line and the right exit code; nothing a run measured is lost.

Plugins that exit or half-register, unknown plugin names, names that shadow real packages, binary and
truncated report or proof files, checks that print megabytes, NaN in any numeric type, output paths
that cannot be written, and checks that change the working directory.
"""

from __future__ import annotations

import decimal
import json
import os
import textwrap
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch

from kexue_verify import Evidence, LoadOptions, Outcome, PluginError, UsageError, holds, load
from kexue_verify.plugins import ENV_PLUGINS
from kexue_verify.workers import ENV_WORKER_START

HEADER = '''
from kexue_verify import Claim, FalseVariant, Source, holds, hookimpl

SOURCE = Source(title="T", author="Tester, Fay", date="2024", url="https://example.org/t")


def claim(cid, check=lambda ctx, a: holds("ok", a["ok"])):
    return Claim(id=cid, title=cid, statement="s", source=SOURCE, assertion={"ok": True}, numeric=check,
                 false_variants=(FalseVariant(name="bad", description="d", assertion={"ok": False}),))
'''


def plugin_dir(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    for name, body in files.items():
        (folder / f"{name}.py").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return folder


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


# --------------------------------------------------------------------------------------------
# Plugins
# --------------------------------------------------------------------------------------------

EXITS_AT_IMPORT = """
import sys
sys.exit(0)
"""

EXITS_IN_HOOK = """
import sys

@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("exiter.first"))
    sys.exit(3)
"""

REPORTER_THEN_FAILS = """
@hookimpl
def kexue_register_reporters(registry):
    registry.add(".csv", lambda report, path: path.write_text("x"))

@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("halfway.kept-before-the-failure"))
    raise RuntimeError("claims hook fails")
"""

MODELS_FAIL = """
@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("modelfail.claim"))

@hookimpl
def kexue_register_models(registry):
    raise RuntimeError("models hook fails")
"""

GOOD = """
@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("good.claim"))
"""


@pytest.mark.parametrize("body", [EXITS_AT_IMPORT, EXITS_IN_HOOK], ids=["at-import", "in-hook"])
def test_a_plugin_calling_sys_exit_is_a_plugin_failure(body: str, tmp_path: Path, invoke) -> None:
    folder = plugin_dir(tmp_path, exiter=body, good=GOOD)
    loaded = load(LoadOptions(dirs=(str(folder),), only=()))
    info = next(p for p in loaded.plugins if p.name == "exiter")
    assert "sys.exit(" in info.error
    assert "exiter.first" not in loaded.claims
    assert "good.claim" in loaded.claims
    with pytest.raises(PluginError, match=r"sys\.exit"):
        load(LoadOptions(dirs=(str(folder),), only=(), strict=True))
    result = invoke("run", "all", "--in-process", "--strict-plugins", plugins=(folder,))
    one_line_error(result, "exiter", "sys.exit(")
    result = invoke("run", "all", "--in-process", "-q", plugins=(folder,))
    assert result.exit_code == 0
    assert "1 of 1 as expected" in result.output


def test_everything_a_failed_plugin_registered_is_rolled_back(tmp_path: Path, invoke) -> None:
    folder = plugin_dir(tmp_path, halfway=REPORTER_THEN_FAILS, modelfail=MODELS_FAIL, good=GOOD)
    loaded = load(LoadOptions(dirs=(str(folder),), only=()))
    problems = {p.name: p for p in loaded.problems}
    assert set(problems) == {"halfway", "modelfail"}
    assert ".csv" not in loaded.reporters.ids()
    assert "halfway.kept-before-the-failure" not in loaded.claims
    assert "modelfail.claim" not in loaded.claims
    assert problems["halfway"].reporters == []
    assert problems["modelfail"].claims == []
    assert not loaded.manager.has_plugin("halfway")
    result = invoke("run", "all", "--in-process", "-o", tmp_path / "out.csv", plugins=(folder,))
    assert result.exit_code == 2
    assert "no report writer for '.csv'" in result.output


def test_an_unknown_command_line_module_is_a_usage_error(tmp_path: Path, invoke) -> None:
    result = invoke("run", "all", "-p", "kv_no_such_plugin_module", plugins=())
    one_line_error(result, "-p kv_no_such_plugin_module", "no module named")
    with pytest.raises(UsageError, match="kv_no_such_plugin_module"):
        load(LoadOptions(modules=("kv_no_such_plugin_module",), only=()))


def test_an_unknown_name_in_the_environment_list_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match=r"'stirlng'.*did you mean 'stirling'"):
        load(LoadOptions(only=("stirlng",)))
    from click.testing import CliRunner

    from kexue_verify.cli import cli

    result = CliRunner().invoke(cli, ["list"], env={ENV_PLUGINS: "stirling,flws"})
    one_line_error(result, ENV_PLUGINS, "'flws'")


MISMATCH = """
import multiprocessing

@hookimpl
def kexue_register_claims(registry):
    if multiprocessing.parent_process() is None:  # only in the process that plans the run
        registry.add(claim("mismatch.parent-only"))
    registry.add(claim("mismatch.everywhere"))
"""


@pytest.mark.slow
def test_a_claim_the_worker_does_not_register_is_named_as_the_cause(
        tmp_path: Path, invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a spawned worker, which registers the plugins' claims again (a forked one has its parent's)."""
    monkeypatch.setenv(ENV_WORKER_START, "spawn")
    folder = plugin_dir(tmp_path, mismatch=MISMATCH)
    report = tmp_path / "r.json"
    result = invoke("run", "all", "-j", "1", "-q", "-o", report, plugins=(folder,))
    assert result.exit_code == 3, result.output
    entries = {e["id"]: e for e in json.loads(report.read_text(encoding="utf-8"))["claims"]}
    assert entries["mismatch.everywhere"]["verdict"] == "verified"
    bad = entries["mismatch.parent-only"]
    assert bad["verdict"] == "error"
    assert "did not register claim 'mismatch.parent-only'" in bad["message"]
    assert "native code" not in bad["message"]


@pytest.mark.parametrize("name", ["torch", "numpy", "kexue-verify", "kexue_verify", "stirling", "Svd", "json",
                                  "pluggy", "scikit-learn"])
def test_new_plugin_refuses_names_that_shadow_real_packages(name: str, tmp_path: Path, invoke) -> None:
    result = invoke("new-plugin", name, "--dir", tmp_path)
    one_line_error(result, "shadow")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Bad input files
# --------------------------------------------------------------------------------------------


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
        "latin1": "caf\xe9 = 1".encode("latin-1"),
        "truncated": b'{"schema_version": "2.0", "claims": [{"id": "a',
        "no-summary": json.dumps({"schema_version": "2.0", "claims": []}).encode(),
        "bad-claim": json.dumps({"schema_version": "2.0", "report_id": "kv-0", "created": "2024", "tool": {},
                                 "environment": {}, "selection": {}, "summary": {"total": 1, "verdicts": {},
                                 "as_expected": 0, "unexpected": [], "exit_code": 0}, "claims": [{"id": "x"}],
                                 "sources": [], "plugins": []}).encode(),
    }
    out = {}
    for name, data in files.items():
        out[name] = tmp_path / f"{name}.json"
        out[name].write_bytes(data)
    return out


@pytest.mark.parametrize("kind", ["binary", "latin1", "truncated", "no-summary", "bad-claim"])
@pytest.mark.parametrize("command", ["report", "cite"])
def test_report_and_cite_on_a_bad_file_give_one_line_and_exit_2(command: str, kind: str, bad_files, invoke,
                                                                  tmp_path: Path) -> None:
    args = [command, bad_files[kind]] + (["-o", tmp_path / "out.md"] if command == "report" else [])
    result = invoke(*args)
    one_line_error(result, str(bad_files[kind]))
    assert " at at " not in result.output
    assert not (tmp_path / "out.md").exists()


@pytest.mark.parametrize("kind", ["binary", "latin1"])
def test_prove_on_a_binary_or_non_utf8_file_gives_one_line(kind: str, bad_files, invoke) -> None:
    one_line_error(invoke("prove", bad_files[kind]), str(bad_files[kind]), "not a proof document")


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "no derivation found"),
    ("# A page\n\nProse and $x^2$ only.\n", "no derivation found"),
    ("```derivaton wrong\nassume x: real\n  x\n= x + 1\n```\n", "'derivaton'"),
    ("```python\nx = 1\n```\n", "no derivation found"),
])
def test_prove_with_no_derivation_is_an_error(text: str, fragment: str, tmp_path: Path, invoke) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(text, encoding="utf-8")
    result = invoke("prove", doc)
    one_line_error(result, fragment)
    assert "hold" not in result.output


# --------------------------------------------------------------------------------------------
# What a check prints, NaN of every type
# --------------------------------------------------------------------------------------------

PRINTER = """
import os, sys

def loud(ctx, a):
    print("x" * 3_000_000)
    os.write(1, b"native stdout\\n")
    print("to stderr", file=sys.stderr)
    return holds("ok", a["ok"])

@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("loud.prints", loud))
"""


def test_what_a_check_prints_goes_into_the_report_truncated_with_its_size(tmp_path: Path, invoke, capfd) -> None:
    folder = plugin_dir(tmp_path, loud=PRINTER)
    report = tmp_path / "r.json"
    result = invoke("run", "all", "--in-process", "-q", "-o", report, plugins=(folder,))
    assert result.exit_code == 0, result.output[-500:]
    assert len(result.output) < 2_000
    captured = capfd.readouterr()
    assert len(captured.out) + len(captured.err) < 2_000  # in-process, native output stays on the terminal
    numeric = json.loads(report.read_text(encoding="utf-8"))["claims"][0]["numeric"]
    assert numeric["output"]["bytes"] == 3_000_001 + len("to stderr\n")
    assert numeric["output"]["truncated"] is True
    assert len(numeric["output"]["text"]) == 4096


@pytest.mark.slow
def test_a_worker_captures_native_output_as_well(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = plugin_dir(tmp_path, loud=PRINTER)
    env = {**os.environ, ENV_PLUGINS: "", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "kexue_verify", "run", "all", "-q", "-j", "1", "--plugins-dir",
                           str(folder), "-o", "r.json"], cwd=tmp_path, env=env, capture_output=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout) + len(done.stderr) < 2_000
    numeric = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["claims"][0]["numeric"]
    assert numeric["output"]["bytes"] == 3_000_001 + len("native stdout\n") + len("to stderr\n")


@pytest.mark.parametrize("value", [
    complex(1.0, float("nan")), complex(float("inf"), 0.0), np.complex128(complex(float("nan"), 1.0)),
    np.float32("nan"), np.array([1.0, float("nan")]), torch.tensor([1.0 + 0j, complex(0.0, float("inf"))]),
    torch.tensor(float("nan")), mpmath.mpf("nan"), mpmath.mpc(1, float("inf")), decimal.Decimal("NaN"),
    sp.nan, sp.zoo, sp.oo, [1.0, (2.0, complex(float("nan"), 0.0))],
], ids=lambda v: type(v).__name__)
def test_nan_or_inf_in_any_numeric_type_is_an_error(value) -> None:
    assert Evidence(name="e", outcome=Outcome.PASS, quantities={"v": value}).outcome is Outcome.ERROR
    assert Evidence(name="e", outcome=Outcome.PASS, expected=value).outcome is Outcome.ERROR
    assert holds("h", True, v=value).outcome is Outcome.ERROR


@pytest.mark.parametrize("value", [1.5, 2 + 3j, np.float64(2.0), torch.tensor([1.0, 2.0]), mpmath.mpf(3),
                                   decimal.Decimal("1.5"), sp.Rational(1, 3), sp.Symbol("x"), "NaN-like text"],
                         ids=lambda v: type(v).__name__)
def test_finite_values_of_every_type_still_pass(value) -> None:
    assert Evidence(name="e", outcome=Outcome.PASS, quantities={"v": value}).outcome is Outcome.PASS


# --------------------------------------------------------------------------------------------
# Output paths
# --------------------------------------------------------------------------------------------

MARKER = """
from pathlib import Path

def marks(ctx, a):
    Path({marker!r}).write_text("ran")
    return holds("ok", a["ok"])

@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("marker.runs", marks))
"""


@pytest.mark.parametrize("where", ["a-folder", "under-a-file", "twice"])
def test_bad_output_paths_are_refused_before_anything_runs(where: str, tmp_path: Path, invoke) -> None:
    marker = tmp_path / "ran"
    folder = plugin_dir(tmp_path, marker=MARKER.format(marker=str(marker)))
    (tmp_path / "a-file").write_text("")
    (tmp_path / "folder.json").mkdir()
    target = {"a-folder": [tmp_path / "folder.json"], "under-a-file": [tmp_path / "a-file" / "r.json"],
              "twice": [tmp_path / "r.json", tmp_path / "r.json"]}[where]
    args = [a for t in target for a in ("-o", t)]
    result = invoke("run", "all", "--in-process", *args, plugins=(folder,))
    one_line_error(result, "-o")
    assert not marker.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root may write anywhere")
def test_an_unwritable_output_folder_is_refused_before_anything_runs(tmp_path: Path, invoke) -> None:
    marker = tmp_path / "ran"
    folder = plugin_dir(tmp_path, marker=MARKER.format(marker=str(marker)))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = invoke("run", "all", "--in-process", "-o", locked / "r.json", plugins=(folder,))
    one_line_error(result, "cannot write")
    assert not marker.exists()


FAILING_WRITER = """
@hookimpl
def kexue_register_reporters(registry):
    def half(report, path):
        path.write_text("half a rep")
        raise OSError("disk full")
    registry.add(".half", half)

@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("writer.claim"))
"""


def test_a_failing_writer_leaves_the_previous_report_untouched(tmp_path: Path, invoke) -> None:
    folder = plugin_dir(tmp_path, writer=FAILING_WRITER)
    old = tmp_path / "r.half"
    old.write_text("the previous report")
    result = invoke("run", "all", "--in-process", "-o", old, "-o", tmp_path / "r.json", plugins=(folder,))
    assert result.exit_code == 2
    assert "disk full" in result.output
    assert old.read_text() == "the previous report"
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["total"] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


CHDIR = """
import os

def wanders(ctx, a):
    os.chdir({elsewhere!r})
    return holds("ok", a["ok"])

@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("chdir.wanders", wanders))
"""


def test_a_check_changing_directory_in_process_does_not_move_the_report(tmp_path: Path, invoke,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    folder = plugin_dir(tmp_path, chdir=CHDIR.format(elsewhere=str(elsewhere)))
    monkeypatch.chdir(home)
    result = invoke("run", "all", "--in-process", "-q", "-o", "report.md", "-o", "report.json", plugins=(folder,))
    assert result.exit_code == 0, result.output
    assert (home / "report.md").is_file()
    assert (home / "report.json").is_file()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(("signum", "code"), [(2, 130), (15, 143)])
def test_a_signal_outside_a_run_exits_128_plus_n_in_one_line(signum: int, code: int, monkeypatch, capsys) -> None:
    import signal

    from kexue_verify import cli as cli_module

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signum)
        raise AssertionError("the signal should have interrupted the command")

    monkeypatch.setattr(cli_module.cli, "main", interrupted)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}  # SIG_IGN under nohup or `&`
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main(["list"])
    assert exit_info.value.code == code
    assert capsys.readouterr().err.strip() == f"interrupted by {signal.Signals(signum).name}"
    assert {s: signal.getsignal(s) for s in before} == before  # handlers restored
