"""Operator norms, the Lipschitz sandwich and the built-in models, each against an independent ground truth.

Ground truths: the SVD of the explicit matrix of a layer (built column by column from ``nn.Conv2d``
itself), the autograd Jacobian (``torch.autograd.functional.jacobian``) with ``svdvals``, and pair
ratios evaluated directly.
"""

from __future__ import annotations

import math

import pytest
import sympy as sp
import torch
from torch import nn

from kexue_verify import CheckContext
from kexue_verify_plugins.lipschitz import bounds, models, norms
from kexue_verify_plugins.lipschitz.quantities import (
    EXACT_MATRICES,
    decide_exact,
    decide_float,
    exact_quantities,
    float_quantities,
    parse_relation,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _explicit_norm(layer: nn.Module, shape: tuple[int, ...]) -> float:
    with torch.no_grad():
        return float(torch.linalg.matrix_norm(norms.conv_explicit_matrix(layer, shape), ord=2))


def _conv(c_in: int, c_out: int, k: int, *, seed: int, **kwargs) -> nn.Conv2d:
    layer = nn.Conv2d(c_in, c_out, k, bias=False, **kwargs).double()
    with torch.no_grad():
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=_gen(seed), dtype=torch.float64))
    return layer


CIRCULAR = [  # (c_in, c_out, k, n, padding, dilation, groups)
    (1, 1, 3, 5, 1, 1, 1),
    (2, 3, 3, 6, 1, 1, 1),
    (3, 2, 5, 7, 2, 1, 1),
    (4, 4, 3, 8, 2, 2, 1),
    (4, 6, 3, 6, 1, 1, 2),
]


@pytest.mark.parametrize(("c_in", "c_out", "k", "n", "padding", "dilation", "groups"), CIRCULAR)
def test_fft_norm_of_a_circular_conv_equals_the_svd_of_its_matrix(c_in, c_out, k, n, padding, dilation, groups):
    layer = _conv(c_in, c_out, k, seed=n, padding=padding, padding_mode="circular", dilation=dilation,
                  groups=groups)
    result = norms.conv_operator_norm(layer.weight.detach(), (n, n), padding=padding, padding_mode="circular",
                                      dilation=dilation, groups=groups)
    assert result.exact
    assert float(result.value) == pytest.approx(_explicit_norm(layer, (c_in, n, n)), rel=1e-12)


def test_fft_gives_every_singular_value_not_only_the_largest():
    layer = _conv(2, 3, 3, seed=1, padding=1, padding_mode="circular")
    spectrum = norms.conv_singular_values(layer.weight.detach(), (5, 5)).flatten().sort().values
    with torch.no_grad():
        explicit = torch.linalg.svdvals(norms.conv_explicit_matrix(layer, (2, 5, 5))).sort().values
    assert torch.allclose(spectrum, explicit[-spectrum.numel():], rtol=1e-10, atol=1e-10)


BOUNDED = [  # (c_in, c_out, k, n, padding, padding_mode, stride)
    (2, 3, 3, 6, 1, "zeros", 1),
    (3, 2, 3, 7, 0, "zeros", 2),
    (2, 2, 5, 6, 2, "zeros", 1),
    (2, 3, 3, 6, 0, "circular", 1),
    (2, 3, 3, 8, 1, "circular", 2),
]


@pytest.mark.parametrize(("c_in", "c_out", "k", "n", "padding", "padding_mode", "stride"), BOUNDED)
def test_certified_conv_bound_is_above_the_svd_of_its_matrix(c_in, c_out, k, n, padding, padding_mode, stride):
    layer = _conv(c_in, c_out, k, seed=k + n, padding=padding, padding_mode=padding_mode, stride=stride)
    result = norms.conv_operator_norm(layer.weight.detach(), (n, n), padding=padding, padding_mode=padding_mode,
                                      stride=stride)
    assert not result.exact
    assert _explicit_norm(layer, (c_in, n, n)) <= float(result.value) * (1 + 1e-12)


