"""The em-routing kind: the reference Procedure 1 against a loop written from the paper, Su's routing 4, the
protocol adapter's errors, the matrix-capsule layer, and the bug corpus against the generic checks."""

from __future__ import annotations

import math

import pytest
import torch

from kexue_verify import CheckContext, Outcome
from kexue_verify_plugins.capsules import models
from kexue_verify_plugins.capsules.buggy import BUGS, PerPositionCompetition
from kexue_verify_plugins.capsules.checks import generic
from kexue_verify_plugins.capsules.routing import (
    EMRouting,
    MatrixCapsules,
    SuRouting4,
    as_routing_result,
    procedure_1,
    variance_floor_of,
)

pytestmark = pytest.mark.usefixtures("one_thread")

F64 = torch.float64


def _inputs(seed=0, b=2, i=5, j=3, h=16):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, i, j, h, generator=g, dtype=F64), 0.1 + 0.9 * torch.rand(b, i, generator=g, dtype=F64),
            0.5 * torch.randn(j, generator=g, dtype=F64), 0.5 * torch.randn(j, generator=g, dtype=F64))


def _loop_procedure_1(votes, a_in, beta_u, beta_a, lam, iterations, eps=1e-8):
    """Procedure 1 with explicit loops over children, parents and pose entries (slow, obviously the paper)."""
    b_n, n_in, n_out, d = votes.shape
    out = []
    for b in range(b_n):
        big_r = [[1 / n_out] * n_out for _ in range(n_in)]
        for t in range(iterations):
            mu, var, act = [], [], []
            for j in range(n_out):
                r = [big_r[i][j] * float(a_in[b, i]) for i in range(n_in)]
                s = sum(r)
                m = [sum(r[i] * float(votes[b, i, j, h]) for i in range(n_in)) / s for h in range(d)]
                v = [sum(r[i] * (float(votes[b, i, j, h]) - m[h]) ** 2 for i in range(n_in)) / s + eps
                     for h in range(d)]
                cost = sum((float(beta_u[j]) + math.log(math.sqrt(v[h]))) * s for h in range(d))
                mu.append(m)
                var.append(v)
                act.append(1 / (1 + math.exp(-lam * (float(beta_a[j]) - cost))))
            if t == iterations - 1:
                break
            for i in range(n_in):
                p = [act[j] * math.prod(math.exp(-(float(votes[b, i, j, h]) - mu[j][h]) ** 2 / (2 * var[j][h]))
                                        / math.sqrt(2 * math.pi * var[j][h]) for h in range(d))
                     for j in range(n_out)]
                big_r[i] = [x / sum(p) for x in p]
        out.append((mu, var, act, big_r))
    return out


