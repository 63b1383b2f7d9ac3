"""Built-in models of kind ``lipschitz-net``: spectrally normalised networks and the post's recipes.

Each factory takes the check context and returns a module on ``ctx.device`` in ``ctx.dtype``,
built from ``ctx.seed`` (so a case is reproducible whatever ran before it in the worker).
A factory also attaches its promise as ``module.kexue_declared`` — ``{"lipschitz_bound": L,
"input_shape": (...)}`` — so that a model used as a false variant (which carries no
:class:`~kexue_verify.ModelSpec`) still says what it claims; a registered spec's ``declared``
takes precedence.

True promises (registered):

* :func:`make_sn_mlp` — ``torch.nn.utils.parametrizations.spectral_norm`` on every ``Linear``,
  its power iteration run to convergence; declared 1.
* :func:`make_sn_residual_block` — ``x + relu(Wx + b)`` with ``‖W‖₂ = ½``; declared ``1 + ‖W‖₂``.
* :func:`make_fft_normalized_convnet` — conv layers divided by their exact (circular) or certified
  (zero padding) operator norms from the FFT; declared 1.

False promises (the false variants of ``lipschitz.declared-bound``):

* :func:`make_reshaped_sn_convnet` — the post's recipe: conv kernels divided by the norm of the
  reshaped kernel; declared 1.
* :func:`make_torch_sn_conv` — torch's ``spectral_norm`` on a ``Conv2d``, converged; declared 1.
* :func:`make_bn_gamma_normalized` — a BatchNorm whose γ is divided by ``‖γ‖₂`` as the post's
  ``gamma_constraint`` does, with a small running variance; declared 1.
* :func:`make_residual_declared_one` — a spectrally normalised residual block declared 1-Lipschitz.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from kexue_verify import CheckContext
from kexue_verify.helpers import seed_torch, tolerance

from .bounds import Residual
from .norms import conv_operator_norm, reshaped_kernel_norm, spectral_norm
from .precision import check_settings

__all__ = [
    "converge_spectral_norm",
    "make_bn_gamma_normalized",
    "make_fft_normalized_convnet",
    "make_reshaped_sn_convnet",
    "make_residual_declared_one",
    "make_sn_mlp",
    "make_sn_residual_block",
    "make_swish_mlp",
    "make_torch_sn_conv",
]


@contextmanager
def _seeded(ctx: CheckContext) -> Iterator[None]:
    """Initialise layers from the case's seed without disturbing the global generator."""
    with torch.random.fork_rng(devices=[]):
        seed_torch(ctx.seed)
        yield


def _finish(model: nn.Module, ctx: CheckContext, bound: float, input_shape: tuple[int, ...]) -> nn.Module:
    # a plain attribute: nn.Module.__setattr__ is typed for tensors and modules only
    model.kexue_declared = {"lipschitz_bound": bound, "input_shape": input_shape}  # type: ignore[assignment]
    return model.to(device=ctx.device, dtype=ctx.torch_dtype).eval()


