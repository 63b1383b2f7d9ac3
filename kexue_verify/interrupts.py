"""Signals that end a run early: SIGINT (Ctrl-C), SIGTERM and SIGHUP become one :class:`Interrupted`.

A run that is interrupted keeps what it has: the results so far go into a report marked
``interrupted`` (which signal, how many of how many cases), the workers are ended, and the CLI
exits with ``128 + signal number`` — 130 for SIGINT, 143 for SIGTERM, as shells do — never with a
verdict's exit code.

>>> Interrupted(2).exit_code, Interrupted(15).name
(130, 'SIGTERM')
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["Interrupted", "signals_interrupt"]

#: The signals :func:`signals_interrupt` turns into :class:`Interrupted` (those that exist on this platform).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(BaseException):
    """A signal asked the run to stop; ``exit_code`` is ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        return f"interrupted by {self.name}"


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Inside the block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (main thread only; elsewhere
    nothing changes). The previous handlers come back on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signum)

    previous = {}
    for signum in SIGNALS:
        with contextlib.suppress(OSError, ValueError):
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(signum, old)