def test_reference_equals_the_paper_written_as_loops():
    votes, a_in, bu, ba = _inputs(h=4)
    got = procedure_1(votes, a_in, bu, ba, 0.3, 3)
    for b, (mu, var, act, big_r) in enumerate(_loop_procedure_1(votes, a_in, bu, ba, 0.3, 3)):
        torch.testing.assert_close(got.poses[b], torch.tensor(mu, dtype=F64), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(got.variances[b], torch.tensor(var, dtype=F64), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(got.activations[b], torch.tensor(act, dtype=F64), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(got.assignments[b], torch.tensor(big_r, dtype=F64), rtol=1e-12, atol=1e-12)


def test_su_routing_4_with_d_beta_u_is_procedure_1():
    votes, a_in, bu, ba = _inputs()
    ref = procedure_1(votes, a_in, bu, ba, 0.2, 4)
    for x, y in zip(SuRouting4()(votes, a_in, bu, ba, 0.2, 4), ref, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-11, atol=1e-12)


def test_one_iteration_returns_uniform_assignments():
    votes, a_in, bu, ba = _inputs()
    r = procedure_1(votes, a_in, bu, ba, 0.2, 1).assignments
    torch.testing.assert_close(r, torch.full_like(r, 1 / 3))


def test_matrix_capsule_votes_are_pose_times_weight():
    layer = MatrixCapsules(3, 2, generator=torch.Generator().manual_seed(0))
    poses = torch.randn(2, 3, 4, 4, dtype=F64)
    v = layer.votes(poses)
    torch.testing.assert_close(v[1, 2, 1], (poses[1, 2] @ layer.weight[2, 1]).reshape(16))
    assert layer.weight.numel() == 3 * 2 * 16


def test_protocol_adapter_accepts_a_mapping_and_names_what_is_wrong():
    votes, a_in, bu, ba = _inputs()
    out = procedure_1(votes, a_in, bu, ba, 0.2, 2)
    shapes = {"batch": 2, "n_in": 5, "n_out": 3, "pose": 16}
    assert as_routing_result(dict(out._asdict()), **shapes).poses is out.poses
    with pytest.raises(TypeError, match="without \\['assignments'\\]"):
        as_routing_result({k: v for k, v in out._asdict().items() if k != "assignments"}, **shapes)
    with pytest.raises(TypeError, match="'activations' must be a tensor of shape \\(2, 3\\)"):
        as_routing_result((out.poses, out.variances, out.activations[:, :1], out.assignments), **shapes)
    with pytest.raises(TypeError, match=r"docs/topics/capsules\.md"):
        as_routing_result(out.poses, **shapes)


def test_variance_floor_is_read_from_the_implementation_and_validated():
    assert variance_floor_of(EMRouting(1e-6)) == 1e-6
    assert variance_floor_of(lambda *a: None) == 0.0
    bad = EMRouting()
    bad.variance_floor = -1.0
    with pytest.raises(TypeError, match="variance_floor"):
        variance_floor_of(bad)


def test_per_position_bug_gives_row_sums_equal_to_the_number_of_positions():
    votes, a_in, bu, ba = _inputs(j=4)
    r = PerPositionCompetition()(votes, a_in, bu, ba, 0.2, 3).assignments
    torch.testing.assert_close(r.sum(-1), torch.full((2, 5), 2.0, dtype=F64))


def test_without_the_floor_a_single_child_gives_nan():
    votes, a_in, bu, ba = _inputs(i=1)
    assert torch.isnan(BUGS["no_variance_floor"]()(votes, a_in, bu, ba, 0.2, 3).assignments).any() or not all(
        torch.isfinite(t).all() for t in BUGS["no_variance_floor"]()(votes, a_in, bu, ba, 0.2, 3))
    assert all(torch.isfinite(t).all() for t in procedure_1(votes, a_in, bu, ba, 0.2, 3))


def _ctx(model, dtype="float64", seed=0):
    ctx = CheckContext(case_id="t", seed=seed, dtype=dtype)
    return ctx.with_model(model.to(dtype=ctx.torch_dtype), "m")


CHECKS = {
    "agreement": generic.agreement,
    "distributions": generic.assignments_are_distributions,
    "statistics": generic.weighted_statistics,
    "cost": generic.cost_identity,
    "gradients": generic.gradients,
}


def _outcomes(model, dtype="float64"):
    out = {}
    for name, check in CHECKS.items():
        ev = check(_ctx(model, dtype), None)
        out[name] = [e.outcome for e in (ev if isinstance(ev, list) else [ev])]
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("factory", ["procedure_1", "su_routing_4"])
def test_correct_routings_pass_every_generic_check(factory, dtype):
    outcomes = _outcomes(getattr(models, factory)(None), dtype)
    assert all(o is Outcome.PASS for os in outcomes.values() for o in os), outcomes


#: Which generic check must catch each bug (in float64 and float32).
CATCHES = {
    "no_variance_floor": "gradients",
    "normalised_cost": "statistics",
    "per_position_competition": "distributions",
    "missing_input_activation": "cost",
    "mixing_weight_e_step": "agreement",
    "variance_over_n": "cost",
    "beta_u_once": "statistics",
    "detached_assignments": "gradients",
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_bug_is_refuted_with_a_counterexample(bug, dtype):
    model = getattr(models, bug)(None)
    check = CHECKS[CATCHES[bug]]
    ev = check(_ctx(model, dtype), None)
    failed = [e for e in (ev if isinstance(ev, list) else [ev]) if e.outcome is Outcome.FAIL]
    assert failed
    assert all(e.counterexample for e in failed)


def test_detached_assignments_have_the_right_forward_pass():
    votes, a_in, bu, ba = _inputs()
    for x, y in zip(BUGS["detached_assignments"]()(votes, a_in, bu, ba, 0.2, 3),
                    procedure_1(votes, a_in, bu, ba, 0.2, 3), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_an_annealed_temperature_is_caught_although_the_first_iteration_agrees():
    """Attack: λ doubled at every iteration (a common variation) leaves iteration 1 unchanged."""

    class Annealed(EMRouting):
        def forward(self, votes, a_in, beta_u, beta_a, inverse_temperature, iterations):
            self.calls = 0
            return super().forward(votes, a_in, beta_u, beta_a, inverse_temperature, iterations)

        def m_step(self, assignments, a_in, votes, beta_u, beta_a, lam):
            self.calls += 1
            return super().m_step(assignments, a_in, votes, beta_u, beta_a, lam * 2 ** (self.calls - 1))

    votes, a_in, bu, ba = _inputs()
    for x, y in zip(Annealed()(votes, a_in, bu, ba, 0.2, 1), procedure_1(votes, a_in, bu, ba, 0.2, 1), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    assert all(e.outcome is Outcome.FAIL for e in generic.agreement(_ctx(Annealed()), None))
