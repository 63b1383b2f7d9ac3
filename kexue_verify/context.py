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

    Checks should draw randomness from :meth:`generator` (torch) or :meth:`rng` (numpy);
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

    def generator(self, offset: int = 0) -> Any:
        """A fresh ``torch.Generator`` on the check's device, seeded from the claim's seed."""
        import torch

        device = self.device if self.device.startswith("cuda") else "cpu"
        gen = torch.Generator(device=device)
        gen.manual_seed((self.seed + offset) % (2**63))
        return gen

    def rng(self, offset: int = 0) -> Any:
        """A fresh ``numpy.random.Generator`` seeded from the claim's seed."""
        import numpy as np

        return np.random.default_rng(self.seed + offset)

    def tensor(self, data: Any) -> Any:
        """``torch.as_tensor(data)`` on the check's device and dtype."""
        import torch

        return torch.as_tensor(data, dtype=self.torch_dtype, device=self.device)

    def with_model(self, model: Any, name: str | None, declared: dict[str, Any] | None = None) -> CheckContext:
        return replace(self, model=model, model_name=name, declared=dict(declared or {}))
