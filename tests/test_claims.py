"""The value types (Source, FalseVariant, ModelSpec, Claim, Evidence) and the evidence helpers in checks.py."""

from __future__ import annotations

import json
import math
import os

import pytest

from kexue_verify import (
    Claim,
    ClaimDefinitionError,
    Evidence,
    FalseVariant,
    ModelSpec,
    Outcome,
    Source,
    Verdict,
    at_most,
    close,
    holds,
    undecided,
)
from kexue_verify.claims import resolve
from kexue_verify.evidence import as_evidence_list

SOURCE = Source(title="Stirling's formula and asymptotic series", author="Su, Jianlin", date="2016-04-15",
                url="https://kexue.fm/archives/3731")


def ok_check(ctx, assertion):
    return holds("ok", True)


def make_claim(**overrides) -> Claim:
    fields = {"id": "family.name", "title": "A title", "statement": "x = x", "source": SOURCE, "numeric": ok_check}
    fields.update(overrides)
    return Claim(**fields)


# --- Source ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("author", "date", "title", "key"), [
    ("Su, Jianlin", "2016-04-15", "Stirling's formula", "su2016stirling"),
    ("Jianlin Su", "2016", "Stirling's formula", "su2016stirling"),
    ("Su, Jianlin and Doe, Jane", "2019-07", "The SVD of a matrix", "su2019the"),
    ("O'Brien, Pat", "2020", "An essay", "obrien2020essay"),
    ("Su, Jianlin", "2016-04-15", "斯特灵公式", "su2016"),
])
def test_source_key_is_surname_year_first_word(author: str, date: str, title: str, key: str) -> None:
    assert Source(title=title, author=author, date=date, url="https://example.org").key == key


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("title", "", "Source.title"),
    ("author", "   ", "Source.author"),
    ("url", None, "Source.url"),
    ("date", "15/04/2016", "YYYY"),
    ("date", "2016-4-15", "YYYY"),
])
def test_source_rejects_bad_fields(field: str, value: object, fragment: str) -> None:
    fields = {"title": "T", "author": "A, B", "date": "2016", "url": "https://example.org", field: value}
    with pytest.raises(ClaimDefinitionError, match=fragment):
        Source(**fields)


def test_source_to_dict_leaves_out_empty_fields() -> None:
    assert SOURCE.to_dict() == {"title": SOURCE.title, "author": "Su, Jianlin", "date": "2016-04-15",
                                "url": "https://kexue.fm/archives/3731"}
    assert Source(title="T", author="A", date="2016", url="u", section="§2").to_dict()["section"] == "§2"
    assert SOURCE.year == "2016"


# --- FalseVariant and ModelSpec -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "fragment"), [
    ({"name": "has space", "description": "d"}, "short slug"),
    ({"name": "", "description": "d"}, "short slug"),
    ({"name": "ok", "description": ""}, "description"),
    ({"name": "ok", "description": "d", "model": "no_colon_here"}, "FalseVariant.model"),
    ({"name": "ok", "description": "d", "model": 42}, "FalseVariant.model"),
])
def test_false_variant_validation(fields: dict, fragment: str) -> None:
    with pytest.raises(ClaimDefinitionError, match=fragment):
        FalseVariant(**fields)


def test_false_variant_accepts_lazy_and_callable_models() -> None:
    assert FalseVariant(name="v.1", description="d", model="pkg.mod:make").model == "pkg.mod:make"
    assert FalseVariant(name="v_2", description="d", model=ok_check).model is ok_check


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"name": "bad name", "kind": "k", "factory": ok_check}, "slug"),
    ({"name": "m", "kind": "", "factory": ok_check}, "kind"),
    ({"name": "m", "kind": "k", "factory": None}, "needs a factory"),
    ({"name": "m", "kind": "k", "factory": "not a reference"}, "factory"),
])
def test_model_spec_validation(fields: dict, fragment: str) -> None:
    with pytest.raises(ClaimDefinitionError, match=fragment):
        ModelSpec(**fields)


