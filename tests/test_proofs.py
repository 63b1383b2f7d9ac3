"""Proof documents: loading, checking, mutation testing, references and printing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kexue_verify.derivation import StepStatus, check_derivation
from kexue_verify.errors import DerivationError
from kexue_verify.proofs import (
    DEFAULT_PROOF_DIRS,
    check_document,
    format_results,
    load_document,
    resolve_proof,
)

ROOT = Path(__file__).resolve().parent.parent
PROOFS = sorted((ROOT / "proofs").glob("*.md"))
STIRLING = ROOT / "proofs" / "stirling.md"
FLOWS = ROOT / "proofs" / "flows.md"


def write(tmp_path: Path, text: str, name: str = "doc.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """\
# A small document

Some prose.

```python
print("not a derivation")
```

```derivation square
title: The square of a sum
assume x: real, -3 <= x <= 3
  (x + 1)**2
= x**2 + 2*x + 1          # binomial theorem
>= 2*x                    # x² + 1 >= 0
```

More prose.

```derivation limit
assume n: positive
  (1 + 1/n)**n
-> E    as n -> oo        # DLMF 4.4.13
```
"""


# --------------------------------------------------------------------------------------------
# The shipped documents
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PROOFS, ids=lambda p: p.name)
def test_every_document_checks_clean(path):
    results = check_document(path)
    assert results, f"{path.name} has no derivations"
    failures = {r.name: r.first_failure for r in results if not r.ok}
    assert not failures, format_results(results)


def test_documents_are_found_where_claims_look():
    """From a checkout (editable install) the first default folder is proofs/; from a wheel, the packaged copy."""
    assert {p.name for p in PROOFS} >= {"stirling.md", "flows.md"}
    found = next(d for d in DEFAULT_PROOF_DIRS if d.is_dir())
    assert {p.name: p.read_text(encoding="utf-8") for p in found.glob("*.md")} == {
        p.name: p.read_text(encoding="utf-8") for p in PROOFS}


@pytest.mark.parametrize(
    ("name", "old", "new", "step"),
    [
        pytest.param(
            "laplace-route",
            "= x**(x + 1)*Integral(exp(-x*(s - log(s))), (s, 0, oo))",
            "= x**x*Integral(exp(-x*(s - log(s))), (s, 0, oo))",
            2,
            id="wrong-substitution-forgets-jacobian",
        ),
        pytest.param(
            "laplace-route",
            "= x**(x + 1)*Integral(exp(-x*(exp(u) - u) + u), (u, -oo, oo))",
            "= x**(x + 1)*Integral(exp(-x*(exp(u) - u) - u), (u, -oo, oo))",
            3,
            id="flipped-sign",
        ),
        pytest.param(
            "laplace-route",
            "exp(u) - 1 - u - u**2/2) + u), (u, -oo, oo))",
            "exp(u) - 1 - u) + u), (u, -oo, oo))",
            4,
            id="dropped-term",
        ),
        pytest.param("leading-term", "= x*(x/E)**x*sqrt(2*pi/x)", "= x*(x/E)**x*sqrt(pi/x)", 1, id="gaussian-constant"),
        pytest.param(
            "gaussian-moments",
            "= sqrt(2*pi)*factorial2(2*m - 1)*",
            "= sqrt(2*pi)*factorial2(2*m)*",
            4,
            id="double-factorial",
        ),
        pytest.param("coefficient-a4", "= -571/2488320", "= -571/2488321", 3, id="changed-constant"),
        pytest.param("coefficient-a3", "= -139/51840", "= 139/51840", 2, id="sign-of-a3"),
        pytest.param(
            "q-order-two",
            "= u**2/2 - 5*x*u**4/24 + x**2*u**6/72",
            "= u**2/2 - 5*x*u**4/72 + x**2*u**6/72",
            1,
            id="q2-coefficient",
        ),
        pytest.param("stirling-formula", "~ sqrt(2*pi*x)*(x/E)**x", "~ sqrt(2*pi/x)*(x/E)**x", 1, id="asymptotic"),
        pytest.param("first-correction", "-> 1/12", "-> 1/24", 1, id="limit"),
    ],
)
def test_mutated_stirling_is_rejected_at_the_right_step(tmp_path, name, old, new, step):
    text = STIRLING.read_text(encoding="utf-8")
    assert text.count(old) == 1
    mutated = load_document(write(tmp_path, text.replace(old, new), "stirling.md"))
    result = check_derivation(mutated[name])
    assert not result.ok
    failure = result.first_failure
    assert failure.index == step
    assert failure.status is StepStatus.REFUTED
    assert failure.counterexample
    assert all(s.ok for s in result.steps[: step - 1])


def test_a_wrong_substitution_hint_on_a_true_step_is_not_taken_on_trust(tmp_path):
    text = STIRLING.read_text(encoding="utf-8").replace("with s = exp(u)", "with s = exp(2*u)")
    result = check_derivation(load_document(write(tmp_path, text, "stirling.md"))["laplace-route"])
    third = result.steps[2]
    # true, but no longer proved by the stated change of variables: the step says so instead of silently passing
    # by another method, and the derivation does not hold as written
    assert third.status is StepStatus.UNDECIDED
    assert "not by the step's stated justification 'with s = exp(2*u)'" in third.detail
    assert not result.ok


def test_mutated_document_fails_only_where_it_was_changed(tmp_path):
    text = FLOWS.read_text(encoding="utf-8").replace("= (a*d - b*c)**3", "= (a*d + b*c)**3")
    results = check_document(write(tmp_path, text, "flows.md"))
    failing = [(r.name, r.first_failure.index) for r in results if not r.ok]
    assert failing == [("one-by-one-conv", 2)]
    report = format_results(results)
    assert "  ✗  2  =  (a*d + b*c)**3" in report
    assert "the two sides differ at a = " in report


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def test_load_document_reads_title_names_and_lines(tmp_path):
    doc = load_document(write(tmp_path, SMALL))
    assert doc.title == "A small document"
    assert doc.names == ("square", "limit")
    assert len(doc) == 2
    square = doc["square"]
    assert square.title == "The square of a sum"
    assert [s.relation for s in square.steps] == ["=", ">="]
    assert square.steps[0].why == "binomial theorem"
    assert square.steps[1].line == 14
    assert square.line == 12
    assert square.origin.endswith("doc.md")
    limit = doc["limit"]
    assert (limit.steps[0].var, limit.steps[0].point) == ("n", "oo")
    assert [s.name for s in doc] == ["square", "limit"]


def test_small_document_checks(tmp_path):
    results = check_document(write(tmp_path, SMALL))
    assert [r.ok for r in results] == [True, True]
    assert results[0].conclusion == "(x + 1)**2 >= 2*x"


def test_missing_derivation_lists_the_available_ones(tmp_path):
    doc = load_document(write(tmp_path, SMALL))
    with pytest.raises(DerivationError, match="available: square, limit"):
        doc["cube"]


def test_continuation_lines_and_comment_lines(tmp_path):
    text = """\
