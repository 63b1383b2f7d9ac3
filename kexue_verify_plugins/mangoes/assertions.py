"""The typed assertions of the mangoes topic (MG-1 … MG-8): what each constructed claim states, field by field.

The post has no formulas; the formalisations built for it do (the threshold errors of MG-3, the sampling variance
and sample size of MG-4, the least-squares risk of MG-5), and those are :class:`~kexue_verify.Formula` fields,
parsed on first use.  The rest are the plain values the checks of :mod:`.checks` compare with what they measure.
False variants in :mod:`.claims` name only the fields they change.
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue_verify import Assertion, Formula
from kexue_verify.assertions import symbols

__all__ = [
    "FeatureErrors",
    "LeastSquaresRisk",
    "LogisticModel",
    "OccamSetup",
    "OneClassData",
    "RidgeEffect",
    "SampleSize",
    "ThresholdRule",
]

POSITIVE = {"positive": True}


@dataclass(frozen=True, kw_only=True)
class LogisticModel(Assertion):
    """MG-1: the log-likelihood of P(tasty | x) = σ(w·x + b) is ``concave``; the weights are (not)
    ``collinear_identifiable``; at the MLE the mean of σ(w·x + b) is the batch fraction (``"mean"``) or each
    σ(w·xᵢ + b) is (``"per-point"``)."""

    concave: bool
    collinear_identifiable: bool
    batch_fraction: str


@dataclass(frozen=True, kw_only=True)
class OneClassData(Assertion):
    """MG-2: on one-class data a ``finite_mle`` exists (or not); ``optimum``, if stated, is the claimed (w, b)."""

    finite_mle: bool
    optimum: tuple[int, int] | None = None


@dataclass(frozen=True, kw_only=True)
class ThresholdRule(Assertion):
    """MG-3: for T ~ U[0, 10], E ~ U[0.2, 2], good ⇔ TE ≥ 5: ``p_good`` = P(good), the best rule T ≥ τ has
    ``tau_star`` and error ``min_error``, and τ = 5 errs with probability ``error_at_5``."""

    p_good: Formula
    tau_star: Formula
    min_error: Formula
    error_at_5: Formula


@dataclass(frozen=True, kw_only=True)
class SampleSize(Assertion):
    """MG-4: sampling n of N matches without replacement, Var p̂ = ``variance``(p, n, N); Hoeffding's
    ``n_formula``(ε, δ) at ``eps`` and ``delta`` gives ``n``."""

    SYMBOLS = symbols(p=POSITIVE, n=POSITIVE, N=POSITIVE, eps=POSITIVE, delta=POSITIVE)
    variance: Formula
    n_formula: Formula
    eps: Formula
    delta: Formula
    n: int


@dataclass(frozen=True, kw_only=True)
class LeastSquaresRisk(Assertion):
    """MG-5: with x ~ N(0, I_p) the expected test MSE of least squares is ``risk``(σ, p, n), checked at ``n``
    samples, ``p`` features and ``k`` added noise features; whether it is ``increasing_in_p``."""

    SYMBOLS = symbols(p=POSITIVE, n=POSITIVE, sigma=POSITIVE)
    risk: Formula
    n: int
    p: int
    k: int
    increasing_in_p: bool


@dataclass(frozen=True, kw_only=True)
class RidgeEffect(Assertion):
    """MG-6: ridge's ``train`` error is ``"higher"`` (or ``"lower"``) and its ``test`` error ``"lower"`` (or
    ``"higher"``) than least squares'; whether 1-NN ``nn_overfits``."""

    train: str
    test: str
    nn_overfits: bool


@dataclass(frozen=True, kw_only=True)
class OccamSetup(Assertion):
    """MG-7: with a linear truth, the degree-``high`` fit against the degree-``low`` one: whether its prediction
    variance is larger (``high_variance_larger``), and whether its test error is ``"larger"`` or ``"smaller"``."""

    low: int
    high: int
    high_variance_larger: bool
    high_error: str


@dataclass(frozen=True, kw_only=True)
class FeatureErrors(Assertion):
    """MG-8: the error of a linear rule on (log T, log E), ``good_features_error``, and the best error of any model
    of T alone, ``best_raw_error``."""

    good_features_error: Formula
    best_raw_error: Formula
