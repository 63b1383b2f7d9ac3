r"""Ground-truth Jacobians for the flow checks, never taken on the layer's word alone.

:func:`checked_jacobian` returns the autograd Jacobian of one direction of a layer (:func:`.jacobian.batch_jacobian`)
*and* the evidence of its cross-check against central finite differences of the forward map in float64
(:func:`kexue_verify.jacobians.finite_difference_jacobian`), which never calls the layer's backward.  A layer whose
custom ``torch.autograd.Function`` has a wrong ``backward`` agrees with itself under autograd; the cross-check fails
it, and the failure says that autograd and the independent method disagree.

The float64 evaluation runs on a float64 copy of the layer (:func:`cast_twin`: ``copy.deepcopy`` of its modules,
cast with ``.to(torch.float64)``, parameters equal to the run's); an object that cannot be copied or cast (a plain
transform holding float32 tensors) is differenced in its own dtype, with that dtype's bound, and the evidence says so.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn

from kexue_verify import CheckContext, Evidence
from kexue_verify.helpers import eps
from kexue_verify.jacobians import cross_check
from kexue_verify_plugins.flows.jacobian import batch_jacobian
from kexue_verify_plugins.flows.protocol import Flow, as_flow_layer

__all__ = ["DRAWS", "autograd_entry_error", "cast_twin", "checked_jacobian", "direction"]


def cast_twin(flow: Flow, dtype: torch.dtype = torch.float64) -> Flow | None:
    """A copy of ``flow`` in ``dtype`` (float64 by default) with the same parameters, in eval mode, or None when the
    object cannot be copied and cast."""
    if not isinstance(flow.obj, nn.Module):
        return None
    try:
        twin = as_flow_layer(copy.deepcopy(flow.obj).to(dtype), flow.declared)
    except Exception:  # noqa: BLE001 - an object we cannot copy is differenced in its own dtype
        return None
    for m in twin.modules:
        m.eval()
    return twin


def direction(flow: Flow, inverse: bool) -> Callable[[Tensor], Tensor]:
    """``x ↦ f(x)`` (or ``y ↦ f⁻¹(y)``) without the log-det: the map whose Jacobian is taken."""
    if inverse:
        return lambda t: flow.inverse(t)[0]
    return lambda t: flow.forward(t)[0]


def checked_jacobian(flow: Flow, x: Tensor, ctx: CheckContext, kinds: list[str], *, inverse: bool = False,
                     twin: Flow | None = None) -> tuple[Tensor, str, Evidence]:
    """The autograd Jacobian of ``flow`` (or its inverse) at ``x``, its method, and the finite-difference cross-check.

    ``twin`` is the float64 copy to difference (made with :func:`cast_twin` when not given). In a float32 run
    with a twin, the cross-check compares the *twin's* autograd Jacobian with the differences, both in float64: the
    question is whether the layer's backward differentiates its forward, a property of its code, and a float32
    Jacobian far out (entries of 10⁶ formed by cancellation) is accurate only to its conditioning, not to 8γ‖|J|‖,
    which made correct layers fail it in float32 (249 of 800 runs of the study in docs/topics/flows.md).
    """
    jac, method = batch_jacobian(direction(flow, inverse), x, method="rev")
    if ctx.torch_dtype == torch.float64:
        twin = flow
    elif twin is None:
        twin = cast_twin(flow)
    where = "f⁻¹" if inverse else "f"
    name = f"autograd J_{where} = finite differences of {where}"
    if twin is None or twin is flow:  # no float64 copy: differenced in the layer's own dtype
        evidence = cross_check(name, jac, direction(flow, inverse), x.detach(), dtype=ctx.dtype, labels=kinds)
    else:
        at = x.detach().to(torch.float64)
        twin_jac, _ = batch_jacobian(direction(twin, inverse), at, method="rev")
        evidence = cross_check(name, twin_jac, direction(twin, inverse), at, dtype="float64", labels=kinds)
        evidence = dataclasses.replace(evidence, method=evidence.method + " (the layer's backward run on its float64 "
                                       "copy, as the differences)")
    return jac, method, evidence


#: Float32 evaluations per precision-scaling estimate (:func:`autograd_entry_error`).
DRAWS = 4


def autograd_entry_error(flow: Flow, x: Tensor, jac: Tensor, ctx: CheckContext, *, inverse: bool = False) -> Tensor:
    r"""The rounding error of each entry of a float64 autograd Jacobian ``jac`` of ``flow`` at ``x``, estimated by
    **precision scaling**, ``(N, D, D)``.

    Autograd entries are accurate to their own evaluation, not to :math:`\gamma|J_{ij}|` (a derivative formed by
    cancellation, a composition :math:`J_3J_2J_1` accurate to :math:`\gamma|J_3||J_2||J_1|`).  The same code run in
    float32 makes the same cancellations with :math:`u_{32}/u_{64}=2^{29}` times larger errors, so
    :math:`e_{ij}=\max|J^{(32)}_{ij}-J_{ij}|\,u_{64}/u_{32}` estimates them — the largest over :data:`DRAWS`
    evaluations, at the float32 input and at moves of one float32 rounding, since a single draw of a random rounding
    error can fall 30× below its typical size.  The float32 copy is :func:`cast_twin` cast to float32; where it
    cannot be made or the run is not float64 the estimate is 0 (no widening),
    and non-finite float32 entries count as 0.  A wrong layer is wrong by far more: even where float32 loses every
    digit, :math:`e_{ij}` is about :math:`2\cdot10^{-9}` of the float32 entry.
    """
    zero = torch.zeros(jac.shape, dtype=torch.float64, device=jac.device)
    low = cast_twin(flow, torch.float32) if ctx.torch_dtype == torch.float64 else None
    if low is None:
        return zero
    try:
        fn = direction(low, inverse)
        at = x.detach().to(torch.float32)
        flat = at.reshape(at.shape[0], -1)
        gen = ctx.generator(911, device="cpu")
        j64 = jac.to(torch.float64)
        entry = torch.zeros_like(j64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for draw in range(DRAWS):
                sign = torch.where(torch.rand(flat.shape, generator=gen) < 0.5, -1.0, 1.0).to(flat)
                moved = flat + (draw > 0) * sign * eps("float32") * flat.abs().clamp_min(1.0)
                jac32, _ = batch_jacobian(fn, moved.reshape(at.shape))
                diff = (jac32.to(torch.float64) - j64).abs()
                entry = torch.maximum(entry, torch.where(torch.isfinite(diff), diff, 0.0))
    except Exception:  # noqa: BLE001 - no float32 copy: no estimate
        return zero
    entry = entry * (eps("float64") / eps("float32"))
    return torch.where(torch.isfinite(entry), entry, torch.zeros_like(entry))
