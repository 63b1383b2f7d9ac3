r"""KER-6: mixing a uniform target into the cross-entropy is label smoothing.

Cross-entropy is linear in its target, :math:`\mathrm{CE}(t, p) = -\sum_k t_k\log p_k`, so

.. math:: (1-e)\,\mathrm{CE}(y, p) + e\,\mathrm{CE}(\tfrac1K\mathbf 1, p)
          = \mathrm{CE}\bigl((1-e)y + \tfrac eK\mathbf 1,\ p\bigr),

which is PyTorch's ``F.cross_entropy(logits, y, label_smoothing=e)`` (its target is :math:`(1-ε)y + ε/K`, see the
``torch.nn.CrossEntropyLoss`` documentation) and Keras's ``label_smoothing``.  The convention
:math:`(1-e)y + \frac{e}{K-1}(1-y)` (Szegedy et al. spread the mass over the *other* classes) is a different loss.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias

from kexue_verify import Evidence, close, holds, undecided
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.keras.assertions import MixedTarget

#: The smoothing weight, classes and batch of the numeric check.
E, K, N = 0.1, 5, 48
#: Logits are drawn uniformly in [-L, L] at each scale below.  The post's loss takes probabilities and Keras clips
#: them to [1e-7, 1 - 1e-7]; logits within ±6 keep every probability in [1e-6, 1 - 1e-6], inside that clip.
LOGIT_SCALES = (0.01, 1.0, 6.0)


def _target(kind: str, y: Any, e: Any, k: int) -> Any:
    """The smoothed target a statement names, ``y`` one-hot (SymPy or torch)."""
    if kind == "uniform-over-k":
        return (1 - e) * y + e / k
    if kind == "no-division":
        return (1 - e) * y + e
    if kind == "over-k-minus-1":
        return (1 - e) * y + e / (k - 1) * (1 - y)
    raise ValueError(f"unknown target {kind!r}")


def smoothing_symbolic(ctx: Any, a: MixedTarget) -> Evidence:
    """For K = 3, simplify ``mixed − CE(target)`` with symbolic targets y and log-probabilities l."""
    if a.target == "temperature":
        return undecided("the mixed loss as a temperature-scaled cross-entropy",
                         note="temperature scaling is not a target mixture; the numeric check decides it")
    k = 3
    e = sp.Symbol("e", positive=True)
    y, logp = sp.symbols("y1:4", real=True), sp.symbols("l1:4", real=True)
    ce = lambda t: -sum(ti * li for ti, li in zip(t, logp, strict=True))  # noqa: E731
    mixed = (1 - e) * ce(y) + e * ce([sp.Rational(1, k)] * k)
    stated = ce([_target(a.target, yi, e, k) for yi in y])
    diff = sp.expand(mixed - stated)
    onehot = diff.subs({y[0]: 1, y[1]: 0, y[2]: 0})
    return holds(f"(1−e)CE(y,p) + e·CE(1/K,p) − CE(target, p) = 0 (K = 3, target {a.target})",
                 diff == 0, method="sympy.expand of the difference, y and log p symbolic", expected="0",
                 counterexample={"difference": str(diff), "at y = e_1": str(sp.factor(onehot))},
                 difference=str(diff))


def _reference(target: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    return -(target * F.log_softmax(logits, dim=-1)).sum(-1)


def smoothing_numeric(ctx: Any, a: MixedTarget) -> list[Evidence]:
    """The loss under test against CE with the stated target, and PyTorch's label_smoothing against the same."""
    loss = ctx.model
    gen = ctx.generator()
    labels = torch.randint(0, K, (N,), generator=gen, device=ctx.device)
    y = F.one_hot(labels, K).to(ctx.torch_dtype)
    u = 2 * torch.rand(len(LOGIT_SCALES), N, K, generator=gen, device=ctx.device, dtype=ctx.torch_dtype) - 1
    out: list[Evidence] = []
    method = (f"{loss.framework} loss computing in {loss.precision or ctx.dtype}, e = {E}, K = {K}, {N} samples "
              f"at logit scales {LOGIT_SCALES}")
    if a.target == "temperature":
        # CE(e_0, softmax(z/T)) falls along z = (s, 0, …, 0) for every T > 0; the mixed loss must too
        s = torch.tensor([10.0, 50.0], device=ctx.device, dtype=ctx.torch_dtype)
        z = torch.zeros(2, K, device=ctx.device, dtype=ctx.torch_dtype)
        z[:, 0] = s
        first = F.one_hot(torch.zeros(2, dtype=torch.long, device=ctx.device), K).to(ctx.torch_dtype)
        values = loss(first, z, E)
        out.append(holds("the mixed loss falls along z = (s, 0, …, 0) as CE at every temperature does",
                         bool(values[1] < values[0]), method=method,
                         counterexample={"s": s, "mixed_loss": values}, mixed_loss=values))
        return out
    worst_stated, worst_torch, tol = 0.0, 0.0, 0.0
    for scale, z in zip(LOGIT_SCALES, u * torch.tensor(LOGIT_SCALES, device=ctx.device,
                                                      dtype=ctx.torch_dtype).view(-1, 1, 1), strict=True):
        got = loss(y, z, E)
        stated = _reference(_target(a.target, y, E, K), z)
        smoothed = F.cross_entropy(z, labels, label_smoothing=E, reduction="none")
        worst_stated = max(worst_stated, float((got - stated).abs().max()))
        worst_torch = max(worst_torch, float((smoothed - stated).abs().max()))
        tol = max(tol, tolerance(loss.precision or ctx.dtype, n=2 * K, scale=float(stated.abs().max()) + scale))
    out.append(close("max |mixed loss − CE(stated target)|", worst_stated, 0.0, tol=tol, method=method,
                     counterexample={"target": a.target, "max_difference": worst_stated}))
    out.append(close("max |F.cross_entropy(label_smoothing=e) − CE(stated target)|", worst_torch, 0.0, tol=tol,
                     method="torch.nn.functional.cross_entropy, reduction='none'"))
    return out
