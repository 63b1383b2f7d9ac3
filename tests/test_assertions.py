"""Typed assertions: formula fields read at load, variants as changed fields, and the mistakes that fail at load."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from kexue_verify import (
    Assertion,
    Claim,
    ClaimDefinitionError,
    Evidence,
    FalseVariant,
    Formula,
    LoadOptions,
    Source,
    load,
    variant,
)
from kexue_verify.assertions import symbols
from kexue_verify.testing import assert_verdict, run_claim

SRC = Source(title="Stirling", author="Su, Jianlin", date="2016-04-15", url="https://kexue.fm/archives/3731")


@dataclass(frozen=True, kw_only=True)
class Ratio(Assertion):
    SYMBOLS = symbols(n={"positive": True})
    prefactor: Formula
    limit: Formula = Formula("1")
    terms: tuple[Formula, ...] = ()
    exact: bool = True


def limit_check(ctx, a: Ratio) -> Evidence:
    """SymPy: lim n!/prefactor(n) = limit — the typed assertion's formulas, parsed with the class's symbols."""
    import sympy as sp

    (n,) = a.prefactor.symbols.values()
    found = sp.limit(sp.factorial(n) / a.prefactor.expr, n, sp.oo)
    from kexue_verify import holds

    return holds("lim n!/prefactor", sp.simplify(found - a.limit.expr) == 0, method="sympy.limit",
                 expected=str(a.limit), found=str(found))


def claim(*variants: FalseVariant, **assertion: object) -> Claim:
    fields = {"prefactor": "sqrt(2*pi*n)*(n/E)**n", **assertion}
    return Claim(id="typed.stirling", title="Stirling", statement="n!", source=SRC, assertion=Ratio(**fields),
                 symbolic=limit_check, false_variants=variants)


def test_formula_fields_are_read_at_construction() -> None:
    a = Ratio(prefactor="sqrt(2*pi*n)*(n/E)**n", terms=["1", "1/12"])
    assert isinstance(a.prefactor, Formula)
    assert a.prefactor == "sqrt(2*pi*n)*(n/E)**n"
    assert isinstance(a.limit, Formula)
    assert a.terms == ("1", "1/12")
    assert all(isinstance(t, Formula) for t in a.terms)
    n = a.prefactor.symbols["n"]
    assert n.is_positive
    assert a.prefactor.expr.has(n)
    assert a.prefactor.expr is a.prefactor.expr  # parsed once


@pytest.mark.parametrize(("text", "message"), [
    ("sqrt(2*pi*n", "cannot read"),
    ("n^2", "write '\\*\\*'"),
    ("__import__('os')", "names starting with '_'"),
    ("", "empty"),
])
def test_a_bad_formula_fails_at_load_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(ClaimDefinitionError, match=rf"Ratio\.prefactor: .*{message}"):
        Ratio(prefactor=text)


def test_a_formula_field_refuses_a_number() -> None:
    with pytest.raises(ClaimDefinitionError, match=r"Ratio\.limit: a formula is a string"):
        Ratio(prefactor="n", limit=1)


def test_parse_uses_the_restricted_parser() -> None:
    a = Ratio(prefactor="sqrt(2*pi*m)")  # 'm' is not declared: the parser refuses it
    with pytest.raises(ClaimDefinitionError, match=r"Ratio\.prefactor: .*'m'"):
        a.parse()
    Ratio(prefactor="sqrt(2*pi*n)").parse()


def test_a_variant_names_only_the_fields_it_changes() -> None:
    c = claim(variant("over-n", r"\sqrt{2\pi/n}", prefactor="sqrt(2*pi/n)*(n/E)**n"),
              variant("limit-two", "limit 2", limit="2"))
    over_n, two = c.false_variants
    assert over_n.assertion == Ratio(prefactor="sqrt(2*pi/n)*(n/E)**n")
    assert two.assertion.prefactor == c.assertion.prefactor
    assert two.assertion.limit == "2"
    assert over_n.changes is None
    assert two.model is None


def test_an_unknown_field_fails_at_load() -> None:
    with pytest.raises(ClaimDefinitionError, match=r"false variant 'typo'.*no field 'prefator'.*prefactor"):
        claim(variant("typo", "misspelt field", prefator="sqrt(2*pi/n)"))


def test_a_bad_formula_in_a_variant_fails_at_load() -> None:
    with pytest.raises(ClaimDefinitionError, match=r"false variant 'caret'.*Ratio\.prefactor.*'\*\*'"):
        claim(variant("caret", "a caret", prefactor="n^n"))


@pytest.mark.parametrize("changes", [
    {"prefactor": "sqrt(2*pi*n)*(n/E)**n"},
    {"prefactor": "sqrt(2 * pi * n) * ((n / E) ** n)"},  # spacing and redundant brackets do not make a variant
    {"limit": "1", "exact": True},
])
def test_a_variant_equal_to_its_claim_fails_at_load(changes: dict[str, object]) -> None:
    with pytest.raises(ClaimDefinitionError, match="asserts exactly what the claim does"):
        claim(variant("same", "no change", **changes))


def test_a_variant_must_change_something() -> None:
    with pytest.raises(ClaimDefinitionError, match="changes nothing"):
        claim(FalseVariant(name="empty", description="nothing"))


def test_a_whole_variant_assertion_must_have_the_claims_type() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Other(Assertion):
        prefactor: Formula

    with pytest.raises(ClaimDefinitionError, match="is a Other, the claim's a Ratio"):
        claim(FalseVariant(name="other", description="other type", assertion=Other(prefactor="n")))


def test_changed_fields_need_a_typed_claim() -> None:
    with pytest.raises(ClaimDefinitionError, match=r"not a typed kexue_verify\.Assertion"):
        Claim(id="plain.claim", title="t", statement="s", source=SRC, assertion={"a": "1"}, symbolic=limit_check,
              false_variants=(variant("v", "d", a="2"),))


def test_assertions_are_frozen_and_picklable() -> None:
    a = Ratio(prefactor="sqrt(2*pi*n)", terms=("1",))
    with pytest.raises(AttributeError):
        a.prefactor = "n"  # type: ignore[misc]
    back = pickle.loads(pickle.dumps(a))
    assert back == a
    assert back.prefactor.symbols["n"].is_positive


def test_a_typed_claim_runs_and_its_variants_are_refuted() -> None:
    c = claim(variant("over-n", r"\sqrt{2\pi/n}", prefactor="sqrt(2*pi/n)*(n/E)**n"),
              variant("limit-two", "limit 2", limit="2"))
    result = run_claim(c)
    assert_verdict(result, "verified")
    assert [v.name for v in result.variants] == ["over-n", "limit-two"]


def test_source_at_points_at_a_section() -> None:
    section = SRC.at("斯特灵级数")
    assert section.section == "斯特灵级数"
    assert section.url == SRC.url
    assert SRC.section is None
    with pytest.raises(ClaimDefinitionError):
        SRC.at("")


PLAIN_PLUGIN = textwrap.dedent('''
    from kexue_verify import Claim, FalseVariant, Source, hookimpl, holds

    def check(ctx, a):
        return holds("k is one", a["k"] == 1, method="constant")

    @hookimpl
    def kexue_register_claims(registry):
        registry.add(Claim(id="plain.old-style", title="t", statement="s",
                           source=Source(title="T", author="Doe, J", date="2024", url="https://example.org"),
                           assertion={"k": 1}, symbolic=check,
                           false_variants=(FalseVariant(name="two", description="d", assertion={"k": 2}),)))
''')


def test_the_plain_dict_form_still_works_with_a_deprecation_warning(tmp_path: Path) -> None:
    (tmp_path / "old_style.py").write_text(PLAIN_PLUGIN)
    with pytest.warns(DeprecationWarning, match=r"plugin 'old_style': an assertion given as plain data is "
                                                r"deprecated \(claims plain.old-style\).*kexue_verify.variant"):
        loaded = load(LoadOptions(dirs=(str(tmp_path),), only=()))
    assert loaded.problems == []
    assert_verdict(run_claim("plain.old-style", loaded=loaded), "verified")


def test_built_in_plugins_raise_no_deprecation_warning(tmp_path: Path) -> None:
    code = ("import warnings; warnings.simplefilter('error')\n"
            "from kexue_verify import LoadOptions, load\n"
            "loaded = load(LoadOptions(only=None))\n"
            "assert not loaded.problems, [(p.name, p.error) for p in loaded.problems]\n"
            "from kexue_verify_plugins.stirling import CLAIMS\n"
            "assert all(c.typed for c in CLAIMS)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_every_stirling_formula_parses() -> None:
    from kexue_verify_plugins.stirling import CLAIMS

    count = 0
    for c in CLAIMS:
        assert c.typed
        c.assertion.parse()
        for v in c.false_variants:
            v.assertion.parse()
            assert not v.assertion.same_as(c.assertion)
            count += 1
    assert count == 38


def test_no_warning_filters_hide_a_builtin_deprecation() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        claim(variant("over-n", "d", prefactor="sqrt(2*pi/n)"))
