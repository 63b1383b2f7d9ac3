r"""SVD-3: a trained linear autoencoder is the truncated SVD — and, with biases, PCA of the centred data.

The check generates ``M`` (:func:`~kexue_verify_plugins.svd.linalg.planted_matrix`, ``m = 4n`` rows,
a spectral gap at ``k`` and a nonzero column mean), trains the module on the rows of ``M`` with the
documented trainer (:mod:`~kexue_verify_plugins.svd.training`), and compares the trained map
``f`` with the asserted target ``x ↦ x P + c``:

1. the loss ``‖M − f(M)‖²`` against the target's (``Σ_{i>k} σ_i²`` for the SVD);
2. the reconstruction ``f(M)`` against ``M P + 1cᵀ`` (``M_k`` for the SVD);
3. the linear part ``f(I) − f(0)`` (``CD`` for the post's autoencoder) against ``P``;
4. the offset ``f(0)`` against ``c`` (zero for the SVD);
5. the principal angles between the row space of ``f(I) − f(0)`` and the target subspace.

Tolerances: (1) is Higham's rounding bound, (2)–(5) follow from it by the inequalities in
:mod:`~kexue_verify_plugins.svd.bounds`.  A biased autoencoder on uncentred data reaches a *lower*
loss than ``Σ_{i>k}σ_i²`` (it removes the mean for free): that fails (1) from below and (4).

Source: Su Jianlin, "SVD分解(一)：自编码器与人工智能", 2017, https://kexue.fm/archives/4208, section 等价性.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from kexue_verify import CheckContext, CheckError, Evidence, at_most, close, holds, undecided
from kexue_verify.helpers import remember
from kexue_verify_plugins.svd.assertions import AutoencoderMap
from kexue_verify_plugins.svd.bounds import autoencoder_bounds, l1_loss_floor
from kexue_verify_plugins.svd.figures import loss_curve, singular_value_bars, with_figure
from kexue_verify_plugins.svd.linalg import (
    AffineTarget,
    cpu_generator,
    identity_target,
    pca_target,
    planted_matrix,
    principal_angles,
    spectrum,
    svd_target,
    top_right_singular,
)
from kexue_verify_plugins.svd.models import biased_autoencoder, linear_autoencoder, seeded, shape
from kexue_verify_plugins.svd.training import Fit, fit_adam, fit_lbfgs, reconstruction_loss

__all__ = ["Measurement", "autoencoder_is_pca", "autoencoder_is_svd", "compare_with_target", "make_target", "measure",
           "train"]

TARGETS = ("truncated-svd", "pca-of-centred", "identity")


def make_target(data: torch.Tensor, k: int, name: str) -> AffineTarget:
    """The map the assertion names, computed from ``data`` in float64."""
    if name == "truncated-svd":
        return svd_target(data, k)
    if name == "pca-of-centred":
        return pca_target(data, k)
    if name == "identity":
        return identity_target(data)
    raise ValueError(f"unknown target {name!r}; use one of {TARGETS}")


def train(model: torch.nn.Module, data: torch.Tensor, loss: str) -> Fit:
    """L-BFGS for the squared loss; for L1, whose kinks break a line search, L-BFGS on the squared loss
    (a good start: the L2 optimum) followed by Adam on L1, so that the L1 fit can only improve on it."""
    if loss == "squared":
        return fit_lbfgs(model, data)
    start = fit_lbfgs(model, data)
    fit = fit_adam(model, data, loss=loss)
    fit.method = f"full-batch L-BFGS on the squared loss ({start.evaluations} evaluations), then {fit.method}"
    return fit


@dataclass(frozen=True)
class Measurement:
    """What training measured: the trainer's record and the trained map on ``M``, on 0 and on ``I`` (float64)."""

    fit: Fit
    used: torch.Tensor
    recon: torch.Tensor
    zero: torch.Tensor
    images: torch.Tensor


def _check_protocol(model: torch.nn.Module, data: torch.Tensor) -> None:
    """Fail with a useful message when the module does not map (batch, n) to (batch, n)."""
    try:
        with torch.no_grad():
            out = model(data[:2])
    except Exception as exc:
        raise CheckError(f"the model does not accept a (batch, {data.shape[1]}) input ({type(exc).__name__}: {exc}); "
                         "a linear-autoencoder must map (batch, n) to (batch, n) with n = declared['n']") from exc
    if tuple(out.shape) != tuple(data[:2].shape):
        raise CheckError(f"the model maps (2, {data.shape[1]}) to {tuple(out.shape)}; a linear-autoencoder must "
                         "map (batch, n) to (batch, n) with n = declared['n']")


def measure(ctx: CheckContext, model: torch.nn.Module, data64: torch.Tensor, loss: str) -> Measurement:
    """Train ``model`` on ``data64`` cast to the run's dtype and evaluate the trained map.

    The map is measured forward only (images of ``0`` and of the basis vectors): the model's backward drives the
    training and nothing else, so a wrong backward can only leave it short of the target, never fake reaching it.
    """
    data = data64.to(device=ctx.device, dtype=ctx.torch_dtype)
    n = data.shape[1]
    _check_protocol(model, data)
    fit = train(model, data, loss)
    with torch.no_grad():
        recon = model(data).to(torch.float64).cpu()
        zero = model(torch.zeros(1, n, dtype=ctx.torch_dtype, device=ctx.device)).to(torch.float64).cpu()[0]
        images = model(torch.eye(n, dtype=ctx.torch_dtype, device=ctx.device)).to(torch.float64).cpu()
    return Measurement(fit, data.detach().to(torch.float64).cpu(), recon, zero, images)


