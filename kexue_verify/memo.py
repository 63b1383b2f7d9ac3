"""A small in-process memo for the expensive, deterministic part of a check (training, searching).

A claim's checks run once on its assertion and once more on every false variant, in the same process; whatever
a check *measures* (a trained model, a searched counterexample, a lower bound) is the same each time, and only the
comparison with the assertion differs.  Keying the measurement by everything it depends on — the check, seed,
dtype, device, model, loss — and reusing it lets the variants cost only the comparison.  The memo holds the most
recent :data:`SIZE` measurements; it lives in the process (a worker keeps it from case to case; each run starts
with it empty, :func:`kexue_verify.verdicts.forget_measurements`), so a key must name everything the measurement
depends on, the check itself included.

>>> from kexue_verify.helpers import remember
>>> remember(("my-check", 7, "float64"), lambda: 2 + 2)
4
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["SIZE", "clear", "remember"]

T = TypeVar("T")
SIZE = 16
_STORE: OrderedDict[Hashable, Any] = OrderedDict()


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` the first time ``key`` is seen, the stored result afterwards."""
    if key in _STORE:
        _STORE.move_to_end(key)
        return _STORE[key]  # type: ignore[no-any-return]
    value = compute()
    _STORE[key] = value
    while len(_STORE) > SIZE:
        _STORE.popitem(last=False)
    return value


def clear() -> None:
    """Forget every stored measurement."""
    _STORE.clear()
