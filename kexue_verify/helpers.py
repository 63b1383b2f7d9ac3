"""The helpers a plugin's checks use: tolerances, precision, threads, dtype conversion, formulas on torch.

Everything a check needs besides :mod:`kexue_verify` itself, in one public module with a pinned ``__all__``
(``tests/test_public_api.py``); import from here, not from the core modules behind it, which may move::

    from kexue_verify.helpers import float64, no_tf32, single_threaded, tolerance, torch_function

Importing this module imports neither torch nor SymPy; each helper does so when called.

* :func:`tolerance`, :func:`eps`, :func:`rounding_gamma` — bounds derived from the dtype and the size of the
  computation (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1: ``γ_n = nu/(1 − nu)``);
* :func:`float64`, :func:`float32` — a detached copy of a tensor (or data) in that dtype, for reference
  computations next to the run's dtype (``ctx.tensor(data)`` gives the run's dtype and device);
* :func:`torch_function` — a SymPy expression or formula as an elementwise function of torch tensors;
* :func:`least_squares` — ``min ‖A x − B‖₂`` that gives the same bits on every run (SVD-based ``gelsd`` on CPU);
* :func:`no_tf32`, :func:`single_threaded` — context managers for honest float32 on CUDA and for tiny tensors;
* :func:`remember` — a check's expensive, deterministic measurement (a trained model, a search) computed once
  for the claim and its false variants, which differ only in what they compare it with (:mod:`kexue_verify.memo`);
* :func:`seed_torch` — ``torch.manual_seed``, cheaper where torch sees no accelerator (for a factory that builds
  with torch's global generator);
* random numbers come from the context: ``ctx.generator("stream-label")`` and ``ctx.rng("stream-label")``
  (:class:`kexue_verify.CheckContext`), and a claim's source section from ``Source.at(section)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kexue_verify.isolation import seed_torch
from kexue_verify.memo import remember
from kexue_verify.tolerances import eps, tolerance
from kexue_verify.tolerances import gamma as rounding_gamma

__all__ = [
    "eps",
    "float32",
    "float64",
    "least_squares",
    "no_tf32",
    "remember",
    "rounding_gamma",
    "seed_torch",
    "single_threaded",
    "tolerance",
    "torch_function",
]


def _as(data: Any, dtype_name: str, device: Any) -> Any:
    import torch

    dtype = getattr(torch, dtype_name)
    if isinstance(data, torch.Tensor):
        return data.detach().to(dtype=dtype, device=device if device is not None else data.device)
    return torch.as_tensor(data, dtype=dtype, device=device if device is not None else "cpu")


def float64(data: Any, *, device: Any = None) -> Any:
    """``data`` as a detached float64 tensor (on its own device, or ``device``): the reference precision.

    >>> float64([1, 2]).dtype
    torch.float64
    """
    return _as(data, "float64", device)


def float32(data: Any, *, device: Any = None) -> Any:
    """``data`` as a detached float32 tensor (on its own device, or ``device``)."""
    return _as(data, "float32", device)


def torch_function(expr: Any, *names: str, positive: bool = True) -> Callable[..., Any]:
    """A SymPy expression, or a formula string, as an elementwise function of torch tensors (``sympy.lambdify``).

    ``names`` are its variables, positive unless ``positive=False``; see :func:`kexue_verify.numeric.torch_function`.
    """
    from kexue_verify.numeric import torch_function as build

    return build(expr, *names, positive=positive)


def least_squares(a: Any, b: Any) -> Any:
    """The least-squares solution ``X = argmin ‖A X − B‖₂`` (``torch.linalg.lstsq(a, b).solution``), reproducible.

    On CPU it uses LAPACK's SVD-based driver ``gelsd``: torch's CPU default, the pivoted-QR ``gelsy``, was seen to
    return residuals that differ in their last bits from one run of the same command to the next (the fitted
    residuals of an exact fit, ~1e-28, changed between runs), so evidence quoting them — and the report id — did
    not repeat.  ``gelsd`` is also the one that copes with rank-deficient ``A`` (Golub & Van Loan, *Matrix
    Computations*, 4th ed., §5.5).  On CUDA torch has only ``gels`` (full-rank ``A``).
    """
    import torch

    return torch.linalg.lstsq(a, b, driver="gelsd" if a.device.type == "cpu" else None).solution


@contextmanager
def no_tf32(device: Any = "cuda") -> Iterator[None]:
    """Turn TF32 off on CUDA inside the block, so that float32 means IEEE float32 (TF32 voids float32 bounds)."""
    from kexue_verify.precision import no_tf32 as guard

    with guard(device):
        yield


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run the block on one CPU thread (tiny tensors; see docs/explanation.md on threads)."""
    from kexue_verify.threads import single_threaded as guard

    with guard():
        yield
