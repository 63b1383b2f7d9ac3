"""The public API is pinned: adding or removing a name from ``kexue_verify.__all__`` must be a deliberate change."""

from __future__ import annotations

import importlib
from importlib import metadata

import pytest

import kexue_verify

PUBLIC_API = [
    "Case",
    "CaseResult",
    "CheckContext",
    "CheckError",
    "Claim",
    "ClaimDefinitionError",
    "ClaimRegistry",
    "DerivationError",
    "DuplicateIdError",
    "Evidence",
    "FalseVariant",
    "FormulaError",
    "KexueError",
    "LoadOptions",
    "LoadedPlugins",
    "ModelRegistry",
    "ModelSpec",
    "Outcome",
    "PluginError",
    "ReporterRegistry",
    "RunConfig",
    "RunOutcome",
    "SkipCheck",
    "Source",
    "Status",
    "UsageError",
    "Verdict",
    "__version__",
    "at_most",
    "close",
    "derive_seed",
    "evaluate",
    "holds",
    "hookimpl",
    "load",
    "run",
    "undecided",
]


def test_all_is_pinned() -> None:
    assert sorted(kexue_verify.__all__) == PUBLIC_API
    assert len(set(kexue_verify.__all__)) == len(kexue_verify.__all__)


@pytest.mark.parametrize("name", PUBLIC_API)
def test_every_public_name_is_importable(name: str) -> None:
    module = importlib.import_module("kexue_verify")
    assert getattr(module, name) is not None
    exec(f"from kexue_verify import {name}", {})


def test_version_is_the_installed_distributions() -> None:
    assert kexue_verify.__version__ == metadata.version("kexue-verify")


@pytest.mark.parametrize("module", ["kexue_verify.claims", "kexue_verify.checks", "kexue_verify.context",
                                    "kexue_verify.errors", "kexue_verify.evaluation", "kexue_verify.plugins",
                                    "kexue_verify.registry", "kexue_verify.reports", "kexue_verify.selection",
                                    "kexue_verify.testing", "kexue_verify.tolerances", "kexue_verify.verify",
                                    "kexue_verify.runner", "kexue_verify.numeric", "kexue_verify.hookspecs",
                                    "kexue_verify.formula", "kexue_verify.outputs", "kexue_verify.capture",
                                    "kexue_verify.interrupts"])
def test_submodule_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in getattr(mod, "__all__", []) if not hasattr(mod, name)]
    assert missing == []


def test_exceptions_share_one_base() -> None:
    for name in ("CheckError", "ClaimDefinitionError", "DerivationError", "DuplicateIdError", "FormulaError",
                 "PluginError", "UsageError"):
        assert issubclass(getattr(kexue_verify, name), kexue_verify.KexueError)
    assert issubclass(kexue_verify.DuplicateIdError, kexue_verify.PluginError)
    assert not issubclass(kexue_verify.SkipCheck, kexue_verify.KexueError)  # a signal, not a mistake


def test_testing_helpers_run_a_claim_and_explain_a_wrong_verdict() -> None:
    from kexue_verify import Claim, FalseVariant, Source, holds
    from kexue_verify.testing import assert_verdict, run_claim

    def check(ctx, a):
        return holds("parity", a % 2 == 0, value=a)

    claim = Claim(id="api.even", title="Four is even", statement="2 | 4", assertion=4, numeric=check,
                  source=Source(title="T", author="A", date="2024", url="https://example.org"),
                  false_variants=(FalseVariant(name="five", description="2 | 5", assertion=5),
                                  FalseVariant(name="six", description="2 | 6", assertion=6)))
    result = run_claim(claim, loaded=kexue_verify.load(kexue_verify.LoadOptions(only=())))
    assert result.verdict is kexue_verify.Verdict.INCONCLUSIVE  # "six" is even too: the check cannot refute it
    with pytest.raises(AssertionError, match="verdict inconclusive, wanted verified"):
        assert_verdict(result, "verified")
    with pytest.raises(AssertionError, match=r"false variants not refuted: \['six'\]"):
        assert_verdict(result, "inconclusive")
    assert_verdict(result, "inconclusive", variants_refuted=False)
