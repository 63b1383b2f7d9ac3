"""Shared fixtures for the core's tests: the fake plugins, a CLI runner, and one shared run of the fakes.

The fake plugins live in ``tests/fake_plugins/`` (see its README).  Tests that load plugins set
``KEXUE_VERIFY_PLUGINS=""`` so that the built-in topics stay out and only the fakes load.

Golden files in ``tests/golden/`` are compared with the renderers' output; regenerate them with
``pytest --regen-golden`` (or ``KEXUE_VERIFY_REGEN_GOLDEN=1``) after a deliberate change of format.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kexue_verify.cli import cli
from kexue_verify.plugins import ENV_PLUGINS

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FAKES = TESTS / "fake_plugins"
CORE_FAKES = FAKES / "core"
SLOW_FAKES = FAKES / "slow"
BROKEN_FAKES = FAKES / "broken"
MODULE_FAKES = FAKES / "modules"
GOLDEN = TESTS / "golden"

#: Commands that load no plugins, so take no --plugins-dir.
COMMANDS_WITHOUT_PLUGINS = ("cite", "prove", "new-plugin", "cache")

#: Every case the ``core`` and ``slow`` fakes produce, with the verdict each must get.
FAKE_VERDICTS = {
    "fake.doubles[doubler-a]": "verified",
    "fake.doubles[doubler-b]": "verified",
    "fake.failing-squares": "refuted",
    "fake.good-sum": "verified",
    "fake.nan": "error",
    "fake.orphan": "inconclusive",
    "fake.post-typo": "refuted",
    "fake.raising": "error",
    "fake.seeded": "verified",
    "fake.weak": "inconclusive",
    "slow.crash": "error",
    "slow.hang": "timeout",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the current renderers instead of comparing with it")


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's result cache: the session's fixtures get one of their own ..."""
    os.environ["KEXUE_VERIFY_CACHE_DIR"] = str(tmp_path_factory.mktemp("result-cache"))


@pytest.fixture(autouse=True)
def _fresh_result_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """... and each test an empty one, so that no test sees verdicts another test's run stored."""
    monkeypatch.setenv("KEXUE_VERIFY_CACHE_DIR", str(tmp_path_factory.mktemp("result-cache")))


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden")) or os.environ.get("KEXUE_VERIFY_REGEN_GOLDEN") == "1"


@pytest.fixture
def no_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load no built-in or entry-point plugin: only what the test names with --plugins-dir / -p."""
    monkeypatch.setenv(ENV_PLUGINS, "")


@dataclass
class Invoker:
    """``invoke("run", "all", ...)`` runs the CLI in-process with the fake plugins' environment."""

    runner: CliRunner
    env: dict[str, str]

    def __call__(self, *args: Any, plugins: Sequence[Path] = (CORE_FAKES,)) -> Result:
        argv = [str(a) for a in args]
        if argv and argv[0] not in COMMANDS_WITHOUT_PLUGINS:
            for folder in plugins:
                argv += ["--plugins-dir", str(folder)]
        return self.runner.invoke(cli, argv, env=self.env, catch_exceptions=False)


@pytest.fixture
def invoke(no_builtins: None) -> Invoker:
    return Invoker(CliRunner(), {ENV_PLUGINS: ""})


@dataclass
class SharedRun:
    """One run of every core and slow fake in worker processes (-j 2, --timeout 3), with all four outputs."""

    result: Result
    folder: Path

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.folder / "report.json").read_text(encoding="utf-8"))

    def entry(self, case_id: str) -> dict[str, Any]:
        return next(e for e in self.report["claims"] if e["id"] == case_id)


@pytest.fixture(scope="session")
def fake_run(tmp_path_factory: pytest.TempPathFactory) -> SharedRun:
    """The expensive run, done once per session: spawns workers, waits out the hanging check, survives the crash."""
    folder = tmp_path_factory.mktemp("fake_run")
    invoker = Invoker(CliRunner(), {ENV_PLUGINS: ""})
    outputs = [a for name in ("report.json", "report.md", "report.html", "junit.xml")
               for a in ("-o", folder / name)]
    result = invoker("run", "all", "-j", "2", "--timeout", "3", "--no-cache", *outputs,
                     plugins=(CORE_FAKES, SLOW_FAKES))
    return SharedRun(result, folder)


@pytest.fixture(scope="session")
def one_thread():
    """The topic tests work on tiny tensors: one intra-op thread avoids OpenMP overhead on a shared machine.

    Session-wide, since the count is never raised again (``kexue_verify.threads`` says why).
    """
    from kexue_verify.threads import single_threaded

    with single_threaded():
        yield


@pytest.fixture(autouse=True, scope="session")
def _last_failed_cache_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every ``run`` records what was unexpected for ``--lf``; the tests keep that file out of the checkout.

    A test that is about the cache folder sets ``KEXUE_VERIFY_CACHE_DIR`` itself (monkeypatch wins)."""
    from kexue_verify.cache import ENV_CACHE_DIR

    previous = os.environ.get(ENV_CACHE_DIR)
    os.environ.setdefault(ENV_CACHE_DIR, str(tmp_path_factory.mktemp("kexue-verify-cache")))
    yield
    if previous is None:
        os.environ.pop(ENV_CACHE_DIR, None)
