"""The commands that read a written report: ``report`` (render it, or check that it is unaltered) and ``cite``
(BibTeX for it and its sources)."""

from __future__ import annotations

import sys
from typing import Any

import click

from kexue_verify.cli.common import UserError, _load_checked, _prepare_outputs, _write_outputs, cli, plugin_options


@cli.command(epilog="""
Examples:

\b
  kexue-verify report report.json -o report.html -o report.md
  kexue-verify report --check report.json    # exit 1, naming each altered part, if it was edited
""")
@click.argument("report_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE",
              help="Write the report in the format its extension names (repeatable).")
@click.option("--check", "check", is_flag=True,
              help="Recompute every claim digest, section digest and the report id; exit 1 naming what was altered.")
@plugin_options
def report(report_file: str, outputs: tuple[str, ...], check: bool, loaded: Any) -> None:
    """Render a JSON report (HTML, Markdown, JUnit XML), or check that it is unaltered."""
    if not outputs and not check:
        raise UserError("say what to do with the report: -o report.html (repeatable) and/or --check")
    from kexue_verify import outputs as report_outputs
    from kexue_verify.reports import check_report

    destinations = _prepare_outputs(outputs, loaded)
    try:
        data = _load_checked(report_file, refuse_altered=False)
    except BaseException:
        report_outputs.discard(destinations)
        raise
    _write_outputs(data, destinations)
    if check:
        problems = check_report(data)
        for problem in problems:
            click.secho(f"altered: {problem}", fg="red", err=True)
        if problems:
            click.echo(f"{report_file}: {len(problems)} part(s) do not match the digests; "
                       f"it is not report {data.get('report_id')}")
            sys.exit(1)
        click.echo(f"{report_file}: intact; {len(data['claims'])} claim digests, the section digests and "
                   f"the id {data['report_id']} match its content")


@cli.command(epilog="""
Examples:

\b
  kexue-verify cite report.json > references.bib
  kexue-verify cite report.json --url https://example.org/supplement/report.html
""")
@click.argument("report_file", type=click.Path(dir_okay=False))
@click.option("--url", metavar="URL", help="Where you publish the report: the url field of its entry.")
def cite(report_file: str, url: str | None) -> None:
    """Print BibTeX for a report and its source posts (an altered report is refused).

    The report's entry is keyed by its id and carries its date, the tool version and --url; each source post gets
    an entry with a key unique in the output.
    """
    from kexue_verify.reports.bibtex import report_bibtex

    data = _load_checked(report_file, refuse_altered=True)
    click.echo(report_bibtex(data, url=url), nl=False)
