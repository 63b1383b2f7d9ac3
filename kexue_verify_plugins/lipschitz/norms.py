"""Operator norms of the layers of a network: matrices, power iteration, and 2-D convolutions.

* :func:`spectral_norm` — ``‖W‖₂ = σ_max(W)``, the smallest ``C`` with ``‖Wx‖ ≤ C‖x‖``.
* :func:`power_iteration` — the post's iteration (13)–(15) with an explicit start vector::

      v ← Wᵀu/‖Wᵀu‖,   u ← Wv/‖Wv‖,   σ̂ = uᵀWv = ‖Wv‖

  It converges to ``σ_max`` when the start has a component along the top left singular
  vector (``c₁ ≠ 0``); the angle to it shrinks by ``(σ₂/σ₁)²`` per step.
* :func:`conv_singular_values` — the exact singular values of a 2-D convolution with
  *circular* padding on an ``H×W`` input: the union over the ``H·W`` frequencies of the
  singular values of the ``c_out×c_in`` matrices of the 2-D DFT of the kernel zero-padded to
  ``H×W`` (Sedghi, Gupta & Long, *The Singular Values of Convolutional Layers*, ICLR 2019,
  Theorem 6).
* :func:`conv_operator_norm` — the exact norm (circular padding, output as large as the input)
  or a certified upper bound (zero padding, strides, smaller circular padding).  The argument
  for zero padding: pad the input by ``p`` with zeros onto an ``(H+2p)×(W+2p)`` grid; every
  output of the zero-padded correlation reads only inside that grid, so the layer is
  ``R ∘ C ∘ E`` with ``E`` the zero embedding (an isometry), ``C`` the circular correlation on the
  larger torus and ``R`` a selection of outputs (norm ≤ 1).  Hence ``‖T‖₂ ≤ ‖C‖₂``, which the
  FFT gives exactly.  A stride or a partial circular padding is likewise a selection of the
  outputs of the full circular correlation.
* :func:`reshaped_kernel_norm` — ``σ_max`` of the kernel reshaped to ``c_out × (c_in k_h k_w)``,
  what spectral normalisation of a conv layer divides by.  For ``H ≥ k_h``, ``W ≥ k_w``:
  ``‖R‖₂ ≤ ‖T_circ‖₂ ≤ √(k_h k_w)·‖R‖₂`` (the left: the adjoint applied to one output pixel
  returns one patch; the right: ``K̂(ω) = Σ_a K_a e^{-iω·a} = [K_1 … K_{k²}](z ⊗ I)`` with
  ``‖z ⊗ I‖ = √(k_h k_w)``).
* :func:`keras_spectral_norm` — a line-by-line port of the post's Keras ``spectral_norm``.

>>> import torch
>>> w = torch.full((1, 1, 3, 3), 1 / 3, dtype=torch.float64)
>>> round(float(reshaped_kernel_norm(w)), 12), round(float(conv_operator_norm(w, (8, 8), padding=1,
...                                                                     padding_mode="circular").value), 12)
(1.0, 3.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name

__all__ = [
    "ConvNorm",
    "PowerIteration",
    "circular_conv",
    "conv_explicit_matrix",
    "conv_operator_norm",
    "conv_singular_values",
    "dilate_kernel",
    "keras_spectral_norm",
    "operator_power_iteration",
    "power_iteration",
    "reshaped_kernel_norm",
    "spectral_norm",
]


def spectral_norm(w: torch.Tensor) -> torch.Tensor:
    """``‖W‖₂ = σ_max(W)`` of a matrix (or of a batch of matrices), by ``torch.linalg.svdvals``."""
    return torch.linalg.svdvals(w)[..., 0]


@dataclass(frozen=True)
class PowerIteration:
    """The trace of power iteration: the estimate ``uᵀWv`` after each step, and the last ``u``, ``v``."""

    estimates: torch.Tensor
    u: torch.Tensor
    v: torch.Tensor

    @property
    def value(self) -> torch.Tensor:
        return self.estimates[-1]


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / torch.linalg.vector_norm(x)


def power_iteration(w: torch.Tensor, steps: int, start: torch.Tensor | None = None) -> PowerIteration:
    """The post's power iteration (13)–(15) on an ``m×n`` matrix ``W`` from the start ``u₀ ∈ ℝᵐ``.

    Each step is ``v ← Wᵀu/‖Wᵀu‖``, ``u ← Wv/‖Wv‖``, and the estimate is ``uᵀWv = ‖Wv‖ ≥ 0``.
    The default start is the all-ones vector the post's code uses (``K.ones((1, in_dim))``).
    No normalisation ``eps`` is added: a start with ``Wᵀu₀ = 0`` gives NaN, which the checks
    report as an error rather than hide.
    """
    u = _unit(torch.ones(w.shape[0], dtype=w.dtype, device=w.device) if start is None else start.to(w))
    estimates = []
    v = torch.zeros(w.shape[1], dtype=w.dtype, device=w.device)
    for _ in range(steps):
        v = _unit(w.T @ u)
        u = _unit(w @ v)
        estimates.append(u @ w @ v)
    return PowerIteration(torch.stack(estimates), u, v)


def operator_power_iteration(apply: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor,
                             steps: int) -> PowerIteration:
    """Power iteration on ``AᵀA`` for a linear map ``A`` given as a function; ``Aᵀw`` by reverse mode, the gradient
    of ``⟨A z, w⟩`` at ``z = 0`` (``torch.autograd.grad`` on one recorded graph: ``torch.func.vjp`` would compute the
    same, and import ``torch._dynamo`` on its first call, 1.1 s).

    Returns estimates ``‖A v_r‖`` (a lower bound of ``‖A‖₂`` at every step, up to rounding).
    """
    with torch.enable_grad():
        z = torch.zeros_like(x0).requires_grad_(True)
        image = apply(z)

    def adjoint(w: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return torch.autograd.grad(image, z, w, retain_graph=True)

    v = _unit(x0)
    estimates = []
    u = apply(v)
    for _ in range(steps):
        u = apply(v)
        estimates.append(torch.linalg.vector_norm(u))
        (back,) = adjoint(u)
        v = _unit(back)
    return PowerIteration(torch.stack(estimates), _unit(u), v)


def reshaped_kernel_norm(weight: torch.Tensor) -> torch.Tensor:
    """``σ_max`` of a conv kernel ``(c_out, c_in, k_h, k_w)`` reshaped to ``c_out × (c_in·k_h·k_w)``.

    This is the matrix that ``torch.nn.utils.parametrizations.spectral_norm`` (and the post's Keras
    code, up to a transpose and a column order, which leave singular values unchanged) normalises.
    """
    return spectral_norm(weight.reshape(weight.shape[0], -1))


def dilate_kernel(weight: torch.Tensor, dilation: tuple[int, int]) -> torch.Tensor:
    """The kernel with ``dilation − 1`` zeros inserted between taps, so that a dilated conv is an ordinary one."""
    dh, dw = dilation
    if (dh, dw) == (1, 1):
        return weight
    c_out, c_in, kh, kw = weight.shape
    out = weight.new_zeros(c_out, c_in, dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    out[:, :, ::dh, ::dw] = weight
    return out


def conv_singular_values(weight: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """All singular values of the circular 2-D correlation with ``weight`` on an ``H×W`` torus.

    Sedghi, Gupta & Long (2019), Theorem 6: with ``K̂[:, :, p, q] = Σ_{a,b} K[:, :, a, b]
    e^{-2πi(pa/H + qb/W)}`` (the 2-D DFT of the kernel zero-padded to ``H×W``), the singular values
    of the layer are those of the ``H·W`` matrices ``K̂[:, :, p, q]`` of size ``c_out×c_in``.
    A correlation (what ``conv2d`` computes) has the conjugate transfer matrices, with the same
    singular values.  Requires ``H ≥ k_h`` and ``W ≥ k_w``.  Returns shape ``(H, W, min(c_out, c_in))``.
    """
    h, w = size
    if weight.shape[-2] > h or weight.shape[-1] > w:
        raise ValueError(f"kernel {tuple(weight.shape[-2:])} is larger than the {h}×{w} grid")
    transfer = torch.fft.fft2(weight, s=(h, w))          # (c_out, c_in, H, W), complex
    return torch.linalg.svdvals(transfer.permute(2, 3, 0, 1))


@dataclass(frozen=True)
class ConvNorm:
    """The operator norm of a conv layer: ``value``, whether it is ``exact`` or an upper bound, and how."""

    value: torch.Tensor
    exact: bool
    method: str


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else (int(value[0]), int(value[1]))


def conv_operator_norm(weight: torch.Tensor, size: tuple[int, int], *, padding: int | Sequence[int] = 0,
                       padding_mode: str = "zeros", stride: int | Sequence[int] = 1,
                       dilation: int | Sequence[int] = 1, groups: int = 1) -> ConvNorm:
    """The norm of a ``conv2d`` layer on ``H×W`` inputs: exact for a full circular layer, else a certified bound.

    ``padding_mode="circular"`` with ``2p = k_eff − 1`` and stride 1: exact (:func:`conv_singular_values`).
    Circular with ``2p < k_eff − 1`` or stride > 1 (outputs at distinct torus positions): bounded by the
    full circular layer on ``H×W``.  ``"zeros"``: bounded by the circular layer on ``(H+2p_h)×(W+2p_w)``
    (see the module docstring).  Groups split into independent blocks: the norm is the largest block's.
    Other padding modes (reflect, replicate) raise ``ValueError``: no certificate is given for them.
    """
    (ph, pw), (sh, sw), dil = _pair(padding), _pair(stride), _pair(dilation)
    kernel = dilate_kernel(weight, dil)
    kh, kw = kernel.shape[-2:]
    h, w = size
    if padding_mode == "circular":
        out_h, out_w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
        if (out_h - 1) * sh >= h or (out_w - 1) * sw >= w:
            raise ValueError("circular padding wider than (k−1)/2 repeats outputs; no certificate")
        grid, exact = (h, w), (sh, sw) == (1, 1) and (out_h, out_w) == (h, w)
        method = f"FFT, circular {h}×{w} (Sedghi et al. 2019)"
    elif padding_mode == "zeros":
        grid, exact = (h + 2 * ph, w + 2 * pw), False
        method = f"FFT bound: circular embedding on {grid[0]}×{grid[1]} ≥ zero-padded {h}×{w}"
    else:
        raise ValueError(f"padding_mode {padding_mode!r}: no certified bound implemented")
    if grid[0] < kh or grid[1] < kw:
        raise ValueError(f"kernel {kh}×{kw} does not fit the {grid[0]}×{grid[1]} grid")
    if not exact and (sh, sw) != (1, 1):
        method += f", stride {sh}×{sw} (a selection of outputs)"
    blocks = kernel.reshape(groups, kernel.shape[0] // groups, *kernel.shape[1:])
    value = torch.stack([_largest_singular_value(b, grid) for b in blocks]).max()
    return ConvNorm(value, exact, method)


def _largest_singular_value(weight: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``max_ω σ_max(K̂(ω))`` over half the frequencies: for a real kernel ``K̂(−ω)`` is the conjugate of
    ``K̂(ω)``, with the same singular values, so ``rfft2`` (frequencies ``q ≤ W/2``) suffices."""
    if weight.shape[-2] > size[0] or weight.shape[-1] > size[1]:
        raise ValueError(f"kernel {tuple(weight.shape[-2:])} is larger than the {size[0]}×{size[1]} grid")
    transfer = torch.fft.rfft2(weight, s=size)
    return torch.linalg.svdvals(transfer.permute(2, 3, 0, 1))[..., 0].max()


