"""The ``kexue-verify`` command: thin commands over library functions.

Exit codes, in pytest's spirit: 0 every verdict as expected; 1 some verdict not as expected;
2 a usage error (unknown claim, bad option, missing file); 3 an error or timeout inside a check;
4 every selected case was skipped, so nothing was checked.
``list``, ``show`` and ``--help`` import neither torch nor sympy.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from kexue_verify.errors import KexueError, PluginError

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


def _resolve_device(device: str) -> str:
    if device == "auto" or device.startswith("cuda"):
        import torch

        available = torch.cuda.is_available()
        if device == "auto":
            return "cuda" if available else "cpu"
    return device


#: ``-o -``: the JSON report on stdout (the terminal output then goes to stderr).
STDOUT = "-"


@cli.command(epilog="""
Examples:

\b
  kexue-verify run all
  kexue-verify run stirling -o stirling.md
  kexue-verify run 'flows.*' -k logdet --device cuda --dtype float32
  kexue-verify run 'flows.layer-*[glow-step]'       # every generic flow claim on one model
  kexue-verify run -p my_plugin -k my-layer          # every claim on the model you plugged in
  kexue-verify run all -x --durations 5              # stop at the first surprise; the 5 slowest cases
  kexue-verify run --lf -v                           # re-run what was not as expected, with all evidence
  kexue-verify run svd -o - | python -m json.tool    # the JSON report on stdout
  kexue-verify run all -j 2 --timeout 120 -o report.json -o report.html -o junit.xml

Exit codes: 0 every verdict as expected; 1 some verdict not as expected; 2 usage error;
3 a check crashed or timed out; 4 every selected case was skipped (nothing was checked).
""")
@click.argument("patterns", nargs=-1, shell_complete=complete_claims)
@click.option("-k", "keyword", metavar="EXPR",
              help="Run cases matching EXPR: words of ids, labels, tags, model names; 'and', 'or', 'not'.")
@click.option("--tag", "tags", multiple=True, help="Run claims carrying this tag (repeatable).")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE",
              help="Write the report; the extension picks the format (.json .md .html .xml); '-' writes the JSON "
                   "report to stdout. Repeatable.")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed; each claim derives its own.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=600.0, show_default=True,
              help="Seconds per claim before it is stopped with verdict 'timeout'.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes running claims in parallel.  [default: one per free CPU core (cores less "
                   "the load average), at most 8]")
@click.option("--in-process", is_flag=True, help="Run in this process (no isolation, no timeout; for debugging).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where cases run: worker processes here, or dask.distributed tasks (a LocalCluster of -j workers "
                   "unless --scheduler is given).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="Run on the dask cluster at this scheduler address (implies --executor dask).")
@click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
              help="Reuse the stored result of a case whose claim, code, proof, model, seed, device, dtype and "
                   "package versions are unchanged (see `kexue-verify cache`).")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first verdict that is not the expected one.")
@click.option("--lf", "--last-failed", "last_failed", is_flag=True,
              help="Re-run only the cases that were not as expected in the last run here (all if none were).")
@click.option("--durations", type=click.IntRange(min=0), default=None, metavar="N",
              help="Show the N slowest cases (0: all).")
@click.option("-v", "--verbose", is_flag=True, help="Show the evidence of every case, not only of the unexpected.")
@click.option("-q", "--quiet", is_flag=True, help="One line per unexpected case, and the summary.")
@plugin_options
def run(patterns: tuple[str, ...], keyword: str | None, tags: tuple[str, ...], outputs: tuple[str, ...], seed: int,
        device: str, dtype: str, timeout: float, jobs: int | None, in_process: bool, exitfirst: bool,
        last_failed: bool, durations: int | None, verbose: bool, quiet: bool, executor: str,
        scheduler: str | None, use_cache: bool, loaded: Any) -> None:
    """Run claims (`all`, ids, families, labels, globs) and report their verdicts, and why when unexpected."""
    from kexue_verify import outputs as report_outputs
    from kexue_verify.cache import last_failed as read_last_failed
    from kexue_verify.cache import record_run
    from kexue_verify.pipeline import run as run_claims
    from kexue_verify.terminal import TerminalReporter
    from kexue_verify.verdicts import RunConfig
    from kexue_verify.workers import default_jobs

    if verbose and quiet:
        raise UserError("-v and -q contradict each other; give one")
    notes = []
    case_ids = None
    if last_failed:
        recorded = read_last_failed()
        if recorded:
            case_ids = recorded
            patterns = patterns or tuple(recorded)
            notes.append(f"--lf: re-running {len(recorded)} case(s) not as expected in the last run")
        else:
            notes.append("--lf: the last run here left nothing to re-run; running the whole selection")
            patterns = patterns or ("all",)
    if not patterns and not keyword and not tags:
        raise UserError("say what to run: `kexue-verify run all`, a claim id, a family, or -k EXPR")
    if scheduler:
        executor = "dask"
    if executor == "dask" and in_process:
        raise UserError("--in-process runs here, --executor dask on a cluster: choose one")
    if executor == "dask":
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            from kexue_verify.distributed import MISSING_DASK

            raise UserError(MISSING_DASK)
    if outputs.count(STDOUT) > 1:
        raise UserError("-o - (the JSON report on stdout) can be given once")
    for note in notes:
        click.echo(note, err=True)
    config = RunConfig(seed=seed, device=_resolve_device(device), dtype=dtype, timeout=timeout,
                       jobs=jobs or default_jobs(), in_process=in_process, executor=executor, scheduler=scheduler)
    cache = None
    if use_cache:
        from kexue_verify.result_cache import ResultCache

        cache = ResultCache()
    terminal = TerminalReporter(verbosity=1 if verbose else (-1 if quiet else 0),
                                claims={c.id: c for c in loaded.claims}, to_stderr=STDOUT in outputs)
    try:
        destinations = report_outputs.prepare([o for o in outputs if o != STDOUT],  # checked and opened before the run
                                              loaded.reporters)
    except KexueError as exc:
        raise _fail(exc) from None
    try:
        outcome = run_claims(patterns or ("all",), keyword=keyword, tags=tags, config=config, loaded=loaded,
                             on_start=terminal.start, on_result=terminal.result, case_ids=case_ids,
                             exitfirst=exitfirst, cache=cache)
    except KexueError as exc:
        report_outputs.discard(destinations)
        raise _fail(exc) from None
    finally:
        terminal.stop()
    try:
        for path in report_outputs.write(outcome.report, destinations):
            click.echo(f"wrote {path}", err=True)
    except KexueError as exc:
        raise _fail(exc) from None
    if outcome.interrupted is not None:
        written = f"; partial report {outcome.report['report_id']}" + (" written" if destinations else "")
        click.echo(f"{outcome.interrupted}: {len(outcome.results)} of {outcome.planned} cases finished{written}",
                   err=True)
        sys.exit(outcome.exit_code)
    record_run(outcome.report)
    if STDOUT in outputs:
        click.echo(json.dumps(outcome.report, indent=2, ensure_ascii=False, allow_nan=False))
    terminal.failures()
    terminal.durations(durations)
    terminal.summary(outcome.report, stopped_early=outcome.not_run)
    if cache is not None and cache.hits and not quiet:
        click.echo(f"{cache.hits} of {len(outcome.results)} verdicts reused from the cache "
                   "(--no-cache runs them again)", err=True)
    sys.exit(outcome.exit_code)


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
  kexue-verify rerun report.json             # exit 0 when every verdict and digest is reproduced
  kexue-verify rerun report.json -j 2 -o again.json
""")
@click.argument("report_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE",
              help="Also write the new report (the extension picks the format). Repeatable.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes.  [default: one per CPU core, at most 8]")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=600.0, show_default=True,
              help="Seconds per claim before it is stopped with verdict 'timeout'.")
