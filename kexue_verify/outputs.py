"""Report outputs (``-o FILE``): checked and opened before a run, written by an atomic replace after it.

A run can take an hour; an output that cannot be written must say so before, not after. :func:`prepare`
resolves every path to an absolute one (so a check that calls ``os.chdir`` under ``--in-process`` cannot
move it), refuses a path that is a folder, lies under a file, repeats another one or has no writer, and
opens a staging folder beside it — which proves the folder writable. :func:`write` lets each writer
(built-in or a plugin's) write into its staging folder, then moves what it wrote into place with
``os.replace``: a reader never sees half a report, and a writer that fails leaves the old one untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kexue_verify.errors import UsageError

__all__ = ["Output", "discard", "prepare", "write"]


@dataclass
class Output:
    """One ``-o`` destination: its absolute path, the writer its extension picks, and its staging folder."""

    given: str
    path: Path
    writer: Any
    staging: Path | None = None


def _absolute(text: str) -> Path:
    return Path(os.path.abspath(os.path.expanduser(text)))


def prepare(outputs: Sequence[str], reporters: Any) -> list[Output]:
    """Check every ``-o`` path and open a staging folder beside it; :class:`UsageError` says what is wrong."""
    prepared: list[Output] = []
    try:
        for given in outputs:
            prepared.append(_prepare_one(given, reporters, prepared))
    except BaseException:
        discard(prepared)
        raise
    return prepared


def _prepare_one(given: str, reporters: Any, before: Iterable[Output]) -> Output:
    path = _absolute(given)
    writer = reporters.for_path(path)
    if writer is None:
        known = ", ".join(sorted(reporters.ids()))
        raise UsageError(f"-o {given}: no report writer for '{path.suffix or '(no extension)'}'; use one of {known}")
    if any(o.path == path for o in before):
        raise UsageError(f"-o {given} is given twice")
    if path.is_dir():
        raise UsageError(f"-o {given} is a folder; give a file name, e.g. {Path(given) / ('report' + path.suffix)}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"-o {given}: {parent} is a file, so nothing can be written under it")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise UsageError(f"-o {given}: cannot write in {path.parent} ({exc.strerror or exc})") from None
    if path.exists() and not os.access(path, os.W_OK) and not os.access(path.parent, os.W_OK):
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"-o {given}: the file exists and cannot be replaced (permission denied)")
    return Output(given, path, writer, staging)


def write(report: dict[str, Any], outputs: Sequence[Output]) -> list[Path]:
    """Run each writer into its staging folder and move the result into place; returns the paths written.

    Every output is attempted; the first failure is raised afterwards as :class:`UsageError` naming the file.
    """
    written: list[Path] = []
    failures: list[str] = []
    for out in outputs:
        try:
            _write_one(report, out)
            written.append(out.path)
        except Exception as exc:  # noqa: BLE001 - a plugin's writer may raise anything; the others still write
            failures.append(f"-o {out.given}: the {out.path.suffix} writer failed: {type(exc).__name__}: {exc}")
        finally:
            discard([out])
    if failures:
        raise UsageError("; ".join(failures))
    return written


def _write_one(report: dict[str, Any], out: Output) -> None:
    assert out.staging is not None, "prepare() the output first"
    out.writer(report, out.staging / out.path.name)
    if not (out.staging / out.path.name).exists():
        raise OSError(f"the writer wrote no {out.path.name}")
    main = out.staging / out.path.name
    for item in sorted(out.staging.iterdir(), key=lambda p: p == main):  # the report itself last
        target = out.path.parent / item.name
        if item.is_dir() and target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # a figures folder: replaced whole (os.replace cannot replace a full folder)
        os.replace(item, target)


def discard(outputs: Iterable[Output]) -> None:
    """Remove the staging folders (after writing, or when the run does not get that far)."""
    for out in outputs:
        if out.staging is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(out.staging)
            out.staging = None
