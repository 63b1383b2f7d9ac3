"""The reference side's own rounding, estimated by precision scaling (``flows.reference.autograd_entry_error``).

A correct rational-quadratic coupling far out has a spline slope of 10⁻⁹ whose autograd derivative is formed by
cancellation: the float64 reference log-det is off by 3·10⁻¹¹, far above the entrywise κ bound.  The estimate must
see that (no false refutation), stay tiny where nothing cancels, and never let a wrong log-det through.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from kexue_verify import CheckContext, Outcome
from kexue_verify_plugins.flows import layers
from kexue_verify_plugins.flows.checks import directions
from kexue_verify_plugins.flows.checks.common import prepare
from kexue_verify_plugins.flows.checks.directions import directions_check
from kexue_verify_plugins.flows.checks.logdet import logdet_check, reference_rounding
from kexue_verify_plugins.flows.jacobian import batch_jacobian, reference_logdet
from kexue_verify_plugins.flows.probing import probe
from kexue_verify_plugins.flows.protocol import as_flow_layer
from kexue_verify_plugins.flows.reference import autograd_entry_error

D = 4


def _nflows_spline(seed: int) -> nn.Module:
    """The study's nflows rational-quadratic coupling stack (benchmarks/flows_false_refutations.py) at ``seed``."""
    pytest.importorskip("nflows")
    from nflows import transforms
    from nflows.nn.nets import ResidualNet

    mask = torch.tensor([1, 0, 1, 0])

    def net(i: int, o: int) -> nn.Module:
        return ResidualNet(i, o, hidden_features=16, num_blocks=2)

    torch.manual_seed(seed)
    stack = transforms.CompositeTransform([
        transforms.PiecewiseRationalQuadraticCouplingTransform(mask, net, num_bins=8, tails="linear", tail_bound=3.0),
        transforms.ReversePermutation(D),
        transforms.PiecewiseRationalQuadraticCouplingTransform(mask, net, num_bins=8, tails="linear", tail_bound=3.0)])
    with layers.seeded(seed + 1_000_003) as gen:
        return layers.perturb_(stack.double(), gen, 0.3)


def _ctx(model: nn.Module, dtype: str = "float64", seed: int = 1) -> CheckContext:
    return CheckContext(case_id="rounding", seed=seed, dtype=dtype).with_model(model, "m", {"event_shape": (D,)})


def test_the_estimate_covers_the_cancellation_in_a_spline_derivative():
    ctx = _ctx(_nflows_spline(1))
    flow = prepare(ctx)  # as the log-det check sees it
    x, _ = probe(flow, ctx, None)
    jac, _ = batch_jacobian(lambda t: flow.forward(t)[0], x)
    with torch.no_grad():
        _, ld = flow.forward(x)
    _, truth, _, _ = reference_logdet(jac)
    error = (ld - truth).abs()
    worst = int(error.argmax())  # a point with a flat slope far out (the conditioning half at ±1000)
    estimate = reference_rounding(flow, x, jac, ctx)
    assert float(error[worst]) > 1e-12, "the reference is visibly off here (otherwise this test tests nothing)"
    assert float(estimate[worst]) >= float(error[worst])
    assert float((estimate / truth.abs().clamp_min(1.0)).max()) < 1e-8  # an estimate of rounding, not a licence


def test_the_estimate_is_rounding_sized_where_nothing_cancels():
    torch.manual_seed(0)
    layer = layers.AffineCoupling((D,), hidden=16, scale="exp").double()
    with layers.seeded(3) as gen:
        layers.perturb_(layer, gen, 0.3)
    flow = as_flow_layer(layer, {}).eval()
    x = torch.randn(6, D, dtype=torch.float64)
    jac, _ = batch_jacobian(lambda t: flow.forward(t)[0], x)
    entry = autograd_entry_error(flow, x, jac, _ctx(layer))
    assert bool(torch.isfinite(entry).all())
    assert float((entry / jac.abs().clamp_min(1.0)).max()) < 1e-13


