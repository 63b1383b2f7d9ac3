"""Regenerate docs/reference/cli.md from the click commands:  python docs/gen_cli_reference.py

tests/test_docs.py fails when the file is out of date, so the reference always matches ``--help``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kexue_verify.cli import cli

TARGET = Path(__file__).parent / "reference" / "cli.md"


def _context(command: click.Command, name: str, parent: click.Context | None = None) -> click.Context:
    # The group's context_settings (``-h``, the width) apply as they do on the command line: a bare Context would
    # leave them out until click has once built a real context for the command.
    settings = {**cli.context_settings, "terminal_width": 100, "max_content_width": 100}
    return click.Context(command, info_name=name, parent=parent, **settings)


def _help(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    return command.get_help(_context(command, name, parent))


def render() -> str:
    root = _context(cli, "kexue-verify")
    parts = [
        "# Command-line reference",
        "",
        "Generated from the commands' own `--help` by `python docs/gen_cli_reference.py`; do not edit by hand.",
        "",
        "## kexue-verify",
        "",
        "```text",
        _help(cli, "kexue-verify").rstrip(),
        "```",
        "",
    ]
    for name in sorted(cli.commands):
        parts += [f"## kexue-verify {name}", "", "```text", _help(cli.commands[name], name, root).rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
