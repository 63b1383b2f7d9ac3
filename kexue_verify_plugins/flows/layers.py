r"""Built-in flow layers, written as the posts and papers describe them, and how a layer is built for a check.

Every layer follows the flow-layer protocol of :mod:`kexue_verify_plugins.flows.protocol`:

* ``forward(x) -> (y, log_abs_det)`` with ``log_abs_det`` of shape ``(N,)``: :math:`\log|\det\partial y/\partial x|`
  for each sample;
* ``inverse(y) -> (x, log_abs_det_inverse)``, the inverse map and :math:`\log|\det\partial x/\partial y|`.

Layers act on images ``(N, C, H, W)`` (split and permute along channels, as Glow does) or vectors ``(N, D)``
(along features).  References: NICE (arXiv 1410.8516), RealNVP (arXiv 1605.08803), Glow (arXiv 1807.03039) and its
code ``openai/glow`` (``model.py``, ``tfops.py``); Su Jianlin, https://kexue.fm/archives/5807 and /5776.

The couplings, permutations, squeeze, actnorm and 1×1 convolutions are here; the multi-scale split and the
compositions (a sequence of layers, the Glow step, the multi-scale Glow) are in :mod:`.multiscale`.  :func:`seeded`,
:func:`finish_layer` and :func:`perturb_` build a layer deterministically and move every parameter away from its
identity initialisation (zero-initialised last layers make a coupling the identity, an orthogonal 1×1 convolution has
log-det 0: both hide a wrong log-det formula); the factories that register them are in :mod:`.models`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import Tensor, nn

from kexue_verify.helpers import seed_torch

__all__ = [
    "ActNorm",
    "AdditiveCoupling",
    "AffineCoupling",
    "ChannelPermutation",
    "InvConv1x1",
    "InvConv1x1LU",
    "Squeeze",
    "conditioner",
    "finish_layer",
    "perturb_",
    "seeded",
]


# --------------------------------------------------------------------------------------------- helpers


def per_sample(t: Tensor) -> Tensor:
    """Sum every dimension but the batch one: one number per sample, shape ``(N,)``."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def spatial_size(x: Tensor) -> int:
    """``h·w`` for an image batch ``(N, C, H, W)``; 1 for a vector batch ``(N, D)``."""
    return math.prod(x.shape[2:])


def split_halves(x: Tensor) -> tuple[Tensor, Tensor]:
    """Split along dimension 1 (channels or features) into ``ceil(c/2)`` and ``floor(c/2)``."""
    c1 = (x.shape[1] + 1) // 2
    return x[:, :c1], x[:, c1:]


def _channel_shape(x: Tensor) -> tuple[int, ...]:
    """Shape that broadcasts a per-channel vector against ``x``: ``(1, C, 1, 1)`` or ``(1, D)``."""
    return (1, x.shape[1]) + (1,) * (x.dim() - 2)


class Conditioner(nn.Module):
    """The network inside a coupling: an MLP (vectors) or Glow's ``f`` (images).

    Glow's ``f`` (``openai/glow`` ``model.py``): conv3×3 → ReLU → conv1×1 → ReLU → conv3×3 with a zero-initialised
    last layer; actnorm inside ``f`` and the edge-padding channel are left out here.  The MLP uses ``tanh`` so that
    2-D flows are smooth enough for Gauss–Legendre quadrature.
    """

    def __init__(self, c_in: int, c_out: int, hidden: int, *, image: bool) -> None:
        super().__init__()
        if image:
            self.net = nn.Sequential(
                nn.Conv2d(c_in, hidden, 3, padding=1), nn.ReLU(),
                nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                nn.Conv2d(hidden, c_out, 3, padding=1),
            )
        else:
            self.net = nn.Sequential(
                nn.Linear(c_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, c_out),
            )
        last = self.net[-1]
        # a Linear or Conv2d built with a bias: both are tensors (Module.__getattr__ is typed Tensor | Module)
        nn.init.zeros_(cast(Tensor, last.weight))
        nn.init.zeros_(cast(Tensor, last.bias))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def conditioner(c_in: int, c_out: int, hidden: int, *, image: bool) -> Conditioner:
    """A zero-initialised conditioner (the coupling is the identity until trained or perturbed)."""
    return Conditioner(c_in, c_out, hidden, image=image)