def test_reflect_padding_gets_no_certificate():
    with pytest.raises(ValueError, match="no certified bound"):
        norms.conv_operator_norm(torch.ones(1, 1, 3, 3), (5, 5), padding=1, padding_mode="reflect")


@pytest.mark.parametrize("seed", range(4))
def test_reshaped_norm_sandwiches_the_circular_operator_norm(seed):
    weight = torch.randn(3, 2, 3, 3, generator=_gen(seed), dtype=torch.float64)
    if seed % 2:
        weight = weight.abs()
    reshaped = float(norms.reshaped_kernel_norm(weight))
    operator = float(norms.conv_operator_norm(weight, (8, 8), padding=1, padding_mode="circular").value)
    assert reshaped <= operator * (1 + 1e-12)
    assert operator <= 3 * reshaped * (1 + 1e-12)


def test_the_kernel_of_thirds_attains_the_upper_bound():
    weight = torch.full((1, 1, 3, 3), 1 / 3, dtype=torch.float64)
    assert float(norms.reshaped_kernel_norm(weight)) == pytest.approx(1.0, abs=1e-15)
    value = norms.conv_operator_norm(weight, (8, 8), padding=1, padding_mode="circular").value
    assert float(value) == pytest.approx(3.0, abs=1e-14)


def test_power_iteration_stalls_on_the_posts_counterexample_and_converges_elsewhere():
    w = torch.tensor([[2.0, -1.0], [-1.0, 2.0]], dtype=torch.float64)
    stalled = norms.power_iteration(w, 10).estimates
    assert float((stalled - 1).abs().max()) <= 4 * torch.finfo(torch.float64).eps  # 1, up to normalising by √2
    start = torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert float(norms.power_iteration(w, 60, start).value) == pytest.approx(3.0, rel=1e-14)


@pytest.mark.parametrize("seed", range(3))
def test_power_iteration_estimates_never_exceed_the_spectral_norm(seed):
    w = torch.randn(12, 7, generator=_gen(seed), dtype=torch.float64)
    trace = norms.power_iteration(w, 30, torch.randn(12, generator=_gen(seed + 10), dtype=torch.float64))
    sigma = float(norms.spectral_norm(w))
    assert bool((trace.estimates <= sigma * (1 + 1e-14)).all())
    assert float(trace.estimates[-1]) > float(trace.estimates[0]) - 1e-14


def test_operator_power_iteration_on_a_conv_reaches_the_fft_norm():
    weight = torch.randn(2, 2, 3, 3, generator=_gen(3), dtype=torch.float64)
    x0 = torch.randn(1, 2, 6, 6, generator=_gen(4), dtype=torch.float64)
    trace = norms.operator_power_iteration(norms.circular_conv(weight, 1), x0, 300).estimates
    exact = float(norms.conv_operator_norm(weight, (6, 6), padding=1, padding_mode="circular").value)
    assert bool((trace <= exact * (1 + 1e-12)).all())
    assert bool((trace[1:] >= trace[:-1] * (1 - 1e-12)).all())  # Rayleigh quotients of AᵀA never decrease
    assert exact - float(trace[-1]) < (exact - float(trace[29])) / 10


def test_keras_port_under_estimates_and_converges_with_more_iterations():
    kernel = torch.randn(3, 3, 4, 8, generator=_gen(5), dtype=torch.float64)
    sigma = float(norms.spectral_norm(kernel.reshape(-1, 8)))
    assert float(norms.keras_spectral_norm(kernel, 5)) <= sigma * (1 + 1e-14)
    assert float(norms.keras_spectral_norm(kernel, 500)) == pytest.approx(sigma, rel=1e-10)


def _mlp(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 6), nn.Sigmoid(), nn.Linear(6, 3)).double()


