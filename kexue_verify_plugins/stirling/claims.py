"""The claims of “斯特灵(stirling)公式与渐近级数” (Su Jianlin, 2016; kexue.fm/archives/3731), catalogue ST-1 … ST-14.

Declarations only — typed assertions (:mod:`.assertions`), no torch or SymPy — so that listing claims stays fast.
Each claim names its checks as ``"kexue_verify_plugins.stirling.checks.<module>:<function>"``; each false variant names
the assertion fields it changes and runs through the same checks.  Where the post has a typo the claim “as printed”
expects ``refuted`` and the corrected claim beside it expects ``verified``.
"""

from __future__ import annotations

from typing import cast

from kexue_verify import Claim, Source, Verdict, variant

from .assertions import (
    ChainForm,
    DivergenceRadii,
    EulerMaclaurin,
    FiniteInterval,
    GammaSeries,
    GaussianLeadingTerm,
    GaussianMoments,
    OptimalTruncation,
    QBookkeeping,
    QExpansion,
    QuarticSeries,
    StirlingFormula,
    StirlingSeries,
    SubstitutionChain,
    TermByTerm,
)

__all__ = ["CLAIMS", "POST"]

POST = Source(
    title="斯特灵(stirling)公式与渐近级数 (Stirling's formula and asymptotic series)",
    author="Su, Jianlin",
    date="2016-04-15",
    url="https://kexue.fm/archives/3731",
    language="chinese",
)
PKG = "kexue_verify_plugins.stirling"

FORMULA_SECTION = "斯特灵公式"
SERIES_SECTION = "斯特灵级数"
WHY_SECTION = "渐近级数为何渐近？"


_at = POST.at


def _ref(module: str, function: str) -> str:
    """A check of :mod:`.checks`: ``"kexue_verify_plugins.stirling.checks.<module>:<function>"``."""
    return f"{PKG}.checks.{module}:{function}"


# --- ST-1 … ST-3: the formula and the series --------------------------------------------------------------------------

FORMULA = Claim(
    id="stirling.formula",
    label="ST-1",
    title="Stirling's formula: n! ~ √(2πn)(n/e)^n",
    statement=r"n! \sim \sqrt{2\pi n}\,\left(\frac{n}{e}\right)^{n},\qquad "
    r"\frac{n!}{\sqrt{2\pi n}(n/e)^n} = 1 + \frac{1}{12n} + O(n^{-2})",
    source=_at(FORMULA_SECTION),
    tags=("asymptotics", "gamma"),
    assertion=StirlingFormula(prefactor="sqrt(2*pi*n)*(n/E)**n", limit="1", correction="1/(12*n)"),
    symbolic=_ref("formula", "formula_symbolic"),
    proof="stirling.md#stirling-formula",
    numeric=_ref("formula", "formula_numeric"),
    false_variants=(
        variant("sqrt-2pi-over-n", r"prefactor \sqrt{2\pi/n} instead of \sqrt{2\pi n}",
                prefactor="sqrt(2*pi/n)*(n/E)**n"),
        variant("power-n-plus-half", r"(n/e)^{n+1/2} instead of (n/e)^n", prefactor="sqrt(2*pi*n)*(n/E)**(n+1/2)"),
        variant("ratio-to-e-twelfth", r"the ratio tends to e^{1/12} instead of 1", limit="exp(1/12)"),
    ),
)

def _series(a3: str = "- 139/(51840*n**3)", a2: str = "+ 1/(288*n**2)", a1: str = "1/(12*n)") -> str:
    """The stated series with the given terms (defaults: the true ones)."""
    return f"1 + {a1} {a2} {a3} - 571/(2488320*n**4)"


STIRLING_SERIES = _series()

