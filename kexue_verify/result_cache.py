"""The result cache: a case's result, reused while nothing that determines it has changed.

A case is keyed by :func:`case_key`, SHA-256 over everything its result depends on:

* the report's ``definition_digest`` of the claim and model (:mod:`kexue_verify.reports.identity`), and
  the claim's definition — id, statement, assertion, expected verdict, its false variants (names, descriptions,
  assertions) — and the *code* its checks, false-variant models and the model under test come from: every
  ``*.py`` file of the package (or the single module) that defines each check and factory, so that editing a
  helper the check imports invalidates it too;
* the text of the proof document it rests on, and the code of the derivation checker (every file of the
  ``kexue_verify`` package itself: the rules that turn evidence into verdicts live there);
* the model under test (name, declared promises, factory code); the seed, device and dtype;
* the Python version and the versions of the packages the report lists; the CPU's model and the accelerator's name
  (a cache shared by machines gives each its own results).

Only decided results are stored (``verified``, ``refuted``, ``inconclusive``, ``skipped``): an ``error`` or a
``timeout`` may be the machine's fault, so it is always run again.  A reused result is the stored one, marked
``reused`` (shown in the progress line and in the report under ``cache``, which the report id leaves out), so a
report's id does not depend on the cache.

The cache lives in the user cache directory (``$KEXUE_VERIFY_CACHE_DIR``, else ``$XDG_CACHE_HOME/kexue-verify``,
else ``~/.cache/kexue-verify``; ``~/Library/Caches/kexue-verify`` on macOS, ``%LOCALAPPDATA%`` on Windows), one JSON
file per case; ``kexue-verify cache clear`` empties it, ``run --no-cache`` neither reads nor writes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kexue_verify.claims import Claim, Evidence, ModelSpec, Outcome, Verdict
from kexue_verify.plugins import _IMPORT_ROOTS, _ROOT_SOURCE, BUILTIN_PACKAGE, _inside
from kexue_verify.reports.identity import (
    definition_digest,
    file_digest,
    import_root_digest,
    proof_digest,
    remembered,
    remembered_items,
    remembered_keys,
    source_tree_digest,
)
from kexue_verify.verdicts import Case, CaseResult, PartResult, RunConfig, VariantResult

__all__ = ["CACHE_FORMAT", "ResultCache", "case_key", "code_changed", "code_read", "default_cache_dir",
           "result_from_dict", "stale_imports"]

#: Bumped whenever the stored form or the key's recipe changes: older entries are then simply not found.
CACHE_FORMAT = 2
#: Verdicts worth keeping; ``error`` and ``timeout`` are run again.
CACHEABLE = frozenset({Verdict.VERIFIED, Verdict.REFUTED, Verdict.INCONCLUSIVE, Verdict.SKIPPED})
_PACKAGES = ("kexue-verify", "torch", "sympy", "mpmath", "numpy", "pluggy", "python-flint", "keras", "zuko",
             "nflows", "normflows")


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user cache directory of kexue-verify (see the module docstring for the order)."""
    env = os.environ if environ is None else environ
    if env.get("KEXUE_VERIFY_CACHE_DIR"):
        return Path(env["KEXUE_VERIFY_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "kexue-verify"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "kexue-verify"
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "kexue-verify" / "Cache"
    return Path.home() / ".cache" / "kexue-verify"


# --- the key ---------------------------------------------------------------------------------------------------------

def _sha256(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


#: Each package root (or single module) this process digested, and the digest it last had.
_DIGESTED: dict[str, str] = {}


def _tree_digest(root: str) -> str:
    """SHA-256 over the relative names and bytes of every ``*.py`` file under ``root`` (a file: just it), once per
    :func:`~kexue_verify.reports.identity.code_snapshot`; a root whose digest differs from the code this process
    imported from it, while it holds modules from there, is noted in the snapshot (:func:`stale_imports`).

    The code imported is, for a ``--plugins-dir``, the digest :func:`kexue_verify.plugins.load` took when it
    imported the folder's plugins (a file edited between loading and the run's first key is caught on the first run
    too); for another root, the digest this process last took of it."""
    def compute() -> str:
        digest = _root_digest(root)
        imported = (_ROOT_SOURCE.get(root) if root in _IMPORT_ROOTS else None) or _DIGESTED.get(root, digest)
        if imported != digest and _imported_from(root):
            remembered("stale", root, lambda: True)
        _DIGESTED[root] = digest
        return digest

    return remembered("tree", root, compute)


def _root_digest(root: str) -> str:
    """A ``--plugins-dir``'s :func:`import_root_digest` (what it makes importable), another root's
    :func:`source_tree_digest`."""
    return import_root_digest(root) if root in _IMPORT_ROOTS else source_tree_digest(root)


def _imported_from(root: str) -> bool:
    """Whether a module of this process was imported from the file or folder ``root``."""
    base = os.path.abspath(root)
    return any(module is not None and _inside(module, base) for module in list(sys.modules.values()))


def stale_imports() -> list[str]:
    """Within a :func:`~kexue_verify.reports.identity.code_snapshot`: the package roots (or modules) digested in it
    whose code was edited on disk after this process had imported it.  A case run here, or in a worker forked from
    here, would run the old code while its key names the new one (see :func:`kexue_verify.run`)."""
    return sorted(remembered_keys("stale"))


def code_read() -> dict[str, dict[str, Any]]:
    """Within a :func:`~kexue_verify.reports.identity.code_snapshot`: every code root and file digested in it, with
    its digest (what this snapshot's keys were made from), for :func:`code_changed` after the run."""
    return {"tree": remembered_items("tree"), "file": remembered_items("file")}


def code_changed(read: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The roots and files of :func:`code_read` whose digest is not what it was: edited while the run ran.  Called
    outside a :func:`~kexue_verify.reports.identity.code_snapshot`, so that every file is read again.

    A worker imports a lazily referenced check, a spawned one its plugins, and a proof check reads its document,
    when the case runs: an edit during the run may then have been run under keys that name the code before it."""
    trees = [root for root, digest in read.get("tree", {}).items() if _root_digest(root) != digest]
    files = [path for path, digest in read.get("file", {}).items() if file_digest(path) != digest]
    return sorted(set(trees) | set(files))


def _package_root(module: str) -> str | None:
    """The directory of the package a module belongs to (two levels for a built-in topic's module); for a module of
    a ``--plugins-dir``, that folder: its modules import each other (``import my_helpers``), so any of them may
    decide a check's result."""
    parts = module.split(".")
    top = ".".join(parts[:2]) if parts[0] == BUILTIN_PACKAGE and len(parts) > 1 else parts[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    where = str(next(iter(spec.submodule_search_locations))) if spec.submodule_search_locations else spec.origin
    folder = os.path.dirname(os.path.abspath(where)) if where else None
    return folder if folder in _IMPORT_ROOTS else where


def _code(ref: Any) -> Any:
    """What a check or factory reference stands for: its reference and the digest of its package's code."""
    if ref is None:
        return None
    if isinstance(ref, str):
        module, name = ref.partition(":")[0], ref
    else:
        module = getattr(ref, "__module__", "") or ""
        name = f"{module}:{getattr(ref, '__qualname__', repr(ref))}"
    root = _package_root(module) if module and module != "__main__" else None
    if root is None:
        source = getattr(sys.modules.get(module), "__file__", None)
        root = source
    return {"ref": name, "code": _tree_digest(root) if root else None}


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _model(spec: ModelSpec | None) -> Any:
    if spec is None:
        return None
    return {"name": spec.name, "kind": spec.kind, "declared": dict(spec.declared), "factory": _code(spec.factory)}


def claim_definition(claim: Claim, proof_dirs: Iterable[str | Path]) -> dict[str, Any]:
    """The parts of a claim that decide its result, with the digests of the code and proof they come from."""
    return {
        "id": claim.id,
        "statement": claim.statement,
        "assertion": claim.assertion,
        "expected": claim.expected.value,
        "model_kind": claim.model_kind,
        "symbolic": _code(claim.symbolic),
        "numeric": _code(claim.numeric),
        "false_variants": [{"name": v.name, "description": v.description, "assertion": v.assertion,
                            "model": _code(v.model)} for v in claim.false_variants],
        "proof": {"ref": claim.proof, "text": proof_digest(claim.proof, proof_dirs)} if claim.proof else None,
    }


def _processor() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``): kernels are chosen by the
    CPU's instruction set (MKL, OpenBLAS, SLEEF), so the last bits of a result, and the evidence, may differ from one
    CPU to another."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def _environment(device: str) -> dict[str, Any]:
    """What of the machine and the installation decides a result: Python, package versions, the core's code, the
    CPU and the accelerator (a cache shared by several machines, a home directory on a network file system, gives
    each its own results, as a fresh run there would)."""
    from kexue_verify.reports import device_name

    return remembered("environment", device, lambda: {
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "packages": _versions(), "core": _tree_digest(str(Path(__file__).parent)),
        "machine": platform.machine(), "processor": _processor(), "device_name": device_name(device)})


def case_key(case: Case, config: RunConfig, proof_dirs: Iterable[str | Path] = (), *,
             definition: str | None = None) -> str:
    """SHA-256 over everything that determines ``case``'s result (see the module docstring); ``definition``: the
    case's :func:`~kexue_verify.reports.identity.definition_digest`, when the caller has it already.

    The code is read when the key is made; :func:`kexue_verify.run` makes every key of a run within one
    :func:`~kexue_verify.reports.identity.code_snapshot`, so that each file is read once."""
    return _sha256({
        "format": CACHE_FORMAT,
        "case": case.id,
        "definition": definition or definition_digest(case.claim, case.model, proof_dirs),  # the report's own
        "claim": claim_definition(case.claim, proof_dirs),
        "model": _model(case.model),
        "seed": config.seed,
        "device": config.device,
        "dtype": config.dtype,
        "environment": _environment(config.device),
    })


# --- a stored result -------------------------------------------------------------------------------------------------

def _part(name: str, data: Mapping[str, Any] | None) -> PartResult | None:
    if data is None:
        return None
    fields: list[dict[str, Any]] = [{k: (tuple(v) if k == "steps" else v) for k, v in e.items()}
                                    for e in data["evidence"]]
    evidence = [Evidence(**f) for f in fields]
    return PartResult(name, Outcome(data["outcome"]), evidence, data.get("error"), data.get("duration_s", 0.0))


def _parts(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, PartResult]:
    return {n: p for n in names if (p := _part(n, data.get(n))) is not None}


def result_from_dict(data: Mapping[str, Any]) -> CaseResult:
    """The :class:`CaseResult` whose ``to_dict()`` is ``data`` (the form the cache stores)."""
    variants = [VariantResult(v["name"], v["description"], Verdict(v["verdict"]),
                              _parts(v, [k for k in v if k not in ("name", "description", "verdict", "refuted")]))
                for v in data["false_variants"]]
    return CaseResult(data["case_id"], data["claim_id"], data["model"], Verdict(data["verdict"]),
                      Verdict(data["expected"]), data["seed"], _parts(data, ("symbolic", "numeric")), variants,
                      data["message"], data.get("duration_s", 0.0),
                      expected_by=data.get("expected_by", "claim"),
                      proof_duration=data.get("timings", {}).get("proof_s", 0.0))


class ResultCache:
    """Stored case results in ``directory`` (default: :func:`default_cache_dir`), one JSON file per key."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / "results" / key[:2] / f"{key}.json"

    def get(self, key: str) -> CaseResult | None:
        """The stored result for ``key``, marked reused; ``None`` when absent or unreadable (then it is re-run)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            if data.get("format") != CACHE_FORMAT or data.get("key") != key:
                raise ValueError("another format")
            result = result_from_dict(data["result"])
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        result.reused = True
        self.hits += 1
        return result

    def put(self, key: str, result: CaseResult) -> bool:
        """Store a decided result (not ``error``/``timeout``, not one that was itself reused); True if stored."""
        if result.verdict not in CACHEABLE or result.reused:
            return False
        from kexue_verify.reports import write_atomic

        data = {"format": CACHE_FORMAT, "key": key, "result": result.to_dict(timings=True)}
        try:
            write_atomic(self._path(key), json.dumps(data, ensure_ascii=False, allow_nan=False))
        except (OSError, ValueError):  # a read-only or full disk: the run goes on without storing
            return False
        return True

    def discard(self, keys: Iterable[str]) -> None:
        """Delete the results stored under ``keys`` (those absent are skipped)."""
        for key in keys:
            self._path(key).unlink(missing_ok=True)

    def entries(self) -> int:
        return sum(1 for _ in (self.directory / "results").rglob("*.json")) if self.directory.is_dir() else 0

    def clear(self) -> int:
        """Delete every stored result; return how many there were."""
        count = self.entries()
        shutil.rmtree(self.directory / "results", ignore_errors=True)
        return count
