"""A check's traceback as a plugin author wants to read it: from the plugin's own first frame on."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

__all__ = ["plugin_traceback"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def plugin_traceback(exc: BaseException) -> str:
    """The traceback of an exception raised in a check, without the frames of kexue-verify's own machinery.

    Like pytest, which starts a failing test's traceback at the test function: the leading frames that belong to
    the ``kexue_verify`` package (the evaluator, ``resolve``) are dropped, and everything from the first frame of
    the plugin on is kept, helpers of ``kexue_verify`` called by the check included.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    start = 0
    while start < len(frames) - 1 and frames[start].filename.startswith(_PACKAGE_DIR + os.sep):
        start += 1
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[start:]),
             *traceback.format_exception_only(type(exc), exc)]
    return "".join(lines).rstrip()
