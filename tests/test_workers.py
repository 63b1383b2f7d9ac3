"""The runner: isolated workers, timeouts, crashes, parallelism, and seeds that do not depend on any of them.

Most assertions read the shared run of every fake plugin (``fake_run`` in conftest: ``-j 2 --timeout 3``),
which contains a check that hangs and a check that kills its process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORE_FAKES, FAKE_VERDICTS

from kexue_verify import Case, LoadOptions, RunConfig, Verdict, load, run
from kexue_verify.workers import ENV_WORKER_START, proof_evidence, run_cases


@pytest.mark.parametrize(("case_id", "verdict"), sorted(FAKE_VERDICTS.items()))
def test_every_fake_case_gets_its_verdict(fake_run, case_id: str, verdict: str) -> None:
    assert fake_run.entry(case_id)["verdict"] == verdict


def test_nothing_is_missing_and_the_run_exits_3(fake_run) -> None:
    assert sorted(e["id"] for e in fake_run.report["claims"]) == sorted(FAKE_VERDICTS)
    assert fake_run.result.exit_code == 3
    summary = fake_run.report["summary"]
    assert summary["verdicts"] == {"verified": 4, "refuted": 2, "inconclusive": 2, "error": 3, "timeout": 1,
                                   "skipped": 0}
    assert summary["as_expected"] == 5  # 4 verified + the expected-refuted typo
    assert sorted(summary["unexpected"]) == ["fake.failing-squares", "fake.nan", "fake.orphan", "fake.raising",
                                             "fake.weak", "slow.crash", "slow.hang"]


def test_a_hanging_check_times_out_and_the_others_still_run(fake_run) -> None:
    hang = fake_run.entry("slow.hang")
    assert hang["message"] == "no verdict within 3 s (raise it with --timeout)"
    assert 3.0 <= hang["duration_s"] < 10.0
    assert hang["numeric"] is None  # no evidence: the check never returned


def test_a_check_that_kills_its_process_is_an_error_and_the_others_still_run(fake_run) -> None:
    crash = fake_run.entry("slow.crash")
    assert "the worker process died while checking (exit code 1)" in crash["message"]
    assert fake_run.entry("fake.good-sum")["verdict"] == "verified"


def test_a_raising_check_is_an_error_with_the_cause(fake_run) -> None:
    entry = fake_run.entry("fake.raising")
    assert entry["numeric"]["outcome"] == "error"
    assert "ZeroDivisionError: division by zero" in entry["numeric"]["error"]
    assert entry["symbolic"]["outcome"] == "pass"  # the other part of the same claim is unaffected


def test_nan_is_an_error_never_a_pass(fake_run) -> None:
    entry = fake_run.entry("fake.nan")
    evidence = entry["numeric"]["evidence"][0]
    assert (evidence["outcome"], evidence["quantities"]["measured"]) == ("error", "NaN")
    assert evidence["quantities"]["series"] == [1.0, "Infinity"]


def test_a_check_that_cannot_tell_the_claim_from_its_variant_is_inconclusive(fake_run) -> None:
    entry = fake_run.entry("fake.weak")
    assert entry["false_variants"][0]["verdict"] == "verified"
    assert "does not refute false variant(s) five" in entry["message"]


def test_a_claim_expected_refuted_counts_as_expected(fake_run) -> None:
    entry = fake_run.entry("fake.post-typo")
    assert (entry["verdict"], entry["expected"], entry["as_expected"]) == ("refuted", "refuted", True)
    assert entry["numeric"]["evidence"][0]["counterexample"] == {"exponent": 10, "actual": 1024}


def test_a_model_claim_runs_on_every_model_of_its_kind_including_other_plugins(fake_run) -> None:
    for name in ("doubler-a", "doubler-b"):
        entry = fake_run.entry(f"fake.doubles[{name}]")
        assert (entry["claim_id"], entry["model"], entry["verdict"]) == ("fake.doubles", name, "verified")
        assert entry["numeric"]["evidence"][0]["quantities"]["model"] == name
        assert [v["verdict"] for v in entry["false_variants"]] == ["refuted", "refuted"]
        buggy = entry["false_variants"][0]["numeric"]["evidence"][0]
        assert buggy["quantities"]["measured"] == 6.5  # the shifted model replaced the one under test
    assert fake_run.entry("fake.doubles[doubler-a]")["numeric"]["evidence"][0]["quantities"]["declared_factor"] == 2.0


def test_a_claim_about_a_kind_without_models_says_so(fake_run) -> None:
    entry = fake_run.entry("fake.orphan")
    assert entry["verdict"] == "inconclusive"
    assert "no model of kind 'fake-nothing' is registered" in entry["message"]


# --- seeds do not depend on selection, order or parallelism ---------------------------------------------------------

def evidence_of(entry: dict) -> tuple:
    """What a claim measured, without timings."""
    parts = [entry["numeric"]["evidence"]] + [v["numeric"]["evidence"] for v in entry["false_variants"]]
    return entry["seed"], parts


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    """Two claims, one worker, a timeout far below the time a worker needs to import torch on a slow disk."""
    from click.testing import CliRunner

    from kexue_verify.cli import cli

    out = tmp_path_factory.mktemp("serial") / "report.json"
    result = CliRunner().invoke(cli, ["run", "fake.seeded", "fake.good-sum", "-j", "1", "--timeout", "1",
                                      "--no-cache", "-o", str(out), "--plugins-dir", str(CORE_FAKES)],
                                env={"KEXUE_VERIFY_PLUGINS": ""}, catch_exceptions=False)
    import json

    return result, json.loads(out.read_text(encoding="utf-8"))


def test_worker_start_up_is_not_charged_to_the_first_case(serial_run) -> None:
    result, report = serial_run
    assert result.exit_code == 0, result.output
    assert [e["verdict"] for e in report["claims"]] == ["verified", "verified"]


def test_same_evidence_alone_or_among_all_serial_or_parallel_in_process_or_not(fake_run, serial_run) -> None:
    parallel_all = evidence_of(fake_run.entry("fake.seeded"))
    serial_two = evidence_of(next(e for e in serial_run[1]["claims"] if e["id"] == "fake.seeded"))
    in_process_one = run(["fake.seeded"], config=RunConfig(in_process=True),
                         options=LoadOptions(dirs=(str(CORE_FAKES),), only=()))
    in_process = evidence_of(in_process_one.report["claims"][0])
    assert parallel_all == serial_two == in_process
    _, parts = parallel_all
    assert len(set(parts[0][0]["quantities"]["local"])) == 4  # real random draws, not constants


def test_a_different_base_seed_gives_different_draws() -> None:
    options = LoadOptions(dirs=(str(CORE_FAKES),), only=())
    zero, one = (evidence_of(run(["fake.seeded"], config=RunConfig(seed=s, in_process=True),
                                 options=options).report["claims"][0]) for s in (0, 1))
    assert zero[0] != one[0]
    assert zero[1][0][0]["quantities"]["local"] != one[1][0][0]["quantities"]["local"]


# --- the library entry points ---------------------------------------------------------------------------------------

def test_run_reports_progress_through_callbacks() -> None:
    started, finished = [], []
    outcome = run(["fake.good-sum", "fake.doubles"], config=RunConfig(in_process=True),
                  options=LoadOptions(dirs=(str(CORE_FAKES),), only=()),
                  on_start=lambda cases: started.extend(c.id for c in cases), on_result=finished.append)
    assert started == ["fake.doubles[doubler-a]", "fake.doubles[doubler-b]", "fake.good-sum"]
    assert [r.case_id for r in finished] == started
    assert outcome.results == finished
    assert outcome.exit_code == 0


def test_run_cases_with_nothing_to_do_yields_nothing() -> None:
    loaded = load(LoadOptions(only=()))
    assert list(run_cases([], loaded, RunConfig())) == []


def test_a_worker_that_dies_while_starting_fails_its_cases_and_the_run_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A spawned worker imports the plugins itself (a forked one has its parent's: tests/test_worker_start.py)."""
    monkeypatch.setenv(ENV_WORKER_START, "spawn")
    (tmp_path / "dies_in_workers.py").write_text(
        "import multiprocessing, os\n"
        "from kexue_verify import Claim, Source, hookimpl, holds\n"
        "if multiprocessing.parent_process() is not None:\n"
        "    os._exit(3)\n"
        "@hookimpl\n"
        "def kexue_register_claims(registry):\n"
        "    for name in ('one', 'two'):\n"
        "        registry.add(Claim(id=f'dies.{name}', title='t', statement='s',\n"
        "                           numeric=lambda c, a: holds('h', True),\n"
        "                           source=Source(title='T', author='A', date='2024', url='https://example.org')))\n"
    )
    loaded = load(LoadOptions(dirs=(str(tmp_path),), only=()))
    cases = [Case(c) for c in loaded.claims.sorted()]
    results = list(run_cases(cases, loaded, RunConfig(jobs=1, timeout=30)))
    assert [r.verdict for r in results] == [Verdict.ERROR, Verdict.ERROR]
    assert all("died while starting" in r.message and "exit code 3" in r.message for r in results)


