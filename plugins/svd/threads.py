"""Run torch on one CPU thread: the matrices of this topic are tiny (at most a few hundred entries).

Splitting a 40×8 product or SVD across threads only adds synchronisation, and on a machine whose cores
are busy the waiting threads make each call many times slower (measured: a 30×20 SVD took 24 ms with
two threads under load and 0.1 ms with one).  :func:`one_thread` restores the previous setting.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import torch

__all__ = ["one_thread", "single_threaded"]

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Set ``torch.set_num_threads(1)`` inside the block."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def single_threaded(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`one_thread`."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with one_thread():
            return fn(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
