"""Naming derivation documents: ``kexue-verify prove stirling`` finds the installed ``stirling.md``.

The documents are looked up in :data:`kexue_verify.proofs.DEFAULT_PROOF_DIRS` (the ``proofs/`` folder of a
source tree, or ``kexue_verify_plugins/proofs/`` in an installed wheel) and then in the folders plugins
declare with ``registry.add_proof_dir``; the first document of a name wins.  A path to an existing file is
always accepted as it is.  This module imports neither torch nor sympy.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

from kexue_verify.errors import UsageError

__all__ = ["find_document", "installed_documents"]


def installed_documents(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Path]:
    """Every document that can be named, by name (its file name without ``.md``), in lookup order."""
    from kexue_verify.proofs import DEFAULT_PROOF_DIRS

    found: dict[str, Path] = {}
    for folder in (*DEFAULT_PROOF_DIRS, *(Path(d) for d in extra_dirs)):
        if folder.is_dir():
            for path in sorted(folder.glob("*.md")):
                found.setdefault(path.stem, path)
    return found


def find_document(name_or_path: str, extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """The document ``name_or_path`` names: an existing file, or an installed document's name (``stirling``,
    ``stirling.md``, ``proofs/stirling.md``).  Raises :class:`UsageError` listing the names otherwise."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    documents = installed_documents(extra_dirs)
    stem = path.name[:-3] if path.name.endswith(".md") else path.name
    if stem in documents:
        return documents[stem]
    close = difflib.get_close_matches(stem, list(documents), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UsageError(f"{name_or_path}: no such file and no installed derivation document of that name{hint} "
                     f"(installed: {', '.join(documents) or 'none'}; see `kexue-verify prove --list`)")
