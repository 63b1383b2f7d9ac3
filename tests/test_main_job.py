"""The main job, as a reader runs it: ``kexue-verify run all`` in worker processes, from outside the repository.

Every other topic test evaluates in-process; this one goes through the spawned workers, their thread settings and the
report writers, which is how a wrong batched LU in the workers (``kexue_verify/threads.py``) once slipped past them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_run_all_gives_every_expected_verdict(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kexue_verify", "run", "all", "-o", "report.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=1200, check=False)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    unexpected = {c["id"]: (c["verdict"], c["expected"]) for c in report["claims"] if c["verdict"] != c["expected"]}
    assert unexpected == {}, done.stdout[-4000:]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "oneMKL ERROR" not in done.stderr
    families = {c["id"].split(".")[0] for c in report["claims"]}
    assert families >= {"stirling", "flows", "svd", "lipschitz", "capsules"}


@pytest.mark.slow
def test_the_report_id_does_not_depend_on_how_the_cases_were_run(tmp_path: Path) -> None:
    """Timings (also those a check records as evidence) stay out of the id, and every worker runs one torch thread,
    so reductions round alike: the id is the same with one worker, two, or none."""
    ids = []
    for how in (["-j", "1"], ["-j", "2"], ["--in-process"]):
        out = tmp_path / f"{how[-1]}.json"
        subprocess.run([sys.executable, "-m", "kexue_verify", "run", "lipschitz", "flows", "-q", *how, "-o", str(out)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
        ids.append(json.loads(out.read_text(encoding="utf-8"))["report_id"])
    assert ids[0] == ids[1] == ids[2]
