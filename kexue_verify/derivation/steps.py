"""The step checker: one budget per step, and the step handed to the checks of its kind.

``=`` steps go to :mod:`~kexue_verify.derivation.equalities`, ``<=``/``<``/``>=``/``>`` to
:mod:`~kexue_verify.derivation.inequalities`, ``~`` and ``->`` to :mod:`~kexue_verify.derivation.limits`;
all of them share the derivation's random points (:class:`~kexue_verify.derivation.sampling._Numeric`).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from kexue_verify.derivation.budget import _Budget
from kexue_verify.derivation.builder import Derivation
from kexue_verify.derivation.equalities import _Equalities
from kexue_verify.derivation.exact import _undefined
from kexue_verify.derivation.inequalities import _Inequalities
from kexue_verify.derivation.limits import _Limits
from kexue_verify.derivation.model import _LIMIT_RELATIONS, StepStatus
from kexue_verify.derivation.parsing import _CompiledStep
from kexue_verify.derivation.results import _Decision
from kexue_verify.derivation.sampling import _Numeric


class _StepChecker:
    """Checks the steps of one derivation in turn, each with a fresh time budget for its exact phase."""

    def __init__(
        self, derivation: Derivation, *, seed: int, digits: int, points: int, time_limit: float | None
    ) -> None:
        assert derivation._compiled is not None
        self.compiled = derivation._compiled
        self.time_limit = time_limit
        self.numeric = _Numeric(self.compiled, seed=seed, key=derivation.name, digits=digits)
        self.equalities = _Equalities(self.compiled, self.numeric, digits=digits, points=points, time_limit=time_limit)
        self.inequalities = _Inequalities(
            self.compiled, self.numeric, digits=digits, points=points, time_limit=time_limit
        )
        self.limits = _Limits(self.compiled, self.numeric, digits=digits, points=points, time_limit=time_limit)

    def check(self, prev: Any, cstep: _CompiledStep) -> _Decision:
        """Decide ``prev RELATION cstep.expr``: undefined sides and matrices in an order or limit are undecided."""
        new = cstep.expr
        if _undefined(prev) or _undefined(new):
            return _Decision(StepStatus.UNDECIDED, "none", "an expression is undefined (nan or zoo)")
        budget = _Budget(self.time_limit)
        relation = cstep.step.relation
        if relation != "=" and (isinstance(prev, sp.MatrixBase) or isinstance(new, sp.MatrixBase)):
            return _Decision(
                StepStatus.UNDECIDED, "none", f"a {relation!r} step needs scalar expressions, not matrices"
            )
        if relation == "=":
            return self.equalities.check(prev, new, cstep, budget)
        if relation in _LIMIT_RELATIONS:
            return self.limits.check(prev, new, cstep, budget)
        return self.inequalities.check(prev, new, relation, budget)