SERIES = Claim(
    id="stirling.series-coefficients",
    label="ST-2",
    title="The Stirling series 1 + 1/(12n) + 1/(288n²) − 139/(51840n³) − …",
    statement=r"\frac{n!}{\sqrt{2\pi n}(n/e)^n} \sim 1+\frac{1}{12n}+\frac{1}{288n^2}-\frac{139}{51840n^3}"
    r"-\frac{571}{2488320n^4}+\dots",
    source=_at(SERIES_SECTION),
    tags=("asymptotics", "gamma", "exact-coefficients"),
    assertion=StirlingSeries(series=STIRLING_SERIES),
    symbolic=_ref("formula", "series_symbolic"),
    proof="stirling.md#coefficient-a4",
    numeric=_ref("formula", "series_numeric"),
    notes="The post prints the first three terms; a_3 and a_4 (DLMF 5.11.3, OEIS A001163/A001164) are added so "
          "that the catalogue's variants on a_3 have something to replace.",
    false_variants=(
        variant("a2-one-over-144", r"a_2 = 1/144 instead of 1/288", series=_series(a2="+ 1/(144*n**2)")),
        variant("a3-sign-slip", r"a_3 = +139/51840 (sign slip)", series=_series(a3="+ 139/(51840*n**3)")),
        variant("a3-log-series-coefficient", r"a_3 = -1/360, the log-series coefficient in place of the product one",
                series=_series(a3="- 1/(360*n**3)")),
        variant("twelve-n-squared", r"1/(12n^2) in place of 1/(12n)", series=_series(a1="1/(12*n**2)")),
    ),
)

NONINTEGER = Claim(
    id="stirling.gamma-noninteger",
    label="ST-3",
    title="The same series holds for Γ(x+1) at non-integer x",
    statement=r"\Gamma(x+1) \sim \sqrt{2\pi x}\left(\frac{x}{e}\right)^x\sum_k \frac{a_k}{x^k}"
    r"\quad\text{for real } x\to\infty\text{, not only integers}",
    source=_at(FORMULA_SECTION),
    tags=("asymptotics", "gamma"),
    assertion=GammaSeries(function="gamma(x+1)", prefactor="sqrt(2*pi*x)*(x/E)**x", holds_for="real"),
    symbolic=_ref("formula", "noninteger_symbolic"),
    numeric=_ref("formula", "noninteger_numeric"),
    false_variants=(
        variant("integers-only", "the series holds only for integer n", holds_for="integer"),
        variant("gamma-x-same-prefactor", r"\Gamma(x) (not \Gamma(x+1)) \sim \sqrt{2\pi x}(x/e)^x \sum a_k x^{-k}; "
                r"the right prefactor for \Gamma(x) is \sqrt{2\pi/x}(x/e)^x", function="gamma(x)"),
    ),
)

# --- ST-4 … ST-6: the Laplace route -----------------------------------------------------------------------------------

CHAIN_FORMS = (
    ChainForm(prefactor="1", integrand="exp(-t)*t**x", var="t", lower="0", upper="oo"),
    ChainForm(prefactor="x**(x+1)", integrand="exp(-x*(s-log(s)))", var="s", lower="0", upper="oo",
              substitution="t = x*s"),
    ChainForm(prefactor="x**(x+1)", integrand="exp(-x*(exp(u)-u)+u)", var="u", lower="-oo", upper="oo",
              substitution="s = exp(u)"),
    ChainForm(prefactor="x*(x/E)**x", integrand="exp(-x*u**2/2 - x*(exp(u)-1-u-u**2/2) + u)", var="u",
              lower="-oo", upper="oo"),
)


def _chain(**changes: dict[str, str]) -> tuple[ChainForm, ...]:
    """The chain's forms with ``f<i>={field: formula}`` changes applied to form ``i`` (0-based)."""
    forms = list(CHAIN_FORMS)
    for index, change in changes.items():
        forms[int(index[1:])] = cast(ChainForm, forms[int(index[1:])].changed(**change))
    return tuple(forms)


