"""What the checks of every kind of step share: the compiled derivation, its random points, the settings.

One :class:`~kexue_verify.derivation.sampling._Numeric` serves every step of a derivation, so that all kinds
of step see the same points in the same order and reuse each other's cached values.
"""

from __future__ import annotations

from typing import Any

from kexue_verify.derivation.parsing import _Compiled
from kexue_verify.derivation.sampling import _NoValueError, _Numeric, _show


class _StepKind:
    """The checks of one kind of step (equalities, inequalities, limits) of one derivation."""

    def __init__(
        self, compiled: _Compiled, numeric: _Numeric, *, digits: int, points: int, time_limit: float | None
    ) -> None:
        self.compiled = compiled
        self.numeric = numeric
        self.digits = digits
        self.points = points
        self.time_limit = time_limit

    def _symbols_of(self, *exprs: Any) -> set[Any]:
        """The declared (sampled) symbols the expressions depend on."""
        out: set[Any] = set()
        for e in exprs:
            out |= {s for s in e.free_symbols if s in self.compiled.ranges}
        return out

    def _point_of_difference(self, prev: Any, new: Any) -> dict[str, str]:
        """The first random point where both sides evaluate, with their values: the counterexample of an exact
        refutation."""
        num = self.numeric
        for i in range(3 * self.points):
            cand = num.candidate(i)
            try:
                left = num.value(prev, cand, num.work_dps)
                right = num.value(new, cand, num.work_dps)
            except _NoValueError:
                continue
            return {**cand.describe(self._symbols_of(prev, new)), "lhs": _show(left), "rhs": _show(right)}
        return {}
