"""Float32 that means IEEE float32 on CUDA: TF32 off for matmuls and convolutions inside a check.

On Ampere and later GPUs cuBLAS and cuDNN may compute float32 products in TF32, which rounds the operands to 10
mantissa bits (ε ≈ 10⁻³ instead of 1.2·10⁻⁷); tolerances derived from float32's ε (:mod:`kexue_verify.tolerances`)
would not hold. :func:`no_tf32` turns it off for the block and restores the previous settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["no_tf32"]


@contextmanager
def no_tf32(device: Any = "cuda") -> Iterator[None]:
    """On CUDA, use IEEE float32 for matmuls and convolutions (TF32 rounds float32 inputs to 10 mantissa bits).

    A no-op on other devices, where the settings do not apply.
    """
    if not str(device).startswith("cuda"):
        yield
        return
    import torch

    settings: list[Any] = [torch.backends.cuda.matmul, torch.backends.cudnn.conv]  # type: ignore[attr-defined]
    if all(hasattr(s, "fp32_precision") for s in settings):
        saved = [s.fp32_precision for s in settings]
        for s in settings:
            s.fp32_precision = "ieee"
        try:
            yield
        finally:
            for s, value in zip(settings, saved, strict=True):
                s.fp32_precision = value
        return
    legacy: list[Any] = [torch.backends.cuda.matmul, torch.backends.cudnn]  # pragma: no cover - torch < 2.9
    saved = [s.allow_tf32 for s in legacy]
    for s in legacy:
        s.allow_tf32 = False
    try:
        yield
    finally:
        for s, value in zip(legacy, saved, strict=True):
            s.allow_tf32 = value
