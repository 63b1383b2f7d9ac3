r"""KER-5 and KER-8, and the claims of the ``lr-schedule`` model kind: schedules stepped as a training loop steps them.

Two groups of checks, both on the learning rates a schedule *actually* hands the optimizer (:func:`..schedule.drive`):

* the **post's** schedules (KER-5, KER-8), as a torch ``LambdaLR`` and as the post's plain function (the Keras
  callbacks of the post run as ``lr-schedule`` models, skipped without Keras): the stated formula, the phases reached
  within the stated training length, the first learning rate; the symbolic side evaluates the warmup exactly;
* the **kind's** claims on every registered schedule, with the formula and phases it declares.

The warmup (KER-8), with :math:`S = \lceil N/B\rceil` steps an epoch and the 0-based global batch t:

.. math:: \mathrm{lr}_t = 0.001\,\min\Bigl(1, \frac{t + 1}{10S}\Bigr),\qquad
          \mathrm{lr}_0 = \frac{0.001}{10S} \ne 0,\qquad \mathrm{lr}_{10S-1} = 0.001.
"""

# ruff: noqa: N803, N806 - S, E, N, B are the post's steps per epoch, epochs, samples and batch size

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import sympy as sp

from kexue_verify import Evidence, close, holds, undecided
from kexue_verify_plugins.keras import models
from kexue_verify_plugins.keras.assertions import FollowsFormula, PostSchedule, ReachesPhases
from kexue_verify_plugins.keras.schedule import (
    Trace,
    compare,
    drive,
    lr_tolerance,
    stated_lr,
    stated_trace,
    steps_per_epoch,
)

#: The post's schedules as the loop runs them: (factory, declared) for torch LambdaLR and the plain function.
POST_SCHEDULES: dict[str, tuple[tuple[Any, dict[str, Any]], ...]] = {
    "piecewise": (
        (models.piecewise_lambdalr, {"step": "epoch", "steps_per_epoch": 2}),
        (models.piecewise_function, {"step": "epoch", "steps_per_epoch": 2, "counting": 0}),
    ),
    "warmup": (
        (models.warmup_lambdalr, {"step": "batch", **models.WARMUP_TRAINING}),
        (models.warmup_function, {"step": "batch", "counting": 0, **models.WARMUP_TRAINING}),
    ),
}


def _steps(declared: Mapping[str, Any], rule: str) -> int:
    """S as the statement counts it: ⌈N/B⌉ (``ceil``, the post) or ⌊N/B⌋ (``floor``, a false variant)."""
    if rule == "floor" and "samples" in declared:
        return int(declared["samples"]) // int(declared["batch_size"])
    return steps_per_epoch(declared)


def _formula_evidence(trace: Trace, formula: Mapping[str, Any], S_stated: int, *, shift: int = 0,
                      regroup: bool = False, label: str = "") -> Evidence:
    stated = stated_trace(formula, len(trace.lrs), S_stated, shift=shift, regroup=regroup)
    worst, first = compare(trace, stated)
    cx = None if first is None else {**trace.where(first), "used": trace.lrs[first], "stated": stated[first]}
    return close(f"{label}max relative |used lr − stated lr| over {trace.epochs} epochs × {trace.steps_per_epoch}",
                 worst, 0.0, tol=lr_tolerance(trace), method=trace.implementation, counterexample=cx)


def _phases_evidence(trace: Trace, phases: list[float], *, only: bool = False, label: str = "") -> list[Evidence]:
    rtol = lr_tolerance(trace)
    firsts = [trace.first_use(lr, rtol) for lr in phases]
    used = sorted({round(v, 12) for v in trace.lrs}, reverse=True)
    reached = all(f is not None for f in firsts)
    known = [f for f in firsts if f is not None]  # all of them when reached
    ordered = reached and all(a < b for a, b in itertools.pairwise(known))
    out = [holds(f"{label}every stated phase {phases} is used within {trace.epochs} epochs, in order", ordered,
                 method=trace.implementation, expected=phases,
                 counterexample={"learning_rates_used": used,
                                 "first_use": [None if f is None else trace.where(f) for f in firsts]},
                 first_use=[None if f is None else trace.where(f) for f in firsts])]
    if only:
        extra = [v for v in used if all(abs(v - p) > rtol * abs(p) for p in phases)]
        out.append(holds(f"{label}no other learning rate is used", not extra, method=trace.implementation,
                         counterexample={"other_learning_rates": extra}, learning_rates_used=used))
    return out


