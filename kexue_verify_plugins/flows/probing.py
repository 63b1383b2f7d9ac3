r"""Where the generic flow checks probe a layer: the bulk, the tails, and a sweep across magnitudes.

A layer that clamps or saturates beyond a few standard deviations passes every check made only there.  So the probe
batch has, besides two bulk samples of :math:`\mathcal N(0,I)` and two tail samples (one scaled 3×, one with a quarter
of its coordinates at ±7), a **magnitude sweep**: for each radius :math:`r=10,10^2,\dots\le R_{\rm dtype}` one sample
with *every* coordinate at :math:`\pm r` (jointly) and one with a random half of them at :math:`\pm r` and the rest
from the bulk (coordinates out on their own, so a coupling sees a large conditioning half next to a moderate
transformed half, and the other way round).

:math:`R_{\rm dtype}=\varepsilon^{-1/4}` (8.2·10³ in float64, 53 in float32): beyond it the product of two values of
that size (a shift computed from one coordinate, added to another scaled one) exceeds :math:`\varepsilon^{-1/2}`, and
the cancellations of a correct layer there lose more than half the digits, so no tolerance is both honest and tight
(with :math:`\varepsilon^{-1/2}` correct zuko and nflows layers were refuted in the study of
``docs/topics/flows.md``).  The sweep also ends at the first radius that is **beyond what the dtype allows for the
layer**: where the layer's own output or log-det is not finite (an ``exp`` that overflows), where its output leaves
:math:`R_{\rm dtype}` (the inverse direction is probed at the outputs, and the same range applies to them), or where
its log-det exceeds half the dtype's exponent range
(:math:`|\mathrm{ld}|>\tfrac12\log(\text{max float})`, a determinant that cannot be represented next to its
inverse).  The tail samples are held to the same rule (:func:`_tails_in_range`): pulled in, else left out.  A
layer that reports a representable log-det while its Jacobian is singular is *not* beyond the range: that
is a clamp, and the checks fail it.

A layer with a genuinely bounded domain (a spline without linear tails) declares it in its ``ModelSpec``:
``declared={"domain_radius": B}``; then every probe coordinate is kept inside :math:`(-B, B)` and the sweep stops at
:math:`B`.  The evidence of every generic check records the largest magnitude probed, the radii, why the sweep stopped
and the declared domain (:func:`region_evidence`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, Outcome
from kexue_verify.helpers import eps
from kexue_verify_plugins.flows.assertions import Probe
from kexue_verify_plugins.flows.protocol import Flow

__all__ = ["DEFAULTS", "dtype_radius", "probe", "region_evidence", "settings"]

#: The probe settings when a check is given none (:class:`.assertions.Probe`'s defaults).
DEFAULTS = Probe()


def settings(assertion: Probe | None) -> Probe:
    """The probe settings of a generic claim's assertion (:class:`.assertions.Probe` or a subclass); ``None`` for
    the defaults."""
    if assertion is None:
        return DEFAULTS
    if not isinstance(assertion, Probe):
        raise TypeError(f"the generic flow checks take a Probe assertion, got {type(assertion).__name__}")
    return assertion


def dtype_radius(dtype: Any) -> float:
    """:math:`\\varepsilon^{-1/4}` of the dtype: the largest radius the sweep tries."""
    return eps(dtype) ** -0.25


def _domain(flow: Flow) -> float | None:
    radius = flow.declared.get("domain_radius")
    if radius is None:
        return None
    radius = float(radius)
    if not (radius > 0 and math.isfinite(radius)):
        raise ValueError(f"declared domain_radius must be a positive finite number, got {radius!r}")
    return radius


def _standard(flow: Flow, gen: torch.Generator, a: Probe) -> tuple[list[Tensor], list[str]]:
    rows, kinds = [], []
    for _ in range(int(a.bulk)):
        rows.append(torch.randn(flow.event_shape, generator=gen, dtype=torch.float64))
        kinds.append("bulk")
    for i in range(int(a.tail)):
        z = torch.randn(flow.event_shape, generator=gen, dtype=torch.float64)
        if i % 2 == 0:
            rows.append(float(a.tail_scale) * z)
            kinds.append(f"tail ({a.tail_scale}× scaled)")
        else:
            picked = torch.rand(flow.event_shape, generator=gen, dtype=torch.float64) < 0.25
            rows.append(torch.where(picked, float(a.extreme) * torch.sign(z), z))
            kinds.append(f"tail (a quarter of the coordinates at ±{a.extreme})")
    return rows, kinds


def _sweep(flow: Flow, gen: torch.Generator, top: float) -> list[tuple[float, list[Tensor], list[str]]]:
    radii = [10.0**k for k in range(1, 40) if 10.0**k < top]
    if not radii or top > 1.5 * radii[-1]:
        radii.append(top)
    out = []
    for r in radii:
        z = torch.randn(flow.event_shape, generator=gen, dtype=torch.float64)
        sign = torch.where(z >= 0, 1.0, -1.0).to(torch.float64)
        joint = r * sign
        half = torch.rand(flow.event_shape, generator=gen, dtype=torch.float64) < 0.5
        mixed = torch.where(half, r * sign, torch.randn(flow.event_shape, generator=gen, dtype=torch.float64))
        out.append((r, [joint, mixed], [f"magnitude {r:.3g} (every coordinate at ±r)",
                                        f"magnitude {r:.3g} (a random half of the coordinates at ±r)"]))
    return out


def _in_range(flow: Flow, x: Tensor) -> str | None:
    """None if the layer is within its dtype's range on ``x``, else the reason it is not."""
    with torch.no_grad():
        y, ld = flow.forward(x)
    if not bool(torch.isfinite(y).all()):
        return "the layer's output is not finite there (overflow in its dtype)"
    if not bool(torch.isfinite(ld).all()):
        return "the layer's log-det is not finite there"
    if float(y.detach().abs().max()) > dtype_radius(x.dtype):
        return (f"its output exceeds ε^(-1/4) = {dtype_radius(x.dtype):.3g}, so its inverse would be probed beyond "
                "the dtype's range")
    limit = 0.5 * math.log(torch.finfo(x.dtype).max)
    if ld.dim() >= 1 and ld.shape[0] == x.shape[0]:
        size = ld.detach().to(torch.float64).reshape(x.shape[0], -1).sum(dim=1).abs()
        if bool((size > limit).any()):
            return f"its log-det exceeds half the exponent range of {x.dtype} (|ld| > {limit:.0f})"
    return None