def converge_spectral_norm(model: nn.Module, example: torch.Tensor, iterations: int = 2000,
                           chunk: int = 50) -> nn.Module:
    """Run the power iteration of every ``spectral_norm`` parametrization until it has converged, then eval mode.

    torch's estimate ``σ̂ = uᵀWv`` never exceeds ``σ_max``, so ``W/σ̂`` has norm ``≥ 1`` until the
    iteration has converged.  Training-mode forwards of ``chunk`` iterations each are run until the
    exact norms of the normalised weights change by at most ``8·γ_n`` (relative) between chunks, or
    ``iterations`` have been spent.
    """
    # parametrized modules: torch types their attributes (``parametrizations``, the parametrized ``weight``) only
    # through ``nn.Module.__getattr__`` as ``Tensor | Module``
    layers: list[Any] = [m for m in model.modules()
                         if hasattr(m, "parametrizations") and hasattr(m.parametrizations, "weight")]
    params = [m.parametrizations.weight[0] for m in layers]
    saved = [p.n_power_iterations for p in params]
    for p in params:
        p.n_power_iterations = chunk

    def norms() -> torch.Tensor:
        return torch.stack([spectral_norm(m.weight.detach().reshape(m.weight.shape[0], -1)) for m in layers])

    model.train()
    with torch.no_grad():
        before = norms()
        for _ in range(max(1, iterations // chunk)):
            model(example)
            after = norms()
            n = max(m.weight.numel() for m in layers)
            if bool(((after - before).abs() <= tolerance(after.dtype, n=n) * after).all()):
                break
            before = after
    for p, n in zip(params, saved, strict=True):
        p.n_power_iterations = n
    return model.eval()


@check_settings
def make_sn_mlp(ctx: CheckContext) -> nn.Module:
    """``16 → 32 → 32 → 4`` with tanh and relu, every Linear under torch's ``spectral_norm`` (converged)."""
    with _seeded(ctx):
        model = nn.Sequential(torch_spectral_norm(nn.Linear(16, 32)), nn.Tanh(),
                              torch_spectral_norm(nn.Linear(32, 32)), nn.ReLU(),
                              torch_spectral_norm(nn.Linear(32, 4))).double()
        converge_spectral_norm(model, torch.zeros(1, 16, dtype=torch.float64))
    return _finish(model, ctx, 1.0, (16,))


def _scaled_linear(n_in: int, n_out: int, norm: float) -> nn.Linear:
    layer = nn.Linear(n_in, n_out).double()
    with torch.no_grad():
        layer.weight.mul_(norm / spectral_norm(layer.weight))
    return layer


@check_settings
def make_sn_residual_block(ctx: CheckContext) -> nn.Module:
    """``x + relu(Wx + b)`` on ℝ¹⁶ with ``W`` scaled to ``‖W‖₂ = ½`` exactly; declared ``1 + ½``."""
    with _seeded(ctx):
        model = nn.Sequential(Residual(nn.Sequential(_scaled_linear(16, 16, 0.5), nn.ReLU())))
    return _finish(model, ctx, 1.5, (16,))


@check_settings
def make_residual_declared_one(ctx: CheckContext) -> nn.Module:
    """``x + relu(Wx + b)`` with ``‖W‖₂ = 1`` and ``b`` = 1, declared 1-Lipschitz (LIP-14: it is not)."""
    with _seeded(ctx):
        inner = _scaled_linear(16, 16, 1.0)
        with torch.no_grad():
            inner.bias.fill_(1.0)
        model = nn.Sequential(Residual(nn.Sequential(inner, nn.ReLU())))
    return _finish(model, ctx, 1.0, (16,))


def _divide_conv(conv: nn.Conv2d, by: Callable[[nn.Conv2d], torch.Tensor]) -> nn.Conv2d:
    with torch.no_grad():
        conv.weight.div_(by(conv))
    return conv


@check_settings
def make_fft_normalized_convnet(ctx: CheckContext) -> nn.Module:
    """Two 3×3 convs on 2×8×8 inputs, each divided by its FFT operator norm (bound), then a normalised Linear."""
    size = (8, 8)
    with _seeded(ctx):
        zero = nn.Conv2d(2, 8, 3, padding=1).double()
        circ = nn.Conv2d(8, 4, 3, padding=1, padding_mode="circular").double()
        _divide_conv(zero, lambda c: conv_operator_norm(c.weight, size, padding=1).value)
        _divide_conv(circ, lambda c: conv_operator_norm(c.weight, size, padding=1, padding_mode="circular").value)
        model = nn.Sequential(zero, nn.ReLU(), circ, nn.LeakyReLU(0.1), nn.Flatten(), _scaled_linear(256, 10, 1.0))
    return _finish(model, ctx, 1.0, (2, *size))


@check_settings
def make_reshaped_sn_convnet(ctx: CheckContext) -> nn.Module:
    """The post's recipe on a conv net: each kernel divided by the σ_max of the reshaped kernel; declared 1.

    Circular 3×3 convs ``1 → 4 → 4`` on 8×8 inputs with ReLU.  Kernels are drawn positive (|N(0,1)|),
    as smoothing filters are, which is where the reshaped norm is furthest below the operator norm.
    """
    with _seeded(ctx):
        convs = [nn.Conv2d(1, 4, 3, padding=1, padding_mode="circular").double(),
                 nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular").double()]
        for conv in convs:
            with torch.no_grad():
                conv.weight.abs_()
            _divide_conv(conv, lambda c: reshaped_kernel_norm(c.weight))
        model = nn.Sequential(convs[0], nn.ReLU(), convs[1], nn.ReLU())
    return _finish(model, ctx, 1.0, (1, 8, 8))


@check_settings
def make_torch_sn_conv(ctx: CheckContext) -> nn.Module:
    """``torch.nn.utils.parametrizations.spectral_norm`` on a circular ``Conv2d(4, 4, 3)``, converged; declared 1."""
    with _seeded(ctx):
        model = nn.Sequential(torch_spectral_norm(nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular"))).double()
        converge_spectral_norm(model, torch.zeros(1, 4, 8, 8, dtype=torch.float64))
    return _finish(model, ctx, 1.0, (4, 8, 8))


@check_settings
def make_bn_gamma_normalized(ctx: CheckContext) -> nn.Module:
    """BatchNorm1d(3) in eval mode, ``γ = (0.5, 2, −1)/‖γ‖₂`` (the post's ``gamma_constraint``),
    running variance (1, 0.01, 1)."""
    bn = nn.BatchNorm1d(3).double()
    gamma = torch.tensor([0.5, 2.0, -1.0], dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(gamma / torch.linalg.vector_norm(gamma))
        bn.running_var.copy_(torch.tensor([1.0, 0.01, 1.0], dtype=torch.float64))  # type: ignore[union-attr]  # a buffer
    return _finish(nn.Sequential(bn), ctx, 1.0, (3,))


class Swish(nn.Module):
    """``x·sigmoid(x)`` as a hand-written module (the certificate does not know it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


@check_settings
def make_swish_mlp(ctx: CheckContext) -> nn.Module:
    """``8 → 8`` exactly normalised Linear, then a hand-written Swish; declared 1.2 (true ≈ 1.0998)."""
    with _seeded(ctx):
        model = nn.Sequential(_scaled_linear(8, 8, 1.0), Swish())
    return _finish(model, ctx, 1.2, (8,))


def factory_names() -> dict[str, Any]:
    """The factories by name (for tests and the benchmark)."""
    return {name: globals()[name] for name in __all__ if name.startswith("make_")}
