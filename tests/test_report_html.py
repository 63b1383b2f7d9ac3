"""The HTML report's structure: findings first, claims by post, MathML, inline SVG, status, anchors, escaping."""

from __future__ import annotations

import copy
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from test_reports import _entry, _evidence, _part, golden_report

from kexue_verify.reports import seal
from kexue_verify.reports.html import render_html
from kexue_verify.reports.mathml import MathRenderer, split_prose

pytest.importorskip("latex2mathml")


class Outline(HTMLParser):
    """Ids, links, tags (and their nesting under <main>), and the text outside code, math and svg."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: Counter[str] = Counter()
        self.sections: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Any]]) -> None:
        attrs_d = dict(attrs)
        self.tags[tag] += 1
        if "id" in attrs_d:
            self.ids.append(attrs_d["id"])
        if tag == "a" and "href" in attrs_d:
            self.links.append(attrs_d["href"])
        if tag == "section" and "id" in attrs_d:
            self.sections.append(attrs_d["id"])
        if tag in ("code", "pre", "math", "svg", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "math", "svg", "style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def rich_report() -> dict[str, Any]:
    """The golden report plus an erratum with its corrected claim, statuses, a figure with a caption."""
    report = copy.deepcopy(golden_report())
    printed = next(e for e in report["claims"] if e["id"] == "demo.typo")
    printed.update(status="typo", notes="The post means $2^{10} = 1024$.")
    report["claims"].append(_entry(
        "demo.typo-corrected", "verified", "verified", label="DM-2", title="A power of two, corrected",
        statement=r"2^{10} = 1024", status="constructed",
        numeric=_part("pass", [_evidence("2**10", "pass", figure={
            "title": "powers", "xlabel": "k", "ylabel": "2^k", "caption": "the points double at each step",
            "series": [{"label": "2^k", "x": [1, 2, 3], "y": [2, 4, 8]}]})]),
        false_variants=[{"name": "thousand", "description": r"2^{10} = 1000 (the post's x^{-(k+1)/2} slip)",
                         "verdict": "refuted", "refuted": True,
                         "numeric": _part("fail", [_evidence("2**10", "fail", quantities={"error": 24.0},
                                                             expected=1000.0, counterexample={"k": 10})])}],
    ))
    stirling = next(e for e in report["claims"] if e["id"] == "demo.stirling")
    stirling["status"] = "empirical"
    report["claims"].sort(key=lambda e: e["id"])
    report["summary"]["total"] += 1
    report["summary"]["verdicts"]["verified"] += 1
    report["summary"]["as_expected"] += 1
    return seal(report)


def fake_svg(figure: dict[str, Any], salt: str) -> str:
    return f'<svg id="svg-{salt}" viewBox="0 0 10 10"><text>{figure.get("title")}</text></svg>'


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(rich_report(), figure=fake_svg)


@pytest.fixture(scope="module")
def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    return parser


def test_findings_come_first_then_the_summary_then_the_posts(outline: Outline) -> None:
    assert outline.sections == ["errata", "summary", "post-su2016stirling", "post-dinh2017density",  # by date
                                "environment", "cite"]


def test_the_erratum_shows_the_printed_and_the_corrected_statement(page: str) -> None:
    errata = page[page.index('<section id="errata">'):page.index('<section id="summary">')]
    assert "demo.typo" in errata
    assert 'href="#demo-typo-corrected"' in errata  # the corrected claim, found by its label
    assert errata.count("<math") >= 3  # printed, corrected, and the note's formula
    assert "counterexample" in errata


def test_every_anchor_is_unique_and_every_internal_link_resolves(outline: Outline) -> None:
    assert len(outline.ids) == len(set(outline.ids)), [i for i, n in Counter(outline.ids).items() if n > 1]
    internal = [link[1:] for link in outline.links if link.startswith("#")]
    assert set(internal) <= set(outline.ids), set(internal) - set(outline.ids)
    for claim in rich_report()["claims"]:
        assert re.sub(r"[^a-z0-9]+", "-", claim["id"]).strip("-") in outline.ids


def test_no_raw_tex_outside_code(outline: Outline) -> None:
    text = "".join(outline.text)
    assert "$" not in text
    assert not re.search(r"\\[A-Za-z]+", text), re.findall(r".{20}\\[A-Za-z]+.{20}", text)


def test_statements_steps_and_variant_descriptions_are_mathml(page: str) -> None:
    assert page.count('display="block"') >= len(rich_report()["claims"])  # one display formula per statement
    steps = page[page.index('<table class="steps">'):]
    assert "<math" in steps[:steps.index("</table>")]
    assert "<code>n*log(n) - n</code>" in page  # a step without LaTeX is shown as code, not as math
    variants = page[page.index('<table class="variants">'):]
    first_row = variants[:variants.index("</tr>", variants.index("<tbody>"))]
    assert "<math" in first_row
    assert "instead of" in first_row


def test_a_false_variant_shows_which_check_refuted_it_and_by_what_margin(page: str) -> None:
    row = page[page.index("<code>thousand</code>"):]
    row = row[:row.index("</tr>")]
    assert "numeric: 2**10" in row
    assert "error = 24; expected 1000" in row
    assert "{k: 10}" in row


def test_figures_are_inline_svg_with_their_caption(page: str, outline: Outline) -> None:
    assert outline.tags["svg"] == 2
    assert outline.tags["img"] == 0
    assert "Figure 2. the points double at each step" in page


def test_status_is_shown_and_constructed_and_empirical_claims_stand_out(page: str) -> None:
    assert page.count('<p class="caution">') == 2
    assert "constructed: not the post&#x27;s own words" in page
    assert "empirical: the post&#x27;s statement is qualitative" in page
    assert '<span class="badge s-badge s-typo">typo</span>' in page


def test_verdict_marks_are_ordinary_characters(page: str) -> None:
    assert not re.search("[\U0001F300-\U0001FAFF\u2705\u274C\u2754\u23F1\u23ED]", page)  # no emoji


def test_an_unconvertible_formula_is_shown_as_code_and_counted() -> None:
    report = rich_report()
    report["claims"][0]["statement"] = r"\frac{1}{"
    report["claims"][1]["statement"] = r"\unknowncommand x"
    page = render_html(seal(report), figure=fake_svg)
    assert page.count('class="tex-failed"') == 2
    assert 'data-math-failed="2"' in page
    assert "2 could not be converted and are shown as code" in page


def test_an_altered_report_says_so_at_the_top(page: str) -> None:
    assert "does not match its digests" not in page
    report = rich_report()
    report["claims"][0]["verdict"] = "verified"
    altered = render_html(report, figure=fake_svg)
    assert altered.index("This report does not match its digests") < altered.index('<nav id="contents">')


def test_text_cannot_inject_markup() -> None:
    report = rich_report()
    report["claims"][0]["title"] = '<img src=x onerror="alert(1)">'
    report["claims"][0]["false_variants"] = [{"name": "v", "description": "<b>x</b> a^{<script>}",
                                              "verdict": "refuted", "refuted": True}]
    page = render_html(seal(report), figure=fake_svg)
    assert "<img" not in page
    assert "<script" not in page
    assert "<b>x</b>" not in page


@pytest.mark.parametrize(("text", "pieces"), [
    (r"x^{-k/2} in place of x^{-(k+1)/2}", [(True, "x^{-k/2}"), (False, " in place of "), (True, "x^{-(k+1)/2}")]),
    (r"prefactor \sqrt{2\pi x}", [(False, "prefactor "), (True, r"\sqrt{2\pi x}")]),
    ("odd q-orders give nonzero terms", [(False, "odd q-orders give nonzero terms")]),
    ("the $\\sqrt{2}$ bound", [(False, "the "), (True, r"\sqrt{2}"), (False, " bound")]),
    (r"q^1 coefficient u + xu^3/6", [(True, "q^1"), (False, " coefficient "), (True, "u + xu^3/6")]),
    ("torch's spectral_norm on a Conv2d (create_graph=True)",
     [(False, "torch's spectral_norm on a Conv2d (create_graph=True)")]),
])
def test_split_prose(text: str, pieces: list[tuple[bool, str]]) -> None:
    assert split_prose(text) == pieces


def test_sim_is_an_operator() -> None:
    assert "<mo>&#x0223C;</mo>" in MathRenderer().formula(r"n! \sim \sqrt{2\pi n}")


def test_the_page_of_a_real_run_renders_every_claim(fake_run) -> None:
    page = (fake_run.folder / "report.html").read_text(encoding="utf-8")
    report = fake_run.report
    assert f"<code>{report['report_id']}</code>" in page
    for e in report["claims"]:
        assert f'id="{re.sub(r"[^a-z0-9]+", "-", e["id"]).strip("-")}"' in page
    assert 'data-math-failed="0"' in page
    assert "This report does not match" not in page
