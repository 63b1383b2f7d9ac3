r"""``=`` steps: exact when SymPy reduces the difference to 0, else sampled with mpmath; refuted only when a
difference persists.

SymPy is tried cheaply first (``expand``, ``cancel``, equal integrands under the stated substitution), then
thoroughly (``doit`` and ``simplify``); steps with integrals or sums get one quick numerical probe before the
thorough phase, and SymPy's integrals and sums are cross-checked at :data:`_CROSS_DIGITS` digits.  Otherwise
the sides must agree to ``digits`` significant digits at ``points`` random points.  A difference counts only
when it persists at ``digits + 25`` working digits with a finer quadrature, moving by less than 1 %; two sides
that agree are also compared at ``2·(digits + 10)`` digits (unless integrals or sums are involved), which
exposes a term too small to show at ``digits`` (such as an extra :math:`e^{-x^2}` far out).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import mpmath
import sympy as sp

from kexue_verify.derivation.budget import _Budget
from kexue_verify.derivation.exact import _cheap_zero, _doit, _nonzero_constant, _simplify_zero
from kexue_verify.derivation.integrals import _integrals_agree, _substitution_mismatch
from kexue_verify.derivation.kind import _StepKind
from kexue_verify.derivation.model import StepStatus
from kexue_verify.derivation.parsing import _CompiledStep
from kexue_verify.derivation.results import _conflict, _Decision
from kexue_verify.derivation.sampling import _Candidate, _NoValueError, _sampled_range, _show

_CROSS_DIGITS = 15  # digits of the mpmath cross-check of SymPy's integrals and sums


def _shape(value: Any) -> str:
    if isinstance(value, sp.MatrixBase):
        return f"a {value.shape[0]}×{value.shape[1]} matrix"
    return "a scalar"


def _exact_equal(prev: Any, new: Any, substitution: Any, budget: _Budget, *, thorough: bool) -> _Decision | None:
    """Decide ``prev = new`` exactly, or return None."""
    if prev == new:
        return _Decision(StepStatus.PROVED, "sympy (identical expressions)", "both sides are the same expression")
    diff = prev - new
    if not thorough:
        method = _cheap_zero(diff, budget)
        if method:
            return _Decision(StepStatus.PROVED, method, "the difference of the two sides reduces to 0")
        if not isinstance(diff, sp.MatrixBase):
            method = _integrals_agree(prev, new, substitution, budget)
            if method:
                return _Decision(StepStatus.PROVED, method, "the integrals have the same integrand and limits")
        return None
    done_prev, done_new = budget.attempt(_doit, prev), budget.attempt(_doit, new)
    if done_prev is not None and done_new is not None and (done_prev != prev or done_new != new):
        done = done_prev - done_new
        method, last = _simplify_zero(done, budget)
        if method:
            method = "sympy.doit" if method.startswith("sympy (") else f"sympy.doit + {method}"
            return _Decision(StepStatus.PROVED, method, "after evaluating, the difference reduces to 0")
        if _nonzero_constant(last):
            return _Decision(
                StepStatus.REFUTED,
                "sympy.doit + sympy.simplify",
                f"the two sides differ by the nonzero constant {last}",
                {"lhs": sp.sstr(done_prev), "rhs": sp.sstr(done_new), "difference": sp.sstr(last)},
            )
    method, last = _simplify_zero(diff, budget)
    if method:
        return _Decision(StepStatus.PROVED, method, "the difference of the two sides reduces to 0")
    if _nonzero_constant(last):
        return _Decision(
            StepStatus.REFUTED,
            "sympy.simplify",
            f"the two sides differ by the nonzero constant {last}",
            {"difference": sp.sstr(last)},
        )
    return None


class _Equalities(_StepKind):
    """The checks of ``=`` steps."""

    def check(self, prev: Any, new: Any, cstep: _CompiledStep, budget: _Budget) -> _Decision:
        """Decide ``prev = new``, and that its stated substitution (if any) is the one that relates them."""
        decision = self._equal_decision(prev, new, cstep, budget)
        if cstep.substitution is None or decision.status not in (StepStatus.PROVED, StepStatus.NUMERIC):
            return decision
        if "substitution" in decision.method or "substitution" in decision.detail:
            return decision
        # a budget of its own: deciding the step may have spent the step's
        reason = _substitution_mismatch(prev, new, cstep.substitution, _Budget(self.time_limit), self.numeric)
        if reason is None:
            return decision
        return _Decision(
            StepStatus.UNDECIDED,
            decision.method,
            f"the two sides are equal ({decision.method}), but not by the step's stated justification "
            f"'with {cstep.step.substitution}': {reason}; correct the substitution or remove it",
        )

    def _equal_decision(self, prev: Any, new: Any, cstep: _CompiledStep, budget: _Budget) -> _Decision:
        if _shape(prev) != _shape(new):
            return _Decision(
                StepStatus.REFUTED,
                "shape",
                f"one side is {_shape(prev)}, the other {_shape(new)}",
                {"lhs": _shape(prev), "rhs": _shape(new)},
            )
        decision = _exact_equal(prev, new, cstep.substitution, budget, thorough=False)
        heavy = any(e.has(sp.Integral, sp.Sum, sp.Product) for e in (prev, new))
        if decision is None and heavy:
            # SymPy may spend long on integrals it cannot do: one cheap numerical probe first,
            # so that a false step is refuted without waiting for it
            probe = self._numeric_equal(prev, new, 1, _CROSS_DIGITS)
            if probe.status is StepStatus.REFUTED:
                return probe
        if decision is None:
            decision = _exact_equal(prev, new, cstep.substitution, budget, thorough=True)
        if decision is None:
            return self._numeric_equal(prev, new, self.points)
        if "doit" in decision.method and heavy:
            # SymPy's integration and summation have known wrong answers: cross-check them
            conflict = _conflict(decision, self._numeric_equal(prev, new, min(2, self.points), _CROSS_DIGITS))
            if conflict is not None:
                return conflict
        if decision.status is StepStatus.REFUTED:  # refuted exactly: add a point where the sides differ
            point = self._point_of_difference(prev, new)
            extra = dict(decision.counterexample or {})
            return dataclasses.replace(decision, counterexample={**point, **extra})
        return decision

    def _numeric_equal(self, prev: Any, new: Any, points: int, digits: int | None = None) -> _Decision:
        """Compare both sides at ``points`` random points to ``digits`` significant digits."""
        num = self.numeric
        digits = digits or self.digits
        work = digits + 10
        good, reasons, used = 0, [], []
        symbols = self._symbols_of(prev, new)
        for i in range(3 * points):
            cand = num.candidate(i)
            try:
                left = num.value(prev, cand, work)
                right = num.value(new, cand, work)
            except _NoValueError as exc:
                reasons.append(str(exc))
                continue
            if num.agree(left, right, digits):
                hidden = self._hidden_difference(prev, new, cand, digits)
                if hidden is not None:
                    return hidden
                good += 1
                used.append(cand)
                if good == points or (not symbols and not num.arities):
                    break
                continue
            confirmed = self._confirm_difference(prev, new, cand, left, right, digits)
            if confirmed is not None:
                return confirmed
            reasons.append("a difference that did not persist at higher precision")
        needed = points if (symbols or num.arities) else 1
        method = f"mpmath {digits} digits at {good} point{'s' if good != 1 else ''}"
        if good >= needed:
            return _Decision(
                StepStatus.NUMERIC,
                method,
                f"SymPy could not decide; both sides agree to {digits} significant digits at "
                f"{good} random point{'s' if good != 1 else ''} of the domain"
                + (f" (sampled {_sampled_range(used, symbols)}, edges included)" if symbols else ""),
            )
        why = f" ({reasons[0]})" if reasons else ""
        return _Decision(
            StepStatus.UNDECIDED,
            method,
            f"SymPy could not decide, and only {good} of {needed} random points could be evaluated{why}",
        )

    def _hidden_difference(self, prev: Any, new: Any, cand: _Candidate, digits: int) -> _Decision | None:
        """A difference too small for ``digits`` digits, found at twice the precision and confirmed 20 digits higher.

        Two sides that agree to 30 digits may still differ by a term of relative size 10⁻³⁵ at that point
        (an extra ``e^{-x²}`` far out): at ``2·(digits + 10)`` working digits a true identity agrees to
        ``2·digits``, while a real difference stays the same when the precision is raised again.  Skipped for
        integrals and sums, whose quadrature error would swamp it.
        """
        if any(e.has(sp.Integral, sp.Sum, sp.Product) for e in (prev, new)):
            return None
        num = self.numeric
        high = 2 * (digits + 10)
        try:
            left1, right1 = num.value(prev, cand, high), num.value(new, cand, high)
            if num.agree(left1, right1, 2 * digits):
                return None
            left2, right2 = num.value(prev, cand, high + 20), num.value(new, cand, high + 20)
        except _NoValueError:
            return None
        worst = mpmath.mpf(0)
        for a1, b1, a2, b2 in zip(left1, right1, left2, right2, strict=True):
            d1, d2 = abs(a1 - b1), abs(a2 - b2)
            if d1 and abs(d1 - d2) > mpmath.mpf("0.01") * d1:
                return None  # it moved with the precision: rounding noise, not a term
            worst = max(worst, d2 / max(abs(a2), abs(b2), mpmath.mpf(10) ** -(high + 20)))
        if worst == 0:
            return None
        symbols = self._symbols_of(prev, new)
        ce = {**cand.describe(symbols), "lhs": _show(left2), "rhs": _show(right2),
              "relative_difference": mpmath.nstr(worst, 3)}
        where = ", ".join(f"{k} = {v}" for k, v in cand.describe(symbols).items()) or "(no variables)"
        return _Decision(
            StepStatus.REFUTED,
            f"mpmath {2 * digits} digits (raised from {digits}; confirmed at {high + 20})",
            f"the two sides agree to {digits} digits at {where} but differ there by a relative "
            f"{mpmath.nstr(worst, 3)}, the same at {high} and {high + 20} working digits: a term too small "
            f"to show at {digits} digits",
            ce,
        )

    def _confirm_difference(
        self, prev: Any, new: Any, cand: _Candidate, left: tuple[Any, ...], right: tuple[Any, ...], digits: int
    ) -> _Decision | None:
        """Recompute with 15 more working digits and a finer quadrature; the difference must persist."""
        num = self.numeric
        confirm = digits + 25
        try:
            left2 = num.value(prev, cand, confirm, careful=True)
            right2 = num.value(new, cand, confirm, careful=True)
        except _NoValueError:
            return None
        if num.agree(left2, right2, digits):
            return None
        for a1, b1, a2, b2 in zip(left, right, left2, right2, strict=True):
            d1, d2 = abs(a1 - b1), abs(a2 - b2)
            if d1 and abs(d1 - d2) > mpmath.mpf("0.01") * d1:
                return None  # unstable: the difference is numerical noise
        symbols = self._symbols_of(prev, new)
        ce = {**cand.describe(symbols), "lhs": _show(left2), "rhs": _show(right2)}
        where = ", ".join(f"{k} = {v}" for k, v in cand.describe(symbols).items()) or "(no variables)"
        return _Decision(
            StepStatus.REFUTED,
            f"mpmath {digits} digits (confirmed at {confirm})",
            f"the two sides differ at {where}: lhs = {ce['lhs']}, rhs = {ce['rhs']}",
            ce,
        )
