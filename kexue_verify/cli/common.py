"""What every command of the ``kexue-verify`` group shares: the group itself (:func:`cli`), :class:`UserError`,
the ``-p/--plugins-dir/--strict-plugins`` options (:func:`plugin_options`), claim completion, and the helpers
that load, check and write reports.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from kexue_verify.errors import KexueError

F = TypeVar("F", bound=Callable[..., Any])

EXAMPLES_MAIN = """
Examples:

\b
  kexue-verify run all                       # every claim; exit 0 when all is as expected
  kexue-verify run all -o report.json -o report.md
  kexue-verify list --json                   # the claims, machine-readable
  kexue-verify show stirling.formula         # one claim, its source and false variants
  kexue-verify prove stirling                # check a derivation document step by step
  kexue-verify cite report.json              # BibTeX for the report and its sources
  kexue-verify report --check report.json    # was the report altered after the run?
  kexue-verify rerun report.json             # are its verdicts reproduced?
"""


class UserError(click.ClickException):
    """A mistake the user can fix: one line, exit code 2, no traceback."""

    exit_code = 2


def _fail(exc: KexueError) -> UserError:
    return UserError(str(exc))


def complete_claims(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of claim ids, families and labels (``eval "$(_KEXUE_VERIFY_COMPLETE=bash_source ...)"``)."""
    from click.shell_completion import CompletionItem

    from kexue_verify.plugins import LoadOptions, load

    try:
        loaded = load(LoadOptions.from_env(modules=ctx.params.get("plugin_modules") or (),
                                           dirs=ctx.params.get("plugin_dirs") or ()))
    except Exception:  # noqa: BLE001 - completion must never print a traceback into the shell
        return []
    words = {"all": "every claim"}
    for claim in loaded.claims:
        words.setdefault(claim.family, "family")
        words[claim.id] = claim.title
        if claim.label:
            words[claim.label] = claim.id
    return [CompletionItem(w, help=h) for w, h in sorted(words.items()) if w.startswith(incomplete)]


def plugin_options(func: F) -> F:
    """``-p MODULE``, ``--plugins-dir DIR`` and ``--strict-plugins`` for commands that load plugins."""

    @click.option("-p", "--plugin", "plugin_modules", multiple=True, metavar="MODULE",
                  help="Also load this importable plugin module (repeatable).")
    @click.option("--plugins-dir", "plugin_dirs", multiple=True, type=click.Path(file_okay=False),
                  metavar="DIR", help="Make DIR an import root and load each module and package in it as a plugin "
                       "(repeatable; names starting with '_' and test files are skipped).")
    @click.option("--strict-plugins", is_flag=True, help="Fail if any plugin cannot be loaded.")
    @functools.wraps(func)
    def wrapper(*args: Any, plugin_modules: tuple[str, ...], plugin_dirs: tuple[str, ...],
                strict_plugins: bool, **kwargs: Any) -> Any:
        from kexue_verify.plugins import LoadOptions, load

        try:
            loaded = load(LoadOptions.from_env(modules=plugin_modules, dirs=plugin_dirs, strict=strict_plugins))
        except KexueError as exc:
            raise _fail(exc) from None
        for problem in loaded.problems:
            click.secho(f"warning: plugin {problem.name!r} ({problem.origin}) not loaded: {problem.error}",
                        fg="yellow", err=True)
        return func(*args, loaded=loaded, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group(epilog=EXAMPLES_MAIN, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="kexue-verify", prog_name="kexue-verify")
def cli() -> None:
    """Check the mathematics of machine-learning writing, symbolically and numerically, and report it."""


#: ``-o -``: the JSON report on stdout (the terminal output then goes to stderr).
STDOUT = "-"


def _load_checked(report_file: str, *, refuse_altered: bool) -> dict[str, Any]:
    """Load a report; with ``refuse_altered``, refuse one whose digests or id do not match its content."""
    from kexue_verify.reports import check_report, load_report

    try:
        data = load_report(report_file)
    except KexueError as exc:
        raise _fail(exc) from None
    problems = check_report(data)
    if problems and refuse_altered:
        raise UserError(f"{report_file} was altered after it was written, so it cannot be cited as "
                        f"{data.get('report_id')}:\n  " + "\n  ".join(problems)
                        + "\nrun the selection again (`kexue-verify rerun`) to get a report that checks")
    return data


def _write_outputs(data: dict[str, Any], destinations: Any) -> None:
    from kexue_verify import outputs as report_outputs

    try:
        for path in report_outputs.write(data, destinations):
            click.echo(f"wrote {path}", err=True)
    except KexueError as exc:
        raise _fail(exc) from None


def _prepare_outputs(outputs: Sequence[str], loaded: Any) -> Any:
    """Check every ``-o`` path before anything runs (see :mod:`kexue_verify.outputs`)."""
    from kexue_verify import outputs as report_outputs

    try:
        return report_outputs.prepare(outputs, loaded.reporters)
    except KexueError as exc:
        raise _fail(exc) from None
