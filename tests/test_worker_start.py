"""How workers start: forked from the CLI process, which has loaded the plugins, where that is safe (Linux, one
thread, no torch), else spawned; either way the same verdicts and the same report id.

Each test runs the real CLI in a fresh process (a test session has threads and torch, so it never forks workers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kexue_verify.plugins import ENV_PLUGINS
from kexue_verify.workers import ENV_WORKER_START

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")]

PLUGIN = '''
import multiprocessing, os, signal, sys, time
from kexue_verify import Claim, FalseVariant, Source, holds, hookimpl

SOURCE = Source(title="T", author="Tester, Fay", date="2024", url="https://example.org/t")
IMPORTED_IN = os.getpid()  # a forked worker has the module its parent imported; a spawned one imports it itself
print("the start plugin is imported")  # into the parent's stdout buffer (a pipe: not flushed yet)


def forked(ctx, a):
    return holds("imported in another process", (IMPORTED_IN != os.getpid()) == a["forked"])


def sums(ctx, a):
    return holds("sum of 0..n-1", sum(range(a["n"])) == a["stated"], found=sum(range(a["n"])))


def terminated(ctx, a):
    os.kill(os.getpid(), signal.SIGTERM)  # as `kill WORKER` would
    time.sleep(30)
    return holds("never reached", True)


def hangs(ctx, a):
    time.sleep(600)


def claim(cid, check, assertion, wrong):
    return Claim(id=cid, title=cid, statement="s", source=SOURCE, assertion=assertion, numeric=check,
                 false_variants=(FalseVariant(name="wrong", description="d", assertion=wrong),))


@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("start.forked", forked, {"forked": True}, {"forked": False}))
    for n in (10, 100, 1000):
        registry.add(claim(f"start.sum-{n}", sums, {"n": n, "stated": n * (n - 1) // 2},
                           {"n": n, "stated": n * (n + 1) // 2}))
    registry.add(claim("start.terminated", terminated, {}, {}))
    registry.add(claim("start.a-hangs", hangs, {}, {}))
    if multiprocessing.parent_process() is None:  # only in the process that plans the run
        registry.add(claim("start.parent-only", sums, {"n": 3, "stated": 3}, {"n": 3, "stated": 6}))
'''


def _run(tmp_path: Path, *args: str, start: str | None = None, builtins: str = "",
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    (folder / "start.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k not in (ENV_WORKER_START, "PYTHONUNBUFFERED")}
    environment |= {ENV_PLUGINS: builtins, "OMP_NUM_THREADS": "1"} | ({ENV_WORKER_START: start} if start else {})
    cache = [] if {"--cache", "--no-cache"} & set(args) else ["--no-cache"]
    cmd = [sys.executable, "-m", "kexue_verify", "run", *args, "--plugins-dir", str(folder), *cache]
    return subprocess.run(cmd, cwd=tmp_path, env=environment | (env or {}), capture_output=True, text=True,
                          timeout=600, check=False)


def _verdicts(path: Path) -> dict[str, str]:
    return {e["id"]: e["verdict"] for e in json.loads(path.read_text(encoding="utf-8"))["claims"]}


def test_workers_are_forked_where_safe_and_spawned_on_request(tmp_path: Path) -> None:
    forked = _run(tmp_path, "start.forked", "-j", "1", "-q", "-o", "forked.json")
    spawned = _run(tmp_path, "start.forked", "-j", "1", "-q", "-o", "spawned.json", start="spawn")
    assert forked.returncode == 0, forked.stderr
    assert _verdicts(tmp_path / "forked.json") == {"start.forked": "verified"}
    assert spawned.returncode == 1, spawned.stderr  # not as expected: the marker says imported in this very process
    assert _verdicts(tmp_path / "spawned.json") == {"start.forked": "refuted"}


def test_forked_and_spawned_workers_give_the_same_report(tmp_path: Path) -> None:
    """The same verdicts, evidence and report id, with a built-in claim whose derivation is checked ahead."""
    runs = {start: _run(tmp_path, "start.sum-*", "stirling.formula", "-j", "2", "-q", "-o", f"{start}.json",
                        start=start, builtins="stirling") for start in ("fork", "spawn")}
    for start, done in runs.items():
        assert done.returncode == 0, (start, done.stderr)
    reports = {start: json.loads((tmp_path / f"{start}.json").read_text(encoding="utf-8")) for start in runs}
    assert len(reports["fork"]["claims"]) == 4
    assert reports["fork"]["report_id"] == reports["spawn"]["report_id"]


def test_a_forked_worker_has_the_signal_handlers_of_a_fresh_one(tmp_path: Path) -> None:
    """SIGTERM ends it (its case: error, killed by signal 15) instead of raising the parent's ``Interrupted``."""
    done = _run(tmp_path, "start.terminated", "start.sum-10", "-j", "1", "-q", "-o", "r.json")
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    entries = {e["id"]: e for e in report["claims"]}
    assert entries["start.terminated"]["verdict"] == "error", done.stderr
    assert "killed by signal 15" in entries["start.terminated"]["message"]
    assert entries["start.sum-10"]["verdict"] == "verified"  # the replacement worker goes on
    assert "interrupted" not in report


