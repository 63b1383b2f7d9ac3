"""Claims inside pytest: one pytest item per case of a project's own claims, and a fixture to run a claim.

Installed with kexue-verify as the ``pytest11`` entry point ``kexue_verify``, so pytest loads it by itself.
It does nothing until a test module asks for it with one line::

    from kexue_verify.pytest_plugin import claim_tests

    test_claims = claim_tests(plugins=["my_claims"])      # one test per case of my_claims' claims

Each case of the claims those plugins register (a claim about a model kind once per registered model) becomes
an item named by its case id, ``test_claims[my-claims.am-gm]``.  An item passes when the verdict is the
expected one (a claim expected ``refuted`` passes when refuted, like a strict xfail), is skipped when the
verdict is ``skipped``, and fails otherwise with the evidence that decided it as the failure message.
``-k`` matches case ids, catalogue labels, tags and model names; ``-x``, ``--lf`` and ``-v`` work as usual.

The fixture ``kexue_run`` runs one claim, possibly on one model, inside an ordinary test and returns its
:class:`~kexue_verify.verdicts.CaseResult`; ``kexue_run.expect(...)`` also asserts the expected verdict.
``--kexue-seed``, ``--kexue-device`` and ``--kexue-dtype`` apply to both.  This module imports neither torch
nor sympy: it is loaded by every pytest run of an environment where kexue-verify is installed.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kexue_verify.claims import Claim, ModelSpec, Verdict
from kexue_verify.verdicts import Case, CaseResult, RunConfig, evaluate

__all__ = ["ClaimRunner", "ClaimTests", "claim_tests"]


@dataclass(frozen=True)
class ClaimTests:
    """What a test module declares with :func:`claim_tests`: whose claims become test items."""

    plugins: tuple[str, ...] = ()
    plugin_dirs: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ("all",)
    keyword: str | None = None


def claim_tests(plugins: Sequence[str] = (), *, plugin_dirs: Sequence[str | Path] = (),
                patterns: Sequence[str] = ("all",), keyword: str | None = None) -> ClaimTests:
    """Declare, as a module attribute named ``test_*``, one pytest item per case of these plugins' claims.

    ``plugins`` are importable plugin modules (as for ``-p``), ``plugin_dirs`` folders (as for
    ``--plugins-dir``; relative to the test module).  Only the claims these plugins register become items, and
    they run on every registered model of their kind, the built-in topics' models included.  ``patterns`` and
    ``keyword`` narrow the claims as on the command line.
    """
    if not plugins and not plugin_dirs:
        raise ValueError("claim_tests() needs plugins=['my_module'] or plugin_dirs=['folder']")
    caller = Path(inspect.stack()[1].filename).resolve().parent
    dirs = tuple(str((caller / d).resolve()) if not Path(d).is_absolute() else str(d) for d in plugin_dirs)
    return ClaimTests(tuple(plugins), dirs, tuple(patterns) or ("all",), keyword)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kexue-verify", "kexue-verify claims")
    group.addoption("--kexue-seed", type=int, default=0, help="base seed of claim items and kexue_run (default 0)")
    group.addoption("--kexue-device", default="cpu", choices=["cpu", "cuda"],
                    help="device of claim items and kexue_run (default cpu)")
    group.addoption("--kexue-dtype", default="float64", choices=["float64", "float32"],
                    help="dtype of claim items and kexue_run (default float64)")


def _config(config: pytest.Config) -> RunConfig:
    return RunConfig(seed=config.getoption("kexue_seed"), device=config.getoption("kexue_device"),
                     dtype=config.getoption("kexue_dtype"), in_process=True)


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> Any:
    if isinstance(obj, ClaimTests):
        return ClaimCollector.from_parent(collector, name=name, spec=obj)
    return None


def _load(spec: ClaimTests) -> tuple[Any, set[str]]:
    """The plugins as the command line loads them plus the declared ones, and the names of the declared ones.

    A declared module that is also installed (an entry point) is loaded once, as the entry point.
    """
    from kexue_verify.plugins import LoadOptions
    from kexue_verify.testing import builtin_plugins

    loaded = builtin_plugins(LoadOptions.from_env(modules=spec.plugins, dirs=spec.plugin_dirs))
    own, broken = set(), []
    for info in loaded.plugins:
        declared = info.origin == "plugins-dir" or info.module in spec.plugins or info.name in spec.plugins
        if declared and not info.error:
            own.add(info.name)
        elif declared and info.origin in ("command-line", "plugins-dir") and "already" not in (info.error or ""):
            broken.append(f"{info.name}: {info.error}")
    if broken:
        raise pytest.UsageError("claim_tests: plugin not loaded: " + "; ".join(broken))
    return loaded, own


class ClaimCollector(pytest.Collector):
    """The items of one :func:`claim_tests` declaration: one per case of the declared plugins' claims and models."""

    def __init__(self, *, spec: ClaimTests, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def collect(self) -> Iterator[pytest.Item]:
        from kexue_verify.pipeline import plan

        loaded, own = _load(self.spec)
        claims = {c.id for c in loaded.claims if loaded.claims.origin(c.id) in own}
        models = {m.name for m in loaded.models if loaded.models.origin(m.name) in own}
        if not claims and not models:
            raise pytest.UsageError(f"claim_tests: the plugins {sorted(own)} register no claim and no model")
        for case in plan(loaded, self.spec.patterns, keyword=self.spec.keyword):
            if case.claim.id in claims or (case.model is not None and case.model.name in models):
                yield ClaimItem.from_parent(self, name=case.id, case=case, loaded=loaded)


class ClaimFailure(Exception):  # noqa: N818 - like pytest's own Failed
    """A case whose verdict is not the expected one; carries the result for the failure message."""

    def __init__(self, result: CaseResult, claim: Claim) -> None:
        super().__init__(f"{result.case_id}: {result.verdict.value}, expected {result.expected.value}")
        self.result, self.claim = result, claim


class ClaimItem(pytest.Item):
    """One case: passes when its verdict is the expected one."""

    def __init__(self, *, case: Case, loaded: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case, self.loaded = case, loaded
        claim = case.claim
        for word in (claim.id, claim.label, *claim.tags, case.model.name if case.model else None):
            if word:
                self.extra_keyword_matches.add(word)
        self.add_marker(pytest.mark.kexue_claim(claim.id))
        self.result: CaseResult | None = None

    def runtest(self) -> None:
        from kexue_verify.workers import proof_evidence

        config = _config(self.config)
        result = evaluate(self.case, config, proof_evidence(self.case, self.loaded, config))
        self.result = result
        if result.verdict is Verdict.SKIPPED:
            pytest.skip(result.message or "skipped")
        if not result.as_expected:
            raise ClaimFailure(result, self.case.claim)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ClaimFailure):
            from kexue_verify.terminal import describe

            failure = excinfo.value
            return "\n".join([str(failure), *describe(failure.result, failure.claim)])
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        return self.path, None, f"claim {self.case.id}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kexue_claim(id): a kexue-verify claim case (added by claim_tests)")


