"""The claims of catalogue section 3 (ST-1 … ST-14): verdicts, counterexamples, figures, and why variants fail."""

from __future__ import annotations

import json
from functools import cache

import pytest

from kexue_verify import Outcome, Verdict
from kexue_verify.testing import assert_verdict, builtin_plugins, run_claim
from kexue_verify_plugins.stirling import CLAIMS

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest

IDS = [c.id for c in CLAIMS]
BY_ID = {c.id: c for c in CLAIMS}
VERIFIED = [c.id for c in CLAIMS if c.expected is Verdict.VERIFIED]
REFUTED = [c.id for c in CLAIMS if c.expected is Verdict.REFUTED]

#: Each claim "as printed" in the post and the corrected claim beside it.
TYPO_PAIRS = {
    "stirling.gaussian-moments-as-printed": "stirling.gaussian-moments",
    "stirling.q-expansion-as-printed": "stirling.q-expansion",
    "stirling.euler-maclaurin-as-printed": "stirling.euler-maclaurin",
}

#: (claim, false variant) → the evidence that must fail, as (part, start of its name).  Every variant is listed;
#: where both parts can see the mistake both are named.
WHY_REFUTED = {
    ("stirling.formula", "sqrt-2pi-over-n"): [("symbolic", "lim n!/f(n)"), ("numeric", "lgamma")],
    ("stirling.formula", "power-n-plus-half"): [("symbolic", "lim n!/f(n)"), ("numeric", "lgamma")],
    ("stirling.formula", "ratio-to-e-twelfth"): [("symbolic", "lim n!/f(n)"), ("numeric", "lgamma")],
    ("stirling.series-coefficients", "a2-one-over-144"): [("symbolic", "stated coefficients = exact"),
                                                          ("numeric", "n!/(√(2πn)(n/e)^n): residual after 3")],
    ("stirling.series-coefficients", "a3-sign-slip"): [("symbolic", "stated coefficients = SymPy"),
                                                       ("numeric", "n!/(√(2πn)(n/e)^n): residual after 4")],
    ("stirling.series-coefficients", "a3-log-series-coefficient"): [("symbolic", "stated coefficients = exact"),
                                                                    ("numeric", "n!/(√(2πn)(n/e)^n): residual "
                                                                                "after 4")],
    ("stirling.series-coefficients", "twelve-n-squared"): [("symbolic", "stated coefficients = exact"),
                                                           ("numeric", "n!/(√(2πn)(n/e)^n): residual after 2")],
    ("stirling.gamma-noninteger", "integers-only"): [("symbolic", "log series within"),
                                                     ("numeric", "fails at non-integers?")],
    ("stirling.gamma-noninteger", "gamma-x-same-prefactor"): [("symbolic", "ln(function/prefactor)"),
                                                              ("numeric", "gamma(x)/prefactor")],
    ("stirling.substitution-chain", "x-power-x"): [("symbolic", "step 1"), ("numeric", "form 3")],
    ("stirling.substitution-chain", "missing-jacobian-u"): [("symbolic", "step 2")],
    ("stirling.substitution-chain", "jacobian-minus-u"): [("symbolic", "step 2"), ("numeric", "form 3")],
    ("stirling.substitution-chain", "missing-leading-x"): [("symbolic", "step 3"), ("numeric", "form 4")],
    ("stirling.gaussian-leading-term", "sqrt-pi-over-x"): [("symbolic", "∫ e^{-xu²/2} du = stated"),
                                                           ("numeric", "trapezoid")],
    ("stirling.gaussian-leading-term", "sqrt-2pi-x"): [("symbolic", "∫ e^{-xu²/2} du = stated"),
                                                       ("numeric", "trapezoid")],
    ("stirling.gaussian-moments", "power-minus-k-over-2"): [("symbolic", "c_k independent of x"),
                                                            ("numeric", "trapezoid moments")],
    ("stirling.gaussian-moments", "even-double-factorial"): [("symbolic", "∫ u^k"), ("numeric", "trapezoid")],
    ("stirling.gaussian-moments", "odd-moments-nonzero"): [("symbolic", "∫ u^k"), ("numeric", "trapezoid")],
    ("stirling.q-bookkeeping", "q-n-with-x-minus-n"): [("symbolic", "every order q^n"), ("numeric", "I(q,x)√x")],
    ("stirling.q-bookkeeping", "odd-orders-nonzero"): [("symbolic", "odd orders survive"),
                                                       ("numeric", "I(q,x) ≠ I(−q,x)")],
    ("stirling.q-expansion", "q2-minus-5-over-72"): [("symbolic", "coefficient of q^2"), ("numeric", "integrand")],
    ("stirling.q-expansion", "q1-plus-sign"): [("symbolic", "coefficient of q^1"), ("numeric", "integrand")],
    ("stirling.term-by-term", "prefactor-sqrt-2pi-x"): [("symbolic", "∫ e^{-xu²/2} du = stated prefactor"),
                                                        ("numeric", "∫(Laplace integrand)/prefactor: residual "
                                                                    "after 1")],
    ("stirling.term-by-term", "second-term-1-over-144"): [("symbolic", "stated series = q-method"),
                                                          ("numeric", "∫(Laplace integrand)/prefactor: residual "
                                                                      "after 3")],
    ("stirling.term-by-term", "first-term-minus"): [("symbolic", "stated series = q-method"),
                                                    ("numeric", "∫(Laplace integrand)/prefactor: residual after 2")],
    ("stirling.divergence", "converges-beyond-1-over-2pi"): [("symbolic", "product series"),
                                                             ("numeric", "product series terms")],
    ("stirling.divergence", "product-radius-2pi"): [("symbolic", "product series"),
                                                    ("numeric", "product series terms")],
    ("stirling.divergence", "log-series-converges"): [("symbolic", "log series"), ("numeric", "log series terms")],
    ("stirling.optimal-truncation", "error-monotone"): [("symbolic", "the error falls monotonically"),
                                                        ("numeric", "the error falls monotonically")],
    ("stirling.optimal-truncation", "k-star-x"): [("symbolic", "K*"), ("numeric", "K*")],
    ("stirling.optimal-truncation", "error-x-to-minus-k"): [("symbolic", "minimal error within"),
                                                            ("symbolic", "slope of ln(min error)"),
                                                            ("numeric", "minimal error within")],
    ("stirling.quartic-example", "third-105-over-16"): [("symbolic", "stated coefficients"),
                                                        ("numeric", "I(ε)/√π in powers of ε: residual after 3")],
    ("stirling.quartic-example", "second-minus-3-over-2"): [("symbolic", "stated coefficients"),
                                                            ("numeric", "I(ε)/√π in powers of ε: residual after 2")],
    ("stirling.quartic-example", "converges-below-quarter"): [("symbolic", "radius of convergence"),
                                                              ("numeric", "optimal truncation")],
    ("stirling.quartic-example", "bessel-k-half"): [("symbolic", "closed form")],
    ("stirling.finite-interval", "finite-radius-m-minus-4"): [("symbolic", "radius of convergence"),
                                                              ("numeric", "partial sums")],
    ("stirling.euler-maclaurin", "sum-to-n-minus-1"): [("symbolic", "lhs = Σ"), ("numeric", "stated lhs")],
    ("stirling.euler-maclaurin", "constant-log-2pi"): [("symbolic", "lim (ln n!"), ("symbolic", "Wallis"),
                                                       ("numeric", "ln n! − (n+½) ln n")],
}


