"""The Markdown report, rendered from the canonical JSON report.

Layout: a header with the report id and environment, a summary table, one row per claim,
then per claim its source, statement, evidence (with derivation steps and figures) and
false variants, the sources, and how to cite.  Formulas are GitHub math: ``$$…$$`` for statements,
``$…$`` in derivation tables and in the formulas of variant descriptions.  Figures are written as SVG
files into ``<report stem>_figures/`` beside the Markdown file.  The HTML report is rendered separately
(:mod:`.html`), never through a Markdown parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kexue_verify.reports.mathml import split_prose

__all__ = ["flagged", "render_markdown"]

#: How a claim's catalogue status reads in a report; constructed claims say plainly that the words are ours.
STATUS_TEXT = {
    "exact": "exact (true as stated)",
    "approx": "approximate / asymptotic",
    "typo": "typo in the post (the result around it is right)",
    "mistake": "mistake in the post",
    "empirical": "empirical (only a proxy test is possible)",
    "constructed": "constructed formalisation — not the post's own words, but a checkable statement built from it",
}

MARK = {"verified": "✅", "refuted": "❌", "inconclusive": "❔", "error": "💥", "timeout": "⏱", "skipped": "⏭"}


def flagged(entry: Mapping[str, Any]) -> bool:
    """Whether a claim's verdict is not the expected one; a skipped claim was not run, so it is not flagged
    (the same rule as the summary's ``unexpected`` list and the exit code)."""
    return not entry["as_expected"] and entry["verdict"] != "skipped"


def _cell(value: Any) -> str:
    return str(value).replace("|", r"\|").replace("\n", " ")


_MARKUP = re.compile(r"([*<>])")  # emphasis and tags; ``_`` inside words and ``[…]`` without ``(…)`` stay literal


def _text(value: Any) -> str:
    """Data as literal Markdown text: ``2*pi*x`` must not turn into an emphasised ``pi``, nor ``<…>`` into a tag."""
    return _MARKUP.sub(r"\\\1", _cell(value))


def _prose(text: str) -> str:
    """Prose with its formulas as GitHub math (``$…$``), for a table cell (the split of :func:`.split_prose`)."""
    return "".join(f"${_cell(piece.strip())}$" if math else _text(piece) for math, piece in split_prose(text))


def format_value(value: Any) -> str:
    """A measured value as the reports print it: floats to 6 significant digits, long lists shortened."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and len(value) > 8:
        return f"[{', '.join(format_value(v) for v in value[:6])}, … ({len(value)} values)]"
    if isinstance(value, list):
        return f"[{', '.join(format_value(v) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _steps(steps: list[Mapping[str, Any]]) -> list[str]:
    lines = ["", "| # | | step | justification | status | method |", "|---|---|---|---|---|---|"]
    for s in steps:
        rel = s.get("relation", "=")
        expr = f"${_cell(s['rhs_latex'])}$" if s.get("rhs_latex") else f"`{_cell(s.get('rhs', ''))}`"
        mark = {"proved": "✓", "numerically verified": "≈", "refuted": "✗"}.get(s.get("status", ""), "?")
        lines.append(f"| {s.get('index', '')} | {_cell(rel)} | {expr} | {_cell(s.get('justification', ''))} "
                     f"| {mark} {_cell(s.get('status', ''))} | {_cell(s.get('method', ''))} |")
    return [*lines, ""]


def _evidence(part: str, data: Mapping[str, Any] | None, figures: list[tuple[str, Mapping[str, Any]]],
              case_id: str) -> list[str]:
    if not data:
        return []
    lines = [f"**{part.capitalize()}** — {data['outcome']}"]
    if data.get("error"):
        lines += ["", "```", data["error"].strip(), "```"]
    for ev in data.get("evidence", []):
        qty = ", ".join(f"{k} = {format_value(v)}" for k, v in ev.get("quantities", {}).items())
        line = f"- `{ev['outcome']}` **{_text(ev['name'])}**"
        if ev.get("method"):
            line += f" ({_text(ev['method'])})"
        if qty:
            line += f": {_text(qty)}"
        if ev.get("expected") is not None:
            line += f"; expected {_text(format_value(ev['expected']))}"
        if ev.get("tolerance") is not None:
            line += f" (tolerance {_text(format_value(ev['tolerance']))})"
        lines.append(line)
        if ev.get("counterexample") is not None:
            lines.append(f"  - counterexample: `{format_value(ev['counterexample'])}`")
        if ev.get("note"):
            lines.append(f"  - {_text(ev['note'])}")
        if ev.get("steps"):
            lines += _steps(ev["steps"])
        if ev.get("figure"):
            name = f"{_slug(case_id)}-{len(figures) + 1}.svg"
            figures.append((name, ev["figure"]))
            lines.append(f"\n  ![{_cell(ev['figure'].get('title', ev['name']))}](FIGURES/{name})\n")
    if data.get("output"):
        out = data["output"]
        cut = f", the first {len(out['text'].encode())} shown" if out.get("truncated") else ""
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", out["text"])), default=0))
        lines += ["", f"The check printed {out['bytes']} bytes{cut}:", "", f"{fence}text", out["text"].rstrip(), fence]
    return [*lines, ""]


def _claim(entry: Mapping[str, Any], figures: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
    src = entry["source"]
    label = f" ({entry['label']})" if entry.get("label") else ""
    lines = [
        f"### {MARK.get(entry['verdict'], '')} `{entry['id']}`{label} — {entry['title']}",
        "",
        f"- **Verdict:** {entry['verdict']} (expected {entry['expected']}"
        + (f", declared by the control {entry['expected_by']}" if entry.get("expected_by", "claim") != "claim" else "")
        + f"{' — NOT AS EXPECTED' if flagged(entry) else ''})",
        f"- **Source:** [{src['title']}]({src['url']}), {src['author']}, {src['date']}"
        + (f", {src['section']}" if src.get("section") else ""),
        f"- **Seed:** {entry['seed']}" + (f"; **model:** `{entry['model']}`" if entry.get("model") else ""),
    ]
    if entry.get("status"):
        lines.append(f"- **Status:** {STATUS_TEXT.get(entry['status'], entry['status'])}")
    if entry.get("proof"):
        lines.append(f"- **Derivation:** `proofs/{entry['proof']}`")
    if entry.get("message"):  # its first line; a crashed check's traceback is shown as code with its part below
        lines.append(f"- **Why:** {_text(entry['message'].strip().splitlines()[0])}")
    if entry.get("notes"):
        lines.append(f"- **Notes:** {_prose(entry['notes'])}")
    lines += ["", "$$", entry["statement"].strip(), "$$", ""]
    lines += _evidence("symbolic", entry.get("symbolic"), figures, entry["id"])
    lines += _evidence("numeric", entry.get("numeric"), figures, entry["id"])
    variants = entry.get("false_variants", [])
    if variants:
        lines += ["**False variants** (each must be refuted by the same checks):", "",
                  "| variant | description | verdict |", "|---|---|---|"]
        lines += [f"| `{v['name']}` | {_prose(v['description'])} | {MARK.get(v['verdict'], '')} {v['verdict']} |"
                  for v in variants]
        lines.append("")
    return lines


def render_markdown(report: Mapping[str, Any],
                    figure_dir: str = "figures") -> tuple[str, list[tuple[str, Mapping[str, Any]]]]:
    """The Markdown text and the figures it links to, as ``(file name, figure data)`` pairs."""
    env, summary = report["environment"], report["summary"]
    figures: list[tuple[str, Mapping[str, Any]]] = []
    lines = [
        f"# kexue-verify report `{report['report_id']}`",
        "",
        f"Created {report['created']} by kexue-verify {report['tool'].get('version')} — Python {env['python']}, "
        f"torch {env['packages'].get('torch')}, sympy {env['packages'].get('sympy')}, "
        f"mpmath {env['packages'].get('mpmath')}; device `{env['device']}` ({env.get('device_name')}), "
        f"dtype `{env['dtype']}`, seed {env['seed']}"
        + (f", claims at commit `{env['claims_commit'][:12]}`" if env.get("claims_commit") else "") + ".",
        "",
        "## Summary",
        "",
        f"{summary['as_expected']} of {summary['total']} verdicts as expected.",
        "",
        "| verdict | count |",
        "|---|---|",
    ]
    lines += [f"| {mark} {v} | {summary['verdicts'][v]} |" for v, mark in MARK.items() if summary["verdicts"].get(v)]
    if report.get("interrupted"):
        stop = report["interrupted"]
        lines += ["", f"**Interrupted** by {stop['signal']}: {stop['completed']} of {stop['planned']} cases finished; "
                      "this report is partial."]
    if report.get("code_changed"):
        lines += ["", "**Code changed during the run:** " + ", ".join(f"`{p}`" for p in report["code_changed"]["paths"])
                  + "; cases may have run the edited code, which their definition digests do not name."]
    if summary["unexpected"]:
        lines += ["", "**Not as expected:** " + ", ".join(f"`{c}`" for c in summary["unexpected"])]
    lines += ["", "| claim | label | verdict | expected | title |", "|---|---|---|---|---|"]
    for entry in report["claims"]:
        ok = " ⚠" if flagged(entry) else ""
        lines.append(f"| [`{entry['id']}`](#{_slug(entry['id'])}) | {entry.get('label') or ''} | "
                     f"{MARK.get(entry['verdict'], '')} {entry['verdict']}{ok} | {entry['expected']} | "
                     f"{_cell(entry['title'])} |")
    lines += ["", "## Claims", ""]
    for entry in report["claims"]:
        lines.append(f'<a id="{_slug(entry["id"])}"></a>')
        lines.append("")
        lines += _claim(entry, figures)
    lines += ["## Sources", ""]
    lines += [f"- [{s['key']}] {s['author']}, “{s['title']}”, {s['date']}, <{s['url']}>" for s in report["sources"]]
    lines += ["", "## How to cite", "",
              f"Cite this report by its id `{report['report_id']}`; `kexue-verify cite <report.json>` prints BibTeX.",
              ""]
    text = "\n".join(lines).replace("](FIGURES/", f"]({figure_dir}/")
    return text, figures
