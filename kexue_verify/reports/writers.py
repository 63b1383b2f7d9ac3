"""The built-in report writers, registered as an ordinary plugin through ``kexue_register_reporters``.

``.json`` — the canonical report (indented); ``.md`` — Markdown with SVG figures;
``.html`` — a standalone page; ``.xml`` — JUnit XML for CI dashboards (one test case per claim,
a failure when the verdict is not the expected one, an error on error/timeout).
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kexue_verify.hookspecs import hookimpl
from kexue_verify.reports import write_atomic
from kexue_verify.reports.markdown import MARK, flagged, render_markdown

__all__ = ["write_html", "write_json", "write_junit", "write_markdown"]


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """The report, indented, its fields in the report's own order (which is fixed, so files diff well).

    Keys are not sorted here: a report read back must render exactly as the one it was written from
    (``kexue-verify report``).  The report id is computed over the sorted canonical form anyway.
    """
    write_atomic(path, json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _figures(figures: list[tuple[str, Mapping[str, Any]]], folder: Path) -> None:
    if not figures:
        return
    from kexue_verify.reports.figures import draw_figure

    for name, figure in figures:
        draw_figure(figure, folder / name)


def write_markdown(report: Mapping[str, Any], path: Path) -> None:
    folder = f"{path.stem}_figures"
    text, figures = render_markdown(report, folder)
    _figures(figures, path.parent / folder)
    write_atomic(path, text)


def write_html(report: Mapping[str, Any], path: Path) -> None:
    """A standalone HTML page: the summary table and each claim's evidence (figures as SVG files)."""
    folder = f"{path.stem}_figures"
    _, figures = render_markdown(report, folder)
    _figures(figures, path.parent / folder)
    rows = "\n".join(
        f"<tr class='{e['verdict']}'><td><a href='#{html.escape(e['id'])}'><code>{html.escape(e['id'])}</code></a></td>"
        f"<td>{html.escape(e.get('label') or '')}</td><td>{MARK.get(e['verdict'], '')} {e['verdict']}</td>"
        f"<td>{e['expected']}</td><td>{'⚠ not as expected' if flagged(e) else ''}</td>"
        f"<td>{html.escape(e['title'])}</td></tr>"
        for e in report["claims"]
    )
    figure_names = iter(name for name, _ in figures)
    sections = []
    for e in report["claims"]:
        parts = []
        for part in ("symbolic", "numeric"):
            data = e.get(part)
            if not data:
                continue
            items = []
            for ev in data.get("evidence", []):
                text = f"<b>{html.escape(ev['name'])}</b> — {ev['outcome']} {html.escape(ev.get('method') or '')}"
                # cut before escaping, so that no character entity is cut in half
                quantities = json.dumps(ev.get("quantities", {}), ensure_ascii=False)[:600]
                text += f"<br><code>{html.escape(quantities)}</code>"
                if ev.get("counterexample") is not None:
                    counterexample = json.dumps(ev["counterexample"], ensure_ascii=False)[:400]
                    text += f"<br>counterexample: <code>{html.escape(counterexample)}</code>"
                if ev.get("steps"):
                    steps = "".join(f"<li>{html.escape(str(s.get('relation', '')))} "
                                    f"<code>{html.escape(str(s.get('rhs', '')))}</code>"
                                    f" — {html.escape(str(s.get('justification', '')))} "
                                    f"[{html.escape(str(s.get('status', '')))}, "
                                    f"{html.escape(str(s.get('method', '')))}]</li>" for s in ev["steps"])
                    text += f"<ol>{steps}</ol>"
                if ev.get("figure"):
                    text += f"<br><img src='{folder}/{next(figure_names)}' alt='{html.escape(ev['name'])}'>"
                items.append(f"<li>{text}</li>")
            error = f"<pre>{html.escape(data['error'])}</pre>" if data.get("error") else ""
            parts.append(f"<h4>{part} — {data['outcome']}</h4>{error}<ul>{''.join(items)}</ul>")
        variants = "".join(f"<tr><td><code>{html.escape(v['name'])}</code></td><td>{html.escape(v['description'])}</td>"
                           f"<td>{v['verdict']}</td></tr>" for v in e.get("false_variants", []))
        if variants:
            parts.append(f"<h4>False variants</h4><table><tr><th>variant</th><th>description</th><th>verdict</th></tr>"
                         f"{variants}</table>")
        src = e["source"]
        sections.append(
            f"<section id='{html.escape(e['id'])}'><h3>{MARK.get(e['verdict'], '')} "
            f"<code>{html.escape(e['id'])}</code> — "
            f"{html.escape(e['title'])}</h3><p>Verdict <b>{e['verdict']}</b> (expected {e['expected']}). "
            f"{html.escape(e.get('message') or '')}</p><p>Source: <a href='{html.escape(src['url'])}'>"
            f"{html.escape(src['title'])}</a>, {html.escape(src['author'])}, {src['date']}</p>"
            f"<pre class='tex'>{html.escape(e['statement'])}</pre>{''.join(parts)}</section>"
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kexue-verify report {report['report_id']}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em}}tr.refuted td{{background:#fee}}tr.verified td{{background:#efe}}
tr.error td,tr.timeout td{{background:#fdd}}pre.tex{{background:#f6f6f6;padding:.5em;white-space:pre-wrap}}</style>
</head><body>
<h1>kexue-verify report <code>{report['report_id']}</code></h1>
<p>Created {report['created']}; seed {report['environment']['seed']}; device {report['environment']['device']};
dtype {report['environment']['dtype']}. {report['summary']['as_expected']} of {report['summary']['total']}
verdicts as expected.</p>
<table><tr><th>claim</th><th>label</th><th>verdict</th><th>expected</th><th></th><th>title</th></tr>
{rows}
</table>
{''.join(sections)}
</body></html>
"""
    write_atomic(path, page)


def write_junit(report: Mapping[str, Any], path: Path) -> None:
    summary = report["summary"]["verdicts"]
    suite = ET.Element("testsuite", name="kexue-verify", tests=str(report["summary"]["total"]),
                       failures=str(len([e for e in report["claims"] if not e["as_expected"]
                                         and e["verdict"] not in ("error", "timeout", "skipped")])),
                       errors=str(summary.get("error", 0) + summary.get("timeout", 0)),
                       skipped=str(summary.get("skipped", 0)))
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="report_id", value=report["report_id"])
    for e in report["claims"]:
        case = ET.SubElement(suite, "testcase", classname=e["family"], name=e["id"],
                             time=str(e.get("duration_s", 0)))
        message = f"verdict {e['verdict']}, expected {e['expected']}: {e.get('message', '')}"
        if e["verdict"] == "skipped":
            ET.SubElement(case, "skipped", message=message)
        elif e["verdict"] in ("error", "timeout") and not e["as_expected"]:
            ET.SubElement(case, "error", message=message)
        elif not e["as_expected"]:
            ET.SubElement(case, "failure", message=message)
    ET.indent(suite)
    write_atomic(path, ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n")


@hookimpl
def kexue_register_reporters(registry: Any) -> None:
    registry.add(".json", write_json)
    registry.add(".md", write_markdown)
    registry.add(".html", write_html)
    registry.add(".xml", write_junit)
