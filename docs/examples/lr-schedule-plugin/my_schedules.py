"""A user's learning-rate schedules, registered as models of kind ``lr-schedule`` so the built-in claims check them.

Load it with ``kexue-verify run 'keras.schedule-*' --plugins-dir docs/examples/lr-schedule-plugin``.  Each
``ModelSpec`` states how a training loop steps the schedule and what it promises:

* ``my-step-decay``: torch ``StepLR(step_size=30, gamma=0.1)`` stepped once an epoch, promising 0.1, 0.01 and
  0.001 from epochs 0, 30 and 60 (0-based), all three within 90 epochs;
* ``my-cosine``: a plain function of the **1-based** global step, ``lr(k) = 0.05 (1 + cos(π (k − 1)/T))``,
  promising that formula at every batch of 3 epochs × 5 batches (T = 14), and the phases 0.1, 0.05 and 0.

The claims ``keras.schedule-follows-formula`` and ``keras.schedule-reaches-phases`` then run on both; their false
variants (the schedule one step late, stepped per batch instead of per epoch, a training one epoch too short)
must be refuted on these very schedules.  This module imports torch only inside the factories.
"""

from __future__ import annotations

import math
from typing import Any

from kexue_verify import ModelRegistry, ModelSpec, hookimpl

COSINE_STEPS = 14  # T: the last of the 3 epochs × 5 batches reaches lr = 0


def step_decay(ctx: Any) -> Any:
    """``StepLR`` bound to its optimizer: the loop reads ``param_groups[0]["lr"]`` and calls ``scheduler.step()``."""
    import torch

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)


def cosine(ctx: Any) -> Any:
    """A plain ``step -> lr`` function; the loop calls it with k = 1, 2, … (``counting: 1``)."""
    return lambda k: 0.05 * (1 + math.cos(math.pi * (k - 1) / COSINE_STEPS))


def stated_cosine(t: int, steps_per_epoch: int) -> float:
    """The formula as stated, in the claims' terms: the 0-based global batch ``t`` and S."""
    return 0.05 * (1 + math.cos(math.pi * t / COSINE_STEPS))


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    registry.add(ModelSpec(
        name="my-step-decay", kind="lr-schedule", factory=step_decay,
        description="StepLR(step_size=30, gamma=0.1), stepped per epoch",
        declared={"step": "epoch", "epochs": 90, "steps_per_epoch": 4,
                  "formula": {"piecewise": [[0, 0.1], [30, 0.01], [60, 0.001]], "unit": "epoch"},
                  "phases": [0.1, 0.01, 0.001]}))
    registry.add(ModelSpec(
        name="my-cosine", kind="lr-schedule", factory=cosine,
        description="half-cosine decay from 0.1, a function of the 1-based step",
        declared={"step": "batch", "counting": 1, "epochs": 3, "steps_per_epoch": 5,
                  "formula": {"function": stated_cosine, "unit": "batch"}, "phases": [0.1, 0.05, 0.0]}))
