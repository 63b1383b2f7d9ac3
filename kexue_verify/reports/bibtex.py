"""BibTeX for a report and for the sources its claims come from (``kexue-verify cite``).

Posts are ``@online`` entries (biblatex); the report itself is an ``@online`` entry keyed by its id, with its
date, the tool's version and, when given (``cite --url``), the URL where the report is published.  Keys are
unique within the output (two posts that share a key get ``a``, ``b``, … as
:func:`kexue_verify.reports.unique_keys` assigns them), and every field is escaped: text fields for LaTeX
(``& % $ # _ ~ ^`` by backslash, ``{ } \\`` by text commands, so braces stay balanced), the ``url`` field for
the verbatim reading biblatex gives it (braces, backslashes, quotes and spaces percent-encoded), so a title or
URL cannot unbalance an entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["escape_latex", "escape_url", "report_bibtex", "source_bibtex"]

#: Verdicts in the order reports list them (a report read back from JSON has its keys sorted).
VERDICT_ORDER = ("verified", "refuted", "inconclusive", "error", "timeout", "skipped")
# Braces become \textbrace… commands, not \{ \}: BibTeX counts braces without regard to backslashes, so a lone
# \{ would unbalance the field.
_LATEX = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
          "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX))
_URL = {"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20", '"': "%22"}
#: Fields read verbatim by biblatex: escaped as URLs, not as LaTeX.
_VERBATIM = frozenset({"url", "doi", "eprint"})


def escape_latex(text: str) -> str:
    """``text`` with LaTeX's special characters escaped and control characters removed."""
    text = "".join(c if c.isprintable() else " " for c in text)
    return _LATEX_RE.sub(lambda m: _LATEX[m.group()], text)


def escape_url(url: str) -> str:
    """A URL safe inside a BibTeX ``url`` field: braces, backslashes, quotes and spaces percent-encoded."""
    return "".join(_URL.get(c, c) for c in url if c.isprintable())


def _key(text: str) -> str:
    """A BibTeX key: letters, digits and ``-_:.`` only (anything else would end the key)."""
    return re.sub(r"[^A-Za-z0-9_:.-]", "", text) or "anon"


def _field(name: str, value: Any, *, raw: bool = False) -> str:
    text = str(value)
    if not raw:
        text = escape_url(text) if name in _VERBATIM else escape_latex(text)
    return f"  {name:<12} = {{{text}}},"


def _entry(kind: str, key: str, fields: Mapping[str, Any], raw: frozenset[str] = frozenset()) -> str:
    lines = [f"@{kind}{{{_key(key)},"] + [_field(k, v, raw=k in raw) for k, v in fields.items() if v]
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


def report_bibtex(report: Mapping[str, Any], *, url: str | None = None) -> str:
    """An ``@online`` entry for the report (its id, date, tool version, ``url``), then one per source."""
    rid = report["report_id"]
    summary = report["summary"]
    tool = report.get("tool", {})
    version = tool.get("version") or ""
    counts = ", ".join(f"{summary['verdicts'][v]} {v}" for v in VERDICT_ORDER if summary["verdicts"].get(v))
    env = report["environment"]
    entries = [_entry("online", rid, {
        "author": "{kexue-verify contributors}",
        "title": f"kexue-verify report {rid}",
        "date": report["created"][:10],
        "year": report["created"][:4],
        "version": version,
        "url": url,
        "organization": f"kexue-verify {version}".strip(),
        "note": (f"Machine-checked verification of {summary['total']} claims ({counts}); seed {env.get('seed')}, "
                 f"{env.get('device')}, {env.get('dtype')}; report id {rid}"),
    }, raw=frozenset({"author"}))]
    seen = {_key(rid)}
    for source in report.get("sources", []):
        key = _key(source["key"])
        while key in seen:  # a report written before keys were made unique, or edited
            key += "x"
        seen.add(key)
        entries.append(source_bibtex({**source, "key": key}))
    return "\n\n".join(entries) + "\n"
