"""BibTeX for a report and for the sources its claims come from (``kexue-verify cite``).

Posts are ``@online`` entries (biblatex); the report itself is an ``@misc`` entry whose key
and note carry the report id, so a paper can cite exactly the run it relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["report_bibtex", "source_bibtex"]

_ESCAPED = ("title", "note", "howpublished")
#: Verdicts in the order reports list them (a report read back from JSON has its keys sorted).
VERDICT_ORDER = ("verified", "refuted", "inconclusive", "error", "timeout", "skipped")
_SPECIAL = str.maketrans({"{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_"})


def _field(name: str, value: Any) -> str:
    text = str(value).translate(_SPECIAL) if name in _ESCAPED else str(value)
    return f"  {name:<12} = {{{text}}},"


def _entry(kind: str, key: str, fields: Mapping[str, Any]) -> str:
    lines = [f"@{kind}{{{key},"] + [_field(k, v) for k, v in fields.items() if v]
    return "\n".join(lines) + "\n}"


def source_bibtex(source: Mapping[str, Any]) -> str:
    """An ``@online`` entry for a source post, keyed like ``su2016stirling``."""
    return _entry("online", source["key"], {
        "author": source["author"],
        "title": source["title"],
        "date": source["date"],
        "year": source["date"][:4],
        "url": source["url"],
        "langid": source.get("language"),
        "note": f"Section: {source['section']}" if source.get("section") else None,
    })


def report_bibtex(report: Mapping[str, Any]) -> str:
    """An ``@misc`` entry for the report, then one ``@online`` entry per source."""
    rid = report["report_id"]
    summary = report["summary"]
    tool = report.get("tool", {})
    counts = ", ".join(f"{summary['verdicts'][v]} {v}" for v in VERDICT_ORDER if summary["verdicts"].get(v))
    entries = [_entry("misc", rid, {
        "title": f"kexue-verify report {rid}",
        "author": "{kexue-verify contributors}",
        "year": report["created"][:4],
        "date": report["created"][:10],
        "howpublished": f"kexue-verify {tool.get('version') or ''}".strip(),
        "note": (f"Machine-checked verification of {summary['total']} claims ({counts}); "
                 f"seed {report['environment'].get('seed')}; report id {rid}"),
    })]
    entries += [source_bibtex(s) for s in report.get("sources", [])]
    return "\n\n".join(entries) + "\n"
