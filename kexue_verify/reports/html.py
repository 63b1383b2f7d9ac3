"""The HTML report: one self-contained page a researcher can publish, rendered from the canonical JSON report.

Findings first: the **errata** (every claim "as the post prints it" that is refuted, with the corrected statement
beside it, the counterexample and a figure where the evidence has one), then the **verdict summary**, then the
**claims grouped by source post** (the post's title and link), each with its statement, derivation table, numeric
evidence and the evidence for each false variant (which check refuted it, by what margin, the counterexample).
A table of contents links every post (``#post-<key>``) and claim (``#<claim slug>``).

Everything is inside the one file: formulas are MathML converted on the server (:mod:`.mathml`, no JavaScript),
figures are inline SVG (:func:`~kexue_verify.reports.figures.figure_svg`) with a caption saying what to look for,
verdict marks are text in ordinary fonts, and the style sheet is inline.  Text from the report is escaped, so
a claim's title cannot inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from kexue_verify.reports.bibtex import VERDICT_ORDER, report_bibtex
from kexue_verify.reports.identity import check_report
from kexue_verify.reports.markdown import format_value
from kexue_verify.reports.mathml import MathRenderer
from kexue_verify.reports.sanitize import printable_data

__all__ = ["MARK", "render_html", "slug"]

#: Verdict marks in characters every ordinary font has (no emoji).
MARK = {"verified": "✓", "refuted": "✗", "inconclusive": "?", "error": "!", "timeout": "…", "skipped": "–"}
STEP_MARK = {"proved": "✓", "numerically verified": "≈", "refuted": "✗", "undecided": "?"}
STATUS_TEXT = {
    "exact": "exact: true as stated",
    "approx": "approximate or asymptotic, and correct in that sense",
    "typo": "a typo in the post; the result around it is right",
    "mistake": "a mistake in the post",
    "empirical": "empirical: the post's statement is qualitative or experimental, so only a proxy test is possible",
    "constructed": "constructed: not the post's own words, but a checkable statement the tool built from them",
}
#: Statuses a reader must not mistake for a theorem the post states: shown in a box of their own.
CAUTION = frozenset({"empirical", "constructed"})

STYLE = """
:root{--ok:#1a7f37;--bad:#b42318;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa}
body{font-family:"DejaVu Sans","Noto Sans CJK SC","Noto Sans CJK JP",Helvetica,Arial,sans-serif;max-width:64em;
margin:auto;padding:1em 1.5em;line-height:1.45;color:#1f2328}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid var(--line);padding-bottom:.2em;margin-top:2em}
h3{margin:.2em 0}a{color:#0550ae}code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:88%}
pre{background:var(--soft);padding:.6em;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse;margin:.5em 0;max-width:100%}td,th{border:1px solid var(--line);
padding:.25em .5em;vertical-align:top;text-align:left}th{background:var(--soft)}
.meta{color:var(--muted);font-size:90%}.badge{display:inline-block;border-radius:.8em;padding:0 .55em;
font-size:85%;font-weight:bold;border:1px solid currentColor;white-space:nowrap}
.v-verified{color:var(--ok)}.v-refuted{color:var(--bad)}.v-inconclusive,.v-timeout,.v-skipped{color:var(--warn)}
.v-error{color:#8250df}.s-badge{color:var(--muted)}.s-empirical,.s-constructed{color:#fff;background:#8250df;
border-color:#8250df}
.claim{border:1px solid var(--line);border-radius:6px;padding:.6em 1em;margin:1em 0}
.claim.flag{border-color:var(--bad);box-shadow:0 0 0 2px #ffebe9}
.erratum{border-left:5px solid var(--bad);background:#fff8f7;padding:.5em 1em;margin:1em 0}
.caution{border-left:5px solid #8250df;background:#fbf7ff;padding:.3em .8em;margin:.5em 0}
.alert{border:2px solid var(--bad);background:#ffebe9;padding:.5em 1em}
.statement{overflow-x:auto;margin:.6em 0}.statement math{font-size:115%}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{color:var(--muted);font-size:90%}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0}dl.facts dt{font-weight:bold}
dl.facts dd{margin:0}ul.evidence{padding-left:1.2em}ul.evidence li{margin:.25em 0}
nav ol{columns:2}nav li{break-inside:avoid}.tex-failed{background:#fff1e5;color:var(--bad)}
"""


def slug(text: str) -> str:
    """The anchor of a claim or post: lower case, runs of other characters as ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


#: Characters of one formatted value shown before it is cut (a counterexample can be a whole input tensor).
MAX_VALUE_CHARS = 240


def _num(value: Any) -> str:
    text = format_value(value)
    if len(text) > MAX_VALUE_CHARS:
        return text[:MAX_VALUE_CHARS] + f" … ({len(text)} characters in all; the JSON report has the full value)"
    return text


def verdict_badge(verdict: str) -> str:
    return f'<span class="badge v-{_esc(verdict)}">{MARK.get(verdict, "")} {_esc(verdict)}</span>'


def _flagged(entry: Mapping[str, Any]) -> bool:
    return not entry["as_expected"] and entry["verdict"] != "skipped"


def _source_key(report: Mapping[str, Any], source: Mapping[str, Any]) -> str:
    for s in report.get("sources", []):
        if s.get("url") == source.get("url"):
            return str(s.get("key", slug(source["url"])))
    return slug(source.get("url", "source"))


class _Page:
    """Builds the page's sections; ``math`` converts every formula and counts the failures."""

    def __init__(self, report: Mapping[str, Any], figure: Callable[[Mapping[str, Any], str], str]) -> None:
        self.report = report
        self.math = MathRenderer()
        self.draw = figure
        self.figures = 0
        self.by_id = {e["id"]: e for e in report["claims"]}

    # --- pieces ------------------------------------------------------------------------------------------------

    def figure(self, fig: Mapping[str, Any], anchor: str) -> str:
        self.figures += 1
        caption = fig.get("caption") or fig.get("title") or "figure"
        svg = self.draw(fig, f"{anchor}-{self.figures}")
        return (f'<figure id="fig-{_esc(anchor)}-{self.figures}" class="plot">{svg}'
                f"<figcaption>Figure {self.figures}. {_esc(caption)}</figcaption></figure>")

    def steps(self, steps: list[Mapping[str, Any]]) -> str:
        rows = []
        for s in steps:
            latex = s.get("rhs_latex")
            expr = self.math.formula(latex) if latex else f"<code>{_esc(s.get('rhs', ''))}</code>"
            rel = s.get("relation", "=")
            rel_html = self.math.formula({"~": r"\sim", "<=": r"\le", ">=": r"\ge"}.get(rel, rel)) if rel else ""
            status = s.get("status", "")
            counter = (f"<br><small>counterexample: <code>{_esc(_num(s['counterexample']))}</code></small>"
                       if s.get("counterexample") is not None else "")
            rows.append(f"<tr><td>{_esc(s.get('index', ''))}</td><td>{rel_html}</td><td>{expr}</td>"
                        f"<td>{_esc(s.get('justification', ''))}</td>"
                        f"<td>{STEP_MARK.get(status, '?')} {_esc(status)}{counter}</td>"
                        f"<td>{_esc(s.get('method', ''))}</td></tr>")
        return ('<table class="steps"><thead><tr><th>#</th><th></th><th>step</th><th>justification</th>'
                "<th>status</th><th>method</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")

    def evidence_item(self, ev: Mapping[str, Any], anchor: str) -> str:
        parts = [f'<span class="badge">{_esc(ev["outcome"])}</span> <b>{_esc(ev["name"])}</b>']
        if ev.get("method"):
            parts.append(f" ({_esc(ev['method'])})")
        if ev.get("quantities"):
            parts.append(": " + _esc(", ".join(f"{k} = {_num(v)}" for k, v in ev["quantities"].items())))
        if ev.get("expected") is not None:
            parts.append(f"; expected {_esc(_num(ev['expected']))}")
        if ev.get("tolerance") is not None:
            parts.append(f" (tolerance {_esc(_num(ev['tolerance']))})")
        if ev.get("counterexample") is not None:
            parts.append(f"<br>counterexample: <code>{_esc(_num(ev['counterexample']))}</code>")
        if ev.get("note"):
            parts.append(f"<br><small>{_esc(ev['note'])}</small>")
        if ev.get("steps"):
            parts.append(self.steps(ev["steps"]))
        if ev.get("figure"):
            parts.append(self.figure(ev["figure"], anchor))
        return "<li>" + "".join(parts) + "</li>"

    def part(self, name: str, data: Mapping[str, Any] | None, anchor: str) -> str:
        if not data:
            return ""
        out = [f'<h4>{_esc(name.capitalize())} — {_esc(data["outcome"])}</h4>']
        if data.get("error"):
            out.append(f"<pre>{_esc(data['error'].strip())}</pre>")
        items = [self.evidence_item(ev, anchor) for ev in data.get("evidence", [])]
        if items:
            out.append('<ul class="evidence">' + "".join(items) + "</ul>")
        return "".join(out)

    @staticmethod
    def refutation(variant: Mapping[str, Any]) -> tuple[str, str, str]:
        """Which check refuted a variant, by what margin, and the counterexample (or why it was not refuted)."""
        for part in ("symbolic", "numeric", "model"):
            data = variant.get(part) or {}
            for ev in data.get("evidence", []):
                if ev.get("outcome") == "fail":
                    margin = ", ".join(f"{k} = {_num(v)}" for k, v in (ev.get("quantities") or {}).items())
                    if ev.get("expected") is not None:
                        margin += f"; expected {_num(ev['expected'])}"
                    if ev.get("tolerance") is not None:
                        margin += f" (tolerance {_num(ev['tolerance'])})"
                    counter = _num(ev["counterexample"]) if ev.get("counterexample") is not None else ""
                    return f"{part}: {ev['name']}", margin or ev.get("note", ""), counter
            if data.get("error"):
                return f"{part}: error", data["error"].strip().splitlines()[0], ""
        return "", "", ""

    def variants(self, entry: Mapping[str, Any]) -> str:
        variants = entry.get("false_variants", [])
        if not variants:
            return ""
        rows = []
        for v in variants:
            check, margin, counter = self.refutation(v)
            rows.append(f"<tr><td><code>{_esc(v['name'])}</code></td><td>{self.math.text(v['description'])}</td>"
                        f"<td>{verdict_badge(v['verdict'])}</td><td>{_esc(check)}</td><td>{_esc(margin)}</td>"
                        f"<td>{f'<code>{_esc(counter)}</code>' if counter else ''}</td></tr>")
        return ("<h4>False variants — each must be refuted by the same checks</h4>"
                '<table class="variants"><thead><tr><th>variant</th><th>description</th><th>verdict</th>'
                "<th>refuted by</th><th>margin</th><th>counterexample</th></tr></thead><tbody>"
                + "".join(rows) + "</tbody></table>")

    def status(self, entry: Mapping[str, Any]) -> str:
        status = entry.get("status")
        if not status:
            return ""
        badge = f'<span class="badge s-badge s-{_esc(status)}">{_esc(status)}</span>'
        if status in CAUTION:
            return f'<p class="caution">{badge} {_esc(STATUS_TEXT[status])}</p>'
        return f'<p class="meta">{badge} {_esc(STATUS_TEXT.get(status, status))}</p>'

    def claim(self, entry: Mapping[str, Any]) -> str:
        anchor = slug(entry["id"])
        label = f" ({_esc(entry['label'])})" if entry.get("label") else ""
        src = entry["source"]
        facts = [("verdict", f"{verdict_badge(entry['verdict'])} expected {_esc(entry['expected'])}"
                  + (' <b class="v-refuted">— not as expected</b>' if _flagged(entry) else ""))]
        if src.get("section"):
            facts.append(("section", _esc(src["section"])))
        facts.append(("seed", _esc(entry["seed"])))
        if entry.get("model"):
            facts.append(("model", f"<code>{_esc(entry['model'])}</code>"))
        if entry.get("proof"):
            facts.append(("derivation", f"<code>proofs/{_esc(entry['proof'])}</code>"))
        if entry.get("message"):
            facts.append(("why", _esc(entry["message"])))
        if entry.get("notes"):
            facts.append(("notes", self.math.text(entry["notes"])))
        if entry.get("digest"):
            facts.append(("digest", f"<code>{_esc(entry['digest'][:16])}</code>"))
        dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        return (f'<article class="claim{" flag" if _flagged(entry) else ""}" id="{anchor}">'
                f"<h3>{verdict_badge(entry['verdict'])} <code>{_esc(entry['id'])}</code>{label} — "
                f"{self.math.text(entry['title'])}</h3>{self.status(entry)}"
                f'<div class="statement">{self.math.formula(entry["statement"], display=True)}</div>'
                f'<dl class="facts">{dl}</dl>'
                + self.part("symbolic", entry.get("symbolic"), anchor)
                + self.part("numeric", entry.get("numeric"), anchor)
                + self.variants(entry) + "</article>")

    # --- sections ----------------------------------------------------------------------------------------------

    def errata(self, printed: list[Mapping[str, Any]]) -> str:
        if not printed:
            return ('<section id="errata"><h2>Errata</h2><p>No claim of this selection is a statement the post '
                    "prints wrongly.</p></section>")
        cards = [self.erratum(e) for e in printed]
        return ('<section id="errata"><h2>Errata</h2><p>Statements as the posts print them that the checks '
                f"refute ({len(printed)}), each with the corrected statement where the report has one.</p>"
                + "".join(cards) + "</section>")

    def corrected(self, entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The corrected claim of an "as printed" one: same label (or id less ``-as-printed``), expected verified."""
        candidates = [e for e in self.report["claims"] if e["expected"] == "verified" and e["id"] != entry["id"]
                      and ((entry.get("label") and e.get("label") == entry["label"])
                           or e["claim_id"] == entry["claim_id"].replace("-as-printed", ""))]
        return candidates[0] if candidates else None

    def erratum(self, entry: Mapping[str, Any]) -> str:
        anchor = slug(entry["id"])
        out = [f'<div class="erratum"><h3><a href="#{anchor}"><code>{_esc(entry["id"])}</code></a>'
               f'{" (" + _esc(entry["label"]) + ")" if entry.get("label") else ""} — {self.math.text(entry["title"])}'
               "</h3>",
               f"<p>As printed in <a href=\"{_esc(entry['source']['url'])}\">{_esc(entry['source']['title'])}</a>"
               f"{', ' + _esc(entry['source']['section']) if entry['source'].get('section') else ''}:</p>",
               f'<div class="statement">{self.math.formula(entry["statement"], display=True)}</div>']
        fixed = self.corrected(entry)
        if fixed is not None:
            out.append(f'<p>Corrected (<a href="#{slug(fixed["id"])}"><code>{_esc(fixed["id"])}</code></a>, '
                       f"{verdict_badge(fixed['verdict'])}):</p>"
                       f'<div class="statement">{self.math.formula(fixed["statement"], display=True)}</div>')
        if entry.get("notes"):
            out.append(f"<p>{self.math.text(entry['notes'])}</p>")
        failing = [ev for part in ("symbolic", "numeric") for ev in (entry.get(part) or {}).get("evidence", [])
                   if ev.get("outcome") == "fail"]
        if failing:
            out.append('<ul class="evidence">' + "".join(self.evidence_item(
                {**ev, "steps": (), "figure": None}, anchor) for ev in failing[:3]) + "</ul>")
        figures = [ev["figure"] for part in ("symbolic", "numeric")
                   for ev in (entry.get(part) or {}).get("evidence", []) if ev.get("figure")]
        if figures:
            out.append(self.figure(figures[0], anchor + "-erratum"))
        return "".join(out) + "</div>"

    def summary(self, posts: list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]) -> str:
        s = self.report["summary"]
        counts = "".join(f"<tr><td>{verdict_badge(v)}</td><td>{s['verdicts'][v]}</td></tr>"
                         for v in VERDICT_ORDER if s["verdicts"].get(v))
        out = [f'<section id="summary"><h2>Summary</h2><p><b>{s["as_expected"]} of {s["total"]}</b> verdicts as '
               "expected.</p>",
               f"<table><thead><tr><th>verdict</th><th>cases</th></tr></thead><tbody>{counts}</tbody></table>"]
        if s.get("unexpected"):
            links = ", ".join(f'<a href="#{slug(c)}"><code>{_esc(c)}</code></a>' for c in s["unexpected"])
            out.append(f'<p class="alert"><b>Not as expected:</b> {links}</p>')
        rows = []
        for source, entries in posts:
            tally = {v: sum(e["verdict"] == v for e in entries) for v in VERDICT_ORDER}
            cells = "".join(f"<td>{tally[v] or ''}</td>" for v in VERDICT_ORDER)
            rows.append(f'<tr><td><a href="#post-{_esc(source["key"])}">{_esc(source["title"])}</a></td>'
                        f"<td>{len(entries)}</td>{cells}</tr>")
        head = "".join(f"<th>{MARK[v]} {v}</th>" for v in VERDICT_ORDER)
        out.append(f"<table><thead><tr><th>post</th><th>cases</th>{head}</tr></thead><tbody>{''.join(rows)}"
                   "</tbody></table></section>")
        return "".join(out)

    def post(self, source: Mapping[str, Any], entries: list[Mapping[str, Any]]) -> str:
        meta = f"{_esc(source['author'])}, {_esc(source['date'])}"
        return (f'<section class="post" id="post-{_esc(source["key"])}"><h2>{_esc(source["title"])}</h2>'
                f'<p class="meta">{meta} — <a href="{_esc(source["url"])}">{_esc(source["url"])}</a> — '
                f"{len(entries)} case(s)</p>" + "".join(self.claim(e) for e in entries) + "</section>")

    def contents(self, posts: list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]], errata: int) -> str:
        items = [f'<li><a href="#errata">Errata</a> ({errata})</li>', '<li><a href="#summary">Summary</a></li>']
        for source, entries in posts:
            claims = "".join(f'<li><a href="#{slug(e["id"])}">{MARK.get(e["verdict"], "")} '
                             f'<code>{_esc(e["id"])}</code></a></li>' for e in entries)
            items.append(f'<li><a href="#post-{_esc(source["key"])}">{_esc(source["title"])}</a>'
                         f'<ol class="toc-claims">{claims}</ol></li>')
        items += ['<li><a href="#environment">Environment</a></li>', '<li><a href="#cite">How to cite</a></li>']
        return f'<nav id="contents"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'

    def environment(self) -> str:
        env, tool = self.report["environment"], self.report.get("tool", {})
        packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
        plugins = ", ".join(f"{p['name']} ({p['origin']}{', ' + p['version'] if p.get('version') else ''})"
                            for p in self.report.get("plugins", []))
        rows = [("tool", f"kexue-verify {tool.get('version')}"), ("python",
                f"{env.get('implementation', '')} {env.get('python')}"),
                ("device", f"{env.get('device')} ({env.get('device_name')})"), ("dtype", env.get("dtype")),
                ("seed", env.get("seed")), ("packages", packages), ("plugins", plugins or "none"),
                ("selection", _num(self.report.get("selection", {})))]
        if env.get("claims_commit"):
            rows.append(("claims commit", env["claims_commit"]))
        body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
        return f'<section id="environment"><h2>Environment</h2><table>{body}</table></section>'

    def cite(self) -> str:
        rid = self.report["report_id"]
        return (f'<section id="cite"><h2>How to cite</h2><p>Cite this report by its id <code>{_esc(rid)}</code>. '
                "<code>kexue-verify report --check report.json</code> recomputes every digest and the id; "
                "<code>kexue-verify rerun report.json</code> runs the same cases again and says whether each "
                "verdict is reproduced; <code>kexue-verify cite report.json --url URL</code> prints this BibTeX "
                f"with the address where you publish it.</p><pre>{_esc(report_bibtex(self.report))}</pre></section>")


def _posts(report: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """The report's claims grouped by source post, posts in the order of their keys."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for entry in report["claims"]:
        groups.setdefault(entry["source"]["url"], []).append(entry)
    sources = {s["url"]: s for s in report.get("sources", [])}
    posts = []
    for url, entries in groups.items():
        source = sources.get(url) or {**entries[0]["source"], "key": _source_key(report, entries[0]["source"])}
        posts.append((source, entries))
    return sorted(posts, key=lambda p: (p[0].get("date", ""), p[0].get("key", "")))


def render_html(report: Mapping[str, Any], figure: Callable[[Mapping[str, Any], str], str] | None = None) -> str:
    """The page as text; ``figure(data, salt)`` draws a figure as inline SVG (default: matplotlib)."""
    if figure is None:
        from kexue_verify.reports.figures import figure_svg

        figure = figure_svg
    problems = check_report(report) if report.get("digests") else ["the report has no digests"]
    report = printable_data(report)
    page = _Page(report, figure)
    posts = _posts(report)
    printed = [e for e in report["claims"] if e["expected"] == "refuted" and e["verdict"] == "refuted"]
    body = [page.errata(printed), page.summary(posts)] + [page.post(s, es) for s, es in posts]
    body += [page.environment(), page.cite()]
    contents = page.contents(posts, len(printed))
    alert = ("" if not problems else '<p class="alert"><b>This report does not match its digests</b> — it was '
             "altered after the run: " + "; ".join(_esc(p) for p in problems) + "</p>")
    if report.get("interrupted"):
        stop = report["interrupted"]
        alert += (f'<p class="alert"><b>Interrupted</b> by {_esc(stop["signal"])}: {_esc(stop["completed"])} of '
                  f"{_esc(stop['planned'])} cases finished; this report is partial.</p>")
    if report.get("code_changed"):
        alert += ('<p class="alert"><b>Code changed during the run</b>: '
                  + ", ".join(f"<code>{_esc(p)}</code>" for p in report["code_changed"]["paths"])
                  + "; cases may have run the edited code, which their definition digests do not name.</p>")
    env = report["environment"]
    s = report["summary"]
    math = (f"{page.math.converted} formulas rendered as MathML"
            + (f"; {page.math.failed} could not be converted and are shown as code" if page.math.failed else ""))
    header = (f"<header><h1>kexue-verify report <code>{_esc(report['report_id'])}</code></h1>"
              f'<p class="meta">Created {_esc(report["created"])} by kexue-verify '
              f"{_esc(report.get('tool', {}).get('version'))} — {s['total']} cases, {s['as_expected']} as expected; "
              f"device {_esc(env.get('device'))}, dtype {_esc(env.get('dtype'))}, seed {_esc(env.get('seed'))}.</p>"
              f"{alert}</header>")
    footer = (f'<footer class="meta" id="about" data-math-converted="{page.math.converted}" '
              f'data-math-failed="{page.math.failed}"><p>{math}; {page.figures} figure(s) inline. '
              "This page is self-contained: no scripts, no external files.</p></footer>")
    title = _esc(f"kexue-verify report {report['report_id']}")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body>\n{header}\n{contents}\n<main>\n" + "\n".join(body)
            + f"\n</main>\n{footer}\n</body></html>\n")