def test_model_spec_build_calls_the_factory_with_the_context() -> None:
    spec = ModelSpec(name="m", kind="k", factory=lambda ctx: ("built with", ctx))
    assert spec.build("ctx") == ("built with", "ctx")
    assert ModelSpec(name="sqrt", kind="k", factory="math:sqrt").build(16.0) == 4.0


# --- Claim ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("claim_id", ["Stirling.formula", "stirling", "stirling.", ".formula", "a.b c", "a..b",
                                      "a.-b", 7])
def test_claim_id_must_be_lower_case_family_dot_name(claim_id: object) -> None:
    with pytest.raises(ClaimDefinitionError, match=r"family\.name"):
        make_claim(id=claim_id)


@pytest.mark.parametrize("claim_id", ["a.b", "flows.affine-coupling-logdet", "svd.eckart_young.rank-2", "x1.y2"])
def test_claim_id_accepts_good_ids(claim_id: str) -> None:
    assert make_claim(id=claim_id).family == claim_id.split(".")[0]


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"numeric": None}, "give a symbolic check, a numeric check, or both"),
    ({"symbolic": "module.without.colon"}, "symbolic must be a callable"),
    ({"numeric": "pkg:"}, "numeric must be a callable"),
    ({"title": ""}, "title"),
    ({"statement": " "}, "statement"),
    ({"source": {"title": "T"}}, "source must be a Source"),
    ({"expected": "inconclusive"}, "expected must be 'verified' or 'refuted'"),
    ({"proof": "stirling#formula"}, "proof must look like"),
    ({"false_variants": (FalseVariant(name="a", description="d"), FalseVariant(name="a", description="e"))},
     "unique"),
])
def test_claim_validation_names_the_problem(overrides: dict, fragment: str) -> None:
    with pytest.raises(ClaimDefinitionError, match=fragment):
        make_claim(**overrides)


def test_claim_expected_is_a_verdict_and_rejects_unknown_words() -> None:
    assert make_claim(expected="refuted").expected is Verdict.REFUTED
    assert make_claim(expected=Verdict.VERIFIED).expected is Verdict.VERIFIED
    assert make_claim().expected is Verdict.VERIFIED
    with pytest.raises(ClaimDefinitionError, match="got 'sure'"):
        make_claim(expected="sure")


def test_claim_normalises_sequences_and_is_frozen() -> None:
    claim = make_claim(tags=["a", "b"], false_variants=[FalseVariant(name="v", description="d")])
    assert claim.tags == ("a", "b")
    assert isinstance(claim.false_variants, tuple)
    with pytest.raises(AttributeError):
        claim.title = "changed"  # type: ignore[misc]


def test_claim_summary_is_json_ready_metadata() -> None:
    claim = make_claim(id="stirling.formula", label="ST-1", tags=("gamma",), symbolic="math:sqrt",
                       proof="stirling.md#formula", model_kind="flow-layer",
                       false_variants=(FalseVariant(name="sign", description="sign slip"),))
    summary = claim.summary()
    assert json.loads(json.dumps(summary)) == summary
    assert summary == {
        "id": "stirling.formula", "label": "ST-1", "family": "stirling", "title": "A title", "statement": "x = x",
        "source": SOURCE.to_dict(), "tags": ["gamma"], "expected": "verified", "model_kind": "flow-layer",
        "status": None, "proof": "stirling.md#formula",
        "false_variants": [{"name": "sign", "description": "sign slip"}],
        "parts": ["symbolic", "numeric"],
    }


def test_resolve_imports_lazy_references_only_when_asked() -> None:
    assert resolve("os.path:join") is os.path.join
    assert resolve(ok_check) is ok_check
    with pytest.raises(ClaimDefinitionError, match="does not name a callable"):
        resolve("math:pi")
    with pytest.raises(ModuleNotFoundError):
        resolve("kexue_verify_no_such_module:f")


