"""The wall-clock limit of one parse in :mod:`kexue_verify.formula`: a deadline checked between syntax nodes
and, in the main thread of a POSIX process, enforced inside SymPy by ``SIGALRM``.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from kexue_verify.errors import FormulaError


class _OutOfTime(BaseException):
    """Raised by the alarm; not an Exception, so that SymPy's ``except Exception`` cannot swallow it."""


class _Clock:
    """The parse's deadline: checked between syntax nodes (any thread) and enforced by ``SIGALRM`` inside SymPy
    (main thread); ``expired`` stays set even where SymPy swallowed the alarm's exception (in a ``__del__``)."""

    def __init__(self, seconds: float | None, text: str) -> None:
        self.seconds, self.text = seconds, text
        self.end = None if seconds is None else time.monotonic() + seconds
        self.expired = False

    def check(self) -> None:
        if self.expired or (self.end is not None and time.monotonic() > self.end):
            self.expired = True
            raise _OutOfTime

    def error(self) -> FormulaError:
        short = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return FormulaError(f"parsing {short!r} took longer than {self.seconds:g} s; simplify the formula")


@contextlib.contextmanager
def _deadline(seconds: float | None, text: str) -> Iterator[_Clock]:
    clock = _Clock(seconds, text)
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
    previous = None

    def expire(signum: int, frame: Any) -> None:
        if _swallows_exceptions(frame):  # a gc callback or __del__: raising there is lost; try again in 5 ms
            signal.setitimer(signal.ITIMER_REAL, 0.005)
            return
        clock.expired = True
        raise _OutOfTime

    if usable:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 1e-3))  # type: ignore[arg-type]
    try:
        yield clock
        if clock.expired:  # the alarm went off where its exception was swallowed: the result is still too late
            raise _OutOfTime
    except _OutOfTime:
        raise clock.error() from None
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _swallows_exceptions(frame: Any) -> bool:
    """Whether ``frame`` runs where Python discards exceptions: a finalizer or a garbage-collector callback."""
    import gc

    if frame is None:
        return True
    code = frame.f_code
    return code.co_name == "__del__" or any(getattr(cb, "__code__", None) is code for cb in gc.callbacks)
