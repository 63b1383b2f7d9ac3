"""When the SVD checks' own machinery falls short, the verdict is not ``refuted``.

* ``svd.eckart-young``: an optimiser that stops above the optimum while still descending is no counterexample
  (undecided, so the claim is inconclusive); a converged run above or any run below the stated optimum refutes.
* ``svd.three-factor``: a random integer witness of too low a rank is non-generic and is drawn again.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import sympy as sp
import torch

from kexue_verify import Outcome, Verdict
from kexue_verify.testing import run_claim
from kexue_verify_plugins.svd.checks import eckart_young, three_factor
from kexue_verify_plugins.svd.training import Fit


def test_balance_keeps_the_product_and_balances_the_factors() -> None:
    gen = torch.Generator().manual_seed(0)
    model = eckart_young.Factorisation(6, 5, 2, gen)
    with torch.no_grad():
        model.a.mul_(100.0)
        model.b.div_(100.0)
    before = model(None).clone()
    model.balance()
    assert torch.allclose(model(None), before, rtol=0, atol=1e-12)
    assert torch.allclose(model.a.T @ model.a, model.b @ model.b.T, rtol=1e-10, atol=1e-12)


def _crawling_lbfgs(model: Any, data: torch.Tensor, **kwargs: Any) -> Fit:
    """A trainer that moves a small fraction of the way to the least-squares B each call: it never converges."""
    with torch.no_grad():
        target = torch.linalg.lstsq(model.a, data).solution
        model.b.add_(1e-3 * (target - model.b))
    return Fit(method="a crawling optimiser", losses=[0.0], evaluations=1)


@pytest.mark.slow
def test_a_stalled_optimiser_is_undecided_not_a_counterexample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eckart_young, "fit_lbfgs", _crawling_lbfgs)
    result = run_claim("svd.eckart-young", seed=3)
    starts = [e for e in result.parts["numeric"].evidence if e.name.startswith("start")]
    assert starts
    assert all(e.outcome is Outcome.UNDECIDED for e in starts)
    assert "had not converged" in starts[0].note
    assert result.verdict is Verdict.INCONCLUSIVE  # the symbolic part passes; the numeric part cannot decide


class _ZerosFirst(random.Random):
    """Returns 0 for the first ``zeros`` draws (a degenerate witness), then behaves as a seeded Random."""

    def __init__(self, zeros: int) -> None:
        super().__init__(0)
        self.zeros = zeros

    def randint(self, a: int, b: int) -> int:
        if self.zeros > 0:
            self.zeros -= 1
            return 0
        return super().randint(a, b)


def test_a_non_generic_witness_is_drawn_again() -> None:
    fa, fp, fq = sp.Matrix(3, 2, sp.symbols("a1:7")), sp.Matrix(2, 2, sp.symbols("p1:5")), sp.Matrix(
        2, 3, sp.symbols("q1:7"))
    product = fa * fp * fq
    instance, rank, draws = three_factor._generic_instance(product, 2, _ZerosFirst(len(product.free_symbols)))
    assert (rank, draws) == (2, 2)
    assert instance.rank() == 2


def test_a_rank_that_no_draw_reaches_is_still_reported() -> None:
    product = sp.Matrix(3, 1, sp.symbols("a1:4")) * sp.Matrix(1, 3, sp.symbols("b1:4"))  # rank ≤ 1 always
    _, rank, draws = three_factor._generic_instance(product, 2, random.Random(0))
    assert (rank, draws) == (1, three_factor.DRAWS)
