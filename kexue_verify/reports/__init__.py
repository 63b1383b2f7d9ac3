"""The canonical JSON report, its content-addressed id, and atomic writing.

Every other format (HTML, Markdown, JUnit XML, BibTeX) is rendered from the JSON data
built here, so they can never disagree.  The report id is a hash of exactly what the report
asserts — the selected cases, the digest of each one's definition (assertion, false variants,
check code), their verdicts and evidence, the seed, device, dtype and package versions —
and of nothing that depends on the machine, the install mode, the timings or on plugins that
contributed nothing to the selection (:mod:`kexue_verify.reports.identity`).

The schema is described in ``docs/report-schema.md`` and published as JSON Schema in
``kexue_verify/reports/schema.json``; its changes are listed in ``CHANGELOG.md``.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
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

from kexue_verify.claims import Claim, Source, Verdict
from kexue_verify.errors import UsageError
from kexue_verify.plugins import BUILTIN_PACKAGE
from kexue_verify.reports.identity import (
    VOLATILE_KEYS,
    canonical_json,
    check_report,
    definition_digest,
    escape_surrogates,
    report_id,
    seal,
)
from kexue_verify.verdicts import CaseResult, RunConfig

__all__ = [
    "SCHEMA_VERSION",
    "VOLATILE_KEYS",
    "build_report",
    "canonical_json",
    "check_report",
    "exit_code",
    "load_report",
    "report_id",
    "seal",
    "write_atomic",
]

#: 2.0: the id covers claim and section digests and leaves out the git commit and unrelated plugins (CHANGELOG.md).
SCHEMA_VERSION = "2.0"
PACKAGES = ("kexue-verify", "torch", "sympy", "mpmath", "numpy", "pluggy", "python-flint")
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


def device_name(device: str) -> str:
    """The accelerator's name for a ``cuda`` device (``torch.cuda.get_device_name``, where torch is imported and sees
    one), else ``"cpu"``."""
    if device.startswith("cuda") and "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.cuda.is_available():
            return str(torch.cuda.get_device_name(0))
    return "cpu"


def environment(config: RunConfig) -> dict[str, Any]:
    """Python, package versions, device, dtype, seed and the git commit of the built-in claims when known."""
    builtin = importlib.util.find_spec(BUILTIN_PACKAGE)
    commit = _git_commit(Path(builtin.origin).parent) if builtin is not None and builtin.origin else None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": platform.node(),
        "packages": {name: _version(name) for name in PACKAGES},
        "device": config.device,
        "device_name": device_name(config.device),
        "dtype": config.dtype,
        "seed": config.seed,
        "claims_commit": commit,
    }


def _claim_entry(result: CaseResult, claim: Claim, definition: str) -> dict[str, Any]:
    data = result.to_dict()
    entry = {
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
        "notes": claim.notes or None,
        **{k: v for k, v in data.items() if k not in ("case_id", "claim_id")},
        "definition_digest": definition,
    }
    return entry


def _contributors(plugins: Sequence[Mapping[str, Any]], results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    """The plugins that registered a selected claim or the model a case ran on (no others: they asserted nothing).

    A plugin record without ``claims``/``models`` lists (a caller's own summary) is kept as it is.
    """
    claim_ids = {r.claim_id for r in results}
    models = {r.model for r in results if r.model}
    kept = []
    for p in plugins:
        listed = "claims" in p or "models" in p
        if listed and not (claim_ids & set(p.get("claims", ())) or models & set(p.get("models", ()))):
            continue
        kept.append({"name": p["name"], "origin": p["origin"], "version": p.get("version")})
    return sorted(kept, key=lambda p: p["name"])


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


#: The exit code of a run in which every selected case was skipped: nothing was checked, which is not a success.
ALL_SKIPPED = 4


def exit_code(results: Iterable[CaseResult]) -> int:
    """0: every verdict as expected (or skipped); 3: an error or timeout; 1: another unexpected verdict;
    4 (:data:`ALL_SKIPPED`): every case was skipped, so nothing was checked."""
    results = list(results)
    if any(r.verdict in (Verdict.ERROR, Verdict.TIMEOUT) and not r.as_expected for r in results):
        return 3
    if any(not r.as_expected and r.verdict is not Verdict.SKIPPED for r in results):
        return 1
    if results and all(r.verdict is Verdict.SKIPPED for r in results):
        return ALL_SKIPPED
    return 0


def build_report(
    results: Sequence[CaseResult],
    claims: Mapping[str, Claim],
    config: RunConfig,
    *,
    selection: Mapping[str, Any] | None = None,
    plugins: Sequence[Mapping[str, Any]] = (),
    definitions: Mapping[str, str] | None = None,
    created: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Assemble the canonical report from results (any order: entries are sorted by id).

    ``definitions`` maps each case id to its :func:`~kexue_verify.reports.identity.definition_digest` (with the model
    and proof documents it ran with, as :func:`kexue_verify.run` computes them); a case missing from it is digested
    from its claim alone.  ``plugins`` are plugin records (``PluginInfo.to_dict()``); only those that contributed a
    selected claim or model are kept.
    """
    ordered = sorted(results, key=lambda r: r.case_id)
    definitions = definitions or {}
    entries = [_claim_entry(r, claims[r.claim_id], definitions.get(r.case_id)
                            or definition_digest(claims[r.claim_id])) for r in ordered]
    sources: dict[str, dict[str, Any]] = {}
    for r in ordered:
        src = claims[r.claim_id].source
        sources.setdefault(src.url, src.to_dict())
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
        "sources": unique_keys(list(sources.values())),
        "plugins": _contributors(plugins, ordered),
        "digests": {},
    }
    return seal(escape_surrogates(report))


