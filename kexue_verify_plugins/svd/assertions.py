"""The typed assertions of the SVD topic (SVD-1 … SVD-9): what each claim states, field by field.

Each class declares the symbols its formulas use (:attr:`kexue_verify.Assertion.SYMBOLS`); formula fields are read
(syntax only) when the plugin is loaded and parsed by the project's one formula parser on first use
(``a.threshold.expr``).  False variants in :mod:`.claims` name only the fields they change.  The string fields
that name a target, a loss or a kind of data take one of a few values each; the checks say which.
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue_verify import Assertion, Formula
from kexue_verify.assertions import symbols

__all__ = [
    "AutoencoderMap",
    "ClippingError",
    "EckartYoung",
    "FirstNegativeRank",
    "LossBeatsSvd",
    "MinibatchSubspace",
    "Nonuniqueness",
    "ShenMoExample",
    "StorageThreshold",
    "ThreeFactorRank",
]

POSITIVE = {"positive": True}
POSITIVE_INTEGER = {"integer": True, "positive": True}


@dataclass(frozen=True, kw_only=True)
class StorageThreshold(Assertion):
    """SVD-1: storing ``A_{m×k}`` and ``B_{k×n}`` saves space, ``(m + n)k < mn``, exactly when ``k < threshold``."""

    SYMBOLS = symbols(m=POSITIVE, n=POSITIVE)
    threshold: Formula


@dataclass(frozen=True, kw_only=True)
class EckartYoung(Assertion):
    """SVD-2: ``min ‖M − AB‖_F² = optimum`` over rank-``k`` factors; ``unique_factors``: whether A, B are unique.

    ``optimum`` is written in ``sigma(i)`` (the ``i``-th singular value, descending), ``k`` and ``r = min(m, n)``;
    ``sigma`` is an undefined function, which a symbol table of names cannot declare, so the check reads the
    formula with :func:`~kexue_verify_plugins.svd.checks.eckart_young.optimum_formula` (the same parser).
    """

    SYMBOLS = symbols(k=POSITIVE_INTEGER, r=POSITIVE_INTEGER, i=POSITIVE_INTEGER)
    optimum: Formula
    unique_factors: bool = False


@dataclass(frozen=True, kw_only=True)
class AutoencoderMap(Assertion):
    """SVD-3: the autoencoder trained with ``loss`` (``squared`` or ``l1``) is the map ``target``.

    ``target`` is ``truncated-svd`` (``x ↦ x V_kV_kᵀ``), ``pca-of-centred`` (``x ↦ μ + (x − μ)P_c``) or
    ``identity``.
    """

    loss: str = "squared"
    target: str


@dataclass(frozen=True, kw_only=True)
class LossBeatsSvd(Assertion):
    """SVD-3: under ``loss`` (``l1`` or ``squared``) some ``C, D`` give ``‖M − MCD‖ < ‖M − M_k‖``."""

    loss: str


@dataclass(frozen=True, kw_only=True)
class Nonuniqueness(Assertion):
    """SVD-4: whether different seeds give the same ``CD`` and whether the learned ``C`` is ``V_k`` up to sign."""

    same_projector: bool
    c_equals_vk_up_to_sign: bool


@dataclass(frozen=True, kw_only=True)
class MinibatchSubspace(Assertion):
    """SVD-5: mini-batch training reaches ``subspace`` to within ``max_angle`` radians (largest principal angle).

    ``subspace`` is ``svd-of-m``, ``pca-of-centred`` or ``svd-of-first-batch``.
    """

    subspace: str
    max_angle: float


@dataclass(frozen=True, kw_only=True)
class ThreeFactorRank(Assertion):
    """SVD-6: the largest rank of ``A_{m×k} P_{k×l} Q_{l×n}`` (for ``m, n ≥ k + l``) is ``max_rank(k, l)``."""

    SYMBOLS = symbols(k=POSITIVE_INTEGER, l=POSITIVE_INTEGER)
    max_rank: Formula


@dataclass(frozen=True, kw_only=True)
class ShenMoExample(Assertion):
    """SVD-7: the 神/魔 matrix has ``singular_values``; its rank-``rank`` reconstruction has these entries.

    ``entry`` is (神, 术), ``shen`` (神, 兽), ``mo`` (魔, 兽), ``mo_shu`` (魔, 术); ``squared_error`` is
    ``‖M − M_rank‖_F²``.  All are exact numbers (no symbols).
    """

    singular_values: tuple[Formula, ...]
    rank: int
    entry: Formula
    shen: Formula
    mo: Formula
    mo_shu: Formula
    squared_error: Formula


@dataclass(frozen=True, kw_only=True)
class ClippingError(Assertion):
    """SVD-9: on ``data`` (``nonnegative`` or ``real``), clipping ``M_k`` at 0 ``never-increases`` or ``can-increase``
    the Frobenius error; ``clipped_rank_at_most_k``: whether ``max(M_k, 0)`` keeps rank ``≤ k``."""

    clipping: str
    data: str
    clipped_rank_at_most_k: bool = False


@dataclass(frozen=True, kw_only=True)
class FirstNegativeRank(Assertion):
    """SVD-9: the smallest ``k`` at which the rank-``k`` SVD of a nonnegative matrix can have a negative entry."""

    smallest_rank_with_negatives: int