# --- Evidence -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome", [Outcome.PASS, Outcome.FAIL])
@pytest.mark.parametrize(("where", "value"), [
    ("quantities", {"x": math.nan}),
    ("quantities", {"nested": {"deep": [1.0, math.inf]}}),
    ("expected", -math.inf),
    ("tolerance", {"atol": math.nan}),
])
def test_non_finite_evidence_is_an_error_never_a_pass_or_fail(outcome: Outcome, where: str, value: object) -> None:
    ev = Evidence(name="e", outcome=outcome, **{where: value})
    assert ev.outcome is Outcome.ERROR
    assert "non-finite" in ev.note
    assert not ev.passed
    json.dumps(ev.to_dict(), allow_nan=False)  # the report stays valid JSON


def test_non_finite_numbers_are_written_as_strings_and_figure_gaps_as_none() -> None:
    ev = Evidence(name="e", outcome=Outcome.UNDECIDED, quantities={"a": math.nan, "b": [math.inf, -math.inf, 1.0]},
                  counterexample={"x": math.nan}, figure={"series": [{"x": [1, 2], "y": [math.nan, 2.0]}]})
    assert ev.outcome is Outcome.UNDECIDED  # undecided stays undecided; it was never a pass
    assert ev.quantities == {"a": "NaN", "b": ["Infinity", "-Infinity", 1.0]}
    assert ev.counterexample == {"x": "NaN"}
    assert ev.figure == {"series": [{"x": [1, 2], "y": [None, 2.0]}]}


def test_evidence_turns_numpy_torch_and_mpmath_values_into_plain_data() -> None:
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    mpmath = pytest.importorskip("mpmath")
    ev = Evidence(name="e", outcome=Outcome.PASS,
                  quantities={"np": np.float32(0.5), "arr": np.arange(3), "t": torch.tensor([1.5, 2.5]),
                              "mp": mpmath.mpf("0.25"), "flag": np.bool_(True), "tuple": (1, 2), 3: "int key"},
                  expected=torch.tensor(2.0))
    assert ev.quantities == {"np": 0.5, "arr": [0, 1, 2], "t": [1.5, 2.5], "mp": 0.25, "flag": True,
                             "tuple": [1, 2], "3": "int key"}
    assert ev.expected == 2.0
    assert type(ev.quantities["np"]) is float
    assert ev.outcome is Outcome.PASS


def test_evidence_to_dict_includes_steps_and_figure_only_when_present() -> None:
    plain = Evidence(name="e", outcome="pass").to_dict()
    assert set(plain) == {"name", "outcome", "method", "quantities", "expected", "tolerance", "counterexample", "note"}
    assert plain["outcome"] == "pass"
    full = Evidence(name="e", outcome=Outcome.PASS, steps=({"index": 1, "rhs": "x"},), figure={"title": "t"}).to_dict()
    assert full["steps"] == [{"index": 1, "rhs": "x"}]
    assert full["figure"] == {"title": "t"}


def test_evidence_needs_a_name_and_a_known_outcome() -> None:
    with pytest.raises(ClaimDefinitionError, match=r"Evidence\.name"):
        Evidence(name="", outcome=Outcome.PASS)
    with pytest.raises(ValueError, match="'maybe'"):
        Evidence(name="e", outcome="maybe")


