"""The time budget of a step's exact phase: SymPy work bounded by ``SIGALRM``.

:meth:`_Budget.attempt` runs one SymPy method and gives ``None`` when it fails or overruns; the alarm raises
:class:`_OutOfTime`, a ``BaseException`` SymPy's ``except Exception`` cannot swallow, and repeats every
50 ms after the deadline until it lands.  Only the main thread of a POSIX process with no other alarm set
gets a limit; elsewhere SymPy runs unbounded.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any


class _OutOfTime(BaseException):
    """Raised by the alarm when a SymPy computation overruns its budget (not an Exception,
    so that SymPy's own ``except Exception`` clauses cannot swallow it)."""


class _Budget:
    """A wall-clock budget for the exact phase of one step.

    The limit is enforced with ``SIGALRM``, so only in the main thread of a POSIX process and
    only when no other alarm is set; elsewhere SymPy runs unbounded (cheap methods come first).
    """

    def __init__(self, seconds: float | None) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds

    def left(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    @contextlib.contextmanager
    def limit(self) -> Iterator[None]:
        left = self.left()
        if left is not None and left <= 0:
            raise _OutOfTime
        usable = (
            left is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        )
        if not usable:
            yield
            return

        armed = [True]
        previous_hook = sys.unraisablehook

        def absorb_dropped_alarm(unraisable: Any) -> None:
            # An alarm raised where Python cannot propagate it (a gc callback, a finaliser) is dropped: it is no
            # error of the check's, and the next repeat lands. Anything else goes to the hook that was there.
            if not isinstance(unraisable.exc_value, _OutOfTime):
                previous_hook(unraisable)

        def expire(signum: int, frame: Any) -> None:
            if armed[0] and (frame is None or frame.f_code is not absorb_dropped_alarm.__code__):
                raise _OutOfTime

        sys.unraisablehook = absorb_dropped_alarm
        previous = signal.signal(signal.SIGALRM, expire)
        # The alarm repeats every 50 ms after the deadline: Python drops an exception raised while a garbage-collector
        # callback runs, and SymPy catches broad exceptions in places, so a single alarm can be lost and leave a
        # factorisation running for ever. Repeating it until it lands keeps the budget a bound.
        assert left is not None  # usable implies it
        signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), 0.05)
        try:
            yield
        finally:
            while armed[0]:
                try:
                    armed[0] = False  # an alarm from here on is ignored
                except _OutOfTime:  # one that fired just before the assignment
                    continue
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            sys.unraisablehook = previous_hook

    def attempt(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args)`` within the budget; ``None`` if it fails or runs out of time."""
        try:
            with self.limit():
                return fn(*args, **kwargs)
        except _OutOfTime:
            return None
        except Exception:  # noqa: BLE001 - a SymPy method that cannot handle this expression just fails
            return None