```derivation multi
assume x: positive
assume u: real
let f = exp(-x*u**2/2)
  Integral(f,
           (u, -oo, oo))          # a Gaussian
= sqrt(2*pi)/sqrt(x)
# complete the square
# and use Euler's integral
```
"""
    doc = load_document(write(tmp_path, text))
    d = doc["multi"]
    assert d.start == "Integral(f, (u, -oo, oo))"
    assert d.steps[0].why == "complete the square and use Euler's integral"
    assert check_derivation(d).ok


def test_bounds_and_directions_are_read(tmp_path):
    text = """\
```derivation bounds
assume x: positive, 1 < x <= 5
assume y: real, y >= -2, y < 2
assume h: positive
  sin(h)/h
-> 1    as h -> 0+
```
"""
    d = load_document(write(tmp_path, text))["bounds"]
    by_name = {a.name: a for a in d.assumptions}
    assert (by_name["x"].lower, by_name["x"].upper, by_name["x"].lower_strict, by_name["x"].upper_strict) == (
        "1",
        "5",
        True,
        False,
    )
    assert (by_name["y"].lower, by_name["y"].upper, by_name["y"].upper_strict) == ("-2", "2", True)
    assert (d.steps[0].point, d.steps[0].direction) == ("0", "+")


def test_functions_and_substitutions_are_read(tmp_path):
    text = """\
```derivation funcs
function s: positive
function t
assume x: real
assume a, b: positive
  log(s(x)*s(x))
= 2*log(s(x))
```

