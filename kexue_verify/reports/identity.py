"""What a report asserts, as digests: a claim's definition, each claim entry, each section, and the report id.

A report is identified by exactly what it asserts, and by nothing else:

* each claim entry carries ``definition_digest``, SHA-256 over a canonical form of the claim's definition —
  its statement, assertion, expected verdict, false variants (their descriptions and assertions), the model it
  ran on (name and declared promises) and the *code* of its checks and model factories (the source file of
  each, so that an edited check is another definition) and the text of the proof document it rests on;
* each claim entry carries ``digest``, SHA-256 over the entry itself (verdicts, evidence, variants, the
  definition digest) without its volatile fields (``duration_s``, ``timings``);
* ``digests`` holds one digest per section the id covers: ``tool``, ``environment`` (without host, platform
  and the git commit, which depend on the machine and the install mode), ``summary``, ``sources`` and
  ``plugins`` (only those that contributed a claim or model to the selection);
* ``report_id`` is ``kv-`` and 20 hex digits of SHA-256 over ``schema_version``, the section digests and the
  list of claim digests.

:func:`check_report` recomputes all of them and names each one that no longer matches: an entry edited by hand
(a verdict flipped to ``verified``) is found, and so is a summary that no longer agrees with its claims.  A digest
is not a signature — whoever edits a report can recompute it — so ``kexue-verify rerun`` is the check that the
verdicts themselves are reproduced.

Code is digested from the files as they are when the digests are taken.  Within :func:`code_snapshot` (a run takes
all its digests in one, when it starts) each file, package and module reference is read and hashed once, however
many cases share it; outside one, on every call — never once per process, so that a long-lived process (a notebook)
that edits a check between two runs digests the edited code.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "VOLATILE_ENVIRONMENT",
    "VOLATILE_KEYS",
    "canonical_json",
    "check_report",
    "claim_digest",
    "code_digest",
    "code_snapshot",
    "definition_digest",
    "escape_surrogates",
    "file_digest",
    "import_root_digest",
    "proof_digest",
    "remembered",
    "remembered_items",
    "remembered_keys",
    "report_id",
    "seal",
    "section_digests",
    "source_tree_digest",
]

#: Keys whose values are wall-clock measurements, anywhere in a claim entry: left out of every digest. A check that
#: records timings as evidence puts them under ``timings`` (a quantity like any other, but volatile).
#: ``cache`` marks a result reused from the result cache (kexue_verify.cache): how a verdict was obtained, not what
#: it is, so a report's id does not depend on the cache.
VOLATILE_KEYS = frozenset({"duration_s", "timings", "cache"})
#: Environment fields that depend on the machine or on how the package was installed, not on what was computed.
VOLATILE_ENVIRONMENT = ("host", "platform", "claims_commit")
#: The sections of a report that the id covers besides the claims, in this order.
SECTIONS = ("tool", "environment", "summary", "sources", "plugins")
#: Sections only some reports have (``interrupted``: the run was stopped by a signal; ``code_changed``: code it
#: digested was edited while it ran); covered when present.
OPTIONAL_SECTIONS = ("interrupted", "code_changed")


def canonical_json(data: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 kept, NaN refused."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _sha256(data: Any) -> str:
    # backslashreplace: a lone surrogate that slipped past escape_surrogates still hashes (as its escape)
    return hashlib.sha256(canonical_json(data).encode("utf-8", "backslashreplace")).hexdigest()


def escape_surrogates(data: Any) -> Any:
    """``data`` with every lone surrogate in its strings (keys too) written as its escape, ``\\udcff``.

    A lone surrogate (e.g. ``"\\udcff"`` from a file name decoded with ``surrogateescape``) cannot be encoded as
    UTF-8, so a report holding one could be neither hashed nor written.  Escaping keeps the information visible.
    """
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return data.encode("utf-8", "backslashreplace").decode("utf-8")
        return data
    if isinstance(data, dict):
        return {escape_surrogates(k): escape_surrogates(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [escape_surrogates(v) for v in data]
    return data


def _strip_volatile(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip_volatile(v) for k, v in data.items() if k not in VOLATILE_KEYS}
    if isinstance(data, list):
        return [_strip_volatile(v) for v in data]
    return data


# --- a claim's definition --------------------------------------------------------------------------------------------

_T = TypeVar("_T")
_SNAPSHOT: ContextVar[dict[tuple[str, str], Any] | None] = ContextVar("kexue_verify_code_snapshot", default=None)


@contextlib.contextmanager
def code_snapshot() -> Iterator[None]:
    """Within the block each digest of code (:func:`remembered`) is computed once: the code as it was when first
    read.  Nested blocks share the outer one's."""
    if _SNAPSHOT.get() is not None:
        yield
        return
    token = _SNAPSHOT.set({})
    try:
        yield
    finally:
        _SNAPSHOT.reset(token)


