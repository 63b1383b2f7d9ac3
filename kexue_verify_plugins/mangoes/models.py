"""Torch models for the mango post's formalisations: logistic regression, least squares, ridge with cross-validation,
1-nearest-neighbour, and the "one-size-fits-all" student data.

The fitters are ordinary ``torch.nn.Linear`` models whose weights are set by the exact optimiser of their loss
(Newton's method for the logistic likelihood, ``torch.linalg.lstsq`` for squared loss), so a check compares the
optimum a model can reach, not how far an optimiser happened to get.
"""

from __future__ import annotations

import torch
from torch import nn

from kexue_verify import CheckContext
from kexue_verify.helpers import least_squares

__all__ = [
    "fit_logistic",
    "fit_ridge",
    "logistic_model",
    "nearest_neighbour_predict",
    "students",
]


def logistic_model(x: torch.Tensor, y: torch.Tensor, *, iterations: int = 30) -> tuple[nn.Linear, torch.Tensor]:
    """Maximum-likelihood ``nn.Linear(d, 1)`` for P(y = 1 | x) = σ(w·x + b), by Newton's method (IRLS).

    The log-likelihood is concave (Hessian −XᵀDX), so Newton from zero converges quadratically when the MLE exists.
    Returns the model and the Fisher information XᵀDX at the optimum (its inverse is the MLE's covariance).
    """
    design = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
    theta = torch.zeros(design.shape[1], dtype=x.dtype, device=x.device)
    for _ in range(iterations):
        p = torch.sigmoid(design @ theta)
        fisher = design.T @ (design * (p * (1 - p))[:, None])
        step = torch.linalg.solve(fisher, design.T @ (y - p))
        theta = theta + step
        if float(step.abs().max()) <= 1e-14 * (1 + float(theta.abs().max())):
            break
    p = torch.sigmoid(design @ theta)
    fisher = design.T @ (design * (p * (1 - p))[:, None])
    model = nn.Linear(x.shape[1], 1).to(device=x.device, dtype=x.dtype)
    with torch.no_grad():
        model.weight.copy_(theta[:-1][None, :])
        model.bias.copy_(theta[-1:])
    return model, fisher


def fit_logistic(x: torch.Tensor, y: torch.Tensor, *, steps: int = 300) -> nn.Linear:
    """``nn.Linear(d, 1)`` trained by L-BFGS on the logistic loss (for data that may be separable, where the MLE
    does not exist and Newton's method would diverge); a small fixed budget, so the weights stay finite."""
    model = nn.Linear(x.shape[1], 1).to(device=x.device, dtype=x.dtype)
    opt = torch.optim.LBFGS(model.parameters(), max_iter=steps, line_search_fn="strong_wolfe")
    loss_fn = nn.BCEWithLogitsLoss()

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = loss_fn(model(x)[:, 0], y)
        loss.backward()
        return loss

    opt.step(closure)
    return model


def fit_ridge(x: torch.Tensor, y: torch.Tensor, lam: float) -> torch.Tensor:
    """Ridge coefficients argmin ‖y − Xβ‖² + λ‖β‖², by least squares on the augmented system [X; √λ I]β ≈ [y; 0]."""
    d = x.shape[1]
    aug_x = torch.cat([x, lam**0.5 * torch.eye(d, dtype=x.dtype, device=x.device)])
    aug_y = torch.cat([y, torch.zeros(d, dtype=x.dtype, device=x.device)])
    return least_squares(aug_x, aug_y[:, None])[:, 0]


def nearest_neighbour_predict(train_x: torch.Tensor, train_y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """1-nearest-neighbour regression: the label of the closest training point (Euclidean, ``torch.cdist``)."""
    return train_y[torch.cdist(x, train_x).argmin(dim=1)]


def students(ctx: CheckContext, n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hours T ~ U[0, 10], efficiency E ~ U[0.2, 2] (independent), and good = [T·E ≥ 5] as 0/1."""
    gen = ctx.generator(offset=offset)
    t = 10 * torch.rand(n, generator=gen, dtype=ctx.torch_dtype, device=ctx.device)
    e = 0.2 + 1.8 * torch.rand(n, generator=gen, dtype=ctx.torch_dtype, device=ctx.device)
    return t, e, (t * e >= 5).to(ctx.torch_dtype)
