r"""KER-4, the center-loss layer: the gradient on the centres, and where training takes them.

The loss of one sample is :math:`L = \mathrm{CE}_{\text{logits}}(y, xW + b) + \lambda\sum_k (c_{y,k} - x_k)^2`.

* **Gradient.** :math:`\partial L/\partial c_y = 2\lambda(c_y - x)` (= :math:`c_y - x` at λ = ½), and
  :math:`\partial L/\partial x = (\operatorname{softmax}(xW + b) - e_y)W^\top + 2\lambda(x - c_y)`: the centre
  term reaches the features.
* **Minimiser.** With the features fixed, :math:`\sum_i\|x_i - c_{y_i}\|^2` is minimised by the class means; gradient
  descent on the centres contracts the error of class k by :math:`1 - 2\lambda\eta\,n_k/n` a step.

Reference: Y. Wen, K. Zhang, Z. Li, Y. Qiao, *A Discriminative Feature Learning Approach for Deep Face
Recognition*, ECCV 2016 — their :math:`\tfrac\lambda2\sum\|x_i - c_{y_i}\|^2` with an α-update of the centres is
Su's loss at λ = 1 with the centres learned by the optimizer.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
import torch

from kexue_verify import Evidence, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.keras.assertions import CenterLoss
from kexue_verify_plugins.keras.models import CENTER_SHAPE

#: The sample the symbolic minimiser is evaluated on when the assertion names an order statistic.
SKEWED_SAMPLE = (0, 0, 3)


def center_loss_symbolic(ctx: Any, a: CenterLoss) -> list[Evidence]:
    """Differentiate the centre term and minimise the within-class sum of squares with SymPy."""
    lam = sp.Symbol("lambda", positive=True)
    c, x = sp.symbols("c1:4", real=True), sp.symbols("x1:4", real=True)
    term = lam * sum((ci - xi) ** 2 for ci, xi in zip(c, x, strict=True))
    grads = [sp.diff(term, ci) for ci in c]
    stated = [sp.nsimplify(a.grad_factor) * lam * (ci - xi) for ci, xi in zip(c, x, strict=True)]
    residual = [sp.simplify(g - s) for g, s in zip(grads, stated, strict=True)]
    out = [holds(f"∂/∂c_k of λΣ(c_k − x_k)² = {a.grad_factor}λ(c_k − x_k)", all(r == 0 for r in residual),
                 method="sympy.diff, simplify(difference) == 0", expected="0",
                 counterexample={"difference": str(residual[0])}, derivative=str(grads[0]))]
    feature_grad = sp.diff(term, x[0])
    reaches = sp.simplify(feature_grad) != 0
    out.append(holds("the centre term reaches the features" if a.reaches_features
                     else "the centre term does not reach the features", reaches == a.reaches_features,
                     method="sympy.diff with respect to x_1", derivative=str(feature_grad)))
    centre = sp.Symbol("c", real=True)
    values = [sp.Integer(v) for v in SKEWED_SAMPLE]
    minimiser = sp.solve(sp.diff(sum((v - centre) ** 2 for v in values), centre), centre)[0]
    stated_opt = {"mean": sp.Rational(sum(SKEWED_SAMPLE), len(SKEWED_SAMPLE)),
                  "median": sp.Integer(sorted(SKEWED_SAMPLE)[len(SKEWED_SAMPLE) // 2])}[a.optimum]
    out.append(holds(f"argmin_c Σ(x_i − c)² over {SKEWED_SAMPLE} is the {a.optimum}", minimiser == stated_opt,
                     method="sympy.solve(d/dc = 0)", expected=str(stated_opt),
                     counterexample={"sample": list(SKEWED_SAMPLE), "minimiser": str(minimiser)},
                     minimiser=str(minimiser)))
    return out


def _features(ctx: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """60 skewed 2-D features (shifted exponentials, so each class's mean and median differ), 3 classes."""
    gen = ctx.generator(1)
    n, k, d = 60, CENTER_SHAPE["classes"], CENTER_SHAPE["in_dim"]
    y = torch.arange(n, device=ctx.device) % k
    offsets = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]], device=ctx.device, dtype=ctx.torch_dtype)
    expo = -torch.log(torch.rand(n, d, generator=gen, device=ctx.device, dtype=ctx.torch_dtype))
    return offsets[y] + expo, y


def _grad(fn: Any, *tensors: torch.Tensor) -> list[torch.Tensor]:
    return list(torch.autograd.grad(fn(), tensors))


