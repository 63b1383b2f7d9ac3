"""What ``kexue-verify run`` prints: one line per case, and for every unexpected verdict *why*, as pytest does.

For a case whose verdict is not the expected one the terminal shows the evidence that decided it — what was
measured against what, with which tolerance, the counterexample, the checker's note (for instance that SymPy
could not decide a sign) — and, for ``error``, the check's traceback trimmed to the plugin's own frames.
``-v`` shows the evidence of every case; ``-q`` prints one line per unexpected case and the summary.

Colour is used on a terminal only: never when the output is piped, never when ``NO_COLOR`` is set
(https://no-color.org); ``FORCE_COLOR`` forces it.  This module imports neither torch nor sympy.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import IO, Any

import click

from kexue_verify.claims import Claim, Evidence, Outcome, Verdict
from kexue_verify.tracebacks import plugin_traceback
from kexue_verify.verdicts import CaseResult, PartResult

__all__ = ["TerminalReporter", "describe", "durations", "plugin_traceback", "use_colour", "verdict_line"]

_MARK = {Outcome.PASS: "✓", Outcome.FAIL: "✗", Outcome.UNDECIDED: "?", Outcome.ERROR: "!", Outcome.SKIPPED: "-"}
#: The widest a JSON value is printed on one evidence line before it is cut (the report keeps it whole).
MAX_VALUE = 300


def use_colour(stream: IO[str] | None = None) -> bool:
    """Colour when ``stream`` is a terminal, unless ``NO_COLOR`` is set; ``FORCE_COLOR`` forces it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _evidence_lines(ev: Evidence, indent: str) -> list[str]:
    method = f"  [{ev.method}]" if ev.method else ""
    out = [f"{indent}{_MARK[ev.outcome]} {ev.outcome.value:<9} {ev.name}{method}"]
    sub = indent + "    "
    for key, value in ev.quantities.items():
        out.append(f"{sub}{key}: {_value(value)}")
    if ev.expected is not None:
        out.append(f"{sub}expected: {_value(ev.expected)}")
    if ev.tolerance is not None:
        out.append(f"{sub}tolerance: {_value(ev.tolerance)}")
    if ev.counterexample is not None:
        out.append(f"{sub}counterexample: {_value(ev.counterexample)}")
    if ev.note:
        out.append(f"{sub}note: {ev.note}")
    failed_steps = [s for s in ev.steps if s.get("status") in ("refuted", "undecided")]
    for step in failed_steps[:3]:
        where = f" ({step['detail']})" if step.get("detail") else ""
        out.append(f"{sub}step {step.get('index', '?')} {step.get('status')}: "
                   f"{_value(step.get('lhs'))} {step.get('relation', '')} {_value(step.get('rhs'))}{where}")
    return out


def _part_lines(part: PartResult, indent: str, *, only_bad: bool) -> list[str]:
    out = [f"{indent}{part.part}: {part.outcome.value}"]
    for ev in part.evidence:
        if only_bad and ev.outcome is Outcome.PASS:
            continue
        out += _evidence_lines(ev, indent + "  ")
    if part.error:
        out += [indent + "  " + line for line in part.error.splitlines()]
    return out


def describe(result: CaseResult, claim: Claim | None = None, *, everything: bool = False) -> list[str]:
    """Why ``result`` came out as it did: the deciding evidence (all of it with ``everything``) and variants."""
    out: list[str] = []
    if claim is not None:
        out.append(f"{claim.title}" + (f"  ({claim.label})" if claim.label else ""))
    headline = result.message.splitlines()[0] if result.message else ""
    out.append(f"verdict {result.verdict.value}, expected {result.expected.value}"
               + (f": {headline}" if headline else ""))
    unexpected_pass = result.verdict is Verdict.VERIFIED and not result.as_expected
    for part in result.parts.values():
        if part.outcome is Outcome.PASS and not (everything or unexpected_pass):
            continue
        out += _part_lines(part, "  ", only_bad=not (everything or unexpected_pass))
    if unexpected_pass:
        out.append("  every check passed on the claim as stated, but it is expected to be refuted: "
                   "the checks miss the counterexample")
    show_all = everything or result.verdict is Verdict.INCONCLUSIVE or result.verdict is Verdict.ERROR
    for variant in result.variants:
        refuted = variant.verdict is Verdict.REFUTED
        if refuted and not everything:
            continue
        if not show_all:
            continue
        if refuted:
            status = "refuted, as it must be"
        elif variant.verdict in (Verdict.ERROR, Verdict.TIMEOUT):
            status = f"{variant.verdict.value}: the check crashed on it"
        else:
            status = f"{variant.verdict.value}: the checks do not refute it"
        out.append(f"  false variant {variant.name} ({variant.description}): {status}")
        for part in variant.parts.values():
            out += _part_lines(part, "    ", only_bad=refuted)
    return out