def remembered(kind: str, key: str, compute: Callable[[], _T]) -> _T:
    """``compute()``, once per ``(kind, key)`` within a :func:`code_snapshot`; outside one, every time."""
    memo = _SNAPSHOT.get()
    if memo is None:
        return compute()
    if (kind, key) not in memo:
        memo[kind, key] = compute()
    return memo[kind, key]  # type: ignore[no-any-return]


def remembered_keys(kind: str) -> list[str]:
    """The keys of ``kind`` remembered in the current :func:`code_snapshot` (none outside one)."""
    return list(remembered_items(kind))


def remembered_items(kind: str) -> dict[str, Any]:
    """The keys of ``kind`` remembered in the current :func:`code_snapshot` and their values (none outside one)."""
    memo = _SNAPSHOT.get() or {}
    return {key: value for (k, key), value in memo.items() if k == kind}


def file_digest(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes (CRLF read as LF), once per :func:`code_snapshot`; None when it cannot be read."""
    def digest() -> str | None:
        try:
            data = Path(path).read_bytes()
        except OSError:
            return None
        return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()

    return remembered("file", str(path), digest)


def source_tree_digest(root: str | Path) -> str:
    """SHA-256 over the relative names and bytes (CRLF read as LF) of every ``*.py`` file under ``root``, or of
    ``root`` itself when it is a file."""
    path = Path(root)
    if path.is_file():
        return _files_digest([path], path.parent)
    return _files_digest(_python_files(path), path)


def import_root_digest(folder: str | Path) -> str:
    """SHA-256 over what a folder on ``sys.path`` makes importable: its ``*.py`` files and its packages (folders
    with ``__init__.py``, every ``*.py`` file in them), by relative name and bytes.  Other folders (a virtual
    environment, data) are not read."""
    root = Path(folder)
    files: list[Path] = []
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if entry.is_file() and entry.suffix == ".py":
            files.append(entry)
        elif entry.is_dir() and (entry / "__init__.py").is_file():
            files += _python_files(entry)
    return _files_digest(files, root)


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _files_digest(files: Iterable[Path], base: Path) -> str:
    """SHA-256 over each file's name relative to ``base`` and its bytes, CRLF read as LF (an unreadable file: its
    name alone)."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(base)).encode())
        with contextlib.suppress(OSError):
            digest.update(file.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()


def code_digest(ref: Any) -> str | None:
    """SHA-256 of the source file that defines a check or model factory (``"module:function"`` or a callable).

    A lazy reference is located without importing it (``importlib.util.find_spec``), so digesting a claim does
    not import torch.  The file's bytes are the same in a wheel and in an editable install.  ``None`` when there
    is no code (no check) or its source cannot be found (then the reference's name stands in).
    """
    if ref is None:
        return None
    if isinstance(ref, str):
        return remembered("code", ref, lambda: _module_digest(ref))
    try:
        source = inspect.getsourcefile(ref)
    except TypeError:
        source = None
    digest = file_digest(source) if source else None
    name = f"{getattr(ref, '__module__', '')}:{getattr(ref, '__qualname__', repr(ref))}"
    return digest or _sha256({"ref": name})


def _module_digest(ref: str) -> str:
    module = ref.partition(":")[0]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    origin = spec.origin if spec is not None else None
    return (file_digest(origin) if origin else None) or _sha256({"ref": ref})


def _plain(value: Any) -> Any:
    """An assertion as canonical data: containers kept, anything else by its ``repr``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


def proof_digest(ref: str | None, proof_dirs: Iterable[str | Path]) -> str | None:
    """SHA-256 of the proof document ``ref`` (``"file.md#anchor"``) names, the first found in ``proof_dirs``;
    None when ``ref`` is empty or no such file can be read (the proof check itself reports that)."""
    if not ref:
        return None
    file_name = ref.partition("#")[0]
    for directory in proof_dirs:
        candidate = Path(directory) / file_name
        if candidate.is_file():
            return file_digest(candidate)
    return None


def definition_digest(claim: Any, model: Any = None, proof_dirs: Iterable[str | Path] = ()) -> str:
    """SHA-256 over what defines a case: the claim, its false variants, the model and the code of each check."""
    definition = {
        "id": claim.id,
        "statement": claim.statement,
        "assertion": _plain(claim.assertion),
        "expected": str(claim.expected),
        "model_kind": claim.model_kind,
        "checks": {"symbolic": code_digest(claim.symbolic), "numeric": code_digest(claim.numeric)},
        "proof": claim.proof,
        "proof_text": proof_digest(claim.proof, proof_dirs),
        "false_variants": [{"name": v.name, "description": v.description, "assertion": _plain(v.assertion),
                            "model": code_digest(v.model)} for v in claim.false_variants],
        "model": None if model is None else {"name": model.name, "kind": model.kind,
                                             "declared": _plain(dict(model.declared)),
                                             "factory": code_digest(model.factory)},
    }
    return _sha256(escape_surrogates(definition))


# --- a report --------------------------------------------------------------------------------------------------------

def claim_digest(entry: Mapping[str, Any]) -> str:
    """SHA-256 over a claim entry without its own ``digest`` and without volatile fields."""
    return _sha256(_strip_volatile({k: v for k, v in entry.items() if k != "digest"}))


def _section(report: Mapping[str, Any], name: str) -> Any:
    value = report.get(name)
    if name == "environment" and isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if k not in VOLATILE_ENVIRONMENT}
    return _strip_volatile(value)


def section_digests(report: Mapping[str, Any]) -> dict[str, str]:
    """One digest per section the id covers (``tool``, ``environment``, ``summary``, ``sources``, ``plugins``, and
    ``interrupted`` when the report has it)."""
    names = SECTIONS + tuple(n for n in OPTIONAL_SECTIONS if n in report)
    return {name: _sha256(_section(report, name)) for name in names}


def report_id(report: Mapping[str, Any], *, claim_digests: Sequence[str] | None = None,
              sections: Mapping[str, str] | None = None) -> str:
    """``kv-`` and the first 20 hex digits of SHA-256 over the schema version, section and claim digests.

    Everything is recomputed from the content: the ``digest`` fields stored in the report are not trusted.
    ``claim_digests`` and ``sections``: the same digests, just computed from this content by the caller
    (:func:`seal`, :func:`check_report`), so that a large report is not hashed twice.
    """
    content = {
        "schema_version": report.get("schema_version"),
        "sections": dict(sections) if sections is not None else section_digests(report),
        "claims": list(claim_digests) if claim_digests is not None
        else [claim_digest(e) for e in report.get("claims", [])],
    }
    return f"kv-{_sha256(content)[:20]}"


def seal(report: dict[str, Any]) -> dict[str, Any]:
    """Set every claim's ``digest``, the section ``digests`` and ``report_id`` from the content; returns ``report``.

    :func:`~kexue_verify.reports.build_report` seals each report it builds; reports built by hand (tests, tools
    that merge reports) are sealed the same way.
    """
    digests = []
    for entry in report.get("claims", []):
        entry["digest"] = claim_digest(entry)
        digests.append(entry["digest"])
    report["digests"] = section_digests(report)
    report["report_id"] = report_id(report, claim_digests=digests, sections=report["digests"])
    return report


def _summary_problems(report: Mapping[str, Any]) -> list[str]:
    summary, claims = report.get("summary") or {}, report.get("claims") or []
    counts: dict[str, int] = {}
    for e in claims:
        counts[e.get("verdict")] = counts.get(e.get("verdict"), 0) + 1
    stated = {k: v for k, v in (summary.get("verdicts") or {}).items() if v}
    problems = []
    if stated != counts or summary.get("total") != len(claims):
        problems.append(f"summary: it counts {summary.get('total')} claims {stated}, but the claims are "
                        f"{len(claims)} {counts}")
    for e in claims:
        if e.get("as_expected") != (e.get("verdict") == e.get("expected")):
            problems.append(f"claim {e.get('id')}: as_expected is {e.get('as_expected')} but the verdict is "
                            f"{e.get('verdict')} and the expected verdict {e.get('expected')}")
    return problems


def check_report(report: Mapping[str, Any]) -> list[str]:
    """Every digest (claims, sections, the id) that does not match the content, one line each; empty if intact."""
    problems = []
    digests = [claim_digest(e) for e in report.get("claims", [])]
    for e, digest in zip(report.get("claims", []), digests, strict=True):
        if e.get("digest") != digest:
            problems.append(f"claim {e.get('id')}: its content does not match its digest (altered after the run)")
    stored = report.get("digests") or {}
    sections = section_digests(report)
    for name, digest in sections.items():
        if stored.get(name) != digest:
            problems.append(f"{name}: its content does not match its digest (altered after the run)")
    problems += _summary_problems(report)
    rid = report_id(report, claim_digests=digests, sections=sections)
    if report.get("report_id") != rid:
        problems.append(f"report_id: the report says {report.get('report_id')}, its content gives {rid}")
    return problems