def test_certificate_is_the_product_of_layer_norms():
    model = _mlp(0)
    cert = bounds.certified_upper_bound(model, (5,))
    product = 0.25
    for layer in model:
        if isinstance(layer, nn.Linear):
            product *= float(torch.linalg.matrix_norm(layer.weight.detach(), ord=2))
    assert cert.value == pytest.approx(product, rel=1e-14)
    assert [f.kind for f in cert.factors] == ["Linear", "Tanh", "Linear", "Sigmoid", "Linear"]


def test_certificate_follows_shapes_through_strided_convolutions():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, stride=2), nn.ReLU(),
                          nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"), nn.Flatten(),
                          nn.Linear(32, 3)).double()
    cert = bounds.certified_upper_bound(model, (1, 8, 8))
    assert cert.unsupported == ()
    circ = next(f for f in cert.factors if f.path == "2")
    assert circ.exact
    assert "4×4" in circ.method
    assert bool(cert.value > 0)


def test_unknown_modules_get_no_certificate_and_are_named():
    model = nn.Sequential(nn.Linear(4, 4), models.Swish(), nn.GELU()).double()
    cert = bounds.certified_upper_bound(model, (4,))
    assert cert.value is None
    assert cert.unsupported == ("1 (Swish)", "2 (GELU)")


class _SkipSequential(nn.Sequential):
    def forward(self, x):
        return x + super().forward(x)


class _ScaledLinear(nn.Linear):
    def forward(self, x):
        return 10 * super().forward(x)


@pytest.mark.parametrize("module", [_SkipSequential(nn.Linear(4, 4)), nn.Sequential(_ScaledLinear(4, 4))],
                         ids=["sequential-with-skip", "linear-with-own-forward"])
def test_subclasses_that_override_forward_get_no_certificate(module):
    cert = bounds.certified_upper_bound(module.double(), (4,))
    assert cert.value is None
    assert cert.unsupported


