r"""CPU thread settings for checks, and a guard against batched LU going wrong after ``torch.set_num_threads``.

Measured on this project's development machine (torch 2.13.0 CPU build with MKL, AMD EPYC, 2 cores): once
``torch.set_num_threads(n)`` has been called with ``n ≥ 2``, LU factorisations of a *stack* of matrices
(``torch.linalg.slogdet``, ``det``, ``solve``, ``inv``, ``lu_factor`` on shape ``(B, d, d)`` with ``B ≥ 2`` and
``d ≳ 192``) return invalid pivots and wrong values, and MKL prints
``Parameter 6 was incorrect on entry to DLASWP``. The same thread count taken from ``OMP_NUM_THREADS`` at start-up,
or ``torch.set_num_threads(1)``, gives correct results, and so does each matrix factorised on its own. A verifier
whose ground truth is ``slogdet`` cannot live with that, hence three rules:

* the count is only ever *lowered* through torch (to 1): :func:`single_threaded` does not raise it again;
* a worker process gets its count from the environment, before torch is imported (:func:`thread_environment`);
* :func:`ensure_sound_lapack` runs a known-answer test of batched LU before every check, and falls back to one
  thread when the test fails (raising :class:`~kexue_verify.errors.UnsoundEnvironmentError` if even that does not help).

>>> with single_threaded():                   # doctest: +SKIP
...     ...                                    # tiny tensors: one thread avoids synchronisation overhead
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator

from kexue_verify.errors import UnsoundEnvironmentError

__all__ = ["batched_lu_is_sound", "ensure_sound_lapack", "set_threads", "single_threaded", "thread_environment"]

_ENV_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def thread_environment(threads: int) -> None:
    """Ask for ``threads`` intra-op threads through the environment (a value the user set is kept).

    Effective only before torch is first imported in this process: the way a worker process sets its count.
    """
    for name in _ENV_VARIABLES:
        os.environ.setdefault(name, str(threads))


def set_threads(threads: int) -> None:
    """Set torch's intra-op thread count, refusing the one change known to corrupt batched LU.

    Lowering to 1 is always safe; any other count must come from ``OMP_NUM_THREADS`` before torch is imported.
    """
    import torch

    if threads == torch.get_num_threads():
        return
    if threads != 1:
        raise UnsoundEnvironmentError(
            f"cannot switch torch to {threads} threads in a running process: torch.set_num_threads(n ≥ 2) makes "
            f"batched LU return wrong results on some builds; start the process with OMP_NUM_THREADS={threads}"
        )
    torch.set_num_threads(1)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """One intra-op CPU thread inside the block (checks on tiny tensors lose nothing and avoid spinning threads).

    The count is not raised again afterwards: that would call ``torch.set_num_threads(n ≥ 2)`` (see the module
    docstring), so a process that enters this block once stays on one thread.
    """
    set_threads(1)
    yield


def batched_lu_is_sound(size: int = 192, batch: int = 4) -> bool:
    """Known-answer test: batched ``slogdet`` of a seeded stack equals the matrices' own ``slogdet`` one by one.

    The one-by-one factorisations are the reference: they are computed correctly even in the broken state.
    """
    import torch

    gen = torch.Generator().manual_seed(20181007)
    stack = torch.randn(batch, size, size, dtype=torch.float64, generator=gen)
    batched = torch.linalg.slogdet(stack)
    single = [torch.linalg.slogdet(m) for m in stack]
    signs = torch.stack([s.sign for s in single])
    logs = torch.stack([s.logabsdet for s in single])
    return bool(torch.equal(batched.sign, signs)) and bool(torch.allclose(batched.logabsdet, logs, rtol=1e-12))


#: How long the known-answer test may take (it takes milliseconds when sound).
LU_DEADLINE_S = 20.0


def _within(seconds: float, fn: Callable[[], bool]) -> bool | None:
    """``fn()`` run in a daemon thread; None when it has not returned within ``seconds`` (it is left running)."""
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(fn()), name="kexue-verify-lu-test", daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0] if result else None


def ensure_sound_lapack() -> bool:
    """Run :func:`batched_lu_is_sound` when torch has several threads; on failure drop to one and test again.

    One thread was always sound where the fault was seen, so that case costs nothing. Returns ``True`` when the
    fallback was needed. Raises :class:`UnsoundEnvironmentError` when batched LU is wrong even
    on one thread, or when the test does not finish within :data:`LU_DEADLINE_S` (measured on an Intel Xeon with
    AVX-512: after ``torch.set_num_threads(2)`` a batched ``slogdet`` of 4 × 192 × 192 never returns): then no
    log-determinant this process computes can be trusted.
    """
    import torch

    threads = torch.get_num_threads()
    if threads == 1:
        return False
    sound = _within(LU_DEADLINE_S, batched_lu_is_sound)
    if sound is None:
        raise UnsoundEnvironmentError(
            f"batched LU (torch.linalg.slogdet on a stack of matrices) did not finish within {LU_DEADLINE_S:g} s on "
            f"{threads} threads: with MKL on some CPUs it hangs once torch.set_num_threads(n ≥ 2) has been called; "
            f"start the process with OMP_NUM_THREADS={threads} instead of calling torch.set_num_threads")
    if sound:
        return False
    set_threads(1)
    if batched_lu_is_sound():
        return True
    raise UnsoundEnvironmentError("batched LU (torch.linalg.slogdet on a stack of matrices) gives wrong results in "
                                  "this torch build even on one thread; log-determinants cannot be checked here")
