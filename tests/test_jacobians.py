"""kexue_verify.jacobians: central differences with a derived bound, and the cross-check of autograd against them."""

from __future__ import annotations

import pytest
import torch

from kexue_verify import Outcome
from kexue_verify.jacobians import cross_check, finite_difference_jacobian


def _smooth(x: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.sin(x[:, 0]) * x[:, 1], torch.exp(0.3 * x[:, 1]) + x[:, 0] ** 3], dim=1)


def _exact(x: torch.Tensor) -> torch.Tensor:
    a, b = x[:, 0], x[:, 1]
    return torch.stack([torch.stack([torch.cos(a) * b, torch.sin(a)], -1),
                        torch.stack([3 * a**2, 0.3 * torch.exp(0.3 * b)], -1)], dim=1)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 50.0])
def test_the_bound_covers_the_true_error_of_the_differences(scale):
    x = scale * torch.randn(6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    fd = finite_difference_jacobian(_smooth, x)
    err = (fd.jacobian - _exact(x)).abs()
    assert bool((err <= fd.bound).all())
    assert float(fd.bound.max()) < 1e-5 * max(1.0, float(_exact(x).abs().max()))


def test_autograd_agrees_with_differences_on_a_correct_map():
    x = torch.randn(4, 2, dtype=torch.float64)
    jac = torch.func.vmap(torch.func.jacrev(lambda v: _smooth(v[None])[0]))(x)
    assert cross_check("ok", jac, _smooth, x, dtype="float64").outcome is Outcome.PASS


def test_a_wrong_jacobian_is_a_finding_named_as_such():
    x = torch.randn(4, 2, dtype=torch.float64)
    wrong = _exact(x)
    wrong[:, 1, 0] *= 1.001  # 0.1 % off in one entry
    evidence = cross_check("wrong", wrong, _smooth, x, dtype="float64")
    assert evidence.outcome is Outcome.FAIL
    assert "autograd disagrees with finite differences" in evidence.note
    assert evidence.counterexample["output"] == 1
    assert evidence.counterexample["input"] == 0


@pytest.mark.parametrize("d", [3, 40])
def test_a_kinked_map_is_not_a_false_alarm(d):
    """ReLU kinks a few steps away: the refined steps see the one-sided slope autograd reports."""
    w = torch.randn(d, d, dtype=torch.float64, generator=torch.Generator().manual_seed(2))

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x @ w.T) - 0.5 * x

    x = torch.randn(8, d, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    x[0] = torch.linalg.solve(w, torch.full((d,), 1e-7, dtype=torch.float64))  # every unit 1e-7 from its kink
    jac = torch.func.vmap(torch.func.jacrev(lambda v: f(v[None])[0]))(x)
    assert cross_check("kinks", jac, f, x, dtype="float64").outcome is Outcome.PASS
    jac[:, 0, :] *= 1.05
    assert cross_check("kinks", jac, f, x, dtype="float64").outcome is Outcome.FAIL


def test_random_directions_catch_a_wrong_column_of_a_large_jacobian():
    d = 30
    w = torch.randn(d, d, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    x = torch.randn(3, d, dtype=torch.float64)
    jac = (torch.cos(x)[:, :, None] * w[None])  # J of sin(x) @ w.T is w * cos(x) per column... transpose below
    jac = w[None] * torch.cos(x)[:, None, :]

    def f(v: torch.Tensor) -> torch.Tensor:
        return torch.sin(v) @ w.T

    assert cross_check("ok", jac, f, x, dtype="float64", directions=6).outcome is Outcome.PASS
    jac[:, :, 7] = 0.0
    assert cross_check("bad", jac, f, x, dtype="float64", directions=6).outcome is Outcome.FAIL


def test_a_map_rough_on_the_scale_of_the_step_is_not_a_false_alarm():
    """A steep odd feature of width 10⁻⁸ at the point (as the inverse of a coupling flow far out, or a near-vertical
    spline bin): autograd's slope 10⁶ is right, the differences at steps of 10⁻²…10⁻⁵ see 1 + a/h with bounds to
    match, and only far smaller steps resolve it. Settled differences are required to refute, so this is unresolved,
    never a failure; a wrong slope in a smooth entry is still refuted where the map is smooth. (Next to the steep
    feature a 1 % error in the other output goes unresolved, not refuted: the rounding bound is normwise per sample,
    so the steep output's scale loosens the other's — a known limit, docs/topics/flows.md.)"""
    a, w = 1e-2, 1e-8

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x[:, 0] + a * torch.tanh((x[:, 0] - 0.5) / w), torch.sin(x[:, 1]) * x[:, 0]], dim=1)

    x = torch.tensor([[0.5, 0.3], [0.5, -1.1]], dtype=torch.float64)
    jac = torch.func.vmap(torch.func.jacrev(lambda v: f(v[None])[0]))(x)
    assert float(jac[0, 0, 0]) > 1e6
    assert cross_check("rough", jac, f, x, dtype="float64").outcome is not Outcome.FAIL
    away = torch.tensor([[0.7, 0.3], [0.2, -1.1]], dtype=torch.float64)
    wrong = torch.func.vmap(torch.func.jacrev(lambda v: f(v[None])[0]))(away)
    wrong[:, 1, 1] *= 1.01
    assert cross_check("wrong", wrong, f, away, dtype="float64").outcome is Outcome.FAIL