def test_residual_adds_one_and_batchnorm_uses_the_running_variance():
    inner = nn.Linear(3, 3).double()
    with torch.no_grad():
        inner.weight.copy_(0.5 * torch.eye(3, dtype=torch.float64))
    bn = nn.BatchNorm1d(3).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, -3.0, 0.5], dtype=torch.float64))
        bn.running_var.copy_(torch.tensor([4.0, 9.0, 0.25], dtype=torch.float64))
    cert = bounds.certified_upper_bound(nn.Sequential(bounds.Residual(inner), bn), (3,))
    assert cert.value == pytest.approx(1.5 * max(1 / math.sqrt(4 + 1e-5), 3 / math.sqrt(9 + 1e-5),
                                                 0.5 / math.sqrt(0.25 + 1e-5)), rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_jacobian_norm_by_power_iteration_matches_the_autograd_jacobian(seed):
    model = _mlp(seed)
    x = torch.randn(4, 5, generator=_gen(seed), dtype=torch.float64)
    gains, _ = bounds.jacobian_spectral_norm(model, x, 200, generator=_gen(seed + 1))
    for i in range(4):
        jac = torch.autograd.functional.jacobian(model, x[i])
        assert float(gains[i]) == pytest.approx(float(torch.linalg.svdvals(jac)[0]), rel=1e-8)


@pytest.mark.parametrize("seed", range(3))
def test_the_sandwich_holds_and_its_witness_is_a_real_pair(seed):
    model = _mlp(seed)
    s = bounds.sandwich(model, (5,), generator=_gen(seed))
    assert s.lower.value <= s.upper * (1 + 1e-12)
    x1, x2 = s.lower.witness
    assert float(bounds.pair_ratio(model, x1.unsqueeze(0), x2.unsqueeze(0))[0]) == pytest.approx(
        s.lower.witness_ratio, rel=1e-9)


def test_a_linear_layer_is_pinned_down_exactly():
    layer = nn.Sequential(nn.Linear(6, 4)).double()
    s = bounds.sandwich(layer, (6,), generator=_gen(0))
    assert s.lower.value == pytest.approx(s.upper, rel=1e-9)
    assert s.gap == pytest.approx(1.0, rel=1e-9)


def test_search_beats_random_sampling_on_the_posts_conv_net_at_equal_budget():
    model = models.make_reshaped_sn_convnet(CheckContext(case_id="t", seed=0))
    found = bounds.empirical_lower_bound(model, (1, 8, 8), generator=_gen(0))
    budget = found.evaluations * 8
    baseline = bounds.random_search_lower_bound(model, (1, 8, 8), points=budget // 21, generator=_gen(0))
    assert found.value > baseline


@pytest.mark.parametrize("name", sorted(models.factory_names()))
def test_model_factories_declare_their_bound_and_are_reproducible(name):
    factory = models.factory_names()[name]
    ctx = CheckContext(case_id="t", seed=7)
    a, b = factory(ctx), factory(ctx)
    assert set(a.kexue_declared) == {"lipschitz_bound", "input_shape"}
    x = torch.randn(2, *a.kexue_declared["input_shape"], generator=_gen(1), dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))


def test_converged_torch_spectral_norm_has_unit_norm():
    layer = nn.utils.parametrizations.spectral_norm(nn.Linear(20, 9)).double()
    models.converge_spectral_norm(layer, torch.zeros(1, 20, dtype=torch.float64))
    assert float(norms.spectral_norm(layer.weight.detach())) == pytest.approx(1.0, abs=1e-13)


@pytest.mark.parametrize(("text", "name", "expected"), [
    ("Eq(spec, rho)", "nilpotent [[0,1],[0,0]]", False),
    ("Eq(spec, rho)", "symmetric [[2,-1],[-1,2]]", True),
    ("Eq(spec, rho)", "rotation [[0,-1],[1,0]]", True),
    ("rho <= spec", "generic [[1,2],[3,4]]", True),
    ("Eq(spec, sqrt(lmax))", "shear [[1,1],[0,1]]", True),
    ("fro <= sqrt(rank)*spec", "ones 2×3", True),
    ("Eq(fro, spec)", "rank-one 3×2 [[1,2],[2,4],[3,6]]", True),
    ("Eq(fro, spec)", "diagonal [[3,0],[0,1]]", False),
])
def test_exact_relations_on_the_exact_matrices(text, name, expected):
    matrix, _ = EXACT_MATRICES[name]
    assert decide_exact(parse_relation(text), exact_quantities(matrix)).holds is expected


@pytest.mark.parametrize(("number", "sign"), [
    (sp.sqrt(2) * sp.sqrt(3) - sp.sqrt(6), 0),  # 0, though not written as 0: simplified, since its value is ~0
    ((1 + sp.sqrt(5)) / 2 - sp.Rational(1618033988749895, 10**15), -1),  # -1.5e-16: read from its 60 digits
    (sp.Rational(1, 10**50), 1),  # below 1e-45, but an exact rational: not 0
    (sp.Integer(-1) / 10**44, -1),
])
def test_the_sign_of_an_exact_difference(number, sign):
    from kexue_verify_plugins.lipschitz.quantities import _sign_exact

    assert _sign_exact(number) == sign


def test_the_exact_spectral_norm_of_the_shear_is_the_golden_ratio():
    spec = exact_quantities(EXACT_MATRICES["shear [[1,1],[0,1]]"][0])["spec"]
    assert sp.simplify(spec - (1 + sp.sqrt(5)) / 2) == 0


def test_float_relations_use_the_tolerance():
    w = torch.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    values = float_quantities(w)
    assert decide_float(parse_relation("rho <= spec"), values, 1e-12).holds is True
    assert decide_float(parse_relation("Eq(spec, rho)"), values, 1e-12).holds is False
    assert decide_float(parse_relation("Eq(spec, fro)"), values, 1e-12).holds is True


def test_a_relation_that_evaluates_to_true_stays_a_relation():
    assert parse_relation("Eq(spec, spec)").rel_op == "=="
    with pytest.raises(ValueError, match="not a relation"):
        parse_relation("spec + fro")
