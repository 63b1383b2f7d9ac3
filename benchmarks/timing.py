"""Wall-clock timing shared by the benchmarks: the best of ``repeat`` runs, synchronising CUDA around each.

Imported by the scripts beside it (``python benchmarks/NAME.py`` puts this folder on ``sys.path``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import torch

T = TypeVar("T")


def timed(fn: Callable[[], T], device: str, repeat: int = 1) -> tuple[T, float]:
    """The result of ``fn`` and its best wall time over ``repeat`` runs (kernels finished, on CUDA)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return out, best  # type: ignore[return-value]


__all__ = ["timed"]