class ClaimRunner:
    """The ``kexue_run`` fixture: ``kexue_run("family.claim", model="my-net")`` returns the CaseResult."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config

    def __call__(self, claim: Claim | str, *, model: ModelSpec | str | None = None, plugins: Sequence[str] = (),
                 seed: int | None = None, dtype: str | None = None, device: str | None = None) -> CaseResult:
        """Run ``claim`` (an id or a Claim) in this process, on ``model`` (a name or a ModelSpec) if given.

        Ids and names are looked up among the built-in and installed plugins and ``plugins`` (module names).
        """
        from kexue_verify.plugins import LoadOptions
        from kexue_verify.testing import builtin_plugins, run_claim

        loaded = builtin_plugins(LoadOptions.from_env(modules=plugins))
        if isinstance(claim, str) and claim not in loaded.claims:
            problems = "; ".join(f"{p.name}: {p.error}" for p in loaded.problems)
            pytest.fail(f"kexue_run: no claim {claim!r} is registered"
                        + (f" (plugins not loaded: {problems})" if problems
                           else "; name its plugin module with plugins=[...]"), pytrace=False)
        if isinstance(model, str) and model not in loaded.models:
            pytest.fail(f"kexue_run: no model {model!r} is registered; name its plugin with plugins=[...]",
                        pytrace=False)
        return run_claim(claim, model=model, loaded=loaded, seed=self.config.seed if seed is None else seed,
                         dtype=dtype or self.config.dtype, device=device or self.config.device)

    def expect(self, claim: Claim | str, verdict: Verdict | str | None = None, **kwargs: Any) -> CaseResult:
        """Run ``claim`` and fail the test, with the evidence, unless its verdict is ``verdict`` (default: the
        claim's expected verdict); a verified verdict also needs every false variant refuted."""
        from kexue_verify.terminal import describe

        result = self(claim, **kwargs)
        want = result.expected if verdict is None else Verdict(verdict)
        if result.verdict is not want:
            claim_obj = claim if isinstance(claim, Claim) else None
            pytest.fail("\n".join([f"{result.case_id}: {result.verdict.value}, wanted {want.value}",
                                   *describe(result, claim_obj)]), pytrace=False)
        return result


@pytest.fixture
def kexue_run(request: pytest.FixtureRequest) -> ClaimRunner:
    """Run a claim, possibly on one model, inside a test: ``kexue_run.expect("family.claim", model="my-net")``."""
    return ClaimRunner(_config(request.config))
