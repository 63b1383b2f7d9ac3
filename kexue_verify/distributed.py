"""Running cases on a dask.distributed cluster: one task per case, with the local runner's isolation on each worker.

``run --executor dask`` starts a :class:`distributed.LocalCluster` of process workers on the loopback interface
(``127.0.0.1``, no dashboard); ``--scheduler tcp://HOST:PORT`` uses a cluster that is already running.  Each case
is one task.  A dask worker does not evaluate the case itself: it keeps a *resident* one-process pool of the local
runner (:class:`kexue_verify.workers._Pool`), so a case gets exactly the semantics of a local run — its own process,
one torch thread, the timeout per case (verdict ``timeout``), a crash giving ``error`` and a fresh process for the
next case — and the torch import is paid once per dask worker, not once per case.  A dask worker that dies itself
(the machine is lost) gives its case ``error`` and the run goes on; the nanny restarts the worker.

Plugins: installed packages must be installed on the workers; the ``*.py`` files of ``--plugins-dir`` are shipped
with every task (their bytes, written on the worker into a directory named by their digest), so a worker needs no
shared file system.  Cases on ``cuda`` ask for the worker resource ``GPU`` (start such workers with
``--resources GPU=1``).

The results are the local runner's results, and the report is built by the caller from the same cases, seed and
plugins, so its id is the one a local run gives.  See ``docs/distributed.md``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from kexue_verify.claims import Verdict
from kexue_verify.errors import UsageError
from kexue_verify.plugins import LoadedPlugins, LoadOptions, load
from kexue_verify.verdicts import Case, CaseResult, RunConfig

__all__ = ["MISSING_DASK", "close_early_cluster", "run_cases_dask", "ship_plugin_dirs", "start_cluster_early"]

MISSING_DASK = ("--executor dask needs dask.distributed, which is not installed; "
                "install it with: pip install 'kexue-verify[dask]'")
#: Environment of every embedded worker: one intra-op thread, as in a local worker (see kexue_verify.threads).
WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: Files of one --plugins-dir: (directory name, ((file name, bytes), ...)).
ShippedDir = tuple[str, tuple[tuple[str, bytes], ...]]


def ship_plugin_dirs(dirs: Sequence[str]) -> tuple[ShippedDir, ...]:
    """The ``*.py`` files of each plugin directory, as bytes, in a stable order (what a task carries)."""
    shipped = []
    for directory in dirs:
        path = Path(directory)
        files = tuple((f.name, f.read_bytes()) for f in sorted(path.glob("*.py")) if f.is_file())
        shipped.append((path.name, files))
    return tuple(shipped)


def _materialise(shipped: tuple[ShippedDir, ...]) -> tuple[str, ...]:
    """Write shipped plugin files under the temporary directory (once per content) and return their directories."""
    base = Path(tempfile.gettempdir()) / "kexue-verify-plugins"
    base.mkdir(parents=True, exist_ok=True)
    dirs = []
    for index, (name, files) in enumerate(shipped):
        digest = hashlib.sha256(repr((name, files)).encode("utf-8", "backslashreplace")).hexdigest()[:16]
        target = base / f"{digest}-{index}" / name  # the directory keeps its name: plugin origins name it
        if not target.is_dir():
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=base))
            for file_name, data in files:
                (staging / file_name).write_bytes(data)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(staging, target)
            except OSError:  # another task wrote the same files first
                shutil.rmtree(staging, ignore_errors=True)
        dirs.append(str(target))
    return tuple(dirs)


# --- on the worker ---------------------------------------------------------------------------------------------------

_RESIDENT: dict[str, Any] = {}
_LOCK = threading.Lock()


def _resident_pool(token: str, options: LoadOptions, shipped: tuple[ShippedDir, ...], config: RunConfig,
                   first: tuple[str, str | None]) -> Any:
    """This dask worker's pool for run ``token``: plugins loaded once, one local worker process kept alive.

    The local worker process is started first, told ``first`` (the case of the task that creates the pool), so that
    it checks that case's derivation while it imports torch, as a local run's first case does; this dask worker
    loads the plugins while it starts.
    """
    from kexue_verify.workers import _Pool

    with _LOCK:
        entry = _RESIDENT.get(token)
        if entry is None:
            for old in _RESIDENT.values():  # an earlier run's pool: its worker process is no longer needed
                old[1].close()
            _RESIDENT.clear()
            # A LocalCluster worker is spawned with the client's sys.path, which has the client's --plugins-dir
            # folders on it: their modules would shadow the shipped copies (and the loader refuses a shadowing
            # plugin), so the shipped copies are the only import roots for them here.
            for folder in options.dirs:
                while folder in sys.path:
                    sys.path.remove(folder)
            options = replace(options, dirs=_materialise(shipped))
            pool = _Pool(options, replace(config, jobs=1), 1, first_jobs=[first])
            try:
                loaded = load(options)
            except BaseException:
                pool.close(wait=0.0)
                raise
            entry = _RESIDENT[token] = (loaded, pool)
        return entry


def evaluate_on_worker(token: str, options: LoadOptions, shipped: tuple[ShippedDir, ...], config: RunConfig,
                       claim_id: str, model: str | None) -> CaseResult:
    """The dask task: evaluate one case in this worker's resident local pool and return its result."""
    loaded, pool = _resident_pool(token, options, shipped, config, (claim_id, model))
    if claim_id not in loaded.claims or (model and model not in loaded.models):
        problems = "; ".join(f"{p.name}: {p.error}" for p in loaded.problems) or "none failed to load"
        raise RuntimeError(f"this dask worker's plugins do not define {claim_id!r}"
                           + (f" with model {model!r}" if model else "")
                           + f" ({len(loaded.claims)} claims loaded from {list(loaded.options.dirs)}; plugins: "
                           + f"{problems}); install the same plugins on every worker")
    case = Case(loaded.claims[claim_id], loaded.models[model] if model else None)
    with _LOCK:
        (result,) = list(pool.run([case], close=False))  # run to its end: an abandoned run closes the pool
    moved = zip(loaded.options.dirs, options.dirs, strict=True)
    return _restore_paths(result, {str(Path(here)): str(Path(there)) for here, there in moved})