@click.option("--in-process", is_flag=True, help="Run in this process (no isolation, no timeout; for debugging).")
@plugin_options
def rerun(report_file: str, outputs: tuple[str, ...], jobs: int | None, timeout: float, in_process: bool,
          loaded: Any) -> None:
    """Run a report's cases again and say whether each verdict and digest is reproduced.

    The cases run with the report's seed, device and dtype; exit 0 when every case is reproduced, 1 otherwise,
    naming what differs (the claim's definition, a verdict, a false variant's verdict, or only the evidence).
    """
    from kexue_verify import outputs as report_outputs
    from kexue_verify.reports.rerun import rerun as rerun_report
    from kexue_verify.workers import default_jobs

    data = _load_checked(report_file, refuse_altered=False)
    destinations = _prepare_outputs(outputs, loaded)
    try:
        outcome = rerun_report(data, loaded=loaded, jobs=jobs or default_jobs(), timeout=timeout,
                               in_process=in_process)
    except KexueError as exc:
        report_outputs.discard(destinations)
        raise _fail(exc) from None
    for case in outcome.cases:
        line = f"{case.status:<11} {case.case_id}" + (f": {'; '.join(case.details)}" if case.details else "")
        click.secho(line, fg=None if case.reproduced else "red")
    for note in outcome.notes:
        click.echo(f"note: {note}")
    if outcome.report is not None:
        _write_outputs(outcome.report, destinations)
    else:
        report_outputs.discard(destinations)
    same = sum(c.reproduced for c in outcome.cases)
    ids = (f"report id {outcome.new_id} (was {outcome.old_id})" if outcome.new_id != outcome.old_id
           else f"report id {outcome.new_id} reproduced")
    click.echo(f"{same} of {len(outcome.cases)} cases reproduced; {ids}")
    sys.exit(0 if outcome.reproduced else 1)


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
