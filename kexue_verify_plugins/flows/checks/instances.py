r"""The torch side of the catalogue checks: small built-in layers with perturbed parameters in the run's dtype and
device, seeded inputs, and a formula's log-det against the float64 ``slogdet`` of the autograd Jacobian.

Tolerance of :func:`logdet_vs_jacobian`: :math:`8\gamma_D(\kappa+|\log|\det J||)` per sample, :math:`\kappa` the
componentwise condition of :math:`\log|\det J|` (:func:`..jacobian.componentwise_condition`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows import layers
from kexue_verify_plugins.flows.checks.common import plain
from kexue_verify_plugins.flows.jacobian import componentwise_condition, slogdet64

__all__ = ["logdet_vs_jacobian", "randn", "small_layer"]


def small_layer(ctx: CheckContext, build: Callable[[torch.Generator], layers.FlowModule], scale: float = 0.3) -> Any:
    with layers.seeded(ctx.seed) as gen:
        module = layers.finish_layer(build(gen), gen, scale=scale)
    return module.to(device=ctx.device, dtype=ctx.torch_dtype)


def randn(ctx: CheckContext, *shape: int, offset: int = 0) -> torch.Tensor:
    gen = ctx.generator(31 * offset, device="cpu")
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(device=ctx.device, dtype=ctx.torch_dtype)


def logdet_vs_jacobian(name: str, predicted: torch.Tensor, jac: torch.Tensor, ctx: CheckContext,
                        method: str, **quantities: Any) -> Evidence:
    """Predicted log-dets against float64 slogdet, tolerance 8γ_D(κ + |log det|) (see :mod:`.logdet`)."""
    _, truth = slogdet64(jac)
    kappa = componentwise_condition(jac)
    d = jac.shape[-1]
    pred = predicted.detach().to(torch.float64).reshape(-1)
    err = (pred - truth).abs()
    tol = torch.tensor([tolerance(ctx.dtype, n=d, condition=float(k)) + tolerance(ctx.dtype, n=d, scale=float(t))
                        for k, t in zip(kappa, truth, strict=True)], dtype=torch.float64, device=err.device)
    k = int(torch.argmax(err / tol))
    ok = bool(torch.isfinite(pred).all()) and bool((err <= tol).all())
    return holds(name, ok, method=method, expected="|formula − slogdet J| ≤ 8γ_D(κ + |log|det||)",
                 counterexample={"sample": k, "formula": plain(pred[k]), "slogdet": plain(truth[k])},
                 max_error=plain(err.max()), tolerance_max=plain(tol.max()), **quantities)
