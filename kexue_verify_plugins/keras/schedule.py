"""The ``lr-schedule`` model kind: a learning-rate schedule, stepped as a training loop steps it.

A model of kind ``lr-schedule`` is built by its factory as one of

* a **torch** ``torch.optim.lr_scheduler.LRScheduler``, bound to its optimizer; the loop calls
  ``optimizer.step()`` for every batch and ``scheduler.step()`` after every batch or after every epoch, as
  ``declared["step"]`` says;
* a **Keras** ``keras.callbacks.Callback`` that sets ``model.optimizer.learning_rate`` (a
  ``LearningRateScheduler``, or a callback of one's own such as the post's warmup); it runs inside a real
  ``model.fit`` on a one-weight model;
* a plain **function** ``index -> lr``, called with the epoch or the global batch index (``declared["step"]``),
  counted from ``declared["counting"]`` (0 or 1).

:func:`drive` returns the learning rate the optimizer actually used for every batch, ``lrs[t]`` for the 0-based
global batch index ``t = epoch·S + batch``.  The learning rate is read where the step uses it: torch's
``param_groups[0]["lr"]`` just before ``optimizer.step()``, Keras's ``optimizer.learning_rate`` in
``on_train_batch_begin`` after every other callback has run.

``declared`` (the promise a schedule model makes, and what the claims compare with):

=================  ====================================================================================
``step``           ``"epoch"`` or ``"batch"``: when the loop advances the schedule (torch, function)
``counting``       the first index a plain function receives, 0 (default) or 1
``epochs``         the stated training length E
``steps_per_epoch`` S; or ``samples`` N and ``batch_size`` B, and then S = ⌈N/B⌉
``base_lr``        the optimizer's initial learning rate (default 1.0)
``formula``        the stated formula, a :func:`stated_lr` formula (see there)
``phases``         learning rates stated to be used within the E epochs, in order (optional)
=================  ====================================================================================
"""

# ruff: noqa: N803, N806 - S, E, N, B are the post's steps per epoch, epochs, samples and batch size

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kexue_verify.claims import resolve

__all__ = ["Trace", "drive", "lr_tolerance", "stated_lr", "stated_trace", "steps_per_epoch"]


def steps_per_epoch(declared: Mapping[str, Any]) -> int:
    """S: ``declared["steps_per_epoch"]``, else ⌈samples / batch_size⌉ as Keras counts the last, partial batch."""
    if "steps_per_epoch" in declared:
        return int(declared["steps_per_epoch"])
    if "samples" in declared and "batch_size" in declared:
        return math.ceil(int(declared["samples"]) / int(declared["batch_size"]))
    raise ValueError("an lr-schedule model must declare steps_per_epoch, or samples and batch_size")