def conv_explicit_matrix(layer: Callable[[torch.Tensor], torch.Tensor], input_shape: tuple[int, ...],
                         *, dtype: torch.dtype = torch.float64,
                         device: str | torch.device = "cpu") -> torch.Tensor:
    """The matrix of a linear layer, column by column: ``layer`` applied to each basis vector of the input.

    Only for small inputs: the matrix has ``prod(input_shape)`` columns.
    """
    n = 1
    for dim in input_shape:
        n *= dim
    basis = torch.eye(n, dtype=dtype, device=device).reshape(n, *input_shape)
    return layer(basis).reshape(n, -1).T


def keras_spectral_norm(kernel: torch.Tensor, r: int = 5) -> torch.Tensor:
    """The post's Keras ``spectral_norm(w, r=5)``, line by line, for a kernel in Keras layout ``(…, out)``.

    ``w`` is reshaped to ``(prod(shape[:-1]), out)``; ``u = ones((1, in_dim))``; ``r`` times
    ``v = l2_normalize(u·w)``, ``u = l2_normalize(v·wᵀ)``; the result is ``sum((u·w)·vᵀ)``.
    Keras' ``l2_normalize`` divides by ``sqrt(max(Σx², 1e-12))``.
    """
    in_dim = 1
    for dim in kernel.shape[:-1]:
        in_dim *= dim
    w = kernel.reshape(in_dim, kernel.shape[-1])
    u = torch.ones(1, in_dim, dtype=w.dtype, device=w.device)

    def l2_normalize(x: torch.Tensor) -> torch.Tensor:
        return x / torch.sqrt(torch.clamp((x * x).sum(dim=-1, keepdim=True), min=1e-12))

    v = u @ w
    for _ in range(r):
        v = l2_normalize(u @ w)
        u = l2_normalize(v @ w.T)
    return ((u @ w) @ v.T).sum()


def circular_conv(weight: torch.Tensor, padding: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """``x ↦ conv2d(pad_circular(x, p), weight)``: a circular correlation, as ``padding_mode='circular'`` does."""

    def apply(x: torch.Tensor) -> torch.Tensor:
        squeeze = x.dim() == 3
        x = x.unsqueeze(0) if squeeze else x
        y = F.conv2d(F.pad(x, (padding,) * 4, mode="circular"), weight)
        return y.squeeze(0) if squeeze else y

    return apply