CHAIN = Claim(
    id="stirling.substitution-chain",
    label="ST-4",
    title="The chain of substitutions t = xs, s = e^u from Γ(x+1) to the Laplace form",
    statement=r"\Gamma(x+1)=\int_0^\infty e^{-t}t^x dt=x^{x+1}\int_0^\infty e^{-x(s-\ln s)}ds"
    r"=x^{x+1}\int_{-\infty}^{\infty}e^{-x(e^u-u)+u}du"
    r"=x\left(\frac xe\right)^x\int_{-\infty}^{\infty}e^{-\frac{xu^2}{2}-x(e^u-1-u-\frac{u^2}{2})+u}du",
    source=_at(FORMULA_SECTION),
    tags=("laplace-method", "gamma"),
    assertion=SubstitutionChain(forms=CHAIN_FORMS),
    symbolic=_ref("laplace", "chain_symbolic"),
    proof="stirling.md#laplace-route",
    numeric=_ref("laplace", "chain_numeric"),
    false_variants=(
        variant("x-power-x", r"x^{x} in place of x^{x+1} (second and third forms)",
                forms=_chain(f1={"prefactor": "x**x"}, f2={"prefactor": "x**x"})),
        variant("missing-jacobian-u", r"the +u from ds = e^u du is missing (third and fourth forms)",
                forms=_chain(f2={"integrand": "exp(-x*(exp(u)-u))"},
                        f3={"integrand": "exp(-x*u**2/2 - x*(exp(u)-1-u-u**2/2))"})),
        variant("jacobian-minus-u", r"-u in place of +u (the Jacobian taken as e^{-u})",
                forms=_chain(f2={"integrand": "exp(-x*(exp(u)-u)-u)"},
                        f3={"integrand": "exp(-x*u**2/2 - x*(exp(u)-1-u-u**2/2) - u)"})),
        variant("missing-leading-x", r"prefactor (x/e)^x without the leading x in the last form",
                forms=_chain(f3={"prefactor": "(x/E)**x"})),
    ),
)

GAUSSIAN = Claim(
    id="stirling.gaussian-leading-term",
    label="ST-5",
    title="The Gaussian leading term √(2π/x) gives Stirling's formula",
    statement=r"\int_{-\infty}^{\infty}e^{-xu^2/2}du=\sqrt{\frac{2\pi}{x}},\qquad "
    r"\Gamma(x+1)\approx x\left(\frac xe\right)^x\sqrt{\frac{2\pi}{x}}=\sqrt{2\pi x}\left(\frac xe\right)^x",
    source=_at(FORMULA_SECTION),
    tags=("laplace-method", "gaussian"),
    assertion=GaussianLeadingTerm(gaussian="sqrt(2*pi/x)", prefactor="x*(x/E)**x", result="sqrt(2*pi*x)*(x/E)**x"),
    symbolic=_ref("laplace", "gaussian_symbolic"),
    proof="stirling.md#leading-term",
    numeric=_ref("laplace", "gaussian_numeric"),
    false_variants=(
        variant("sqrt-pi-over-x", r"\int e^{-xu^2/2}du = \sqrt{\pi/x}", gaussian="sqrt(pi/x)"),
        variant("sqrt-2pi-x", r"\int e^{-xu^2/2}du = \sqrt{2\pi x}", gaussian="sqrt(2*pi*x)"),
    ),
)

MOMENTS = GaussianMoments(rhs="c*x**(-(k+1)/2)", c_even="sqrt(2*pi)*factorial2(k-1)", c_odd="0")

MOMENTS_STATEMENT = (r"\int_{-\infty}^{\infty}e^{-xu^2/2}u^k\,du=c_k\,x^{-(k+1)/2},\qquad "
                     r"c_{2m}=\sqrt{2\pi}\,(2m-1)!!,\ c_{2m+1}=0")

GAUSSIAN_MOMENTS = Claim(
    id="stirling.gaussian-moments",
    label="ST-6",
    title="Gaussian moments: ∫ e^{-xu²/2} u^k du = c_k x^{-(k+1)/2} (corrected)",
    statement=MOMENTS_STATEMENT,
    source=_at(SERIES_SECTION),
    tags=("laplace-method", "gaussian", "typo-corrected"),
    assertion=MOMENTS,
    symbolic=_ref("laplace", "moments_symbolic"),
    proof="stirling.md#gaussian-moments",
    numeric=_ref("laplace", "moments_numeric"),
    false_variants=(
        variant("power-minus-k-over-2", r"x^{-k/2} in place of x^{-(k+1)/2}", rhs="c*x**(-k/2)"),
        variant("even-double-factorial", r"c_{2m}=\sqrt{2\pi}(2m)!!", c_even="sqrt(2*pi)*factorial2(k)"),
        variant("odd-moments-nonzero", "odd moments are nonzero and add half-integer powers of 1/x",
                c_odd="sqrt(2*pi)*factorial2(k-1)"),
    ),
)

