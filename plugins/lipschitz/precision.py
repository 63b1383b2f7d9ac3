"""The numerical settings a check of this topic runs under.

* **No TF32 on CUDA.** cuDNN convolutions (and, if a user enabled it, cuBLAS matmuls) may use TF32 on Ampere and
  later GPUs, which rounds float32 operands to 10 mantissa bits; the float32 tolerances of the checks (Higham's γ with
  ε = 2⁻²³) do not allow that.
* **One intra-op thread on the CPU.** The checks work on tensors of at most a few thousand entries, where torch's
  intra-op parallelism only adds synchronisation; on a loaded machine two spinning threads made a check ten times
  slower than one.  The count is not raised again afterwards (:mod:`kexue_verify.threads` says why).

:func:`check_settings` applies both to a check function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import torch

from kexue_verify.threads import single_threaded

__all__ = ["check_settings", "without_tf32"]

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def without_tf32() -> Iterator[None]:
    """Disable TF32 for cuDNN convolutions and cuBLAS matmuls inside the block (a no-op on the CPU)."""
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def check_settings(check: F) -> F:
    """Decorate a check so that it runs :func:`without_tf32` and :func:`single_threaded`."""

    @functools.wraps(check)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with without_tf32(), single_threaded():
            return check(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