def verdict_line(result: CaseResult) -> str:
    """``<verdict> <case id>  (expected X)  [seconds, proof seconds]``: what a run prints per case.

    A verdict reused from the result cache says so instead of a time (nothing was computed)."""
    if result.reused:
        timing = "  [reused from the cache]"
    elif round(result.proof_duration, 2):
        timing = f"  [{result.duration:.2f}s, proof {result.proof_duration:.2f}s]"
    else:
        timing = f"  [{result.duration:.2f}s]"
    return (f"{result.verdict.value:<12} {result.case_id}"
            + ("" if result.as_expected else f"  (expected {result.expected.value})")
            + timing)


def _colour_of(result: CaseResult) -> str:
    if result.verdict is Verdict.SKIPPED:
        return "yellow"
    return "green" if result.as_expected else "red"


def durations(results: Sequence[CaseResult], count: int) -> list[str]:
    """The ``count`` slowest cases (every case when ``count`` is 0), slowest first, as pytest's ``--durations``."""
    ordered = sorted(results, key=lambda r: r.duration, reverse=True)
    chosen = ordered if count == 0 else ordered[:count]
    return [f"{r.duration:8.2f}s  {r.case_id}" for r in chosen]


def _unexpected(result: CaseResult) -> bool:
    return not result.as_expected and result.verdict is not Verdict.SKIPPED


class TerminalReporter:
    """Prints a run: a progress bar or one line per case, then the why of each unexpected case, then the summary.

    ``verbosity`` is -1 (``-q``), 0 or 1 (``-v``).  ``stream`` is stdout, or stderr when stdout carries JSON
    (``-o -``).
    """

    def __init__(self, *, verbosity: int = 0, claims: Mapping[str, Claim] | None = None,
                 to_stderr: bool = False) -> None:
        self.verbosity = verbosity
        self.claims = dict(claims or {})
        self.err = to_stderr
        self.stream = sys.stderr if to_stderr else sys.stdout
        self.colour = use_colour(self.stream)
        self.tty = sys.stderr.isatty()
        self.bar: Any = None
        self.results: list[CaseResult] = []

    def echo(self, text: str = "", *, fg: str | None = None, bold: bool = False, err: bool | None = None) -> None:
        styled = click.style(text, fg=fg, bold=bold) if (fg or bold) and self.colour else text
        click.echo(styled, err=self.err if err is None else err, color=self.colour)

    def start(self, cases: list[Any]) -> None:
        if self.tty and self.verbosity >= 0:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("checking claims", total=len(cases))

    def result(self, result: CaseResult) -> None:
        self.results.append(result)
        lines = [verdict_line(result)]
        if self.verbosity > 0:
            lines += ["    " + line for line in describe(result, self.claims.get(result.claim_id),
                                                          everything=True)]
        if self.bar is not None:
            self.bar.advance(self.task)
            from rich.text import Text

            style = _colour_of(result) if self.colour else ""
            self.bar.console.print(Text(lines[0], style=style), highlight=False, markup=False)
            for line in lines[1:]:
                self.bar.console.print(line, highlight=False, markup=False)
        elif self.verbosity >= 0:
            self.echo(lines[0], fg=_colour_of(result))
            for line in lines[1:]:
                self.echo(line)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def failures(self) -> None:
        """The why of each unexpected case (one line each with ``-q``)."""
        bad = sorted((r for r in self.results if _unexpected(r)), key=lambda r: r.case_id)
        if not bad:
            return
        if self.verbosity < 0:
            for r in bad:
                why = r.message.splitlines()[0] if r.message else ""
                self.echo(f"not as expected: {r.case_id}: {r.verdict.value}, expected {r.expected.value}"
                          + (f" — {why}" if why else ""), fg="red", err=True)
            return
        self.echo()
        self.echo(" not as expected ".center(100, "="), fg="red", bold=True)
        for r in bad:
            self.echo(f" {r.case_id} ".center(100, "_"), fg="red", bold=True)
            for line in describe(r, self.claims.get(r.claim_id)):
                self.echo(line)

    def durations(self, count: int | None) -> None:
        if count is None:
            return
        title = "slowest durations" if count == 0 else f"slowest {min(count, len(self.results))} durations"
        self.echo(f" {title} ".center(100, "="))
        for line in durations(self.results, count):
            self.echo(line)

    def summary(self, report: Mapping[str, Any], *, stopped_early: int = 0) -> None:
        summary = report["summary"]
        counts = ", ".join(f"{n} {v}" for v, n in summary["verdicts"].items() if n) or "nothing run"
        code = summary["exit_code"]
        colour = "green" if code == 0 else ("yellow" if code == 4 else "red")
        if stopped_early:
            self.echo(f"stopped at the first unexpected verdict (-x); {stopped_early} case(s) not run",
                      fg="yellow", err=True)
        if code == 4:
            reasons = sorted({r.message for r in self.results if r.message})
            self.echo("nothing was checked: every selected case was skipped"
                      + (f" ({'; '.join(reasons)})" if reasons else ""), fg="yellow", err=True)
        self.echo(f"{summary['as_expected']} of {summary['total']} as expected ({counts}); "
                  f"report {report['report_id']}", fg=colour, bold=code != 0)
        if self.verbosity >= 0:
            for case_id in summary["unexpected"]:
                self.echo(f"not as expected: {case_id}", fg="red", err=True)
