"""The main job as one library call: load plugins, select claims, run them, build the report.

>>> from kexue_verify import run, RunConfig                        # doctest: +SKIP
>>> outcome = run(["stirling.formula"], config=RunConfig(seed=0))  # doctest: +SKIP
>>> outcome.report["summary"]["verdicts"]["verified"]              # doctest: +SKIP
1
"""

from __future__ import annotations

import difflib
import fnmatch
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kexue_verify.claims import Verdict
from kexue_verify.errors import UsageError
from kexue_verify.interrupts import Interrupted, signals_interrupt
from kexue_verify.plugins import LoadedPlugins, LoadOptions, load
from kexue_verify.reports import build_report, exit_code, seal
from kexue_verify.reports.identity import code_snapshot, definition_digest
from kexue_verify.result_cache import case_key, code_changed, code_read, stale_imports
from kexue_verify.selection import claim_matches, claim_words, parse_keyword, select
from kexue_verify.verdicts import Case, CaseResult, RunConfig, expand, forget_measurements
from kexue_verify.workers import run_cases, worker_start

if TYPE_CHECKING:
    from kexue_verify.result_cache import ResultCache

__all__ = ["RunOutcome", "plan", "run"]


@dataclass
class RunOutcome:
    """What a run produced: the per-case results, the canonical report and the exit code.

    ``interrupted`` is the signal that ended the run early (the report then holds the cases finished
    before it, and says so under ``interrupted``; the exit code is ``128 + signal number``).
    """

    results: list[CaseResult]
    report: dict[str, Any]
    exit_code: int
    interrupted: Interrupted | None = None
    planned: int = 0
    #: Cases selected but not run because the run stopped at the first unexpected verdict (``exitfirst``).
    not_run: int = 0
    #: Code roots and files (checks, plugins, proof documents) whose digest changed while the run ran: its cases
    #: may have run the edited code, which the report's digests (taken when it started) do not name; none of its
    #: results is kept in the cache.
    code_changed: list[str] = field(default_factory=list)


def plan(loaded: LoadedPlugins, patterns: Sequence[str] = ("all",), *, keyword: str | None = None,
         tags: Sequence[str] = ()) -> list[Case]:
    """The cases a run would evaluate, without running them.

    A pattern ``claim[model]`` picks the cases of a claim about a model kind on that model (either side may be a
    glob: ``flows.layer-*[glow-*]``); every other
    pattern (``all``, an id, a family, a label, a glob) picks all the cases of its claims.
    ``keyword`` (``-k``) is matched per case, so a model's name selects the cases on that model.
    """
    patterns = list(patterns) or ["all"]
    bracketed = [p for p in patterns if "[" in p]
    plain = [p for p in patterns if "[" not in p]
    cases = expand(select(loaded.claims, patterns, tags=tags), loaded.models)
    if keyword:
        match = parse_keyword(keyword)
        cases = [c for c in cases if match(claim_words(c.claim, c.model.name if c.model else None))]
    if not cases:
        raise UsageError(_nothing_selected(keyword, tags))
    if not bracketed:
        return cases
    known = expand(select(loaded.claims, bracketed), loaded.models)
    picked: set[str] = set()
    for pattern in bracketed:
        hits = {c.id for c in known if _case_matches(c, pattern)}
        if not hits:
            close = difflib.get_close_matches(pattern, [c.id for c in known], n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"no case matches {pattern!r}{hint} (see `kexue-verify show CLAIM` for its models)")
        picked |= hits
    whole = {c.id for c in select(loaded.claims, plain)} if plain else set()
    return [c for c in cases if c.claim.id in whole or c.id in picked]


def _case_matches(case: Case, pattern: str) -> bool:
    """``claim[model]``, each side an id or a glob: ``flows.layer-*[glow-*]``."""
    claim_part, _, model_part = pattern.rstrip("]").partition("[")
    return (case.model is not None and fnmatch.fnmatchcase(case.model.name, model_part)
            and claim_matches(case.claim, claim_part))


def _nothing_selected(keyword: str | None, tags: Sequence[str]) -> str:
    given = [f"-k {keyword!r}"] if keyword else []
    given += [f"--tag {t!r}" for t in tags]
    return (f"{' and '.join(given) or 'the selection'} leaves no claim to run; -k words match ids, labels, tags "
            "and model names, not titles (see `kexue-verify list`)")