def post_schedule_numeric(ctx: Any, a: PostSchedule) -> list[Evidence]:
    """The post's schedule (``a.schedule``) run for ``a.epochs`` epochs, against the statement ``a``."""
    out: list[Evidence] = []
    for factory, declared in POST_SCHEDULES[a.schedule]:
        trace = drive(factory(ctx), declared, epochs=a.epochs)
        S_stated = _steps(declared, a.steps)
        label = f"[{trace.implementation}] "
        out.append(_formula_evidence(trace, a.formula, S_stated, label=label))
        out += _phases_evidence(trace, list(a.phases), only=a.only, label=label)
        if a.first_lr is not None:
            out.append(close(f"{label}the first learning rate", trace.lrs[0], a.first_lr,
                             tol=lr_tolerance(trace) * max(abs(a.first_lr), abs(trace.lrs[0])),
                             method=trace.implementation, counterexample={"first_lr": trace.lrs[0]}))
    return out


def _decide(name: str, value: sp.Expr, want: sp.Expr, S: sp.Symbol) -> Evidence:
    """Pass if ``value − want`` simplifies to 0; fail with the first S ∈ 1…5 where it is not 0; else undecided."""
    diff = sp.simplify(value - want)
    if diff == 0:
        return holds(name, True, method="sympy.simplify, S symbolic", expected=str(want), value=str(value))
    for s in range(1, 6):
        at = sp.nsimplify(diff.subs(S, s))
        if at.is_number and at != 0:
            return holds(name, False, method="sympy, S symbolic, then S = 1 … 5", expected=str(want),
                         counterexample={"S": s, "stated": str(value.subs(S, s)), "true": str(want.subs(S, s))},
                         value=str(value))
    return undecided(name, method="sympy", note=f"could not decide {diff} = 0")


def warmup_symbolic(ctx: Any, a: PostSchedule) -> list[Evidence]:
    """The stated warmup formula with S symbolic, at the first batch and at the last warmup batch t = 10S − 1."""
    formula = a.formula
    if "warmup" not in formula:
        return [undecided("the warmup values", note="the statement is not a warmup formula")]
    w = formula["warmup"]
    S = sp.Symbol("S", positive=True, integer=True)
    peak, n_w, offset = sp.nsimplify(w["peak"]), sp.Integer(w["epochs"]), sp.Integer(w.get("offset", 1))
    per_batch = formula.get("unit", "batch") == "batch"
    n = n_w * S if per_batch else n_w
    last_index = 10 * S - 1 if per_batch else sp.Integer(9)  # the last batch of epoch 9 (0-based), either unit

    def lr(i: sp.Expr) -> sp.Expr:
        return peak * sp.Min(1, (i + offset) / n)

    true_first, true_last = sp.Rational(1, 1000) / (10 * S), sp.Rational(1, 1000)
    out = [_decide("the stated lr at t = 10S − 1 is the true 0.001", lr(last_index), true_last, S),
           _decide("the stated lr at t = 0 is the true 0.001/(10S)", lr(sp.Integer(0)), true_first, S)]
    if a.first_lr is not None:
        out.append(_decide(f"the true first lr 0.001/(10S) is {a.first_lr}", true_first,
                           sp.nsimplify(a.first_lr), S))
    return out


# -- the lr-schedule kind --------------------------------------------------------------------------------------------


def follows_formula(ctx: Any, a: FollowsFormula) -> Evidence:
    """The schedule under test, stepped as declared, uses the declared formula's rate at every batch."""
    declared = ctx.declared
    trace = drive(ctx.model, declared)
    S = steps_per_epoch(declared)
    formula = declared["formula"]
    if a.shift or a.regroup:
        plain = stated_trace(formula, len(trace.lrs), S)
        moved = stated_trace(formula, len(trace.lrs), S, shift=a.shift, regroup=a.regroup)
        if plain == moved:
            return undecided("the formula read one unit off / at the other granularity",
                             note="on this schedule the variant gives the same rates: nothing to tell apart")
    return _formula_evidence(trace, formula, S, shift=a.shift, regroup=a.regroup)


def reaches_phases(ctx: Any, a: ReachesPhases) -> list[Evidence]:
    """Every declared phase is used within the declared training (or, for the variant, a shorter one)."""
    declared = ctx.declared
    phases = list(declared.get("phases", ()))
    if not phases:
        return [undecided("the declared phases", note="the model declares no phases")]
    trace = drive(ctx.model, declared)
    if a.training == "declared":
        return _phases_evidence(trace, phases)
    # the variant: stop in the epoch before the one in which the formula first gives the last phase
    S = steps_per_epoch(declared)
    rtol = lr_tolerance(trace)
    starts = [t for t in range(len(trace.lrs))
              if abs(stated_lr(declared["formula"], t, S) - phases[-1]) <= rtol * abs(phases[-1])]
    if not starts or starts[0] < S:
        return [undecided("a training one epoch too short", note="the last phase starts in the first epoch")]
    return _phases_evidence(trace.head(math.floor(starts[0] / S)), phases)
