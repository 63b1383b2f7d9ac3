"""What ``run --lf`` re-runs: the cases whose verdict was not the expected one in the last run.

Every ``kexue-verify run`` records them in ``.kexue-verify-cache/lastfailed.json`` in the current folder
(``KEXUE_VERIFY_CACHE_DIR`` moves it), as pytest keeps ``.pytest_cache``; the folder holds a ``.gitignore``
so that it is never committed.  A run with ``--lf`` keeps, of its selection, only the recorded cases.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kexue_verify.reports import write_atomic

__all__ = ["ENV_CACHE_DIR", "cache_dir", "last_failed", "record_run"]

ENV_CACHE_DIR = "KEXUE_VERIFY_CACHE_DIR"
_FILE = "lastfailed.json"


def cache_dir() -> Path:
    """``$KEXUE_VERIFY_CACHE_DIR``, else ``.kexue-verify-cache`` in the current folder."""
    return Path(os.environ.get(ENV_CACHE_DIR) or ".kexue-verify-cache")


def record_run(report: dict[str, Any]) -> Path | None:
    """Remember the unexpected cases of ``report``; ``None`` if the folder cannot be written (a read-only
    checkout must not make the run fail)."""
    folder = cache_dir()
    data = {"report_id": report["report_id"], "unexpected": list(report["summary"]["unexpected"])}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by kexue-verify run\n*\n", encoding="utf-8")
        write_atomic(folder / _FILE, json.dumps(data, indent=1) + "\n")
    except OSError:
        return None
    return folder / _FILE


def last_failed() -> list[str] | None:
    """The cases that were not as expected in the last run; ``None`` when no run was recorded here."""
    try:
        data = json.loads((cache_dir() / _FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return [str(c) for c in data.get("unexpected", [])]
