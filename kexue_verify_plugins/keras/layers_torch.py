"""The post's layers and losses as plain torch ``nn.Module``\\ s: the same ideas without Keras.

Su Jianlin, “让Keras更酷一些！”：精巧的层与花式的回调, 2018 (https://kexue.fm/archives/5765), section 层的自定义.
Each module mirrors one Keras layer of the post (:mod:`.layers_keras`); the claims run on both.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import nn

__all__ = ["AddTwo", "DenseWithCenterLoss", "SplitVector", "TrainOnlyGaussianNoise", "mixed_crossentropy"]


class AddTwo(nn.Module):
    """``y = x + 2``: the post's ``Lambda(lambda x: x + 2)``, a layer with no parameters."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 2


class TrainOnlyGaussianNoise(nn.Module):
    """``y = x + ε, ε ~ N(0, I)`` in training, ``y = x`` in evaluation (the post's ``K.in_train_phase``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return x + torch.randn_like(x)
        return x


class SplitVector(nn.Module):
    """Split the last dimension d into ``d // 2`` and ``d - d // 2`` (the post's ``SplitVector``)."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        d = x.shape[-1]
        return x[..., : d // 2], x[..., d // 2 :]

    @staticmethod
    def output_shapes(input_shape: tuple[int | None, ...]) -> list[tuple[int | None, ...]]:
        """The shapes the layer promises (Keras's ``compute_output_shape``)."""
        *lead, d = input_shape
        d = cast(int, d)  # the feature dimension is known; only the batch one may be None
        return [(*lead, d // 2), (*lead, d - d // 2)]


class DenseWithCenterLoss(nn.Module):
    r"""Logits ``xW + b`` with the center loss of the post (and of Wen et al., ECCV 2016):

    .. math:: L = \mathrm{CE}_{\text{logits}}(y, xW + b) + \lambda \sum_k (c_{y,k} - x_k)^2,\qquad \lambda = 0.5,

    where the centres ``c`` (one row per class) are ordinary trainable weights.
    """

    def __init__(self, in_dim: int, n_classes: int, lamb: float = 0.5) -> None:
        super().__init__()
        self.lamb = lamb
        self.kernel = nn.Parameter(torch.empty(in_dim, n_classes))
        self.bias = nn.Parameter(torch.zeros(n_classes))
        self.centers = nn.Parameter(torch.empty(n_classes, in_dim))
        nn.init.xavier_normal_(self.kernel)
        nn.init.xavier_normal_(self.centers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.kernel + self.bias

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-sample loss: cross-entropy of the logits plus ``λ ‖c_y − x‖²``."""
        ce = F.cross_entropy(self(x), y, reduction="none")
        return ce + self.lamb * ((self.centers[y] - x) ** 2).sum(dim=1)


def mixed_crossentropy(y: torch.Tensor, logits: torch.Tensor, e: float) -> torch.Tensor:
    r"""The post's ``mycrossentropy``: :math:`(1-e)\,\mathrm{CE}(y, p) + e\,\mathrm{CE}(\mathbf 1/K, p)`, per sample.

    ``y`` is one-hot, ``p = softmax(logits)`` and ``CE(t, p) = −Σ_k t_k log p_k``.
    """
    log_p = F.log_softmax(logits, dim=-1)
    uniform = torch.full_like(y, 1.0 / y.shape[-1])
    return (1 - e) * -(y * log_p).sum(-1) + e * -(uniform * log_p).sum(-1)
