"""The plugin author's loop on the command line: why a verdict is unexpected, -v/-q, -x, --lf, --durations,
-o -, list --cases, the all-skipped exit code, colour, prove NAME, --plugins-dir as an import root, new-plugin."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORE_FAKES, FAKE_VERDICTS

from kexue_verify import holds
from kexue_verify.claims import Outcome
from kexue_verify.tracebacks import plugin_traceback

CORE_CASES = sorted(c for c in FAKE_VERDICTS if not c.startswith("slow."))
UNEXPECTED = ["fake.failing-squares", "fake.nan", "fake.orphan", "fake.raising", "fake.weak"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own --lf record."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KEXUE_VERIFY_CACHE_DIR", str(folder))
    return folder


# --- why it failed --------------------------------------------------------------------------------------------------

def test_an_unexpected_refutation_shows_the_evidence_and_counterexample(invoke) -> None:
    result = invoke("run", "fake.failing-squares", "fake.good-sum", "--in-process")
    assert result.exit_code == 1
    out = result.stdout
    assert "not as expected" in out
    section = out[out.index("_ fake.failing-squares _"):]
    assert "A wrong sum of squares" in section
    assert "✗ fail      sum of squares  [integer arithmetic]" in section
    assert 'counterexample: {"n": 2}' in section
    assert "_ fake.good-sum _" not in out  # as expected: one line only
    assert "measured {}" not in out
    assert "expected None" not in out


def test_a_crashed_check_shows_its_traceback_from_the_plugins_frames(invoke) -> None:
    result = invoke("run", "fake.raising", "--in-process")
    assert result.exit_code == 3
    section = result.stdout[result.stdout.index("_ fake.raising _"):]
    assert "Traceback (most recent call last):" in section
    assert 'raising.py", line' in section
    assert "in explodes" in section
    assert "return 1 / a[\"zero\"]" in section
    assert "ZeroDivisionError: division by zero" in section
    assert "verdicts.py" not in section
    assert "claims.py" not in section


def test_an_inconclusive_case_names_the_false_variant_its_check_does_not_refute(invoke) -> None:
    result = invoke("run", "fake.weak", "--in-process")
    section = result.stdout[result.stdout.index("_ fake.weak _"):]
    assert "false variant five (2 + 2 = 5): verified: the checks do not refute it" in section
    assert "looks only at arithmetic, not at the assertion" in section


def test_verbose_shows_the_evidence_of_every_case_and_quiet_one_line_per_surprise(invoke) -> None:
    verbose = invoke("run", "fake.good-sum", "fake.failing-squares", "--in-process", "-v")
    after_good = verbose.stdout.split("verified     fake.good-sum", 1)[1]
    assert "✓ pass      exact sum" in after_good.split("\n\n")[0]
    assert "false variant no-halving (n(n+1)): refuted, as it must be" in verbose.stdout
    quiet = invoke("run", "fake.good-sum", "fake.failing-squares", "--in-process", "-q")
    assert [line for line in quiet.stdout.splitlines() if line] == [quiet.stdout.strip()]  # the summary only
    assert quiet.stderr.strip().splitlines() == [
        "not as expected: fake.failing-squares: refuted, expected verified — symbolic: sum of squares failed; "
        "counterexample {'n': 2}"]
    assert invoke("run", "fake.good-sum", "-v", "-q").exit_code == 2


def test_describe_says_why_a_claim_expected_refuted_was_verified_and_shows_a_crashed_variant() -> None:
    from kexue_verify import Evidence, Verdict
    from kexue_verify.terminal import describe
    from kexue_verify.verdicts import CaseResult, PartResult, VariantResult

    passing = PartResult("numeric", Outcome.PASS, [Evidence(name="2**10", outcome=Outcome.PASS,
                                                            quantities={"measured": 1000.0}, expected=1000.0)])
    result = CaseResult("t.as-posted", "t.as-posted", None, Verdict.VERIFIED, Verdict.REFUTED, 0, {"numeric": passing})
    text = "\n".join(describe(result))
    assert "verdict verified, expected refuted" in text
    assert "measured: 1000.0" in text
    assert "the checks miss the counterexample" in text
    crashed = VariantResult("v", "a variant", Verdict.ERROR,
                            {"numeric": PartResult("numeric", Outcome.ERROR, error="ValueError: boom")})
    result = CaseResult("t.c", "t.c", None, Verdict.ERROR, Verdict.VERIFIED, 0, {"numeric": passing}, [crashed],
                        "the check crashed on false variant(s) v")
    text = "\n".join(describe(result))
    assert "false variant v (a variant): error: the check crashed on it" in text
    assert "ValueError: boom" in text


def test_holds_with_none_is_undecided_not_a_refutation() -> None:
    """SymPy's is_* predicates return None when they cannot decide: that is no evidence against the claim."""
    ev = holds("x >= 0", None, gap="x")
    assert ev.outcome is Outcome.UNDECIDED
    assert "SymPy" in ev.note
    assert holds("x >= 0", False).outcome is Outcome.FAIL


