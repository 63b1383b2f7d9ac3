"""Per-case process state: global random generators seeded before, and global settings restored after.

Cases share a worker process, so anything a check or a model factory leaves behind in the
process would reach the cases after it, and their verdicts (and the report id) would depend on
which cases ran before, in which order, with which ``-j``.  Two rules keep cases independent:

* **Seeded globals** (:func:`seed_globals`): before a model factory and before every check, the
  global generators of ``random``, NumPy (the legacy ``np.random`` state) and torch (CPU and every
  CUDA device) are seeded with the case's seed, ``derive_seed(run seed, case id)``.  A factory that
  relies on default initialisation (``nn.Linear``, a library's flow layer) therefore builds the
  same model whatever ran before it.
* **Restored globals** (:func:`preserved_global_state`): around every case, and around every part
  within it, a snapshot of the process-wide settings a check may change is taken and put back —
  the working directory, environment variables, ``warnings`` filters, the ``decimal`` context,
  ``mpmath.mp`` (precision and ``pretty``), NumPy's floating-point error handling, and torch's
  grad mode, default dtype, default device, deterministic-algorithm and anomaly-detection modes,
  float32 matmul precision, TF32 and cuDNN flags and thread count.  :data:`RESTORED` lists them.

A setting of a library first imported during the case (torch in a process that had not loaded
it) is put back to that library's import-time default.
"""

from __future__ import annotations

import contextlib
import decimal
import os
import random
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["RESTORED", "preserved_global_state", "seed_globals", "seed_torch"]


def seed_globals(seed: int, *, import_torch: bool = False) -> None:
    """Seed ``random``, NumPy's global state and torch's global generators with ``seed``.

    torch is seeded if it is imported already, or imported first when ``import_torch`` (before a
    model factory, which almost always uses it); ``torch.manual_seed`` also seeds every CUDA device.
    """
    random.seed(seed)
    with contextlib.suppress(ImportError):  # numpy is a dependency; a stripped environment may lack it
        import numpy as np

        np.random.seed(seed % 2**32)
    if import_torch and "torch" not in sys.modules:
        with contextlib.suppress(ImportError):
            import torch  # noqa: F401
    if "torch" in sys.modules:
        seed_torch(seed)


def seed_torch(seed: int) -> None:
    """``torch.manual_seed(seed % 2**63)``: torch's CPU generator and every accelerator's.

    Where torch sees no accelerator (``torch.accelerator.is_available()`` is false) only the CPU generator is
    seeded, which is all that ``manual_seed`` seeds then too; it would also queue a lazy seeding call for each of
    CUDA, XPU and MTIA, each recording the caller's stack, which cost 6% of the checks of a small flow layer.
    """
    import torch

    seed %= 2**63
    accelerator = getattr(torch, "accelerator", None)  # torch ≥ 2.6
    if accelerator is not None and not accelerator.is_available():
        torch.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)


@dataclass(frozen=True)
class _Setting:
    """One piece of global state: how to read it, how to put it back, and its import-time default."""

    name: str
    module: str  # the top-level module it belongs to; skipped while that module is not imported
    get: Callable[[], Any]
    set: Callable[[Any], None]
    default: Any = None  # used when ``module`` was imported during the case; None: leave it


def _torch() -> Any:
    return sys.modules["torch"]


def _set_deterministic(value: tuple[bool, bool]) -> None:
    _torch().use_deterministic_algorithms(value[0], warn_only=value[1])


def _set_anomaly(value: tuple[bool, bool]) -> None:
    _torch().autograd.set_detect_anomaly(value[0], check_nan=value[1])


def _set_environ(value: dict[str, str]) -> None:
    if dict(os.environ) != value:
        os.environ.clear()
        os.environ.update(value)


def _set_mpmath(value: tuple[int, bool]) -> None:
    mp = sys.modules["mpmath"].mp
    mp.prec, mp.pretty = value


def _set_decimal(value: decimal.Context) -> None:
    decimal.setcontext(value.copy())


def _set_filters(value: list[Any]) -> None:
    warnings.filters[:] = value  # type: ignore[index]  # a list at run time (typeshed declares a Sequence)
    warnings._filters_mutated()  # type: ignore[attr-defined]  # invalidate the per-module "once" caches


