r"""A corpus of buggy EM-routing implementations, each modelled on a mistake reported for public code.

Each class changes one method of the reference :class:`~.routing.EMRouting`, so everything around the bug is the
reference.  Each is a false variant of the generic ``em-routing`` claims (:mod:`.checks.generic`) and must be
refuted by them, with the input on which it goes wrong as the counterexample.

=================================  ==========================================================================
class                              the bug
=================================  ==========================================================================
:class:`NoVarianceFloor`           σ² without ε: a parent with a single child gets σ² = 0, ln σ = −∞ and NaN
                                   (Gritzman 2019, §3.1; it still *declares* the floor)
:class:`NormalisedCost`            the amount of data assigned to a parent normalised away: the cost uses
                                   :math:`\sum_i r_{ij}=1` (Gritzman 2019, §3.2; CAP-12 (c2))
:class:`PerPositionCompetition`    parents at different positions do not compete for a child: the E-step
                                   softmax runs within each position, so a child's R sums to the number of
                                   positions (Gritzman 2019, §3.3)
:class:`MissingInputActivation`    the M-step weights by :math:`R_{ij}` without :math:`a_i` (CAP-12 (c3))
:class:`MixingWeightEStep`         the E-step uses the GMM mixing weight :math:`\pi_j=\frac1n\sum_iR_{ij}`
                                   instead of :math:`a_j` (CAP-12 (c1))
:class:`VarianceOverN`             σ² normalised by the number of children n instead of :math:`\sum_ir_{ij}`
                                   (CAP-10 (c3))
:class:`BetaUOnce`                 β_u added once instead of once per pose dimension (CAP-11 (c2))
:class:`DetachedAssignments`       the E-step's R detached from the graph: the forward pass is right but the
                                   gradient is not that of the function computed
=================================  ==========================================================================

Reference: A. Gritzman, “Avoiding implementation pitfalls of ‘Matrix capsule networks with EM routing’”,
arXiv:1907.00652 (2019).
"""

from __future__ import annotations

from torch import Tensor

from .routing import EMRouting

__all__ = [
    "BUGS",
    "BetaUOnce",
    "DetachedAssignments",
    "MissingInputActivation",
    "MixingWeightEStep",
    "NoVarianceFloor",
    "NormalisedCost",
    "PerPositionCompetition",
    "VarianceOverN",
]


class NoVarianceFloor(EMRouting):
    """Declares ε like the reference but never adds it: σ² = 0 for a parent with a single child."""

    def m_step(self, assignments, a_in, votes, beta_u, beta_a, lam):  # type: ignore[no-untyped-def]
        declared, self.variance_floor = self.variance_floor, 0.0
        try:
            return super().m_step(assignments, a_in, votes, beta_u, beta_a, lam)
        finally:
            self.variance_floor = declared


class NormalisedCost(EMRouting):
    """μ and σ² are right, but the cost uses the normalised weights, Σ_i r_ij = 1 for every parent."""

    def m_step(self, assignments, a_in, votes, beta_u, beta_a, lam):  # type: ignore[no-untyped-def]
        mu, sigma2, _ = super().m_step(assignments, a_in, votes, beta_u, beta_a, lam)
        cost = beta_u[:, None] + 0.5 * sigma2.log()
        return mu, sigma2, (lam * (beta_a - cost.sum(-1))).sigmoid()


class PerPositionCompetition(EMRouting):
    """The parents are ``positions`` blocks of types; the E-step normalises R within each block only."""

    positions = 2

    def e_step(self, mu: Tensor, sigma2: Tensor, a_out: Tensor, votes: Tensor) -> Tensor:
        logits = a_out.log()[:, None] + self.log_density(votes, mu, sigma2)
        blocks = logits.unflatten(-1, (self.positions, -1))
        return blocks.softmax(-1).flatten(-2)


class MissingInputActivation(EMRouting):
    """r_ij = R_ij: the children's activations never enter the M-step."""

    def weights(self, assignments: Tensor, a_in: Tensor) -> Tensor:
        return assignments


class MixingWeightEStep(EMRouting):
    """GMM habit: R_ij ∝ π_j p_ij with π_j = Σ_i R_ij / n, instead of a_j p_ij."""

    def forward(self, votes, a_in, beta_u, beta_a, inverse_temperature, iterations):  # type: ignore[no-untyped-def]
        self._last: Tensor | None = None
        return super().forward(votes, a_in, beta_u, beta_a, inverse_temperature, iterations)

    def weights(self, assignments: Tensor, a_in: Tensor) -> Tensor:
        self._last = assignments
        return super().weights(assignments, a_in)

    def e_step(self, mu: Tensor, sigma2: Tensor, a_out: Tensor, votes: Tensor) -> Tensor:
        assert self._last is not None
        pi = self._last.mean(1)
        return (pi.log()[:, None] + self.log_density(votes, mu, sigma2)).softmax(-1)


class VarianceOverN(EMRouting):
    """σ² = Σ_i r_ij (V − μ)² / n, the number of children, instead of / Σ_i r_ij."""

    def m_step(self, assignments, a_in, votes, beta_u, beta_a, lam):  # type: ignore[no-untyped-def]
        r = self.weights(assignments, a_in)
        amount = r.sum(1)
        mu = (r[..., None] * votes).sum(1) / amount[..., None]
        sigma2 = (r[..., None] * (votes - mu[:, None]) ** 2).sum(1) / votes.shape[1] + self.variance_floor
        cost = (beta_u[:, None] + 0.5 * sigma2.log()) * amount[..., None]
        return mu, sigma2, (lam * (beta_a - cost.sum(-1))).sigmoid()


class BetaUOnce(EMRouting):
    """cost_j = (β_u + Σ_h ln σ_j^h) Σ_i r_ij: β_u counted once, not once for each of the d pose entries."""

    def m_step(self, assignments, a_in, votes, beta_u, beta_a, lam):  # type: ignore[no-untyped-def]
        mu, sigma2, _ = super().m_step(assignments, a_in, votes, beta_u, beta_a, lam)
        amount = self.weights(assignments, a_in).sum(1)
        cost = (beta_u + 0.5 * sigma2.log().sum(-1)) * amount
        return mu, sigma2, (lam * (beta_a - cost)).sigmoid()


class DetachedAssignments(EMRouting):
    """R is computed right but detached, so autograd reports the gradient of another function."""

    def e_step(self, mu: Tensor, sigma2: Tensor, a_out: Tensor, votes: Tensor) -> Tensor:
        return super().e_step(mu, sigma2, a_out, votes).detach()


#: Factory name → class, in the order of the table above.
BUGS: dict[str, type[EMRouting]] = {
    "no_variance_floor": NoVarianceFloor,
    "normalised_cost": NormalisedCost,
    "per_position_competition": PerPositionCompetition,
    "missing_input_activation": MissingInputActivation,
    "mixing_weight_e_step": MixingWeightEStep,
    "variance_over_n": VarianceOverN,
    "beta_u_once": BetaUOnce,
    "detached_assignments": DetachedAssignments,
}