GAUSSIAN_MOMENTS_PRINTED = Claim(
    id="stirling.gaussian-moments-as-printed",
    label="ST-6",
    title="Gaussian moments as printed: ∫ e^{-xu²/2} u^k du = c_k u^{-(k+1)/2} (typo)",
    statement=r"\int_{-\infty}^{\infty}e^{-xu^2/2}u^k\,du=c_k\,u^{-(k+1)/2}\quad\text{(as printed)}",
    source=_at(SERIES_SECTION),
    tags=("laplace-method", "gaussian", "typo"),
    assertion=MOMENTS.changed(rhs="c*u**(-(k+1)/2)"),
    symbolic=_ref("laplace", "moments_symbolic"),
    numeric=_ref("laplace", "moments_numeric"),
    expected=Verdict.REFUTED,
    notes="The integration variable u cannot survive the integral: the post means x^{-(k+1)/2} "
          "(stirling.gaussian-moments).",
)

# --- ST-7 … ST-9: Su's q-method ---------------------------------------------------------------------------------------

Q_BOOKKEEPING = Claim(
    id="stirling.q-bookkeeping",
    label="ST-7",
    title="Order bookkeeping with q: q^n carries x^{-n/2}, odd orders vanish",
    statement=r"u\to qu,\ x\to x/q^2:\ "
    r"\exp\Bigl(-\tfrac{xu^2}{2}-\tfrac{x}{q^2}\bigl(e^{qu}-1-qu-\tfrac{q^2u^2}{2}\bigr)"
    r"+qu\Bigr);\ \text{after }\textstyle\int du\text{, the }q^n\text{ term}\propto x^{-n/2},"
    r"\ \text{odd }n\text{ vanish}",
    source=_at(SERIES_SECTION),
    tags=("q-method", "laplace-method"),
    assertion=QBookkeeping(x_power_per_q="-1/2", odd_orders_vanish=True, order=24),
    symbolic=_ref("qmethod", "bookkeeping_symbolic"),
    proof="stirling.md#q-order-three",
    numeric=_ref("qmethod", "bookkeeping_numeric"),
    notes="q is a formal grading parameter, not a change of variables; q = 1 restores the integrand.",
    false_variants=(
        variant("q-n-with-x-minus-n", r"q^n \leftrightarrow x^{-n}", x_power_per_q="-1"),
        variant("odd-orders-nonzero", "odd q-orders give nonzero terms", odd_orders_vanish=False),
    ),
)

Q_TERMS = ("exp(-u**2*x/2)", "exp(-u**2*x/2)*(u - u**3*x/6)",
           "u**2*exp(-u**2*x/2)*(u**4*x**2 - 15*u**2*x + 36)/72")

Q_EXPANSION = Claim(
    id="stirling.q-expansion",
    label="ST-8",
    title="The q-expansion of the integrand through q² (prefactor e^{-xu²/2} on every term)",
    statement=r"e^{-xu^2/2}+q\,e^{-xu^2/2}\Bigl(u-\frac{u^3x}{6}\Bigr)"
    r"+\frac{1}{72}q^2u^2e^{-xu^2/2}\bigl(u^4x^2-15u^2x+36\bigr)+O(q^3)",
    source=_at(SERIES_SECTION),
    tags=("q-method", "typo-corrected"),
    assertion=QExpansion(terms=Q_TERMS),
    symbolic=_ref("qmethod", "expansion_symbolic"),
    proof="stirling.md#q-order-two",
    numeric=_ref("qmethod", "expansion_numeric"),
    false_variants=(
        variant("q2-minus-5-over-72", r"q^2 coefficient with -5u^2x/72 in place of -15u^2x/72",
                terms=(Q_TERMS[0], Q_TERMS[1], "u**2*exp(-u**2*x/2)*(u**4*x**2 - 5*u**2*x + 36)/72")),
        variant("q1-plus-sign", r"q^1 coefficient u + xu^3/6",
                terms=(Q_TERMS[0], "exp(-u**2*x/2)*(u + u**3*x/6)", Q_TERMS[2])),
    ),
)