def run(
    patterns: Sequence[str] = ("all",),
    *,
    keyword: str | None = None,
    tags: Sequence[str] = (),
    config: RunConfig | None = None,
    options: LoadOptions | None = None,
    loaded: LoadedPlugins | None = None,
    on_start: Callable[[list[Case]], None] | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
    cache: ResultCache | None = None,
    case_ids: Sequence[str] | None = None,
    exitfirst: bool = False,
) -> RunOutcome:
    """Load plugins (unless ``loaded`` is given), run the selected claims and build the report.

    With a ``cache`` (:class:`~kexue_verify.result_cache.ResultCache`), a case whose key is stored is not run again: its
    stored result is reused (and marked so); every newly decided result is stored.

    The code is digested when the run starts (:func:`~kexue_verify.reports.identity.code_snapshot`).  Where a plugin's
    code changed on disk after this process imported it (a notebook that edits a check between two runs), its workers
    are started as fresh interpreters, which import the code as it is now, rather than forked from this process; an
    ``in_process`` run is refused then (:class:`~kexue_verify.errors.UsageError`), since it could run the old code.
    (:func:`~kexue_verify.plugins.load` imports the modules of an edited ``--plugins-dir`` again; an installed plugin
    stays as it was imported.)  The code read is digested again when the run ends: where a file changed while the
    run ran (a lazily imported check, a proof document, a spawned worker's plugins are read when a case runs), the
    outcome names it (``code_changed``) and the run's results are taken out of the cache.

    SIGINT, SIGTERM and SIGHUP during the run stop it: the workers are ended and the outcome holds the
    results so far, its report marked ``interrupted`` (see :class:`RunOutcome`).
    ``case_ids`` keeps only those cases of the selection (``--lf``: the cases unexpected last time);
    ``exitfirst`` stops at the first verdict that is not the expected one (``-x``), other than ``skipped``.
    """
    config = config or RunConfig()
    worker_start()  # a mistyped KEXUE_VERIFY_WORKER_START is an error even when every case comes from the cache
    loaded = loaded or load(options)
    cases = plan(loaded, patterns, keyword=keyword, tags=tags)
    if case_ids is not None:
        wanted = set(case_ids)
        cases = [c for c in cases if c.id in wanted]
        if not cases:
            raise UsageError("none of the cases to re-run is in the selection any more; run without --lf")
    forget_measurements()  # this process's once-per-claim results may come from code edited since
    results: list[CaseResult] = []
    keys: dict[str, str] = {}
    to_run = list(cases)
    stale: list[str] = []
    kept: list[str] = []  # the keys this run stored
    with code_snapshot():  # the code as it is now, each file read once for all the cases
        definitions = {c.id: definition_digest(c.claim, c.model, loaded.claims.proof_dirs) for c in cases}
        if cache is not None:
            keys = {c.id: case_key(c, config, loaded.claims.proof_dirs, definition=definitions[c.id]) for c in cases}
            stale = stale_imports()
        read = code_read()
    if stale and config.in_process:
        raise UsageError(f"the code of {', '.join(stale)} changed on disk since this process last digested it, and "
                         "this process holds modules imported from there: an in-process run could run code imported "
                         "before the edit under the new code's cache keys; run it in a fresh Python process, or "
                         "without in_process (workers then start fresh interpreters)")
    if cache is not None:
        to_run = []
        for case in cases:
            stored = cache.get(keys[case.id])
            if stored is None:
                to_run.append(case)
            else:
                results.append(stored)

    def started() -> None:  # once the workers are started: a progress display's thread would keep them from forking
        if on_start:
            on_start(cases)
        if on_result:
            for stored in results:
                on_result(stored)

    interrupted: Interrupted | None = None
    # workers forked from this process would run the old code of a module edited since it was imported here
    stream = run_cases(to_run, loaded, config, started=started, fork=not stale)
    try:
        with signals_interrupt():
            for result in stream:
                if cache is not None and cache.put(keys[result.case_id], result):
                    kept.append(keys[result.case_id])
                results.append(result)
                if on_result:
                    on_result(result)
                if exitfirst and not result.as_expected and result.verdict is not Verdict.SKIPPED:
                    break
    except KeyboardInterrupt:
        interrupted = Interrupted(signal.SIGINT)
    except Interrupted as exc:
        interrupted = exc
    finally:
        stream.close()  # ends the workers whatever happened (a no-op when the runner finished or raised)
    changed = code_changed(read) if to_run else []
    if changed and cache is not None:
        cache.discard(kept)  # they may be the edited code's results, under keys naming the code before the edit
    claims = {c.id: c for c in loaded.claims}
    selection: dict[str, Any] = {"patterns": list(patterns), "keyword": keyword, "tags": list(tags)}
    if case_ids is not None:
        selection["cases"] = sorted(c.id for c in cases)
    if exitfirst:
        selection["exitfirst"] = True
    report = build_report(results, claims, config, selection=selection, definitions=definitions,
                          plugins=[p.to_dict() for p in loaded.plugins if not p.error])
    # what the report asserts about its code, or about being whole, is part of it: its own digest, and the id
    if changed:
        report["code_changed"] = {"paths": changed, "note": "edited while the run ran: cases may have run the edited "
                                  "code, which the definition digests (taken when the run started) do not name"}
    if interrupted is not None:
        done = {r.case_id for r in results}
        report["interrupted"] = {"signal": interrupted.name, "completed": len(results), "planned": len(cases),
                                 "not_run": sorted(c.id for c in cases if c.id not in done)}
    if changed or interrupted is not None:
        seal(report)
    if interrupted is not None:
        return RunOutcome(results, report, interrupted.exit_code, interrupted, len(cases), code_changed=changed)
    return RunOutcome(results, report, exit_code(results), None, len(cases), not_run=len(cases) - len(results),
                      code_changed=changed)
