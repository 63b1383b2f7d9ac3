"""Scale: the default -j, proof-check time, model-independent false variants done once, and the result cache."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import CORE_FAKES

from kexue_verify import Case, LoadOptions, RunConfig, UsageError, Verdict, load, run, verdicts
from kexue_verify.reports.html import render_html
from kexue_verify.reports.identity import check_report
from kexue_verify.reports.markdown import render_markdown
from kexue_verify.result_cache import ResultCache, case_key, result_from_dict
from kexue_verify.verdicts import evaluate
from kexue_verify.workers import _Queue, _Worker, default_jobs

FAKES = LoadOptions(dirs=(str(CORE_FAKES),), only=())


# --- default -j ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cores", "busy", "jobs"), [(2, 0, 2), (2, 1, 1), (2, 5, 1), (16, 0, 8), (16, 9, 7),
                                                     (1, 0, 1), (4, -1, 4)])
def test_default_jobs_counts_only_free_cores(cores: int, busy: int, jobs: int) -> None:
    assert default_jobs(cores=cores, busy=busy) == jobs


def test_default_jobs_on_this_machine_is_between_one_and_the_cores() -> None:
    import os

    assert 1 <= default_jobs() <= min(8, len(os.sched_getaffinity(0)))


# --- hand-out with family affinity ----------------------------------------------------------------------------------

def _cases(spec: str) -> list[Any]:
    """Stand-ins for cases ("a1 a2 b1"): the queue reads only ``case.claim.family``."""
    return [SimpleNamespace(id=name, claim=SimpleNamespace(family=name[0])) for name in spec.split()]


def test_each_worker_keeps_to_a_family_and_then_takes_the_largest_free_one() -> None:
    queue = _Queue(_cases("a1 b1 a2 c1 c2 c3 b2 a3 a4"))
    one, two = workers = [_Worker(None, None), _Worker(None, None)]
    assert queue.take(one, workers).id == "a1"  # the largest family (4 cases), first case first
    assert queue.take(two, workers).id == "c1"  # the largest family nobody is on
    assert [queue.take(one, workers).id for _ in range(3)] == ["a2", "a3", "a4"]  # not b1, though it is earlier
    assert queue.take(one, workers).id == "b1"  # a is done: b is free
    assert queue.take(one, workers).id == "b2"
    assert queue.take(one, workers).id == "c2"  # nothing free is left: share c with the other worker
    assert queue.take(two, workers).id == "c3"
    assert not queue


def test_the_first_cases_announced_to_starting_workers_are_the_ones_they_are_handed() -> None:
    cases = _cases("s1 f1 f2 f3 v1 v2 s2")
    announced = [c.id for c in _Queue(cases).first_cases(3)]
    queue, workers = _Queue(cases), [_Worker(None, None) for _ in range(3)]
    assert [queue.take(w, workers).id for w in workers] == announced == ["f1", "s1", "v1"]
    assert [c.id for c in _Queue(cases[:1]).first_cases(3)] == ["s1"]  # fewer cases than workers


def test_a_replaced_worker_is_told_the_case_it_will_be_handed() -> None:
    queue = _Queue(_cases("a1 a2 b1 b2 c1 c2 c3"))
    one, two = workers = [_Worker(None, None), _Worker(None, None)]
    assert (queue.take(one, workers).id, queue.take(two, workers).id) == ("c1", "a1")
    fresh = _Worker(None, None)  # replaces the first, which died: warm for no family, it takes any free one
    assert queue.peek(fresh, [fresh, two]).id == queue.take(fresh, [fresh, two]).id == "b1"  # b before c: plan order


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

def test_a_variant_with_its_own_model_gives_the_same_result_on_every_model_and_is_still_refuted() -> None:

    loaded = load(FAKES)
    claim = loaded.claims["fake.doubles"]
    specs = loaded.models.of_kind("fake-doubler")
    assert len(specs) >= 2
    verdicts._MODEL_VARIANTS.clear()
    together = [evaluate(Case(claim, spec), RunConfig()) for spec in specs]
    assert len([k for k in verdicts._MODEL_VARIANTS if k[0] == "fake.doubles"]) == 1  # computed once
    alone = []
    for spec in specs:
        verdicts._MODEL_VARIANTS.clear()
        alone.append(evaluate(Case(claim, spec), RunConfig()))
    assert [r.to_dict(timings=False) for r in together] == [r.to_dict(timings=False) for r in alone]
    shifted = together[0].variants[0]
    assert shifted.verdict is Verdict.REFUTED
    assert shifted.parts["numeric"].evidence[0].quantities["measured"] == 6.5


# --- the result cache ------------------------------------------------------------------------------------------------

def test_a_stored_result_reads_back_as_the_same_report_entry() -> None:
    outcome = run(["fake.good-sum", "fake.doubles", "fake.nan", "fake.post-typo"], config=RunConfig(in_process=True),
                  options=FAKES)
    for result in outcome.results:
        again = result_from_dict(json.loads(json.dumps(result.to_dict())))
        assert again.to_dict() == result.to_dict()



def test_a_stored_result_keeps_every_field_a_control_model_sets() -> None:
    """A negative control's expectation comes from its model (``expected_by``); a reused result that forgot it made
    an in-process run's report id differ from a fresh run's."""
    import dataclasses

    from kexue_verify.verdicts import CaseResult

    result = CaseResult("c[m]", "c", "m", Verdict.REFUTED, Verdict.REFUTED, 7, message="why", duration=1.5,
                        expected_by="model m", proof_duration=0.25)
    again = result_from_dict(json.loads(json.dumps(result.to_dict())))
    assert {f.name: getattr(again, f.name) for f in dataclasses.fields(CaseResult)} == {
        f.name: getattr(result, f.name) for f in dataclasses.fields(CaseResult)}

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


def test_the_key_changes_with_the_proof_documents_text(tmp_path: Path) -> None:
    claim = dataclasses.replace(load(FAKES).claims["fake.good-sum"], proof="sums.md#gauss")
    proof = tmp_path / "sums.md"
    proof.write_text("# Gauss\n\n$$ \\sum k = n(n+1)/2 $$\n", encoding="utf-8")
    first = case_key(Case(claim), RunConfig(), [tmp_path])
    assert case_key(Case(claim), RunConfig(), [tmp_path]) == first
    proof.write_text("# Gauss\n\n$$ \\sum k = n(n-1)/2 $$\n", encoding="utf-8")
    edited = case_key(Case(claim), RunConfig(), [tmp_path])
    proof.unlink()
    assert len({first, edited, case_key(Case(claim), RunConfig(), [tmp_path])}) == 3


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
    source = plugins / "doublers.py"
    source.write_text(source.read_text(encoding="utf-8").replace("x = 3.0", "x = 4.0"), encoding="utf-8")
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
    second = run(["fake.good-sum"], config=RunConfig(jobs=1), options=options, cache=cache)  # fresh workers
    assert not second.results[0].reused
    assert second.report["report_id"] != first.report["report_id"]
    assert "no-halving-edited" in [v["name"] for v in second.report["claims"][0]["false_variants"]]


def test_cache_clear_and_no_cache_on_the_command_line(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KEXUE_VERIFY_CACHE_DIR", str(tmp_path / "cache"))
    first = invoke("run", "fake.good-sum", "--in-process")
    assert first.exit_code == 0, first.output
    second = invoke("run", "fake.good-sum", "--in-process")
    assert "reused from the cache" in second.output
    import re

    ids = [re.findall(r"kv-[0-9a-f]{20}", r.output) for r in (first, second)]
    assert ids[0]
    assert ids[0] == ids[1]
    fresh = invoke("run", "fake.good-sum", "--in-process", "--no-cache")
    assert "reused" not in fresh.output
    info = invoke("cache", "info")
    assert "1 stored results" in info.output
    cleared = invoke("cache", "clear")
    assert "removed 1 stored results" in cleared.output
    assert "reused" not in invoke("run", "fake.good-sum", "--in-process").output


def test_the_key_changes_with_the_cpu_and_the_accelerator(monkeypatch) -> None:
    """Results differ in their last bits from one CPU (or GPU) to another; a cache shared by several machines (a
    home directory on a network file system) gave each machine the first one's evidence, and a report whose id was
    the first machine's."""
    from kexue_verify import result_cache

    case = Case(load(FAKES).claims["fake.good-sum"])
    here = case_key(case, RunConfig())
    monkeypatch.setattr(result_cache, "_processor", lambda: "Another CPU")
    elsewhere = case_key(case, RunConfig())
    monkeypatch.setattr("kexue_verify.reports.device_name", lambda device: "Another GPU")
    assert len({here, elsewhere, case_key(case, RunConfig())}) == 3