Q_EXPANSION_PRINTED = Claim(
    id="stirling.q-expansion-as-printed",
    label="ST-8",
    title="The q-expansion as printed, with e^{-u²x} on the first two terms (typo)",
    statement=r"e^{-u^2x}+q\,e^{-u^2x}\Bigl(u-\frac{u^3x}{6}\Bigr)"
    r"+\frac{1}{72}q^2u^2e^{-u^2x/2}\bigl(u^4x^2-15u^2x+36\bigr)+\dots\quad\text{(as printed)}",
    source=_at(SERIES_SECTION),
    tags=("q-method", "typo"),
    assertion=QExpansion(terms=("exp(-u**2*x)", "exp(-u**2*x)*(u - u**3*x/6)", Q_TERMS[2])),
    symbolic=_ref("qmethod", "expansion_symbolic"),
    numeric=_ref("qmethod", "expansion_numeric"),
    expected=Verdict.REFUTED,
    notes="Every term carries e^{-xu²/2}; the third term is printed right.",
)

TERM_BY_TERM = Claim(
    id="stirling.term-by-term",
    label="ST-9",
    title="Term-by-term integration gives √(2π/x)(1 + 1/(12x) + 1/(288x²) + …)",
    statement=r"\int_{-\infty}^{\infty}e^{-\frac{xu^2}{2}-x(e^u-1-u-\frac{u^2}{2})+u}du"
    r"\sim\sqrt{\frac{2\pi}{x}}\Bigl(1+\frac{1}{12x}+\frac{1}{288x^2}+\dots\Bigr)",
    source=_at(SERIES_SECTION),
    tags=("q-method", "exact-coefficients"),
    assertion=TermByTerm(prefactor="sqrt(2*pi/x)", series=("1", "1/12", "1/288"), q_order=24),
    symbolic=_ref("qmethod", "term_by_term_symbolic"),
    proof="stirling.md#q-four-integrated",
    numeric=_ref("qmethod", "term_by_term_numeric"),
    notes="The post's Mathematica code expands to q^16 and so reaches x^{-8}; the check goes to q^24 (x^{-12}).",
    false_variants=(
        variant("prefactor-sqrt-2pi-x", r"prefactor \sqrt{2\pi x}", prefactor="sqrt(2*pi*x)"),
        variant("second-term-1-over-144", r"1/(144x^2) in place of 1/(288x^2)", series=("1", "1/12", "1/144")),
        variant("first-term-minus", r"1 - 1/(12x) (sign slip)", series=("1", "-1/12", "1/288")),
    ),
)

# --- ST-10, ST-11: divergence and optimal truncation ------------------------------------------------------------------

TWO_PI = 6.283185307179586

DIVERGENCE = Claim(
    id="stirling.divergence",
    label="ST-10",
    title="Stirling's series diverges for every fixed x (radius of convergence 0)",
    statement=r"\limsup_k |a_k|^{1/k}=\infty:\ \Bigl|\frac{a_k}{a_{k-2}}\Bigr|\sim\frac{k^2}{(2\pi)^2},"
    r"\ \text{and likewise for }\frac{B_{2k}}{2k(2k-1)}",
    source=_at(WHY_SECTION),
    tags=("asymptotics", "divergence"),
    assertion=DivergenceRadii(product_radius=0, log_radius=0),
    symbolic=_ref("divergence", "divergence_symbolic"),
    numeric=_ref("divergence", "divergence_numeric"),
    notes="Radii are in the variable 1/x.",
    false_variants=(
        variant("converges-beyond-1-over-2pi", "it converges for x > 1/(2π), i.e. radius 2π in 1/x",
                product_radius=TWO_PI, log_radius=TWO_PI),
        variant("product-radius-2pi", "the product series has radius of convergence 2π", product_radius=TWO_PI),
        variant("log-series-converges", "the log series converges (radius 2π, like t/(e^t − 1)) although the "
                "product series diverges", log_radius=TWO_PI),
    ),
)

