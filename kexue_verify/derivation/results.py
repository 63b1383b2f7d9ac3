"""What checking gives: a :class:`_Decision` per step, and the :class:`StepResult` and
:class:`DerivationResult` records built from them (with their JSON form and the claim :class:`Evidence`).

A chain's conclusion composes its relations: ``=`` steps alone give ``=``, ``=`` and ``~`` give ``~``, ``=``
with ``<=``/``<`` give ``<=`` (``<`` if one step is strict), and likewise for ``>=``/``>``; any other mix, or a
``->`` step, concludes nothing.  :func:`_conflict` turns an exact verdict that mpmath contradicts into an
undecided one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kexue_verify.claims import Evidence, Outcome
from kexue_verify.derivation.model import RELATIONS, StepStatus


@dataclass(frozen=True)
class _Decision:
    """How one step came out, and by which method: what :func:`check_derivation` turns into a :class:`StepResult`."""

    status: StepStatus
    method: str
    detail: str = ""
    counterexample: Mapping[str, str] | None = None


def _conflict(exact: _Decision, numeric: _Decision) -> _Decision | None:
    """An undecided verdict when SymPy and mpmath contradict each other, else None."""
    says_true = exact.status is StepStatus.PROVED
    if (says_true and numeric.status is StepStatus.REFUTED) or (
        not says_true and exact.status is StepStatus.REFUTED and numeric.status is StepStatus.NUMERIC
    ):
        verdict = "holds" if says_true else "fails"
        return _Decision(
            StepStatus.UNDECIDED,
            f"{exact.method} contradicted by {numeric.method}",
            f"SymPy ({exact.method}) says the step {verdict}, but mpmath disagrees: {numeric.detail}. "
            "One of them is wrong (SymPy has known bugs in integrals and limits); not decided",
            numeric.counterexample or exact.counterexample,
        )
    return None


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """The outcome of checking one step, with both sides and how it was decided."""

    index: int
    relation: str
    lhs: str
    rhs: str
    lhs_latex: str
    rhs_latex: str
    justification: str
    status: StepStatus
    method: str
    counterexample: Mapping[str, str] | None = None
    detail: str = ""
    text: str = ""
    line: int | None = None
    limit: str | None = None

    @property
    def ok(self) -> bool:
        return self.status.ok

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data (embedded in reports)."""
        return {
            "index": self.index,
            "relation": self.relation,
            "lhs": self.lhs,
            "rhs": self.rhs,
            "lhs_latex": self.lhs_latex,
            "rhs_latex": self.rhs_latex,
            "relation_latex": RELATIONS[self.relation],
            "limit": self.limit,
            "justification": self.justification,
            "status": self.status.value,
            "method": self.method,
            "counterexample": dict(self.counterexample) if self.counterexample else None,
            "detail": self.detail,
            "line": self.line,
        }


def _compose(relations: Iterable[str]) -> str | None:
    """The relation between the start and the end of a chain, if the steps compose into one."""
    rels = set(relations)
    if not rels:
        return None
    if rels == {"="}:
        return "="
    if rels <= {"=", "~"}:
        return "~"
    if rels <= {"=", "<=", "<"}:
        return "<" if "<" in rels else "<="
    if rels <= {"=", ">=", ">"}:
        return ">" if ">" in rels else ">="
    return None


@dataclass(frozen=True, kw_only=True)
class DerivationResult:
    """Every step of a derivation, checked."""

    name: str
    title: str
    start: str
    start_latex: str
    steps: tuple[StepResult, ...]
    start_text: str = ""
    origin: str = ""
    digits: int = 30
    points: int = 8
    seed: int = 0

    @property
    def ok(self) -> bool:
        """True when every step is proved or numerically verified."""
        return all(s.ok for s in self.steps)

    @property
    def first_failure(self) -> StepResult | None:
        """The first step that is refuted or undecided, if any."""
        return next((s for s in self.steps if not s.ok), None)

    @property
    def conclusion(self) -> str | None:
        """``start R end`` when the relations of the steps compose (``=`` and ``<=`` give ``<=``)."""
        if not self.steps or any(s.relation == "->" for s in self.steps):
            return None
        rel = _compose(s.relation for s in self.steps)
        return None if rel is None else f"{self.start} {rel} {self.steps[-1].rhs}"

    def summary(self) -> str:
        """E.g. ``"4 steps: 3 sympy, 1 mpmath 30 digits"``."""
        counts = {status: sum(s.status is status for s in self.steps) for status in StepStatus}
        parts = []
        if counts[StepStatus.PROVED]:
            parts.append(f"{counts[StepStatus.PROVED]} sympy")
        if counts[StepStatus.NUMERIC]:
            parts.append(f"{counts[StepStatus.NUMERIC]} mpmath {self.digits} digits")
        if counts[StepStatus.REFUTED]:
            parts.append(f"{counts[StepStatus.REFUTED]} refuted")
        if counts[StepStatus.UNDECIDED]:
            parts.append(f"{counts[StepStatus.UNDECIDED]} undecided")
        n = len(self.steps)
        return f"{n} step{'s' if n != 1 else ''}: {', '.join(parts) or 'none'}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "origin": self.origin,
            "start": self.start,
            "start_latex": self.start_latex,
            "start_text": self.start_text,
            "ok": self.ok,
            "conclusion": self.conclusion,
            "summary": self.summary(),
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_evidence(self) -> Evidence:
        """Evidence for a claim's symbolic part: PASS if every step holds, FAIL if one is refuted."""
        statuses = [s.status for s in self.steps]
        if self.ok:
            outcome = Outcome.PASS
        elif StepStatus.REFUTED in statuses:
            outcome = Outcome.FAIL
        else:
            outcome = Outcome.UNDECIDED
        failure = self.first_failure
        counterexample = None
        note = self.conclusion or ""
        if failure is not None:
            counterexample = {"step": failure.index, **dict(failure.counterexample or {})}
            note = f"step {failure.index} ({failure.relation} {failure.rhs}) {failure.status.value}: {failure.detail}"
        return Evidence(
            name=f"derivation {self.name}",
            outcome=outcome,
            method=self.summary(),
            quantities={
                "steps": len(self.steps),
                "proved": statuses.count(StepStatus.PROVED),
                "numerically_verified": statuses.count(StepStatus.NUMERIC),
                "refuted": statuses.count(StepStatus.REFUTED),
                "undecided": statuses.count(StepStatus.UNDECIDED),
            },
            counterexample=counterexample,
            note=note,
            steps=tuple(s.to_dict() for s in self.steps),
        )
