r"""The ``em-routing`` model kind: the protocol, the reference Procedure 1, Su's routing 4 and a matrix-capsule layer.

**The protocol.** An EM-routing implementation is a callable (usually an ``nn.Module``)

.. code-block:: python

    out = routing(votes, a_in, beta_u, beta_a, inverse_temperature, iterations)

==========================  ==================================  ===============================================
argument                    shape                               meaning
==========================  ==================================  ===============================================
``votes``                   ``(batch, n_in, n_out, pose)``      :math:`V_{ij}^h`, the vote of child i for parent j
``a_in``                    ``(batch, n_in)``, in ``(0, 1]``    :math:`a_i`, the children's activations
``beta_u``, ``beta_a``      ``(n_out,)``                        :math:`\beta_u` (per pose dimension, as in
                                                                Procedure 1) and :math:`\beta_a`
``inverse_temperature``     a float                             :math:`\lambda`, the same at every iteration
``iterations``              an int ≥ 1                          t: t M-steps and t − 1 E-steps between them
==========================  ==================================  ===============================================

It returns ``(poses, variances, activations, assignments)`` — a tuple, a :class:`RoutingResult`, or a mapping with
those keys — of shapes ``(batch, n_out, pose)``, ``(batch, n_out, pose)``, ``(batch, n_out)`` and
``(batch, n_in, n_out)``: :math:`\mu_j`, :math:`\sigma_j^2`, :math:`a_j` of the last M-step and the assignments
:math:`R_{ij}` that M-step used (before the weighting by :math:`a_i`).  An optional attribute
``variance_floor`` (default 0) is the ε an implementation adds to every variance, :math:`\sigma^2 =
\mathrm{Var}_r + \varepsilon`, so that a parent with a single child keeps a finite :math:`\ln\sigma`.

**Procedure 1** (Hinton, Sabour & Frosst, ICLR 2018), with :math:`r_{ij}=a_iR_{ij}` and :math:`S_j=\sum_ir_{ij}`:

.. math::

    \mu_j^h = \frac{\sum_i r_{ij}V_{ij}^h}{S_j},\quad (\sigma_j^h)^2 = \frac{\sum_i r_{ij}(V_{ij}^h-\mu_j^h)^2}{S_j},
    \quad a_j = \mathrm{logistic}\Bigl(\lambda\bigl(\beta_a - \sum_h(\beta_u+\ln\sigma_j^h)S_j\bigr)\Bigr),

    R_{ij} = \frac{a_jp_{ij}}{\sum_k a_kp_{ik}},\qquad p_{ij}=\prod_h\mathcal N(V_{ij}^h;\mu_j^h,(\sigma_j^h)^2).

>>> import torch
>>> v = torch.randn(2, 5, 3, 16, dtype=torch.float64); a = torch.rand(2, 5, dtype=torch.float64)
>>> out = procedure_1(v, a, torch.zeros(3), torch.zeros(3), 0.1, 3)
>>> tuple(out.poses.shape), bool(torch.allclose(out.assignments.sum(-1), torch.ones(2, 5, dtype=torch.float64)))
((2, 3, 16), True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

__all__ = [
    "DEFAULT_VARIANCE_FLOOR",
    "EMRouting",
    "MatrixCapsules",
    "RoutingResult",
    "SuRouting4",
    "as_routing_result",
    "procedure_1",
    "su_routing_4",
    "variance_floor_of",
]

#: ε added to every variance by the reference: a parent with a single child has σ² = ε, not 0.
DEFAULT_VARIANCE_FLOOR = 1e-8
LOG_2PI = math.log(2 * math.pi)


class RoutingResult(NamedTuple):
    """What one routing layer returns (see the module docstring)."""

    poses: Tensor
    variances: Tensor
    activations: Tensor
    assignments: Tensor


def _param(value: Any, like: Tensor) -> Tensor:
    return torch.as_tensor(value, dtype=like.dtype, device=like.device)


class EMRouting(nn.Module):
    """The reference EM routing: Procedure 1 of Hinton, Sabour & Frosst (ICLR 2018), written as the paper reads.

    Buggy implementations (:mod:`.buggy`) subclass it and override one of :meth:`weights`, :meth:`m_step`,
    :meth:`e_step` — the same code around the bug, so the checks see nothing else change.
    """

    def __init__(self, variance_floor: float = DEFAULT_VARIANCE_FLOOR) -> None:
        super().__init__()
        self.variance_floor = float(variance_floor)

    def weights(self, assignments: Tensor, a_in: Tensor) -> Tensor:
        r""":math:`r_{ij} = R_{ij}a_i` (Procedure 1's first M-step line)."""
        return assignments * a_in[..., None]

    def m_step(self, assignments: Tensor, a_in: Tensor, votes: Tensor, beta_u: Tensor, beta_a: Tensor,
               lam: float) -> tuple[Tensor, Tensor, Tensor]:
        """μ, σ² and a of the parents from the assignments (Procedure 1, M-step)."""
        r = self.weights(assignments, a_in)                          # (b, i, j)
        amount = r.sum(1)                                             # S_j = Σ_i r_ij, (b, j)
        w = r[..., None]                                              # (b, i, j, 1); plain products and sums are
        mu = (w * votes).sum(1) / amount[..., None]                   # faster here than einsum's batched matmul
        sigma2 = (w * (votes - mu[:, None]) ** 2).sum(1) / amount[..., None] + self.variance_floor
        cost = (beta_u[:, None] + 0.5 * torch.log(sigma2)) * amount[..., None]   # cost^h_j, (b, j, h)
        a_out = torch.sigmoid(lam * (beta_a - cost.sum(-1)))
        return mu, sigma2, a_out

    def log_density(self, votes: Tensor, mu: Tensor, sigma2: Tensor) -> Tensor:
        r""":math:`\ln p_{ij} = \sum_h \ln\mathcal N(V_{ij}^h;\mu_j^h,(\sigma_j^h)^2)`, shape (b, i, j)."""
        normaliser = -0.5 * (votes.shape[-1] * LOG_2PI + torch.log(sigma2).sum(-1))          # (b, j)
        return normaliser[:, None] - 0.5 * ((votes - mu[:, None]) ** 2 / sigma2[:, None]).sum(-1)

    def e_step(self, mu: Tensor, sigma2: Tensor, a_out: Tensor, votes: Tensor) -> Tensor:
        r""":math:`R_{ij} = a_jp_{ij}/\sum_k a_kp_{ik}` (Procedure 1, E-step), computed as a softmax of logs."""
        return torch.softmax(torch.log(a_out[:, None]) + self.log_density(votes, mu, sigma2), dim=-1)

    def forward(self, votes: Tensor, a_in: Tensor, beta_u: Any, beta_a: Any, inverse_temperature: float,
                iterations: int) -> RoutingResult:
        beta_u, beta_a = _param(beta_u, votes), _param(beta_a, votes)
        assignments = torch.full(votes.shape[:3], 1.0 / votes.shape[2], dtype=votes.dtype, device=votes.device)
        for t in range(int(iterations)):
            mu, sigma2, a_out = self.m_step(assignments, a_in, votes, beta_u, beta_a, inverse_temperature)
            if t < iterations - 1:
                assignments = self.e_step(mu, sigma2, a_out, votes)
        return RoutingResult(mu, sigma2, a_out, assignments)


def procedure_1(votes: Tensor, a_in: Tensor, beta_u: Any, beta_a: Any, inverse_temperature: float, iterations: int,
                *, variance_floor: float = DEFAULT_VARIANCE_FLOOR) -> RoutingResult:
    """Run the reference :class:`EMRouting` once (a functional form of the protocol)."""
    return EMRouting(variance_floor)(votes, a_in, beta_u, beta_a, inverse_temperature, iterations)


def su_routing_4(votes: Tensor, a_in: Tensor, beta_u2: Any, beta_a: Any, inverse_temperature: float,
                 iterations: int, *, variance_floor: float = DEFAULT_VARIANCE_FLOOR, e_step: str = "a_j",
                 cost_weights: str = "unnormalised", mean_weights: str = "aR") -> RoutingResult:
    r"""Su's routing 4 as the post writes it (section 路由现), with β_u″ added once.

    .. math::

        r_{ij} = \frac{a_iR_{ij}}{\sum_i a_iR_{ij}},\quad M_j=\sum_ir_{ij}V_{ij},\quad
        \sigma_j^2=\sum_ir_{ij}(V_{ij}-M_j)^2,

        a_j = \mathrm{sigmoid}\Bigl(\lambda\bigl(\beta_a-(\beta_u''+\textstyle\sum_l\ln\sigma_j^l)
        \sum_ia_iR_{ij}\bigr)\Bigr),\quad R_{ij}=\frac{a_jp_{ij}}{\sum_ka_kp_{ik}}.

    With :math:`\beta_u''=d\,\beta_u` this is Procedure 1 (CAP-11, CAP-12).  The keyword switches give the
    false readings of CAP-12: ``e_step="pi_j"`` (mixing weights :math:`\pi_j=\frac1n\sum_iR_{ij}` instead of
    :math:`a_j`), ``cost_weights="normalised"`` (the cost uses :math:`\sum_ir_{ij}=1`), ``mean_weights="R"``
    (μ and σ² weighted by :math:`R_{ij}` without :math:`a_i`).
    """
    beta_u2, beta_a = _param(beta_u2, votes), _param(beta_a, votes)
    n_in, n_out = votes.shape[1], votes.shape[2]
    big_r = torch.full(votes.shape[:3], 1.0 / n_out, dtype=votes.dtype, device=votes.device)
    for t in range(int(iterations)):
        weighted = big_r * a_in[..., None] if mean_weights == "aR" else big_r
        r = weighted / weighted.sum(1, keepdim=True)                           # normalised over i
        m = (r[..., None] * votes).sum(1)
        sigma2 = (r[..., None] * (votes - m[:, None]) ** 2).sum(1) + variance_floor
        amount = (big_r * a_in[..., None]).sum(1) if cost_weights == "unnormalised" else r.sum(1)
        a_out = torch.sigmoid(inverse_temperature * (beta_a - (beta_u2 + 0.5 * torch.log(sigma2).sum(-1)) * amount))
        if t == iterations - 1:
            return RoutingResult(m, sigma2, a_out, big_r)
        log_p = -0.5 * (LOG_2PI + torch.log(sigma2[:, None]) + (votes - m[:, None]) ** 2 / sigma2[:, None]).sum(-1)
        weight = a_out if e_step == "a_j" else big_r.sum(1) / n_in
        big_r = torch.softmax(torch.log(weight[:, None]) + log_p, dim=-1)
    raise ValueError(f"iterations must be >= 1, got {iterations}")


class SuRouting4(nn.Module):
    """Su's routing 4 behind the ``em-routing`` protocol: the protocol's per-dimension β_u becomes β_u″ = d β_u."""

    def __init__(self, variance_floor: float = DEFAULT_VARIANCE_FLOOR) -> None:
        super().__init__()
        self.variance_floor = float(variance_floor)

    def forward(self, votes: Tensor, a_in: Tensor, beta_u: Any, beta_a: Any, inverse_temperature: float,
                iterations: int) -> RoutingResult:
        d = votes.shape[-1]
        return su_routing_4(votes, a_in, d * _param(beta_u, votes), beta_a, inverse_temperature, iterations,
                            variance_floor=self.variance_floor)


def variance_floor_of(routing: Any) -> float:
    """The ε an implementation declares (attribute ``variance_floor``), 0 when it declares none."""
    value = getattr(routing, "variance_floor", 0.0)
    if not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
        raise TypeError(f"{type(routing).__name__}.variance_floor must be a finite float >= 0, got {value!r}")
    return float(value)


_KEYS = ("poses", "variances", "activations", "assignments")


def as_routing_result(out: Any, *, batch: int, n_in: int, n_out: int, pose: int) -> RoutingResult:
    """Read what an implementation returned as a :class:`RoutingResult`, checking every shape.

    Raises ``TypeError`` naming the protocol when the output has another form, so an adapter is easy to write.
    """
    if isinstance(out, Mapping):
        missing = [k for k in _KEYS if k not in out]
        if missing:
            raise TypeError(f"an em-routing implementation returned a mapping without {missing}; "
                            f"return the keys {list(_KEYS)} (see docs/topics/capsules.md)")
        out = tuple(out[k] for k in _KEYS)
    if not isinstance(out, tuple) or len(out) != 4:
        raise TypeError("an em-routing implementation must return (poses, variances, activations, assignments), "
                        f"got {type(out).__name__}; see docs/topics/capsules.md for the protocol")
    want = {"poses": (batch, n_out, pose), "variances": (batch, n_out, pose), "activations": (batch, n_out),
            "assignments": (batch, n_in, n_out)}
    for key, value in zip(_KEYS, out, strict=True):
        if not isinstance(value, Tensor) or tuple(value.shape) != want[key]:
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise TypeError(f"em-routing output {key!r} must be a tensor of shape {want[key]}, got {shape}")
    return RoutingResult(*out)


class MatrixCapsules(nn.Module):
    r"""A layer of matrix capsules: votes :math:`V_{ij}=P_iW_{ij}` (a 4×4 :math:`W_{ij}` for each pair), then routing.

    ``forward(poses, a_in)`` takes poses ``(batch, n_in, 4, 4)`` and activations ``(batch, n_in)`` and returns the
    routing's :class:`RoutingResult` (output poses flattened to 16).  For a convolutional capsule layer with a K×K
    window, ``n_in = K·K·B`` (B input capsule types) and the batch runs over images and output positions.
    """

    def __init__(self, n_in: int, n_out: int, *, iterations: int = 3, inverse_temperature: float = 0.01,
                 routing: Callable[..., Any] | None = None, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out, 4, 4, generator=generator, dtype=torch.float64) / 2)
        self.beta_u = nn.Parameter(torch.zeros(n_out, dtype=torch.float64))
        self.beta_a = nn.Parameter(torch.zeros(n_out, dtype=torch.float64))
        self.iterations = int(iterations)
        self.inverse_temperature = float(inverse_temperature)
        self.routing = routing if routing is not None else EMRouting()

    def votes(self, poses: Tensor) -> Tensor:
        """``V[b, i, j] = poses[b, i] @ weight[i, j]``, flattened to 16 pose entries."""
        v = torch.einsum("nixy,ijyz->nijxz", poses, self.weight)
        return v.reshape(*v.shape[:3], 16)

    def forward(self, poses: Tensor, a_in: Tensor) -> RoutingResult:
        return self.routing(self.votes(poses), a_in, self.beta_u, self.beta_a, self.inverse_temperature,
                            self.iterations)