OPTIMAL = Claim(
    id="stirling.optimal-truncation",
    label="ST-11",
    title="Optimal truncation: K* ≈ 2πx terms, relative error of order e^{-2πx}",
    statement=r"\min_K\Bigl|\frac{\Gamma(x+1)}{\sqrt{2\pi x}(x/e)^x}-\sum_{k\le K}\frac{a_k}{x^k}\Bigr|"
    r"\Big/\frac{\Gamma(x+1)}{\sqrt{2\pi x}(x/e)^x}\ \text{at}\ K^*\approx2\pi x,\ \text{of order}\ e^{-2\pi x};"
    r"\ \text{the error first falls, then rises}",
    source=_at(WHY_SECTION),
    tags=("asymptotics", "optimal-truncation", "figure"),
    assertion=OptimalTruncation(K_star="2*pi*x", min_error="exp(-2*pi*x)", monotone=False),
    symbolic=_ref("divergence", "optimal_symbolic"),
    numeric=_ref("divergence", "optimal_numeric"),
    notes="Our quantification of the post's qualitative statement. K* is the index of the last term kept.",
    false_variants=(
        variant("error-monotone", "the error falls monotonically with K", monotone=True),
        variant("k-star-x", "K* ≈ x", K_star="x"),
        variant("error-x-to-minus-k", "the minimal error is about 1/x^{K*}", min_error="x**(-K)"),
    ),
)

# --- ST-12, ST-13: the quartic example --------------------------------------------------------------------------------

QUARTIC = QuarticSeries(
    coefficients=("1", "-3/4", "105/32", "-3465/128", "675675/2048"),
    general="(-1)**k*gamma(2*k+1/2)/(factorial(k)*sqrt(pi))",
    radius=0,
    closed_form="exp(1/(8*eps))*besselk(1/4, 1/(8*eps))/(2*sqrt(eps))",
    optimal_eps=0.05,
    optimal_last_index=5,
)

QUARTIC_CLAIM = Claim(
    id="stirling.quartic-example",
    label="ST-12",
    title="∫ e^{-x²-εx⁴} dx = √π(1 − 3ε/4 + 105ε²/32 − …), an asymptotic series",
    statement=r"\int_{-\infty}^{\infty}e^{-x^2-\varepsilon x^4}dx\sim\sqrt\pi\sum_k"
    r"\frac{(-1)^k\Gamma(2k+\frac12)}{k!\,\Gamma(\frac12)}\varepsilon^k"
    r"=\sqrt\pi\Bigl(1-\frac34\varepsilon+\frac{105}{32}\varepsilon^2-\dots\Bigr)"
    r"=\frac{e^{1/(8\varepsilon)}K_{1/4}\bigl(\frac1{8\varepsilon}\bigr)}{2\sqrt\varepsilon}",
    source=_at(WHY_SECTION),
    tags=("asymptotics", "divergence", "optimal-truncation"),
    assertion=QUARTIC,
    symbolic=_ref("quartic", "quartic_symbolic"),
    numeric=_ref("quartic", "quartic_numeric"),
    notes="Closed form and the optimal truncation at ε = 0.05 are our additions (catalogue ST-12).",
    false_variants=(
        variant("third-105-over-16", r"105/16 in place of 105/32",
                coefficients=("1", "-3/4", "105/16", "-3465/128", "675675/2048")),
        variant("second-minus-3-over-2", r"-3/2 in place of -3/4",
                coefficients=("1", "-3/2", "105/32", "-3465/128", "675675/2048")),
        variant("converges-below-quarter", r"the series converges for \varepsilon < 1/4", radius=0.25),
        variant("bessel-k-half", r"the closed form with K_{1/2} in place of K_{1/4}",
                closed_form="exp(1/(8*eps))*besselk(1/2, 1/(8*eps))/(2*sqrt(eps))"),
    ),
)

