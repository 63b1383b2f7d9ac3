"""Golden per-claim reports: what a topic's report shows, kept from before a refactoring, and the comparison.

``tests/golden/<topic>_evidence_<label>.json`` hold, for every claim of one ``kexue-verify run`` command, the
verdict, the message and the evidence of both parts and of every false variant (timings left out), together with the
command that produced them.  A refactoring that must not change behaviour (typed assertions, a new module layout)
writes them *before* the change and :mod:`test_topic_migrations` checks that the changed code reproduces them.
Each also records the :func:`platform` it was written on: elsewhere (another CPU's vector extensions, other library
versions) rounding differs, so only the :func:`skeleton` — verdicts, evidence names and outcomes — is compared.

Write one (from the repository root, before the change)::

    python tests/golden_reports.py flows float64            # kexue-verify run flows -j 1
    python tests/golden_reports.py flows float32_seed3 --dtype float32 --seed 3
"""

from __future__ import annotations

import json
import math
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"


_WALL_CLOCK = ("duration_s", "timings")  # measured times differ run to run; they are not behaviour


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _WALL_CLOCK}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def per_claim(report: dict[str, Any]) -> dict[str, Any]:
    """What the comparison covers, per claim id."""
    keep = ("verdict", "expected", "as_expected", "seed", "message", "symbolic", "numeric", "false_variants")
    return {c["id"]: _strip({k: c.get(k) for k in keep}) for c in report["claims"]}


def platform() -> dict[str, str]:
    """What the numbers of a report depend on besides the code: the CPU's vector extensions (torch's kernels and MKL
    pick their code paths by them), the Python and the numerical libraries' versions.

    Two machines that differ here round differently, and an optimiser or a rationalised witness amplifies one ulp into
    a different number (``svd.l1-loss-breaks-equivalence`` finds ``-458/871`` where another CPU found ``-285/542``);
    the verdicts and evidence outcomes do not change.
    """
    import importlib.metadata
    import platform as host

    import torch

    flags = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        line = next((ln for ln in cpuinfo.splitlines() if ln.startswith("flags")), "")
        flags = " ".join(sorted(f for f in line.split() if f.startswith(("avx", "amx", "fma", "sse4"))))
    except OSError:
        pass
    versions = {}
    for package in ("torch", "numpy", "sympy", "mpmath", "zuko", "nflows", "normflows", "keras"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "-"
    return {"machine": host.machine(), "python": ".".join(host.python_version_tuple()[:2]),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpu_flags": flags, **versions}


def skeleton(claims: dict[str, Any]) -> dict[str, Any]:
    """The platform-independent part of per-claim reports: verdicts, and each evidence's name and outcome."""

    def part(p: Any) -> Any:
        if not isinstance(p, dict):
            return p
        return {"outcome": p.get("outcome"),
                "evidence": [(e.get("name"), e.get("outcome")) for e in p.get("evidence") or []]}

    return {cid: {"verdict": c.get("verdict"), "expected": c.get("expected"), "as_expected": c.get("as_expected"),
                  "symbolic": part(c.get("symbolic")), "numeric": part(c.get("numeric")),
                  "false_variants": [{"numeric": part(v.get("numeric")), "symbolic": part(v.get("symbolic"))}
                                     for v in c.get("false_variants") or []]}
            for cid, c in claims.items()}


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Where ``new`` differs from ``old``: strings, flags and structure exactly; floats to 1e-12 relative."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = [f"{path}/{k}: only in one" for k in sorted(set(old) ^ set(new))]
        for key in sorted(set(old) & set(new)):
            found += differences(old[key], new[key], f"{path}/{key}")
        return found
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items before, {len(new)} now"]
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in differences(a, b, f"{path}[{i}]")]
    if isinstance(old, float) and isinstance(new, (int, float)) and not isinstance(new, bool):
        return [] if math.isclose(old, new, rel_tol=1e-12, abs_tol=1e-300) else [f"{path}: {old!r} -> {new!r}"]
    return [] if old == new and type(old) is type(new) else [f"{path}: {old!r} -> {new!r}"]


def run_report(arguments: list[str], cwd: Path) -> dict[str, Any]:
    """``kexue-verify <arguments> --no-cache -q -o report.json`` in ``cwd``: its JSON report, computed afresh."""
    out = cwd / "report.json"
    command = [sys.executable, "-m", "kexue_verify", *arguments, "--no-cache", "-q", "-o", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=cwd)
    if done.returncode != 0:
        raise AssertionError(f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def golden_arguments(golden: dict[str, Any]) -> list[str]:
    """The ``run`` arguments a golden file was written with (its ``command`` without the program name)."""
    words = shlex.split(golden["command"])
    assert words[0] == "kexue-verify", golden["command"]
    return words[1:]


def write(topic: str, label: str, extra: list[str]) -> Path:
    """Run ``kexue-verify run <topic> -j 1 <extra>`` and keep its per-claim report as a golden file."""
    arguments = ["run", topic, "-j", "1", *extra]
    with tempfile.TemporaryDirectory() as folder:
        report = run_report(arguments, Path(folder))
    path = GOLDEN / f"{topic}_evidence_{label}.json"
    golden = {"command": shlex.join(["kexue-verify", *arguments]), "platform": platform(),
              "claims": per_claim(report)}
    path.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(sys.argv[1], sys.argv[2], sys.argv[3:]))