class FlowModule(nn.Module):
    """Base of the built-in layers: ``event_shape`` and the structural invariants the log-det relies on."""

    #: Names of the structural invariants this layer promises (see :mod:`.checks.structure`).
    invariants: tuple[str, ...] = ()

    def __init__(self, event_shape: Sequence[int]) -> None:
        super().__init__()
        self.event_shape = tuple(int(s) for s in event_shape)

    @property
    def flow_declared(self) -> dict[str, Any]:
        return {"event_shape": self.event_shape, "invariants": self.invariants}

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:  # pragma: no cover - every layer overrides it
        raise NotImplementedError


# --------------------------------------------------------------------------------------------- couplings


class AdditiveCoupling(FlowModule):
    r"""NICE's additive coupling: :math:`y_1=x_1,\ y_2=x_2+m(x_1)`; volume preserving, :math:`\log|\det J|=0`.

    The Jacobian is block lower-triangular with identity diagonal blocks (NICE §3.2; kexue.fm/archives/5776).
    """

    invariants = ("triangular", "volume-preserving")

    def __init__(self, event_shape: Sequence[int], hidden: int = 16) -> None:
        super().__init__(event_shape)
        c = self.event_shape[0]
        c1 = (c + 1) // 2
        self.m = conditioner(c1, c - c1, hidden, image=len(self.event_shape) == 3)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x1, x2 = split_halves(x)
        y = torch.cat([x1, x2 + self.m(x1)], dim=1)
        return y, x.new_zeros(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y1, y2 = split_halves(y)
        return torch.cat([y1, y2 - self.m(y1)], dim=1), y.new_zeros(y.shape[0])


class AffineCoupling(FlowModule):
    r"""The affine coupling, in RealNVP's exp form or Glow's sigmoid form.

    * ``scale="exp"`` (RealNVP, kexue.fm/archives/5807 eq. (1)): :math:`y_2=s(x_1)\otimes x_2+t(x_1)`,
      :math:`s=\exp(h_s)`;
    * ``scale="sigmoid"`` (``openai/glow`` ``revnet2d_step``): :math:`y_2=(x_2+t(x_1))\otimes s`,
      :math:`s=\sigma(h_s+2)`.

    Either way :math:`\log|\det J|=\sum_i\log s_i` (RealNVP eq. (6)), summed over the transformed half.
    """

    invariants = ("triangular", "positive-scales")

    def __init__(self, event_shape: Sequence[int], hidden: int = 16, scale: str = "exp") -> None:
        super().__init__(event_shape)
        if scale not in ("exp", "sigmoid"):
            raise ValueError(f"scale must be 'exp' or 'sigmoid', got {scale!r}")
        self.scale = scale
        c = self.event_shape[0]
        c1 = (c + 1) // 2
        self.net = conditioner(c1, 2 * (c - c1), hidden, image=len(self.event_shape) == 3)

    def log_scale_and_shift(self, x1: Tensor) -> tuple[Tensor, Tensor]:
        """``(log s, t)`` computed from the untouched half."""
        h_s, t = self.net(x1).chunk(2, dim=1)
        log_s = h_s if self.scale == "exp" else F.logsigmoid(h_s + 2.0)
        return log_s, t

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x1, x2 = split_halves(x)
        log_s, t = self.log_scale_and_shift(x1)
        y2 = x2 * log_s.exp() + t if self.scale == "exp" else (x2 + t) * log_s.exp()
        return torch.cat([x1, y2], dim=1), per_sample(log_s)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y1, y2 = split_halves(y)
        log_s, t = self.log_scale_and_shift(y1)
        x2 = (y2 - t) * (-log_s).exp() if self.scale == "exp" else y2 * (-log_s).exp() - t
        return torch.cat([y1, x2], dim=1), -per_sample(log_s)


# --------------------------------------------------------------------------------------------- permutations


class ChannelPermutation(FlowModule):
    r"""A fixed permutation of the channels (images) or features (vectors): :math:`y=x_{[\pi]}`, :math:`\log|\det|=0`.

    Reversal is RealNVP's alternation; a random shuffle is Glow's ``shuffle_features``.  Applied at every pixel,
    a channel permutation is a 1×1 convolution whose weight is a permutation matrix (kexue.fm/archives/5807).
    """

    invariants = ("permutation",)
    perm: Tensor
    inv_perm: Tensor

    def __init__(self, event_shape: Sequence[int], perm: Sequence[int]) -> None:
        super().__init__(event_shape)
        perm_t = torch.as_tensor(list(perm), dtype=torch.long)
        if sorted(perm_t.tolist()) != list(range(self.event_shape[0])):
            raise ValueError(f"not a permutation of range({self.event_shape[0]}): {list(perm)}")
        self.register_buffer("perm", perm_t)
        self.register_buffer("inv_perm", torch.argsort(perm_t))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return x[:, self.perm], x.new_zeros(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        return y[:, self.inv_perm], y.new_zeros(y.shape[0])


def reverse_permutation(event_shape: Sequence[int]) -> ChannelPermutation:
    return ChannelPermutation(event_shape, list(range(event_shape[0]))[::-1])


def random_permutation(event_shape: Sequence[int], generator: torch.Generator) -> ChannelPermutation:
    return ChannelPermutation(event_shape, torch.randperm(event_shape[0], generator=generator).tolist())


class Squeeze(FlowModule):
    r"""Glow's ``squeeze2d``: :math:`h\times w\times c\to\frac h2\times\frac w2\times4c` by moving each 2×2 block
    into channels.  It only permutes entries, so :math:`\log|\det|=0`; ``h`` and ``w`` must be even.

    In NCHW the channel of the output is ``4·c_in + 2·i + j`` for the block offset ``(i, j)``, as in
    ``openai/glow`` ``tfops.squeeze2d`` (``F.pixel_unshuffle`` orders them ``c_in + C·(2i+j)``: also a permutation).
    """

    invariants = ("permutation",)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        n, c, h, w = x.shape
        if h % 2 or w % 2:
            raise ValueError(f"squeeze needs even height and width, got {h}×{w}")
        y = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)
        return y, x.new_zeros(n)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        n, c4, h, w = y.shape
        x = y.reshape(n, c4 // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c4 // 4, 2 * h, 2 * w)
        return x, y.new_zeros(n)


def squeezed_shape(shape: Sequence[int]) -> tuple[int, int, int]:
    c, h, w = shape
    return 4 * c, h // 2, w // 2


# --------------------------------------------------------------------------------------------- actnorm


class ActNorm(FlowModule):
    r"""Glow's actnorm: :math:`y=(x+b)\odot e^{\log s}` per channel, :math:`\log|\det J|=h\,w\sum_c\log s_c`.

    Data-dependent initialisation (Glow §3.1; ``openai/glow`` ``tfops.actnorm_center``/``actnorm_scale``):
    :meth:`initialize` sets :math:`b=-\mathrm{mean}(x)` and :math:`\log s=\log\frac{1}{\mathrm{std}(x)+10^{-6}}` from
    one batch, so that batch leaves the layer with zero mean and unit variance per channel.  (The post's
    :math:`\hat z=(z-\mu)/\sigma` is the same map with :math:`\mu=-b`, :math:`\sigma=e^{-\log s}`.)
    """

    invariants = ("pixelwise", "diagonal", "positive-scales")

    def __init__(self, event_shape: Sequence[int]) -> None:
        super().__init__(event_shape)
        c = self.event_shape[0]
        self.bias = nn.Parameter(torch.zeros(c))
        self.logs = nn.Parameter(torch.zeros(c))
        self.initialized = False

    @torch.no_grad()
    def initialize(self, x: Tensor, eps: float = 1e-6) -> None:
        """Data-dependent initialisation from the batch ``x`` (statistics over every dimension but 1)."""
        dims = [d for d in range(x.dim()) if d != 1]
        mean = x.mean(dim=dims)
        std = (x - mean.reshape(_channel_shape(x))).pow(2).mean(dim=dims).sqrt()
        self.bias.copy_(-mean)
        self.logs.copy_(torch.log(1.0 / (std + eps)))
        self.initialized = True

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if not self.initialized:
            self.initialize(x)
        shape = _channel_shape(x)
        y = (x + self.bias.reshape(shape)) * self.logs.exp().reshape(shape)
        ld = spatial_size(x) * self.logs.sum()
        return y, ld.expand(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        shape = _channel_shape(y)
        x = y * (-self.logs).exp().reshape(shape) - self.bias.reshape(shape)
        return x, (-spatial_size(y) * self.logs.sum()).expand(y.shape[0])


# --------------------------------------------------------------------------------------------- 1×1 convolutions


def mix_channels(x: Tensor, weight: Tensor) -> Tensor:
    """Apply the c×c matrix ``weight`` at every pixel (a 1×1 convolution), or to every feature vector."""
    if x.dim() == 2:
        return x @ weight.T
    return F.conv2d(x, weight.reshape(*weight.shape, 1, 1))


def random_orthogonal(c: int, generator: torch.Generator) -> Tensor:
    """Glow's initialisation of the 1×1 convolution: the Q factor of a Gaussian matrix (``np.linalg.qr``)."""
    q, _ = torch.linalg.qr(torch.randn(c, c, generator=generator, dtype=torch.float64))
    return q


class InvConv1x1(FlowModule):
    r"""Glow's invertible 1×1 convolution: :math:`y_{:,i,j}=W\,x_{:,i,j}`, :math:`\log|\det J|=h\,w\log|\det W|`.

    The Jacobian of the whole map is :math:`I_{hw}\otimes W`, whose determinant is :math:`\det(W)^{hw}`
    (Glow Table 1; ``openai/glow`` ``invertible_1x1_conv``: ``log|det W| * shape[1]*shape[2]``).
    """

    invariants: tuple[str, ...] = ("pixelwise",)

    def __init__(self, event_shape: Sequence[int], generator: torch.Generator) -> None:
        super().__init__(event_shape)
        self.weight = nn.Parameter(random_orthogonal(self.event_shape[0], generator))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        ld = spatial_size(x) * torch.linalg.slogdet(self.weight)[1]
        return mix_channels(x, self.weight), ld.expand(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        ld = spatial_size(y) * torch.linalg.slogdet(self.weight)[1]
        return mix_channels(y, torch.linalg.inv(self.weight)), (-ld).expand(y.shape[0])


class InvConv1x1LU(FlowModule):
    r"""Glow's LU-parametrised 1×1 convolution (post eqs. (8)–(9)).

    .. math::  W=P\,L\,(U+\mathrm{diag}(\mathrm{sign}(s)\,e^{\log|s|})),\qquad \log|\det J|=h\,w\sum_i\log|s_i|,

    with ``P`` (permutation) and ``sign(s)`` fixed, ``L`` unit lower-triangular and ``U`` strictly upper-triangular
    trained.  The initial ``W`` is a random orthogonal matrix factored with partial pivoting (``torch.linalg.lu``,
    like ``scipy.linalg.lu`` in ``openai/glow``).
    """

    invariants = ("pixelwise",)
    p: Tensor
    sign_s: Tensor
    lower_mask: Tensor
    eye: Tensor

    def __init__(self, event_shape: Sequence[int], generator: torch.Generator) -> None:
        super().__init__(event_shape)
        c = self.event_shape[0]
        p, lower, upper = torch.linalg.lu(random_orthogonal(c, generator))
        s = torch.diagonal(upper)
        self.register_buffer("p", p)
        self.register_buffer("sign_s", torch.sign(s))
        self.register_buffer("lower_mask", torch.tril(torch.ones(c, c, dtype=torch.float64), -1))
        self.register_buffer("eye", torch.eye(c, dtype=torch.float64))
        self.lower = nn.Parameter(lower * self.lower_mask)
        self.upper = nn.Parameter(torch.triu(upper, 1))
        self.log_s = nn.Parameter(torch.log(s.abs()))

    def factors(self) -> tuple[Tensor, Tensor, Tensor]:
        """``(P, L, U)`` with ``U``'s diagonal ``sign(s)·exp(log|s|)``."""
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign_s * self.log_s.exp())
        return self.p, lower, upper

    def weight(self) -> Tensor:
        p, lower, upper = self.factors()
        return p @ lower @ upper

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        ld = spatial_size(x) * self.log_s.sum()
        return mix_channels(x, self.weight()), ld.expand(x.shape[0])

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        p, lower, upper = self.factors()
        lower_inv_pt = torch.linalg.solve_triangular(lower, p.T, upper=False, unitriangular=True)
        inv = torch.linalg.solve_triangular(upper, lower_inv_pt, upper=True)  # W⁻¹ = U⁻¹ L⁻¹ Pᵀ
        ld = spatial_size(y) * self.log_s.sum()
        return mix_channels(y, inv), (-ld).expand(y.shape[0])


# --------------------------------------------------------------------------------------------- building


@contextmanager
def seeded(seed: int) -> Iterator[torch.Generator]:
    """Build deterministically: the default initialisers draw from a forked global RNG seeded with ``seed``."""
    with torch.random.fork_rng(devices=[]):
        seed_torch(seed)
        yield torch.Generator().manual_seed(seed % 2**63)


_M = TypeVar("_M", bound=nn.Module)
_F = TypeVar("_F", bound=FlowModule)


@torch.no_grad()
def perturb_(module: _M, generator: torch.Generator, scale: float = 0.1) -> _M:
    r"""Move every floating-point parameter away from its initial value: :math:`p\leftarrow p+(s+s|p|)\,\epsilon`.

    Buffers (permutations, masks, signs) are left alone; they are fixed by construction.
    """
    for p in module.parameters():
        if p.is_floating_point():
            noise = torch.randn(p.shape, generator=generator, dtype=torch.float64).to(p.dtype)
            p.add_(noise * (scale + scale * p.abs()))
    return module


def _ddi(module: nn.Module, x: Tensor) -> None:
    """Run one batch through ``module`` so that every :class:`ActNorm` initialises from data."""
    with torch.no_grad():
        module(x)


def _init_batch(shape: Sequence[int], generator: torch.Generator, n: int = 16) -> Tensor:
    """A batch with non-trivial per-channel means and scales, for data-dependent initialisation."""
    c = shape[0]
    loc = torch.randn(c, generator=generator, dtype=torch.float64)
    scale = torch.rand(c, generator=generator, dtype=torch.float64) + 0.5
    view = (1, c) + (1,) * (len(shape) - 1)
    return loc.reshape(view) + scale.reshape(view) * torch.randn(n, *shape, generator=generator, dtype=torch.float64)


def finish_layer(module: _F, gen: torch.Generator, *, scale: float = 0.1, ddi: bool = True) -> _F:
    """float64, data-dependent initialisation of every actnorm, then :func:`perturb_` away from the initial values."""
    module = module.double()
    if ddi:
        _ddi(module, _init_batch(module.event_shape, gen))
    return perturb_(module, gen, scale)
