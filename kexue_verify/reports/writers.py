"""The built-in report writers, registered as an ordinary plugin through ``kexue_register_reporters``.

``.json`` — the canonical report (indented); ``.md`` — Markdown with SVG figures;
``.html`` — the Markdown report rendered to a standalone page (markdown-it-py); ``.xml`` — JUnit XML for CI
dashboards (one test case per claim, a failure when the verdict is not the expected one, an error on error/timeout;
the claim's status, e.g. ``constructed`` or ``empirical``, as a ``status`` property of its test case).
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kexue_verify.hookspecs import hookimpl
from kexue_verify.reports import write_atomic
from kexue_verify.reports.markdown import render_markdown

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


_ESCAPED_ANCHOR = re.compile(r"<p>&lt;a id=&quot;([a-z0-9-]+)&quot;&gt;&lt;/a&gt;</p>")
_STYLE = """body{font-family:sans-serif;max-width:72em;margin:auto;padding:1em;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0;display:block;overflow-x:auto}
td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}
td:nth-child(2),td:nth-child(3){white-space:nowrap}code{font-size:90%}pre,p>code{overflow-wrap:anywhere}
img{max-width:100%}h3{border-top:1px solid #ddd;padding-top:.8em}"""


def write_html(report: Mapping[str, Any], path: Path) -> None:
    """A standalone HTML page: the Markdown report rendered by markdown-it-py (CommonMark and tables), so both
    formats carry the same content; figures as SVG files beside it.

    Raw HTML in the Markdown is escaped (a claim's title cannot inject markup); only the report's own anchor lines,
    ``<a id="slug"></a>``, are turned back into anchors, so the summary's links work.
    """
    from markdown_it import MarkdownIt

    folder = f"{path.stem}_figures"
    text, figures = render_markdown(report, folder)
    _figures(figures, path.parent / folder)
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    body = _ESCAPED_ANCHOR.sub(r'<a id="\1"></a>', body)
    title = html.escape(f"kexue-verify report {report['report_id']}")
    page = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>\n'
            f"<style>{_STYLE}</style></head><body>\n{body}</body></html>\n")
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
        if e.get("status"):  # the catalogue's label: e.g. "constructed" or "empirical" must reach CI dashboards too
            ET.SubElement(ET.SubElement(case, "properties"), "property", name="status", value=e["status"])
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
