"""Building the plugin manager and collecting what the plugins register.

Discovery, in order:

1. the core's own plugins (:data:`CORE_PLUGINS`: the built-in report writers);
2. the built-in topics, listed in ``kexue_verify_plugins.DEFAULT_PLUGINS`` (the ``plugins/``
   folder of the source tree, shipped in the wheel);
3. the ``kexue_verify`` entry-point group of installed distributions;
4. ``--plugins-dir DIR`` (every ``*.py`` file in it) and ``-p module`` from the command line.

The environment variable ``KEXUE_VERIFY_PLUGINS`` restricts steps 2 and 3 to a comma-separated
list of plugin names (set it empty to load none of them); command-line plugins always load.

A plugin that fails to import, misspells a hook, raises inside a hook (``sys.exit()`` included) or
registers a duplicate id is reported by name with the cause, everything it registered is removed
again, and the others still load; ``strict=True`` turns the first such problem into a
:class:`~kexue_verify.errors.PluginError`.  A ``-p`` module that does not exist, or a name in
``KEXUE_VERIFY_PLUGINS`` that is neither a built-in topic nor an entry point, is a
:class:`~kexue_verify.errors.UsageError`: a typo must not look like success.  Nothing happens at import
time: call :func:`load`.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from kexue_verify import hookspecs
from kexue_verify.errors import PluginError, UsageError
from kexue_verify.registry import ClaimRegistry, ModelRegistry, Registry, ReporterRegistry

__all__ = ["CORE_PLUGINS", "ENTRY_POINT_GROUP", "ENV_PLUGINS", "LoadOptions", "LoadedPlugins", "PluginInfo", "load"]

CORE_PLUGINS = ("kexue_verify.reports.writers",)
BUILTIN_PACKAGE = "kexue_verify_plugins"
ENTRY_POINT_GROUP = "kexue_verify"
ENV_PLUGINS = "KEXUE_VERIFY_PLUGINS"


@dataclass(frozen=True, kw_only=True)
class LoadOptions:
    """What to load besides the defaults; picklable, so worker processes can load the same set."""

    modules: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()
    strict: bool = False
    only: tuple[str, ...] | None = None  # None: every built-in and entry-point plugin (from_env reads the variable)

    @classmethod
    def from_env(cls, *, modules: Iterable[str] = (), dirs: Iterable[str] = (), strict: bool = False,
                 environ: Mapping[str, str] | None = None) -> LoadOptions:
        env = os.environ if environ is None else environ
        raw = env.get(ENV_PLUGINS)
        only = None if raw is None else tuple(n.strip() for n in raw.split(",") if n.strip())
        return cls(modules=tuple(modules), dirs=tuple(str(d) for d in dirs), strict=strict, only=only)


@dataclass
class PluginInfo:
    """One plugin: where it came from and what it registered (or why it failed)."""

    name: str
    origin: str  # "core", "builtin", "entry-point", "plugins-dir", "command-line"
    module: str
    version: str | None = None
    claims: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "module": self.module,
            "version": self.version,
            "claims": self.claims,
            "models": self.models,
            "reporters": self.reporters,
            "error": self.error,
        }


@dataclass
class LoadedPlugins:
    """The result of :func:`load`: the manager, the three registries and a record of each plugin."""

    manager: pluggy.PluginManager
    claims: ClaimRegistry
    models: ModelRegistry
    reporters: ReporterRegistry
    plugins: list[PluginInfo]
    options: LoadOptions

    @property
    def problems(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.error]


def _version(module: ModuleType, fallback: str | None = None) -> str | None:
    return getattr(module, "__version__", None) or fallback


def _import_file(path: Path) -> ModuleType:
    name = f"kexue_verify_dirplugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd files
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _raiser(exc: BaseException) -> Callable[[], ModuleType]:
    """An importer that fails with ``exc``, so a package that could not be imported is reported like a plugin."""

    def importer() -> ModuleType:
        raise exc

    return importer


def _candidates(options: LoadOptions) -> list[tuple[str, str, Callable[[], ModuleType], str | None]]:
    """(name, origin, importer, version) for every plugin to try, in load order."""
    from kexue_verify import __version__

    found: list[tuple[str, str, Callable[[], ModuleType], str | None]] = []
    for module_name in CORE_PLUGINS:
        short = module_name.rsplit(".", 1)[-1]
        found.append((short, "core", lambda m=module_name: importlib.import_module(m), __version__))

    def wanted(name: str) -> bool:
        return options.only is None or name in options.only

    names: tuple[str, ...] = ()
    if options.only is None or options.only:  # KEXUE_VERIFY_PLUGINS="" does not even import the package
        try:
            builtin = importlib.import_module(BUILTIN_PACKAGE)
            names = tuple(getattr(builtin, "DEFAULT_PLUGINS", ()))
        except ModuleNotFoundError as exc:
            if exc.name != BUILTIN_PACKAGE:  # the package exists but something it imports does not
                found.append((BUILTIN_PACKAGE, "builtin", _raiser(exc), __version__))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - reported like any plugin that fails to import
            found.append((BUILTIN_PACKAGE, "builtin", _raiser(exc), __version__))
    for short in names:
        if wanted(short):
            module_name = f"{BUILTIN_PACKAGE}.{short}"
            found.append((short, "builtin", lambda m=module_name: importlib.import_module(m), __version__))
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if wanted(ep.name):
            version = ep.dist.version if ep.dist is not None else None
            found.append((ep.name, "entry-point", ep.load, version))
    for folder in options.dirs:
        path = Path(folder)
        if not path.is_dir():
            raise PluginError(f"--plugins-dir {folder}: no such folder")
        for file in sorted(path.glob("*.py")):
            if not file.name.startswith("_"):
                found.append((file.stem, "plugins-dir", lambda f=file: _import_file(f), None))
    for module_name in options.modules:
        found.append((module_name, "command-line", lambda m=module_name: importlib.import_module(m), None))
    return found


def _cause(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


def _missing_module(exc: BaseException, module_name: str) -> bool:
    """Whether ``exc`` says that ``module_name`` itself (not something it imports) does not exist."""
    if not isinstance(exc, ModuleNotFoundError) or exc.name is None:
        return False
    return module_name == exc.name or module_name.startswith(exc.name + ".")


def _register(pm: pluggy.PluginManager, info: PluginInfo, importer: Callable[[], ModuleType]) -> bool:
    try:
        module = importer()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - any import failure, sys.exit() included, is reported, not raised
        if info.origin == "command-line" and _missing_module(exc, info.name):
            raise UsageError(
                f"-p {info.name}: no module named {info.name!r}; install it or put its folder on PYTHONPATH "
                "(for a folder of plugin files use --plugins-dir)"
            ) from None
        info.error = f"failed to import: {_cause(exc)}"
        return False
    info.module = getattr(module, "__name__", info.module)
    info.version = info.version or _version(module)
    if pm.is_registered(module):
        info.error = "already registered under another name"
        return False
    try:
        pm.register(module, name=info.name)
    except ValueError as exc:
        info.error = f"cannot register: {exc}"
        return False
    except pluggy.PluginValidationError as exc:
        info.error = f"invalid hook implementation: {exc}"
        return False
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        pm.unregister(module)
        info.error = f"unknown hook (misspelt?): {exc}; the hooks are listed in kexue_verify.hookspecs"
        return False
    return True


def _call(pm: pluggy.PluginManager, hook_name: str, registry: Registry[Any], infos: dict[str, PluginInfo],
          attr: str) -> None:
    hook = getattr(pm.hook, hook_name)
    order = list(infos)
    impls = sorted(hook.get_hookimpls(), key=lambda i: order.index(i.plugin_name))
    for impl in impls:
        info = infos[impl.plugin_name]
        if info.error:
            continue
        try:
            with registry.recording(info.name):
                impl.function(registry=registry)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - isolate each plugin, also one that calls sys.exit()
            info.error = f"{hook_name} raised {_cause(exc)}" if not isinstance(exc, SystemExit) else (
                f"{hook_name}: {_cause(exc)}")
            continue
        getattr(info, attr).extend(registry.by_plugin(info.name))


def _roll_back(pm: pluggy.PluginManager, info: PluginInfo, registries: Iterable[Registry[Any]]) -> None:
    """Remove everything a failed plugin registered, in every registry, and its hooks."""
    for registry in registries:
        registry.discard_plugin(info.name)
    info.claims, info.models, info.reporters = [], [], []
    if pm.has_plugin(info.name):
        pm.unregister(name=info.name)


def _check_only(options: LoadOptions, infos: Mapping[str, PluginInfo]) -> None:
    """Every name in ``KEXUE_VERIFY_PLUGINS`` must be a built-in topic or an entry point: a typo is an error."""
    if not options.only:
        return
    if any(i.name == BUILTIN_PACKAGE and i.error for i in infos.values()):
        return  # the built-in package itself failed; that is reported, and its names are unknown
    known = sorted(set(_builtin_names()) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
    unknown = [name for name in options.only if name not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=2)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UsageError(
            f"{ENV_PLUGINS} names {', '.join(repr(u) for u in unknown)}, which is neither a built-in topic nor an "
            f"installed entry point{hint} (known: {', '.join(known) or 'none'})"
        )


def _builtin_names() -> tuple[str, ...]:
    try:
        return tuple(getattr(importlib.import_module(BUILTIN_PACKAGE), "DEFAULT_PLUGINS", ()))
    except Exception:  # noqa: BLE001 - reported by _candidates already
        return ()


def load(options: LoadOptions | None = None) -> LoadedPlugins:
    """Build a plugin manager, load every plugin and collect what they register."""
    options = options or LoadOptions.from_env()
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}
    for name, origin, importer, version in _candidates(options):
        info = PluginInfo(name=name, origin=origin, module=name, version=version)
        if name in infos:
            info.error = f"a plugin named {name!r} is already loaded (from {infos[name].origin}); rename one"
            infos[f"{name}#{len(infos)}"] = info
            continue
        infos[name] = info
        _register(pm, info, importer)
    _check_only(options, infos)
    claims, models, reporters = ClaimRegistry(), ModelRegistry(), ReporterRegistry()
    _call(pm, "kexue_register_reporters", reporters, infos, "reporters")
    _call(pm, "kexue_register_claims", claims, infos, "claims")
    _call(pm, "kexue_register_models", models, infos, "models")
    for info in infos.values():
        if info.error:
            _roll_back(pm, info, (reporters, claims, models))
    loaded = LoadedPlugins(manager=pm, claims=claims, models=models, reporters=reporters,
                           plugins=list(infos.values()), options=options)
    if options.strict and loaded.problems:
        first = loaded.problems[0]
        raise PluginError(f"plugin {first.name!r} ({first.origin}): {first.error}")
    return loaded
