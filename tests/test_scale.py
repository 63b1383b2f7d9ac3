"""Scale: the default -j, proof-check time, model-independent false variants done once, and the result cache."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from conftest import CORE_FAKES

from kexue_verify import Case, LoadOptions, RunConfig, Verdict, load, run
from kexue_verify.cache import ResultCache, case_key, result_from_dict
from kexue_verify.evaluation import SharedVariants, evaluate, model_independent
from kexue_verify.runner import default_jobs

FAKES = LoadOptions(dirs=(str(CORE_FAKES),), only=())


# --- default -j ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cores", "busy", "jobs"), [(2, 0, 2), (2, 1, 1), (2, 5, 1), (16, 0, 8), (16, 9, 7),
                                                     (1, 0, 1), (4, -1, 4)])
def test_default_jobs_counts_only_free_cores(cores: int, busy: int, jobs: int) -> None:
    assert default_jobs(cores=cores, busy=busy) == jobs


def test_default_jobs_on_this_machine_is_between_one_and_the_cores() -> None:
    import os

    assert 1 <= default_jobs() <= min(8, len(os.sched_getaffinity(0)))


# --- proof-check time ------------------------------------------------------------------------------------------------

def test_the_proof_check_time_is_counted_in_the_case_and_its_symbolic_part() -> None:
    loaded = load(FAKES)
    claim = dataclasses.replace(loaded.claims["fake.good-sum"], proof="no-such.md#x")
    result = evaluate(Case(claim), RunConfig(), proof_seconds=0.75)
    assert result.proof_duration == 0.75
    assert result.duration >= 0.75
    assert result.to_dict()["timings"] == {"proof_s": 0.75}
    assert "timings" not in result.to_dict(timings=False)


# --- model-independent false variants --------------------------------------------------------------------------------

def test_a_variant_with_its_own_model_is_computed_once_for_all_models_of_the_kind() -> None:
    loaded = load(FAKES)
    claim = loaded.claims["fake.doubles"]
    shifted, triples = claim.false_variants
    assert model_independent(claim, shifted)
    assert not model_independent(claim, triples)
    config = RunConfig()
    shared = SharedVariants()
    specs = loaded.models.of_kind("fake-doubler")
    assert len(specs) >= 2
    together = [evaluate(Case(claim, spec), config, shared=shared) for spec in specs]
    alone = [evaluate(Case(claim, spec), config) for spec in specs]
    assert (shared.computed, shared.reused) == (1, len(specs) - 1)
    assert [r.to_dict(timings=False) for r in together] == [r.to_dict(timings=False) for r in alone]
    assert all(r.verdict is Verdict.VERIFIED for r in together)
    first, second = (r.variants[0] for r in together)
    assert first is not second
    assert first.to_dict(timings=False) == second.to_dict(timings=False)
    # the shared variant still sees the buggy model, not the model under test, and is refuted
    assert first.verdict is Verdict.REFUTED
    assert first.parts["numeric"].evidence[0].quantities["measured"] == 6.5
    assert first.parts["numeric"].evidence[0].quantities["model"].endswith(":make_buggy")


def test_shared_variants_are_keyed_by_seed_dtype_and_device() -> None:
    loaded = load(FAKES)
    claim = loaded.claims["fake.doubles"]
    spec = loaded.models.of_kind("fake-doubler")[0]
    shared = SharedVariants()
    for config in (RunConfig(seed=0), RunConfig(seed=1), RunConfig(dtype="float32")):
        evaluate(Case(claim, spec), config, shared=shared)
    assert (shared.computed, shared.reused) == (3, 0)


def test_a_shared_variant_that_the_check_does_not_refute_still_makes_every_case_inconclusive() -> None:
    loaded = load(FAKES)
    claim = loaded.claims["fake.doubles"]
    exact = loaded.models.of_kind("fake-doubler")[0].factory
    exact_as_variant = dataclasses.replace(claim.false_variants[0], model=exact)
    weak = dataclasses.replace(claim, false_variants=(exact_as_variant, claim.false_variants[1]))
    shared = SharedVariants()
    results = [evaluate(Case(weak, spec), RunConfig(), shared=shared) for spec in loaded.models.of_kind("fake-doubler")]
    assert [r.verdict for r in results] == [Verdict.INCONCLUSIVE] * len(results)
    assert all("shifted-model" in r.message for r in results)


# --- the result cache ------------------------------------------------------------------------------------------------

def test_a_stored_result_reads_back_as_the_same_report_entry() -> None:
    outcome = run(["fake.good-sum", "fake.doubles", "fake.nan", "fake.post-typo"], config=RunConfig(in_process=True),
                  options=FAKES)
    for result in outcome.results:
        again = result_from_dict(json.loads(json.dumps(result.to_dict())))
        assert again.to_dict() == result.to_dict()


def test_a_second_run_reuses_every_decided_verdict_and_keeps_the_report_id(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    selection = ["fake.good-sum", "fake.doubles", "fake.nan", "fake.post-typo", "fake.weak"]
    first = run(selection, config=RunConfig(in_process=True), options=FAKES, cache=cache)
    assert cache.hits == 0
    second = run(selection, config=RunConfig(in_process=True), options=FAKES, cache=cache)
    assert second.report["report_id"] == first.report["report_id"]
    reused = {e["id"]: e.get("cache") for e in second.report["claims"]}
    assert reused.pop("fake.nan") is None  # an error is always run again
    assert set(reused.values()) == {"reused"}
    assert cache.hits == len(reused)
    assert [e["verdict"] for e in second.report["claims"]] == [e["verdict"] for e in first.report["claims"]]
    assert all(r.reused for r in second.results if r.case_id != "fake.nan")


def test_the_key_changes_with_seed_dtype_device_model_and_the_plugins_code(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    shutil.copytree(CORE_FAKES, plugins)
    options = LoadOptions(dirs=(str(plugins),), only=())
    loaded = load(options)
    claim = loaded.claims["fake.doubles"]
    spec_a, spec_b = loaded.models.of_kind("fake-doubler")[:2]
    base = case_key(Case(claim, spec_a), RunConfig(), loaded.claims.proof_dirs)
    assert case_key(Case(claim, spec_a), RunConfig(), loaded.claims.proof_dirs) == base
    assert case_key(Case(claim, spec_a), RunConfig(jobs=2, timeout=5), loaded.claims.proof_dirs) == base
    others = {
        case_key(Case(claim, spec_b), RunConfig(), loaded.claims.proof_dirs),
        case_key(Case(claim, spec_a), RunConfig(seed=1), loaded.claims.proof_dirs),
        case_key(Case(claim, spec_a), RunConfig(dtype="float32"), loaded.claims.proof_dirs),
        case_key(Case(claim, spec_a), RunConfig(device="cuda"), loaded.claims.proof_dirs),
        case_key(Case(dataclasses.replace(claim, assertion={"factor": 2.5}), spec_a), RunConfig(),
                 loaded.claims.proof_dirs),
    }
    assert base not in others
    assert len(others) == 5
    # an edited check (one character of the plugin file) is another case
    from kexue_verify import cache as cache_module

    source = plugins / "doublers.py"
    source.write_text(source.read_text(encoding="utf-8").replace("x = 3.0", "x = 4.0"), encoding="utf-8")
    cache_module._tree_digest.cache_clear()
    assert case_key(Case(claim, spec_a), RunConfig(), loaded.claims.proof_dirs) != base


def test_an_edited_check_is_run_again_and_its_new_verdict_reported(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(CORE_FAKES / "good.py", plugins / "good.py")
    options = LoadOptions(dirs=(str(plugins),), only=())
    cache = ResultCache(tmp_path / "cache")
    first = run(["fake.good-sum"], config=RunConfig(in_process=True), options=options, cache=cache)
    assert first.results[0].verdict is Verdict.VERIFIED
    good = plugins / "good.py"
    text = good.read_text(encoding="utf-8")
    good.write_text(text.replace("FalseVariant(name=\"no-halving\"", "FalseVariant(name=\"no-halving-edited\""),
                    encoding="utf-8")
    from kexue_verify import cache as cache_module

    cache_module._tree_digest.cache_clear()
    second = run(["fake.good-sum"], config=RunConfig(in_process=True), options=options, cache=cache)
    assert not second.results[0].reused
    assert second.report["report_id"] != first.report["report_id"]


def test_cache_clear_and_no_cache_on_the_command_line(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KEXUE_VERIFY_CACHE_DIR", str(tmp_path / "cache"))
    first = invoke("run", "fake.good-sum", "--in-process")
    assert first.exit_code == 0, first.output
    second = invoke("run", "fake.good-sum", "--in-process")
    assert "reused from the cache" in second.output
    assert second.output.splitlines()[-1].split("report ")[-1] == first.output.splitlines()[-1].split("report ")[-1]
    fresh = invoke("run", "fake.good-sum", "--in-process", "--no-cache")
    assert "reused" not in fresh.output
    info = invoke("cache", "info")
    assert "1 stored results" in info.output
    cleared = invoke("cache", "clear")
    assert "removed 1 stored results" in cleared.output
    assert "reused" not in invoke("run", "fake.good-sum", "--in-process").output


def test_a_corrupt_cache_entry_is_run_again(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    run(["fake.good-sum"], config=RunConfig(in_process=True), options=FAKES, cache=cache)
    (stored,) = (tmp_path / "results").rglob("*.json")
    stored.write_text('{"format": 1, "key": "x", "result": {}}', encoding="utf-8")
    again = run(["fake.good-sum"], config=RunConfig(in_process=True), options=FAKES, cache=cache)
    assert not again.results[0].reused
    assert again.results[0].verdict is Verdict.VERIFIED