def center_loss_numeric(ctx: Any, a: CenterLoss) -> list[Evidence]:
    """Autograd and finite differences against the stated gradients; gradient descent to the stated optimum."""
    layer, lam = ctx.model, CENTER_SHAPE["lamb"]
    prec = layer.precision or ctx.dtype
    x, y = _features(ctx)
    n, k = x.shape[0], CENTER_SHAPE["classes"]
    centres, kernel, bias = layer.weight("centers"), layer.weight("kernel"), layer.weight("bias")
    method = f"{layer.framework} layer computing in {prec}, {n} features in {k} classes, sum of per-sample losses"
    out: list[Evidence] = []

    def loss_at(xx: torch.Tensor) -> torch.Tensor:
        return layer.loss(xx, y).sum()

    # 1. ∂L/∂c against the stated formula, and autograd against central differences (a quadratic: exact but rounding)
    c = centres.detach()
    stated_c = torch.zeros_like(c).index_add_(0, y, float(a.grad_factor) * lam * (c[y] - x))
    scale = float((2 * lam * (c[y] - x)).abs().sum())
    if centres.requires_grad:
        (grad_c,) = _grad(lambda: loss_at(x), centres)
        out.append(close("max |∂L/∂c − stated|", float((grad_c - stated_c).abs().max()), 0.0,
                         tol=tolerance(prec, n=n, scale=scale), method=f"autograd; {method}"))
        unit = tolerance(prec, safety=2.0)  # the unit round-off of the dtype the layer computes in
        h = unit ** (1 / 3) * max(1.0, float(c.abs().max()))
        with torch.no_grad():
            base = c[0, 0].item()
            centres[0, 0] = base + h
            up = float(loss_at(x))
            centres[0, 0] = base - h
            down = float(loss_at(x))
            centres[0, 0] = base
        fd = (up - down) / (2 * h)
        total = float(layer.loss(x, y).detach().abs().sum())
        out.append(close("autograd ∂L/∂c[0,0] vs a central difference", float(grad_c[0, 0]), fd,
                         tol=tolerance(prec, n=n, scale=total) / h + 8 * abs(fd) * unit, method=f"step h = {h:.3g}"))
    else:
        out.append(holds("the centres are a trainable weight", False, method=method,
                         counterexample={"centres": "not a trainable weight"}))
    # 2. ∂L/∂x: the cross-entropy part plus the centre part, or only the former
    xr = x.clone().requires_grad_(True)
    (grad_x,) = _grad(lambda: loss_at(xr), xr)
    probs = torch.softmax(x @ kernel.detach() + bias.detach(), dim=-1)
    ce_part = (probs - torch.nn.functional.one_hot(y, k).to(x.dtype)) @ kernel.detach().T
    stated_x = ce_part + (2 * lam * (x - c[y]) if a.reaches_features else 0.0)
    out.append(close("max |∂L/∂x − stated| (" + ("CE + centre term" if a.reaches_features else "CE only") + ")",
                     float((grad_x - stated_x).abs().max()), 0.0,
                     tol=tolerance(prec, n=4 * k, scale=float(ce_part.abs().max() + (2 * lam * (x - c[y])).abs()
                                                                     .max())), method=f"autograd; {method}"))
    # 3. with the features fixed, train every trainable weight: the centres go to the class optimum
    counts = torch.bincount(y, minlength=k).to(x.dtype)
    share = counts / n
    eta_c = float(1 / (2 * lam * share.max()))
    trainable = [t for _, t, tr in layer.weights() if tr]
    groups = [{"params": [t for t in trainable if t is centres], "lr": eta_c},
              {"params": [t for t in trainable if t is not centres], "lr": 0.01}]
    optimizer = torch.optim.SGD([g for g in groups if g["params"]])
    steps = 200
    for _ in range(steps):
        optimizer.zero_grad()
        layer.loss(x, y).mean().backward()
        optimizer.step()
    means = torch.stack([x[y == j].mean(0) for j in range(k)])
    medians = torch.stack([x[y == j].median(0).values for j in range(k)])
    target = {"mean": means, "median": medians}[a.optimum]
    err = float((centres.detach() - target).abs().max())
    contraction = float((1 - 2 * lam * eta_c * share).abs().max())
    residual = contraction**steps * float((c - means).abs().max())
    # rounding of each step is contracted by the later ones: at most γ_n·max|x| / (1 − ρ) in all
    tol = tolerance(prec, n=n, scale=float(x.abs().max())) / (1 - contraction) + residual
    out.append(close(f"max |centre − class {a.optimum}| after {steps} SGD steps", err, 0.0, tol=tol,
                     method=f"SGD, lr {eta_c:.3g} on the centres, features fixed; {method}",
                     counterexample={"centres": centres.detach(), "class_means": means, "class_medians": medians},
                     contraction_per_step=contraction))
    return out
