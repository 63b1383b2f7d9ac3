r"""``<=``, ``<``, ``>=``, ``>`` steps: exact from SymPy's assumptions, else sampled, searched and boxed.

The gap :math:`d = (\mathrm{rhs} - \mathrm{lhs}) / \max(|\mathrm{lhs}|, |\mathrm{rhs}|, 10^{-\mathrm{digits}})`
(the other way round for ``>=``/``>``) is ``≥ 0`` exactly where the inequality holds.  SymPy decides the sign
of the difference from the declared assumptions (as is, factored, simplified); otherwise the gap is sampled
at random points, a compass search (a direct search that halves its step when no neighbour improves; Kolda,
Lewis and Torczon, SIAM Review 45, 2003) descends from the tightest point, and for one or two real variables
(and no integrals, sums or undefined functions) a branch and bound with interval arithmetic (``mpmath.iv``;
R. E. Moore, *Interval Analysis*, 1966) may enclose the gap above 0 on boxes covering the domain, or find a
violation.  A violation counts only when it persists at ``digits + 25`` working digits.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Mapping
from typing import Any

import mpmath
import sympy as sp

from kexue_verify.derivation.budget import _Budget
from kexue_verify.derivation.exact import _SIZE_LIMIT, _size
from kexue_verify.derivation.kind import _StepKind
from kexue_verify.derivation.model import StepStatus
from kexue_verify.derivation.results import _Decision
from kexue_verify.derivation.sampling import _Candidate, _NoValueError, _one, _show

#: The functions interval arithmetic can enclose (hyperbolic ones are rewritten with exp first).
_IV_FUNCTIONS: dict[str, Any] = {
    "exp": mpmath.iv.exp, "log": mpmath.iv.log, "sqrt": mpmath.iv.sqrt, "sin": mpmath.iv.sin,
    "cos": mpmath.iv.cos, "tan": mpmath.iv.tan, "gamma": mpmath.iv.gamma, "loggamma": mpmath.iv.loggamma,
    "erf": mpmath.iv.erf, "pi": mpmath.iv.pi, "E": mpmath.iv.e, "Abs": abs,
}
#: Boxes the interval search may examine per step.
_BOXES = 400


def _exact_inequality(diff: Any, strict: bool, budget: _Budget) -> _Decision | None:
    """Decide ``diff > 0`` (strict) or ``diff >= 0`` from SymPy's assumptions, or return None."""
    forms = [("sympy assumptions", diff)]
    for name, fn in (("sympy.factor", sp.factor), ("sympy.simplify", sp.simplify)):
        if name == "sympy.simplify" and _size(diff) > _SIZE_LIMIT:
            continue
        form = budget.attempt(fn, diff)
        if form is not None:
            forms.append((name, form))
    want = "positive" if strict else "nonnegative"
    for name, form in forms:
        if form.is_Rational:
            good = form > 0 if strict else form >= 0
            status = StepStatus.PROVED if good else StepStatus.REFUTED
            detail = f"the difference of the sides is the constant {form}"
            return _Decision(status, name, detail, None if good else {"difference": sp.sstr(form)})
        decided = budget.attempt(lambda f: getattr(f, f"is_{want}"), form)
        if decided is True:
            return _Decision(StepStatus.PROVED, name, f"the difference of the sides is {want} under the assumptions")
    return None


