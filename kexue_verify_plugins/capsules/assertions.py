"""The typed assertions of the capsules topic (CAP-1 … CAP-14): what each claim states, field by field.

Most of the post's claims choose between readings of one update or one normaliser (``"n_pi"`` or
``"n_pi_minus_1"``, ``"posterior"`` or ``"likelihood"`` …), so their fields are plain strings naming the reading
the checks in :mod:`.checks` compute; the few stated formulas (the σ of the K-means limit, the β_u′ of the
activation) are :class:`~kexue_verify.Formula` fields, parsed on first use.  False variants in :mod:`.claims` name
only the fields they change.  The generic ``em-routing`` claims have no assertion: their variants swap the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue_verify import Assertion, Formula
from kexue_verify.assertions import symbols

__all__ = [
    "ActivationFamily",
    "ClusterRecovery",
    "CostFormula",
    "EMUpdates",
    "EntropyClosedForm",
    "EntropyEstimate",
    "GaussianNormaliser",
    "KMeansLimit",
    "KroneckerMap",
    "MisprintImpact",
    "Routing1",
    "Routing4",
    "Votes",
]


@dataclass(frozen=True, kw_only=True)
class KroneckerMap(Assertion):
    r"""CAP-1: :math:`\mathrm{vec}(PW)=\mathrm{operator}\,\mathrm{vec}(P)`; ``parameters`` weights per pair; the maps
    span a space of dimension ``span``.  ``operator`` is ``"kron(W.T, I)"`` or ``"kron(I, W)"`` (column-major vec)."""

    operator: str
    parameters: int
    span: int


@dataclass(frozen=True, kw_only=True)
class Votes(Assertion):
    """CAP-13: the votes are ``"P W"`` (or ``"W P"``), with ``"per-pair"`` (or ``"shared-over-children"``) weights."""

    votes: str
    weights: str


@dataclass(frozen=True, kw_only=True)
class GaussianNormaliser(Assertion):
    r"""CAP-2, CAP-5: the density's normaliser is :math:`(2\pi)^{\alpha d+\beta}|\Sigma|^{1/2}` with
    ``two_pi_power = (α, β)``; ``covariance`` is ``"full"`` or ``"shared"`` (:math:`\Sigma=\sigma^2I`).  The correct
    normaliser is ``(½, 0)``; eq. (11) as printed, :math:`\sqrt{2\pi}\sigma^d`, is ``(0, ½)``."""

    covariance: str
    two_pi_power: tuple[float, float]


@dataclass(frozen=True, kw_only=True)
class EMUpdates(Assertion):
    r"""CAP-3, CAP-4: the M-step of EM for a Gaussian mixture (Bishop §9.2), reading by reading.

    ``covariance``: ``"full"`` or ``"diagonal"``; ``sigma_divisor``: :math:`\Sigma_j` divided by ``"n_pi"``
    (:math:`n\pi_j`) or ``"n_pi_minus_1"``; ``pi``: :math:`\pi_j` from the ``"posterior"`` :math:`p(j|x_i)` or the
    ``"likelihood"`` :math:`p(x_i|j)`; ``mu_divisor``: :math:`\mu_j` divided by ``"n_pi"`` or ``"n"``.  The
    defaults are the post's (correct) updates.
    """

    covariance: str
    sigma_divisor: str = "n_pi"
    pi: str = "posterior"
    mu_divisor: str = "n_pi"


@dataclass(frozen=True, kw_only=True)
class MisprintImpact(Assertion):
    """CAP-5: the misprinted normaliser leaves the ``"responsibilities"`` (or the ``"log-likelihood"``) unchanged."""

    quantity: str


@dataclass(frozen=True, kw_only=True)
class KMeansLimit(Assertion):
    r"""CAP-6: as :math:`\sigma\to` ``sigma_to`` (``0`` or ``oo``) the responsibilities become one-hot at the
    ``"nearest"`` mean (or the ``"largest-pi"`` component, or ``"nearest-printed"``: :math:`\arg\min\|x-\mu^2\|^2`)."""

    sigma_to: Formula
    assign: str


@dataclass(frozen=True, kw_only=True)
class Routing1(Assertion):
    r"""CAP-7: routing 1's :math:`\sigma_j^2` weighs by the ``"normalised"`` :math:`r_{ij}` (or the
    ``"unnormalised"`` :math:`R_{ij}`), and :math:`\pi_j` is the ``"mean"`` (or the ``"sum"``) of :math:`R_{ij}`."""

    variance_weights: str
    pi: str


@dataclass(frozen=True, kw_only=True)
class EntropyEstimate(Assertion):
    r"""CAP-8: :math:`S_j\approx-\mathrm{scale}\sum_iw_i\ln p(x_i|j)` with weights ``"posterior"`` :math:`p(j|x_i)`
    (or ``"likelihood"`` :math:`p(x_i|j)`) and ``scale`` ``"1/(n pi)"`` (or ``"1/n"``)."""

    weights: str
    scale: str


@dataclass(frozen=True, kw_only=True)
class EntropyClosedForm(Assertion):
    r"""CAP-9: :math:`-\sum_ir_{ij}\ln p_{ij}=\mathrm{half\_d}\cdot d+\mathrm{log\_2pi}\cdot d\ln2\pi
    +\mathrm{log\_sigma2}\sum_l\ln\sigma_l^2` (the true coefficients are all ½)."""

    half_d: float
    log_2pi: float
    log_sigma2: float


@dataclass(frozen=True, kw_only=True)
class CostFormula(Assertion):
    r"""CAP-10: :math:`\sum_h\mathrm{cost}^h_j` is ``formula`` — ``"eq-1"`` (the paper's), ``"su-14"`` (the post's)
    or ``"eq-1-without-half"`` — for ``weights`` ``"unnormalised"`` :math:`r_{ij}=a_iR_{ij}` (or ``"normalised"``)
    and :math:`\sigma^2` divided by ``variance`` ``"sum-r"`` (:math:`\sum_ir_{ij}`) or ``"n"``."""

    formula: str
    weights: str = "unnormalised"
    variance: str = "sum-r"


@dataclass(frozen=True, kw_only=True)
class ActivationFamily(Assertion):
    r"""CAP-11: (15), eq. (2) and Procedure 1 are equal when :math:`\beta_u'` = ``beta_u_prime`` (in terms of
    :math:`\beta_u`, :math:`d` and :math:`c=(1+\ln2\pi)/2`; ``None``: no :math:`\beta_u'` makes them equal), with
    Procedure 1's :math:`\sum_h\mathrm{cost}^h` adding :math:`\beta_u'` ``beta_u_count`` times."""

    SYMBOLS = symbols(beta_u={"real": True}, d={"positive": True, "integer": True}, c={"positive": True})
    beta_u_prime: Formula | None
    beta_u_count: Formula


@dataclass(frozen=True, kw_only=True)
class Routing4(Assertion):
    r"""CAP-12: Su's routing 4 with its E-step prior ``e_step`` (``"a_j"`` or ``"pi_j"``), cost weights
    ``cost_weights`` (``"unnormalised"`` or ``"normalised"``) and mean weights ``mean_weights`` (``"aR"`` or
    ``"R"``): the switches of :func:`~.routing.su_routing_4`."""

    e_step: str = "a_j"
    cost_weights: str = "unnormalised"
    mean_weights: str = "aR"

    def switches(self) -> dict[str, str]:
        """The keyword arguments of :func:`~.routing.su_routing_4` this reading sets."""
        return {"e_step": self.e_step, "cost_weights": self.cost_weights, "mean_weights": self.mean_weights}


@dataclass(frozen=True, kw_only=True)
class ClusterRecovery(Assertion):
    """CAP-14: adjusted Rand index bounds on anisotropic blobs; a bound left ``None`` is not stated."""

    gmm_ari_min: float
    kmeans_ari_max: float | None = None
    kmeans_ari_min: float | None = None

    def bounds(self) -> dict[str, float]:
        """The stated bounds by field name, in field order."""
        stated = {"gmm_ari_min": self.gmm_ari_min, "kmeans_ari_max": self.kmeans_ari_max,
                  "kmeans_ari_min": self.kmeans_ari_min}
        return {name: value for name, value in stated.items() if value is not None}