def test_a_broken_proof_reference_is_error_evidence_not_a_crash() -> None:
    import dataclasses

    loaded = load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))
    claim = dataclasses.replace(loaded.claims["fake.good-sum"], proof="no-such-document.md#nothing")
    (evidence,) = proof_evidence(Case(claim), loaded, RunConfig())
    assert evidence.outcome.value == "error"
    assert evidence.name == "derivation no-such-document.md#nothing"
    assert proof_evidence(Case(loaded.claims["fake.good-sum"]), loaded, RunConfig()) == []



AHEAD = """
import json, os, signal, sys
from kexue_verify import Case, LoadOptions, RunConfig, load
from kexue_verify.verdicts import evaluate
from kexue_verify.workers import _ProofAhead, proof_evidence

loaded = load(LoadOptions(only=("stirling",)))
job = ("stirling.formula", None)
ahead = _ProofAhead.start(loaded, RunConfig(), job)
evidence, seconds, parts = ahead.take(job)
case = Case(loaded.claims["stirling.formula"])
here = proof_evidence(case, loaded, RunConfig())
same = [e.to_dict() | {"duration_s": 0} for e in evidence] == [e.to_dict() | {"duration_s": 0} for e in here]
torch_before = "torch" in sys.modules
torch_job = ("stirling.substitution-chain", None)  # its check module imports torch (forked while this has none)
needs_torch = _ProofAhead.start(loaded, RunConfig(), torch_job).take(torch_job)
on_cuda = _ProofAhead.start(loaded, RunConfig(device="cuda"), job).take(job)  # no_tf32 would import torch
other = _ProofAhead.start(loaded, RunConfig(), job)
handed_another = other.take(("stirling.series", None))  # the child is ended and reaped
try:
    os.waitpid(other.pid, os.WNOHANG)
    reaped = False
except ChildProcessError:
    reaped = True
dead = _ProofAhead.start(loaded, RunConfig(), job)
os.kill(dead.pid, signal.SIGKILL)
died = dead.take(job)
mine = evaluate(case, RunConfig(), here)  # everything decided in this process (which imports torch)
theirs = evaluate(case, RunConfig(), evidence, proof_seconds=seconds, ahead=parts)
same_parts = (sorted(map(str, parts)) == sorted(["None"] + [v.name for v in mine.variants])
              and mine.to_dict(timings=False) == theirs.to_dict(timings=False))
print(json.dumps({"same": same, "outcome": evidence[0].outcome.value, "seconds": seconds, "another": handed_another,
                  "reaped": reaped, "died": died, "none": _ProofAhead.start(loaded, RunConfig(), None),
                  "after_torch": _ProofAhead.start(loaded, RunConfig(), job) is None,
                  "same_parts": same_parts, "torch_before": torch_before, "torch_parts": len(needs_torch[2]),
                  "torch_proof": needs_torch[0][0].outcome.value, "theirs_seconds": theirs.duration,
                  "cuda_parts": len(on_cuda[2]), "cuda_proof": on_cuda[0][0].outcome.value,
                  "symbolic_seconds": sum(p.duration for p in parts.values())}))
"""


def test_a_derivation_checked_ahead_in_a_forked_child_is_the_one_a_worker_checks_itself() -> None:
    """With the case's symbolic parts where they need no torch.  In a fresh process (forking is only done while no
    other thread runs, which a test session cannot promise)."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", AHEAD], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["same"]
    assert seen["outcome"] == "pass"
    assert seen["seconds"] > 0
    assert seen["another"] is None  # handed another case first: the worker checks it itself
    assert seen["reaped"]
    assert seen["died"] is None  # the child died: the same
    assert seen["none"] is None
    assert seen["after_torch"]  # a process that has imported torch does not fork (its thread pools would not survive)
    # the symbolic parts decided in the child (torch never imported) are the ones decided here, and their time counts
    assert seen["same_parts"]
    assert not seen["torch_before"]
    assert seen["theirs_seconds"] >= seen["symbolic_seconds"] + seen["seconds"]
    # a check module that imports torch: its parts are left to the worker, the derivation is still delivered
    assert seen["torch_parts"] == 0
    assert seen["torch_proof"] == "pass"
    assert (seen["cuda_parts"], seen["cuda_proof"]) == (0, "pass")
