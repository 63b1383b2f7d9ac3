"""The docs match the code: every hook and command is documented, the CLI reference is current,
the README's commands are the ones CI runs, and the example plugin package works."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from kexue_verify import LoadOptions, hookspecs, load
from kexue_verify.cli import cli
from kexue_verify.testing import assert_verdict, run_claim

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLE = DOCS / "examples" / "kexue-verify-example"
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("kexue_"))


def test_there_are_hooks_to_document():
    assert HOOKS == ["kexue_register_claims", "kexue_register_models", "kexue_register_reporters"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    assert f"`{hook}" in (DOCS / "reference" / "hooks.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_in_the_cli_reference_and_has_examples(command):
    assert f"## kexue-verify {command}\n" in (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert "Examples:" in (cli.commands[command].epilog or ""), f"{command} --help needs examples"


def test_cli_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_cli_reference", DOCS / "gen_cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() == module.TARGET.read_text(encoding="utf-8"), "run: python docs/gen_cli_reference.py"


def test_readme_quick_start_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "kexue-verify run all" in readme
    test_command = re.search(r'pip install -e "\.\[test\]" && (python -m pytest)', readme)
    assert test_command, "the README's second quick-start command installs the test extra and runs pytest"
    assert 'pip install --quiet -e ".[test]"' in ci
    assert ci.rstrip().endswith(test_command.group(1))


@pytest.mark.parametrize("page", ["quickstart.md", "writing-a-plugin.md", "report-schema.md", "explanation.md",
                                  "development.md", "derivations.md", "reference/hooks.md", "security.md",
                                  "report.md"])
def test_docs_pages_exist_and_are_linked_from_the_index(page):
    assert (DOCS / page).is_file()
    assert page in (DOCS / "index.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example_plugin():
    import sys

    sys.path.insert(0, str(EXAMPLE))
    try:
        yield load(LoadOptions(modules=("kexue_verify_example",), only=()))
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in [m for m in sys.modules if m.startswith("kexue_verify_example")]:
            del sys.modules[name]


def test_example_plugin_registers_claims_and_models(example_plugin):
    assert {"example.sigmoid-slope", "example.declared-slope"} <= set(example_plugin.claims.ids())
    assert [m.name for m in example_plugin.models.of_kind("scalar-activation")] == ["sigmoid", "tanh"]


def test_example_claim_verified_with_false_variants_refuted(example_plugin):
    assert_verdict(run_claim("example.sigmoid-slope", loaded=example_plugin), "verified")


@pytest.mark.parametrize("model", ["tanh", "sigmoid"])
def test_example_model_claim_runs_on_each_model(example_plugin, model):
    result = run_claim("example.declared-slope", model=model, loaded=example_plugin)
    assert_verdict(result, "verified")
    assert result.variants[0].name == "understated-tanh"