@cache
def result(claim_id: str, dtype: str = "float64"):
    """Each claim run once per dtype (seed 0, CPU), shared by the tests below."""
    return run_claim(claim_id, dtype=dtype)


def _evidence(parts, part: str):
    return parts[part].evidence if part in parts else []


def test_every_catalogue_label_is_covered():
    labels = {c.label for c in builtin_plugins().claims if c.family == "stirling"}
    assert labels == {f"ST-{k}" for k in range(1, 15)}


def test_each_typo_sits_next_to_its_correction():
    for printed, corrected in TYPO_PAIRS.items():
        assert BY_ID[printed].expected is Verdict.REFUTED
        assert BY_ID[corrected].expected is Verdict.VERIFIED
        assert BY_ID[printed].symbolic == BY_ID[corrected].symbolic
        assert BY_ID[printed].numeric == BY_ID[corrected].numeric
    assert set(REFUTED) == set(TYPO_PAIRS)


def test_every_false_variant_has_a_reason_listed():
    declared = {(c.id, v.name) for c in CLAIMS for v in c.false_variants}
    assert declared == set(WHY_REFUTED)


@pytest.mark.parametrize("claim_id", VERIFIED)
def test_claim_is_verified_and_refutes_every_variant(claim_id):
    assert_verdict(result(claim_id), "verified")


