r"""``~`` and ``->`` steps: limits by SymPy, cross-checked (and replaced when SymPy cannot) by extrapolation.

``a ~ b`` means :math:`a/b \to 1`; for positive sides SymPy is asked first for the limit of
:math:`\ln a - \ln b`, which tends to 0 exactly when the ratio tends to 1 (and is much faster with
``loggamma``).  Numerically, the expression is evaluated at :math:`x_k = x_0 r^k` (or at
:math:`p \pm h_0 / r^k` for a finite point) and Richardson's extrapolation (L. F. Richardson, 1911) assumes an
expansion in integer powers of :math:`1/x` (or of the distance to the point):

.. math:: T_{j,k} = T_{j-1,k} + \frac{T_{j-1,k} - T_{j-1,k-1}}{r^j - 1},

with ``r = 2`` (``3/2`` for integrals and sums); the last two entries of the table give the estimate and its
error.  The claim must agree with it to ``max(digits // 3, 6)`` digits.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from kexue_verify.derivation.budget import _Budget
from kexue_verify.derivation.exact import _nonzero_constant, _simplify_zero
from kexue_verify.derivation.kind import _StepKind
from kexue_verify.derivation.model import StepStatus
from kexue_verify.derivation.parsing import _CompiledStep
from kexue_verify.derivation.results import _conflict, _Decision
from kexue_verify.derivation.sampling import _Candidate, _NoValueError, _one, _show


def _log_ratio(a: Any, b: Any) -> Any:
    """``ln a - ln b`` for positive ``a``, ``b``, expanded, with ``ln Γ(z)`` (z > 0) as ``loggamma(z)``."""
    expr = sp.expand_log(sp.log(a) - sp.log(b))
    return expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.gamma) and e.args[0].args[0].is_positive,
        lambda e: sp.loggamma(e.args[0].args[0]),
    )


class _Limits(_StepKind):
    """The checks of ``~`` and ``->`` steps."""

    def check(self, prev: Any, new: Any, cstep: _CompiledStep, budget: _Budget) -> _Decision:
        """Decide ``prev ~ new`` (the ratio tends to 1) or ``prev -> new`` as ``var -> point``."""
        var, point, direction = cstep.var, cstep.point, cstep.direction
        relation = cstep.step.relation
        expr = prev if relation == "->" else prev / new
        target = new if relation == "->" else sp.Integer(1)
        what = "the previous expression" if relation == "->" else "the ratio of the two sides"
        if relation == "~" and prev.is_positive and new.is_positive:
            # ln a - ln b -> 0 iff a/b -> 1; SymPy's asymptotics of loggamma make this much faster
            log_ratio = budget.attempt(_log_ratio, prev, new)
            value = None if log_ratio is None else budget.attempt(sp.limit, log_ratio, var, point, direction)
            if value is not None and not value.has(sp.Limit, sp.AccumBounds, sp.nan, sp.zoo):
                if value == 0:
                    decision = _Decision(
                        StepStatus.PROVED,
                        "sympy.limit (of the log-ratio)",
                        f"ln(lhs) - ln(rhs) tends to 0 as {var} -> {point}, so the ratio tends to 1",
                    )
                    return self._cross_limit(decision, expr, target, var, point, direction, what)
                if _nonzero_constant(value) or value.is_infinite:
                    decision = _Decision(
                        StepStatus.REFUTED,
                        "sympy.limit (of the log-ratio)",
                        f"ln(lhs) - ln(rhs) tends to {value}, so the ratio tends to exp({value}), not 1",
                        {str(var): str(point), "limit": sp.sstr(sp.exp(value)), "claimed": "1"},
                    )
                    return self._cross_limit(decision, expr, target, var, point, direction, what)
        value = budget.attempt(sp.limit, expr, var, point, direction)
        if value is not None and not value.has(sp.Limit, sp.AccumBounds, sp.nan, sp.zoo):
            method, last = _simplify_zero(value - target, budget)
            if method:
                decision = _Decision(StepStatus.PROVED, "sympy.limit", f"{what} tends to {value} as {var} -> {point}")
                return self._cross_limit(decision, expr, target, var, point, direction, what)
            if _nonzero_constant(last) or (value.is_infinite and target.is_finite):
                decision = _Decision(
                    StepStatus.REFUTED,
                    "sympy.limit",
                    f"{what} tends to {value}, not {target}, as {var} -> {point}",
                    {str(var): str(point), "limit": sp.sstr(value), "claimed": sp.sstr(target)},
                )
                return self._cross_limit(decision, expr, target, var, point, direction, what)
        return self._numeric_limit(expr, target, var, point, direction, what, self.points)

    def _cross_limit(
        self, decision: _Decision, expr: Any, target: Any, var: Any, point: Any, direction: str, what: str
    ) -> _Decision:
        """SymPy's limits have known wrong answers: compare with a (cheap) extrapolation."""
        if expr.has(sp.Integral, sp.Sum, sp.Product):
            return decision
        return _conflict(decision, self._numeric_limit(expr, target, var, point, direction, what, 1)) or decision

    def _numeric_limit(
        self, expr: Any, target: Any, var: Any, point: Any, direction: str, what: str, points: int
    ) -> _Decision:
        num = self.numeric
        symbols = self._symbols_of(expr, target) - {var}
        samples = points if symbols or num.arities else 1
        digits = max(self.digits // 3, 6)
        tol = mpmath.mpf(10) ** (-digits)
        good, reasons = 0, []
        method = "Richardson extrapolation with mpmath"
        for i in range(3 * samples):
            cand = num.interior_candidate(i)
            try:
                goal = _one(num.value(target, cand, num.work_dps))
                estimates = self._extrapolate(expr, var, point, direction, cand)
            except _NoValueError as exc:
                reasons.append(str(exc))
                continue
            scale = max(abs(goal), 1)
            if all(err <= tol * scale and abs(est - goal) <= tol * scale for est, err in estimates):
                good += 1
                if good == samples:
                    break
                continue
            est, err = max(estimates, key=lambda pair: abs(pair[0] - goal))
            gap = abs(est - goal)
            if gap > 1000 * tol * scale and gap > 100 * err:
                point_desc = cand.describe(symbols)
                ce = {**point_desc, str(var): str(point), "limit": _show(est), "claimed": _show(goal)}
                return _Decision(
                    StepStatus.REFUTED,
                    method,
                    f"{what} tends to about {_show(est)} (±{mpmath.nstr(err, 2)}), not {_show(goal)}, "
                    f"as {var} -> {point}",
                    ce,
                )
            reasons.append(f"the extrapolated limit {mpmath.nstr(est, 15)} (±{mpmath.nstr(err, 2)}) is not decisive")
        if good >= samples:
            return _Decision(
                StepStatus.NUMERIC,
                f"{method}, {digits} digits at {good} point{'s' if good != 1 else ''}",
                f"SymPy could not decide; extrapolating {what} as {var} -> {point} agrees with the claim "
                f"to {digits} digits",
            )
        why = f" ({reasons[0]})" if reasons else ""
        return _Decision(StepStatus.UNDECIDED, method, f"SymPy could not decide the limit{why}")

    def _extrapolate(self, expr: Any, var: Any, point: Any, direction: str, cand: _Candidate) -> list[tuple[Any, Any]]:
        """Richardson extrapolation of ``expr`` towards ``point``: (estimate, error estimate) per side.

        The expression is evaluated at ``x = x0·2^k`` (or ``point ± h0/2^k``) and assumed to
        have an expansion in integer powers of ``1/x`` (or of the distance to the point).
        """
        num = self.numeric
        heavy = expr.has(sp.Integral, sp.Sum)
        count, ratio = (8, mpmath.mpf(3) / 2) if heavy else (13, mpmath.mpf(2))
        lower = self.compiled.ranges[var].lower if var in self.compiled.ranges else sp.Integer(1)
        results = []
        with mpmath.workdps(num.work_dps):
            if point.is_infinite:
                sign = 1 if point == sp.oo else -1
                x0 = max(mpmath.mpf(2), mpmath.mpf(abs(lower.p)) / lower.q) if sign > 0 else mpmath.mpf(2)
                sides = [[sign * x0 * ratio**k for k in range(count)]]
            else:
                p = mpmath.mpmathify(str(sp.N(point, num.work_dps + 5)))
                h0 = mpmath.mpf(1) / 8
                signs = (1, -1) if direction == "+-" else ((1,) if direction == "+" else (-1,))
                sides = [[p + s * h0 / ratio**k for k in range(count)] for s in signs]
            for xs in sides:
                row = [_one(num.value(expr, cand, num.work_dps, fixed={var: x}, careful=heavy)) for x in xs]
                table = [row]
                for j in range(1, count):
                    prev_row = table[-1]
                    table.append(
                        [
                            prev_row[k] + (prev_row[k] - prev_row[k - 1]) / (ratio**j - 1)
                            for k in range(1, len(prev_row))
                        ]
                    )
                estimate = table[-1][0]
                error = abs(table[-1][0] - table[-2][-1])
                results.append((estimate, error))
        return results
