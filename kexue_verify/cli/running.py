"""The commands that run cases: ``run`` (a selection of claims, reported) and ``rerun`` (a report's cases again,
compared with it).
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

import click

from kexue_verify.cli.common import (
    STDOUT,
    UserError,
    _fail,
    _load_checked,
    _prepare_outputs,
    _write_outputs,
    cli,
    complete_claims,
    plugin_options,
)
from kexue_verify.errors import KexueError


def _resolve_device(device: str) -> str:
    if device == "auto" or device.startswith("cuda"):
        import torch

        available = torch.cuda.is_available()
        if device == "auto":
            return "cuda" if available else "cpu"
    return device


def _dask_cluster_early(func: Any) -> Any:
    """``run --executor dask`` without ``--scheduler``: start the LocalCluster while the plugins load and the run is
    planned (it is stopped at the end, also if no case needed it)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import importlib.util

        embedded = (kwargs.get("executor") == "dask" and not kwargs.get("scheduler") and not kwargs.get("in_process")
                    and kwargs.get("device") in ("cpu", "cuda") and not (kwargs.get("verbose") and kwargs.get("quiet"))
                    and any(kwargs.get(k) for k in ("patterns", "keyword", "tags", "last_failed")))  # else usage error
        if not embedded or importlib.util.find_spec("distributed") is None:
            return func(*args, **kwargs)
        from kexue_verify.distributed import close_early_cluster, start_cluster_early
        from kexue_verify.workers import default_jobs

        kwargs["jobs"] = kwargs.get("jobs") or default_jobs()  # the count the run will use
        start_cluster_early(kwargs["jobs"], kwargs["device"])
        try:
            return func(*args, **kwargs)
        finally:
            close_early_cluster()

    return wrapper


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
@_dask_cluster_early
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
    if outcome.code_changed:
        kept = "; none of its results was kept in the cache" if cache is not None else ""
        click.echo(f"warning: {', '.join(outcome.code_changed)} changed while the run ran: its cases may have run the "
                   "edited code, which the report's digests (taken when it started) do not name, and the report "
                   f"says so{kept} — run again to verify the code as it is now", err=True)
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
