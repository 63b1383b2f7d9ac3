"""The typed assertions of the Stirling topic (ST-1 … ST-14): what each claim states, field by field.

Each class declares the symbols its formulas use (:attr:`kexue_verify.Assertion.SYMBOLS`); the formula
fields are read when the plugin is loaded and parsed by the project's one formula parser on first use
(``a.prefactor.expr``).  False variants in :mod:`.claims` name only the fields they change.
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue_verify import Assertion, ClaimDefinitionError, Formula
from kexue_verify.assertions import symbols

__all__ = [
    "ChainForm",
    "DivergenceRadii",
    "EulerMaclaurin",
    "FiniteInterval",
    "GammaSeries",
    "GaussianLeadingTerm",
    "GaussianMoments",
    "OptimalTruncation",
    "QBookkeeping",
    "QExpansion",
    "QuarticSeries",
    "StirlingFormula",
    "StirlingSeries",
    "SubstitutionChain",
    "TermByTerm",
]

POSITIVE = {"positive": True}
REAL = {"real": True}
NATURAL = {"integer": True, "nonnegative": True}


@dataclass(frozen=True, kw_only=True)
class StirlingFormula(Assertion):
    """ST-1: ``n!/prefactor(n) → limit`` with first correction ``correction(n)``."""

    SYMBOLS = symbols(n=POSITIVE)
    prefactor: Formula
    limit: Formula
    correction: Formula


@dataclass(frozen=True, kw_only=True)
class StirlingSeries(Assertion):
    """ST-2: ``n!/(√(2πn)(n/e)^n) ∼ series``, a polynomial in ``1/n``."""

    SYMBOLS = symbols(n=POSITIVE)
    series: Formula


@dataclass(frozen=True, kw_only=True)
class GammaSeries(Assertion):
    """ST-3: ``function(x)/prefactor(x)`` has Stirling's series; ``holds_for`` is ``"real"`` or ``"integer"``."""

    SYMBOLS = symbols(x=POSITIVE)
    function: Formula
    prefactor: Formula
    holds_for: str = "real"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.holds_for not in ("real", "integer"):
            raise ClaimDefinitionError(f"GammaSeries.holds_for must be 'real' or 'integer', got {self.holds_for!r}")


@dataclass(frozen=True, kw_only=True)
class ChainForm(Assertion):
    """One form ``prefactor · ∫_lower^upper integrand d(var)`` of ST-4's chain, with the substitution that led here."""

    SYMBOLS = symbols(x=POSITIVE, t=REAL, s=REAL, u=REAL)
    prefactor: Formula
    integrand: Formula
    var: str
    lower: Formula
    upper: Formula
    substitution: str | None = None


@dataclass(frozen=True, kw_only=True)
class SubstitutionChain(Assertion):
    """ST-4: every form of the chain equals ``Γ(x+1)``."""

    forms: tuple[ChainForm, ...]


@dataclass(frozen=True, kw_only=True)
class GaussianLeadingTerm(Assertion):
    """ST-5: ``∫ e^{-xu²/2} du = gaussian`` and ``prefactor · gaussian = result``."""

    SYMBOLS = symbols(x=POSITIVE)
    gaussian: Formula
    prefactor: Formula
    result: Formula


@dataclass(frozen=True, kw_only=True)
class GaussianMoments(Assertion):
    """ST-6: ``∫ e^{-xu²/2} u^k du = rhs`` with ``c = c_even`` or ``c_odd``."""

    SYMBOLS = symbols(x=POSITIVE, u=REAL, c={}, k=NATURAL)
    rhs: Formula
    c_even: Formula
    c_odd: Formula


@dataclass(frozen=True, kw_only=True)
class QBookkeeping(Assertion):
    """ST-7: each power of ``q`` carries ``x^{x_power_per_q}``; whether odd orders vanish; checked to ``q^order``."""

    x_power_per_q: Formula
    odd_orders_vanish: bool
    order: int


@dataclass(frozen=True, kw_only=True)
class QExpansion(Assertion):
    """ST-8: the coefficients of ``q^0, q^1, …`` of the graded integrand."""

    SYMBOLS = symbols(x=POSITIVE, u=REAL, q=REAL)
    terms: tuple[Formula, ...]


@dataclass(frozen=True, kw_only=True)
class TermByTerm(Assertion):
    """ST-9: the integral is ``prefactor · Σ series[k] x^{-k}``, expanding to ``q^q_order``."""

    SYMBOLS = symbols(x=POSITIVE)
    prefactor: Formula
    series: tuple[Formula, ...]
    q_order: int


@dataclass(frozen=True, kw_only=True)
class DivergenceRadii(Assertion):
    """ST-10: the radii of convergence (in ``1/x``) of the product and the log series."""

    product_radius: float
    log_radius: float


@dataclass(frozen=True, kw_only=True)
class OptimalTruncation(Assertion):
    """ST-11: the best last index ``K_star(x)``, the minimal error ``min_error(x, K)``, whether it is monotone."""

    SYMBOLS = symbols(x={}, K={})
    K_star: Formula
    min_error: Formula
    monotone: bool


@dataclass(frozen=True, kw_only=True)
class QuarticSeries(Assertion):
    """ST-12: the ε-series of ``∫ e^{-x²-εx⁴} dx / √π``, its general term, radius, closed form, optimal truncation."""

    SYMBOLS = symbols(k=NATURAL, eps=POSITIVE)
    coefficients: tuple[Formula, ...]
    general: Formula
    radius: float
    closed_form: Formula
    optimal_eps: float
    optimal_last_index: int


@dataclass(frozen=True, kw_only=True)
class FiniteInterval(Assertion):
    """ST-13: on ``[-M, M]`` the coefficients obey ``|d_k| ≤ bound`` and the radius is ``radius``."""

    SYMBOLS = symbols(k=NATURAL, M=POSITIVE)
    M: int
    radius: Formula
    bound: Formula


@dataclass(frozen=True, kw_only=True)
class EulerMaclaurin(Assertion):
    """ST-14: ``lhs = Σ_{k=1}^{upper} summand`` and the Euler–Maclaurin constant ``constant``."""

    SYMBOLS = symbols(n={"positive": True, "integer": True}, k={"positive": True, "integer": True})
    lhs: Formula
    summand: Formula
    upper: Formula
    constant: Formula
