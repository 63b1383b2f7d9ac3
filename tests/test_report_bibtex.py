"""BibTeX output, read back by a BibTeX parser: unique keys, escaped fields, an entry for the report itself."""

from __future__ import annotations

import copy

import pytest
from test_reports import golden_report

from kexue_verify.claims import Source
from kexue_verify.reports import seal, unique_keys
from kexue_verify.reports.bibtex import escape_latex, escape_url, report_bibtex

bibtexparser = pytest.importorskip("bibtexparser")

# The two flow posts, as kexue_verify_plugins/flows declares them.
FLOW_5776 = {"title": "细水长flow之NICE：流模型的基本概念与实现 "
                      "(NICE: the basic concepts and implementation of flow models)",
             "author": "Su, Jianlin", "date": "2018-08-11", "url": "https://kexue.fm/archives/5776",
             "language": "chinese"}
FLOW_5807 = {"title": "细水长flow之RealNVP与Glow：流模型的传承与升华 "
                      "(RealNVP and Glow: the heritage and sublimation of flow models)",
             "author": "Su, Jianlin", "date": "2018-08-26", "url": "https://kexue.fm/archives/5807",
             "language": "chinese"}


def parse(text: str):
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == [], [type(b).__name__ for b in library.failed_blocks]
    return library


def test_two_posts_with_one_key_get_unique_keys() -> None:
    assert Source(**FLOW_5776).key == Source(**FLOW_5807).key == "su2018flow"
    keyed = unique_keys([dict(FLOW_5807), dict(FLOW_5776)])
    assert [(s["key"], s["url"][-4:]) for s in keyed] == [("su2018flowa", "5776"), ("su2018flowb", "5807")]
    assert unique_keys([dict(FLOW_5776)])[0]["key"] == "su2018flow"


def test_the_output_parses_with_unique_keys_and_escaped_fields() -> None:
    report = golden_report()
    report["sources"] = unique_keys([dict(FLOW_5776), dict(FLOW_5807),
                                     {"title": r"Odd {title} with 100% & #1 a_b ~ ^ \ $x$", "author": "O'Neil, Ann",
                                      "date": "2020", "url": "https://example.org/a b/{x}\\y"}])
    library = parse(report_bibtex(seal(report)))
    keys = [e.key for e in library.entries]
    assert len(keys) == len(set(keys)) == 4
    assert keys[0] == report["report_id"]
    odd = next(e for e in library.entries if e.key == "oneil2020odd")
    title = odd["title"]
    for escaped in (r"\textbraceleft{}title\textbraceright{}", r"100\%", r"\&", r"\#1", r"a\_b",
                    r"\textasciitilde{}", r"\textasciicircum{}", r"\textbackslash{}", r"\$x\$"):
        assert escaped in title
    assert odd["url"] == "https://example.org/a%20b/%7Bx%7D%5Cy"


def test_the_report_entry_has_its_id_date_version_and_url() -> None:
    report = golden_report()
    library = parse(report_bibtex(report, url="https://example.org/paper/supplement.html"))
    entry = library.entries[0]
    assert entry.entry_type == "online"
    assert entry.key == report["report_id"]
    assert entry["date"] == "2024-01-02"
    assert entry["version"] == "0.1.0"
    assert entry["url"] == "https://example.org/paper/supplement.html"
    assert report["report_id"] in entry["note"]
    assert "seed 0" in entry["note"]
    assert "url" not in parse(report_bibtex(report)).entries[0].fields_dict


def test_a_report_with_colliding_keys_still_gets_unique_entries() -> None:
    report = copy.deepcopy(golden_report())
    report["sources"].append({**report["sources"][1]})  # an edited report: the same key twice
    keys = [e.key for e in parse(report_bibtex(report)).entries]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "plain"),
    ("a & b", r"a \& b"),
    ("{x}", r"\textbraceleft{}x\textbraceright{}"),
    ("a lone { brace", r"a lone \textbraceleft{} brace"),
    ("line\nbreak\x00", "line break "),
])
def test_escape_latex(text: str, expected: str) -> None:
    assert escape_latex(text) == expected


def test_escape_url_keeps_percent_and_hash() -> None:
    assert escape_url("https://kexue.fm/archives/5776#a%20b") == "https://kexue.fm/archives/5776#a%20b"
    assert escape_url('https://x.org/{a} "b"') == "https://x.org/%7Ba%7D%20%22b%22"
