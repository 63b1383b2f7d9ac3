"""Registries that plugins add claims, models and report writers to.

A registry validates each item, refuses a duplicate id (naming both plugins), and
remembers which plugin added what, so ``kexue-verify plugins`` can say so and a plugin
that raises half-way can be rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from kexue_verify.claims import Claim, ModelSpec
from kexue_verify.errors import DuplicateIdError, PluginError

__all__ = ["ClaimRegistry", "ModelRegistry", "Registry", "ReporterRegistry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Items keyed by id, each remembered with the plugin that added it."""

    kind = "item"

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._origin: dict[str, str] = {}
        self._plugin = "<direct>"

    @contextmanager
    def recording(self, plugin: str) -> Iterator[None]:
        """Attribute everything added inside the block to ``plugin``; roll it back if the block raises."""
        previous, self._plugin = self._plugin, plugin
        before = set(self._items)
        try:
            yield
        except BaseException:
            for key in set(self._items) - before:
                del self._items[key]
                del self._origin[key]
            raise
        finally:
            self._plugin = previous

    def _add(self, key: str, item: T) -> T:
        if key in self._items:
            raise DuplicateIdError(
                f"{self.kind} {key!r} is registered twice: by plugin {self._origin[key]!r} "
                f"and by plugin {self._plugin!r}; rename one of them"
            )
        self._items[key] = item
        self._origin[key] = self._plugin
        return item

    def origin(self, key: str) -> str:
        """The name of the plugin that added ``key``."""
        return self._origin[key]

    def by_plugin(self, plugin: str) -> list[str]:
        return [k for k, p in self._origin.items() if p == plugin]

    def discard_plugin(self, plugin: str) -> list[str]:
        """Remove everything ``plugin`` added (a plugin that failed later is rolled back); returns the ids."""
        keys = self.by_plugin(plugin)
        for key in keys:
            del self._items[key]
            del self._origin[key]
        return keys

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __getitem__(self, key: str) -> T:
        return self._items[key]

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def ids(self) -> list[str]:
        return list(self._items)


class ClaimRegistry(Registry[Claim]):
    """The claims every plugin registered, plus the folders their proof documents live in."""

    kind = "claim"

    def __init__(self) -> None:
        super().__init__()
        self.proof_dirs: list[Path] = []
        self._proof_origin: dict[Path, str] = {}

    def add(self, claim: Claim) -> Claim:
        """Register ``claim``; returns it so the call can be used as an expression."""
        if not isinstance(claim, Claim):
            raise PluginError(f"registry.add() takes a Claim, got {type(claim).__name__}")
        return self._add(claim.id, claim)

    def add_proof_dir(self, path: str | Path) -> None:
        """Declare a folder of derivation documents that this plugin's claims refer to by ``proof=``."""
        folder = Path(path)
        if not folder.is_dir():
            raise PluginError(f"proof folder {folder} does not exist")
        if folder not in self.proof_dirs:
            self.proof_dirs.append(folder)
            self._proof_origin[folder] = self._plugin

    def discard_plugin(self, plugin: str) -> list[str]:
        for folder in [f for f, p in self._proof_origin.items() if p == plugin]:
            self.proof_dirs.remove(folder)
            del self._proof_origin[folder]
        return super().discard_plugin(plugin)

    def sorted(self) -> list[Claim]:
        return sorted(self, key=lambda c: c.id)


class ModelRegistry(Registry[ModelSpec]):
    """Models by name; claims about a kind run on each model of that kind."""

    kind = "model"

    def add(self, spec: ModelSpec) -> ModelSpec:
        if not isinstance(spec, ModelSpec):
            raise PluginError(f"registry.add() takes a ModelSpec, got {type(spec).__name__}")
        return self._add(spec.name, spec)

    def of_kind(self, kind: str) -> list[ModelSpec]:
        return sorted((m for m in self if m.kind == kind), key=lambda m: m.name)

    def kinds(self) -> list[str]:
        return sorted({m.kind for m in self})


Writer = Callable[[dict[str, Any], Path], None]


class ReporterRegistry(Registry[Writer]):
    """Report writers keyed by file extension (``.json``, ``.md``, ...)."""

    kind = "report format"

    def add(self, extension: str, writer: Writer) -> Writer:
        if not extension.startswith(".") or not callable(writer):
            raise PluginError(f"reporters are added as registry.add('.ext', writer), got {extension!r}")
        return self._add(extension.lower(), writer)

    def for_path(self, path: Path) -> Writer | None:
        return self._items.get(path.suffix.lower())
