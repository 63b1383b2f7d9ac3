"""The context a check runs in: its seed, device, dtype and (for model claims) the model.

Seeds are derived, never shared: ``derive_seed(base, case_id)`` hashes the run's base seed
with the claim's id, so a claim gets the same random numbers whatever else is selected,
in whatever order, with whatever parallelism.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["CheckContext", "derive_seed"]


def derive_seed(base_seed: int, key: str) -> int:
    """A 63-bit seed from ``(base_seed, key)``: the first 8 bytes of SHA-256 of ``"base:key"``.

    >>> derive_seed(0, "stirling.formula") == derive_seed(0, "stirling.formula")
    True
    >>> derive_seed(0, "a.b") != derive_seed(1, "a.b")
    True
    """
    digest = hashlib.sha256(f"{base_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True, kw_only=True)
class CheckContext:
    """Everything a check may depend on besides its assertion.

    Checks should draw randomness from :meth:`generator` (torch) or :meth:`rng` (numpy), one labelled
    stream per use (``ctx.generator("weights")``);
    the runner also seeds the global torch, numpy and ``random`` generators with
    :attr:`seed` before each check so that ``nn.Linear`` initialisations are reproducible.
    """

    case_id: str
    seed: int
    device: str = "cpu"
    dtype: str = "float64"
    model: Any = None
    model_name: str | None = None
    declared: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None

    @property
    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)

    def stream_seed(self, stream: str | int = 0) -> int:
        """The seed of one named random stream of this check: ``derive_seed(seed, stream)`` for a label.

        Label the streams a check draws from (``"weights"``, ``"probe-points"``) instead of adding offsets to
        :attr:`seed`: two labels give independent seeds, and adding a stream does not shift the others.  An integer
        keeps the old meaning, ``seed + offset`` (mod 2⁶³).
        """
        if isinstance(stream, str):
            if not stream:
                raise ValueError("a stream label must be a non-empty string")
            return derive_seed(self.seed, f"{self.case_id}:{stream}")
        if isinstance(stream, bool) or not isinstance(stream, int):
            raise TypeError(f"a stream is a label (str) or an offset (int), got {stream!r}")
        return (self.seed + stream) % (2**63)

    def generator(self, stream: str | int = 0, *, device: str | None = None, offset: int | None = None) -> Any:
        """A fresh ``torch.Generator`` seeded from this check's seed and ``stream`` (see :meth:`stream_seed`).

        It lives on ``device`` (default: the check's device when that is CUDA, else the CPU); pass
        ``device="cpu"`` to draw on the CPU and move the tensors, which gives the same numbers on every device.
        ``offset=`` is the older spelling of an integer ``stream``.
        """
        import torch

        if offset is not None:
            stream = offset

        where = device or (self.device if self.device.startswith("cuda") else "cpu")
        gen = torch.Generator(device=where)
        gen.manual_seed(self.stream_seed(stream))
        return gen

    def rng(self, stream: str | int = 0, *, offset: int | None = None) -> Any:
        """A fresh ``numpy.random.Generator`` seeded from this check's seed and ``stream`` (see :meth:`stream_seed`)."""
        import numpy as np

        if offset is not None:
            stream = offset
        if isinstance(stream, int) and not isinstance(stream, bool):
            return np.random.default_rng(self.seed + stream)  # the old meaning, unchanged
        return np.random.default_rng(self.stream_seed(stream))

    def tensor(self, data: Any) -> Any:
        """``torch.as_tensor(data)`` on the check's device and dtype."""
        import torch

        return torch.as_tensor(data, dtype=self.torch_dtype, device=self.device)

    def with_model(self, model: Any, name: str | None, declared: dict[str, Any] | None = None) -> CheckContext:
        return replace(self, model=model, model_name=name, declared=dict(declared or {}))