def _restore_paths(result: CaseResult, moved: dict[str, str]) -> CaseResult:
    """Name the shipped plugin files by the paths they have on the client (tracebacks quote file names)."""
    def fix(text: str | None) -> str | None:
        for here, there in moved.items():
            text = text.replace(here, there) if text else text
        return text

    for part in [*result.parts.values(), *(p for v in result.variants for p in v.parts.values())]:
        part.error = fix(part.error)
    result.message = fix(result.message) or ""
    return result


# --- on the client ---------------------------------------------------------------------------------------------------

def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(MISSING_DASK) from None
    return distributed


def _local_cluster(distributed: Any, jobs: int, device: str) -> Any:
    """The embedded default: ``jobs`` process workers, one thread each, on loopback, no dashboard.

    A worker process has to start processes of its own (the local pool), so workers are not daemonic; a worker
    lost while running a task is not retried (``allowed-failures`` 0): that case gets ``error``.
    """
    import dask

    resources = {"GPU": 1} if device.startswith("cuda") else None
    with dask.config.set({"distributed.worker.daemon": False, "distributed.scheduler.allowed-failures": 0}):
        return distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None, env=dict(WORKER_ENV),
                                        resources=resources, silence_logs=40)


class _EarlyCluster:
    """The embedded LocalCluster, started in a background thread while the client loads plugins and plans the run
    (its worker processes start in parallel with that work instead of after it)."""

    def __init__(self, jobs: int, device: str) -> None:
        self.jobs, self.device = jobs, device
        self.cluster: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._start, name="kexue-verify-dask-start", daemon=True)
        self.thread.start()

    def _start(self) -> None:
        try:
            self.cluster = _local_cluster(_import_distributed(), self.jobs, self.device)
        except BaseException as exc:  # noqa: BLE001 - reported by take(): the run starts its own cluster then
            self.error = exc

    def take(self, config: RunConfig) -> Any:
        """The started cluster if it is the one ``config`` asks for (else it is closed and None returned)."""
        self.thread.join()
        if self.cluster is not None and (self.jobs, self.device.startswith("cuda")) != (
                config.jobs, config.device.startswith("cuda")):
            self.close()
        cluster, self.cluster = self.cluster, None
        return cluster

    def close(self) -> None:
        self.thread.join()
        cluster, self.cluster = self.cluster, None
        if cluster is not None:
            cluster.close()


