"""The built-in report writers, registered as an ordinary plugin through ``kexue_register_reporters``.

``.json`` — the canonical report (indented); ``.html`` — one self-contained page (MathML, inline SVG);
``.md`` — Markdown with LaTeX GitHub renders and SVG figures beside it; ``.xml`` — JUnit XML for CI
dashboards (one test case per claim, a failure when the verdict is not the expected one, an error on error/timeout;
the claim's status, e.g. ``constructed`` or ``empirical``, as a ``status`` property of its test case).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kexue_verify.hookspecs import hookimpl
from kexue_verify.reports import write_atomic
from kexue_verify.reports.markdown import render_markdown
from kexue_verify.reports.sanitize import printable_data

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
    """Markdown with LaTeX that GitHub renders (``$…$``, ``$$…$$``) and SVG figures in ``<stem>_figures/``."""
    folder = f"{path.stem}_figures"
    text, figures = render_markdown(printable_data(report), folder)
    _figures(figures, path.parent / folder)
    write_atomic(path, text)


def write_html(report: Mapping[str, Any], path: Path) -> None:
    """One self-contained HTML page: MathML formulas, inline SVG figures, no scripts (:mod:`.html`)."""
    from kexue_verify.reports.html import render_html

    write_atomic(path, render_html(report))


def write_junit(report: Mapping[str, Any], path: Path) -> None:
    """JUnit XML; characters XML forbids (NUL, other controls, lone surrogates) are written as escapes."""
    report = printable_data(report)
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