def test_there_is_no_estimate_in_a_float32_run():
    model = _nflows_spline(1).float()
    flow = as_flow_layer(model, {"event_shape": (D,)}).eval()
    x = torch.full((2, D), -100.0)
    jac, _ = batch_jacobian(lambda t: flow.forward(t)[0], x)
    assert float(autograd_entry_error(flow, x, jac, _ctx(model, "float32")).abs().max()) == 0.0


@pytest.mark.parametrize("seed", [1, 8, 14])
def test_the_correct_spline_stack_passes_the_log_det_check_where_it_was_refuted(seed):
    model = _nflows_spline(seed)
    evidence = logdet_check(_ctx(model, seed=seed), None)
    assert Outcome.FAIL not in {e.outcome for e in evidence}, [e.name for e in evidence if e.outcome is Outcome.FAIL]


class _SlightlyWrongLogDet(nn.Module):
    """The spline stack with its log-det off by a relative 10⁻⁹: a wrong constant far below any real bug's size."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor, context: object = None) -> tuple[torch.Tensor, torch.Tensor]:
        y, ld = self.inner(x, context=context)
        return y, ld * (1 + 1e-9) + 1e-9

    def inverse(self, y: torch.Tensor, context: object = None) -> tuple[torch.Tensor, torch.Tensor]:
        x, ld = self.inner.inverse(y, context=context)
        return x, ld


def test_a_log_det_wrong_by_one_part_in_a_billion_is_still_refuted():
    pytest.importorskip("nflows")
    from nflows.transforms import Transform

    class Wrapped(_SlightlyWrongLogDet, Transform):
        pass

    model = Wrapped(_nflows_spline(1))
    evidence = logdet_check(_ctx(model), None)
    assert any(e.outcome is Outcome.FAIL and e.name.startswith("forward log-det") for e in evidence)


def _normflows_spline(seed: int) -> nn.Module:
    """The study's normflows rational-quadratic coupling at ``seed``."""
    nf = pytest.importorskip("normflows")
    torch.manual_seed(seed)
    layer = nf.flows.CoupledRationalQuadraticSpline(D, 2, 16)
    with layers.seeded(seed + 1_000_003) as gen:
        return layers.perturb_(layer.double(), gen, 0.3)


def test_the_correct_normflows_spline_agrees_with_its_inverse_where_it_was_refuted():
    """Seed 17: at an inverse slope of 1768 the inverse's ∂x₃/∂y₂ = 2.1e-3 comes out of reverse mode 3e-13 off
    (0.77 u times its row's largest entry); the entrywise bound allowed 2e-13."""
    model = _normflows_spline(17)
    evidence = directions_check(_ctx(model, seed=17), None)
    product = next(e for e in evidence if e.name.startswith("J_f⁻¹(y) · J_f(x̂) = I"))
    assert product.outcome is Outcome.PASS, product.counterexample
    assert product.quantities["max_error"] > 1e-13  # the cancellation is there (otherwise this tests nothing)


def _product_of(a: torch.Tensor, b: torch.Tensor) -> Outcome:
    zero = torch.zeros_like(b)
    return directions._product(a, b, b, a, lambda: (b, zero, zero), ["k"] * len(a), _ctx(nn.Identity())).outcome


def test_the_rowwise_allowance_is_rounding_of_the_row_not_a_licence():
    """J_f = [[1, 0], [1.2e-6, 5.66e-4]] (a flat spline slope beside a conditioner derivative): the inverse's
    off-diagonal may be off by a few u·1768, never by 10⁻⁸ (a relative 5·10⁻⁶)."""
    b = torch.tensor([[[1.0, 0.0], [1.2e-6, 5.66e-4]]], dtype=torch.float64)
    a = torch.linalg.inv(b)
    for off, outcome in [(3e-13, Outcome.PASS), (1e-8, Outcome.FAIL), (1e-10, Outcome.FAIL)]:
        moved = a.clone()
        moved[0, 1, 0] += off
        assert _product_of(moved, b) is outcome, off
