"""Every formula string a plugin supplies is read by :mod:`kexue_verify.formula`, never evaluated.

``sympy.sympify`` and ``parse_expr`` run ``eval`` on a string (and on Python 3.12+ the token filters
meant to make that safe let f-strings through), so the shipped plugins and the core read formula
text only through :func:`kexue_verify.numeric.sympify` / :func:`kexue_verify.formula.parse_formula`
/ :func:`~kexue_verify.formula.parse_relation`.  The scan below fails on any new call of SymPy's
own readers outside a short list of functions that only ever give them SymPy values; the runs below
hand shipped claims a hostile assertion and check that nothing runs and the verdict is an error (a typed
assertion refuses the hostile formula already when it is built).
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from kexue_verify import Assertion, ClaimDefinitionError
from kexue_verify.claims import Verdict
from kexue_verify.plugins import load
from kexue_verify.verdicts import Case, RunConfig, evaluate

ROOT = Path(__file__).resolve().parent.parent
READERS = {"sympify", "S", "parse_expr", "eval", "exec"}
#: (file, function) where SymPy's reader is called on SymPy values (or numbers) only, never on text.
VALUES_ONLY = {
    ("kexue_verify_plugins/stirling/symbolic.py", "same_function"),  # lhs, rhs: expressions built by the caller
    ("kexue_verify_plugins/svd/checks/eckart_young.py", "optimum_formula"),  # the result of parse_formula after .subs
    ("kexue_verify_plugins/lipschitz/quantities.py", "decide_exact"),  # the sides of a parsed relation
    ("kexue_verify/derivation/integrals.py", "num"),  # values of parsed expressions
    ("kexue_verify/derivation/integrals.py", "same"),
    ("kexue_verify/numeric.py", "sympify"),  # after the str case went to parse_formula: numbers only
}


def _reader_calls(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            module = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None
            builtin = isinstance(f, ast.Name) and f.id in {"eval", "exec"}
            if builtin or (name in READERS - {"eval", "exec"} and module in {"sp", "sympy"}):
                found.append((function, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    return found


def _sources() -> list[Path]:
    return sorted(p for d in ("kexue_verify_plugins", "kexue_verify") for p in (ROOT / d).rglob("*.py")
                  if p.name != "formula.py" and "__pycache__" not in p.parts)


def test_no_plugin_or_core_module_hands_text_to_sympys_own_reader() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line} in {function}()"
                 for path in _sources() for function, line in _reader_calls(path)
                 if (str(path.relative_to(ROOT)), function) not in VALUES_ONLY]
    assert not offenders, "read formula text with kexue_verify.numeric.sympify instead:\n" + "\n".join(offenders)


def test_the_scan_finds_a_reader_call() -> None:
    """The scan is not vacuous: it sees the calls the allow-list names."""
    assert _reader_calls(ROOT / "kexue_verify_plugins/lipschitz/quantities.py")


PAYLOAD = "__import__('os').system('touch {marker}')"
FSTRING = "sin(f\"{{__import__('os').system('touch {marker}')}}\")"


@pytest.mark.parametrize(("claim_id", "key"), [
    ("flows.affine-coupling-invertible", "inverse"),
    ("flows.temperature", "variance_factor"),
    ("flows.affine-compute-ratio", "ratio"),
    ("lipschitz.wgan-dual", "critic_lipschitz"),
])
@pytest.mark.parametrize("template", [PAYLOAD, FSTRING], ids=["call", "f-string"])
def test_a_hostile_assertion_in_a_shipped_claim_runs_nothing(claim_id: str, key: str, template: str,
                                                             tmp_path: Path) -> None:
    loaded = load()
    claim = next((c for c in loaded.claims if c.id == claim_id), None)
    if claim is None:
        pytest.fail(f"{claim_id} is not a shipped claim (renamed?); pick another with a formula under {key!r}")
    marker = tmp_path / "ran"
    if isinstance(claim.assertion, Assertion):  # typed: the formula field is read, and refused, when it is built
        assert key in {f.name for f in dataclasses.fields(claim.assertion)}
        with pytest.raises(ClaimDefinitionError):
            claim.assertion.changed(**{key: template.format(marker=marker)})
        assert not marker.exists()
        return
    assert key in claim.assertion
    hostile = dataclasses.replace(claim, assertion={**claim.assertion, key: template.format(marker=marker)},
                                  false_variants=())
    result = evaluate(Case(hostile, None), RunConfig(in_process=True))
    assert not marker.exists()
    assert result.verdict is Verdict.ERROR, result.message
