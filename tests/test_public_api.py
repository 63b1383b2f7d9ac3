"""The public API is pinned: adding or removing a name from ``kexue_verify.__all__`` must be a deliberate change."""

from __future__ import annotations

import importlib
from importlib import metadata

import pytest

import kexue_verify

PUBLIC_API = [
    "Assertion",
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
    "Formula",
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
    "variant",
]

#: What plugin checks import from kexue_verify.helpers (docs/writing-a-plugin.md, docs/reference/helpers.md).
HELPERS_API = ["eps", "float32", "float64", "least_squares", "no_tf32", "remember", "rounding_gamma",
               "seed_torch", "single_threaded", "tolerance", "torch_function"]


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


@pytest.mark.parametrize("module", ["kexue_verify.claims", "kexue_verify.comparisons", "kexue_verify.context",
                                    "kexue_verify.errors", "kexue_verify.verdicts", "kexue_verify.plugins",
                                    "kexue_verify.registry", "kexue_verify.reports", "kexue_verify.selection",
                                    "kexue_verify.testing", "kexue_verify.tolerances", "kexue_verify.pipeline",
                                    "kexue_verify.workers", "kexue_verify.numeric", "kexue_verify.hookspecs",
                                    "kexue_verify.formula", "kexue_verify.outputs", "kexue_verify.capture",
                                    "kexue_verify.interrupts", "kexue_verify.assertions",
                                    "kexue_verify.helpers"])
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


def test_helpers_are_pinned_and_light(tmp_path) -> None:
    import subprocess
    import sys

    import kexue_verify.helpers as helpers

    assert sorted(helpers.__all__) == HELPERS_API
    code = "import sys, kexue_verify.helpers\nprint(sorted(m for m in ('torch', 'sympy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_helpers_do_what_they_say() -> None:
    import torch

    from kexue_verify import helpers
    from kexue_verify.tolerances import tolerance

    x = torch.tensor([1.5, 2.0], dtype=torch.float32, requires_grad=True)
    y = helpers.float64(x)
    assert y.dtype is torch.float64
    assert not y.requires_grad
    assert helpers.float32([1, 2]).dtype is torch.float32
    assert helpers.tolerance("float32", n=10) == tolerance("float32", n=10)
    assert helpers.rounding_gamma(10, "float64") == pytest.approx(10 * 2.0**-53, rel=1e-12)
    f = helpers.torch_function("sqrt(n)*log(n)", "n")
    assert float(f(torch.tensor(4.0, dtype=torch.float64))) == pytest.approx(2 * 1.3862943611198906)
    with helpers.single_threaded():
        assert torch.get_num_threads() == 1
    with helpers.no_tf32("cpu"):
        pass
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], dtype=torch.float64)
    b = a @ torch.tensor([[3.0], [-1.0]], dtype=torch.float64)
    assert torch.allclose(helpers.least_squares(a, b), torch.tensor([[3.0], [-1.0]], dtype=torch.float64))
    rank_one = torch.ones(3, 2, dtype=torch.float64)  # minimum-norm solution of a rank-deficient system
    assert torch.allclose(helpers.least_squares(rank_one, torch.ones(3, 1, dtype=torch.float64)),
                          torch.full((2, 1), 0.5, dtype=torch.float64))


def test_generator_streams_are_labelled_and_independent() -> None:
    import torch

    from kexue_verify import CheckContext

    ctx = CheckContext(case_id="api.streams", seed=11)
    draw = lambda g: torch.rand(4, generator=g, dtype=torch.float64)  # noqa: E731
    assert torch.equal(draw(ctx.generator("weights")), draw(ctx.generator("weights")))
    assert not torch.equal(draw(ctx.generator("weights")), draw(ctx.generator("probes")))
    assert not torch.equal(draw(ctx.generator("weights")), draw(ctx.generator(0)))
    other = CheckContext(case_id="api.other", seed=11)
    assert not torch.equal(draw(ctx.generator("weights")), draw(other.generator("weights")))
    # an integer keeps the old meaning: seed + offset
    assert torch.equal(draw(ctx.generator(3)), draw(torch.Generator().manual_seed(14)))
    assert ctx.rng("a").random() != ctx.rng("b").random()
    assert ctx.rng(2).random() == CheckContext(case_id="x.y", seed=13).rng().random()
    with pytest.raises(ValueError, match="non-empty"):
        ctx.generator("")
    with pytest.raises(TypeError, match="label"):
        ctx.generator(1.5)