def test_plugin_traceback_drops_only_the_leading_frames_of_kexue_verify() -> None:
    from kexue_verify.context import CheckContext
    from kexue_verify.verdicts import run_part

    def check(ctx, assertion):
        return lookup(assertion)

    def lookup(assertion):
        from kexue_verify.claims import resolve

        return resolve(assertion["ref"])  # raises inside kexue_verify, called by the plugin

    part = run_part("numeric", check, CheckContext(case_id="t", seed=0), {"ref": "kexue_verify:no_such_thing"})
    assert part.outcome is Outcome.ERROR
    text = part.error.split("\n", 1)[1]
    assert text.splitlines()[0] == "Traceback (most recent call last):"
    assert "in check" in text.splitlines()[1]           # starts at the plugin's frame: verdicts.py is cut
    assert "verdicts.py" not in text
    assert "in lookup" in text
    assert "claims.py" in text
    assert text.endswith("AttributeError: module 'kexue_verify' has no attribute 'no_such_thing'")
    assert plugin_traceback(ValueError("never raised")).startswith("Traceback")


# --- pytest's habits ------------------------------------------------------------------------------------------------

def test_exitfirst_stops_at_the_first_unexpected_verdict(invoke, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = invoke("run", "all", "--in-process", "-x", "-o", out)
    assert result.exit_code == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in report["claims"]] == CORE_CASES[:CORE_CASES.index("fake.failing-squares") + 1]
    assert report["selection"]["exitfirst"] is True
    not_run = len(CORE_CASES) - len(report["claims"])
    assert f"stopped at the first unexpected verdict (-x); {not_run} case(s) not run" in result.stderr


def test_last_failed_reruns_only_what_was_unexpected(invoke, own_cache: Path) -> None:
    first = invoke("run", "all", "--in-process", "-q")
    assert first.exit_code == 3
    assert json.loads((own_cache / "lastfailed.json").read_text())["unexpected"] == UNEXPECTED
    assert (own_cache / ".gitignore").read_text().splitlines()[-1] == "*"
    again = invoke("run", "--lf", "--in-process", "-o", own_cache / "again.json")
    assert f"--lf: re-running {len(UNEXPECTED)} case(s)" in again.stderr
    report = json.loads((own_cache / "again.json").read_text())
    assert [c["id"] for c in report["claims"]] == UNEXPECTED
    narrowed = invoke("run", "fake.raising", "fake.good-sum", "--lf", "--in-process", "-o", own_cache / "n.json")
    assert [c["id"] for c in json.loads((own_cache / "n.json").read_text())["claims"]] == ["fake.raising"]
    assert narrowed.exit_code == 3


def test_last_failed_without_a_record_runs_the_selection(invoke) -> None:
    result = invoke("run", "fake.good-sum", "--lf", "--in-process")
    assert result.exit_code == 0
    assert "--lf: the last run here left nothing to re-run; running the whole selection" in result.stderr
    assert "1 of 1 as expected" in result.stdout


def test_durations_lists_the_slowest_cases(invoke) -> None:
    result = invoke("run", "fake.good-sum", "fake.post-typo", "fake.seeded", "--in-process", "--durations", "2")
    block = result.stdout.split("slowest 2 durations", 1)[1].splitlines()[1:3]
    assert all(re.match(r"^ +\d+\.\d\ds  fake\.", line) for line in block), block
    seconds = [float(line.split("s")[0]) for line in block]
    assert seconds == sorted(seconds, reverse=True)


def test_output_dash_writes_the_json_report_to_stdout(invoke) -> None:
    result = invoke("run", "fake.good-sum", "fake.failing-squares", "--in-process", "-o", "-")
    report = json.loads(result.stdout)
    assert [c["id"] for c in report["claims"]] == ["fake.failing-squares", "fake.good-sum"]
    assert "as expected" in result.stderr
    assert "_ fake.failing-squares _" in result.stderr
    assert invoke("run", "fake.good-sum", "-o", "-", "-o", "-").exit_code == 2


def test_list_cases_shows_the_expansion_over_models(invoke) -> None:
    result = invoke("list", "--cases")
    assert [line.split()[0] for line in result.stdout.splitlines()] == CORE_CASES
    assert result.stderr.strip() == f"{len(CORE_CASES)} cases from {len(CORE_CASES) - 1} claims"
    as_json = json.loads(invoke("list", "--cases", "--json", "-k", "doubler-b").stdout)
    assert as_json == [{"case_id": "fake.doubles[doubler-b]", "claim_id": "fake.doubles", "model": "doubler-b",
                        "expected": "verified"}]
    assert f"claims, {len(CORE_CASES)} cases" in invoke("list").stderr


