"""The built-in flow layers and the Jacobian tools, against independent ground truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from kexue_verify import CheckContext
from kexue_verify_plugins.flows import buggy, layers, models, multiscale
from kexue_verify_plugins.flows.jacobian import (
    batch_jacobian,
    componentwise_condition,
    local_jacobian,
    naive_jacobian,
    slogdet64,
)
from kexue_verify_plugins.flows.protocol import as_flow_layer

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


CTX = CheckContext(case_id="test", seed=2024)
FACTORIES = sorted(name for name in dir(models) if name.startswith("make_"))


@pytest.mark.parametrize("factory", FACTORIES)
def test_every_factory_builds_a_flow_layer_that_round_trips(factory):
    model = getattr(models, factory)(CTX)
    flow = as_flow_layer(model, {"event_shape": (6,)} if factory == "make_torch_transform" else None)
    x = torch.randn(3, *flow.event_shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y, ld = flow.forward(x)
        back, ld_inv = flow.inverse(y)
    assert ld.shape == (3,)
    assert torch.allclose(back, x, atol=1e-10)
    assert torch.allclose(ld + ld_inv, torch.zeros(3, dtype=torch.float64), atol=1e-10)


def glow_squeeze2d_nhwc(x: np.ndarray) -> np.ndarray:
    """openai/glow tfops.squeeze2d, step by step in numpy on NHWC (reshape, transpose [0,1,3,5,2,4], reshape)."""
    n, h, w, c = x.shape
    x = x.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4)
    return x.reshape(n, h // 2, w // 2, 4 * c)


def test_squeeze_matches_openai_glow_squeeze2d():
    x = np.arange(2 * 3 * 4 * 6, dtype=np.float64).reshape(2, 3, 4, 6)  # NCHW
    ours, _ = layers.Squeeze((3, 4, 6))(torch.from_numpy(x))
    glow = glow_squeeze2d_nhwc(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(ours.numpy(), glow)


def test_squeeze_equals_pixel_unshuffle():
    x = torch.randn(2, 3, 4, 6, dtype=torch.float64)
    assert torch.equal(layers.Squeeze((3, 4, 6))(x)[0], torch.nn.functional.pixel_unshuffle(x, 2))


def test_squeeze_refuses_odd_height():
    with pytest.raises(ValueError, match="even height and width"):
        layers.Squeeze((3, 3, 6))(torch.zeros(1, 3, 3, 6))


def test_actnorm_ddi_normalises_the_initial_batch():
    layer = layers.ActNorm((2, 3, 3)).double()
    x = torch.tensor([4.0, -2.0], dtype=torch.float64).reshape(1, 2, 1, 1) + torch.tensor(
        [0.5, 3.0], dtype=torch.float64).reshape(1, 2, 1, 1) * torch.randn(64, 2, 3, 3, dtype=torch.float64)
    y, ld = layer(x)  # first call initialises
    assert torch.allclose(y.mean(dim=(0, 2, 3)), torch.zeros(2, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(y.std(dim=(0, 2, 3), unbiased=False), torch.ones(2, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(ld, 9 * layer.logs.detach().sum().expand(64))


def test_lu_conv_factors_reproduce_the_weight_and_its_logdet():
    with layers.seeded(3) as gen:
        layer = layers.InvConv1x1LU((5, 2, 2), gen).double()
    with torch.no_grad():
        p, lower, upper = layer.factors()
        w = layer.weight()
    assert torch.allclose(p @ lower @ upper, w)
    assert torch.allclose(torch.tril(lower, -1) + torch.eye(5, dtype=torch.float64), lower)
    assert torch.allclose(torch.linalg.slogdet(w)[1], layer.log_s.detach().sum())
    assert abs(float(torch.linalg.det(w).abs()) - 1) < 1e-12  # orthogonal initialisation


def test_doolittle_without_pivoting_breaks_on_the_swap_matrix_and_works_otherwise():
    lower, upper = buggy.doolittle_without_pivoting(torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64))
    assert not bool(torch.isfinite(lower).all())
    a = torch.tensor([[4.0, 3.0], [6.0, 3.0]], dtype=torch.float64)
    lower, upper = buggy.doolittle_without_pivoting(a)
    assert torch.allclose(lower @ upper, a)


def test_multiscale_glow_output_sizes_add_up():
    with layers.seeded(0) as gen:
        flow = multiscale.MultiScaleGlow((3, 32, 32), gen, levels=3, depth=1, hidden=2)
    assert flow.output_sizes() == [1536, 768, 768]


def test_split_prior_log_prior_is_the_gaussian_of_the_factored_half():
    layer = models.make_split_prior(CTX)
    x = torch.randn(2, 4, 4, 4, dtype=torch.float64)
    z1, z2 = layers.split_halves(x)
    mu, log_sigma = layer.mean_and_log_std(z1)
    by_hand = (-0.5 * ((z2 - mu) / log_sigma.exp()) ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(dim=(1, 2, 3))
    assert torch.allclose(layer.log_prior(x), by_hand)


@pytest.mark.parametrize("method", ["rev", "fwd", "loop"])
def test_batch_jacobian_methods_agree_with_a_known_jacobian(method):
    w = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, -1.0], [1.0, 0.0, 1.0]], dtype=torch.float64)
    x = torch.randn(4, 3, dtype=torch.float64)
    jac, used = batch_jacobian(lambda v: torch.tanh(v) @ w.T, x, method=method)
    expected = w.expand(4, 3, 3) * (1 - torch.tanh(x) ** 2).unsqueeze(1)
    assert torch.allclose(jac, expected)
    assert ("loop" in used) == (method == "loop")


def test_batch_jacobian_falls_back_to_the_loop_for_code_torch_func_cannot_transform():
    def data_dependent(v):
        return v * 2 if float(v.sum()) > -1e9 else v  # Python control flow on a value

    jac, used = batch_jacobian(data_dependent, torch.randn(2, 3, dtype=torch.float64))
    assert "autograd loop" in used
    assert "torch.func failed" in used
    assert torch.allclose(jac, 2 * torch.eye(3, dtype=torch.float64).expand(2, 3, 3))


def test_naive_jacobian_rows_subset():
    w = torch.randn(5, 5, dtype=torch.float64)
    jac = naive_jacobian(lambda v: v @ w.T, torch.randn(1, 5, dtype=torch.float64), rows=2)
    assert jac.shape == (1, 2, 5)
    assert torch.allclose(jac[0], w[:2])


def test_componentwise_condition_is_d_for_triangular_and_infinite_for_singular():
    tri = torch.tril(torch.randn(6, 6, dtype=torch.float64)) + 3 * torch.eye(6, dtype=torch.float64)
    assert abs(float(componentwise_condition(tri)) - 6) < 1e-9
    assert math.isinf(float(componentwise_condition(torch.zeros(1, 3, 3, dtype=torch.float64))[0]))


def test_slogdet64_promotes_float32():
    sign, logabs = slogdet64(torch.eye(3, dtype=torch.float32) * 2)
    assert logabs.dtype == torch.float64
    assert abs(float(logabs) - 3 * math.log(2)) < 1e-15
    assert float(sign) == 1


def test_local_jacobian_is_exact_for_a_glow_step_and_wrong_when_the_radius_is_too_small():
    with layers.seeded(5) as gen:
        step = layers.finish_layer(multiscale.GlowStep((3, 6, 6), gen, hidden=8), gen)
    x = torch.randn(1, 3, 6, 6, dtype=torch.float64)
    full, _ = batch_jacobian(lambda v: step(v)[0], x)
    assert torch.equal(local_jacobian(lambda v: step(v)[0], x, radius=2), full[0])
    assert float((local_jacobian(lambda v: step(v)[0], x, radius=1) - full[0]).abs().max()) > 1e-3
