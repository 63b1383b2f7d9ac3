"""kexue-verify: check the mathematics of machine-learning writing, symbolically and on real PyTorch models.

The public API: value types for claims and evidence, the hook markers for plugins,
the registries plugins add to, and the functions that load plugins and run claims.
Importing this package imports neither torch nor sympy.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from kexue_verify.assertions import Assertion, Formula, variant
from kexue_verify.claims import Claim, Evidence, FalseVariant, ModelSpec, Outcome, Source, Status, Verdict
from kexue_verify.comparisons import at_most, close, holds, undecided
from kexue_verify.context import CheckContext, derive_seed
from kexue_verify.errors import (
    CheckError,
    ClaimDefinitionError,
    DerivationError,
    DuplicateIdError,
    FormulaError,
    KexueError,
    PluginError,
    UsageError,
)
from kexue_verify.hookspecs import hookimpl
from kexue_verify.pipeline import RunOutcome, run
from kexue_verify.plugins import LoadedPlugins, LoadOptions, load
from kexue_verify.registry import ClaimRegistry, ModelRegistry, ReporterRegistry
from kexue_verify.verdicts import Case, CaseResult, RunConfig, SkipCheck, evaluate

try:
    __version__ = version("kexue-verify")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "Assertion",
    "Case",
    "CaseResult",
    "CheckContext",
    "CheckError",
    "Claim",
    "ClaimDefinitionError",
    "ClaimRegistry",
    "DerivationError",
    "DuplicateIdError",
    "Evidence",
    "FalseVariant",
    "Formula",
    "FormulaError",
    "KexueError",
    "LoadOptions",
    "LoadedPlugins",
    "ModelRegistry",
    "ModelSpec",
    "Outcome",
    "PluginError",
    "ReporterRegistry",
    "RunConfig",
    "RunOutcome",
    "SkipCheck",
    "Source",
    "Status",
    "UsageError",
    "Verdict",
    "__version__",
    "at_most",
    "close",
    "derive_seed",
    "evaluate",
    "holds",
    "hookimpl",
    "load",
    "run",
    "undecided",
    "variant",
]