def test_k_matches_labels_and_tags_but_not_titles(invoke) -> None:
    assert invoke("list", "-k", "FK-1").stdout.split()[0] == "fake.good-sum"   # a catalogue label
    no_title = invoke("run", "-k", "Gauss", "--in-process")                   # a word of fake.good-sum's title
    assert no_title.exit_code == 2
    assert "not titles" in no_title.output


def test_a_run_where_every_case_is_skipped_exits_4_and_says_why(invoke) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = invoke("run", "fake.good-sum", "fake.post-typo", "--device", "cuda", "--in-process")
    assert result.exit_code == 4
    assert "nothing was checked: every selected case was skipped (CUDA was asked for" in result.stderr


def test_colour_on_a_terminal_only_and_never_with_no_color(invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    from kexue_verify import terminal

    assert not ANSI.search(invoke("run", "fake.good-sum", "--in-process").output)  # piped: plain
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = invoke("run", "fake.good-sum", "fake.failing-squares", "--in-process").output
    assert ANSI.search(coloured)
    assert "\x1b[31m" in coloured
    assert "\x1b[32m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(invoke("run", "fake.good-sum", "--in-process").output)
    assert terminal.use_colour() is False


def test_shell_completion_offers_claim_ids_families_and_labels(invoke) -> None:
    from click.shell_completion import ShellComplete

    from kexue_verify.cli import cli

    complete = ShellComplete(cli, {}, "kexue-verify", "_KEXUE_VERIFY_COMPLETE")
    words = [c.value for c in complete.get_completions(["run", "--plugins-dir", str(CORE_FAKES)], "fake.d")]
    assert words == ["fake.doubles"]
    assert "FK-1" in [c.value for c in complete.get_completions(["show", "--plugins-dir", str(CORE_FAKES)], "FK")]


# --- prove NAME -----------------------------------------------------------------------------------------------------

def test_prove_list_names_the_installed_documents(invoke) -> None:
    result = invoke("prove", "--list")
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"stirling", "flows", "svd", "lipschitz"} <= set(names)
    assert all(line.split()[1].endswith(f"{line.split()[0]}.md") for line in result.stdout.splitlines())


def test_prove_finds_a_document_by_name_path_or_installed_path(tmp_path: Path, monkeypatch) -> None:
    from kexue_verify.errors import UsageError
    from kexue_verify.proofdocs import find_document, installed_documents

    stirling = installed_documents()["stirling"]
    monkeypatch.chdir(tmp_path)  # outside a checkout: proofs/stirling.md is not a file here
    assert find_document("stirling") == stirling
    assert find_document("stirling.md") == stirling
    assert find_document("proofs/stirling.md") == stirling
    mine = tmp_path / "mine.md"
    mine.write_text("# nothing\n")
    assert find_document("mine.md").resolve() == mine.resolve()
    with pytest.raises(UsageError, match=r"did you mean stirling\?.*prove --list"):
        find_document("stirlin")


def test_prove_an_unknown_name_is_a_usage_error(invoke) -> None:
    result = invoke("prove", "stirlin")
    assert result.exit_code == 2
    assert "did you mean stirling?" in result.output


