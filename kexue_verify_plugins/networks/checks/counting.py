"""Check of NN-7: the weights of one fully connected layer on a 1000×1000 image, counted without allocating it.

The symbolic side multiplies the widths exactly; the numeric side builds the ``torch.nn.Linear`` on the ``meta``
device (shapes only, no memory) and counts its parameters, with and without the bias.
"""

from __future__ import annotations

import sympy as sp
import torch
from torch import nn

from kexue_verify import CheckContext, Evidence, holds
from kexue_verify_plugins.networks.assertions import LayerCount


def _count(a: LayerCount) -> sp.Integer:
    return sp.Integer(int(a.params))


def count_symbolic(ctx: CheckContext, a: LayerCount) -> Evidence:
    """Exact: inputs × outputs against the stated count; with the bias it is ``in·out + out`` ("or more")."""
    pixels = sp.Integer(a.side) ** 2
    weights = pixels * sp.Integer(a.width_out)
    return holds("in × out = stated count", weights == _count(a), method="exact integer arithmetic",
                 inputs=int(pixels), weights=int(weights), with_bias=int(weights + a.width_out),
                 expected=int(_count(a)), counterexample={"weights": int(weights), "stated": int(_count(a))})


def count_numeric(ctx: CheckContext, a: LayerCount) -> list[Evidence]:
    """torch: ``nn.Linear(side², width_out)`` on the meta device; weight count and the count with bias."""
    pixels = a.side ** 2
    layer = nn.Linear(pixels, a.width_out, bias=True, device="meta")
    weights = layer.weight.numel()
    total = sum(p.numel() for p in layer.parameters())
    stated = int(_count(a))
    return [
        holds("nn.Linear weight count = stated", weights == stated, method=f"torch {torch.__version__}, meta device",
              weights=weights, counterexample={"weights": weights, "stated": stated}),
        holds("with the bias the count is at least the stated one ('or more')", total >= stated,
              method="sum of parameter numels", total=total, counterexample={"total": total, "stated": stated}),
    ]
