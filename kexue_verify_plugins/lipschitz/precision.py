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
from collections.abc import Callable
from typing import Any, TypeVar

from kexue_verify.helpers import no_tf32, single_threaded

__all__ = ["check_settings"]

F = TypeVar("F", bound=Callable[..., Any])


def check_settings(check: F) -> F:
    """Decorate a check so that it runs under :func:`~kexue_verify.precision.no_tf32` and single-threaded."""

    @functools.wraps(check)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        device = getattr(args[0], "device", "cuda") if args else "cuda"  # a check is called as check(ctx, a)
        with no_tf32(device), single_threaded():
            return check(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
