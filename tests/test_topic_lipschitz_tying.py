"""Weight tying and far-away steep regions: the Lipschitz certificate follows the computation performed.

Both weight-tied networks below were *verified* against a declared bound they do not have while the
certificate walked ``named_children()`` (which lists a module once however often the forward calls it)
and the lower-bound search started only near the origin:

* ``tied-sequential`` — ``x + W relu(Wx + b) + b`` with one ``Linear`` listed twice in a Sequential,
  ``‖W‖₂ = 2`` and ``b = −40``: the steep region (both ReLUs active) lies at ``‖x‖ ≳ 60``; the constant
  is ``≈ 1 + 4 = 5``, the once-counted certificate said 3.  Now: certified 5, refuted by a pair.
* ``tied-by-hook`` — ``W tanh(Wx + b) + b`` where the second ``W`` is applied by a forward hook on the Tanh:
  the module structure does not show the second call at all.  Now: no certificate (inconclusive).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from kexue_verify import ModelSpec, Verdict
from kexue_verify.testing import run_claim
from kexue_verify_plugins.lipschitz import bounds
from kexue_verify_plugins.lipschitz.bounds import Residual

pytestmark = pytest.mark.slow


def _orthogonal_linear(n: int, seed: int, norm: float) -> nn.Linear:
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    layer = nn.Linear(n, n).double()
    with torch.no_grad():
        layer.weight.copy_(norm * q)
        layer.bias.zero_()
    return layer


def make_tied_sequential(ctx: Any) -> nn.Module:
    layer = _orthogonal_linear(8, 1, 2.0)
    with torch.no_grad():
        layer.bias.fill_(-40.0)
    return nn.Sequential(Residual(nn.Sequential(layer, nn.ReLU(), layer)))


def make_tied_by_hook(ctx: Any) -> nn.Module:
    layer = _orthogonal_linear(8, 2, 0.9)
    act = nn.Tanh()
    act.register_forward_hook(lambda module, args, out: layer(out))
    return nn.Sequential(layer, act)


def make_tied_counted(ctx: Any) -> nn.Module:
    """``W tanh(W x)`` with ``‖W‖₂ = 1``: tied, and 1-Lipschitz as declared (the tie counted twice is 1·1)."""
    layer = _orthogonal_linear(8, 3, 1.0)
    return nn.Sequential(layer, nn.Tanh(), layer)


def _spec(name: str, factory: Any, bound: float) -> ModelSpec:
    return ModelSpec(name=name, kind="lipschitz-net", factory=factory,
                     declared={"lipschitz_bound": bound, "input_shape": (8,)})


def test_a_module_listed_twice_counts_twice_and_the_far_region_is_found() -> None:
    result = run_claim("lipschitz.declared-bound", model=_spec("tied-sequential", make_tied_sequential, 3.0))
    assert result.verdict is Verdict.REFUTED, result.message
    (upper, lower, _) = result.parts["numeric"].evidence
    assert upper.quantities["certified_upper"] == pytest.approx(5.0, rel=1e-12)  # 1 + 2·2, not 1 + 2
    assert lower.quantities["empirical_lower"] > 3.0
    assert lower.quantities["scale_of_best"] >= 10.0  # found away from the unit ball
    x1 = torch.tensor(lower.counterexample["x1"], dtype=torch.float64)
    assert float(x1.norm()) > 20.0


def test_a_module_called_by_a_hook_gets_no_certificate() -> None:
    result = run_claim("lipschitz.declared-bound", model=_spec("tied-by-hook", make_tied_by_hook, 0.9))
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "forward hooks" in result.message


def test_a_tie_counted_twice_still_verifies_a_true_bound() -> None:
    result = run_claim("lipschitz.declared-bound", model=_spec("tied-counted", make_tied_counted, 1.0))
    assert result.verdict is Verdict.VERIFIED, result.message


def test_the_certificate_counts_every_call_of_a_reused_module() -> None:
    layer = _orthogonal_linear(4, 0, 3.0)
    cert = bounds.certified_upper_bound(nn.Sequential(layer, nn.Tanh(), layer, nn.Tanh(), layer), (4,))
    assert cert.value == pytest.approx(27.0, rel=1e-12)
    assert [f.path for f in cert.factors] == ["0", "1", "2", "3", "4"]


def test_an_instance_forward_override_gets_no_certificate() -> None:
    layer = _orthogonal_linear(4, 0, 1.0)
    layer.forward = lambda x: 10 * nn.functional.linear(x, layer.weight, layer.bias)  # what really runs
    cert = bounds.certified_upper_bound(nn.Sequential(layer), (4,))
    assert cert.value is None
    assert "Linear" in cert.unsupported[0]


def test_a_module_the_forward_calls_outside_the_structure_gets_no_certificate() -> None:
    class Twice(nn.Sequential):
        pass  # a plain Sequential subclass: same forward

    layer = _orthogonal_linear(4, 0, 1.0)
    model = Twice(layer)
    model.register_forward_pre_hook(lambda module, args: (layer(args[0]),))
    cert = bounds.certified_upper_bound(model, (4,))
    assert cert.value is None
    assert "forward pre hooks" in cert.unsupported[0]


def test_a_vanishing_jacobian_gives_a_true_zero_lower_bound_not_nan() -> None:
    layer = nn.Linear(4, 4).double()
    with torch.no_grad():
        layer.weight.copy_(torch.eye(4))
        layer.bias.fill_(-1e6)  # relu(x - 10⁶) = 0 on every scale searched
    found = bounds.empirical_lower_bound(nn.Sequential(layer, nn.ReLU()), (4,), scale=bounds.SEARCH_SCALES,
                                         generator=bounds.cpu_generator(0))
    assert found.value == 0.0
    assert found.witness_ratio == 0.0
    assert not torch.equal(found.witness[0], found.witness[1])  # a genuine pair of distinct inputs


class _AmplifiedFarOut(torch.Tensor):
    """A weight whose ``F.linear`` is 10× the plain one once the input is beyond the lower-bound search (‖x‖∞ > 10⁵):
    the certificate read σ_max of its numbers (1) and a declared bound of 1 was *verified*."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = super().__torch_function__(func, types, args, kwargs or {})
        if func is nn.functional.linear and args[0].abs().max() > 1e5:
            out = out * 10
        return out

    def __deepcopy__(self, memo: dict[int, Any]) -> torch.Tensor:
        return torch.Tensor(self.detach().clone()).as_subclass(_AmplifiedFarOut)


