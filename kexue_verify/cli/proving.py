"""The ``prove`` command: check the derivations of a document step by step."""

from __future__ import annotations

import sys
from typing import Any

import click

from kexue_verify.cli.common import UserError, _fail, cli, plugin_options
from kexue_verify.errors import KexueError


@cli.command(epilog="""
Examples:

\b
  kexue-verify prove --list                # the installed derivation documents
  kexue-verify prove stirling              # an installed document, by name
  kexue-verify prove flows --seed 3
  kexue-verify prove docs/derivations.md   # any document, by path
""")
@click.argument("document", required=False)
@click.option("--list", "list_documents", is_flag=True, help="List the derivation documents that can be named.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random points for sampled steps.")
@plugin_options
def prove(document: str | None, list_documents: bool, seed: int, loaded: Any) -> None:
    """Check every step of the derivations in a document (a name from --list, or a path), printing ✓/✗ and how."""
    from kexue_verify.proofdocs import find_document, installed_documents

    dirs = list(loaded.claims.proof_dirs)
    if list_documents:
        for name, path in installed_documents(dirs).items():
            click.echo(f"{name:<16} {path}")
        return
    if document is None:
        raise UserError("name a derivation document (see `kexue-verify prove --list`) or give its path")
    from kexue_verify.proofs import check_document, format_results

    try:
        results = check_document(find_document(document, dirs), seed=seed)
    except KexueError as exc:
        raise _fail(exc) from None
    click.echo(format_results(results))
    sys.exit(0 if all(r.ok for r in results) else 1)