def test_a_worker_forked_after_output_does_not_write_it_again(tmp_path: Path) -> None:
    """Workers forked while the parent's stdout (a pipe, so block-buffered) holds what a plugin printed, and again
    after a timeout: each line appears once."""
    done = _run(tmp_path, "start.sum-*", "start.a-hangs", "-j", "1", "--timeout", "3")
    assert done.returncode == 3, done.stderr
    assert done.stdout.count("the start plugin is imported") == 1, done.stdout
    lines = [line.split()[1] for line in done.stdout.splitlines() if line.split()[:1] in (["verified"], ["timeout"])]
    assert sorted(lines) == ["start.a-hangs", "start.sum-10", "start.sum-100", "start.sum-1000"], done.stdout


def test_a_forked_worker_runs_the_claims_its_parent_registered(tmp_path: Path) -> None:
    """A plugin that registers a claim only in the planning process: a forked worker has that registration, a
    spawned one registers again and lacks the claim (its case: error, naming the cause)."""
    forked = _run(tmp_path, "start.parent-only", "-q", "-o", "forked.json")
    spawned = _run(tmp_path, "start.parent-only", "-q", "-o", "spawned.json", start="spawn")
    assert forked.returncode == 0, forked.stderr
    assert _verdicts(tmp_path / "forked.json") == {"start.parent-only": "verified"}
    assert spawned.returncode == 3, spawned.stderr
    (entry,) = json.loads((tmp_path / "spawned.json").read_text(encoding="utf-8"))["claims"]
    assert entry["verdict"] == "error"
    assert "did not register claim 'start.parent-only'" in entry["message"]


@pytest.mark.parametrize("cache", ["--no-cache", "--cache"])
def test_a_mistyped_start_method_is_a_one_line_error(tmp_path: Path, cache: str) -> None:
    """Also when every case would come from the cache (no worker to start)."""
    env = {"KEXUE_VERIFY_CACHE_DIR": str(tmp_path / "cache")}
    assert _run(tmp_path, "start.sum-10", "-q", cache, env=env).returncode == 0
    done = _run(tmp_path, "start.sum-10", "-q", cache, start="sapwn", env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Error: {ENV_WORKER_START}='sapwn': use 'spawn' (fresh worker processes, each loading the plugins) or "
        "'fork' (the default: forked where that is safe)"]


def test_a_process_with_a_native_thread_does_not_fork() -> None:
    """NumPy's OpenBLAS starts a thread :mod:`threading` does not know of; torch is refused by name."""
    code = ("import threading, sys; from kexue_verify.workers import _can_fork, _threads\n"
            "before = _can_fork(); import numpy\n"
            "print(before, _threads(), threading.active_count(), _can_fork())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    before, native, known, after = done.stdout.split()
    assert (before, known) == ("True", "1")
    assert int(native) >= 2
    assert after == "False"
