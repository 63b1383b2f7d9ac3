"""Choosing claims: ids, families, labels, globs, tags, ``-k`` expressions, ``claim[model]`` cases, did-you-mean."""

from __future__ import annotations

import pytest
from conftest import CORE_FAKES
from hypothesis import given
from hypothesis import strategies as st

from kexue_verify import Claim, LoadOptions, Source, UsageError, holds, load
from kexue_verify.pipeline import plan
from kexue_verify.selection import parse_keyword, select

SOURCE = Source(title="T", author="A, B", date="2020", url="https://example.org")


def claim(claim_id: str, title: str = "a title", label: str | None = None, tags: tuple[str, ...] = ()) -> Claim:
    return Claim(id=claim_id, title=title, label=label, tags=tags, statement="s", source=SOURCE,
                 numeric=lambda ctx, a: holds("h", True))


CLAIMS = [
    claim("stirling.series", "Stirling's asymptotic series", "ST-2", ("asymptotics",)),
    claim("stirling.formula", "Stirling's formula", "ST-1", ("asymptotics", "gamma")),
    claim("flows.affine-logdet", "Affine coupling log-determinant", "FLOW-2", ("flows", "jacobian")),
    claim("flows.actnorm", "Actnorm scales per channel", "FLOW-5", ("flows",)),
    claim("svd.eckart-young", "Truncated SVD is optimal", "SVD-3"),
]


def ids(claims) -> list[str]:
    return [c.id for c in claims]


@pytest.mark.parametrize(("expr", "words", "hit"), [
    ("stirling", {"stirling.formula"}, True),
    ("STIRLING", {"stirling.formula"}, True),
    ("form", {"stirling.formula"}, True),  # substrings match
    ("series", {"stirling.formula"}, False),
    ("stirling and not series", {"stirling.formula", "st-1"}, True),
    ("stirling and not series", {"stirling.series", "st-2"}, False),
    ("a or b", {"xbx"}, True),
    ("not a and b", {"b"}, True),           # not binds tighter than and
    ("not (a and b)", {"ab"}, False),
    ("a or b and c", {"a"}, True),          # and binds tighter than or
    ("(a or b) and c", {"a"}, False),
    ("not not a", {"a"}, True),
    ("((st-1))", {"st-1"}, True),
])
def test_keyword_expressions(expr: str, words: set[str], hit: bool) -> None:
    assert parse_keyword(expr)(words) is hit


@pytest.mark.parametrize(("expr", "fragment"), [
    ("", "needs an expression"),
    ("   ", "needs an expression"),
    ("a and", "expected a word"),
    ("or a", "expected a word"),
    ("not", "expected a word"),
    ("(a or b", "missing '\\)'"),
    ("a)", "unexpected '\\)'"),
    ("a b", "unexpected 'b'"),
])
def test_bad_keyword_expressions_are_usage_errors(expr: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        parse_keyword(expr)


def test_keyword_is_never_evaluated_as_python() -> None:
    assert parse_keyword("1 or 0")({"stirling"}) is False  # Python would say 1
    assert parse_keyword("True")({"stirling"}) is False
    assert parse_keyword("__import__ and os.system")({"__import__ os.system"}) is True


WORDS = ("alpha", "beta", "gamma")  # none is a substring of another
word = st.sampled_from(WORDS)
nested = st.recursive(word, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    inner.map(lambda e: f"not {e}"),
), max_leaves=8)
flat = st.lists(st.tuples(st.booleans(), word), min_size=1, max_size=6).flatmap(
    lambda terms: st.lists(st.sampled_from(["and", "or"]), min_size=len(terms) - 1, max_size=len(terms) - 1).map(
        lambda ops: " ".join(
            (f"{op} " if op else "") + ("not " if negate else "") + w
            for op, (negate, w) in zip(["", *ops], terms, strict=True)
        )))


@given(st.one_of(nested, flat), st.sets(word))
def test_keyword_expressions_follow_python_boolean_rules(expr: str, present: set[str]) -> None:
    """Same precedence as Python (not > and > or), checked against Python on plain booleans."""
    truth = eval(expr, {"__builtins__": {}}, {w: w in present for w in WORDS})
    assert parse_keyword(expr)(present) is truth


@pytest.mark.parametrize(("patterns", "expected"), [
    (("all",), ["flows.actnorm", "flows.affine-logdet", "stirling.formula", "stirling.series", "svd.eckart-young"]),
    ((), ["flows.actnorm", "flows.affine-logdet", "stirling.formula", "stirling.series", "svd.eckart-young"]),
    (("stirling.formula",), ["stirling.formula"]),
    (("stirling",), ["stirling.formula", "stirling.series"]),          # a family
    (("ST-1",), ["stirling.formula"]),                                # a catalogue label
    (("flow-2",), ["flows.affine-logdet"]),                            # labels ignore case
    (("flows.a*",), ["flows.actnorm", "flows.affine-logdet"]),         # a glob over ids
    (("*.s?ries",), ["stirling.series"]),
    (("svd", "ST-2", "svd.eckart-young"), ["stirling.series", "svd.eckart-young"]),  # union, no duplicates
])
def test_select_patterns(patterns: tuple[str, ...], expected: list[str]) -> None:
    assert ids(select(CLAIMS, patterns)) == expected


