"""The commands that show what is installed: ``list`` (claims, or with ``--cases`` what ``run`` would run),
``show`` (one claim) and ``plugins``. ``list`` and ``show`` import neither torch nor SymPy (tests/test_cli.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from kexue_verify.cli.common import _fail, cli, complete_claims, plugin_options
from kexue_verify.errors import KexueError


@cli.command("list", epilog="""
Examples:

\b
  kexue-verify list
  kexue-verify list stirling -k "series"
  kexue-verify list --cases flows                # one line per case: each claim on each of its models
  kexue-verify list --json | python -m json.tool
""")
@click.argument("patterns", nargs=-1, shell_complete=complete_claims)
@click.option("-k", "keyword", metavar="EXPR",
              help="Keep claims matching EXPR: words of ids, labels, tags, model names; 'and', 'or', 'not'.")
@click.option("--tag", "tags", multiple=True, help="Keep claims carrying this tag (repeatable).")
@click.option("--cases", "as_cases", is_flag=True,
              help="List the cases `run` would run (a claim about a model kind once per model), like "
                   "pytest --collect-only.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@plugin_options
def list_(patterns: tuple[str, ...], keyword: str | None, tags: tuple[str, ...], as_cases: bool, as_json: bool,
          loaded: Any) -> None:
    """List claims (all, or those matching ids, families, labels or globs), or with --cases what run would run."""
    from kexue_verify.selection import select

    if as_cases:
        _list_cases(patterns, keyword, tags, as_json, loaded)
        return
    try:
        claims = select(loaded.claims, patterns or ("all",), keyword=keyword, tags=tags)
    except KexueError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps([c.summary() for c in claims], indent=2, ensure_ascii=False))
        return
    width = max((len(c.id) for c in claims), default=10)
    for c in claims:
        label = c.label or ""
        kind = f" [each {c.model_kind}]" if c.model_kind else ""
        click.echo(f"{c.id:<{width}}  {label:<8} {c.expected.value:<8}  {c.title}{kind}")
    cases = len(_plan(loaded, patterns, keyword, tags)) if claims else 0
    click.echo(f"{len(claims)} claims, {cases} cases (see `list --cases`)", err=True)


def _plan(loaded: Any, patterns: Sequence[str], keyword: str | None, tags: Sequence[str]) -> list[Any]:
    from kexue_verify.pipeline import plan

    try:
        return plan(loaded, patterns or ("all",), keyword=keyword, tags=tags)
    except KexueError as exc:
        raise _fail(exc) from None


def _list_cases(patterns: Sequence[str], keyword: str | None, tags: Sequence[str], as_json: bool,
                loaded: Any) -> None:
    cases = _plan(loaded, patterns, keyword, tags)
    if as_json:
        click.echo(json.dumps([{"case_id": c.id, "claim_id": c.claim.id, "model": c.model.name if c.model else None,
                                "expected": c.claim.expected.value} for c in cases], indent=2))
        return
    width = max(len(c.id) for c in cases)
    for c in cases:
        click.echo(f"{c.id:<{width}}  {c.claim.expected.value}")
    claims = len({c.claim.id for c in cases})
    click.echo(f"{len(cases)} cases from {claims} claims", err=True)


@cli.command(epilog="""
Examples:

\b
  kexue-verify show stirling.formula
  kexue-verify show ST-1
""")
@click.argument("claim_id", shell_complete=complete_claims)
@plugin_options
def show(claim_id: str, loaded: Any) -> None:
    """Show one claim: statement, source, checks, false variants and models it runs on."""
    from kexue_verify.selection import select

    try:
        matches = select(loaded.claims, [claim_id])
    except KexueError as exc:
        raise _fail(exc) from None
    for claim in matches:
        src = claim.source
        click.secho(f"{claim.id}" + (f"  ({claim.label})" if claim.label else ""), bold=True)
        click.echo(f"  {claim.title}")
        click.echo(f"  statement: {claim.statement}")
        click.echo(f"  source:    {src.author}, “{src.title}”, {src.date}, {src.url}"
                   + (f", {src.section}" if src.section else ""))
        click.echo(f"  expected:  {claim.expected.value}")
        derivation = f"; derivation {claim.proof}" if claim.proof else ""
        click.echo(f"  checks:    {', '.join(claim.summary()['parts'])}{derivation}")
        if claim.tags:
            click.echo(f"  tags:      {', '.join(claim.tags)}")
        if claim.model_kind:
            names = [m.name for m in loaded.models.of_kind(claim.model_kind)]
            click.echo(f"  runs on:   every {claim.model_kind!r} model: {', '.join(names) or '(none registered)'}")
        click.echo(f"  plugin:    {loaded.claims.origin(claim.id)}")
        if claim.false_variants:
            click.echo("  false variants (must be refuted):")
            for v in claim.false_variants:
                click.echo(f"    - {v.name}: {v.description}")
        if claim.notes:
            click.echo(f"  notes:     {claim.notes}")


@cli.command(epilog="""
Examples:

\b
  kexue-verify plugins
  kexue-verify plugins --json
  KEXUE_VERIFY_PLUGINS=stirling kexue-verify plugins
""")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@plugin_options
def plugins(as_json: bool, loaded: Any) -> None:
    """Show each plugin, its version, where it came from and what it registered."""
    infos = [p.to_dict() for p in loaded.plugins]
    if as_json:
        click.echo(json.dumps(infos, indent=2))
        return
    for p in infos:
        status = f"FAILED: {p['error']}" if p["error"] else (
            f"{len(p['claims'])} claims, {len(p['models'])} models, {len(p['reporters'])} report formats")
        click.echo(f"{p['name']:<14} {p['version'] or '-':<10} {p['origin']:<12} {p['module']:<32} {status}")
    for path, why in loaded.skipped:
        click.echo(f"not a plugin: {path}: {why}", err=True)
