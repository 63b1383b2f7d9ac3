r"""What every check on a registered flow layer shares: the layer prepared for measuring, and evidence for a
non-finite value or a wrongly shaped log-det.

:func:`prepare` adapts the model (:func:`..protocol.as_flow_layer`), puts it in eval mode, calls it once in both
directions (so a layer that caches anything builds its cache), then **perturbs every parameter**
(:func:`..layers.perturb_`) and only then measures.  So

* a log-det that is only right at the identity initialisation (zero-initialised couplings, orthogonal 1×1
  convolutions) is exposed, and
* a cache computed from the old parameters is stale when it is used, as it would be after an optimiser step.

The probe batch (:func:`..probing.probe`) has samples from the bulk of the base distribution and from its tails, where
clamps and saturations live, and a sweep across magnitudes.  Ground truth is the float64 ``slogdet`` of the autograd
Jacobian (:mod:`..jacobian`), cross-checked by finite differences (:mod:`..reference`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify_plugins.flows.assertions import Probe
from kexue_verify_plugins.flows.layers import perturb_
from kexue_verify_plugins.flows.probing import probe, settings
from kexue_verify_plugins.flows.protocol import Flow, as_flow_layer

__all__ = ["finite", "non_finite", "perturbation_note", "plain", "prepare", "shape_evidence"]


def plain(value: Any) -> Any:
    """A number for the report: a float when finite, else its text (a layer's NaN is data, not a measurement)."""
    if isinstance(value, Tensor):
        value = value.detach().cpu()
        if value.numel() != 1:
            return [plain(v) for v in value.reshape(-1).tolist()]
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def prepare(ctx: CheckContext, assertion: Probe | None = None) -> Flow:
    """Adapt ``ctx.model``, eval mode, one call each way (caches fill), then perturb every parameter."""
    flow = as_flow_layer(ctx.model, ctx.declared).eval()
    x, _ = probe(flow, ctx, assertion, offset=99, sweep=False)
    with torch.no_grad():
        y, _ = flow.forward(x)
        flow.inverse(y)
    gen = ctx.generator(104729, device="cpu")
    for module in flow.modules:
        perturb_(module, gen, float(settings(assertion).perturbation))
        flow.perturbed += sum(1 for p in module.parameters() if p.is_floating_point())
    return flow


def perturbation_note(flow: Flow) -> str:
    return "" if flow.perturbed else "the layer has no torch.nn parameters, so nothing was perturbed"


def finite(t: Tensor | None) -> bool:
    return t is not None and bool(torch.isfinite(t).all())


def non_finite(name: str, where: str, kinds: list[str], value: Tensor) -> Evidence:
    bad = (~torch.isfinite(value.reshape(value.shape[0], -1))).any(dim=1) if value.dim() else torch.tensor([True])
    i = int(torch.nonzero(bad)[0]) if bool(bad.any()) else 0
    return holds(name, False, method="finite-value check",
                 expected="finite values at a finite input",
                 counterexample={"sample": i, "kind": kinds[min(i, len(kinds) - 1)], "where": where,
                                 "value": str(value.reshape(value.shape[0], -1)[i][:6].tolist()
                                              if value.dim() else value.item())},
                 note=f"the layer produced NaN/Inf in {where} for a finite input")


def shape_evidence(name: str, ld: Tensor | None, n: int, note: str = "") -> Evidence:
    shape = None if ld is None else tuple(ld.shape)
    return holds(name, shape == (n,), method="shape check", expected=f"({n},): one log-det per sample",
                 counterexample={"shape": str(shape)}, note=note, shape=str(shape))