# --- checks.py helpers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("measured", "expected", "tol", "relative", "outcome"), [
    (1.0 + 1e-13, 1.0, 1e-12, False, Outcome.PASS),
    (1.0 + 1e-11, 1.0, 1e-12, False, Outcome.FAIL),
    (1.5, 1.0, 0.5, False, Outcome.PASS),            # the bound itself passes
    (1000.5, 1000.0, 1e-3, True, Outcome.PASS),       # relative: 0.5 ≤ 1e-3 · 1000
    (1002.0, 1000.0, 1e-3, True, Outcome.FAIL),
    (1000.5, 1000.0, 1e-3, False, Outcome.FAIL),      # the same numbers, absolute
    (math.nan, 1.0, 1e-3, False, Outcome.ERROR),
    (1.0, math.inf, 1e-3, False, Outcome.ERROR),
    (1.0, 1.0, math.inf, False, Outcome.ERROR),       # an infinite tolerance would pass anything
])
def test_close(measured: float, expected: float, tol: float, relative: bool, outcome: Outcome) -> None:
    ev = close("c", measured, expected, tol=tol, relative=relative, counterexample={"at": 1})
    assert ev.outcome is outcome
    assert ev.tolerance == {("rtol" if relative else "atol"): tol if math.isfinite(tol) else "Infinity"}
    if outcome is not Outcome.ERROR:  # a counterexample is kept only when the comparison failed
        assert ev.counterexample == ({"at": 1} if outcome is Outcome.FAIL else None)


def test_close_records_the_measurement_and_extra_quantities() -> None:
    ev = close("c", 2.0, 1.5, tol=0.1, method="m", n=10)
    assert ev.quantities == {"measured": 2.0, "error": 0.5, "n": 10}
    assert (ev.expected, ev.method) == (1.5, "m")


@pytest.mark.parametrize(("value", "bound", "tol", "outcome"), [
    (1.0, 1.0, 0.0, Outcome.PASS),
    (1.0 + 1e-9, 1.0, 0.0, Outcome.FAIL),
    (1.0 + 1e-9, 1.0, 1e-8, Outcome.PASS),
    (-math.inf, 1.0, 0.0, Outcome.ERROR),
    (math.nan, 1.0, 0.0, Outcome.ERROR),
])
def test_at_most(value: float, bound: float, tol: float, outcome: Outcome) -> None:
    assert at_most("a", value, bound, tol=tol).outcome is outcome


@pytest.mark.parametrize(("condition", "quantities", "outcome"), [
    (True, {}, Outcome.PASS),
    (False, {"x": 1.0}, Outcome.FAIL),
    (True, {"x": math.nan}, Outcome.ERROR),
    (1, {"y": [0.5]}, Outcome.PASS),
])
def test_holds(condition: object, quantities: dict, outcome: Outcome) -> None:
    ev = holds("h", condition, counterexample={"n": 3}, **quantities)
    assert ev.outcome is outcome
    if outcome is not Outcome.ERROR:
        assert ev.counterexample == ({"n": 3} if outcome is Outcome.FAIL else None)


def test_undecided_is_neither_pass_nor_fail() -> None:
    ev = undecided("u", method="sympy.simplify", note="could not simplify", quantities={"residual": "x - x"})
    assert (ev.outcome, ev.note, ev.quantities) == (Outcome.UNDECIDED, "could not simplify", {"residual": "x - x"})


@pytest.mark.parametrize(("value", "fragment"), [
    (None, "returned None"),
    ([], "returned no evidence"),
    ([holds("a", True), "not evidence"], "returned str, not Evidence"),
    (3.0, "not iterable"),
])
def test_as_evidence_list_rejects_what_is_not_evidence(value: object, fragment: str) -> None:
    with pytest.raises(TypeError, match=fragment):
        as_evidence_list(value, "numeric")


def test_as_evidence_list_accepts_one_or_many() -> None:
    one = holds("a", True)
    assert as_evidence_list(one, "numeric") == [one]
    assert as_evidence_list((one, one), "numeric") == [one, one]
    assert as_evidence_list((e for e in [one]), "symbolic") == [one]


def test_status_is_validated_and_reported() -> None:
    from kexue_verify import Status

    source = Source(title="t", author="a", date="2020-01-01", url="https://example.org/x")
    claim = Claim(id="t.constructed", title="t", statement="x", source=source, numeric=lambda ctx, a: None,
                  status="constructed")
    assert claim.status is Status.CONSTRUCTED
    assert claim.summary()["status"] == "constructed"
    with pytest.raises(ClaimDefinitionError, match="status must be one of"):
        Claim(id="t.bad", title="t", statement="x", source=source, numeric=lambda ctx, a: None, status="proven")
