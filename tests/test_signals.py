"""Signals and processes: an interrupted run exits 130/143 with one line and a partial report marked
``interrupted``; no worker, nor anything a check started, outlives the run or its timeout.

Each test starts the real CLI in its own session (as a shell would start a job) and signals it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kexue_verify.plugins import ENV_PLUGINS

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")]

PLUGIN = '''
import os, subprocess, sys, time
from pathlib import Path
from kexue_verify import Claim, FalseVariant, Source, holds, hookimpl

SOURCE = Source(title="T", author="Tester, Fay", date="2024", url="https://example.org/t")
PIDS = Path({pids!r})


def quick(ctx, a):
    return holds("ok", a["ok"])


def slow(ctx, a):
    """Start a grandchild that would sleep for ever, note both pids, then hang."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])
    with PIDS.open("a") as fh:
        fh.write(f"{{os.getpid()}} {{child.pid}}\\n")
    time.sleep(1000)


def claim(cid, check):
    return Claim(id=cid, title=cid, statement="s", source=SOURCE, assertion={{"ok": True}}, numeric=check,
                 false_variants=(FalseVariant(name="bad", description="d", assertion={{"ok": False}}),))


@hookimpl
def kexue_register_claims(registry):
    registry.add(claim("sig.a-quick", quick))
    registry.add(claim("sig.b-hangs", slow))
'''


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")  # a zombie has ended; only its parent has not collected it


def _wait_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        alive = [p for p in pids if _alive(p)]
        if not alive:
            return []
        time.sleep(0.2)
    return [p for p in pids if _alive(p)]


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    folder = tmp_path / "plugins"
    folder.mkdir()
    pids = tmp_path / "pids.txt"
    (folder / "sig.py").write_text(textwrap.dedent(PLUGIN.format(pids=str(pids))), encoding="utf-8")
    env = {**os.environ, ENV_PLUGINS: "", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "kexue_verify", "run", "all", "--plugins-dir", str(folder), *args]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    return proc, pids


def _wait_for(path: Path, seconds: float = 120.0) -> list[tuple[int, int]]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return [tuple(map(int, line.split())) for line in path.read_text().split("\n") if line.strip()]
        time.sleep(0.2)
    raise AssertionError(f"the hanging check never started ({path} stayed empty)")


@pytest.mark.parametrize(("how", "code", "name"), [("group-sigint", 130, "SIGINT"), ("sigterm", 143, "SIGTERM")])
def test_an_interrupted_run_exits_128_plus_n_with_a_partial_report_and_no_survivors(
        how: str, code: int, name: str, tmp_path: Path) -> None:
    stale = tmp_path / "report.json"
    stale.write_text('{"stale": true}')
    proc, pids = _start(tmp_path, "-j", "1", "--timeout", "600", "-o", "report.json", "-o", "report.md")
    ((worker, grandchild),) = _wait_for(pids)
    if how == "group-sigint":
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole foreground group
    else:
        os.kill(proc.pid, signal.SIGTERM)  # a service manager or `kill`: the CLI only
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, (out, err)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert "Traceback" not in out + err
    assert any(f"interrupted by {name}: 1 of 2 cases finished" in line for line in lines), lines
    assert len(lines) <= 5, lines  # the case line, 'wrote' lines and the one-line summary
    report = json.loads(stale.read_text(encoding="utf-8"))
    assert report["interrupted"] == {"signal": name, "completed": 1, "planned": 2, "not_run": ["sig.b-hangs"]}
    assert [e["id"] for e in report["claims"]] == ["sig.a-quick"]
    assert "Interrupted" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert _wait_gone([worker, grandchild]) == []


def test_a_timeout_ends_what_the_check_started_too(tmp_path: Path) -> None:
    proc, pids = _start(tmp_path, "-j", "1", "--timeout", "3", "-q", "-o", "report.json")
    ((worker, grandchild),) = _wait_for(pids)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 3, (out, err)  # the hanging claim timed out
    verdicts = {e["id"]: e["verdict"] for e in json.loads((tmp_path / "report.json").read_text())["claims"]}
    assert verdicts == {"sig.a-quick": "verified", "sig.b-hangs": "timeout"}
    assert _wait_gone([worker, grandchild]) == []


def test_workers_lead_their_own_process_group(tmp_path: Path) -> None:
    proc, pids = _start(tmp_path, "-j", "1", "--timeout", "600")
    try:
        ((worker, grandchild),) = _wait_for(pids)
        assert os.getpgid(worker) == worker != os.getpgid(proc.pid)
        assert os.getpgid(grandchild) == worker
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI dies without any chance to clean up ...
        proc.communicate(timeout=60)
    assert _wait_gone([worker, grandchild], seconds=15) == []  # ... and the worker notices and ends its group
