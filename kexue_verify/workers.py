"""Running cases in isolated worker processes, with a timeout per case, yielding results as they finish.

Each worker is a Python process that evaluates the cases it is sent with the same plugins: forked from this
process, which has loaded them, where that is safe (Linux, no other thread, torch not imported:
:func:`_fork_workers`), else — or with ``KEXUE_VERIFY_WORKER_START=spawn`` — a fresh ``spawn``-ed one that loads
them again (from the picklable :class:`~kexue_verify.plugins.LoadOptions`).
A case that exceeds the timeout gets the verdict ``timeout``; a worker that dies (a
segfault, the OOM killer) gives its case the verdict ``error``; either way the worker is
replaced and the other cases go on.  Each worker leads its own process group, so a timeout ends
the processes its check started as well, Ctrl-C at a terminal reaches only the parent, and every
way out of :func:`run_cases` (the end, an exception, a signal, the caller closing it) ends the
groups; a worker whose parent disappears ends its own group.  ``in_process=True`` evaluates in the calling process
instead (no isolation, no timeout: for debugging and fast tests).

The runner prints nothing: it yields :class:`~kexue_verify.verdicts.CaseResult` objects.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import multiprocessing as mp
import os
import pickle
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from kexue_verify.claims import Evidence, Outcome, Verdict
from kexue_verify.context import derive_seed
from kexue_verify.errors import UsageError
from kexue_verify.interrupts import SIGNALS
from kexue_verify.plugins import LoadedPlugins, LoadOptions, load
from kexue_verify.threads import single_threaded, thread_environment
from kexue_verify.verdicts import Case, CaseResult, PartResult, RunConfig, evaluate, symbolic_ahead

__all__ = ["default_jobs", "kill_group", "proof_evidence", "run_cases", "worker_start"]

#: What a worker sends once it has imported torch and loaded the plugins; a case's clock starts then.
READY = "ready"
#: What a worker sends (with the reason) for a case its own plugins did not register.
MISMATCH = "mismatch"
#: ``spawn`` here starts every worker as a fresh interpreter that loads the plugins itself, even where forking is safe.
ENV_WORKER_START = "KEXUE_VERIFY_WORKER_START"
#: Seconds a fresh worker may take to start (import torch, load the plugins) on top of the case's timeout.
STARTUP_GRACE = 120.0


def proof_evidence(case: Case, loaded: LoadedPlugins, config: RunConfig) -> list[Evidence]:
    """Check the derivation a claim rests on (``Claim.proof``) and return it as evidence."""
    if not case.claim.proof:
        return []
    try:
        from kexue_verify.derivation import check_derivation
        from kexue_verify.proofs import resolve_proof

        derivation = resolve_proof(case.claim.proof, loaded.claims.proof_dirs)
        return [check_derivation(derivation, seed=config.seed).to_evidence()]
    except Exception as exc:  # noqa: BLE001 - a broken proof reference is an error outcome, not a crash
        return [Evidence(name=f"derivation {case.claim.proof}", outcome=Outcome.ERROR,
                         note=f"{type(exc).__name__}: {exc}")]


def _cores() -> int:
    """The CPU cores this process may use (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _busy_cores() -> int:
    """Cores other processes keep busy: the 1-minute load average, rounded (0 where the platform has none)."""
    try:
        return round(os.getloadavg()[0])
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return 0


def default_jobs(cores: int | None = None, busy: int | None = None) -> int:
    """Workers for ``-j`` left unset: one per *free* core, at most 8 (each worker holds its own torch, ~0.3 GB).

    free = usable cores (the affinity mask) − busy cores (the 1-minute load average, measured before any worker
    starts), at least 1.  A second worker on a core that a neighbour holds makes a run slower, not faster.
    Each worker runs torch on one thread (the checks work on small tensors), so cores are used by workers.
    """
    cores = _cores() if cores is None else cores
    busy = _busy_cores() if busy is None else busy
    return max(1, min(8, cores - max(0, busy)))


#: What :class:`_ProofAhead` decides: the derivation's evidence, its seconds, and the case's symbolic parts.
Ahead = tuple[list[Evidence], float, dict[str | None, PartResult]]


def _evaluate(case: Case, loaded: LoadedPlugins, config: RunConfig, checked: Ahead | None = None) -> CaseResult:
    """Check the claim's derivation (unless ``checked`` brings its evidence, seconds and the symbolic parts decided
    with it), then the case; the derivation's time is counted in the case's."""
    if checked is None:
        start = time.perf_counter()
        checked = proof_evidence(case, loaded, config), time.perf_counter() - start, {}
    evidence, seconds, ahead = checked
    return evaluate(case, config, evidence, proof_seconds=seconds, ahead=ahead)


class _WithoutTorch(importlib.abc.MetaPathFinder):
    """Within the block, ``import torch`` fails (and is recorded in ``asked``) in a process that has not imported it.

    The forked child of :class:`_ProofAhead` decides symbolic parts only where they need no torch: importing it
    there would compete with the worker's own import on the same cores, and a check that falls back to something
    else without torch could decide differently, so whatever the block computed is discarded once torch was asked.
    """

    def __init__(self) -> None:
        self.asked = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch" or name.startswith("torch."):
            self.asked = True
            raise ModuleNotFoundError(f"torch is not imported while symbolic parts are decided ahead ({name})")
        return None

    def __enter__(self) -> _WithoutTorch:
        sys.meta_path.insert(0, self)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.meta_path.remove(self)


class _ProofAhead:
    """A worker's first derivation and symbolic parts, decided in a forked child while the worker imports torch.

    A cold worker spends ~1 s importing torch and then, for a claim with a proof, ~1 s in SymPy (a ``limit``
    for Stirling's formula) that needs no torch, and ~0.5 s more in the claim's own symbolic check with SymPy's
    caches cold.  Forked after the plugins are loaded and before torch is imported or any thread started, the child
    runs :func:`proof_evidence` and then, for a case without a model, the symbolic parts of the claim and of its
    assertion variants (:func:`~kexue_verify.verdicts.symbolic_ahead`) on the same state the worker would, and sends
    them back through a pipe, so on two cores the two overlap.  The child is in the worker's process group
    (a timeout or the parent's exit ends it too).  If it fails to deliver — it died, or the worker is given another
    case first — the worker checks the derivation itself, so the result cannot differ.
    """

    def __init__(self, job: tuple[str, str | None], pid: int, fd: int) -> None:
        self.job, self.pid, self.fd = job, pid, fd

    @classmethod
    def start(cls, loaded: LoadedPlugins, config: RunConfig, job: tuple[str, str | None] | None) -> _ProofAhead | None:
        if job is None or not _can_fork():
            return None
        case = _find_case(loaded, *job)
        if not isinstance(case, Case) or not (case.claim.proof or (case.claim.symbolic and case.model is None)):
            return None
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: check, send, and end without the interpreter's teardown
            os.close(read)
            try:
                start = time.perf_counter()
                evidence = proof_evidence(case, loaded, config)
                seconds = time.perf_counter() - start
                parts: dict[str | None, PartResult] = {}
                with _WithoutTorch() as blocked, contextlib.suppress(Exception):  # (on CUDA, no_tf32 wants torch)
                    parts = symbolic_ahead(case, config, evidence)
                data = pickle.dumps((evidence, seconds, {} if blocked.asked else parts))
                with os.fdopen(write, "wb") as out:
                    out.write(data)
            finally:
                os._exit(0)
        os.close(write)
        return cls(job, pid, read)

    def take(self, job: tuple[str, str | None]) -> Ahead | None:
        """What the child decided if ``job`` is the case it checked and it delivered; else None."""
        if job != self.job:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        data = b""
        with os.fdopen(self.fd, "rb") as pipe, contextlib.suppress(OSError):
            data = pipe.read() if job == self.job else b""
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        try:
            evidence, seconds, ahead = pickle.loads(data)
        except Exception:  # noqa: BLE001 - nothing or a torn message: the child died; check in this process
            return None
        return list(evidence), float(seconds), dict(ahead)


def _threads() -> int:
    """This process's threads: the kernel's count on Linux (native ones included — OpenBLAS starts one when NumPy
    is imported, TensorFlow and JAX many), else the ones :mod:`threading` knows of."""
    import threading

    with contextlib.suppress(OSError):
        return len(os.listdir("/proc/self/task"))
    return threading.active_count()


def _can_fork() -> bool:
    """Whether this process may fork a child that goes on in Python: it has no other thread (forking a threaded
    process is unsafe: a lock another thread holds stays held in the child; deprecated from Python 3.12) and has
    not imported torch (its thread pools and CUDA do not survive a fork; and a child deciding parts without torch
    must be able to notice a check that wants it)."""
    return hasattr(os, "fork") and "torch" not in sys.modules and _threads() == 1


def worker_start() -> str:
    """``KEXUE_VERIFY_WORKER_START``: ``"fork"`` (the default: forked where that is safe) or ``"spawn"``; anything
    else is a :class:`~kexue_verify.errors.UsageError` (checked when a run starts, cached or not)."""
    start = os.environ.get(ENV_WORKER_START, "").strip().lower() or "fork"
    if start not in ("fork", "spawn"):
        raise UsageError(f"{ENV_WORKER_START}={os.environ[ENV_WORKER_START]!r}: use 'spawn' (fresh worker processes, "
                         "each loading the plugins) or 'fork' (the default: forked where that is safe)")
    return start


def _fork_workers() -> bool:
    """Whether to fork workers from this process (:func:`_can_fork`, on Linux: on macOS system frameworks are not
    fork-safe, which is why Python spawns there by default), unless ``KEXUE_VERIFY_WORKER_START=spawn`` asks for
    fresh interpreters — for a plugin whose import must run in each worker."""
    return worker_start() == "fork" and sys.platform.startswith("linux") and _can_fork()


def _job(case: Case) -> tuple[str, str | None]:
    """What a worker is sent for a case: the claim's id and the model's name."""
    return case.claim.id, case.model.name if case.model else None


def _exit_now(code: int = 0) -> None:
    """End a worker at once: flush its output, then ``os._exit`` without the interpreter's teardown.

    Tearing down an interpreter that holds torch and sympy takes 0.6–0.8 s (module finalizers, the garbage
    collector over every object); a worker has sent its last result, so there is nothing left to finalise.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _find_case(loaded: LoadedPlugins, claim_id: str, model: str | None) -> Case | str:
    """The case to evaluate, or why this process cannot: its plugins registered something else."""
    missing = [f"claim {claim_id!r}"] if claim_id not in loaded.claims else []
    missing += [f"model {model!r}"] if model and model not in loaded.models else []
    if missing:
        problems = "; ".join(f"{p.name}: {p.error}" for p in loaded.problems)
        return (f"the worker process's plugins did not register {' or '.join(missing)}, which this process's did: "
                "a plugin registers different claims or models in a fresh process (it depends on the process, "
                "the environment or randomness, or failed to load there"
                + (f": {problems}" if problems else "") + "); make its registration deterministic")
    return Case(loaded.claims[claim_id], loaded.models[model] if model else None)


def _own_process_group() -> None:
    """Lead a new process group, so that Ctrl-C at a terminal reaches only the parent, and a timeout or the
    parent's exit can end the worker together with every process its checks started (one ``killpg``)."""
    with contextlib.suppress(AttributeError, OSError):  # not on Windows
        os.setpgid(0, 0)


def _watch_parent(parent: int) -> None:
    """End this worker's process group if the parent goes away (killed with SIGKILL, say), even mid-check."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(0), signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="kexue-verify-parent-watch", daemon=True).start()


def kill_group(process: Any) -> None:
    """SIGKILL the process group a worker leads (the worker and what its checks started), then the worker."""
    pid = getattr(process, "pid", None)
    if pid is None:
        return
    with contextlib.suppress(AttributeError, OSError):  # ProcessLookupError: no such group (yet, or any more)
        os.killpg(pid, signal.SIGKILL)  # the group's id is the worker's pid: never the parent's own group
    with contextlib.suppress(OSError, ValueError):
        process.kill()


def _worker(conn: Connection, options: LoadOptions, config: RunConfig, first: tuple[str, str | None] | None = None,
            loaded: LoadedPlugins | None = None, inherited: Sequence[Connection] = ()) -> None:
    """Worker loop: receive (claim_id, model), send back a CaseResult; stop on None.

    One torch thread, set before torch is imported: parallelism comes from the workers, and a fixed thread count
    keeps every reduction in the same order, so the numbers (and the report id) do not depend on ``-j``.
    ``first`` is the case the worker will be sent first: its derivation is checked while torch is imported
    (:class:`_ProofAhead`, forked once SymPy is imported, which both need).  ``loaded``: the parent's plugins, in a
    worker forked from it, which also closes its copies of the parent's other workers' pipes (``inherited``) and
    takes back the signal handlers a spawned worker starts with.
    """
    parent = os.getppid() if hasattr(os, "getppid") else None
    if loaded is None:
        loaded = load(options)
    else:
        _fresh_signals()
        for other in inherited:
            other.close()
    _own_process_group()
    thread_environment(1)
    _import_now("sympy")  # SymPy and torch now, so that the first case's clock does not include them
    ahead = _ProofAhead.start(loaded, config, first)  # forked while this process has one thread and no torch
    if parent is not None:
        _watch_parent(parent)
    _import_now("torch")
    conn.send(READY)
    while True:
        job = conn.recv()
        if job is None:
            conn.close()
            _exit_now(0)
        checked, ahead = (ahead.take(job) if ahead else None), None
        case = _find_case(loaded, *job)
        conn.send(_evaluate(case, loaded, config, checked) if isinstance(case, Case) else (MISMATCH, case))


def _import_now(module: str) -> None:
    with contextlib.suppress(ImportError):
        importlib.import_module(module)


def _fresh_signals() -> None:
    """In a forked worker: the handlers a fresh interpreter has for the signals the parent's run turns into an
    ``Interrupted`` (:data:`kexue_verify.interrupts.SIGNALS`): Ctrl-C raises KeyboardInterrupt, the others end it."""
    for signum in SIGNALS:
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)


@dataclass
class _Worker:
    process: Any  # a multiprocessing Process; None once the worker is retired
    conn: Any  # its Connection; None once retired
    case: Case | None = None
    started: float = 0.0
    ready: bool = False
    family: str | None = None  # the family of the cases it was last handed (see _Queue)


class _Queue:
    """The cases waiting for a worker, handed out with affinity to a family (topic).

    Cases of one family share what a worker warms up once: imports (``torch.func`` imports ``torch._dynamo``,
    0.8 s), SymPy's caches, a plugin's memoised intermediate results (an SVD topic's trained autoencoders) and the
    false variants decided once per claim per worker (:func:`~kexue_verify.verdicts._variant`).  Handed out in plan
    order, every worker would run every family and pay all of it; so a worker keeps to its family while it has
    cases, then takes the family with the most cases waiting that no other worker is on (or, when every family left
    is taken, the one with the most cases waiting), first cases first.  Results do not depend on the order: every
    case is seeded from its id, and the report is sorted.
    """

    def __init__(self, cases: Sequence[Case]) -> None:
        self.waiting = list(cases)

    def __bool__(self) -> bool:
        return bool(self.waiting)

    def _index(self, worker: _Worker, workers: Sequence[_Worker]) -> int:
        """Where in :attr:`waiting` the next case for ``worker`` is (see the class)."""
        family = worker.family
        if family is not None:
            mine = next((i for i, case in enumerate(self.waiting) if case.claim.family == family), None)
            if mine is not None:
                return mine
        counts = Counter(case.claim.family for case in self.waiting)
        others = {w.family for w in workers if w is not worker}
        free = [f for f in counts if f not in others] or list(counts)
        chosen = max(free, key=counts.__getitem__)  # the first in plan order among equals
        return next(i for i, case in enumerate(self.waiting) if case.claim.family == chosen)

    def peek(self, worker: _Worker, workers: Sequence[_Worker]) -> Case:
        """The case :meth:`take` would hand ``worker`` now."""
        return self.waiting[self._index(worker, workers)]

    def take(self, worker: _Worker, workers: Sequence[_Worker]) -> Case:
        """Remove and return the next case for ``worker`` (see the class), and note its family on the worker."""
        case = self.waiting.pop(self._index(worker, workers))
        worker.family = case.claim.family
        return case

    def first_cases(self, count: int) -> list[Case]:
        """The cases ``count`` fresh workers will be handed first, in turn (each worker's first case has its
        derivation checked while it starts: :class:`_ProofAhead`)."""
        preview, workers = _Queue(self.waiting), [_Worker(None, None) for _ in range(count)]
        return [preview.take(w, workers) for w in workers if preview]


def _failed(case: Case, config: RunConfig, verdict: Verdict, message: str, duration: float) -> CaseResult:
    part = PartResult("run", Outcome.ERROR, error=message, duration=duration)
    return CaseResult(case.id, case.claim.id, case.model.name if case.model else None, verdict,
                      case.claim.expected, derive_seed(config.seed, case.id), {"run": part}, [], message, duration)


class _Pool:
    def __init__(self, options: LoadOptions, config: RunConfig, jobs_needed: int, upcoming: Sequence[Case] = (),
                 *, first_jobs: Sequence[tuple[str, str | None]] = (), loaded: LoadedPlugins | None = None) -> None:
        """``upcoming``: the cases in the order they will be handed out (worker ``i`` gets ``upcoming[i]`` first);
        ``first_jobs``: the same as (claim id, model name) pairs, for a caller that has no :class:`Case` yet;
        ``loaded``: this process's plugins, loaded with ``options``, for workers forked from it (:func:`_can_fork`)."""
        self.options, self.config, self.loaded = options, config, loaded
        self.ctx = mp.get_context("spawn")
        count = max(1, min(config.jobs, jobs_needed))
        jobs = list(first_jobs) or [_job(case) for case in _Queue(upcoming).first_cases(count)]
        self.workers: list[_Worker] = []
        for i in range(count):
            self.workers.append(self._spawn(jobs[i] if i < len(jobs) else None))

    def _spawn(self, job: tuple[str, str | None] | None = None) -> _Worker:
        """Start a worker: forked where that is safe, with the plugins this process has loaded (a worker spends
        ~0.3 s starting an interpreter and loading them again), else spawned."""
        parent, child = self.ctx.Pipe()
        if self.loaded is not None and _fork_workers():
            # (multiprocessing flushes stdout and stderr before it forks: what they hold is not written twice)
            others = [w.conn for w in self.workers if w.conn is not None]
            proc: BaseProcess = mp.get_context("fork").Process(target=_worker, daemon=True,
                                                  args=(child, self.options, self.config, job, self.loaded, others))
        else:
            proc = self.ctx.Process(target=_worker, args=(child, self.options, self.config, job), daemon=True)
        proc.start()
        with contextlib.suppress(AttributeError, OSError):  # the worker does it too; whoever is first wins the race
            os.setpgid(proc.pid, proc.pid)  # type: ignore[arg-type]  # started, so it has a pid
        child.close()
        return _Worker(proc, parent)

    def _replace(self, index: int, queue: _Queue) -> None:
        """Kill worker ``index`` (hung or dead); start a fresh one only if cases are still waiting."""
        worker = self.workers[index]
        kill_group(worker.process)
        worker.process.join(5)
        worker.conn.close()
        self.workers[index] = _Worker(None, None)  # retired: holds no case, never waited on
        if queue:  # a fresh process, warm for no family; told the case it will most likely be handed
            self.workers[index] = self._spawn(_job(queue.peek(self.workers[index], self.workers)))

    def _deadline(self, worker: _Worker) -> float:
        """When the worker's case runs out of time; a worker still starting up gets STARTUP_GRACE more."""
        return worker.started + self.config.timeout + (0.0 if worker.ready else STARTUP_GRACE)

    def run(self, cases: Sequence[Case], *, close: bool = True,
            started: Callable[[], None] | None = None) -> Iterator[CaseResult]:
        """Yield each case's result; ``close=False`` keeps the workers for another call (a resident pool);
        ``started`` is called once the workers are started."""
        queue = _Queue(cases)
        self.workers = [self._spawn() if w.process is None and queue else w for w in self.workers]
        try:
            if started is not None:
                started()
            while queue or any(w.case for w in self.workers):
                for w in self.workers:
                    if w.case is None and queue and w.process is not None:
                        w.case, w.started = queue.take(w, self.workers), time.monotonic()
                        w.conn.send(_job(w.case))
                busy = [w for w in self.workers if w.case is not None]
                deadline = min(self._deadline(w) for w in busy)
                ready = wait([w.conn for w in busy], timeout=max(0.0, deadline - time.monotonic()))
                for i, w in enumerate(self.workers):
                    if w.case is None:
                        continue
                    elapsed = time.monotonic() - w.started
                    if w.conn in ready:
                        try:
                            message = w.conn.recv()
                        except (EOFError, OSError):
                            w.process.join(5)  # reap it, so that its exit code is known
                            code = w.process.exitcode
                            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                            when = "while checking" if w.ready else "while starting (loading the plugins)"
                            yield _failed(w.case, self.config, Verdict.ERROR,
                                          f"the worker process died {when} ({how}); "
                                          "a crash in native code or running out of memory", elapsed)
                            self._replace(i, queue)
                            continue
                        if message == READY:  # the case's clock starts now, not while torch was imported
                            w.ready, w.started = True, time.monotonic()
                            continue
                        case, w.case = w.case, None
                        if isinstance(message, tuple) and message[0] == MISMATCH:
                            message = _failed(case, self.config, Verdict.ERROR, message[1], elapsed)
                        yield message
                    elif time.monotonic() >= self._deadline(w):
                        why = (f"no verdict within {self.config.timeout:g} s (raise it with --timeout)" if w.ready
                               else f"the worker process did not start within {STARTUP_GRACE:g} s")
                        yield _failed(w.case, self.config, Verdict.TIMEOUT, why, elapsed)
                        self._replace(i, queue)
        except BaseException:  # Ctrl-C, SIGTERM, the consumer closing the generator: end the workers now
            self.close(wait=0.0)
            raise
        if close:
            self.close()

    def close(self, wait: float = 2.0) -> None:
        """Stop every worker: ask it to exit (waiting up to ``wait`` s), then end its whole process group."""
        self.workers = [w for w in self.workers if w.process is not None]
        if wait > 0:
            for w in self.workers:
                with contextlib.suppress(OSError):  # BrokenPipeError included: the worker is gone already
                    w.conn.send(None)
            for w in self.workers:
                w.process.join(wait)
        for w in self.workers:
            kill_group(w.process)  # also when the worker exited: processes its checks started may live on
            with contextlib.suppress(OSError, ValueError, AssertionError):
                w.process.join(2)
            w.conn.close()
        self.workers = []


def run_cases(cases: Sequence[Case], loaded: LoadedPlugins, config: RunConfig, *,
              started: Callable[[], None] | None = None, fork: bool = True) -> Generator[CaseResult, None, None]:
    """Evaluate ``cases`` and yield each result as soon as it is known (in completion order).

    ``fork=False``: start every worker as a fresh interpreter, even where it could be forked from this process.

    ``started`` is called once, when the run has started (its workers started), before the first result: where a
    caller starts a thread (a progress display), since this process forks its workers only while no other thread
    runs (:func:`_can_fork`).
    """
    def begin() -> None:
        if started is not None:
            started()

    if not cases:
        begin()
        return
    if config.in_process:
        begin()
        with single_threaded():  # as in a worker, so that the numbers are the same
            for case in cases:
                yield _evaluate(case, loaded, config)
        return
    if config.executor == "dask" or config.scheduler:
        from kexue_verify.distributed import run_cases_dask

        begin()
        yield from run_cases_dask(cases, loaded, config, config.scheduler)
        return
    pool = _Pool(loaded.options, config, len(cases), cases, loaded=loaded if fork else None)
    yield from pool.run(cases, started=begin)
