"""Models of kind ``linear-autoencoder``: the built-in ones and the deliberately wrong ones the claims must refute.

The protocol (see ``docs/topics/svd.md``): a factory ``factory(ctx)`` returns an ``nn.Module`` that maps
a ``(batch, n)`` tensor to a ``(batch, n)`` tensor through a bottleneck of width ``k``, and the
``ModelSpec.declared`` values say which (``{"n": 8, "k": 2}``).  The claim generates data of width ``n``,
trains the module's parameters itself, and compares it with the rank-``k`` truncated SVD; the module
only has to be differentiable.

The factories here build :data:`DEFAULT_SHAPE`.  The buggy ones are false variants
(``FalseVariant(model=...)``), which carry no ``declared`` values; the claims then use
:data:`DEFAULT_SHAPE` as well (:func:`shape`).
"""

from __future__ import annotations

from typing import Any, TypeVar

import torch
from torch import nn

from kexue_verify_plugins.svd.claims import DEFAULT_SHAPE

__all__ = [
    "TiedAutoencoder",
    "biased",
    "biased_autoencoder",
    "deep_linear",
    "deep_linear_autoencoder",
    "linear",
    "linear_autoencoder",
    "relu_bottleneck",
    "seeded",
    "shape",
    "tied",
    "too_narrow",
]


def shape(ctx: Any) -> tuple[int, int]:
    """``(n, k)`` for a check: the model's declared values, else :data:`DEFAULT_SHAPE`."""
    declared = getattr(ctx, "declared", None) or DEFAULT_SHAPE
    return int(declared["n"]), int(declared["k"])


_N, _K = DEFAULT_SHAPE["n"], DEFAULT_SHAPE["k"]

ModuleT = TypeVar("ModuleT", bound=nn.Module)


def seeded(module: ModuleT, ctx: Any) -> ModuleT:
    """Re-draw every ``nn.Linear`` of ``module`` from PyTorch's default distribution with a generator seeded by
    ``ctx.seed``, then move it to the run's device and dtype, so a model does not depend on the global RNG state.

    PyTorch's default is ``U(−1/√fan_in, 1/√fan_in)`` for weights and biases (``kaiming_uniform_`` with
    ``a = √5``).
    """
    gen = torch.Generator()
    gen.manual_seed(int(getattr(ctx, "seed", 0)) % (2**63))
    with torch.no_grad():
        for layer in module.modules():
            if not isinstance(layer, nn.Linear):
                continue
            bound = 1 / layer.in_features**0.5
            for param in (layer.weight, layer.bias):
                if param is not None:
                    param.copy_((2 * torch.rand(param.shape, generator=gen, dtype=torch.float64) - 1) * bound)
    device = getattr(ctx, "device", "cpu")
    dtype = getattr(torch, getattr(ctx, "dtype", "float64"))
    return module.to(device=device, dtype=dtype)


def linear_autoencoder(n: int, k: int, *, bias: bool = False) -> nn.Sequential:
    """``x ↦ x C D`` with ``C = W₁ᵀ`` (n×k) and ``D = W₂ᵀ`` (k×n): the post's three-layer linear autoencoder."""
    return nn.Sequential(nn.Linear(n, k, bias=bias), nn.Linear(k, n, bias=bias))


def biased_autoencoder(n: int, k: int) -> nn.Sequential:
    """The same autoencoder with bias terms: ``x ↦ (x C + b₁) D + b₂``, an affine map of rank ≤ k."""
    return linear_autoencoder(n, k, bias=True)


class TiedAutoencoder(nn.Module):
    """A linear autoencoder with tied weights, ``x ↦ x C Cᵀ``; its optimum is also ``C Cᵀ = V_k V_kᵀ``."""

    def __init__(self, n: int, k: int) -> None:
        super().__init__()
        self.encoder = nn.Linear(n, k, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x) @ self.encoder.weight


def linear(ctx: Any) -> nn.Module:
    """Built-in: ``nn.Sequential(Linear(n, k, bias=False), Linear(k, n, bias=False))``."""
    return seeded(linear_autoencoder(_N, _K), ctx)


def tied(ctx: Any) -> nn.Module:
    """Built-in: the tied-weight autoencoder ``x ↦ x C Cᵀ``."""
    return seeded(TiedAutoencoder(_N, _K), ctx)


def deep_linear_autoencoder(n: int, k: int) -> nn.Sequential:
    """A deep linear autoencoder ``n → 2k → k → 2k → n`` without biases or activations (rank ≤ k)."""
    return nn.Sequential(nn.Linear(n, 2 * k, bias=False), nn.Linear(2 * k, k, bias=False),
                         nn.Linear(k, 2 * k, bias=False), nn.Linear(2 * k, n, bias=False))


def deep_linear(ctx: Any) -> nn.Module:
    """The deep linear autoencoder at the default shape (not registered; an example of a user model)."""
    return seeded(deep_linear_autoencoder(_N, _K), ctx)


def biased(ctx: Any) -> nn.Module:
    """Buggy: biases in both layers (an affine autoencoder, i.e. PCA of centred data)."""
    return seeded(biased_autoencoder(_N, _K), ctx)


def relu_bottleneck(ctx: Any) -> nn.Module:
    """Buggy: a ReLU on the bottleneck, ``x ↦ relu(x C) D``."""
    return seeded(nn.Sequential(nn.Linear(_N, _K, bias=False), nn.ReLU(), nn.Linear(_K, _N, bias=False)), ctx)


def too_narrow(ctx: Any) -> nn.Module:
    """Buggy: a bottleneck of width ``k − 1`` where the claim is about rank ``k``."""
    return seeded(linear_autoencoder(_N, _K - 1), ctx)
