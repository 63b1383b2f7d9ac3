r"""CAP-12: Su's routing 4 against the paper's Procedure 1 on identical inputs, and ``gradcheck`` through it.

The switches of :func:`~..routing.su_routing_4` give the false readings (E-step with π_j, normalised cost, μ
weighted without :math:`a_i`); the comparison is :func:`.generic.compare` (float64 reference, tolerance from dtype,
sizes and the measured conditioning).
"""

from __future__ import annotations

import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify_plugins.capsules.assertions import Routing4
from kexue_verify_plugins.capsules.checks.generic import compare, make_probe
from kexue_verify_plugins.capsules.routing import DEFAULT_VARIANCE_FLOOR, su_routing_4

__all__ = ["routing_4_numeric"]


class _Switched(torch.nn.Module):
    def __init__(self, switches: dict[str, str]) -> None:
        super().__init__()
        self.switches = switches
        self.variance_floor = DEFAULT_VARIANCE_FLOOR

    def forward(self, votes, a_in, beta_u, beta_a, lam, iterations):  # type: ignore[no-untyped-def]
        return su_routing_4(votes, a_in, votes.shape[-1] * beta_u, beta_a, lam, iterations,
                            variance_floor=self.variance_floor, **self.switches)


def routing_4_numeric(ctx: CheckContext, a: Routing4) -> list[Evidence]:
    """Routing 4 as stated vs Procedure 1 (3 iterations), and torch.autograd.gradcheck through 3 iterations."""
    routing = _Switched(a.switches())
    agreement = compare(routing, make_probe(ctx), ctx, "routing 4 (β_u″ = dβ_u) vs Procedure 1")
    gen = ctx.generator(3)
    votes = torch.randn(1, 4, 2, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    a_in = (0.2 + 0.8 * torch.rand(1, 4, generator=gen, dtype=torch.float64)).requires_grad_(True)
    beta = torch.randn(2, 2, generator=gen, dtype=torch.float64)

    def unrolled(v: torch.Tensor, act: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(routing(v, act, beta[0], beta[1], 0.2, 3)[:3])

    ok = torch.autograd.gradcheck(unrolled, (votes, a_in), raise_exception=False)
    return [agreement, holds("torch.autograd.gradcheck through the unrolled routing (3 iterations)", ok,
                             method="float64, torch's finite-difference Jacobian vs the analytic one, default "
                                    "tolerances", counterexample=None if ok else {"gradcheck": False})]