@pytest.mark.parametrize("claim_id", REFUTED)
def test_printed_typo_is_refuted_with_a_counterexample(claim_id):
    r = result(claim_id)
    assert_verdict(r, "refuted", variants_refuted=False)
    failed = [e for p in r.parts.values() for e in p.evidence if e.outcome is Outcome.FAIL]
    assert failed
    assert all(e.counterexample for e in failed)


@pytest.mark.parametrize(("claim_id", "variant"), sorted(WHY_REFUTED))
def test_variant_is_refuted_for_the_right_reason(claim_id, variant):
    v = next(v for v in result(claim_id).variants if v.name == variant)
    assert v.verdict is Verdict.REFUTED
    for part, name in WHY_REFUTED[(claim_id, variant)]:
        matches = [e for e in _evidence(v.parts, part) if e.name.startswith(name)]
        assert matches, f"no {part} evidence named {name!r}: {[e.name for e in _evidence(v.parts, part)]}"
        assert any(e.outcome is Outcome.FAIL for e in matches), [(e.name, e.outcome) for e in matches]


@pytest.mark.parametrize("claim_id", [c.id for c in CLAIMS if c.proof])
def test_linked_derivation_holds(claim_id):
    derivations = [e for e in result(claim_id).parts["symbolic"].evidence if e.name.startswith("derivation")]
    assert derivations
    assert all(e.outcome is Outcome.PASS for e in derivations)


def test_missing_jacobian_gives_a_true_equation_by_coincidence():
    """x^{x+1}∫e^{-x(e^u-u)}du = x^{x+1}Γ(x)/x^x = Γ(x+1): the catalogue's variant breaks the step, not the value,
    so only the step check refutes it (and the value checks rightly pass)."""
    v = next(v for v in result("stirling.substitution-chain").variants if v.name == "missing-jacobian-u")
    assert v.parts["numeric"].outcome is Outcome.PASS
    quad = next(e for e in v.parts["symbolic"].evidence if e.name.startswith("every form"))
    assert quad.outcome is Outcome.PASS


def test_typo_counterexamples_are_concrete():
    moments = next(e for e in result("stirling.gaussian-moments-as-printed").parts["numeric"].evidence)
    assert moments.counterexample["moment"] != pytest.approx(moments.counterexample["stated"], rel=0.1)
    q0 = next(e for e in result("stirling.q-expansion-as-printed").parts["symbolic"].evidence
              if e.name == "coefficient of q^0")
    assert q0.outcome is Outcome.FAIL
    assert q0.counterexample["relative_difference"] > 0.1
    em = next(e for e in result("stirling.euler-maclaurin-as-printed").parts["numeric"].evidence
              if e.name.startswith("stated lhs"))
    assert em.counterexample == {"n": 1, "lhs": 1.0, "sum_of_logs": 0.0}


def test_optimal_truncation_reproduces_the_table_and_draws_the_u_curves():
    evidence = result("stirling.optimal-truncation").parts["symbolic"].evidence
    table = {row["x"]: row for row in evidence[0].quantities["table"]}
    assert {x: table[x]["K_star"] for x in table} == {1: 5, 2: 11, 3: 19, 5: 31, 10: 63}
    assert table[1]["min_error"] == pytest.approx(2.2e-4, rel=0.02)
    assert table[10]["min_error"] == pytest.approx(2.54e-29, rel=0.02)
    figure = evidence[0].figure
    assert figure is not None
    assert figure["yscale"] == "log"
    assert len(figure["series"]) == 5
    for series in figure["series"]:
        y = series["y"]
        low = y.index(min(y))
        assert 0 < low < len(y) - 1, series["label"]  # falls, then rises: a U
        assert y[-1] > 100 * y[low], series["label"]


def test_optimal_truncation_figure_renders(tmp_path):
    from kexue_verify.reports.figures import draw_figure

    figure = result("stirling.optimal-truncation").parts["symbolic"].evidence[0].figure
    path = draw_figure(figure, tmp_path / "u-curves.svg")
    assert path.stat().st_size > 10_000


