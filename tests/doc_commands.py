"""Reading the commands out of the docs, and running them as a reader would, one shell session per page.

A page is read top to bottom.  A code block preceded by ``<!-- file: NAME -->`` (or ``<!-- example: NAME -->``)
is written to ``NAME`` in the session's folder, again each time it appears (so a page can show a file, then its
fix).  Every ``kexue-verify`` command of a ``bash`` block is run in that folder, in order; ``cd``, ``&&``, ``>``
and ``| python ...`` work as in a shell.  A ``text`` block preceded by ``<!-- output -->`` must equal what the
command before it printed (durations and report ids aside).  Commands that are not ``kexue-verify`` are listed
in :data:`NOT_RUN` with the reason.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Commands in the docs that are not kexue-verify commands, by their first words, and why no test runs them.
NOT_RUN = {
    "python -m venv": "creates a virtual environment",
    "pip install": "installs packages",
    "python -m pytest": "the test suite itself",
    "ruff check": "run by the lint step of CI",
    "tox": "runs the suite on several Pythons",
    "export": "sets the shell's environment for tox",
    "python benchmarks/": "a benchmark, run by hand; its figures are in the docs",
    "python3.": "sets up another Python for a test of the standard-library-only modules",
    "PYTHONPATH=": "runs tests under another Python",
    "dask scheduler": "starts a dask scheduler on a cluster's head machine",
    "dask worker": "starts dask workers on a cluster's machines",
    "cd ": "",  # handled: changes the session's folder
}
_MARKER = re.compile(r"^<!-- (file|example): (\S+) -->$")
_FENCE = re.compile(r"^(`{3,})([\w-]*)(.*)$")


@dataclass
class Block:
    lang: str
    text: str
    line: int
    file: str | None = None  # from <!-- file: NAME -->
    expected_output: bool = False  # from <!-- output -->


@dataclass
class Command:
    """One shell line of a page: its text, its line number, and the output block that follows it, if any."""

    text: str
    line: int
    output: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # files to write before it runs


def blocks(page: Path) -> list[Block]:
    found, lines = [], page.read_text(encoding="utf-8").splitlines()
    pending_file, pending_output, i = None, False, 0
    while i < len(lines):
        marker = _MARKER.match(lines[i].strip())
        if marker:
            pending_file = marker.group(2)
        elif lines[i].strip() == "<!-- output -->":
            pending_output = True
        fence = _FENCE.match(lines[i])
        if fence:
            start, i = i + 1, i + 1
            while i < len(lines) and lines[i].rstrip() != fence.group(1):
                i += 1
            found.append(Block(fence.group(2), "\n".join(lines[start:i]) + "\n", start, pending_file, pending_output))
            pending_file, pending_output = None, False
        i += 1
    return found


def shell_lines(text: str) -> Iterator[tuple[int, str]]:
    """The commands of a bash block: continuation lines joined, comments dropped."""
    joined, first = "", 0
    for offset, raw in enumerate(text.splitlines()):
        line = raw.rstrip()
        if not joined:
            first = offset
        if line.endswith("\\"):
            joined += line[:-1] + " "
            continue
        joined += line
        command = _strip_comment(joined).strip()
        joined = ""
        if command:
            yield first, command


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if ch in "'\"" and quote in (None, ch):
            quote = None if quote else ch
        elif ch == "#" and quote is None and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def session(page: Path) -> list[Command]:
    """The page's commands in order, each with the files written before it and its expected output."""
    commands: list[Command] = []
    files: dict[str, str] = {}
    for block in blocks(page):
        if block.file:
            files[block.file] = block.text
        elif block.lang in ("bash", "sh", "console", "shell"):
            body = block.text
            if block.lang == "console":  # "$ command" lines; the others are its output
                body = "\n".join(line[2:] if line.startswith("$ ") else "" for line in body.splitlines())
            for offset, text in shell_lines(body):
                commands.append(Command(text, block.line + offset + 1, files=dict(files)))
                files = {}
        elif block.expected_output and commands:
            commands[-1].output = block.text
    return commands


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if p.name != "cli.md")


def why_not_run(command: str) -> str | None:
    """``None`` for a kexue-verify command line (possibly after ``cd`` and ``&&``); else why it is not run."""
    parts = [p.strip() for p in command.split("&&")]
    words = [p for p in parts if not p.startswith("cd ")]
    for part in words:
        if part.startswith("PYTHONPATH="):
            return NOT_RUN["PYTHONPATH="]
        part = re.sub(r"^(?:[A-Z_][A-Z0-9_]*=(?:\"[^\"]*\"|'[^']*'|\S*)\s+)+", "", part)  # VAR=value prefixes
        if part.startswith("kexue-verify "):
            continue
        for prefix, why in NOT_RUN.items():
            if part.startswith(prefix) and why:
                return why
        raise AssertionError(f"a command in the docs that no test runs and NOT_RUN does not explain: {command!r}")
    return None


_VOLATILE = [(re.compile(r"\[\d+\.\d+s\]"), "[…s]"), (re.compile(r"kv-[0-9a-f]{20}"), "kv-…"),
             (re.compile(r"^ +\d+\.\d+s  ", re.M), "   …s  ")]


def normalise(text: str, folder: Path | None = None) -> str:
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    if folder is not None:
        text = text.replace(str(folder) + os.sep, "")
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def run_pipeline_tail(tail: str, stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``… | python -m json.tool``: the right-hand side of a pipe, with this interpreter."""
    argv = shlex.split(tail)
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60, check=False)
