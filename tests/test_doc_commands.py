"""Every command in docs/ is run, so a stale or broken command in the documentation fails the suite.

Each page is one shell session in a fresh folder (see ``tests/doc_commands.py``).  In the quick suite the
``run`` commands go through everything but the checks themselves — options, selection, the plan of cases,
the report files — with every case given its expected verdict; pages that show a command's output
(``<!-- output -->``) run it for real and must print exactly that.  The slow suite runs for real every
``run`` command that selects at most :data:`REAL_RUN_CASES` cases, and every ``prove``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from doc_commands import ROOT, Command, normalise, pages, run_pipeline_tail, session, why_not_run

from kexue_verify.cli import cli
from kexue_verify.verdicts import CaseResult

#: The slow suite runs a documented ``run`` for real when it selects at most this many cases.
REAL_RUN_CASES = 25
PAGES = pages()


def _ids(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _expected_results(cases: Any, loaded: Any, config: Any, *, started: Any = None, fork: bool = True) -> Any:
    """Stands in for the runner in the quick suite: every case gets the verdict it expects."""
    if started is not None:
        started()
    for case in cases:
        yield CaseResult(case.id, case.claim.id, case.model.name if case.model else None, case.claim.expected,
                         case.claim.expected, 0, {}, [], "not run: the docs test checks the command, not the claims",
                         0.0)


@dataclass
class Shell:
    folder: Path
    real: bool
    monkeypatch: pytest.MonkeyPatch
    last_run_real: bool = False
    real_reports: dict[str, bool] = field(default_factory=dict)  # report file -> written by a real run?

    def run(self, command: Command) -> str:
        for name, text in command.files.items():
            (self.folder / name).write_text(text, encoding="utf-8")
        printed = ""
        for part in (p.strip() for p in command.text.split("&&")):
            if part.startswith("cd "):
                self.folder = self.folder / shlex.split(part)[1]
                continue
            if why_not_run(part) is not None:
                continue
            printed = self._one(part, command)
        return printed

    def _one(self, text: str, command: Command) -> str:
        pipe_tail = None
        if " | " in text:
            text, pipe_tail = (s.strip() for s in text.split(" | ", 1))
        argv = shlex.split(text)
        env = {}
        while "=" in argv[0]:
            key, _, value = argv.pop(0).partition("=")
            env[key] = value
        redirect = None
        if ">" in argv:
            redirect = argv[argv.index(">") + 1]
            argv = argv[: argv.index(">")]
        assert argv[0] == "kexue-verify"
        argv = argv[1:]
        if argv[0] == "prove" and not self.real and "--list" not in argv and command.output is None:
            from kexue_verify.proofdocs import find_document

            with self.monkeypatch.context() as m:  # the quick suite only checks that the document is found
                m.chdir(self.folder)
                find_document(next(a for a in argv[1:] if not a.startswith("-")))
            return ""
        stubbed = not self._real(argv, command)
        with self.monkeypatch.context() as m:
            m.chdir(self.folder)
            if stubbed:
                m.setattr("kexue_verify.pipeline.run_cases", _expected_results)
            result = CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)
        allowed = {0, 4} if "cuda" in argv else {0}
        if command.output is not None:  # the page shows what it prints, a failure included; compared below
            allowed = {0, 1, 2, 3, 4}
        assert result.exit_code in allowed, (
            f"line {command.line}: `{command.text}` exited {result.exit_code}\n{result.output}")
        if redirect:
            (self.folder / redirect).write_text(result.stdout, encoding="utf-8")
        if argv[0] == "run":
            for written in [*_values(argv, "-o"), *_values(argv, "--output"), *([redirect] if redirect else [])]:
                self.real_reports[str(self.folder / written)] = not stubbed
        if pipe_tail:
            tail = run_pipeline_tail(pipe_tail, result.stdout, self.folder)
            assert tail.returncode == 0, f"line {command.line}: `{command.text}`: {tail.stderr}"
        return result.output

    def _real(self, argv: list[str], command: Command) -> bool:
        if command.output is not None:
            return True
        if argv[0] == "rerun":  # re-runs the report's cases: as the run that wrote that report did
            report = next((a for a in argv[1:] if not a.startswith("-")), "")
            return self.real_reports.get(str(self.folder / report), self.last_run_real)
        if argv[0] != "run" or not self.real:
            if argv[0] == "run":
                self.last_run_real = False
            return argv[0] != "run"
        from kexue_verify.pipeline import plan
        from kexue_verify.plugins import LoadOptions, load

        words = [a for a in argv[1:] if not a.startswith("-")]
        if "all" in words or "cuda" in argv:
            self.last_run_real = False
            return False
        options = LoadOptions.from_env(dirs=[str(self.folder / d) for d in _values(argv, "--plugins-dir")])
        keyword = next(iter(_values(argv, "-k")), None)
        self.last_run_real = len(plan(load(options), _patterns(argv) or ("all",), keyword=keyword)) <= REAL_RUN_CASES
        return self.last_run_real


def _values(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == option]


def _patterns(argv: list[str]) -> tuple[str, ...]:
    takes_value = {"-k", "--tag", "-o", "--output", "--seed", "--device", "--dtype", "--timeout", "-j", "--jobs",
                   "--durations", "-p", "--plugin", "--plugins-dir"}
    out, skip = [], False
    for a in argv[1:]:
        if skip:
            skip = False
        elif a in takes_value:
            skip = True
        elif not a.startswith("-"):
            out.append(a)
    return tuple(out)


def _run_page(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, real: bool) -> None:
    monkeypatch.setenv("KEXUE_VERIFY_CACHE_DIR", str(tmp_path / ".cache"))
    monkeypatch.delenv("KEXUE_VERIFY_PLUGINS", raising=False)
    (tmp_path / "docs").symlink_to(ROOT / "docs")  # commands may name the docs' own files, as in a checkout
    shell = Shell(tmp_path, real, monkeypatch)
    for command in session(page):
        if why_not_run(command.text) is not None:
            continue
        printed = shell.run(command)
        if command.output is not None:
            assert normalise(printed, shell.folder) == normalise(command.output), (
                f"{page.name} line {command.line}: `{command.text}` printed\n{printed}")


def test_the_docs_have_commands_to_run() -> None:
    counted = sum(1 for page in PAGES for c in session(page) if why_not_run(c.text) is None)
    assert counted >= 40


@pytest.mark.parametrize("page", PAGES, ids=_ids)
def test_every_documented_command_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run_page(page, tmp_path, monkeypatch, real=False)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=_ids)
def test_every_documented_command_runs_for_real(page: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _run_page(page, tmp_path, monkeypatch, real=True)


def test_the_quickstart_summary_line_is_what_run_all_gives() -> None:
    """The sample summary of `run all` in the quickstart: the number of cases and of expected verdicts."""
    from kexue_verify.pipeline import plan
    from kexue_verify.plugins import LoadOptions, load

    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    cases = plan(load(LoadOptions(only=None)), ("all",))
    expected = [(c.model.expected_for(c.claim.id) if c.model is not None else None) or c.claim.expected
                for c in cases]  # a control model's declared expectation replaces the claim's
    verified = sum(e.value == "verified" for e in expected)
    line = (f"{len(cases)} of {len(cases)} as expected ({verified} verified, {len(cases) - verified} refuted); "
            "report kv-")
    assert line in text, f"docs/quickstart.md should show: {line}…"