def compare_with_target(ctx: CheckContext, result: Measurement, k: int, assertion: AutoencoderMap) -> list[Evidence]:
    """Compare a trained map with the asserted target; tolerances from :mod:`~kexue_verify_plugins.svd.bounds`."""
    loss = assertion.loss
    fit, used, recon, zero, images = result.fit, result.used, result.recon, result.zero, result.images
    m, n = used.shape
    target = make_target(used, k, assertion.target)
    linear = images - zero
    spec = target.spectrum
    mean_norm = float(target.offset.norm()) if assertion.target == "pca-of-centred" else 0.0
    bound = autoencoder_bounds(ctx.dtype, m=m, n=n, norm_sq=float((used**2).sum()), largest=spec.largest,
                               smallest=spec.smallest, gap=spec.gap, mean_norm=mean_norm)
    reached = float(reconstruction_loss(used - recon, loss))
    optimum = float(reconstruction_loss(used - target(used), loss))
    loss_tol = bound.loss if loss == "squared" else l1_loss_floor(ctx.dtype, m=m, n=n, frobenius=float(used.norm()))
    full = spectrum(used, min(m, n))
    where = {"loss_reached": reached, "target_loss": optimum, "target": target.name}
    gap = holds("spectral gap σ_k > σ_{k+1} of the target's matrix", spec.gap > 0,
                method="torch.linalg.svdvals (float64)", expected="σ_k² − σ_{k+1}² > 0", gap=spec.gap, k=k)
    evidence = [with_figure(gap, singular_value_bars(full.values.tolist(), k))]
    loss_ev = close(f"{loss} loss reached vs the {target.name}", reached, optimum, tol=loss_tol,
                    method=f"{fit.method}; {fit.evaluations} evaluations",
                    counterexample=where, trainer_converged=fit.converged, evaluations=fit.evaluations)
    curve = loss_curve(fit.losses, optimum, label=f"{loss} loss of the trained model",
                       optimum_label=f"optimum of the {target.name}",
                       xlabel="function evaluation" if "L-BFGS" in fit.method else "step")
    evidence.append(with_figure(loss_ev, curve))
    evidence.append(at_most(f"‖f(M) − target(M)‖_F (target: {target.name})", float((recon - target(used)).norm()),
                            bound.reconstruction, method="Frobenius norm in float64; bound √δ(2 + σ₁√(2/g))",
                            counterexample=where))
    evidence.append(at_most("‖(f(I) − f(0)) − P‖_F (the map CD against the target's projector)",
                            float((linear - target.linear).norm()), bound.linear,
                            method="f applied to the identity rows; bound √δ/σ_min + √(2δ/g)",
                            counterexample={"CD": linear.tolist(), "P": target.linear.tolist()}))
    evidence.append(at_most("‖f(0) − c‖ (offset of the map)", float((zero - target.offset).norm()), bound.offset,
                            method="f applied to the zero row; bound √(δ/m) + ‖μ‖·(linear bound)",
                            counterexample={"f(0)": zero.tolist(), "c": target.offset.tolist()}))
    if target.basis is not None:
        learned = top_right_singular(linear, k)
        angles = principal_angles(learned, target.basis)
        evidence.append(at_most("largest principal angle between learned and target subspaces (rad)",
                                float(angles[-1]), bound.angle,
                                method="arcsin of singular values of (I − Q_tQ_tᵀ)Q_learned (Björck–Golub)",
                                angles=angles.tolist(), counterexample={"angles": angles.tolist()}))
    return evidence


def _data(ctx: CheckContext, n: int, k: int) -> torch.Tensor:
    return planted_matrix(4 * n, n, k, cpu_generator(ctx.seed), mean="tail")


def _trained(ctx: CheckContext, name: str, build: Callable[[], torch.nn.Module], n: int, k: int,
             loss: str) -> Measurement:
    key = ("autoencoder", name, ctx.seed, ctx.dtype, ctx.device, n, k, loss)
    return remember(key, lambda: measure(ctx, build(), _data(ctx, n, k), loss))


def autoencoder_is_svd(ctx: CheckContext, a: AutoencoderMap) -> list[Evidence]:
    """Model claim: the module under test, trained on the rows of ``M``, is the asserted map (default: ``M_k``).

    Without a model (the claim run on its own) the post's autoencoder is used.
    """
    n, k = shape(ctx)
    if ctx.model is not None:
        if not any(p.requires_grad for p in ctx.model.parameters()):
            return [undecided("the trained map is the asserted one", method="training the model under test",
                              note=f"{ctx.model_name or type(ctx.model).__name__} has no trainable parameters "
                                   "(none, or all with requires_grad=False), so there is nothing to train and the "
                                   "claim, which is about the trained map, cannot be checked on it")]
        result = _trained(ctx, ctx.model_name or repr(ctx.model), lambda: ctx.model, n, k, a.loss)
    else:
        result = _trained(ctx, "builtin:linear", lambda: seeded(linear_autoencoder(n, k), ctx), n, k, a.loss)
    return compare_with_target(ctx, result, k, a)


def autoencoder_is_pca(ctx: CheckContext, a: AutoencoderMap) -> list[Evidence]:
    """The autoencoder with biases, trained on uncentred ``M``, is PCA of the centred data."""
    n, k = shape(ctx)
    result = _trained(ctx, "builtin:biased", lambda: seeded(biased_autoencoder(n, k), ctx), n, k, a.loss)
    return compare_with_target(ctx, result, k, a)