def test_divergence_ratios_match_the_catalogue():
    product = result("stirling.divergence").parts["symbolic"].evidence[0].quantities
    assert product["ratios"]["20"] == pytest.approx(7.74, abs=0.01)
    assert product["ratios"]["80"] == pytest.approx(152.1, abs=0.1)
    partial = next(e for e in result("stirling.divergence").parts["numeric"].evidence if e.name.startswith("partial"))
    assert partial.quantities["best_last_index"] == 5
    assert partial.quantities["relative_error_at_last"] > 1e50


def test_quartic_optimal_truncation_at_one_twentieth():
    q = next(e for e in result("stirling.quartic-example").parts["numeric"].evidence
             if e.name.startswith("optimal truncation")).quantities
    assert q["best_last_index"] == 5
    assert q["min_relative_error"] == pytest.approx(8.2e-4, rel=0.01)
    assert q["relative_error_at_29"] > 1e7


def test_reports_serialise_without_huge_integers():
    """Evidence carries floats and short strings, never the thousands-digit integers of far coefficients."""
    text = json.dumps([result(cid).to_dict() for cid in ("stirling.divergence", "stirling.term-by-term")])
    assert len(text) < 2_000_000


@pytest.mark.parametrize("claim_id", IDS)
def test_float32_never_gives_a_false_verdict(claim_id):
    """In float32 a claim may be inconclusive (the effect is below float32's resolution) but never wrong."""
    r = result(claim_id, "float32")
    if BY_ID[claim_id].expected is Verdict.REFUTED:
        assert r.verdict is Verdict.REFUTED
    else:
        assert r.verdict in (Verdict.VERIFIED, Verdict.INCONCLUSIVE), r.message
        assert all(v.verdict is Verdict.REFUTED for v in r.variants)  # the exact symbolic side still sees them


def test_the_q_expansion_remainder_is_resolved_in_float32():
    """Computed without cancellation against 1, the O(q³) remainder is above float32's rounding from q = 0.04."""
    r = result("stirling.q-expansion", "float32")
    assert r.verdict is Verdict.VERIFIED, r.message
    (evidence,) = r.parts["numeric"].evidence
    assert abs(evidence.quantities["slope"] - 3) <= evidence.quantities["tolerance"] < 1


def test_an_identity_is_refuted_at_its_points_and_a_near_identity_is_not_rounded_into_one() -> None:
    import sympy as sp

    from kexue_verify_plugins.stirling.symbolic import same_function

    x = sp.Symbol("x", positive=True)
    ranges = {x: (1.0, 5.0)}
    proved = same_function(sp.gamma(x + 1), x * sp.gamma(x), ranges)
    assert (proved.holds, proved.method) == (True, "sympy.simplify(lhs − rhs) = 0")
    slip = same_function(sp.gamma(x + 1), (x + 1) * sp.gamma(x), ranges)  # off by gamma(x): refuted at the points
    assert (slip.holds, slip.method) == (False, "random-point test, 8 points, mpmath 50 digits")
    assert slip.counterexample["relative_difference"] > 0.1
    near = same_function(sp.gamma(x + 1), x * sp.gamma(x) * (1 + sp.Rational(1, 10**30)), ranges)
    assert not near.holds  # 1e-30 apart: too close to call at the points, so simplify is asked, and cannot prove it
    assert near.method.endswith("(SymPy could not simplify)")


def test_an_identity_whose_side_cancels_beyond_50_digits_is_not_refuted_at_its_points() -> None:
    import sympy as sp

    from kexue_verify_plugins.stirling.symbolic import _worst_point, same_function

    x = sp.Symbol("x", positive=True)
    lhs = x + sp.exp(100) * sp.exp(x) - sp.exp(x + 100)  # ≡ x, through 45 digits of cancellation
    assert _worst_point(lhs, x, ((x, (1.0, 5.0)),), 0, 8)["relative_difference"] > 1e-10  # 50 digits are not enough
    identity = same_function(lhs, x, {x: (1.0, 5.0)})
    assert (identity.holds, identity.method) == (True, "sympy.simplify(lhs − rhs) = 0")  # 100 digits see it
