"""The ``lr-schedule`` model kind: stepping a schedule as a training loop does, stated formulas, and a user's schedules
registered through a plugin (``docs/examples/lr-schedule-plugin``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from kexue_verify import ModelSpec, Verdict
from kexue_verify.plugins import LoadOptions
from kexue_verify.testing import assert_verdict, builtin_plugins, run_claim
from kexue_verify_plugins.keras.schedule import Trace, drive, stated_lr, stated_trace, steps_per_epoch

pytestmark = pytest.mark.usefixtures("one_thread")

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "lr-schedule-plugin"
KIND_CLAIMS = ("keras.schedule-follows-formula", "keras.schedule-reaches-phases")
PIECEWISE = {"piecewise": [[0, 1.0], [2, 0.5]], "unit": "epoch"}


def _lambdalr(factor):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


# -- the formula and the loop --------------------------------------------------------------------------------------


def test_steps_per_epoch_counts_the_last_partial_batch():
    assert steps_per_epoch({"samples": 7, "batch_size": 3}) == 3
    assert steps_per_epoch({"samples": 6, "batch_size": 3}) == 2
    assert steps_per_epoch({"steps_per_epoch": 5, "samples": 7, "batch_size": 3}) == 5
    with pytest.raises(ValueError, match="steps_per_epoch"):
        steps_per_epoch({})


@pytest.mark.parametrize(("formula", "t", "kwargs", "lr"), [
    (PIECEWISE, 5, {}, 1.0),                               # epoch 1 of S = 3
    (PIECEWISE, 6, {}, 0.5),                               # epoch 2
    (PIECEWISE, 5, {"shift": 1}, 0.5),                     # one epoch late
    ({**PIECEWISE, "counting": 1}, 3, {}, 0.5),            # epoch 1 read as the 2nd epoch
    (PIECEWISE, 2, {"regroup": True}, 0.5),                # batch 2 read as epoch 2
    ({"warmup": {"peak": 1.0, "epochs": 2}, "unit": "batch"}, 0, {}, 1 / 6),
    ({"warmup": {"peak": 1.0, "epochs": 2}, "unit": "batch"}, 4, {"regroup": True}, 4 / 6),
    ({"warmup": {"peak": 1.0, "epochs": 2}, "unit": "epoch"}, 4, {}, 1.0),
    ({"function": lambda t, s: t / s, "unit": "batch"}, 4, {}, 4 / 3),
])
def test_stated_lr(formula, t, kwargs, lr):
    assert stated_lr(formula, t, 3, **kwargs) == pytest.approx(lr, rel=1e-15)


def test_an_unknown_formula_is_a_clear_error():
    with pytest.raises(ValueError, match="piecewise"):
        stated_lr({"exponential": 0.9}, 0, 1)


def test_torch_scheduler_per_epoch_and_per_batch_differ_as_a_loop_sees_them():
    factor = lambda i: 0.5**i  # noqa: E731
    per_epoch = drive(_lambdalr(factor), {"step": "epoch", "epochs": 2, "steps_per_epoch": 3})
    per_batch = drive(_lambdalr(factor), {"step": "batch", "epochs": 2, "steps_per_epoch": 3})
    assert per_epoch.lrs == (1.0, 1.0, 1.0, 0.5, 0.5, 0.5)
    assert per_batch.lrs == (1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125)


def test_a_function_is_called_with_the_declared_counting():
    zero = drive(lambda e: e, {"step": "epoch", "counting": 0, "epochs": 2, "steps_per_epoch": 2, "base_lr": 0.1})
    one = drive(lambda e: e, {"step": "epoch", "counting": 1, "epochs": 2, "steps_per_epoch": 2, "base_lr": 0.1})
    assert zero.lrs == (0.0, 0.0, 0.1, 0.1)
    assert one.lrs == (0.1, 0.1, 0.2, 0.2)


def test_drive_rejects_what_is_not_a_schedule():
    with pytest.raises(TypeError, match="LRScheduler, a Keras Callback or a function"):
        drive(3.0, {"epochs": 1, "steps_per_epoch": 1})


def test_trace_positions_and_first_use():
    trace = Trace((1.0, 1.0, 0.5, 0.5), 2, "test")
    assert trace.where(3) == {"t": 3, "epoch": 1, "batch": 1}
    assert trace.first_use(0.5, 1e-12) == 2
    assert trace.first_use(0.25, 1e-12) is None
    assert trace.head(1).lrs == (1.0, 1.0)


def test_stated_trace_of_the_post_warmup_reaches_the_peak_at_the_last_warmup_batch():
    S = 3  # noqa: N806 - the steps per epoch, as in the post
    lrs = stated_trace({"warmup": {"peak": 1e-3, "epochs": 10}, "unit": "batch"}, 12 * S, S)
    assert lrs[0] == pytest.approx(1e-3 / 30)
    assert lrs[10 * S - 2] < 1e-3
    assert lrs[10 * S - 1:] == [1e-3] * (2 * S + 1)


# -- a user's schedules, through a plugin -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    return builtin_plugins(LoadOptions(dirs=(str(EXAMPLE),), only=("keras",)))


@pytest.mark.parametrize("model", ["my-step-decay", "my-cosine"])
@pytest.mark.parametrize("claim", KIND_CLAIMS)
def test_the_documented_example_schedules_are_verified(example, claim, model):
    assert {m.name for m in example.models.of_kind("lr-schedule")} >= {"my-step-decay", "my-cosine"}
    assert_verdict(run_claim(claim, model=model, loaded=example), Verdict.VERIFIED)


def _step_decay(ctx):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)


_STEP = {"epochs": 90, "steps_per_epoch": 2, "phases": [0.1, 0.01, 0.001],
         "formula": {"piecewise": [[0, 0.1], [30, 0.01], [60, 0.001]], "unit": "epoch"}}


@pytest.mark.parametrize(("declared", "claim", "where"), [
    # the boundary stated one epoch late: refuted at the first batch of epoch 30
    ({**_STEP, "step": "epoch", "formula": {**_STEP["formula"], "piecewise": [[0, 0.1], [31, 0.01], [60, 0.001]]}},
     "keras.schedule-follows-formula", {"epoch": 30, "batch": 0}),
    # the same StepLR stepped per batch by mistake: it decays at batch 30, in epoch 15
    ({**_STEP, "step": "batch"}, "keras.schedule-follows-formula", {"epoch": 15, "batch": 0}),
    # a promise the training length cannot keep
    ({**_STEP, "step": "epoch", "epochs": 50}, "keras.schedule-reaches-phases", None),
])
def test_a_mis_declared_user_schedule_is_refuted_with_where_it_goes_wrong(declared, claim, where):
    spec = ModelSpec(name="user-step", kind="lr-schedule", factory=_step_decay, declared=declared)
    result = run_claim(claim, model=spec)
    assert result.verdict is Verdict.REFUTED
    failed = [e for p in result.parts.values() for e in p.evidence if e.outcome.value == "fail"]
    if where:
        assert {k: failed[0].counterexample[k] for k in where} == where


def test_a_one_based_function_declared_zero_based_is_refuted():
    spec = ModelSpec(name="user-fn", kind="lr-schedule", factory=lambda ctx: (lambda e: 0.1 * 0.5 ** (e // 2)),
                     declared={"step": "epoch", "counting": 1, "epochs": 6, "steps_per_epoch": 2,
                               "formula": {"function": lambda t, s: 0.1 * 0.5 ** ((t // s) // 2), "unit": "epoch"}})
    result = run_claim("keras.schedule-follows-formula", model=spec)
    assert result.verdict is Verdict.REFUTED
    cx = next(e.counterexample for e in result.parts["numeric"].evidence if e.counterexample)
    assert (cx["epoch"], cx["stated"], cx["used"]) == (1, 0.1, pytest.approx(0.05))


def test_a_constant_schedule_cannot_be_told_from_its_variants():
    spec = ModelSpec(name="user-constant", kind="lr-schedule", factory=lambda ctx: (lambda e: 0.1),
                     declared={"step": "epoch", "epochs": 3, "steps_per_epoch": 2,
                               "formula": {"piecewise": [[0, 0.1]], "unit": "epoch"}, "phases": [0.1]})
    result = run_claim("keras.schedule-follows-formula", model=spec)
    assert result.verdict is Verdict.INCONCLUSIVE  # honest: off-by-one and granularity make no difference here
    assert math.isclose(drive(lambda e: 0.1, spec.declared).lrs[-1], 0.1)