def test_a_corrupt_cache_entry_is_run_again(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    run(["fake.good-sum"], config=RunConfig(in_process=True), options=FAKES, cache=cache)
    (stored,) = (tmp_path / "results").rglob("*.json")
    stored.write_text('{"format": 1, "key": "x", "result": {}}', encoding="utf-8")
    again = run(["fake.good-sum"], config=RunConfig(in_process=True), options=FAKES, cache=cache)
    assert not again.results[0].reused
    assert again.results[0].verdict is Verdict.VERIFIED



def test_the_progress_line_marks_reused_verdicts_and_shows_proof_time() -> None:
    from kexue_verify.terminal import verdict_line

    computed = dataclasses.replace(evaluate(Case(load(FAKES).claims["fake.good-sum"]), RunConfig()),
                                   duration=1.02, proof_duration=0.61)
    assert verdict_line(computed).endswith("[1.02s, proof 0.61s]")
    assert verdict_line(dataclasses.replace(computed, proof_duration=0.0)).endswith("[1.02s]")
    assert verdict_line(dataclasses.replace(computed, reused=True)).endswith("[reused from the cache]")



_PACKAGE_PLUGIN = {
    "__init__.py": """from kexue_verify import Claim, FalseVariant, Source, hookimpl


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="pkgfake.halves", title="Half of 1 is 0.5", statement="1/2 = 0.5",
                       source=Source(title="Fake", author="Tester, Dan", date="2022", url="https://example.org/p"),
                       assertion={"half": 0.5}, numeric="kv_pkgfake.checks:halves",
                       false_variants=(FalseVariant(name="a-third", description="1/2 = 1/3",
                                                    assertion={"half": 1 / 3}),)))
""",
    "checks.py": """from kexue_verify import close
from kv_pkgfake.helper import DIVISOR


def halves(ctx, a):
    return close("1/divisor vs the half", 1 / DIVISOR, a["half"], tol=1e-12)
""",
    "helper.py": "DIVISOR = 2.0\n",
}


def test_a_helper_edited_between_two_runs_in_one_process_is_run_again(tmp_path: Path) -> None:
    """The code digests are taken when each run starts, not once per process: a notebook that runs, edits a helper
    module of its plugin package (neither the claim's definition nor the file of its check) and runs again must not
    be given the old code's result from the cache."""
    package = tmp_path / "plugins" / "kv_pkgfake"
    package.mkdir(parents=True)
    for name, text in _PACKAGE_PLUGIN.items():
        (package / name).write_text(text, encoding="utf-8")
    options = LoadOptions(dirs=(str(package.parent),), only=())
    cache = ResultCache(tmp_path / "cache")
    first = run(["pkgfake.halves"], config=RunConfig(in_process=True), options=options, cache=cache)
    again = run(["pkgfake.halves"], config=RunConfig(in_process=True), options=options, cache=cache)
    assert [r.verdict for r in first.results] == [Verdict.VERIFIED]
    assert all(r.reused for r in again.results)  # nothing changed: reused
    (package / "helper.py").write_text("DIVISOR = 2.5  # edited\n", encoding="utf-8")
    # load() imports the edited folder again, so even a run in this process runs the new code
    edited = run(["pkgfake.halves"], config=RunConfig(in_process=True), options=options, cache=cache)
    assert not any(r.reused for r in edited.results)
    assert [r.verdict for r in edited.results] == [Verdict.REFUTED]  # 1/2.5 is not 0.5: the new code ran
    again = run(["pkgfake.halves"], config=RunConfig(jobs=1), options=options, cache=cache)
    assert [(r.verdict, r.reused) for r in again.results] == [(Verdict.REFUTED, True)]  # its result is stored


def test_a_plugins_dir_edited_between_loading_and_the_first_run_is_not_run_from_the_old_import(
        tmp_path: Path) -> None:
    """A ``--plugins-dir`` file edited after ``load()`` imported it and before the run digested it, on the process's
    first run: the key names the edited code, this process holds the old.  Only later digests were compared with
    earlier ones, so the first run went on in process (and would fork its workers) with the old code, and stored
    the old code's verdict under the new code's key."""
    package = tmp_path / "plugins" / "kv_pkgfake"
    package.mkdir(parents=True)
    for name, text in _PACKAGE_PLUGIN.items():
        (package / name).write_text(text, encoding="utf-8")
    loaded = load(LoadOptions(dirs=(str(package.parent),), only=()))
    (package / "helper.py").write_text("DIVISOR = 2.5  # edited\n", encoding="utf-8")
    cache = ResultCache(tmp_path / "cache")
    with pytest.raises(UsageError, match=r"plugins changed on disk since this process last digested it"):
        run(["pkgfake.halves"], config=RunConfig(in_process=True), loaded=loaded, cache=cache)
    assert cache.entries() == 0
    edited = run(["pkgfake.halves"], config=RunConfig(jobs=1), loaded=loaded, cache=cache)  # fresh workers
    assert [r.verdict for r in edited.results] == [Verdict.REFUTED]  # 1/2.5 is not 0.5: the edited code ran


_EDITS_ITSELF = {
    **_PACKAGE_PLUGIN,
    "checks.py": """from pathlib import Path

from kexue_verify import close
from kv_pkgfake.helper import DIVISOR


def halves(ctx, a):
    Path(__file__).with_name("helper.py").write_text("DIVISOR = 2.5  # edited while the run ran\\n")
    return close("1/divisor vs the half", 1 / DIVISOR, a["half"], tol=1e-12)
""",
}


@pytest.mark.parametrize("config", [RunConfig(in_process=True), RunConfig(jobs=1)], ids=["in-process", "worker"])
def test_code_edited_while_the_run_runs_is_named_and_its_results_are_not_cached(tmp_path: Path,
                                                                                config: RunConfig) -> None:
    """An edit during the run (here the check rewrites its own helper when it runs): the keys, taken when the run
    started, name the code before the edit, while a case may have run the edited code (a lazily imported check, a
    spawned worker's plugins, a proof document are read when the case runs).  Stored, a later run of the first code
    would reuse a verdict of the second."""
    package = tmp_path / "plugins" / "kv_pkgfake"
    package.mkdir(parents=True)
    for name, text in _EDITS_ITSELF.items():
        (package / name).write_text(text, encoding="utf-8")
    cache = ResultCache(tmp_path / "cache")
    outcome = run(["pkgfake.halves"], config=config, options=LoadOptions(dirs=(str(package.parent),), only=()),
                  cache=cache)
    assert [r.verdict for r in outcome.results] == [Verdict.VERIFIED]
    assert outcome.code_changed == [str(package.parent)]
    assert cache.entries() == 0
    report = outcome.report  # says so itself, covered by its id
    assert report["code_changed"]["paths"] == [str(package.parent)]
    assert check_report(report) == []
    assert "code_changed" in report["digests"]
    assert "Code changed during the run" in render_html(report, figure=lambda data, salt: "")
    assert "Code changed during the run" in render_markdown(report)[0]
    edited = json.loads(json.dumps(report))
    del edited["code_changed"]
    assert check_report(edited)  # removing the mark is detected
    untouched = run(["fake.good-sum"], config=config, options=FAKES, cache=cache)
    assert untouched.code_changed == []
    assert cache.entries() == 1


_LAZY_VARIANT_MODEL = {
    "__init__.py": """from kexue_verify import Claim, FalseVariant, ModelSpec, Source, close, hookimpl


def doubles(ctx, a):
    return close("model(3) vs 6", ctx.model(3.0), 2.0 * 3.0, tol=1e-12)


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="lazyfake.doubles", title="Doubles", statement="f(x) = 2x",
                       source=Source(title="Fake", author="Tester, Dan", date="2022", url="https://example.org/l"),
                       assertion={}, numeric=doubles, model_kind="lazy-doubler",
                       false_variants=(FalseVariant(name="shifted", description="a model that adds 0.5",
                                                    model="kv_lazyfake.buggy:make"),)))


@hookimpl
def kexue_register_models(registry):
    registry.add(ModelSpec(name="exact", kind="lazy-doubler", factory="kv_lazyfake.exact:make"))
""",
    "exact.py": "def make(ctx):\n    return lambda x: 2.0 * x\n",
    "buggy.py": "def make(ctx):\n    return lambda x: 2.0 * x + 0.5\n",
}


def test_a_second_run_in_one_process_does_not_reuse_the_first_runs_measurements(tmp_path: Path) -> None:
    """A false variant with its own model is decided once per claim in a process (and a check's ``remember``-ed
    measurement kept): across two runs of a process whose plugin was edited between them, the first run's result
    stood in for the edited code's (the model's reference ``"module:function"`` is the same text)."""
    package = tmp_path / "plugins" / "kv_lazyfake"
    package.mkdir(parents=True)
    for name, text in _LAZY_VARIANT_MODEL.items():
        (package / name).write_text(text, encoding="utf-8")
    options = LoadOptions(dirs=(str(package.parent),), only=())
    first = run(["lazyfake.doubles"], config=RunConfig(in_process=True), options=options)
    assert [r.verdict for r in first.results] == [Verdict.VERIFIED]
    (package / "buggy.py").write_text("def make(ctx):\n    return lambda x: 2.0 * x  # fixed: no longer a bug\n",
                                      encoding="utf-8")
    again = run(["lazyfake.doubles"], config=RunConfig(in_process=True), options=options)
    assert [r.verdict for r in again.results] == [Verdict.INCONCLUSIVE]  # the "bug" now doubles: not refuted


_EDIT_BETWEEN_RUNS = """
import sys
from pathlib import Path

from kexue_verify import LoadOptions, RunConfig, run
from kexue_verify.result_cache import ResultCache
from kexue_verify.workers import _can_fork

package, cache = Path(sys.argv[1]), ResultCache(Path(sys.argv[2]))
sys.path.insert(0, str(package.parent))  # an importable plugin (-p): load() does not import it again
options = LoadOptions(modules=("kv_pkgfake",), only=())
first = run(["pkgfake.halves"], config=RunConfig(jobs=1), options=options, cache=cache)
assert _can_fork(), "this process must be one whose workers are forked"
import kv_pkgfake.helper  # noqa: E402,F401 - the old helper, as a process that ran the check itself holds it

(package / "helper.py").write_text("DIVISOR = 2.5  # edited\\n", encoding="utf-8")
edited = run(["pkgfake.halves"], config=RunConfig(jobs=1), options=options, cache=cache)
print(first.results[0].verdict.value, edited.results[0].verdict.value, edited.results[0].reused)
"""


def test_workers_are_not_forked_from_a_process_holding_edited_code(tmp_path: Path) -> None:
    """Workers forked from a process that imported a plugin module before it was edited would run the old code (and
    store its verdict under the new key): such a run starts its workers as fresh interpreters instead.  (An
    importable plugin: one from a ``--plugins-dir`` would be imported again by ``load()``.)"""
    package = tmp_path / "plugins" / "kv_pkgfake"
    package.mkdir(parents=True)
    for name, text in _PACKAGE_PLUGIN.items():
        (package / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "KEXUE_VERIFY_WORKER_START"}
    done = subprocess.run([sys.executable, "-c", _EDIT_BETWEEN_RUNS, str(package), str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["verified", "refuted", "False"]


SIBLING_PLUGIN = """from kexue_verify import Claim, FalseVariant, Source, close, hookimpl
from kv_sibling_helper import DIVISOR


def halves(ctx, a):
    return close("1/divisor vs the half", 1 / DIVISOR, a["half"], tol=1e-12)


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="sibling.halves", title="Half of 1 is 0.5", statement="1/2 = 0.5",
                       source=Source(title="Fake", author="Tester, Dan", date="2022", url="https://example.org/s"),
                       assertion={"half": 0.5}, numeric=halves,
                       false_variants=(FalseVariant(name="a-third", description="1/2 = 1/3",
                                                    assertion={"half": 1 / 3}),)))
"""


def test_a_plugins_dir_helper_module_is_part_of_the_key(tmp_path: Path) -> None:
    """A plugin file of a ``--plugins-dir`` that imports a sibling module (``import my_helpers``, as the plugin guide
    shows): editing the sibling is another case. Its key covered only the plugin's own file, so a fresh process
    reused ``verified`` after an edit that makes the check refute."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "kv_sibling.py").write_text(SIBLING_PLUGIN, encoding="utf-8")
    (plugins / "kv_sibling_helper.py").write_text("DIVISOR = 2.0\n", encoding="utf-8")
    options = LoadOptions(dirs=(str(plugins),), only=())
    cache = ResultCache(tmp_path / "cache")
    first = run(["sibling.halves"], config=RunConfig(in_process=True), options=options, cache=cache)
    assert [r.verdict for r in first.results] == [Verdict.VERIFIED]
    (plugins / "kv_sibling_helper.py").write_text("DIVISOR = 2.5  # edited\n", encoding="utf-8")
    edited = run(["sibling.halves"], config=RunConfig(jobs=1), options=options, cache=cache)
    assert not any(r.reused for r in edited.results)
    assert [r.verdict for r in edited.results] == [Verdict.REFUTED]