#: How far a tail sample beyond the dtype's range for the layer is pulled towards the origin before it is left out.
TAIL_PULLS = (0.5, 0.25)


def _tails_in_range(flow: Flow, rows: list[Tensor], kinds: list[str], limit: float | None, as_run: dict[str, Any]
                    ) -> tuple[list[Tensor], list[str], list[str]]:
    """The tail samples held to the sweep's rule (:func:`_in_range`): one beyond the dtype's range for the layer is
    scaled by :data:`TAIL_PULLS` in turn until it is within it, else left out; the bulk samples are kept as drawn.
    Done where the sweep is (each sample is a one-sample call of the layer, so not on :func:`.checks.common.prepare`'s
    warm-up batch, whose first call may be a data-dependent initialisation).

    An expansive layer (a deep multi-scale stack at some seeds: a 3×-scaled sample mapped to 3·10⁴ in float32, where
    ``ε^(-1/4)`` is 54, and back 10⁹ away, with ``cond J = 3·10¹⁶``) has no digit of its inverse's Jacobian left
    there, and its true claims were refuted or undecided on that one sample."""
    kept_rows, kept_kinds, notes = [], [], []
    for row, kind in zip(rows, kinds, strict=True):
        if not kind.startswith("tail"):
            kept_rows.append(row)
            kept_kinds.append(kind)
            continue
        reason = None
        for factor in (1.0, *TAIL_PULLS):
            candidate = factor * row if limit is None else (factor * row).clamp(-limit, limit)
            reason = _in_range(flow, candidate.unsqueeze(0).to(**as_run))
            if reason is None:
                kept_rows.append(candidate)
                kept_kinds.append(kind if factor == 1.0 else f"{kind}, pulled in ×{factor:g}")
                break
            notes.append(f"{kind} ×{factor:g}: {reason}")
        if reason is not None:
            notes.append(f"{kind}: left out")
    return kept_rows, kept_kinds, notes


def probe(flow: Flow, ctx: CheckContext, assertion: Probe | None = None, offset: int = 0,
          sweep: bool = True) -> tuple[Tensor, list[str]]:
    """The probe batch ``(N, *event_shape)`` and a label per sample (bulk, tail, magnitude r); see the module doc.

    ``sweep=False`` (or ``Probe(magnitudes=False)`` as the assertion) leaves out the magnitude sweep.  What was probed
    is recorded on ``flow.region``.
    """
    a = settings(assertion)
    gen = ctx.generator(7919 * (offset + 1), device="cpu")
    domain = _domain(flow)
    top = dtype_radius(ctx.dtype) if domain is None else min(domain, dtype_radius(ctx.dtype))
    limit = None if domain is None else domain * (1 - 2.0**-10)
    region: dict[str, Any] = {"declared_domain_radius": domain, "radii": [], "sweep_stopped": None}
    as_run = {"device": ctx.device, "dtype": ctx.torch_dtype}
    rows, kinds = _standard(flow, gen, a)
    if sweep and a.magnitudes:  # not on the warm-up batch: a layer's first call may initialise it from its batch
        rows, kinds, region["tails_pulled_in"] = _tails_in_range(flow, rows, kinds, limit, as_run)
    if sweep and a.magnitudes:
        for r, extra, labels in _sweep(flow, gen, top):
            batch = torch.stack(extra)
            if limit is not None:
                batch = batch.clamp(-limit, limit)
            reason = _in_range(flow, batch.to(**as_run))
            if reason is not None:
                region["sweep_stopped"] = f"at radius {r:.3g}: {reason}"
                break
            rows += list(batch)
            kinds += labels
            region["radii"].append(r)
        else:
            at_domain = domain is not None and top == domain
            region["sweep_stopped"] = (f"at the declared domain radius {domain:g}" if at_domain
                                       else f"at the dtype's limit ε^(-1/4) = {top:.3g}")
    x = torch.stack(rows)
    if limit is not None:
        x = x.clamp(-limit, limit)
    region["largest_magnitude"] = float(x.abs().max())
    flow.region = region
    return x.to(**as_run), kinds


def region_evidence(flow: Flow) -> Evidence:
    """What was probed: the largest magnitude, the radii of the sweep, why it stopped, the declared domain."""
    region = dict(getattr(flow, "region", None) or {})
    domain = region.get("declared_domain_radius")
    return Evidence(
        name="probe region", outcome=Outcome.PASS,
        method="bulk and tail samples, then log-spaced radii (every coordinate, and a random half, at ±r)",
        quantities={"largest_magnitude_probed": region.get("largest_magnitude"), "radii": region.get("radii", []),
                    "sweep_stopped": region.get("sweep_stopped"), "declared_domain_radius": domain,
                    **({"tails_pulled_in": region["tails_pulled_in"]} if region.get("tails_pulled_in") else {})},
        note=(f"the layer declares a bounded domain |x_i| < {domain:g} in its ModelSpec" if domain is not None
              else "no bounded domain declared"),
    )
