"""Model factories of kind ``em-routing``: the reference, Su's routing 4, and the buggy corpus (:mod:`.buggy`).

A factory takes the check context and returns the routing module; kexue-verify moves it to the run's device and
dtype.  The buggy factories are false variants of the generic claims (``FalseVariant(model=...)``).
"""

from __future__ import annotations

from typing import Any

from .buggy import BUGS
from .routing import DEFAULT_VARIANCE_FLOOR, EMRouting, MatrixCapsules, SuRouting4

__all__ = [
    "beta_u_once",
    "detached_assignments",
    "matrix_capsules",
    "missing_input_activation",
    "mixing_weight_e_step",
    "no_variance_floor",
    "normalised_cost",
    "per_position_competition",
    "procedure_1",
    "su_routing_4",
    "variance_over_n",
]


def procedure_1(ctx: Any) -> EMRouting:
    """The reference Procedure 1 (:class:`~.routing.EMRouting`) with ε = 1e-8."""
    return EMRouting(DEFAULT_VARIANCE_FLOOR)


def su_routing_4(ctx: Any) -> SuRouting4:
    """Su's routing 4 behind the protocol (β_u″ = d β_u)."""
    return SuRouting4(DEFAULT_VARIANCE_FLOOR)


def matrix_capsules(ctx: Any, n_in: int = 8, n_out: int = 4) -> MatrixCapsules:
    """A small matrix-capsule layer (n_in = 8, n_out = 4, 3 iterations) with weights drawn from the case's seed."""
    import torch

    gen = torch.Generator().manual_seed(int(getattr(ctx, "seed", 0)) % 2**63)
    return MatrixCapsules(n_in, n_out, iterations=3, inverse_temperature=0.05, generator=gen)


def no_variance_floor(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.NoVarianceFloor`."""
    return BUGS["no_variance_floor"](DEFAULT_VARIANCE_FLOOR)


def normalised_cost(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.NormalisedCost`."""
    return BUGS["normalised_cost"](DEFAULT_VARIANCE_FLOOR)


def per_position_competition(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.PerPositionCompetition`."""
    return BUGS["per_position_competition"](DEFAULT_VARIANCE_FLOOR)


def missing_input_activation(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.MissingInputActivation`."""
    return BUGS["missing_input_activation"](DEFAULT_VARIANCE_FLOOR)


def mixing_weight_e_step(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.MixingWeightEStep`."""
    return BUGS["mixing_weight_e_step"](DEFAULT_VARIANCE_FLOOR)


def variance_over_n(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.VarianceOverN`."""
    return BUGS["variance_over_n"](DEFAULT_VARIANCE_FLOOR)


def beta_u_once(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.BetaUOnce`."""
    return BUGS["beta_u_once"](DEFAULT_VARIANCE_FLOOR)


def detached_assignments(ctx: Any) -> EMRouting:
    """Buggy: :class:`~.buggy.DetachedAssignments`."""
    return BUGS["detached_assignments"](DEFAULT_VARIANCE_FLOOR)