@dataclass(frozen=True)
class Trace:
    """The learning rate used at every batch of a training run, and the precision it was stored in."""

    lrs: tuple[float, ...]
    steps_per_epoch: int
    implementation: str
    storage_dtype: str = "float64"

    @property
    def epochs(self) -> int:
        return len(self.lrs) // self.steps_per_epoch

    def where(self, t: int) -> dict[str, int]:
        """The position of global batch ``t``: epoch and batch, both 0-based."""
        return {"t": t, "epoch": t // self.steps_per_epoch, "batch": t % self.steps_per_epoch}

    def first_use(self, lr: float, rtol: float) -> int | None:
        """The first batch that used ``lr`` (to ``rtol``), or ``None``."""
        return next((t for t, v in enumerate(self.lrs) if abs(v - lr) <= rtol * abs(lr)), None)

    def head(self, epochs: int) -> Trace:
        """The trace of a run stopped after ``epochs`` epochs (schedules are causal, so this is a shorter run)."""
        return Trace(self.lrs[: epochs * self.steps_per_epoch], self.steps_per_epoch, self.implementation,
                     self.storage_dtype)


def lr_tolerance(trace: Trace) -> float:
    """Relative tolerance for comparing a used learning rate with a stated one.

    A schedule computes ``base_lr · f`` in a few roundings and stores it in ``storage_dtype`` (Keras keeps the
    learning rate in a float32 variable): ``8 γ_4`` of that dtype.
    """
    from kexue_verify.helpers import tolerance

    return tolerance(trace.storage_dtype, n=4)


# -- the stated formula ------------------------------------------------------------------------------------------


def _index(t: int, S: int, unit: str) -> int:
    if unit not in ("epoch", "batch"):
        raise ValueError(f"a formula's unit must be 'epoch' or 'batch', got {unit!r}")
    return t // S if unit == "epoch" else t


def stated_lr(formula: Mapping[str, Any], t: int, S: int, *, shift: int = 0, regroup: bool = False) -> float:
    """The learning rate a stated ``formula`` gives at the 0-based global batch ``t`` (S batches an epoch).

    Formulas are plain data:

    * ``{"piecewise": [[start, lr], ...], "unit": "epoch" | "batch", "counting": 0 | 1}``: the ``lr`` of the
      last piece whose ``start ≤ i``, where ``i`` is the epoch or batch number counted from ``counting``;
    * ``{"warmup": {"peak": p, "epochs": w, "offset": o}, "unit": ...}``: ``p · min(1, (i + o)/n)`` with
      ``n = w·S`` warmup batches (unit ``batch``) or ``n = w`` warmup epochs (unit ``epoch``);
    * ``{"function": "module:attr", "unit": ...}``: a function ``(t, S) -> lr`` of the plugin's own.

    ``shift`` moves the index by whole units (a false variant reading the formula one unit off);
    ``regroup`` evaluates the formula at the other granularity: per epoch where it is stated per batch
    (``t → S⌊t/S⌋``), per batch where it is stated per epoch (epoch ``e`` taken as batch ``e``).

    >>> stated_lr({"piecewise": [[0, 0.1], [2, 0.01]], "unit": "epoch"}, t=5, S=3)
    0.1
    >>> stated_lr({"warmup": {"peak": 1.0, "epochs": 1, "offset": 1}, "unit": "batch"}, t=0, S=4)
    0.25
    """
    unit = formula.get("unit", "batch")
    if regroup:
        t = S * (t // S) if unit == "batch" else t * S
    t += shift * (S if unit == "epoch" else 1)
    if "function" in formula:
        fn: Callable[..., Any] = resolve(formula["function"])
        return float(fn(t, S))
    i = _index(t, S, unit) + int(formula.get("counting", 0))
    if "piecewise" in formula:
        pieces = sorted((float(start), float(lr)) for start, lr in formula["piecewise"])
        chosen = [lr for start, lr in pieces if start <= i]
        return chosen[-1] if chosen else pieces[0][1]
    if "warmup" in formula:
        w = formula["warmup"]
        n = float(w["epochs"]) * (S if unit == "batch" else 1)
        return float(w["peak"]) * min(1.0, (i + float(w.get("offset", 1))) / n)
    raise ValueError(f"unknown formula {dict(formula)!r}: give 'piecewise', 'warmup' or 'function'")


def stated_trace(formula: Mapping[str, Any], n: int, S: int, **kwargs: Any) -> list[float]:
    """:func:`stated_lr` at every batch ``t < n``."""
    return [stated_lr(formula, t, S, **kwargs) for t in range(n)]


# -- driving a schedule ------------------------------------------------------------------------------------------


def drive(schedule: Any, declared: Mapping[str, Any], *, epochs: int | None = None) -> Trace:
    """Run ``schedule`` through ``epochs`` (default ``declared["epochs"]``) epochs of S batches; see the module."""
    S = steps_per_epoch(declared)
    E = int(declared["epochs"] if epochs is None else epochs)
    if _is_torch_scheduler(schedule):
        return _drive_torch(schedule, declared, E, S)
    if _is_keras_callback(schedule):
        return _drive_keras(schedule, declared, E, S)
    if callable(schedule):
        return _drive_function(schedule, declared, E, S)
    raise TypeError(f"an lr-schedule model must be a torch LRScheduler, a Keras Callback or a function "
                    f"index -> lr; got {type(schedule).__name__}")


def _is_torch_scheduler(obj: Any) -> bool:
    from torch.optim import lr_scheduler

    base = getattr(lr_scheduler, "LRScheduler", None) or lr_scheduler._LRScheduler
    return isinstance(obj, base)


def _is_keras_callback(obj: Any) -> bool:
    import sys

    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.callbacks.Callback)


def _step_unit(declared: Mapping[str, Any]) -> str:
    unit = declared.get("step", "epoch")
    if unit not in ("epoch", "batch"):
        raise ValueError(f"declared['step'] must be 'epoch' or 'batch', got {unit!r}")
    return unit


def _drive_torch(scheduler: Any, declared: Mapping[str, Any], E: int, S: int) -> Trace:
    unit = _step_unit(declared)
    optimizer = scheduler.optimizer
    lrs: list[float] = []
    for _ in range(E):
        for _ in range(S):
            lrs.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()  # no gradients: the parameters stay, the schedule sees a real step
            if unit == "batch":
                scheduler.step()
        if unit == "epoch":
            scheduler.step()
    return Trace(tuple(lrs), S, f"torch {type(scheduler).__name__} stepped per {unit}")


def _drive_function(fn: Callable[[int], float], declared: Mapping[str, Any], E: int, S: int) -> Trace:
    unit = _step_unit(declared)
    counting = int(declared.get("counting", 0))
    base = float(declared.get("base_lr", 1.0))
    lrs = [base * float(fn((t // S if unit == "epoch" else t) + counting)) for t in range(E * S)]
    return Trace(tuple(lrs), S, f"function of the {counting}-based {unit} index")


def _drive_keras(callback: Any, declared: Mapping[str, Any], E: int, S: int) -> Trace:
    import numpy as np

    from .backend import keras_or_skip, quiet_keras_internals

    keras = keras_or_skip()
    # keras is imported at run time (typed Any); mypy takes a typed local, not a module attribute, as a base class
    callback_base: Any = keras.callbacks.Callback
    B = int(declared.get("batch_size", 1))
    N = int(declared.get("samples", S * B))
    if math.ceil(N / B) != S:
        raise ValueError(f"samples={N}, batch_size={B} give {math.ceil(N / B)} steps, not the declared {S}")
    used: list[float] = []
    lr_dtype: list[str] = []

    class UsedLearningRate(callback_base):
        """Reads the learning rate the coming optimizer step will use (runs after every other callback)."""

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            lr = self.model.optimizer.learning_rate
            lr_dtype[:] = [str(getattr(lr, "dtype", "float32"))]
            used.append(float(keras.ops.convert_to_numpy(lr)))

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=float(declared.get("base_lr", 1.0))), loss="mse")
    x = np.zeros((N, 1), dtype="float32")
    with quiet_keras_internals():
        model.fit(x, x, batch_size=B, epochs=E, shuffle=False, verbose=0, callbacks=[callback, UsedLearningRate()])
    storage = lr_dtype[0] if lr_dtype else "float32"
    return Trace(tuple(used), S, f"Keras {type(callback).__name__} in model.fit", storage)


def compare(trace: Trace, stated: Sequence[float]) -> tuple[float, int | None]:
    """The largest relative error between the used and the stated rates, and the first batch beyond tolerance."""
    rtol = lr_tolerance(trace)
    worst, first = 0.0, None
    for t, (used, want) in enumerate(zip(trace.lrs, stated, strict=True)):
        err = abs(used - want) / max(abs(want), 1e-300)
        worst = max(worst, err)
        if first is None and err > rtol:
            first = t
    return worst, first