def test_select_with_keyword_and_tags() -> None:
    assert ids(select(CLAIMS, keyword="stirling and not series")) == ["stirling.formula"]
    assert ids(select(CLAIMS, keyword="st-1 or flow-5")) == ["flows.actnorm", "stirling.formula"]
    assert ids(select(CLAIMS, keyword="jacobian")) == ["flows.affine-logdet"]  # tags are words too
    assert ids(select(CLAIMS, keyword="optimal")) == []                         # titles are not words
    assert ids(select(CLAIMS, tags=["asymptotics"])) == ["stirling.formula", "stirling.series"]
    assert ids(select(CLAIMS, tags=["asymptotics", "gamma"])) == ["stirling.formula"]
    assert ids(select(CLAIMS, ["flows"], keyword="stirling")) == []


def test_keyword_words_are_not_matched_against_titles() -> None:
    """The quickstart's -k 'logdet and not lu' must keep a claim whose title says "convolution"."""
    conv = claim("flows.conv1x1-logdet", "Invertible 1x1 convolution log-determinant", "FLOW-9", ("flows",))
    lu = claim("flows.lu-logdet", "LU-parametrised 1x1 convolution", "FLOW-10", ("flows",))
    assert ids(select([*CLAIMS, conv, lu], keyword="logdet and not lu")) == ["flows.affine-logdet",
                                                                             "flows.conv1x1-logdet"]
    assert ids(select([*CLAIMS, conv, lu], keyword="convolution")) == []


@pytest.mark.parametrize(("pattern", "suggestion"), [
    ("stirling.formul", "stirling.formula"),
    ("stirlng.series", "stirling.series"),
    ("ST-3", "ST-1"),
])
def test_unknown_pattern_suggests_the_closest_ids(pattern: str, suggestion: str) -> None:
    with pytest.raises(UsageError, match=f"no claim matches '{pattern}'; did you mean .*{suggestion}"):
        select(CLAIMS, [pattern])


def test_unknown_pattern_without_neighbours_points_to_list() -> None:
    with pytest.raises(UsageError, match=r"no claim matches 'zzzzzz' \(see `kexue-verify list`\)"):
        select(CLAIMS, ["zzzzzz"])


# --- cases: claims about a model kind expand over its models --------------------------------------------------------

@pytest.fixture(scope="module")
def fakes():
    return load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))


def case_ids(cases) -> list[str]:
    return [c.id for c in cases]


def test_a_model_claim_expands_over_every_model_of_its_kind(fakes) -> None:
    assert case_ids(plan(fakes, ["fake.doubles"])) == ["fake.doubles[doubler-a]", "fake.doubles[doubler-b]"]
    assert case_ids(plan(fakes, ["fake.orphan"])) == ["fake.orphan"]  # no model of its kind: one case, no model


@pytest.mark.parametrize(("patterns", "expected"), [
    (["fake.doubles[doubler-b]"], ["fake.doubles[doubler-b]"]),
    (["fake.doubles[doubler-b]", "fake.good-sum"], ["fake.doubles[doubler-b]", "fake.good-sum"]),
    (["fake.doubles[doubler-a]", "FK-1"], ["fake.doubles[doubler-a]", "fake.good-sum"]),
    (["fake.doubles[doubler-a]", "fake.g*"], ["fake.doubles[doubler-a]", "fake.good-sum"]),
    (["fake.doubles[doubler-a]", "fake.doubles"], ["fake.doubles[doubler-a]", "fake.doubles[doubler-b]"]),
    (["fake.doub*[doubler-b]"], ["fake.doubles[doubler-b]"]),
    (["fake.doubles[doubler-*]"], ["fake.doubles[doubler-a]", "fake.doubles[doubler-b]"]),
])
def test_one_case_of_a_model_claim_can_be_chosen(fakes, patterns: list[str], expected: list[str]) -> None:
    assert case_ids(plan(fakes, patterns)) == expected


def test_a_case_mixed_with_a_family_keeps_the_whole_family(fakes) -> None:
    cases = case_ids(plan(fakes, ["fake.doubles[doubler-a]", "fake"]))
    assert len(cases) == 10
    assert "fake.doubles[doubler-b]" in cases


def test_an_unknown_model_in_brackets_is_a_usage_error(fakes) -> None:
    with pytest.raises(UsageError, match=r"no case matches 'fake.doubles\[doubler-c\]'; did you mean "
                                         r"fake.doubles\[doubler-"):
        plan(fakes, ["fake.doubles[doubler-c]"])


def test_keyword_matches_a_case_by_its_model_name(fakes) -> None:
    assert case_ids(plan(fakes, ["all"], keyword="doubler-b")) == ["fake.doubles[doubler-b]"]
    assert "fake.doubles[doubler-a]" in case_ids(plan(fakes, ["all"], keyword="not doubler-b"))
    assert "fake.doubles[doubler-b]" not in case_ids(plan(fakes, ["all"], keyword="not doubler-b"))