def _cudnn(flag: str) -> _Setting:
    return _Setting(f"torch.backends.cudnn.{flag}", "torch", lambda: getattr(_torch().backends.cudnn, flag),
                    lambda v: setattr(_torch().backends.cudnn, flag, v),
                    {"deterministic": False, "benchmark": False, "allow_tf32": True, "enabled": True}[flag])


#: Every setting restored after a case, in the order they are put back.
RESTORED: tuple[_Setting, ...] = (
    _Setting("working directory", "os", os.getcwd, os.chdir),
    _Setting("environment variables", "os", lambda: dict(os.environ), _set_environ),
    _Setting("warnings filters", "warnings", lambda: list(warnings.filters), _set_filters),
    _Setting("decimal context", "decimal", lambda: decimal.getcontext().copy(), _set_decimal),
    _Setting("mpmath.mp precision", "mpmath", lambda: (sys.modules["mpmath"].mp.prec, sys.modules["mpmath"].mp.pretty),
             _set_mpmath, (53, False)),
    _Setting("numpy error handling", "numpy", lambda: sys.modules["numpy"].geterr(),
             lambda v: sys.modules["numpy"].seterr(**v),
             {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}),
    _Setting("torch grad mode", "torch", lambda: _torch().is_grad_enabled(),
             lambda v: _torch().set_grad_enabled(v), True),
    _Setting("torch default dtype", "torch", lambda: _torch().get_default_dtype(),
             lambda v: _torch().set_default_dtype(v), "float32"),
    _Setting("torch default device", "torch", lambda: _torch().get_default_device(),
             lambda v: _torch().set_default_device(v), "cpu"),
    _Setting("torch deterministic algorithms", "torch",
             lambda: (_torch().are_deterministic_algorithms_enabled(),
                      _torch().is_deterministic_algorithms_warn_only_enabled()),
             _set_deterministic, (False, False)),
    _Setting("torch anomaly detection", "torch",
             lambda: (_torch().is_anomaly_enabled(), _torch().is_anomaly_check_nan_enabled()),
             _set_anomaly, (False, True)),
    _Setting("torch float32 matmul precision", "torch", lambda: _torch().get_float32_matmul_precision(),
             lambda v: _torch().set_float32_matmul_precision(v), "highest"),
    _Setting("torch.backends.cuda.matmul.allow_tf32", "torch",
             lambda: _torch().backends.cuda.matmul.allow_tf32,
             lambda v: setattr(_torch().backends.cuda.matmul, "allow_tf32", v), False),
    _cudnn("deterministic"),
    _cudnn("benchmark"),
    _cudnn("allow_tf32"),
    _cudnn("enabled"),
    _Setting("torch threads", "torch", lambda: _torch().get_num_threads(), lambda v: _torch().set_num_threads(v)),
)


def _resolve_default(setting: _Setting) -> Any:
    if setting.name == "torch default dtype":
        return _torch().float32
    return setting.default


@contextlib.contextmanager
def preserved_global_state() -> Iterator[None]:
    """Snapshot :data:`RESTORED` on entry and put every setting back on exit (also after an exception).

    A setting that cannot be restored (say, the working directory was deleted) is skipped with no
    error: the case's own verdict stands, and the next snapshot starts from what is there.
    """
    snapshot: dict[str, Any] = {"warnings filters": list(warnings.filters)}  # taken outside _quiet()'s own filter
    with _quiet():
        for setting in RESTORED:
            if setting.module in sys.modules and setting.name not in snapshot:
                with contextlib.suppress(Exception):
                    snapshot[setting.name] = setting.get()
    try:
        yield
    finally:
        _restore(snapshot)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Reading some torch flags warns about a newer API; the snapshot must not raise under ``-W error``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _restore(snapshot: dict[str, Any]) -> None:
    filters = snapshot.get("warnings filters")
    with _quiet():
        for setting in RESTORED:
            if setting.name == "warnings filters":
                continue  # put back last, outside the catch_warnings block that would undo it
            if setting.module not in sys.modules:
                continue
            if setting.name in snapshot:
                value = snapshot[setting.name]
            elif setting.default is not None:
                value = _resolve_default(setting)
            else:
                continue
            with contextlib.suppress(Exception):
                if setting.get() != value:
                    setting.set(value)
    if filters is not None:
        _set_filters(filters)