```derivation subst
assume a: positive
assume b, c: positive
  Integral(exp(-b), (b, 0, oo))
= a*Integral(exp(-a*c), (c, 0, oo))      with b = a*c
```
"""
    doc = load_document(write(tmp_path, text))
    funcs = doc["funcs"]
    assert [a.name for a in funcs.assumptions if a.function] == ["s", "t"]
    assert doc["subst"].steps[0].substitution == "b = a*c"
    assert all(r.ok for r in check_document(write(tmp_path, text)))


BLOCK = "```derivation broken\n{body}\n```\n"


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("assume x: real\n  gama(x)\n= 1", 3, "unknown name 'gama'"),
        ("assume x: real\n  x\n= x\nx + 1", 5, "must begin with a relation"),
        ("assume x: fuzzy\n  x\n= x", 2, "unknown assumption 'fuzzy'"),
        ("assume x: real\n  x\n= x\nassume y: real", 5, "must come before the start"),
        ("assume x: real\n  x", 3, "has no steps"),
        ("assume x: real", 1, "no start expression"),
        ("assume x: real\n  (x\n= x", 3, "bracket is still open"),
        ("assume x: real\n  x\n~ x    as x", 4, "expected 'as VAR -> POINT'"),
        ("assume x: real\n  x\n<= x   with x = 2*x", 4, "only makes sense on an '=' step"),
        ("assume x: real, 1 <= y <= 2\n  x\n= x", 2, "is about 'y'"),
        ("assume x: real, x ~ 3\n  x\n= x", 2, "cannot read 'x ~ 3'"),
        ("assume x: positive, -1 <= x <= 1\n  x\n= x", 2, "contradict"),
        ("assume u: positive\n  Integral(u, (u, -1, 1))\n= 0", 3, "u is declared positive"),
        ("assume x: real\n  x\n-> x   as x -> oo", 4, "still depends"),
        ("assume x: real\n  x\n= y", 4, "unknown name 'y'"),
        ("assume x: real\n  = x\n= x", 3, "the first expression is the start"),
        ("let 2 = 3\n  1\n= 1", 2, "expected 'let NAME = EXPR'"),
        ("assume x: real\nlet W = Matrix([x]))\n  W\n= W", 3, "closing bracket"),
        ("assume x: real\n  x)\n= x", 3, "closing bracket"),
    ],
)
def test_malformed_documents_name_the_line(tmp_path, body, line, fragment):
    text = "# Broken\n\n" + BLOCK.format(body=body)
    path = write(tmp_path, text)
    with pytest.raises(DerivationError) as info:
        load_document(path)
    message = str(info.value)
    assert f"{path}:{line + 2}:" in message, message
    assert fragment in message, message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("```derivation a\nassume x: real\n  x\n= x\n", 1, "never closed"),
        ("```derivation\n```\n", 1, "starts with '```derivation NAME'"),
        (
            "```derivation a\nassume x: real\n  x\n= x\n```\n```derivation a\nassume x: real\n  x\n= x\n```\n",
            6,
            "second derivation",
        ),
        ("```derivation bad/name\nassume x: real\n  x\n= x\n```\n", 1, "slug"),
    ],
)
def test_malformed_blocks_name_the_line(tmp_path, text, line, fragment):
    path = write(tmp_path, text)
    with pytest.raises(DerivationError, match=re.escape(fragment)) as info:
        load_document(path)
    assert f"{path}:{line}:" in str(info.value)


def test_other_fences_may_contain_derivation_text(tmp_path):
    text = "````markdown\n```derivation inside\nnot checked\n```\n````\n"
    assert load_document(write(tmp_path, text)).derivations == ()


def test_unreadable_document(tmp_path):
    with pytest.raises(DerivationError, match="cannot read proof document"):
        load_document(tmp_path / "missing.md")


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


def test_resolve_proof_finds_a_derivation():
    derivation = resolve_proof("stirling.md#laplace-route")
    assert derivation.name == "laplace-route"
    assert derivation.origin.endswith("stirling.md")


def test_resolve_proof_searches_the_given_directories(tmp_path):
    write(tmp_path, SMALL, "small.md")
    assert resolve_proof("small.md#limit", [tmp_path]).name == "limit"


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("stirling.md#no-such-step", "available: laplace-route, leading-term"),
        ("nowhere.md#x", "available: "),
        ("stirling.md", "looks like 'topic.md#name'"),
    ],
)
def test_resolve_proof_errors_list_what_exists(ref, fragment):
    with pytest.raises(DerivationError, match=re.escape(fragment)):
        resolve_proof(ref)


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------


def test_format_results_marks_each_step(tmp_path):
    text = """\
```derivation mixed
assume x: real, -2 <= x <= 2
assume s: positive
  (x + 1)**2
= x**2 + 2*x + 1                  # expand
= x**2 + 2*x + 2                  # wrong
= x**2 + 2*x + 2*Integral(exp(-s), (s, 0, oo))
= nan
```
"""
    results = check_document(write(tmp_path, text))
    report = format_results(results)
    lines = report.splitlines()
    assert lines[0].startswith("mixed — mixed")
    assert any(line.startswith("  ✓  1  =") for line in lines)
    assert any(line.startswith("  ✗  2  =") for line in lines)
    assert any(line.startswith("  ?  4  =") for line in lines)
    assert "lhs: x**2 + 2*x + 1" in report
    assert "rhs: x**2 + 2*x + 2" in report
    assert re.search(r"counterexample: x = -?[\d.]+, lhs = ", report)
    assert "FAILED at step 2, line 6 (refuted)" in report
    assert report.rstrip().endswith("0 of 1 derivations hold; failing: mixed (step 2)")


def test_format_results_for_clean_documents(tmp_path):
    report = format_results(check_document(write(tmp_path, SMALL)))
    assert "✗" not in report
    assert "?" not in report
    assert report.rstrip().endswith("all 2 derivations hold")


def test_documentation_example_checks():
    # docs/derivations.md is itself a proof document: its example must stay correct
    results = check_document(ROOT / "docs" / "derivations.md")
    assert results
    assert all(r.ok for r in results), format_results(results)
