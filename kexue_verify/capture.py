"""What a check prints goes into its part's record, not onto the terminal.

:func:`captured_output` redirects ``sys.stdout``/``sys.stderr`` and, in a worker process, file
descriptors 1 and 2 (so output of native code and child processes is caught too) to one
temporary file while a check runs. What was
written is kept as :class:`Output`: its size in bytes and at most :data:`LIMIT` bytes of it
(the beginning), so a check that prints megabytes neither floods the CLI (``-q`` included) nor
bloats the report.

>>> with captured_output() as out:
...     print("hello")
>>> out.size, out.text
(6, 'hello\\n')
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["LIMIT", "Output", "captured_output"]

#: Bytes of a check's output kept in the report.
LIMIT = 4096


@dataclass
class Output:
    """What a check wrote to stdout and stderr: the size and the first :data:`LIMIT` bytes as text."""

    size: int = 0
    text: str = ""
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"bytes": self.size, "text": self.text, "truncated": self.truncated}


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()


class _ThisThread:
    """A stand-in for ``sys.stdout``/``sys.stderr``: writes from the capturing thread go to the capture, writes
    from other threads (a progress bar refreshing itself) to the stream it replaced."""

    def __init__(self, capture: Any, original: Any) -> None:
        self._capture, self._original, self._thread = capture, original, threading.get_ident()

    def _target(self) -> Any:
        return self._capture if threading.get_ident() == self._thread else self._original

    def write(self, text: str) -> int:
        return self._target().write(text)

    def writelines(self, lines: Any) -> None:
        self._target().writelines(lines)

    def flush(self) -> None:
        with contextlib.suppress(Exception):
            self._target().flush()

    def isatty(self) -> bool:
        return self._target() is self._original and bool(getattr(self._original, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


def _in_worker() -> bool:
    import multiprocessing

    return multiprocessing.parent_process() is not None


@contextlib.contextmanager
def captured_output(*, descriptors: bool | None = None) -> Iterator[Output]:
    """Capture everything written to ``sys.stdout``/``sys.stderr`` inside the block, and to the file descriptors
    1 and 2 underneath (output of native code and child processes) when ``descriptors`` is true.

    ``descriptors`` defaults to true in a worker process, where nothing else writes; in the CLI's own process
    (``--in-process``) the terminal stays the progress bar's, and only Python-level output is captured.
    """
    out = Output()
    descriptors = _in_worker() if descriptors is None else descriptors
    _flush()
    with tempfile.TemporaryFile() as tmp:
        saved: list[tuple[int, int]] = []
        for fd in (1, 2) if descriptors else ():
            with contextlib.suppress(OSError):
                saved.append((fd, os.dup(fd)))
                os.dup2(tmp.fileno(), fd)
        text = io.TextIOWrapper(os.fdopen(os.dup(tmp.fileno()), "wb", buffering=0), encoding="utf-8",
                                errors="backslashreplace", write_through=True)
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _ThisThread(text, old_out), _ThisThread(text, old_err)
        try:
            yield out
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            with contextlib.suppress(Exception):
                text.flush()
                text.close()
            _flush()
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)
            out.size = os.fstat(tmp.fileno()).st_size
            tmp.seek(0)
            head = tmp.read(LIMIT)
            out.text, out.truncated = head.decode("utf-8", "replace"), out.size > len(head)
