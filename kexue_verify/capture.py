"""What a check prints goes into its part's record, not onto the terminal.

:func:`captured_output` redirects file descriptors 1 and 2 (so output of native code is caught
too) and ``sys.stdout``/``sys.stderr`` to one temporary file while a check runs. What was
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


@contextlib.contextmanager
def captured_output() -> Iterator[Output]:
    """Capture everything written to fds 1 and 2 and to ``sys.stdout``/``sys.stderr`` inside the block."""
    out = Output()
    _flush()
    with tempfile.TemporaryFile() as tmp:
        saved: list[tuple[int, int]] = []
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                saved.append((fd, os.dup(fd)))
                os.dup2(tmp.fileno(), fd)
        text = io.TextIOWrapper(os.fdopen(os.dup(tmp.fileno()), "wb"), encoding="utf-8",
                                errors="backslashreplace", write_through=True)
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = text
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