_EARLY: list[_EarlyCluster] = []


def start_cluster_early(jobs: int, device: str) -> None:
    """Start the LocalCluster that ``run_cases_dask`` (without a scheduler) will use, in the background, now."""
    close_early_cluster()
    _EARLY.append(_EarlyCluster(jobs, device))


def close_early_cluster() -> None:
    """Stop a cluster started by :func:`start_cluster_early` that no run took (all cases cached, an error)."""
    while _EARLY:
        _EARLY.pop().close()


def _run_token(options: LoadOptions, shipped: tuple[ShippedDir, ...], config: RunConfig) -> str:
    """Names one run on the workers: each new run gets fresh resident pools (plugins may have changed)."""
    return hashlib.sha256(repr((options, shipped, config, os.getpid(), os.urandom(8))).encode()).hexdigest()[:20]


def _lost(case: Case, config: RunConfig, exc: BaseException) -> CaseResult:
    from kexue_verify.workers import _failed

    return _failed(case, config, Verdict.ERROR,
                   f"the dask worker running this case was lost or failed ({type(exc).__name__}: {exc}); "
                   "the other cases go on", 0.0)


def _family_workers(client: Any, cases: Sequence[Case]) -> dict[str, str]:
    """A preferred worker for each family of ``cases`` (the largest families first, each to the worker with the
    fewest cases so far), as local workers keep to a family (``workers._Queue``): the cases of a family share what
    a worker's process warms once.  A preference only (``allow_other_workers``): dask's work stealing still gives
    an idle worker another's tasks.  Empty with fewer than two workers known."""
    workers = sorted(client.scheduler_info().get("workers", {}))
    if len(workers) < 2:
        return {}
    load = dict.fromkeys(workers, 0)
    placement = {}
    for family, count in Counter(case.claim.family for case in cases).most_common():
        placement[family] = worker = min(load, key=load.__getitem__)
        load[worker] += count
    return placement


def run_cases_dask(cases: Sequence[Case], loaded: LoadedPlugins, config: RunConfig,
                   scheduler: str | None = None) -> Iterator[CaseResult]:
    """Evaluate ``cases`` as dask tasks (an embedded LocalCluster, or the cluster at ``scheduler``)."""
    if not cases:
        return
    distributed = _import_distributed()
    # absolute, as a local worker's tracebacks name the plugin files
    options = replace(loaded.options, dirs=tuple(os.path.abspath(d) for d in loaded.options.dirs))
    shipped = ship_plugin_dirs(options.dirs)
    token = _run_token(options, shipped, config)
    resources = {"GPU": 1} if config.device.startswith("cuda") else None
    with ExitStack() as stack:
        if scheduler is None:
            cluster = _EARLY.pop().take(config) if _EARLY else None
            if cluster is None:
                cluster = _local_cluster(distributed, config.jobs, config.device)
            stack.enter_context(cluster)
            client = stack.enter_context(distributed.Client(cluster, set_as_default=False))
        else:
            try:
                client = stack.enter_context(distributed.Client(scheduler, set_as_default=False, timeout=30))
            except (OSError, TimeoutError) as exc:
                raise UsageError(f"--scheduler {scheduler}: cannot reach the dask scheduler ({exc}); start one with "
                                 "`dask scheduler` and workers with `dask worker ADDRESS`") from None
        futures = {}
        placement = _family_workers(client, cases)
        for case in cases:
            preferred = placement.get(case.claim.family)
            future = client.submit(evaluate_on_worker, token, options, shipped, config, case.claim.id,
                                   case.model.name if case.model else None, key=f"kexue-verify-{token}-{case.id}",
                                   pure=False, retries=0, resources=resources,
                                   workers=[preferred] if preferred else None, allow_other_workers=True)
            futures[future] = case
        for future in distributed.as_completed(futures, loop=client.loop):
            case = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker is that case's error, not the run's end
                yield _lost(case, config, exc)
