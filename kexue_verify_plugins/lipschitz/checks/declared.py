"""Check of the model claim ``lipschitz.declared-bound``, which runs on every model of kind ``lipschitz-net``.

The model's declared bound (its :class:`~kexue_verify.ModelSpec`'s ``declared``, or the module's ``kexue_declared``)
against the sandwich of :mod:`kexue_verify_plugins.lipschitz.bounds`: verified only by the certified upper bound
(product of exact layer norms), refuted only by a pair of inputs whose difference quotient, evaluated in float64,
is above it.  The model is the user's, so its backward is not trusted: the autograd Jacobian whose norm the reported
lower bound rests on is cross-checked with finite differences of the forward map, and a disagreement fails the claim.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from kexue_verify import CheckContext, Evidence, Outcome, undecided
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.lipschitz.assertions import DeclaredBound
from kexue_verify_plugins.lipschitz.bounds import cpu_generator, jacobian_cross_check, sandwich

from .witness import lower_tol, pair_evidence

__all__ = ["declared_bound_numeric", "sandwich_figure"]


def _declared(ctx: CheckContext) -> dict[str, Any]:
    return {**getattr(ctx.model, "kexue_declared", {}), **ctx.declared}


def _upper_tol(model: nn.Module, bound: float) -> float:
    """How far the certificate may sit above the declared bound and still verify it, summed over parameters.

    Rounding a weight to its dtype (``|ΔW_ij| ≤ u|W_ij|``) moves its layer's norm by at most
    ``‖ΔW‖₂ ≤ u‖W‖_F ≤ u√k·‖W‖₂`` with ``k`` the rank bound ``min(rows, columns)`` of the reshaped weight,
    times ``√(k_h k_w)`` for a convolution (LIP-13: ``‖T‖ ≤ √(k_h k_w)‖R‖``); the float64 SVD or FFT adds
    ``8γ_n`` (``n`` the number of entries).  Each term is taken at the scale of the bound, with the safety
    factor 8 of :func:`~kexue_verify.tolerances.tolerance`.
    """
    total = 0.0
    for p in model.parameters():
        k = 1
        if p.dim() >= 2:
            k = min(p.shape[0], p[0].numel()) * (p.shape[-1] * p.shape[-2] if p.dim() == 4 else 1)
        total += tolerance(p.dtype, scale=bound * k**0.5) + tolerance("float64", n=p.numel(), scale=bound)
    return total


def sandwich_figure(model: str, lower: float, upper: float | None, declared: float) -> dict[str, Any]:
    """Figure data for the sandwich of one model: its lower bound, certified upper bound and declared bound.

    The range bar runs from the best lower bound found (a witness pair or the largest Jacobian norm) to the
    certified upper bound (the product of exact layer norms); the dashed line is the declared bound.
    """
    return {
        "title": f"Lipschitz sandwich: {model}",
        "kind": "interval", "xlabel": "model", "ylabel": "Lipschitz constant",
        "series": [{"label": "lower bound → certified upper bound", "x": model, "lower": lower, "upper": upper,
                    "lower_label": "lower", "upper_label": "certified upper"}],
        "hlines": [{"y": declared, "label": f"declared bound {declared:g}", "color": "C3"}],
        "caption": ("The true Lipschitz constant lies inside the bar, between the largest difference quotient found "
                    "(lower) and the product of exact layer norms (certified upper). The declared bound is "
                    "kept when the whole bar is at or below the dashed line; a lower end above it is a "
                    "counterexample. A bar of zero height means the bound is tight."),
    }


def declared_bound_numeric(ctx: CheckContext, a: DeclaredBound) -> list[Evidence]:
    """The sandwich against the model's declared bound: verified by the certificate, refuted by a pair.

    ``declared``: the :class:`~kexue_verify.ModelSpec`'s ``lipschitz_bound`` and ``input_shape`` (or the
    module's ``kexue_declared`` attribute).  Certified upper ≤ declared (within the model dtype's
    rounding) → pass; a witness pair above declared → fail, with the pair; neither → undecided.  A third piece of
    evidence cross-checks the autograd Jacobian at the centre of the largest ``‖J‖₂`` found with central finite
    differences (:func:`~kexue_verify_plugins.lipschitz.lower_bound.jacobian_cross_check`): a backward that does
    not differentiate the forward fails it, one the differences cannot resolve leaves it undecided.
    """
    declared = _declared(ctx)
    if "lipschitz_bound" not in declared or "input_shape" not in declared:
        return [undecided("declared bound", note="the model declares no lipschitz_bound/input_shape")]
    bound, shape = float(declared["lipschitz_bound"]), tuple(declared["input_shape"])
    s = sandwich(ctx.model, shape, generator=cpu_generator(ctx.seed + 26))
    tol_up = _upper_tol(ctx.model, bound)
    figure = sandwich_figure(ctx.model_name or ctx.variant or "model", s.lower.value, s.upper, bound)
    summary = s.summary()
    if s.upper is None:
        upper = Evidence(name="certified upper ≤ declared", outcome=Outcome.UNDECIDED, method="module walk",
                         quantities=summary, note="no certificate: unknown module(s) "
                         + ", ".join(s.certificate.unsupported), figure=figure)
    else:
        upper = Evidence(name="certified upper ≤ declared",
                         outcome=Outcome.PASS if s.upper <= bound + tol_up else Outcome.UNDECIDED,
                         method="product of exact layer norms (float64)", quantities=summary,
                         expected=f"<= {bound!r}", tolerance={"atol": tol_up}, figure=figure,
                         note="" if s.upper <= bound + tol_up else "the certificate is above the declared bound")
    lower = pair_evidence("no input pair breaks the declared bound", s, bound, lower_tol(s, bound),
                           method=f"gradient ascent on difference quotients, seeded restarts ({ctx.dtype}); "
                                  "pair evaluated in float64")
    return [upper, lower, jacobian_cross_check(ctx.model, s.lower)]