def unique_keys(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each source a BibTeX key unique in the report, sorted by key.

    Two posts by one author in one year with the same first title word (``su2018flow`` for 5776 and 5807) get
    the letters ``a``, ``b``, … in date-then-URL order, as biblatex's ``extradate`` labels them.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for src in sources:
        groups.setdefault(Source(**src).key, []).append(src)
    keyed = []
    for key, group in groups.items():
        group.sort(key=lambda s: (s["date"], s["url"]))
        for i, src in enumerate(group):
            suffix = "" if len(group) == 1 else _letters(i)
            keyed.append({"key": key + suffix, **src})
    return sorted(keyed, key=lambda s: s["key"])


def _letters(index: int) -> str:
    """0 → a, 25 → z, 26 → aa."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("a") + rest) + text
    return text


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
    """Read a JSON report, checking that it is one of a schema this version reads, with every field the writers
    read.

    Anything else (a binary or non-UTF-8 file, broken JSON, a JSON document that is not a report, a
    report with fields missing) raises :class:`~kexue_verify.errors.UsageError` naming the file and
    the problem in one line.  Whether its content still matches its digests is :func:`check_report`'s job
    (``kexue-verify report --check``).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; write one with `kexue-verify run all -o {path}`") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a report file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not a JSON report: byte {exc.start} is not UTF-8 (a binary file?)") from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}); pass the .json report"
        ) from None
    except RecursionError:
        raise UsageError(f"{path} is not a JSON report: it is nested too deeply") from None
    if not isinstance(data, dict) or "schema_version" not in data or "claims" not in data:
        raise UsageError(f"{path} is not a kexue-verify report (no schema_version/claims)")
    version = data["schema_version"]
    if not isinstance(version, str) or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        hint = ("; reports of schema 1.x have no digests: run the selection again to get a checkable report"
                if isinstance(version, str) and version.startswith("1.") else "")
        raise UsageError(f"{path} has schema {version}; this version reads {SCHEMA_VERSION}{hint}")
    problem = _structure_problem(data)
    if problem:
        raise UsageError(f"{path} is not a complete kexue-verify report: {problem}")
    return data


def _structure_problem(data: Mapping[str, Any]) -> str | None:
    """The first required field (by ``schema.json``) that is missing or of the wrong kind, or None."""
    schema = _schema()
    kinds: dict[str, type | tuple[type, ...]] = {"object": dict, "array": list, "string": str}
    for key in schema["required"]:
        if key not in data:
            return f"the field {key!r} is missing"
        kind = schema["properties"].get(key, {}).get("type")
        if isinstance(kind, str) and kind in kinds and not isinstance(data[key], kinds[kind]):
            return f"the field {key!r} is not a{'n' if kind[0] in 'aeio' else ''} {kind}"
    for key in schema["properties"]["summary"]["required"]:
        if key not in data["summary"]:
            return f"the field 'summary.{key}' is missing"
    if not isinstance(data["summary"].get("verdicts"), dict):
        return "the field 'summary.verdicts' is not an object"
    claim = schema["$defs"]["claim"]["required"]
    for i, entry in enumerate(data["claims"]):
        if not isinstance(entry, dict):
            return f"claims[{i}] is not an object"
        missing = [k for k in claim if k not in entry]
        if missing:
            return f"claims[{i}] has no {missing[0]!r}"
    return None


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((Path(__file__).with_name("schema.json")).read_text(encoding="utf-8"))
    return schema
