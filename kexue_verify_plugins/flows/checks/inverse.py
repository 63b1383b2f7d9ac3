r"""``flows.layer-inverse``: a layer's inverse round-trips in both directions, on the perturbed layer
(:func:`.common.prepare`) at the probe batch and at the images of a second one.

Tolerance per sample: :math:`8\gamma_D\,(2\|M\|_\infty\|\mathrm{image}\|_\infty+\|M\|_\infty\|M^{-1}\|_\infty
\|\mathrm{start}\|_\infty+\|\mathrm{start}\|_\infty)`, :math:`M` the Jacobian of the map back (:func:`roundtrip`):
the output's rounding carried back through the inverse, the first map's backward error seen through the second, plus
the rounding of the result (normwise, because a layer's rounding errors are relative to its intermediate values,
which can exceed the entries they produce).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.flows.assertions import Probe
from kexue_verify_plugins.flows.checks.common import finite, non_finite, plain, prepare
from kexue_verify_plugins.flows.figures import roundtrip_figure
from kexue_verify_plugins.flows.jacobian import slogdet64
from kexue_verify_plugins.flows.probing import probe, region_evidence
from kexue_verify_plugins.flows.reference import cast_twin, checked_jacobian

__all__ = ["inverse_check", "roundtrip"]


def roundtrip(name: str, start: Tensor, back: Tensor, image: Tensor, jac: Tensor, kinds: list[str],
               ctx: CheckContext, inverse_jacobian: bool) -> Evidence:
    """‖back − start‖∞ ≤ 8γ_D(2‖M‖∞‖image‖∞ + ‖M‖∞‖M⁻¹‖∞‖start‖∞ + ‖start‖∞) per sample, with M = J_f⁻¹ if
    ``inverse_jacobian`` else J_f the Jacobian of the map that produced ``back`` (M⁻¹ that of the first map).

    The first-order error of a round trip through two backward-stable computations h, then g (Higham, *Accuracy
    and Stability of Numerical Algorithms*, §1.5): h's result is h(start + δ) + δ' with |δ| ≤ γ|start| and
    |δ'| ≤ γ|image|, which g carries back by M — the term ‖M‖‖M⁻¹‖‖start‖, a condition number, is the backward
    error of h seen through g; g adds its own γ(‖M‖‖image‖ + ‖start‖).  A singular J_f means f is not invertible
    there: that fails at once.
    """
    n, d = start.shape[0], jac.shape[-1]
    j64 = jac.to(torch.float64)
    sign, _ = slogdet64(jac)
    if bool((sign == 0).any()):
        i = int(torch.nonzero(sign == 0)[0])
        return holds(name, False, method="float64 slogdet of J_f", expected="an invertible map",
                     counterexample={"sample": i, "kind": kinds[i], "det": 0.0},
                     note="J_f is singular at a probe point: f is not invertible there")
    carry = torch.linalg.inv(j64) if inverse_jacobian else j64
    carry_norm = carry.abs().sum(dim=-1).amax(dim=-1)  # ‖M‖∞ per sample
    first_norm = (j64 if inverse_jacobian else torch.linalg.inv(j64)).abs().sum(dim=-1).amax(dim=-1)  # ‖M⁻¹‖∞
    s = start.detach().to(torch.float64).reshape(n, -1)
    img = image.detach().to(torch.float64).reshape(n, -1).abs().amax(dim=1)
    start_norm = s.abs().amax(dim=1)
    bound = tolerance(ctx.dtype, n=d) * (2 * carry_norm * img + carry_norm * first_norm * start_norm + start_norm)
    err = (back.detach().to(torch.float64).reshape(n, -1) - s).abs()
    per = err.amax(dim=1)
    ratio = per / bound.clamp_min(torch.finfo(torch.float64).tiny)
    i = int(torch.argmax(ratio))
    j = int(torch.argmax(err[i]))
    figure = roundtrip_figure(name, s.abs().amax(dim=1).tolist(), per.tolist(), bound.tolist())
    evidence = holds(name, bool((per <= bound).all()), method=f"round trip in {ctx.dtype} on {ctx.device}, D = {d}",
                 expected="‖error‖∞ ≤ 8γ_D(2‖M‖∞‖image‖∞ + ‖M‖∞‖M⁻¹‖∞‖start‖∞ + ‖start‖∞) per sample, M the "
                          "Jacobian of the map back",
                 counterexample={"sample": i, "kind": kinds[i], "coordinate": j, "start": plain(s[i, j]),
                                 "after_round_trip": plain(back.reshape(n, -1)[i, j]), "bound": plain(bound[i])},
                 max_error=plain(per.max()), max_error_over_bound=plain(ratio.max()))
    return dataclasses.replace(evidence, figure=figure)


def inverse_check(ctx: CheckContext, assertion: Probe | None) -> list[Evidence]:
    """inverse(forward(x)) = x on the probe, and forward(inverse(y)) = y on the images of a second probe."""
    flow = prepare(ctx, assertion)
    x, kinds = probe(flow, ctx, assertion)
    region = region_evidence(flow)
    x_b, kinds_b = probe(flow, ctx, assertion, offset=1)
    with torch.no_grad():
        y, _ = flow.forward(x)
        x_back, _ = flow.inverse(y)
        y_b, _ = flow.forward(x_b)
    for value, where, kk in ((y, "f(x)", kinds), (x_back, "f⁻¹(f(x))", kinds), (y_b, "f(x')", kinds_b)):
        if not finite(value):
            return [non_finite("round trip finite", where, kk, value)]
    with torch.no_grad():
        x_b_inv, _ = flow.inverse(y_b)
        y_b_back, _ = flow.forward(x_b_inv)
    if not finite(y_b_back):
        return [non_finite("round trip finite", "f(f⁻¹(y))", kinds_b, y_b_back)]
    twin = cast_twin(flow) if ctx.torch_dtype != torch.float64 else flow
    jac, _, cross = checked_jacobian(flow, x, ctx, kinds, twin=twin)
    jac_b, _, cross_b = checked_jacobian(flow, x_b, ctx, kinds_b, twin=twin)
    return [
        region, cross, cross_b,
        roundtrip("f⁻¹(f(x)) = x", x, x_back, y, jac, kinds, ctx, inverse_jacobian=True),
        roundtrip("f(f⁻¹(y)) = y", y_b, y_b_back, x_b_inv, jac_b, kinds_b, ctx, inverse_jacobian=False),
    ]
