"""The step checker: exact proofs, numerical fallback, refutations with counterexamples."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from kexue_verify import derivation as derivation_module
from kexue_verify.claims import Outcome
from kexue_verify.derivation import (
    Derivation,
    SeriesCoeff,
    Step,
    StepStatus,
    check_derivation,
)
from kexue_verify.errors import DerivationError

PROPERTY = settings(max_examples=25, deadline=None, database=None)


def one_step(start: str, relation: str, expr: str, **kwargs):
    """Check the single step ``start RELATION expr``; keyword arguments go to Derivation.begin."""
    assume = kwargs.pop("assume", {"x": "real"})
    options = {k: kwargs.pop(k) for k in ("var", "point", "direction", "substitution") if k in kwargs}
    d = Derivation.begin("probe", start=start, assume=assume, **kwargs).step(relation, expr, **options)
    return check_derivation(d).steps[0]


# --------------------------------------------------------------------------------------------
# Building derivations
# --------------------------------------------------------------------------------------------


def test_builder_returns_new_derivations():
    base = Derivation.begin("square", start="(x + 1)**2", assume={"x": "real"}, title="A square")
    longer = base.eq("x**2 + 2*x + 1", why="binomial theorem")
    assert base.steps == ()
    assert [s.relation for s in longer.steps] == ["="]
    assert longer.steps[0].why == "binomial theorem"
    assert longer.title == "A square"


def test_builder_covers_every_relation():
    d = (
        Derivation.begin("all", start="x**2 + 1", assume={"x": "positive"})
        .eq("1 + x**2")
        .ge("2*x")
        .gt("0")
        .le("1")
        .lt("2")
        .sim("2", var="x")
        .to("2", var="x")
    )
    assert [s.relation for s in d.steps] == ["=", ">=", ">", "<=", "<", "~", "->"]
    assert d.steps[-1].point == "oo"


def test_title_defaults_to_name_and_symbols_carry_assumptions():
    d = Derivation.begin("plain", start="n", assume={"n": "positive integer"}).eq("n")
    assert d.title == "plain"
    n = d.symbols["n"]
    assert n.is_positive
    assert n.is_integer


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Derivation.begin("bad", start="gama(x)", assume={"x": "real"}).eq("1"), "unknown name 'gama'"),
        (lambda: Derivation.begin("bad", start="x", assume={"x": "real"}).eq("y"), "step 1"),
        (lambda: Derivation.begin("bad", start="x", assume={"x": "real"}).step("==", "x"), "unknown relation"),
        (lambda: Derivation.begin("bad", start="x", assume={"x": "real"}).step("~", "x"), "variable of its limit"),
        (lambda: Derivation.begin("bad", start="x", assume={"x": "real"}).to("x", var="x"), "still depends on 'x'"),
        (lambda: Derivation.begin("bad", start="x", assume={"x": "real"}).eq("exp('x')"), "string literals"),
        (lambda: Derivation.begin("bad", start="x.__class__", assume={"x": "real"}).eq("x"), "'_'"),
        (lambda: Derivation.begin("bad", start="x if x else x", assume={"x": "real"}).eq("x"), "'if ... else'"),
        (lambda: Derivation.begin("bad", start="gamma", assume={"gamma": "real"}).eq("1"), "SymPy name"),
        (lambda: Derivation.begin("bad", start="x", assume={"x": "fuzzy"}).eq("x"), "unknown assumption"),
        (
            lambda: Derivation.begin("bad", start="x", assume={"x": "positive"}, bounds={"x": (-1, 1)}).eq("x"),
            "contradict",
        ),
        (lambda: Derivation.begin("bad", start="x", assume={"x": "real"}, bounds={"x": (2, 1)}).eq("x"), "not below"),
        (lambda: Derivation.begin("bad name", start="x", assume={"x": "real"}), "slug"),
        (lambda: Derivation.begin("bad", start="Eq(x, 1)", assume={"x": "real"}).eq("x"), "not a mathematical value"),
    ],
)
def test_malformed_derivations_raise(make, fragment):
    with pytest.raises(DerivationError, match=re.escape(fragment)):
        make()


def test_step_validation():
    with pytest.raises(DerivationError, match="only '~' and '->'"):
        Step(relation="=", expr="x", var="x")
    with pytest.raises(DerivationError, match="substitution"):
        Step(relation="<=", expr="x", substitution="t = x")
    with pytest.raises(DerivationError, match="direction"):
        Step(relation="->", expr="0", var="x", direction="up")


# --------------------------------------------------------------------------------------------
# Equalities
# --------------------------------------------------------------------------------------------


def test_exact_identity_is_proved_by_sympy():
    step = one_step("(x + 1)**2", "=", "x**2 + 2*x + 1")
    assert step.status is StepStatus.PROVED
    assert step.method.startswith("sympy")
    assert step.lhs_latex == r"\left(x + 1\right)^{2}"


def test_undecidable_step_falls_back_to_mpmath_sampling():
    # SymPy cannot evaluate this integral, so the step is tested at random points instead.
    step = one_step(
        "x**(x + 1)*Integral(exp(-x*(s - log(s))), (s, 0, oo))",
        "=",
        "gamma(x + 1)",
        assume={"x": "positive", "s": "positive"},
        bounds={"x": (1, 20)},
    )
    assert step.status is StepStatus.NUMERIC
    assert step.status.value == "numerically verified"
    assert "mpmath" in step.method
    assert "30 digits" in step.method
    assert step.ok


def test_wrong_integral_identity_is_refuted_with_a_point():
    step = one_step(
        "x**x*Integral(exp(-x*(s - log(s))), (s, 0, oo))",
        "=",
        "gamma(x + 1)",
        assume={"x": "positive", "s": "positive"},
        bounds={"x": (1, 20)},
    )
    assert step.status is StepStatus.REFUTED
    assert set(step.counterexample) >= {"x", "lhs", "rhs"}
    assert 1 <= float(step.counterexample["x"]) <= 20
    assert step.counterexample["lhs"] != step.counterexample["rhs"]


def test_wrong_constant_is_refuted_exactly():
    step = one_step("series_coeff(exp(t/12 - t**3/360), t, 4)", "=", "-571/2488321", assume={"t": "real"})
    assert step.status is StepStatus.REFUTED
    assert step.method.startswith("sympy")
    assert step.counterexample["difference"] == "-571/6191738910720"


def test_series_coefficient_helper():
    t = sp.Symbol("t")
    exponent = sum(sp.bernoulli(2 * j) / (2 * j * (2 * j - 1)) * t ** (2 * j - 1) for j in range(1, 5))
    coefficients = [SeriesCoeff(sp.exp(exponent), t, k).doit() for k in range(5)]
    assert coefficients == [
        1,
        sp.Rational(1, 12),
        sp.Rational(1, 288),
        sp.Rational(-139, 51840),
        sp.Rational(-571, 2488320),
    ]
    # the general path (not an exponential of a polynomial) agrees
    assert SeriesCoeff(sp.cos(t) / (1 - t), t, 4).doit() == sp.Rational(13, 24)  # 1 - 1/2 + 1/24
    assert sp.latex(SeriesCoeff(sp.exp(t), t, 2)) == r"[t^{2}]\,\left(e^{t}\right)"
    assert SeriesCoeff(sp.exp(t * sp.Symbol("x")), t, 2).free_symbols == {sp.Symbol("x")}


def test_substitution_is_checked_not_trusted():
    base = {"assume": {"x": "positive", "t": "positive", "s": "positive"}, "bounds": {"x": (1, 20)}}
    good = one_step(
        "Integral(exp(-t)*t**x, (t, 0, oo))",
        "=",
        "x**(x + 1)*Integral(exp(-x*(s - log(s))), (s, 0, oo))",
        substitution="t = x*s",
        **base,
    )
    assert good.status is StepStatus.PROVED
    assert "substitution t = s*x" in good.method
    # a wrong hint on a true step: the change of variables is not accepted, and the step says so rather than
    # silently passing by another method (its stated justification is wrong)
    wrong_hint = one_step(
        "Integral(exp(-t)*t**x, (t, 0, oo))",
        "=",
        "x**(x + 1)*Integral(exp(-x*(s - log(s))), (s, 0, oo))",
        substitution="t = x*s**2",
        **base,
    )
    assert wrong_hint.status is StepStatus.UNDECIDED
    assert "not by the step's stated justification 'with t = x*s**2'" in wrong_hint.detail


def test_assumptions_must_hold_on_the_range_of_integration():
    # With u declared positive SymPy turns sqrt(u**2) into u as soon as the expression is
    # built, although the integral runs over the whole line (where the two differ: 1 and 0).
    with pytest.raises(DerivationError, match=r"u is declared positive, but it runs over \[-oo, oo\]"):
        Derivation.begin("sign", start="Integral(sqrt(u**2)*exp(-u**2), (u, -oo, oo))", assume={"u": "positive"}).eq(
            "Integral(u*exp(-u**2), (u, -oo, oo))"
        )
    # declared real, the same step is refuted
    step = one_step(
        "Integral(sqrt(u**2)*exp(-u**2), (u, -oo, oo))",
        "=",
        "Integral(u*exp(-u**2), (u, -oo, oo))",
        assume={"u": "real"},
    )
    assert step.status is StepStatus.REFUTED


def test_limit_direction_follows_the_sign_of_the_variable():
    d = Derivation.begin("side", start="sqrt(h)", assume={"h": "positive"}).to("0", var="h", point="0")
    assert d._compiled.steps[0].direction == "+"
    with pytest.raises(DerivationError, match="from the right"):
        Derivation.begin("side", start="sqrt(h)", assume={"h": "positive"}).to("0", var="h", point="0", direction="-")
    with pytest.raises(DerivationError, match="cannot tend to -oo"):
        Derivation.begin("side", start="h", assume={"h": "positive"}).to("0", var="h", point="-oo")


def test_matrix_steps_compare_entrywise_and_check_shapes():
    ok = one_step("Matrix([[x, 1], [0, x]])**2", "=", "Matrix([[x**2, 2*x], [0, x**2]])")
    assert ok.status is StepStatus.PROVED
    shape = one_step("Matrix([[x, 1], [0, x]])", "=", "Matrix([x, 1])")
    assert shape.status is StepStatus.REFUTED
    assert "2×1" in shape.detail


def test_undefined_functions_are_instantiated_to_refute():
    d = Derivation.begin(
        "coupling",
        start="Determinant(h.jacobian(X))",
        assume={"x1": "real", "x2": "real"},
        functions={"s": "positive", "t": ""},
        define={"h": "Matrix([x1, s(x1)*x2 + t(x1)])", "X": "Matrix([x1, x2])"},
    ).eq("s(x1) + 1", why="wrong: the determinant is s")
    step = check_derivation(d).steps[0]
    assert step.status is StepStatus.REFUTED
    assert "s" in step.counterexample
    assert "x1" in step.counterexample


def test_nan_never_passes():
    step = one_step("0/x*oo", "=", "nan")
    assert step.status is StepStatus.UNDECIDED
    assert not step.ok


# --------------------------------------------------------------------------------------------
# Inequalities
# --------------------------------------------------------------------------------------------


def test_inequality_proved_from_assumptions():
    step = one_step("x**2 + 1", ">", "0")
    assert step.status is StepStatus.PROVED
    assert "assumptions" in step.method


def test_inequality_that_holds_is_numerically_verified():
    step = one_step("exp(x)", ">=", "1 + x")
    assert step.status is StepStatus.NUMERIC
    assert "local search" in step.method


def test_violated_inequality_is_refuted_with_a_counterexample():
    step = one_step("sin(x)", "<=", "x/2", assume={"x": "positive"}, bounds={"x": (0, 10)})
    assert step.status is StepStatus.REFUTED
    x = float(step.counterexample["x"])
    assert sp.sin(x) > x / 2


def test_local_search_finds_a_narrow_violation():
    # (x - 7/3)^2 >= 1/10^4 fails only for |x - 7/3| < 1/100; random points miss it,
    # the search from the tightest point does not.
    step = one_step("(x - 7/3)**2", ">=", "1/10**4", assume={"x": "positive"}, bounds={"x": (0, 10)})
    assert step.status is StepStatus.REFUTED
    assert abs(float(step.counterexample["x"]) - 7 / 3) < 0.01


def test_exactly_false_inequality_is_refuted_by_sympy():
    step = one_step("1/2", "<=", "1/3")
    assert step.status is StepStatus.REFUTED
    assert step.method.startswith("sympy")


# --------------------------------------------------------------------------------------------
# Limits: ~ and ->
# --------------------------------------------------------------------------------------------


def test_asymptotic_equivalence_is_proved():
    step = one_step("gamma(x + 1)", "~", "sqrt(2*pi*x)*(x/E)**x", var="x", assume={"x": "positive"})
    assert step.status is StepStatus.PROVED
    assert step.limit == "x -> oo"


def test_wrong_asymptotic_equivalence_is_refuted():
    step = one_step("gamma(x + 1)", "~", "sqrt(pi*x)*(x/E)**x", var="x", assume={"x": "positive"})
    assert step.status is StepStatus.REFUTED
    assert step.counterexample["limit"] == "sqrt(2)"


@pytest.mark.parametrize(
    ("start", "target", "point", "status"),
    [
        ("(1 + 1/n)**n", "E", "oo", StepStatus.PROVED),
        ("(1 + 1/n)**n", "3", "oo", StepStatus.REFUTED),
        ("sin(n)/n", "1", "0", StepStatus.PROVED),
        ("1/n", "0", "0+", None),
    ],
)
def test_limits(start, target, point, status):
    direction = None
    if point.endswith("+"):
        point, direction = point[:-1], "+"
    d = Derivation.begin("lim", start=start, assume={"n": "positive"}).to(
        target, var="n", point=point, direction=direction
    )
    result = check_derivation(d).steps[0]
    if status is None:  # 1/n -> +oo as n -> 0+, so the claim "-> 0" is false
        assert result.status is StepStatus.REFUTED
    else:
        assert result.status is status


def test_limit_sympy_cannot_take_is_extrapolated_numerically():
    step = one_step("x*(zeta(x) - 1)", "->", "0", var="x", assume={"x": "positive"})
    assert step.status is StepStatus.NUMERIC
    assert "Richardson" in step.method


@pytest.mark.parametrize(("target", "true"), [("-1/8", True), ("1/8", False)])
def test_sympy_is_not_trusted_against_a_decisive_extrapolation(target, true):
    # SymPy 1.14 expands besselk(0, x) at infinity with the wrong sign of the 1/(8x) term and
    # says this limit is +1/8; it is -1/8 (DLMF 10.40.2).  The checker must neither refute the
    # true claim nor prove the false one.
    step = one_step("x*(besselk(0, x)*exp(x)*sqrt(2*x/pi) - 1)", "->", target, var="x", assume={"x": "positive"})
    assert step.status is not (StepStatus.REFUTED if true else StepStatus.PROVED)
    if step.status is StepStatus.UNDECIDED:
        assert "contradicted" in step.method


# --------------------------------------------------------------------------------------------
# Results and evidence
# --------------------------------------------------------------------------------------------


def chain(*steps: tuple[str, str]) -> Derivation:
    d = Derivation.begin("chain", start="(x + 1)**2", assume={"x": "real"}, bounds={"x": (-3, 3)})
    for relation, expr in steps:
        d = d.step(relation, expr)
    return d


def test_result_reports_every_step_and_the_first_failure():
    result = check_derivation(chain(("=", "x**2 + 2*x + 1"), ("=", "x**2 + 2*x + 2"), ("<=", "x**2 + 2*x + 3")))
    assert [s.index for s in result.steps] == [1, 2, 3]
    assert [s.status for s in result.steps] == [StepStatus.PROVED, StepStatus.REFUTED, StepStatus.PROVED]
    assert not result.ok
    assert result.first_failure.index == 2
    assert result.steps[1].lhs == "x**2 + 2*x + 1"
    assert result.steps[1].rhs == "x**2 + 2*x + 2"


def test_evidence_outcomes():
    passed = check_derivation(chain(("=", "x**2 + 2*x + 1"), ("<=", "x**2 + 2*x + 2"))).to_evidence()
    assert passed.outcome is Outcome.PASS
    assert passed.method == "2 steps: 2 sympy"
    assert passed.note == "(x + 1)**2 <= x**2 + 2*x + 2"
    assert [s["status"] for s in passed.steps] == ["proved", "proved"]
    failed = check_derivation(
        chain(
            ("=", "x**2 + 2*x + 5"),
        )
    ).to_evidence()
    assert failed.outcome is Outcome.FAIL
    assert failed.counterexample["step"] == 1
    undecided = check_derivation(
        chain(
            ("=", "nan"),
        )
    ).to_evidence()
    assert undecided.outcome is Outcome.UNDECIDED


def test_method_summary_counts_numeric_steps():
    d = (
        Derivation.begin(
            "mixed", start="gamma(x + 1)", assume={"x": "positive", "s": "positive"}, bounds={"x": (1, 20)}
        )
        .eq("x**(x + 1)*Integral(exp(-x*(s - log(s))), (s, 0, oo))")
        .eq("x**(x + 1)*Integral(exp(-x*s)*s**x, (s, 0, oo))")
    )
    result = check_derivation(d)
    assert result.summary() == "2 steps: 1 sympy, 1 mpmath 30 digits"
    assert result.conclusion.startswith("gamma(x + 1) = ")


def test_checks_are_reproducible_from_the_seed():
    d = chain(
        ("=", "x**2 + 2*x"),
    )
    first = check_derivation(d, seed=3, time_limit=0).steps[0].counterexample
    again = check_derivation(d, seed=3, time_limit=0).steps[0].counterexample
    assert first == again


def test_check_arguments_are_validated():
    with pytest.raises(ValueError, match="digits"):
        check_derivation(
            chain(
                ("=", "x"),
            ),
            digits=5,
        )
    with pytest.raises(TypeError):
        check_derivation("not a derivation")


def test_module_examples_run():
    """The examples in the docstrings of the package and of every one of its modules."""
    names = [derivation_module.__name__, *(f"{derivation_module.__name__}.{m.name}"
                                           for m in pkgutil.iter_modules(derivation_module.__path__))]
    attempted = 0
    for name in names:
        failures, tried = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert failures == 0, name
        attempted += tried
    assert attempted >= 7  # the package's two, Assumption's, Step's and SeriesCoeff's three


# --------------------------------------------------------------------------------------------
# Properties: true identities are verified, perturbed ones refuted
# --------------------------------------------------------------------------------------------

roots = st.lists(st.integers(-5, 5), min_size=1, max_size=4)
leading = st.integers(-4, 4).filter(bool)
perturbation = st.fractions(-9, 9, max_denominator=7).filter(bool)
X = sp.Symbol("x", real=True)


def polynomial(c: int, rs: list[int]) -> tuple[str, str]:
    factored = sp.Mul(c, *[X - r for r in rs], evaluate=False)
    return sp.sstr(factored), sp.sstr(sp.expand(factored))


@PROPERTY
@given(c=leading, rs=roots)
def test_property_factored_equals_expanded(c, rs):
    factored, expanded = polynomial(c, rs)
    step = one_step(factored, "=", expanded)
    assert step.status is StepStatus.PROVED


@PROPERTY
@given(c=leading, rs=roots, k=perturbation)
def test_property_perturbed_polynomial_is_refuted(c, rs, k):
    factored, expanded = polynomial(c, rs)
    step = one_step(factored, "=", f"{expanded} + ({k})")
    assert step.status is StepStatus.REFUTED


@PROPERTY
@given(c=leading, rs=roots, k=perturbation, perturb=st.booleans())
def test_property_numerical_path_alone_tells_true_from_false(c, rs, k, perturb):
    # time_limit=0 gives SymPy no time at all: every verdict comes from mpmath
    factored, expanded = polynomial(c, rs)
    rhs = f"{expanded} + ({k})" if perturb else expanded
    d = Derivation.begin("numeric", start=factored, assume={"x": "real"}).eq(rhs)
    step = check_derivation(d, time_limit=0).steps[0]
    if perturb:  # refuted by mpmath, or exactly when the difference is visibly a constant
        assert step.status is StepStatus.REFUTED
    elif step.status is StepStatus.PROVED:  # e.g. "1*(x - 0)" and "x" parse to the same expression
        assert "identical" in step.method
    else:
        assert step.status is StepStatus.NUMERIC
        assert "mpmath" in step.method


@PROPERTY
@given(a=st.integers(-6, 6), b=st.integers(-6, 6), k=perturbation)
def test_property_trigonometric_identities(a, b, k):
    lhs = f"{a}*sin(x)**2 + {a}*cos(x)**2 + {b}*sin(2*x)"
    rhs = f"{a} + 2*{b}*sin(x)*cos(x)"
    assert one_step(lhs, "=", rhs).ok
    wrong = one_step(lhs, "=", f"{rhs} + ({k})")
    assert wrong.status is StepStatus.REFUTED


@PROPERTY
@given(a=st.integers(1, 9), k=perturbation)
def test_property_inequalities(a, k):
    # a·x² + 1 >= 2·√a·x - c holds exactly for c >= 0 ((√a x - 1)² >= 0) and fails near x = 1/√a otherwise
    c = abs(k)
    holds = one_step(f"{a}*x**2 + 1", ">=", f"2*sqrt({a})*x - {c}", bounds={"x": (-3, 3)})
    assert holds.ok
    fails = one_step(f"{a}*x**2 + 1", ">=", f"2*sqrt({a})*x + {c}", bounds={"x": (-3, 3)})
    assert fails.status is StepStatus.REFUTED
