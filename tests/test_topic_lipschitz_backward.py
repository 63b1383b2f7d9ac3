"""A Lipschitz network whose backward lies: the certificate is of the forward, autograd is not ground truth.

The weight of an ordinary, certified ``nn.Linear`` is a tensor subclass that routes ``F.linear`` through a custom
``torch.autograd.Function``. (Since such a weight decides what ``F.linear`` computes, the certificate now refuses it
and says so; the cross-check below still refutes the lying backward.) Its forward is exact (``x Wᵀ + b``), so the
certificate (product of exact layer norms, from the weights) is that of the function computed; with ``backward_scale =
0.5`` its backward returns half the input gradient, so every autograd Jacobian of the two-layer network below — and
the ``‖J(x)‖₂`` the lower-bound search reports — is a quarter of the truth, and agrees with itself. Before the
cross-check the network was *verified* against its declared bound with a reported Jacobian norm of a quarter of the
true one (doubled: 4, above the certified upper bound 1); now the autograd Jacobian is compared with central finite
differences of the forward map at the point where ``‖J‖₂`` was measured, and the disagreement refutes the claim. """

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from kexue_verify import ModelSpec, Outcome, Verdict
from kexue_verify.testing import run_claim

pytestmark = pytest.mark.slow

DISAGREE = "autograd disagrees with finite differences"


class _ScaledBackwardLinear(torch.autograd.Function):
    """``x Wᵀ + b`` forward; the backward multiplies the gradient with respect to ``x`` by ``scale``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(x, w)
        ctx.scale = scale
        return x @ w.T + b

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
        x, w = ctx.saved_tensors
        return ctx.scale * (g @ w), g.T @ x, g.sum(dim=0), None


class ScaledBackwardWeight(nn.Parameter):
    """A weight whose ``F.linear`` runs :class:`_ScaledBackwardLinear` (every other op sees a plain tensor)."""

    backward_scale = 1.0

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        with torch._C.DisableTorchFunctionSubclass():
            if func is F.linear:
                x, w, b = (*args, *kwargs.values(), None)[:3]
                plain = [t.as_subclass(torch.Tensor) if isinstance(t, torch.Tensor) else t for t in (x, w, b)]
                bias = plain[2] if plain[2] is not None else torch.zeros(w.shape[0], dtype=w.dtype)
                return _ScaledBackwardLinear.apply(plain[0], plain[1], bias, cls.backward_scale)
            return func(*args, **kwargs)


class HalfBackwardWeight(ScaledBackwardWeight):
    backward_scale = 0.5


class DoubleBackwardWeight(ScaledBackwardWeight):
    backward_scale = 2.0


def _orthogonal(n: int, seed: int, norm: float, dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    return (norm * q).to(dtype)


def _net(ctx: Any, weight: type[nn.Parameter]) -> nn.Module:
    """``W₂ tanh(W₁ x + b₁) + b₂`` on ℝ⁸ with ``‖W₁‖₂ = ‖W₂‖₂ = 1``: 1-Lipschitz, certified 1."""
    dtype = getattr(ctx, "torch_dtype", torch.float64)
    layers = [nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8)]
    for seed, layer in ((1, layers[0]), (2, layers[2])):
        layer.weight = weight(_orthogonal(8, seed, 1.0, dtype))
        layer.bias = nn.Parameter(torch.full((8,), 0.1, dtype=dtype))
    return nn.Sequential(*layers)


def make_half_backward(ctx: Any) -> nn.Module:
    return _net(ctx, HalfBackwardWeight)


def make_double_backward(ctx: Any) -> nn.Module:
    return _net(ctx, DoubleBackwardWeight)


def make_true_backward(ctx: Any) -> nn.Module:
    return _net(ctx, ScaledBackwardWeight)


def make_plain(ctx: Any) -> nn.Module:
    return _net(ctx, nn.Parameter)


def _spec(name: str, factory: Any) -> ModelSpec:
    return ModelSpec(name=name, kind="lipschitz-net", factory=factory,
                     declared={"lipschitz_bound": 1.0, "input_shape": (8,)})


def _cross_check(result: Any) -> Any:
    return next(e for e in result.parts["numeric"].evidence if "finite differences" in e.name)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("factory", "ratio"), [(make_half_backward, 0.25), (make_double_backward, 4.0)],
                         ids=["halves", "doubles"])
def test_a_backward_that_scales_the_gradient_is_not_verified(dtype: str, factory: Any, ratio: float) -> None:
    """Halved, the reported ‖J‖₂ is a quarter of the constant; doubled, 4 — above the certified upper bound 1."""
    result = run_claim("lipschitz.declared-bound", model=_spec("scaled-backward", factory), dtype=dtype)
    assert result.verdict is not Verdict.VERIFIED, result.message
    assert result.verdict is Verdict.REFUTED, result.message
    evidence = _cross_check(result)
    assert evidence.outcome is Outcome.FAIL
    assert DISAGREE in evidence.note
    measured = evidence.counterexample["autograd"] / evidence.counterexample["finite_difference"]
    assert measured == pytest.approx(ratio, rel=1e-6)  # two layers, each scaling the true Jacobian
    upper = result.parts["numeric"].evidence[0]
    # a weight that is a tensor subclass decides what F.linear computes: no certificate is read from its numbers
    assert upper.outcome is Outcome.UNDECIDED
    assert "tensor subclass" in upper.note


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("factory", [make_true_backward, make_plain], ids=["custom-function", "plain"])
def test_the_same_network_with_a_true_backward_is_verified(dtype: str, factory: Any) -> None:
    """With plain weights; with the subclass weight (a true backward) the cross-check passes, but the network gets no
    certificate (the subclass could make F.linear compute anything), so the claim is inconclusive."""
    result = run_claim("lipschitz.declared-bound", model=_spec("true-backward", factory), dtype=dtype)
    want = Verdict.VERIFIED if factory is make_plain else Verdict.INCONCLUSIVE
    assert result.verdict is want, result.message
    evidence = _cross_check(result)
    assert evidence.outcome is Outcome.PASS
    assert evidence.quantities["entries_resolved"] == 1.0