def make_subclass_weight(ctx: Any) -> nn.Module:
    layer = _orthogonal_linear(8, 4, 1.0)
    layer.weight = nn.Parameter(layer.weight.detach().as_subclass(_AmplifiedFarOut))
    return nn.Sequential(layer, nn.Tanh())


def test_a_weight_that_is_a_tensor_subclass_gets_no_certificate() -> None:
    model = make_subclass_weight(None)
    x = torch.full((1, 8), 1e6, dtype=torch.float64)
    plain = torch.tensor(model[0].weight.tolist(), dtype=torch.float64)
    assert torch.allclose(model[0](x), 10 * nn.functional.linear(x, plain, model[0].bias), rtol=1e-12)
    result = run_claim("lipschitz.declared-bound", model=_spec("subclass-weight", make_subclass_weight, 1.0))
    assert result.verdict is Verdict.INCONCLUSIVE, result.message
    assert "weight is of type _AmplifiedFarOut" in result.message


def test_an_active_torch_function_mode_gets_no_certificate() -> None:
    from torch.overrides import TorchFunctionMode

    class Doubling(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            out = func(*args, **(kwargs or {}))
            return 2 * out if func is nn.functional.linear else out

    model = nn.Sequential(_orthogonal_linear(4, 0, 1.0))
    assert bounds.certified_upper_bound(model, (4,)).value == pytest.approx(1.0, rel=1e-12)
    with Doubling():
        cert = bounds.certified_upper_bound(model, (4,))
    assert cert.value is None
    assert "Doubling (torch function mode) is active" in cert.unsupported[0]


def test_a_default_device_is_not_an_override() -> None:
    """torch.set_default_device keeps a DeviceContext mode on the stack; it changes no layer's arithmetic."""
    model = nn.Sequential(_orthogonal_linear(4, 0, 2.0))
    previous = torch.get_default_device()
    torch.set_default_device("cpu")
    try:
        with torch.device("cpu"):
            cert = bounds.certified_upper_bound(model, (4,))
    finally:
        torch.set_default_device(previous)
    assert cert.value == pytest.approx(2.0, rel=1e-12), cert.unsupported


def test_a_parametrized_weight_is_still_certified() -> None:
    layer = _orthogonal_linear(4, 0, 3.0)
    nn.utils.parametrizations.spectral_norm(layer)
    cert = bounds.certified_upper_bound(nn.Sequential(layer.eval()), (4,))
    assert cert.value == pytest.approx(1.0, rel=1e-6)
