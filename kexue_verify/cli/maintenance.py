"""The housekeeping commands: ``cache`` (``info``, ``clear``) and ``new-plugin`` (a plugin package to start
from)."""

from __future__ import annotations

from pathlib import Path

import click

from kexue_verify.cli.common import _fail, cli
from kexue_verify.errors import KexueError


@cli.group(epilog="""
Examples:

\b
  kexue-verify cache info
  kexue-verify cache clear
  KEXUE_VERIFY_CACHE_DIR=/tmp/kv-cache kexue-verify run all
""")
def cache() -> None:
    """The result cache that `run` reuses verdicts from (in the user cache directory)."""


@cache.command("info")
def cache_info() -> None:
    """Print where the cache is and how many results it holds."""
    from kexue_verify.result_cache import ResultCache

    store = ResultCache()
    click.echo(f"{store.directory}: {store.entries()} stored results")


@cache.command("clear")
def cache_clear() -> None:
    """Delete every stored result."""
    from kexue_verify.result_cache import ResultCache

    store = ResultCache()
    click.echo(f"removed {store.clear()} stored results from {store.directory}")


@cli.command("new-plugin", epilog="""
Examples:

\b
  kexue-verify new-plugin my-claims
  cd my-claims && kexue-verify run my-claims --plugins-dir . -v && python -m pytest
""")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Where to create the package folder.")
def new_plugin(name: str, directory: str) -> None:
    """Create a small installable plugin package with one claim, a false variant and a test."""
    from kexue_verify.scaffold import create_plugin

    try:
        path = create_plugin(name, Path(directory))
    except KexueError as exc:
        raise _fail(exc) from None
    from kexue_verify.scaffold import family_of

    family = family_of(name)
    click.echo(f"created {path}")
    click.echo(f"next: cd {path} && kexue-verify run {family} --plugins-dir . -v && python -m pytest")
    click.echo("then: pip install -e . (its entry point makes every kexue-verify command load it)")