class _Inequalities(_StepKind):
    """The checks of ``<=``, ``<``, ``>=`` and ``>`` steps."""

    def check(self, prev: Any, new: Any, relation: str, budget: _Budget) -> _Decision:
        """Decide ``prev RELATION new`` for ``<=``, ``<``, ``>=`` or ``>``."""
        strict = relation in ("<", ">")
        diff = new - prev if relation in ("<", "<=") else prev - new
        decision = _exact_inequality(diff, strict, budget)
        if decision is not None:
            if decision.status is StepStatus.REFUTED:
                point = self._point_of_difference(prev, new)
                return dataclasses.replace(decision, counterexample={**point, **dict(decision.counterexample or {})})
            return decision
        return self._numeric_inequality(prev, new, relation)

    def _gap(
        self, prev: Any, new: Any, relation: str, cand: _Candidate, dps: int, fixed: Any = None, careful: bool = False
    ) -> tuple[Any, Any, Any]:
        """(d, lhs, rhs) with d ≥ 0 exactly where the inequality holds (d > 0 for a strict one)."""
        num = self.numeric
        left = _one(num.value(prev, cand, dps, fixed=fixed, careful=careful))
        right = _one(num.value(new, cand, dps, fixed=fixed, careful=careful))
        scale = max(abs(left), abs(right), mpmath.mpf(10) ** (-self.digits))
        for v in (left, right):
            if isinstance(v, mpmath.mpc) and abs(v.imag) > mpmath.mpf(10) ** (-self.digits) * scale:
                raise _NoValueError("an inequality between non-real values")
        left, right = mpmath.re(left), mpmath.re(right)
        d = right - left if relation in ("<", "<=") else left - right
        return d / scale, left, right

    def _numeric_inequality(self, prev: Any, new: Any, relation: str) -> _Decision:
        num = self.numeric
        tol = mpmath.mpf(10) ** (-self.digits)
        good, worst, reasons = 0, None, []
        symbols = self._symbols_of(prev, new)
        for i in range(3 * self.points):
            cand = num.candidate(i)
            try:
                d, _left, _right = self._gap(prev, new, relation, cand, num.work_dps)
            except _NoValueError as exc:
                reasons.append(str(exc))
                continue
            if d < -tol:
                refuted = self._confirm_violation(prev, new, relation, cand, None)
                if refuted is not None:
                    return refuted
                continue
            good += 1
            if worst is None or d < worst[0]:
                worst = (d, cand)
            if good == self.points or (not symbols and not num.arities):
                break
        needed = self.points if (symbols or num.arities) else 1
        if good < needed or worst is None:
            why = f" ({reasons[0]})" if reasons else ""
            return _Decision(
                StepStatus.UNDECIDED,
                f"mpmath {self.digits} digits",
                f"SymPy could not decide, and only {good} of {needed} random points could be evaluated{why}",
            )
        found = self._search(prev, new, relation, worst[1], symbols)
        if found is not None:
            return found
        boxed = self._interval_search(prev, new, relation, symbols)
        if boxed is not None:
            return boxed
        return _Decision(
            StepStatus.NUMERIC,
            f"mpmath {self.digits} digits at {good} points + local search",
            f"SymPy could not decide; the inequality holds at {good} random points and a local search "
            "from the tightest of them found no violation",
        )

    def _confirm_violation(self, prev: Any, new: Any, relation: str, cand: _Candidate, fixed: Any) -> _Decision | None:
        num = self.numeric
        tol = mpmath.mpf(10) ** (-self.digits)
        try:
            d1, _, _ = self._gap(prev, new, relation, cand, num.work_dps, fixed)
            d2, left, right = self._gap(prev, new, relation, cand, num.confirm_dps, fixed, careful=True)
        except _NoValueError:
            return None
        if not (d1 < -tol and d2 < -tol) or abs(d1 - d2) > mpmath.mpf("0.01") * abs(d1):
            return None
        point = cand.describe(self._symbols_of(prev, new))
        if fixed:
            point.update({str(s): mpmath.nstr(v, 20) for s, v in fixed.items()})
        ce = {**point, "lhs": _show(left), "rhs": _show(right)}
        where = ", ".join(f"{k} = {v}" for k, v in point.items()) or "(no variables)"
        return _Decision(
            StepStatus.REFUTED,
            f"mpmath {self.digits} digits (confirmed at {num.confirm_dps})",
            f"the inequality fails at {where}: lhs = {ce['lhs']}, rhs = {ce['rhs']}",
            ce,
        )

    def _interval_search(self, prev: Any, new: Any, relation: str, symbols: set[Any]) -> _Decision | None:
        """Branch and bound with interval arithmetic (``mpmath.iv``) over the declared box of one or two variables.

        The gap ``d`` (``≥ 0`` where the inequality holds) is enclosed on a box; a box whose enclosure is
        ``≥ 0`` (``> 0`` for a strict inequality) holds everywhere; otherwise the gap is evaluated at its
        centre (a violation there is confirmed at higher precision and refutes the step) and the box is
        split along its widest side.  Boxes are taken widest first, at most :data:`_BOXES` of them.  A narrow
        interval of violation, which random points and a local search from the tightest of them miss, is
        found this way.  Returns a refutation, a certificate (every box holds), or None (budget spent, or an
        expression interval arithmetic cannot evaluate).
        """
        free = sorted(symbols, key=str)
        ranges = self.compiled.ranges
        if (not free or len(free) > 2 or self.numeric.arities or any(ranges[v].integer for v in free)
                or any(e.has(sp.Integral, sp.Sum, sp.Product) for e in (prev, new))):
            return None
        diff = new - prev if relation in ("<", "<=") else prev - new
        strict = relation in ("<", ">")
        try:
            hyperbolic_as_exp = diff.rewrite([sp.tanh, sp.sinh, sp.cosh], sp.exp)
            enclose = sp.lambdify(free, hyperbolic_as_exp, modules=[_IV_FUNCTIONS])
        except Exception:  # noqa: BLE001 - SymPy's printer rejects what it cannot print: no interval check
            return None
        tol = mpmath.mpf(10) ** (-self.digits)
        cand = self.numeric.candidate(0)
        box0 = tuple((mpmath.mpf(ranges[v].lower.p) / ranges[v].lower.q,
                      mpmath.mpf(ranges[v].upper.p) / ranges[v].upper.q) for v in free)
        heap: list[tuple[Any, int, tuple[Any, ...]]] = [(-max(b - a for a, b in box0), 0, box0)]
        counter = 0
        while heap:
            if counter >= _BOXES:
                return None
            _, _, box = heapq.heappop(heap)
            counter += 1
            saved = mpmath.iv.prec
            try:
                mpmath.iv.dps = self.digits
                value = enclose(*(mpmath.iv.mpf([a, b]) for a, b in box))
                low = mpmath.mpf(value.a) if hasattr(value, "a") else mpmath.mpf(value)
            except Exception:  # noqa: BLE001 - a function mpmath.iv lacks, or an enclosure through a pole
                return None
            finally:
                mpmath.iv.prec = saved
            if low > 0 or (low >= 0 and not strict):
                continue
            centre = {v: (a + b) / 2 for v, (a, b) in zip(free, box, strict=True)}
            try:
                d, _, _ = self._gap(prev, new, relation, cand, self.numeric.work_dps, centre)
            except _NoValueError:
                d = None
            if d is not None and d < -tol:
                found = self._confirm_violation(prev, new, relation, cand, centre)
                if found is not None:
                    return dataclasses.replace(found, method=f"{found.method}; found by interval bisection")
            widest = max(range(len(free)), key=lambda i: box[i][1] - box[i][0])
            a, b = box[widest]
            if b - a <= (box0[widest][1] - box0[widest][0]) * mpmath.mpf(10) ** -12:
                return None  # a box that will not resolve (a touching point, a sharp enclosure): give up
            for half in ((a, (a + b) / 2), ((a + b) / 2, b)):
                child = tuple(half if i == widest else box[i] for i in range(len(free)))
                heapq.heappush(heap, (-max(hi - lo for lo, hi in child), counter + len(heap), child))
        where = ", ".join(f"{v} ∈ [{mpmath.nstr(a, 10)}, {mpmath.nstr(b, 10)}]" for v, (a, b) in zip(free, box0,
                                                                                                   strict=True))
        return _Decision(
            StepStatus.NUMERIC,
            f"interval arithmetic (mpmath.iv, {self.digits} digits), {counter} boxes",
            f"SymPy could not decide; interval arithmetic encloses the gap and shows it "
            f"{'positive' if strict else 'nonnegative'} on every one of {counter} boxes covering {where}",
        )

    def _search(self, prev: Any, new: Any, relation: str, cand: _Candidate, symbols: set[Any]) -> _Decision | None:
        """A compass search minimising the gap from the tightest sample, looking for a violation."""
        free = sorted((s for s in symbols if not self.compiled.ranges[s].integer), key=str)
        if not free:
            return None
        dps = 20
        heavy = prev.has(sp.Integral, sp.Sum) or new.has(sp.Integral, sp.Sum)
        budget = 40 if heavy else 300
        ranges = self.compiled.ranges
        with mpmath.workdps(dps):
            x = {s: mpmath.mpf(cand.values[s].p) / cand.values[s].q for s in free}
            lo = {s: mpmath.mpf(ranges[s].lower.p) / ranges[s].lower.q for s in free}
            hi = {s: mpmath.mpf(ranges[s].upper.p) / ranges[s].upper.q for s in free}
            step = {s: (hi[s] - lo[s]) / 8 for s in free}

            def gap(point: Mapping[Any, Any]) -> Any:
                try:
                    return self._gap(prev, new, relation, cand, dps, dict(point))[0]
                except _NoValueError:
                    return None

            best = gap(x)
            if best is None:
                return None
            evals = 1
            while evals < budget and any(step[s] > (hi[s] - lo[s]) * mpmath.mpf(10) ** -12 for s in free):
                improved = False
                for s in free:
                    for sign in (1, -1):
                        trial = dict(x)
                        margin = (hi[s] - lo[s]) * mpmath.mpf(10) ** -9
                        trial[s] = min(max(x[s] + sign * step[s], lo[s] + margin), hi[s] - margin)
                        value = gap(trial)
                        evals += 1
                        if value is not None and value < best:
                            x, best, improved = trial, value, True
                            if best < -(mpmath.mpf(10) ** -15):
                                break
                    if improved and best < -(mpmath.mpf(10) ** -15):
                        break
                if best < -(mpmath.mpf(10) ** -15):
                    found = self._confirm_violation(prev, new, relation, cand, x)
                    if found is not None:
                        return found
                if not improved:
                    for s in free:
                        step[s] /= 2
        return None
