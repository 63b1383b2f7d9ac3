"""The trainers the autoencoder claims use, documented so that a reader can reproduce a verdict.

* :func:`fit_lbfgs` — the default: **full-batch L-BFGS** (``torch.optim.LBFGS``, history 20,
  strong-Wolfe line search) on the normalised loss ``‖X − f(X)‖²/‖X‖²``, run until a call makes no
  further progress or ``max_evals`` function evaluations are spent.  For a linear autoencoder the
  loss is a smooth quartic without spurious local minima (Baldi & Hornik 1989), so a quasi-Newton
  method reaches the optimum to rounding level in a few hundred evaluations (a fraction of a
  second on a CPU at the sizes used here), where first-order methods need tens of thousands of
  steps (``benchmarks/svd_autoencoder.py``).
* :func:`fit_adam` — full-batch Adam with a cosine learning-rate decay, for the L1 loss, which is
  not differentiable at zero residuals and defeats a line search.  The L1 claims start it from the
  squared-loss optimum found by :func:`fit_lbfgs` (300 steps, lr 1e−2).
* :func:`fit_minibatch_sgd` — mini-batch SGD with momentum and a step schedule, for the claim that
  the autoencoder can be trained in mini-batches (SVD-5).

Each returns a :class:`Fit` with the loss history, so the claims can draw the training curve.

Autograd (the model's own backward, which a user's custom ``autograd.Function`` may get wrong) only drives these
optimisers: a wrong gradient trains worse, it does not make a verdict wrong, because the trained map is measured by
forward passes alone (:func:`~kexue_verify_plugins.svd.checks.equivalence.measure`) and compared with the exact
target.  So no autograd gradient here is ground truth, and none is cross-checked with finite differences (as the
Lipschitz topic's Jacobian norm is, :func:`kexue_verify_plugins.lipschitz.lower_bound.jacobian_cross_check`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from kexue_verify.helpers import eps, single_threaded

__all__ = ["Fit", "fit_adam", "fit_lbfgs", "fit_minibatch_sgd", "reconstruction_loss"]


def reconstruction_loss(residual: torch.Tensor, loss: str) -> torch.Tensor:
    """``Σ r_ij²`` for ``loss="squared"``, ``Σ |r_ij|`` for ``loss="l1"``."""
    if loss == "squared":
        return (residual**2).sum()
    if loss == "l1":
        return residual.abs().sum()
    raise ValueError(f"loss must be 'squared' or 'l1', got {loss!r}")


@dataclass
class Fit:
    """What a trainer did: its method, the (unnormalised) loss after each evaluation or epoch, the seconds
    elapsed at each of them (``times``, for time-to-optimum measurements), and the cost."""

    method: str
    losses: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    evaluations: int = 0
    seconds: float = 0.0
    converged: bool = False

    @property
    def final(self) -> float:
        return self.losses[-1] if self.losses else math.nan


@single_threaded()
def fit_lbfgs(model: nn.Module, data: torch.Tensor, *, loss: str = "squared", max_evals: int | None = None) -> Fit:
    """Full-batch L-BFGS with strong-Wolfe line search on ``loss(X − f(X)) / loss(X)``, to convergence.

    The history (100 pairs) exceeds the parameter count of the small autoencoders used here, so the
    method behaves like BFGS.  Stops when a call of up to 50 iterations lowers the normalised loss by
    at most the dtype's machine epsilon (the loss cannot be resolved more finely), or after
    ``max_evals`` evaluations (``converged`` is then False): by default 10 per parameter and at
    least 500 (the built-in linear autoencoders converge in 30–200).
    """
    if max_evals is None:
        max_evals = max(500, 10 * sum(p.numel() for p in model.parameters()))
    scale = float(reconstruction_loss(data, loss))
    tiny = eps(data.dtype)
    opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=50, history_size=100, line_search_fn="strong_wolfe",
                            tolerance_grad=tiny, tolerance_change=tiny)
    fit = Fit(method=f"full-batch L-BFGS (strong Wolfe, history 100), {loss} loss, {data.dtype}".replace("torch.", ""))

    def closure() -> torch.Tensor:
        opt.zero_grad()
        value = reconstruction_loss(data - model(data), loss) / scale
        value.backward()
        fit.losses.append(float(value.detach()) * scale)
        fit.times.append(time.perf_counter() - start)
        return value

    start = time.perf_counter()
    best = math.inf
    while len(fit.losses) < max_evals:
        before = len(fit.losses)
        opt.step(closure)
        current = min(fit.losses[before:], default=math.inf) / scale
        threshold = best - tiny * abs(best) if math.isfinite(best) else math.inf
        if not current < threshold or len(fit.losses) == before + 1:
            fit.converged = True
            break
        best = current
    fit.evaluations = len(fit.losses)
    fit.seconds = time.perf_counter() - start
    return fit


@single_threaded()
def fit_adam(model: nn.Module, data: torch.Tensor, *, loss: str = "l1", steps: int = 300, lr: float = 1e-2) -> Fit:
    """Full-batch Adam with cosine decay from ``lr`` to 0 over ``steps`` steps (used for the L1 loss)."""
    scale = float(reconstruction_loss(data, loss))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    fit = Fit(method=f"full-batch Adam, lr {lr:g} with cosine decay, {steps} steps, {loss} loss")
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        value = reconstruction_loss(data - model(data), loss) / scale
        value.backward()
        opt.step()
        schedule.step()
        fit.losses.append(float(value.detach()) * scale)
        fit.times.append(time.perf_counter() - start)
    fit.evaluations, fit.seconds, fit.converged = steps, time.perf_counter() - start, True
    return fit


@single_threaded()
def fit_minibatch_sgd(
    model: nn.Module,
    data: torch.Tensor,
    gen: torch.Generator,
    *,
    batch: int = 32,
    epochs: int = 30,
    lr: float = 0.1,
    momentum: float = 0.9,
    hold: int = 8,
    halve_every: int = 4,
    on_epoch: Callable[[int], None] | None = None,
) -> Fit:
    """Mini-batch SGD with momentum on the mean squared loss per row, normalised by the mean squared row norm.

    The learning rate is ``lr`` for ``hold`` epochs and is then halved every ``halve_every`` epochs;
    rows are reshuffled every epoch with ``gen``.  There is no early stopping: the run is exactly
    ``epochs`` epochs of ``⌈m / batch⌉`` steps.  ``on_epoch(e)`` is called after each epoch.
    """
    m = data.shape[0]
    scale = float((data**2).sum()) / m
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda e: 1.0 if e < hold else 0.5 ** ((e - hold) // halve_every + 1))
    fit = Fit(method=(f"mini-batch SGD (batch {batch}, momentum {momentum:g}), lr {lr:g} for {hold} epochs then "
                      f"halved every {halve_every}, {epochs} epochs"))
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(m, generator=gen).to(data.device)
        for i in range(0, m, batch):
            rows = data[order[i:i + batch]]
            opt.zero_grad()
            value = ((rows - model(rows)) ** 2).sum() / len(rows) / scale
            value.backward()
            opt.step()
            fit.evaluations += 1
        schedule.step()
        with torch.no_grad():
            fit.losses.append(float(((data - model(data)) ** 2).sum()))
        fit.times.append(time.perf_counter() - start)
        if on_epoch is not None:
            on_epoch(epoch)
    fit.seconds, fit.converged = time.perf_counter() - start, True
    return fit