FINITE = FiniteInterval(M=3, radius="oo", bound="2*M**(4*k+1)/factorial(k)")

FINITE_INTERVAL = Claim(
    id="stirling.finite-interval",
    label="ST-13",
    title="On a finite interval the ε-series converges for every ε",
    statement=r"\int_{-M}^{M}e^{-x^2-\varepsilon x^4}dx=\sum_k d_k\varepsilon^k,\quad"
    r"|d_k|\le\frac{2M^{4k+1}}{k!},\ \text{radius of convergence }\infty",
    source=_at(WHY_SECTION),
    tags=("asymptotics", "convergence"),
    assertion=FINITE,
    symbolic=_ref("quartic", "finite_symbolic"),
    numeric=_ref("quartic", "finite_numeric"),
    false_variants=(
        variant("finite-radius-m-minus-4", r"the radius is finite, about M^{-4}", radius="M**(-4)"),
    ),
)

# --- ST-14: the Euler–Maclaurin remark --------------------------------------------------------------------------------

EULER_MACLAURIN = EulerMaclaurin(lhs="log(factorial(n))", summand="log(k)", upper="n", constant="log(2*pi)/2")

EULER_MACLAURIN_STATEMENT = (r"\ln n!=\sum_{k=1}^{n}\ln k,\qquad"
                             r"\lim_{n\to\infty}\Bigl(\ln n!-(n+\tfrac12)\ln n+n\Bigr)=\tfrac12\ln 2\pi")

EULER_MACLAURIN_CLAIM = Claim(
    id="stirling.euler-maclaurin",
    label="ST-14",
    title="ln n! = Σ ln k; Euler–Maclaurin gives the constant ½ ln 2π only as a limit (corrected)",
    statement=EULER_MACLAURIN_STATEMENT,
    source=_at(FORMULA_SECTION),
    tags=("euler-maclaurin", "typo-corrected"),
    assertion=EULER_MACLAURIN,
    symbolic=_ref("euler_maclaurin", "euler_maclaurin_symbolic"),
    numeric=_ref("euler_maclaurin", "euler_maclaurin_numeric"),
    notes="The summation route yields the constant only as this limit; its value needs Wallis' product.",
    false_variants=(
        variant("sum-to-n-minus-1", r"\ln n! = \sum_{k=1}^{n-1}\ln k", upper="n-1"),
        variant("constant-log-2pi", r"the constant is \ln 2\pi (missing the 1/2)", constant="log(2*pi)"),
    ),
)

EULER_MACLAURIN_PRINTED = Claim(
    id="stirling.euler-maclaurin-as-printed",
    label="ST-14",
    title="n! = Σ ln k, as printed (typo)",
    statement=r"n!=\sum_{k=1}^{n}\ln k\quad\text{(as printed)}",
    source=_at(FORMULA_SECTION),
    tags=("euler-maclaurin", "typo"),
    assertion=EULER_MACLAURIN.changed(lhs="factorial(n)"),
    symbolic=_ref("euler_maclaurin", "euler_maclaurin_symbolic"),
    numeric=_ref("euler_maclaurin", "euler_maclaurin_numeric"),
    expected=Verdict.REFUTED,
    notes="The left side must be ln n! (stirling.euler-maclaurin).",
)

#: Every claim of the topic, in catalogue order.
CLAIMS: tuple[Claim, ...] = (
    FORMULA, SERIES, NONINTEGER, CHAIN, GAUSSIAN, GAUSSIAN_MOMENTS, GAUSSIAN_MOMENTS_PRINTED, Q_BOOKKEEPING,
    Q_EXPANSION, Q_EXPANSION_PRINTED, TERM_BY_TERM, DIVERGENCE, OPTIMAL, QUARTIC_CLAIM, FINITE_INTERVAL,
    EULER_MACLAURIN_PRINTED, EULER_MACLAURIN_CLAIM,
)
