"""Re-executing a report's selection with its seed, device and dtype, and saying what was reproduced.

>>> from kexue_verify.reports import load_report                      # doctest: +SKIP
>>> outcome = rerun(load_report("report.json"))                       # doctest: +SKIP
>>> outcome.reproduced                                                # doctest: +SKIP
True

A case is *reproduced* when its new entry has the same digest as the old one: the same definition (claim, false
variants, check code), the same verdicts and the same evidence, number for number.  Otherwise the comparison says
which of these differs, so that a changed check is told apart from a changed result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kexue_verify.plugins import LoadedPlugins, LoadOptions, load
from kexue_verify.verdicts import RunConfig, expand

__all__ = ["CaseComparison", "RerunOutcome", "compare_entries", "rerun"]


@dataclass(frozen=True)
class CaseComparison:
    """One case of the old report against the rerun: ``status`` is ``reproduced``, ``differs`` or ``missing``."""

    case_id: str
    status: str
    details: tuple[str, ...] = ()

    @property
    def reproduced(self) -> bool:
        return self.status == "reproduced"


@dataclass
class RerunOutcome:
    """The comparison per case, the new report, and whether the report id itself came out the same."""

    cases: list[CaseComparison]
    report: dict[str, Any] | None
    old_id: str
    new_id: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        """Every verdict and digest reproduced (the id may still differ where package versions did)."""
        return bool(self.cases) and all(c.reproduced for c in self.cases)


def _variant_verdicts(entry: Mapping[str, Any]) -> dict[str, str]:
    return {v["name"]: v["verdict"] for v in entry.get("false_variants", [])}


def compare_entries(old: Mapping[str, Any], new: Mapping[str, Any]) -> CaseComparison:
    """Compare one case's entries, naming what differs: definition, verdict, false-variant verdicts, evidence."""
    if old.get("digest") == new.get("digest"):
        return CaseComparison(old["id"], "reproduced")
    details = []
    if old.get("definition_digest") != new.get("definition_digest"):
        details.append("its definition changed since the report (statement, assertion, false variants or check "
                       "code)")
    if old.get("verdict") != new.get("verdict"):
        details.append(f"verdict {old.get('verdict')} then, {new.get('verdict')} now")
    before, after = _variant_verdicts(old), _variant_verdicts(new)
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            details.append(f"false variant {name}: {before.get(name, 'absent')} then, {after.get(name, 'absent')} now")
    if not details:
        details.append("same verdicts, but the evidence (a measured number, a message) differs")
    return CaseComparison(old["id"], "differs", tuple(details))


def rerun(report: Mapping[str, Any], *, loaded: LoadedPlugins | None = None, options: LoadOptions | None = None,
          jobs: int = 1, timeout: float = 600.0, in_process: bool = False) -> RerunOutcome:
    """Run the cases ``report`` lists, with its seed, device and dtype, and compare entry by entry."""
    from kexue_verify.pipeline import run

    loaded = loaded or load(options)
    env = report["environment"]
    config = RunConfig(seed=int(env["seed"]), device=env["device"], dtype=env["dtype"], timeout=timeout, jobs=jobs,
                       in_process=in_process)
    old_entries = {e["id"]: e for e in report["claims"]}
    known = {c.id for c in expand(list(loaded.claims), loaded.models)}
    missing = [case_id for case_id in old_entries if case_id not in known]
    present = [case_id for case_id in old_entries if case_id in known]
    notes = []
    new_report = None
    comparisons = [CaseComparison(c, "missing", ("no such claim or model is loaded now",)) for c in missing]
    if present:
        new_report = run(present, config=config, loaded=loaded).report
        new_entries = {e["id"]: e for e in new_report["claims"]}
        comparisons += [compare_entries(old_entries[c], new_entries[c]) for c in present]
        old_versions, new_versions = env.get("packages", {}), new_report["environment"].get("packages", {})
        changed = sorted(k for k in set(old_versions) | set(new_versions) if old_versions.get(k) != new_versions.get(k))
        if changed:
            notes.append("package versions differ: " + ", ".join(
                f"{k} {old_versions.get(k)} then, {new_versions.get(k)} now" for k in changed))
    comparisons.sort(key=lambda c: c.case_id)
    return RerunOutcome(comparisons, new_report, report.get("report_id", ""),
                        new_report["report_id"] if new_report else None, notes)
