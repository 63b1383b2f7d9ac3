"""Checks of the post's simple layers (KER-1 … KER-3), on every registered layer of each kind, torch or Keras.

* ``parameter-free-layer`` (KER-1): ``y = x + c`` exactly, in training and in inference, with no weights at all;
* ``train-only-noise`` (KER-2): in training ``y − x`` has mean 0, variance σ² and no correlation with ``x``
  (two-sided 5-standard-error tests on 2·10⁵ draws), in inference ``y = x`` exactly;
* ``split-vector`` (KER-3): for d = 4, 7, 9 the two outputs have the stated widths, the promised shapes
  (``compute_output_shape``) agree with them, and concatenating the outputs gives back the input.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from kexue_verify import Evidence, close, holds
from kexue_verify.helpers import tolerance
from kexue_verify_plugins.keras.assertions import ParameterFree, SplitWidths, TrainOnlyNoise

#: Input magnitudes probed (the same layer must behave at every scale).
SCALES = (1e-3, 1.0, 1e3)


def _probe(ctx: Any, shape: tuple[int, ...], offset: int = 0) -> torch.Tensor:
    """Standard normal rows, each group of rows scaled by one of :data:`SCALES`."""
    x = torch.randn(*shape, generator=ctx.generator(offset), device=ctx.device, dtype=ctx.torch_dtype)
    scale = torch.tensor(SCALES, device=ctx.device, dtype=ctx.torch_dtype).repeat_interleave(
        math.ceil(shape[0] / len(SCALES)))[: shape[0]]
    return x * scale.view(-1, *([1] * (len(shape) - 1)))


def parameter_free(ctx: Any, a: ParameterFree) -> list[Evidence]:
    """KER-1: ``y = x + offset`` exactly in both modes; the layer has ``a.weights`` weights (0, or "some")."""
    layer = ctx.model
    x = _probe(ctx, (6, 5))
    out: list[Evidence] = []
    for training in (True, False):
        with torch.no_grad():
            y = layer(x, training=training)
        err = float((y - (x + a.offset)).abs().max())
        tol = tolerance(layer.precision or ctx.dtype, n=1, scale=float(x.abs().max()) + a.offset)
        out.append(close(f"max |y − (x + {a.offset})| ({'training' if training else 'inference'})", err, 0.0,
                         tol=tol, method=f"{layer.framework} layer on 6×5 inputs of scale {SCALES}"))
    count = layer.count()
    want_none = a.weights == 0
    out.append(holds("the layer holds no weights" if want_none else "the layer holds trainable weights",
                     (count == 0) if want_none else (layer.count(trainable_only=True) > 0),
                     method="counted after the layer was called (a Keras layer builds then)",
                     expected=a.weights, counterexample={"weights": [p for p, _, _ in layer.weights()]},
                     weights=count))
    return out


#: Draws for the noise statistics: 400 rows × 500 features.
NOISE_SHAPE = (400, 500)
#: Two-sided z bound for the statistics; a correct layer fails one of them with probability about 2·10⁻⁶.
Z = 5.0


def _moments(d: torch.Tensor) -> tuple[float, float]:
    d64 = d.detach().to(torch.float64).flatten()  # the statistics in float64 whatever the layer's dtype
    return float(d64.mean()), float(d64.var(unbiased=True))


def train_only_noise(ctx: Any, a: TrainOnlyNoise) -> list[Evidence]:
    """KER-2: noise of mean 0 and variance ``a.variance`` in training; ``a.test_noise`` in inference."""
    layer = ctx.model
    # the inputs from their own stream: the layer draws its noise from the global generator, seeded with ctx.seed
    x = 3.0 * torch.randn(*NOISE_SHAPE, generator=ctx.generator(101), device=ctx.device, dtype=ctx.torch_dtype)
    n = x.numel()
    var = float(a.variance)
    # the float32 rounding of x + ε adds a variance of about (ulp of |x|)²/12, far inside the bound
    mean_tol, var_tol = Z * math.sqrt(var / n), Z * var * math.sqrt(2 / (n - 1))
    method = f"{layer.framework} layer, {n} draws, x ~ 3·N(0, 1); z = {Z} standard errors"
    with torch.no_grad():
        noise = layer(x, training=True) - x
        y_test = layer(x, training=False)
    mean, variance = _moments(noise)
    corr = float(torch.corrcoef(torch.stack([noise.flatten(), x.flatten()]).to(torch.float64))[0, 1])
    out = [close("training: mean of y − x", mean, 0.0, tol=mean_tol, method=method),
           close("training: variance of y − x", variance, var, tol=var_tol, method=method,
                 counterexample={"variance": variance}),
           close("training: correlation of y − x with x (the noise is independent of the input)", corr, 0.0,
                 tol=Z / math.sqrt(n), method=method, counterexample={"correlation": corr})]
    if a.test_noise:
        mean, variance = _moments(y_test - x)
        out.append(close("inference: variance of y − x", variance, var, tol=var_tol, method=method))
    else:
        err = float((y_test - x).detach().abs().max())
        out.append(close("inference: max |y − x| (the identity, exactly)", err, 0.0, tol=0.0, method=method,
                         counterexample={"max_abs_difference": err}))
    return out


#: Input widths probed, odd and even.
SPLIT_WIDTHS = (4, 7, 9)


def _widths(rule: SplitWidths, d: int) -> tuple[int, int]:
    first = {"floor": d // 2, "ceil": (d + 1) // 2}[rule.first]
    second = {"rest": d - first, "floor": d // 2}[rule.second]
    return first, second


def split_vector(ctx: Any, a: SplitWidths) -> list[Evidence]:
    """KER-3: the stated output widths, the promised output shapes, and ``concat(outputs) == input``."""
    layer = ctx.model
    out: list[Evidence] = []
    for d in SPLIT_WIDTHS:
        x = _probe(ctx, (3, d), offset=d)
        with torch.no_grad():
            first, second = layer(x)
        got = (int(first.shape[-1]), int(second.shape[-1]))
        want = _widths(a, d)
        promised = tuple(int(s[-1]) for s in layer.output_shapes((None, d)))
        out.append(holds(f"d = {d}: output widths are {want}", got == want, expected=list(want),
                         method=f"{layer.framework} layer on a 3×{d} input", counterexample={"d": d, "widths": got},
                         widths=list(got)))
        out.append(holds(f"d = {d}: promised output shapes agree with the outputs", promised == got,
                         expected=list(got), counterexample={"d": d, "promised": promised}, promised=list(promised)))
        joined = torch.cat([first, second], dim=-1)
        same = joined.shape == x.shape and bool(torch.equal(joined, x))
        out.append(holds(f"d = {d}: concatenating the outputs gives back the input", same,
                         counterexample={"d": d, "concatenated_width": int(joined.shape[-1])}))
    return out
