"""The pytest plugin: one pytest item per case of a project's claims, the evidence as the failure message, and
the ``kexue_run`` fixture.  Run with pytester, in-process, on the fake plugins."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from conftest import CORE_FAKES, FAKE_VERDICTS, ROOT

pytest_plugins = ["pytester"]

# pytester's in-process runs forget the modules they import; numpy and torch cannot be imported twice, so import
# them here, before any run.
pytest.importorskip("torch")
pytest.importorskip("sympy")

EXAMPLE_DIR = ROOT / "docs" / "examples" / "kexue-verify-example"

#: Without the installed entry point (a source tree run without installing), load the plugin by name.
LOAD = () if any(ep.value == "kexue_verify.pytest_plugin" for ep in entry_points(group="pytest11")) else (
    "-p", "kexue_verify.pytest_plugin")
CORE_CASES = {case: verdict for case, verdict in FAKE_VERDICTS.items() if not case.startswith("slow.")}
AS_EXPECTED = {"fake.good-sum", "fake.seeded", "fake.post-typo", "fake.doubles[doubler-a]", "fake.doubles[doubler-b]"}


@pytest.fixture
def fakes_as_tests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("KEXUE_VERIFY_PLUGINS", "")
    pytester.makepyfile(test_fakes=f"""
        from kexue_verify.pytest_plugin import claim_tests

        test_claims = claim_tests(plugin_dirs=[{str(CORE_FAKES)!r}])
    """)
    return pytester


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    found = {}
    for line in result.outlines:
        if line.startswith("test_fakes.py::test_claims::") and " " in line:
            name, outcome = line.split(" ", 2)[:2]
            found[name.removeprefix("test_fakes.py::test_claims::")] = outcome
    return found


def test_one_item_per_case_passing_exactly_when_the_verdict_is_the_expected_one(fakes_as_tests) -> None:
    result = fakes_as_tests.runpytest(*LOAD, "-v", "-p", "no:cacheprovider")
    outcomes = _outcomes(result)
    assert set(outcomes) == set(CORE_CASES)
    assert {c for c, o in outcomes.items() if o == "PASSED"} == AS_EXPECTED   # fake.post-typo: refuted, expected so
    assert {c for c, o in outcomes.items() if o == "FAILED"} == set(CORE_CASES) - AS_EXPECTED
    result.assert_outcomes(passed=len(AS_EXPECTED), failed=len(CORE_CASES) - len(AS_EXPECTED))


def test_a_failing_item_shows_the_evidence_and_the_trimmed_traceback(fakes_as_tests) -> None:
    result = fakes_as_tests.runpytest(*LOAD, "-k", "failing or raising", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2, deselected=len(CORE_CASES) - 2)
    text = result.stdout.str()
    assert "fake.failing-squares: refuted, expected verified" in text
    assert 'counterexample: {"n": 2}' in text                     # the evidence, not a Python traceback
    assert "fake.raising: error, expected verified" in text
    assert "raising.py" in text
    assert "ZeroDivisionError" in text
    assert "kexue_verify/verdicts.py" not in text                # the plugin's frames only


def test_k_matches_labels_tags_and_model_names_and_x_stops_at_the_first_failure(fakes_as_tests) -> None:
    by_model = fakes_as_tests.runpytest(*LOAD, "-k", "doubler-b", "-p", "no:cacheprovider")
    by_model.assert_outcomes(passed=1, deselected=len(CORE_CASES) - 1)
    by_label = fakes_as_tests.runpytest(*LOAD, "-k", "FK-1", "-v", "-p", "no:cacheprovider")
    assert set(_outcomes(by_label)) == {"fake.good-sum"}
    first = fakes_as_tests.runpytest(*LOAD, "-x", "-p", "no:cacheprovider")
    assert first.parseoutcomes()["failed"] == 1


def test_the_kexue_run_fixture_runs_one_claim_on_one_model(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("KEXUE_VERIFY_PLUGINS", "")
    monkeypatch.syspath_prepend(str(CORE_FAKES))
    pytester.makepyfile(test_fixture="""
        def test_doubles_on_one_model(kexue_run):
            result = kexue_run.expect("fake.doubles", model="doubler-b", plugins=["doublers", "more_doublers"])
            assert result.case_id == "fake.doubles[doubler-b]"

        def test_expect_fails_with_the_evidence(kexue_run):
            kexue_run.expect("fake.failing-squares", plugins=["failing"])

        def test_the_seed_option_reaches_the_case(kexue_run):
            from kexue_verify import derive_seed

            assert kexue_run("fake.good-sum", plugins=["good"]).seed == derive_seed(5, "fake.good-sum")
            assert kexue_run("fake.good-sum", plugins=["good"], seed=7).seed == derive_seed(7, "fake.good-sum")
    """)
    result = pytester.runpytest(*LOAD, "--kexue-seed", "5", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*fake.failing-squares: refuted, wanted verified*", '*counterexample: {"n": 2}*'])


def test_the_example_plugin_package_tests_itself_with_the_plugin(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    pytester.copy_example(str(EXAMPLE_DIR / "tests" / "test_example.py"))
    result = pytester.runpytest(*LOAD, "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*test_claims::example.declared-slope[[]tanh[]] PASSED*"])


def test_the_plugin_is_declared_and_the_project_urls_name_no_wrong_home() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pytest11"] == {"kexue_verify": "kexue_verify.pytest_plugin"}
    urls = project.get("urls", {})
    assert "Source" not in urls            # no public home of the code is known; a blog post is not one
    assert all(u.startswith("https://") and "example" not in u for u in urls.values())
