r"""An independent Jacobian: central finite differences with a derived error bound, and the cross-check of an
autograd Jacobian against it.

Autograd runs the subject's own backward.  A layer built on a custom ``torch.autograd.Function`` with a wrong
``backward`` agrees with itself, so a check whose ground truth is ``slogdet`` of the autograd Jacobian would verify
it.  Finite differences call only the *forward* map, so they do not share that failure.

**The estimate.**  For each coordinate :math:`j` and step :math:`h_j=\varepsilon^{1/3}\max(1,|x_j|)` (rounded so that
:math:`x_j\pm h_j` is exact), the central differences

.. math::  D_h=\frac{f(x+h e_j)-f(x-h e_j)}{2h},\qquad D_{2h}=\frac{f(x+2h e_j)-f(x-2h e_j)}{4h}

satisfy :math:`D_h=f'+\tfrac{h^2}{6}f'''+O(h^4)` and :math:`D_{2h}-D_h=\tfrac{h^2}{2}f'''+O(h^4)`, three times the
truncation error of :math:`D_h`.  **The bound** is

.. math::  |D_h-\partial_j f_i|\le 2\,|D_{2h}-D_h|_{ij}+\frac{4\delta_i}{h_j},\qquad
           \delta_i=8\gamma_D\bigl(\|f\|_\infty+\|D_h\|_\infty\|x\|_\infty\bigr)

The factor 2 (not 1/3) also covers a single kink of :math:`f'` within :math:`2h` of :math:`x` (a spline knot, where
the expansion above does not hold: then :math:`|e(h)|\le h|\Delta f''|/2` and
:math:`|D_{2h}-D_h|\ge h|\Delta f''|/4`); :math:`\delta_i` bounds the rounding of one evaluation of output :math:`i`
(Higham's :math:`\gamma_D`, normwise because a layer's rounding errors are relative to its intermediate values, and at
least the measured change of :math:`f` under a rounding-size move of :math:`x`), carried through the evaluations and
the divisions.  A third difference :math:`D_{4h}` tests that the step is in the asymptotic range
(:math:`|D_{4h}-D_{2h}|\ge2|D_{2h}-D_h|`, or rounding dominates); an entry outside it gets no bound at that step.

:func:`cross_check` compares an autograd Jacobian with these differences, refining the step by 16× where they
disagree (a ReLU kink or spline knot within the step averages two slopes; a smaller step sees the one autograd
reports), along every coordinate for small inputs and along random directions (:math:`Jv`) for large ones.
Evaluations run in float64 whatever the subject's dtype when the caller can give a float64 copy of the map (``fn``
receives the dtype of ``x``).

References: Nocedal & Wright, *Numerical Optimization*, 2nd ed., §8.1 (central differences, step
:math:`\varepsilon^{1/3}`); Richardson extrapolation as an error estimate: Dahlquist & Björck, *Numerical Methods in
Scientific Computing* I, §3.4.

>>> import torch
>>> x = torch.tensor([[0.3, -1.2]], dtype=torch.float64)
>>> fd = finite_difference_jacobian(lambda v: torch.sin(v) * v[:, :1], x)
>>> exact = torch.tensor([[[0.3 * 0.9553365 + 0.2955202, 0.0], [-0.9320391, 0.3 * 0.3623578]]], dtype=torch.float64)
>>> bool((fd.jacobian - exact).abs().max() < 1e-6), bool(fd.bound.max() < 1e-8)
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from kexue_verify.claims import Evidence, Outcome
from kexue_verify.tolerances import eps, tolerance

__all__ = ["FiniteDifferenceJacobian", "cross_check", "finite_difference_jacobian"]

Fn = Callable[[Tensor], Tensor]

#: The largest bound, relative to ‖|J|‖∞, with which a refined step may confirm an entry.
RESOLUTION = 1e-4


@dataclass(frozen=True)
class FiniteDifferenceJacobian:
    """Per-sample Jacobians ``(N, D_out, D_in)``, an entrywise error bound of the same shape, and the steps used."""

    jacobian: Tensor
    bound: Tensor
    steps: Tensor
    dtype: str

    @property
    def method(self) -> str:
        return f"central differences in {self.dtype}, steps h, 2h, 4h at two scales (Richardson error bound)"

    @property
    def resolved(self) -> Tensor:
        """Entries whose bound is finite (the step was in the asymptotic range at some level)."""
        return torch.isfinite(self.bound)


def _level(fn: Fn, x: Tensor, h: Tensor, chunk: int, directions: Tensor | None = None,
           noise: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    r"""``(D_h, bound, valid, asymmetry, rounding)`` along ``directions`` ``(N, K, D)`` (default: the coordinates) at
    steps ``h`` ``(N, K)``, from evaluations at ±h, ±2h, ±4h; each is ``(N, D_out, K)``.

    ``asymmetry`` is :math:`|S_{2h}-S_h|/h` with :math:`S_t=f(x+t)+f(x-t)`, the difference of the one-sided slopes
    on :math:`[h,2h]` and :math:`[-2h,-h]`; for a smooth map it is :math:`3h|f''|+O(h^3)` and shrinks with the step.
    The central differences see only the odd part of :math:`f` around :math:`x`; the asymmetry shows the even part.
    ``rounding`` is :math:`4\delta/h`, the rounding of one such difference quotient."""
    n = x.shape[0]
    flat = x.reshape(n, -1)
    if directions is None:
        directions = torch.eye(flat.shape[1], dtype=x.dtype, device=x.device).expand(n, -1, -1)
    d = directions.shape[1]
    rows = [(flat[:, None, :] + f * h[:, :, None] * directions).reshape(n * d, -1)
            for f in (1.0, -1.0, 2.0, -2.0, 4.0, -4.0)]
    points = torch.cat(rows).reshape(6 * n * d, *x.shape[1:])
    with torch.no_grad():
        out = torch.cat([fn(points[i:i + chunk]).reshape(min(chunk, points.shape[0] - i), -1)
                         for i in range(0, points.shape[0], chunk)])
    m = out.shape[-1]
    values = out.reshape(6, n, d, m)
    hh = h[:, :, None]
    d1, d2, d4 = (((values[2 * k] - values[2 * k + 1]) / (2 * 2**k * hh)).transpose(1, 2) for k in range(3))
    finite = torch.isfinite(values).all(dim=0).transpose(1, 2) & torch.isfinite(d1 + d2 + d4)
    safe = torch.where(torch.isfinite(values), values, torch.zeros_like(values))
    f_norm = safe.abs().amax(dim=(0, 2, 3))[:, None]  # (N, 1)
    j_norm = torch.where(finite, d1, torch.zeros_like(d1)).abs().sum(dim=-1).amax(dim=-1, keepdim=True)
    name = str(x.dtype).removeprefix("torch.")
    delta = tolerance(name, n=flat.shape[1]) * (f_norm + j_norm * flat.abs().amax(dim=1, keepdim=True))  # (N, 1)
    if noise is not None:  # the measured rounding noise of the map at x, when it exceeds the normwise estimate
        delta = torch.maximum(delta, noise.reshape(n, -1))
    rounding = 4 * delta[:, :, None] / h[:, None, :]
    e1, e2 = (d2 - d1).abs(), (d4 - d2).abs()
    # the error model holds where rounding dominates or the differences shrink at least like h (ratio ≥ 2 for a
    # kink, 4 for a smooth map); elsewhere the step is outside the asymptotic range and this level says nothing
    valid = finite & ((e1 <= rounding) | (e2 >= 2 * e1))
    bound = torch.where(valid, 2 * e1 + rounding, torch.full_like(e1, float("inf")))
    asymmetry = ((values[2] + values[3] - values[0] - values[1]) / hh).transpose(1, 2).abs()
    asymmetry = torch.where(finite, asymmetry, torch.full_like(asymmetry, float("inf")))
    return (torch.where(finite, d1, torch.full_like(d1, float("nan"))), bound, valid, asymmetry,
            rounding.expand_as(d1))


def finite_difference_jacobian(fn: Fn, x: Tensor, *, chunk: int = 4096, level: int = 0) -> FiniteDifferenceJacobian:
    """Central-difference Jacobians of the batch map ``fn`` at ``x`` ``(N, *shape)``, with an error bound.

    Steps :math:`h=\varepsilon^{1/3}\\max(1,|x_j|)/16^{\rm level}`; the differences at :math:`h, 2h, 4h` give the
    bound of the module docstring and a test that the step is in the asymptotic range
    (:math:`|D_{4h}-D_{2h}|\\ge2|D_{2h}-D_h|`, or rounding dominates).  An entry outside it (the map is not finite,
    or not smooth on the scale of the step) has bound ``inf``.  ``fn`` maps ``(M, *shape)`` to ``(M, ...)`` sample
    by sample and is only called forward, in the dtype of ``x``, on at most ``chunk`` rows at a time.
    """
    x = x.detach()
    n, d = x.shape[0], x[0].numel()
    name = str(x.dtype).removeprefix("torch.")
    flat = x.reshape(n, d)
    h = eps(name) ** (1 / 3) * flat.abs().clamp_min(1.0) / 16**level
    h = (flat + h) - flat  # exactly representable steps
    jac, bound, *_ = _level(fn, x, h, chunk)
    return FiniteDifferenceJacobian(jac, bound, h, name)


def _noise(fn: Fn, x: Tensor) -> Tensor:
    r"""Twice the largest change of each output of ``fn`` when ``x`` moves by :math:`4u\max(1,|x_j|)` (random
    signs), per sample and output.

    A move that small changes a smooth map by :math:`O(u|J||x|)`; anything beyond is the rounding noise of the map's
    own computation (cancellation between intermediate values larger than its inputs and outputs), which a
    difference quotient divides by :math:`h`.  Measured twice; the bound's :math:`\delta` is at least this.
    """
    n = x.shape[0]
    u = eps(str(x.dtype).removeprefix("torch.")) / 2
    gen = torch.Generator().manual_seed(n)
    flat = x.reshape(n, -1)
    moves = [torch.where(torch.rand(flat.shape, generator=gen) < 0.5, -1.0, 1.0).to(x) * 4 * u
             * flat.abs().clamp_min(1.0) for _ in range(2)]
    with torch.no_grad():
        base = fn(x).reshape(n, -1)
        changes = [(fn((flat + m).reshape(x.shape)).reshape(n, -1) - base).abs() for m in moves]
    noise = 2 * torch.stack(changes).amax(dim=0)  # per output: a steep output must not blur the others
    return torch.where(torch.isfinite(noise), noise, torch.zeros_like(noise)).to(torch.float64)


def cross_check(name: str, autograd_jacobian: Tensor, fn: Fn, x: Tensor, *, dtype: Any,
                labels: list[str] | None = None, levels: int = 6, directions: int = 8, seed: int = 0) -> Evidence:
    r"""Autograd against finite differences of the forward map ``fn`` at ``x`` (evaluated in the dtype of ``x``).

    An entry **agrees** if at some step level :math:`k` (steps :math:`h_0/16^k`, refined only for samples that
    still disagree) :math:`|J_{ad}-J_{fd,k}|\le B_k+8\gamma_D\||J|\|_\infty`, with :math:`B_k` the bound of
    :func:`finite_difference_jacobian` (finite only where the step is in its asymptotic range) and the second term the
    rounding of the autograd Jacobian in the subject's ``dtype``.  Refinement is what makes piecewise-smooth maps
    (ReLU conditioners, spline knots) checkable: a kink within :math:`h` of :math:`x` averages the two slopes at
    that step, and a smaller step sees the right one.  A refined step (``k ≥ 1``) is *sharp* only while its bound
    is below ``RESOLUTION`` (10⁻⁴) of its output's scale :math:`\max_k(|J||v_k|)_i`, and only sharp steps count,
    so the growing rounding of ever smaller steps never excuses a disagreement.

    An entry **fails** if the differences *settled* there — at two successive sharp levels they agree with each other
    within the sum of their bounds, so the estimate no longer moves with the step — and disagree with autograd, and it
    agreed at no level: the subject's backward does not compute the derivative of its forward, and any check that
    trusts the autograd Jacobian must not pass.  The asymptotic-range test of one level alone can be passed by a map
    whose higher derivatives are huge on the scale of the step (the inverse of a coupling flow far out, where
    ``∂x/∂y`` reaches 10⁹ and the differences settle only at steps of 10⁻¹⁰ of ``|y|``); there successive levels
    differ by more than their bounds, and the entry is unresolved, not a disagreement.  Unresolved entries are not
    compared (the fraction of resolved ones is recorded); when fewer than half are resolved the outcome is
    ``undecided``.

    For ``D_in ≤ directions`` every column of the Jacobian is differenced; above that, ``directions`` random Gaussian
    directions :math:`v` per sample (seeded by ``seed``, scaled to :math:`\|v\|_\infty=1`) and the products
    :math:`Jv` are compared — a wrong Jacobian gives a wrong :math:`Jv` for almost every :math:`v` (the idea of
    Freivalds' check), at ``directions`` instead of ``D_in`` differences per sample.
    """
    ad = autograd_jacobian.detach().to(torch.float64)
    n, d_in = ad.shape[0], ad.shape[-1]
    flat = x.detach().reshape(n, -1)
    cube_root = eps(str(x.dtype).removeprefix("torch.")) ** (1 / 3)
    if d_in <= directions:
        v = torch.eye(d_in, dtype=x.dtype, device=x.device).expand(n, -1, -1)
        base = cube_root * flat.abs().clamp_min(1.0)
    else:  # each coordinate moves relative to its own size: v_j = g_j max(1, |x_j|), ‖g‖∞ = 1
        gen = torch.Generator().manual_seed(seed % 2**63)
        g = torch.randn(n, directions, d_in, generator=gen, dtype=torch.float64).to(device=x.device, dtype=x.dtype)
        v = g / g.abs().amax(dim=-1, keepdim=True) * flat.abs().clamp_min(1.0)[:, None, :]
        base = torch.full((n, directions), cube_root, dtype=x.dtype, device=x.device)
    if not bool(torch.isfinite(ad).all()):
        s, i, j = (int(v) for v in torch.nonzero(~torch.isfinite(ad))[0])
        return Evidence(name=name, outcome=Outcome.FAIL, method="finite-value check", expected="a finite Jacobian",
                        counterexample={"sample": s, "kind": labels[s] if labels else None, "entry": [i, j],
                                        "autograd": str(float(ad[s, i, j]))},
                        note="autograd produced NaN/Inf at a finite input")
    per_output = (ad.abs() @ v.abs().to(torch.float64).transpose(1, 2)).amax(dim=2, keepdim=True)  # (|J||v_k|)_i
    row = per_output.amax(dim=(1, 2))  # max_k ‖|J||v_k|‖∞
    rounding = torch.tensor([tolerance(dtype, n=d_in, scale=float(r)) for r in row], dtype=torch.float64,
                            device=ad.device)[:, None, None]
    ad = ad @ v.to(torch.float64).transpose(1, 2)  # (N, D_out, K): J v
    noise = _noise(fn, x.detach())
    agree = torch.zeros_like(ad, dtype=torch.bool)
    resolved = torch.zeros_like(agree)
    disagrees = torch.zeros_like(agree)
    ratio = torch.full_like(ad, float("inf"))
    witness = torch.full_like(ad, float("nan"))
    previous = torch.full_like(ad, float("nan"))  # the last level's estimate and bound, per entry
    previous_bound = torch.full_like(ad, float("inf"))
    previous_sharp = torch.zeros_like(agree)
    previous_asymmetry = torch.full_like(ad, float("inf"))
    previous_rounding = torch.full_like(ad, float("inf"))
    settled_ratio = torch.zeros_like(ad)  # the disagreement at a settled level, and the estimate there
    settled_witness = torch.full_like(ad, float("nan"))
    todo = torch.arange(n, device=ad.device)
    steps = 0.0
    for level in range(levels):
        xs = x.detach()[todo]
        h = base[todo] / 16**level
        if d_in <= directions:  # exactly representable steps along the coordinates
            h = (xs.reshape(len(todo), -1) + h) - xs.reshape(len(todo), -1)
        jac_v, bound, _, asymmetry, fd_rounding = _level(fn, xs, h, 4096, v[todo], noise[todo])
        if jac_v.shape[1:] != ad.shape[1:]:
            return Evidence(name=name, outcome=Outcome.FAIL, method="central differences",
                            expected="Jacobians of the same shape",
                            counterexample={"autograd_shape": list(ad.shape), "finite_difference_shape": list(
                                jac_v.shape)})
        fdj = jac_v.to(device=ad.device, dtype=torch.float64)
        bound = bound.to(device=ad.device, dtype=torch.float64)
        ok_here = torch.isfinite(bound)
        err = torch.where(ok_here, (ad[todo] - fdj).abs(), torch.full_like(fdj, float("inf")))
        r = err / (bound + rounding[todo]).clamp_min(1e-300)
        better = r < ratio[todo]
        ratio[todo] = torch.where(better, r, ratio[todo])
        witness[todo] = torch.where(better, fdj, witness[todo])
        # a refined step only counts while its bound stays below 10⁻⁴ of the Jacobian's scale: rounding grows like
        # 1/h, and a loose bound must not rubber-stamp what the coarser steps disagreed with
        # (per output: an entry of a row whose scale is 1 is not confirmed by a bound of 10⁻⁴ of another row's 10⁶)
        sharp = ok_here if level == 0 else ok_here & (bound <= RESOLUTION * per_output[todo])
        agree[todo] |= sharp & (r <= 1)
        resolved[todo] |= ok_here
        # two successive sharp levels that agree with each other: the estimate has settled, and a disagreement with
        # autograd there is real (a loose level never confirms, a lone level never refutes)
        # and the even part with it: the one-sided slopes' difference shrinks at least 4× for the 16× smaller step
        # (16× for a smooth map); a map rough on the scale of the step can give steady central differences while
        # its one-sided slopes swing by orders of magnitude
        asymmetry = asymmetry.to(device=ad.device, dtype=torch.float64)
        fd_rounding = fd_rounding.to(device=ad.device, dtype=torch.float64)
        # and the estimate is sharp by its own measure too (its bound below RESOLUTION of the differences' own
        # scale): a map that jumps within the step (a near-vertical spline bin) gives differences that grow like 1/h
        # with bounds to match, which an inflated autograd Jacobian would otherwise call sharp
        trusted = sharp & (bound <= RESOLUTION * torch.where(ok_here, fdj, torch.zeros_like(fdj)).abs().amax(
            dim=(1, 2), keepdim=True))
        settled = trusted & previous_sharp[todo] & (
            (fdj - previous[todo]).abs() <= bound + previous_bound[todo] + rounding[todo]) & (
            asymmetry <= previous_asymmetry[todo] / 4 + 2 * fd_rounding + 2 * previous_rounding[todo])
        disagrees[todo] |= settled & (r > 1)
        larger = settled & (r > settled_ratio[todo])
        settled_ratio[todo] = torch.where(larger, r, settled_ratio[todo])
        settled_witness[todo] = torch.where(larger, fdj, settled_witness[todo])
        previous[todo] = torch.where(ok_here, fdj, previous[todo])
        previous_bound[todo] = torch.where(ok_here, bound, torch.full_like(bound, float("inf")))
        previous_sharp[todo] = trusted
        previous_asymmetry[todo] = asymmetry
        previous_rounding[todo] = fd_rounding
        steps = max(steps, float(h.max()))
        todo = todo[(resolved[todo] & ~agree[todo]).flatten(1).any(dim=1)]
        if todo.numel() == 0:
            break
    # an entry that neither agreed at a sharp level nor settled into a disagreement is one the differences could
    # not resolve here: not compared
    failing = disagrees & ~agree
    resolved = agree | failing
    fraction = float(resolved.to(torch.float64).mean())
    outcome = Outcome.FAIL if bool(failing.any()) else (Outcome.PASS if fraction >= 0.5 else Outcome.UNDECIDED)
    shown = torch.where(failing, settled_ratio, torch.where(agree, ratio, torch.zeros_like(ratio)))
    if bool(failing.any()):  # the counterexample is a failing entry, at the level where it settled
        shown = torch.where(failing, settled_ratio, torch.zeros_like(ratio))
        witness = settled_witness
    worst = int(torch.argmax(shown.reshape(-1)))
    s, i, j = (int(v) for v in torch.unravel_index(torch.tensor(worst), shown.shape))
    counterexample = None if outcome is not Outcome.FAIL else {
        "sample": s, "kind": labels[s] if labels else None, "output": i,
        ("input" if d_in <= directions else "random_direction"): j, "autograd": float(ad[s, i, j]),
        "finite_difference": float(witness[s, i, j]), "difference_over_bound": float(ratio[s, i, j]),
    }
    note = {Outcome.FAIL: "autograd disagrees with finite differences of the forward map at every step size: the "
                          "backward does not differentiate the forward (a wrong custom autograd.Function?), so the "
                          "autograd Jacobian is no ground truth",
            Outcome.UNDECIDED: "finite differences resolve fewer than half the entries here",
            Outcome.PASS: ""}[outcome]
    return Evidence(
        name=name, outcome=outcome,
        method=f"central differences in {str(x.dtype).removeprefix('torch.')} at steps h, 2h, 4h, refined by 16× "
               f"up to {levels} times, along " + ("every coordinate" if d_in <= directions else
                                                  f"{directions} random directions per sample (J v)")
               + f"; independent of the subject's backward; autograd in {dtype}",
        quantities={"max_difference_over_bound": float(shown.max()), "entries_resolved": fraction,
                    "max_step": steps},
        expected="|J_autograd − J_fd| ≤ 2|D_2h − D_h| + 4δ/h + 8γ_D‖|J|‖∞ at some step, per resolved entry",
        counterexample=counterexample,
        note=note,
    )
