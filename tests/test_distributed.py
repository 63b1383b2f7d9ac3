"""`run --executor dask`: a 2-worker LocalCluster of process workers on loopback gives a local run's report."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from conftest import CORE_FAKES, FAKE_VERDICTS, SLOW_FAKES, Invoker

from kexue_verify.distributed import _family_workers, _materialise, ship_plugin_dirs
from kexue_verify.plugins import ENV_PLUGINS

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("dask_run")
    invoker = Invoker(CliRunner(), {ENV_PLUGINS: ""})
    result = invoker("run", "all", "--executor", "dask", "-j", "2", "--timeout", "3", "--no-cache",
                     "-o", folder / "report.json", plugins=(CORE_FAKES, SLOW_FAKES))
    return result, json.loads((folder / "report.json").read_text(encoding="utf-8"))


def test_every_case_gets_the_verdict_it_gets_locally_hang_and_crash_included(dask_run) -> None:
    result, report = dask_run
    assert result.exit_code == 3, result.output
    assert {e["id"]: e["verdict"] for e in report["claims"]} == FAKE_VERDICTS
    by_id = {e["id"]: e for e in report["claims"]}
    assert by_id["slow.hang"]["message"] == "no verdict within 3 s (raise it with --timeout)"
    assert "the worker process died while checking" in by_id["slow.crash"]["message"]


def test_the_report_id_is_the_local_runs(dask_run, fake_run) -> None:
    _, report = dask_run
    assert report["report_id"] == fake_run.report["report_id"]


def test_plugin_dirs_are_shipped_as_bytes_and_written_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "worker-tmp"))
    (tmp_path / "worker-tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    shipped = ship_plugin_dirs([str(CORE_FAKES)])
    (name, files), = shipped
    assert name == "core"
    assert {f for f, _ in files} == {p.name for p in CORE_FAKES.glob("*.py")}
    first = _materialise(shipped)
    assert _materialise(shipped) == first
    (folder,) = (Path(d) for d in first)
    assert str(folder).startswith(str(tmp_path / "worker-tmp"))
    assert {p.name: p.read_bytes() for p in folder.glob("*.py")} == dict(files)


def test_dask_with_in_process_is_a_usage_error(invoke) -> None:
    result = invoke("run", "all", "--executor", "dask", "--in-process")
    assert result.exit_code == 2
    assert "choose one" in result.output


def test_the_cluster_started_early_is_used_only_if_it_is_the_one_asked_for_and_closed_if_unused(monkeypatch) -> None:
    from kexue_verify import distributed
    from kexue_verify.verdicts import RunConfig

    closed = []

    class FakeCluster:
        def __init__(self, jobs: int) -> None:
            self.jobs = jobs

        def close(self) -> None:
            closed.append(self.jobs)

    monkeypatch.setattr(distributed, "_import_distributed", lambda: None)
    monkeypatch.setattr(distributed, "_local_cluster", lambda _, jobs, device: FakeCluster(jobs))
    distributed.start_cluster_early(3, "cpu")
    assert distributed._EARLY.pop().take(RunConfig(jobs=2)) is None  # another size: closed, the run starts its own
    assert closed == [3]
    distributed.start_cluster_early(2, "cpu")
    assert distributed._EARLY.pop().take(RunConfig(jobs=2)).jobs == 2
    distributed.start_cluster_early(2, "cpu")  # no run takes it (every case cached, or an error)
    distributed.close_early_cluster()
    assert closed == [3, 2]
    assert not distributed._EARLY


class _Client:
    def __init__(self, *workers: str) -> None:
        self.workers = workers

    def scheduler_info(self) -> dict:
        return {"workers": {w: {} for w in self.workers}}


def test_each_family_prefers_one_worker_the_largest_families_spread_first() -> None:
    cases = [SimpleNamespace(claim=SimpleNamespace(family=f)) for f in "aaaaabbbccd"]
    placement = _family_workers(_Client("tcp://w2", "tcp://w1"), cases)
    assert placement == {"a": "tcp://w1", "b": "tcp://w2", "c": "tcp://w2", "d": "tcp://w1"}  # 5+1 against 3+2
    assert _family_workers(_Client("tcp://w1"), cases) == {}  # one worker (or none yet): no preference