@pytest.mark.slow
def test_prove_stirling_by_name_checks_the_installed_document(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("prove", "stirling")
    assert result.exit_code == 0, result.output
    assert "✓" in result.stdout
    assert "✗" not in result.stdout


# --- --plugins-dir as an import root ----------------------------------------------------------------------------------

PLUGIN = '''
from kexue_verify import Claim, FalseVariant, Source, hookimpl
from _shared import SOURCE_URL

@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="rooted.square", title="t", statement="s",
                       source=Source(title="T", author="A, B", date="2020", url=SOURCE_URL),
                       assertion={"n": 4}, numeric="rooted_checks:square",
                       false_variants=(FalseVariant(name="five", description="5", assertion={"n": 5}),)))
'''
CHECKS = '''
from kexue_verify import holds
from _shared import squared

def square(ctx, a):
    return holds("2 squared", squared(2) == a["n"])
'''


@pytest.fixture
def import_root(tmp_path: Path) -> Path:
    root = tmp_path / "claims"
    root.mkdir()
    (root / "rooted.py").write_text(PLUGIN)
    (root / "rooted_checks.py").write_text(CHECKS)
    (root / "_shared.py").write_text("SOURCE_URL = 'https://example.org'\n\ndef squared(x):\n    return x * x\n")
    (root / "test_rooted.py").write_text("raise RuntimeError('a test file is not a plugin')\n")
    (root / "notes").mkdir()
    (root / "README.md").write_text("not python\n")
    return root


@pytest.mark.parametrize("where", ["--in-process", "-j1"])
def test_plugins_dir_modules_import_by_their_own_names_in_workers_too(invoke, import_root: Path, where) -> None:
    result = invoke("run", "rooted.square", where, plugins=(import_root,))
    assert result.exit_code == 0, result.output
    assert "1 of 1 as expected (1 verified)" in result.stdout


def test_plugins_dir_says_what_it_skipped_and_why(invoke, import_root: Path) -> None:
    result = invoke("plugins", plugins=(import_root,))
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert "rooted" in names
    assert "rooted_checks" in names
    assert "_shared" not in names
    assert "test_rooted" not in names
    assert re.search(r"not a plugin: .*_shared\.py: private", result.stderr)
    assert re.search(r"not a plugin: .*test_rooted\.py: a test or build file", result.stderr)
    assert re.search(r"not a plugin: .*notes: a folder without __init__.py", result.stderr)
    assert "README" not in result.stderr


def test_plugins_dir_refuses_to_shadow_an_installed_module(invoke, tmp_path: Path) -> None:
    (tmp_path / "json.py").write_text("raise RuntimeError('must not be imported')\n")
    result = invoke("plugins", plugins=(tmp_path,))
    assert re.search(r"json .*failed to import: ImportError: 'json' is already the name of", result.stdout)


# --- new-plugin -------------------------------------------------------------------------------------------------------

@pytest.fixture
def scaffold(invoke, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    result = invoke("new-plugin", "My-Claims", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    yield tmp_path / "My-Claims", result.stdout
    from kexue_verify import plugins

    plugins._use_import_roots([])  # take the package's folder off sys.path again, and forget its modules
    for name in [m for m in sys.modules if m.startswith("my_claims")]:
        del sys.modules[name]  # not monkeypatch.delitem, which would put the module back afterwards


@pytest.mark.parametrize(("seed", "dtype"), [(0, "float64"), (1, "float64"), (2, "float32"), (3, "float32")])
def test_the_new_plugin_claim_is_verified_and_its_false_variant_refuted(scaffold, seed: int, dtype: str) -> None:
    from kexue_verify.plugins import LoadOptions, load
    from kexue_verify.testing import assert_verdict, run_claim

    root, _ = scaffold
    loaded = load(LoadOptions(dirs=(str(root),), only=()))
    result = run_claim("my-claims.am-gm", loaded=loaded, seed=seed, dtype=dtype)
    assert_verdict(result, "verified")
    (variant,) = result.variants
    symbolic = variant.parts["symbolic"].evidence[0]
    assert symbolic.outcome is Outcome.FAIL
    assert symbolic.counterexample
    assert variant.parts["numeric"].evidence[0].outcome is Outcome.FAIL


def test_the_new_plugin_template_treats_sympy_none_as_undecided(scaffold, monkeypatch) -> None:
    """Attack: SymPy cannot decide the sign and no grid point violates it -> undecided, never refuted."""
    import importlib

    root, _ = scaffold
    monkeypatch.syspath_prepend(str(root))
    checks = importlib.import_module("my_claims.checks")
    from kexue_verify.context import CheckContext

    ctx = CheckContext(case_id="t", seed=0)
    assert checks.symbolic(ctx, {"factor": "3/2"}).outcome is Outcome.FAIL   # a = b = 1 violates it
    monkeypatch.setattr(checks, "GRID", [checks.sp.Integer(0)])               # a = b = 0 does not
    ev = checks.symbolic(ctx, {"factor": "3/2"})
    assert ev.outcome is Outcome.UNDECIDED
    assert "returned None" in ev.note


def test_the_new_plugin_numeric_check_runs_on_the_requested_device(scaffold, monkeypatch) -> None:
    import importlib

    root, _ = scaffold
    monkeypatch.syspath_prepend(str(root))
    checks = importlib.import_module("my_claims.checks")
    seen = []
    real_rand = checks.torch.rand
    monkeypatch.setattr(checks.torch, "rand", lambda *a, **k: seen.append(k.get("device")) or real_rand(
        *a, **{**k, "device": "cpu"}))
    from kexue_verify.context import CheckContext

    checks.numeric(CheckContext(case_id="t", seed=0, device="meta-device-name"), {"factor": 1})
    assert seen == ["meta-device-name"]


@pytest.mark.slow
def test_the_new_plugin_printed_next_step_works(scaffold) -> None:
    root, printed = scaffold
    step = next(line for line in printed.splitlines() if line.startswith("next: "))[len("next: "):]
    assert step.startswith(f"cd {root} && ")
    program = {"kexue-verify": [sys.executable, "-m", "kexue_verify"], "python": [sys.executable]}
    for command in step.split(" && ")[1:]:
        first, *rest = command.split()
        argv = [*program[first], *rest]
        done = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=600, check=False,
                              env={**__import__("os").environ, "KEXUE_VERIFY_PLUGINS": ""})
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
