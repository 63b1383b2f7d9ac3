"""The hooks a kexue-verify plugin may implement.

A plugin is a module (or object) with functions named like the specs below and decorated
with :data:`kexue_verify.hookimpl`.  Each hook receives a registry and adds to it; the
registry validates what it is given and records which plugin added it.

Hooks fire once, in plugin-load order (built-ins, then the ``kexue_verify`` entry-point
group, then ``--plugins-dir`` and ``-p`` modules), when the plugin manager is built by
:func:`kexue_verify.plugins.load`.  None of them fires at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from kexue_verify.registry import ClaimRegistry, ModelRegistry, ReporterRegistry

__all__ = ["hookimpl", "hookspec"]

PROJECT = "kexue_verify"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def kexue_register_claims(registry: ClaimRegistry) -> None:
    """Add claims with ``registry.add(Claim(...))``.

    Fires once per plugin when the plugins are loaded.  Raising here is reported against
    this plugin alone; the claims it added before raising are removed.
    """


@hookspec
def kexue_register_models(registry: ModelRegistry) -> None:
    """Add models with ``registry.add(ModelSpec(name=..., kind=..., factory=...))``.

    Fires after every plugin's :func:`kexue_register_claims`.  Claims that declare
    ``model_kind`` run once on every model of that kind, the user's models included.
    """


@hookspec
def kexue_register_reporters(registry: ReporterRegistry) -> None:
    """Add report writers with ``registry.add(".ext", writer)``.

    ``writer(report: dict, path: pathlib.Path) -> None`` receives the canonical JSON report
    and writes one file; ``kexue-verify run -o FILE.ext`` picks the writer by extension.
    Fires when the plugins are loaded; the built-in writers (json, md, html, xml) are
    registered by the same hook.
    """
