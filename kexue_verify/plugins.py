"""Building the plugin manager and collecting what the plugins register.

Discovery, in order:

1. the core's own plugins (:data:`CORE_PLUGINS`: the built-in report writers);
2. the built-in topics, listed in ``kexue_verify_plugins.DEFAULT_PLUGINS`` (the
   ``kexue_verify_plugins/`` folder of the source tree, shipped in the wheel);
3. the ``kexue_verify`` entry-point group of installed distributions;
4. ``--plugins-dir DIR`` and ``-p module`` from the command line.

``--plugins-dir DIR`` makes DIR an import root: it is put at the front of ``sys.path``, and every
module (``name.py``) and package (``name/__init__.py``) directly in it is imported *by its own name*
and loaded as a plugin, so ``"name.checks:function"`` references and imports of sibling helper modules
resolve, in worker processes too.  Skipped, and listed by ``kexue-verify plugins``: names starting with
``_`` or ``.`` (helpers: still importable, never loaded as plugins), ``conftest.py``, ``setup.py``,
test files (``test_*.py``, ``*_test.py``), and folders without ``__init__.py``.  A name that an
installed module already has is refused (it would shadow that module for the whole process).

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
import functools
import importlib
import importlib.machinery
import os
import sys
import warnings
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, cast

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

    #: (path, why) for every file or folder in a ``--plugins-dir`` that was not loaded as a plugin.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.error]


def _version(module: ModuleType, fallback: str | None = None) -> str | None:
    return getattr(module, "__version__", None) or fallback


#: Folders made import roots by ``--plugins-dir`` in this process, most recent last.
_IMPORT_ROOTS: list[str] = []
#: The import root each plugin module of a ``--plugins-dir`` was imported from.
_OWNED: dict[str, str] = {}


def _inside(module: ModuleType, folder: str) -> bool:
    """Whether ``module`` was imported from a file in the folder ``folder`` (an absolute path), or from that file."""
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return False
    path = os.path.abspath(file)
    return path == folder or path.startswith(folder + os.sep)


#: Each import root's :func:`~kexue_verify.reports.identity.import_root_digest` when its plugins were last loaded.
_ROOT_SOURCE: dict[str, str] = {}


def _forget_modules(folder: str) -> None:
    for name, module in list(sys.modules.items()):
        if module is not None and _inside(module, folder):
            del sys.modules[name]


def _use_import_roots(folders: Iterable[str]) -> None:
    """Put ``folders`` at the front of ``sys.path``; forget modules imported from earlier roots no longer asked for.

    Forgetting them matters when one process loads several folders in turn (tests, notebooks): a module ``helpers``
    from an earlier folder must not stand in for the ``helpers`` of the folder loaded now.  The modules of a folder
    whose code changed since its plugins were last loaded here are forgotten too, so that they are imported again
    (a notebook that edits a plugin or its helper between two runs plans the second with the edited code).
    """
    wanted = [os.path.abspath(f) for f in folders]
    for old in [r for r in _IMPORT_ROOTS if r not in wanted]:
        _forget_modules(old)
        while old in sys.path:
            sys.path.remove(old)
        _IMPORT_ROOTS.remove(old)
    from kexue_verify.reports.identity import import_root_digest

    for folder in wanted:  # edited since its modules were imported here: import them again
        source = import_root_digest(folder)
        if _ROOT_SOURCE.get(folder, source) != source:
            _forget_modules(folder)
        _ROOT_SOURCE[folder] = source
    for folder in reversed(wanted):
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)
        if folder not in _IMPORT_ROOTS:
            _IMPORT_ROOTS.append(folder)
    importlib.invalidate_caches()


def _skip_reason(entry: Path) -> str | None:
    """Why a file or folder in a ``--plugins-dir`` is not a plugin (``None``: it is one)."""
    name = entry.name
    if name.startswith((".", "_")):
        return "private (name starts with '_' or '.'): importable by other modules, not loaded as a plugin"
    if entry.is_dir():
        if not (entry / "__init__.py").is_file():
            return "a folder without __init__.py, so not a package"
        return None if entry.name.isidentifier() else "not a valid module name"
    if entry.suffix != ".py":
        return "not a Python file"
    if name in ("conftest.py", "setup.py") or name.startswith("test_") or name.endswith("_test.py"):
        return "a test or build file"
    return None if entry.stem.isidentifier() else "not a valid module name"


def _import_from_root(name: str, folder: str) -> ModuleType:
    """Import ``name`` from the import root ``folder``, refusing to shadow a module installed elsewhere."""
    present = sys.modules.get(name)
    if present is not None and not _inside(present, folder) and _OWNED.get(name) not in (None, folder):
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]  # imported from another --plugins-dir earlier in this process: not this one
        present = None
    if present is not None and not _inside(present, folder):
        where = getattr(present, "__file__", None) or "built in"
        raise ImportError(f"{name!r} is already the name of the module {where}; rename the plugin file")
    if present is None:
        others = [p for p in sys.path if os.path.abspath(p or ".") != folder]
        spec = None if name in sys.builtin_module_names else importlib.machinery.PathFinder.find_spec(name, others)
        if name in sys.builtin_module_names or spec is not None:
            where = spec.origin if spec is not None else "built in"
            raise ImportError(f"{name!r} is already the name of the installed module {where}; "
                              "rename the plugin file so that it does not shadow it")
    module = importlib.import_module(name)
    _OWNED[name] = folder
    return module


def _raiser(exc: BaseException) -> Callable[[], ModuleType]:
    """An importer that fails with ``exc``, so a package that could not be imported is reported like a plugin."""

    def importer() -> ModuleType:
        raise exc

    return importer


def _candidates(options: LoadOptions, skipped: list[tuple[str, str]] | None = None,
                ) -> list[tuple[str, str, Callable[[], ModuleType], str | None]]:
    """(name, origin, importer, version) for every plugin to try, in load order; ``skipped`` collects the rest."""
    from kexue_verify import __version__

    found: list[tuple[str, str, Callable[[], ModuleType], str | None]] = []
    for module_name in CORE_PLUGINS:
        short = module_name.rsplit(".", 1)[-1]
        found.append((short, "core", functools.partial(importlib.import_module, module_name), __version__))

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
            found.append((short, "builtin", functools.partial(importlib.import_module, module_name), __version__))
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if wanted(ep.name):
            version = ep.dist.version if ep.dist is not None else None
            found.append((ep.name, "entry-point", ep.load, version))
    for folder in options.dirs:
        if not Path(folder).is_dir():
            raise PluginError(f"--plugins-dir {folder}: no such folder")
    if options.dirs:
        _use_import_roots(options.dirs)
    for folder in options.dirs:
        root = os.path.abspath(folder)
        for entry in sorted(Path(root).iterdir()):
            if entry.name in ("__pycache__", "build", "dist") or entry.name.startswith(".") or (
                    entry.is_file() and entry.suffix != ".py") or entry.name.endswith(".egg-info"):
                continue  # not Python, or not a module: nothing to say
            reason = _skip_reason(entry)
            if reason is not None:
                if skipped is not None:
                    skipped.append((str(entry), reason))
                continue
            name = entry.stem if entry.is_file() else entry.name
            found.append((name, "plugins-dir", functools.partial(_import_from_root, name, root), None))
    for module_name in options.modules:
        found.append((module_name, "command-line", functools.partial(importlib.import_module, module_name), None))
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


def _import(info: PluginInfo, importer: Callable[[], ModuleType], seen: dict[int, str]) -> ModuleType | None:
    """Import one plugin; on failure record why in ``info`` and return ``None``."""
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
        return None
    info.module = getattr(module, "__name__", info.module)
    info.version = info.version or _version(module)
    if id(module) in seen:
        info.error = f"already registered under another name ({seen[id(module)]!r})"
        return None
    seen[id(module)] = info.name
    return module


def _register(pm: pluggy.PluginManager, info: PluginInfo, module: ModuleType) -> bool:
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


def _failure(hook_name: str, exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"{hook_name}: {_cause(exc)}"
    return f"{hook_name} raised {_cause(exc)}"


def _guard(impl: pluggy.HookImpl, info: PluginInfo, hook_name: str, registry: Registry[Any]) -> Callable[..., Any]:
    """``impl``'s function, isolated: what it adds is attributed to its plugin, and an exception it raises is
    recorded against that plugin (which is then rolled back) instead of stopping the other plugins' hooks.

    Plain implementations and wrappers (``wrapper=True`` and the old ``hookwrapper=True``) are both guarded; a
    wrapper's code before and after its ``yield`` runs as its own plugin.
    """
    function = impl.function

    def plain(*args: Any) -> Any:
        if info.error:
            return None
        try:
            with registry.recording(info.name):
                return function(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - isolate each plugin, also one that calls sys.exit()
            info.error = _failure(hook_name, exc)
            return None

    def wrapper(*args: Any) -> Any:
        if info.error:
            return (yield)
        # (StopIteration is caught inside each ``recording`` block: it ends a wrapper normally, and the
        # block rolls back what was added when an exception leaves it.)
        try:
            with registry.recording(info.name):
                inner = cast("Generator[Any, Any, Any]", function(*args))
                try:
                    next(inner)
                    started = True
                except StopIteration:
                    started = False
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001
            info.error = _failure(hook_name, exc)
            return (yield)
        if not started:
            info.error = f"{hook_name}: the wrapper returned without yielding"
            return (yield)
        try:
            outcome = yield
        except BaseException as exc:
            with registry.recording(info.name):
                try:
                    inner.throw(exc)  # a wrapper may handle what the inner hooks raised; its own raise propagates
                except StopIteration as stop:
                    return stop.value
            raise
        finished, value = False, None
        try:
            with registry.recording(info.name):
                try:
                    inner.send(outcome)
                except StopIteration as stop:
                    finished, value = True, stop.value
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001
            info.error = _failure(hook_name, exc)
            return outcome
        if not finished:
            info.error = f"{hook_name}: the wrapper yielded more than once"
            return outcome
        return value if impl.wrapper else None

    return wrapper if (impl.wrapper or impl.hookwrapper) else plain


def _call(pm: pluggy.PluginManager, hook_name: str, registry: Registry[Any], infos: dict[str, PluginInfo],
          attr: str) -> None:
    """Call ``hook_name`` through pluggy (``tryfirst``/``trylast`` and wrappers honoured), each plugin isolated."""
    hook = getattr(pm.hook, hook_name)
    saved = []
    for impl in hook.get_hookimpls():
        info = infos.get(impl.plugin_name)
        if info is None:  # registered on the manager by someone else: not ours to guard
            continue
        saved.append((impl, impl.function))
        impl.function = _guard(impl, info, hook_name, registry)
    try:
        hook(registry=registry)
    finally:
        for impl, function in saved:
            impl.function = function
    for info in infos.values():
        if not info.error:
            getattr(info, attr).extend(registry.by_plugin(info.name))


#: The start of the warning for a claim whose assertion is plain data (pytest's config matches it).
UNTYPED_WARNING = "an assertion given as plain data is deprecated"


def _warn_untyped(claims: ClaimRegistry, infos: Mapping[str, PluginInfo]) -> None:
    """A ``DeprecationWarning`` per plugin (not built in) that registers claims with plain-data assertions."""
    for info in infos.values():
        if info.error or info.origin in ("core", "builtin"):
            continue
        untyped = [c.id for c in claims if claims.origin(c.id) == info.name and not c.typed]
        if untyped:
            warnings.warn(
                f"plugin {info.name!r}: {UNTYPED_WARNING} (claims {', '.join(untyped[:3])}"
                f"{', …' if len(untyped) > 3 else ''}); declare a kexue_verify.Assertion dataclass and write false "
                "variants with kexue_verify.variant(name, description, field=...) (docs/writing-a-plugin.md). "
                "The plain form stops working in the next release.",
                DeprecationWarning, stacklevel=3)


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
    known = sorted(set(builtin_names()) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
    unknown = [name for name in options.only if name not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=2)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UsageError(
            f"{ENV_PLUGINS} names {', '.join(repr(u) for u in unknown)}, which is neither a built-in topic nor an "
            f"installed entry point{hint} (known: {', '.join(known) or 'none'})"
        )


def builtin_names() -> tuple[str, ...]:
    """The built-in topics' short names (``DEFAULT_PLUGINS`` of :data:`BUILTIN_PACKAGE`); none when it is missing."""
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
    modules: list[tuple[PluginInfo, ModuleType | None]] = []
    seen: dict[int, str] = {}
    skipped: list[tuple[str, str]] = []
    for name, origin, importer, version in _candidates(options, skipped):
        info = PluginInfo(name=name, origin=origin, module=name, version=version)
        if name in infos:
            info.error = f"a plugin named {name!r} is already loaded (from {infos[name].origin}); rename one"
            infos[f"{name}#{len(infos)}"] = info
            continue
        infos[name] = info
        modules.append((info, _import(info, importer, seen)))
    # pluggy calls the last registered plugin first: registering in reverse keeps load order as the default
    # order of the hooks (tryfirst/trylast still move an implementation to the front or the back).
    for info, module in reversed(modules):
        if module is not None:
            _register(pm, info, module)
    _check_only(options, infos)
    claims, models, reporters = ClaimRegistry(), ModelRegistry(), ReporterRegistry()
    _call(pm, "kexue_register_reporters", reporters, infos, "reporters")
    _call(pm, "kexue_register_claims", claims, infos, "claims")
    _warn_untyped(claims, infos)
    _call(pm, "kexue_register_models", models, infos, "models")
    for info in infos.values():
        if info.error:
            _roll_back(pm, info, (reporters, claims, models))
    loaded = LoadedPlugins(manager=pm, claims=claims, models=models, reporters=reporters,
                           plugins=list(infos.values()), options=options, skipped=skipped)
    if options.strict and loaded.problems:
        first = loaded.problems[0]
        raise PluginError(f"plugin {first.name!r} ({first.origin}): {first.error}")
    return loaded
