"""Built-in claim plugins, one per topic: ordinary plugins that the core loads by name from DEFAULT_PLUGINS."""

from __future__ import annotations

from pathlib import Path

#: Topic plugins loaded by default, in this order (names of the submodules of this package).
DEFAULT_PLUGINS: tuple[str, ...] = ("stirling", "flows", "svd", "lipschitz", "keras", "capsules", "networks", "mangoes")



def _proofs_dir() -> Path:
    """The derivation documents: ``proofs/`` beside this package in a wheel, or at the top of a source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "proofs", here.parent / "proofs"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no proofs/ folder next to {here}; reinstall kexue-verify")


#: The folder of derivation documents (the top-level ``proofs/`` of the source tree, shipped in the wheel).
PROOFS_DIR = _proofs_dir()

