"""The ``kexue-verify`` command: thin commands over library functions.

Exit codes, in pytest's spirit: 0 every verdict as expected; 1 some verdict not as expected;
2 a usage error (unknown claim, bad option, missing file); 3 an error or timeout inside a check;
4 every selected case was skipped, so nothing was checked.
``list``, ``show`` and ``--help`` import neither torch nor sympy.

The group and what its commands share are in :mod:`kexue_verify.cli.common`; the commands are grouped in
:mod:`~kexue_verify.cli.catalogue` (list, show, plugins), :mod:`~kexue_verify.cli.running` (run, rerun),
:mod:`~kexue_verify.cli.reporting` (report, cite), :mod:`~kexue_verify.cli.proving` (prove) and
:mod:`~kexue_verify.cli.maintenance` (cache, new-plugin). Every name of the former single module is
importable from here (the private ones are marked as re-exports).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from kexue_verify.cli.catalogue import _list_cases, _plan, list_, plugins, show  # noqa: F401
from kexue_verify.cli.common import (
    EXAMPLES_MAIN,
    STDOUT,
    F,  # noqa: F401
    UserError,
    _fail,  # noqa: F401
    _load_checked,  # noqa: F401
    _prepare_outputs,  # noqa: F401
    _write_outputs,  # noqa: F401
    cli,
    complete_claims,
    plugin_options,
)
from kexue_verify.cli.maintenance import cache, cache_clear, cache_info, new_plugin
from kexue_verify.cli.proving import prove
from kexue_verify.cli.reporting import cite, report
from kexue_verify.cli.running import _resolve_device, rerun, run  # noqa: F401
from kexue_verify.errors import PluginError

__all__ = [
    "EXAMPLES_MAIN", "STDOUT", "UserError", "cache", "cache_clear", "cache_info", "cite", "cli",
    "complete_claims", "list_", "main", "new_plugin", "plugin_options", "plugins", "prove", "report", "rerun", "run",
    "show",
]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script; library errors become one line and exit code 2.

    SIGINT, SIGTERM and SIGHUP outside a run (which handles them itself, keeping its results) end the
    command with one line and ``128 + N``: 130 for Ctrl-C, 143 for SIGTERM.
    """
    from kexue_verify.interrupts import Interrupted, signals_interrupt

    try:
        with signals_interrupt():
            cli.main(args=list(argv) if argv is not None else None, prog_name="kexue-verify")
    except PluginError as exc:  # pragma: no cover - raised only outside click's own handling
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except Interrupted as exc:
        click.echo(str(exc), err=True)
        sys.exit(exc.exit_code)
