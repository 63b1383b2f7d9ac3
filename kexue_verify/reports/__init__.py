"""The canonical JSON report, its content-addressed id, and atomic writing.

Every other format (Markdown, HTML, JUnit XML, BibTeX) is rendered from the JSON data
built here, so they can never disagree.  The report id is the SHA-256 of the canonical
JSON (sorted keys, no whitespace) with the volatile fields removed: ``created``, the
host name and platform string, and every ``duration_s``.  The same claims, seed and
package versions therefore give the same id on every run.

The schema is described in ``docs/report-schema.md`` and published as JSON Schema in
``kexue_verify/reports/schema.json``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from kexue_verify.claims import Claim, Verdict
from kexue_verify.errors import UsageError
from kexue_verify.evaluation import CaseResult, RunConfig

__all__ = ["SCHEMA_VERSION", "build_report", "canonical_json", "exit_code", "load_report", "report_id", "write_atomic"]

SCHEMA_VERSION = "1.0"
PACKAGES = ("kexue-verify", "torch", "sympy", "mpmath", "numpy", "pluggy", "python-flint")
_VOLATILE_ENV = ("host", "platform")
#: Keys whose values are wall-clock measurements, anywhere in the report: left out of the report id. A check that
#: records timings as evidence puts them under ``timings`` (a quantity like any other, but volatile).
#: ``cache`` marks a result reused from the result cache: how a verdict was obtained, not what it is.
VOLATILE_KEYS = frozenset({"duration_s", "timings", "cache"})


def canonical_json(data: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 kept, NaN refused."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _strip_volatile(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip_volatile(v) for k, v in data.items() if k not in VOLATILE_KEYS}
    if isinstance(data, list):
        return [_strip_volatile(v) for v in data]
    return data


def report_id(report: Mapping[str, Any]) -> str:
    """``kv-`` and the first 20 hex digits of SHA-256 over the canonical, non-volatile content."""
    content = {k: v for k, v in report.items() if k not in ("report_id", "created")}
    env = dict(content.get("environment", {}))
    for key in _VOLATILE_ENV:
        env.pop(key, None)
    content["environment"] = env
    digest = hashlib.sha256(canonical_json(_strip_volatile(content)).encode()).hexdigest()
    return f"kv-{digest[:20]}"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_commit(path: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment(config: RunConfig) -> dict[str, Any]:
    """Python, package versions, device, dtype, seed and the git commit of the built-in claims when known."""
    device_name = "cpu"
    if config.device.startswith("cuda") and "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.cuda.is_available():
            device_name = torch.cuda.get_device_name(0)
    try:
        import kexue_verify_plugins

        commit = _git_commit(Path(kexue_verify_plugins.__file__).parent)
    except ImportError:  # pragma: no cover
        commit = None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": platform.node(),
        "packages": {name: _version(name) for name in PACKAGES},
        "device": config.device,
        "device_name": device_name,
        "dtype": config.dtype,
        "seed": config.seed,
        "claims_commit": commit,
    }


def _claim_entry(result: CaseResult, claim: Claim) -> dict[str, Any]:
    data = result.to_dict()
    return {
        "id": result.case_id,
        "claim_id": claim.id,
        "label": claim.label,
        "family": claim.family,
        "title": claim.title,
        "statement": claim.statement,
        "source": claim.source.to_dict(),
        "tags": list(claim.tags),
        "proof": claim.proof,
        "status": claim.status.value if claim.status else None,
        **{k: v for k, v in data.items() if k not in ("case_id", "claim_id")},
    }


def summarize(results: Iterable[CaseResult]) -> dict[str, Any]:
    results = list(results)
    counts = {v.value: 0 for v in Verdict}
    for r in results:
        counts[r.verdict.value] += 1
    unexpected = [r.case_id for r in results if not r.as_expected and r.verdict is not Verdict.SKIPPED]
    return {
        "total": len(results),
        "verdicts": counts,
        "as_expected": sum(r.as_expected for r in results),
        "unexpected": unexpected,
        "exit_code": exit_code(results),
    }


def exit_code(results: Iterable[CaseResult]) -> int:
    """0: every verdict as expected (or skipped); 3: an error or timeout; 1: another unexpected verdict."""
    results = list(results)
    if any(r.verdict in (Verdict.ERROR, Verdict.TIMEOUT) and not r.as_expected for r in results):
        return 3
    if any(not r.as_expected and r.verdict is not Verdict.SKIPPED for r in results):
        return 1
    return 0


def build_report(
    results: Sequence[CaseResult],
    claims: Mapping[str, Claim],
    config: RunConfig,
    *,
    selection: Mapping[str, Any] | None = None,
    plugins: Sequence[Mapping[str, Any]] = (),
    created: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Assemble the canonical report from results (any order: entries are sorted by id)."""
    ordered = sorted(results, key=lambda r: r.case_id)
    entries = [_claim_entry(r, claims[r.claim_id]) for r in ordered]
    sources: dict[str, dict[str, Any]] = {}
    for r in ordered:
        src = claims[r.claim_id].source
        sources.setdefault(src.url, {"key": src.key, **src.to_dict()})
    created = created or _dt.datetime.now(_dt.timezone.utc)
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "report_id": "",
        "created": created.replace(microsecond=0).isoformat(),
        "tool": {"name": "kexue-verify", "version": _version("kexue-verify")},
        "environment": environment(config),
        "selection": dict(selection or {}),
        "summary": summarize(ordered),
        "claims": entries,
        "sources": sorted(sources.values(), key=lambda s: s["key"]),
        "plugins": [{"name": p["name"], "origin": p["origin"], "version": p.get("version")} for p in plugins],
    }
    report["report_id"] = report_id(report)
    return report


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``: readers never see half a file.

    The file gets the permissions of any new file (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``:
    a report is written to be shared.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a JSON report, checking that it is one and that its id matches its content."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; write one with `kexue-verify run all -o {path}`") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON ({exc.msg} at line {exc.lineno}); pass the .json report") from None
    if not isinstance(data, dict) or "schema_version" not in data or "claims" not in data:
        raise UsageError(f"{path} is not a kexue-verify report (no schema_version/claims)")
    version = data["schema_version"]
    if not isinstance(version, str) or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise UsageError(f"{path} has schema {version}; this version reads {SCHEMA_VERSION}")
    return data
