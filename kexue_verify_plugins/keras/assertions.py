"""The typed assertions of the Keras topic (KER-1 … KER-9 and the ``lr-schedule`` kind's claims), field by field.

None of these claims states a formula in the formula language: they state numbers, flags and named rules, and the
schedules' formulas are the plain data of :func:`~kexue_verify_plugins.keras.schedule.stated_lr` (the same form a
schedule model declares).  False variants in :mod:`.claims` name only the fields they change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kexue_verify import Assertion

__all__ = [
    "BestModelTies",
    "CallbackHooks",
    "CenterLoss",
    "FollowsFormula",
    "MixedTarget",
    "ParameterFree",
    "PostSchedule",
    "ReachesPhases",
    "SplitWidths",
    "TrainOnlyNoise",
]


@dataclass(frozen=True, kw_only=True)
class ParameterFree(Assertion):
    """KER-1: the layer computes ``y = x + offset`` and holds ``weights`` weights (``0``, or ``"some"``)."""

    offset: int
    weights: int | str


@dataclass(frozen=True, kw_only=True)
class TrainOnlyNoise(Assertion):
    """KER-2: ``y = x + ε``, ``ε ~ N(0, variance·I)``, in training; in inference noise too iff ``test_noise``."""

    variance: float
    test_noise: bool


@dataclass(frozen=True, kw_only=True)
class SplitWidths(Assertion):
    """KER-3: the widths of the two outputs for ``d`` input features.

    ``first`` is ``floor`` (``d // 2``) or ``ceil`` (``(d + 1) // 2``); ``second`` is ``rest`` (``d − first``) or
    ``floor`` (``d // 2``).
    """

    first: str
    second: str


@dataclass(frozen=True, kw_only=True)
class CenterLoss(Assertion):
    """KER-4: ``∂L/∂c_y = grad_factor·λ(c_y − x)``; the centres tend to the class ``optimum`` (``mean`` or
    ``median``); ``reaches_features``: whether the centre term's gradient reaches the features ``x``."""

    grad_factor: int
    optimum: str
    reaches_features: bool


@dataclass(frozen=True, kw_only=True)
class MixedTarget(Assertion):
    """KER-6: ``(1 − e)CE(y, p) + e·CE(1/K, p)`` equals CE with the smoothed ``target``.

    ``target`` is ``uniform-over-k`` (``(1 − e)y + e/K``), ``no-division`` (``(1 − e)y + e``), ``over-k-minus-1``
    (``(1 − e)y + e/(K − 1)·(1 − y)``) or ``temperature`` (temperature scaling of the logits, not a target).
    """

    target: str


@dataclass(frozen=True, kw_only=True)
class PostSchedule(Assertion):
    """KER-5, KER-8: the post's ``schedule`` (``piecewise`` or ``warmup``) run for ``epochs`` epochs.

    ``formula`` is the stated learning rate, a :func:`~kexue_verify_plugins.keras.schedule.stated_lr` formula;
    ``phases`` the learning rates stated to be used, in order (``only``: and no other); ``steps`` how ``S`` is
    counted, ``ceil`` (``⌈N/B⌉``, as Keras does) or ``floor``; ``first_lr``, when given, the stated first rate.
    """

    schedule: str
    epochs: int
    formula: Mapping[str, Any]
    phases: tuple[float, ...]
    only: bool = False
    steps: str = "ceil"
    first_lr: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallbackHooks(Assertion):
    """KER-7: how often each hook fires (``fires``: hook → ``fit``, ``epoch`` or ``batch``) and their ``order``.

    ``order`` is ``nested`` (train ⊃ epoch ⊃ batch) or ``epoch-begin-after-first-batch``.
    """

    fires: Mapping[str, str]
    order: str


@dataclass(frozen=True, kw_only=True)
class BestModelTies(Assertion):
    """KER-9: on a tie of the accuracy, the file saved holds the ``later`` or the ``earlier`` epoch's weights."""

    ties: str


@dataclass(frozen=True, kw_only=True)
class FollowsFormula(Assertion):
    """The ``lr-schedule`` kind: the schedule uses its declared formula's rate read ``shift`` units late, at the
    stated granularity (``regroup`` false) or the other one (``regroup`` true)."""

    shift: int = 0
    regroup: bool = False


@dataclass(frozen=True, kw_only=True)
class ReachesPhases(Assertion):
    """The ``lr-schedule`` kind: every declared phase is used within the ``training``: ``declared`` (the declared
    epochs) or ``before-last-phase`` (stopped in the epoch before the formula enters the last phase)."""

    training: str
