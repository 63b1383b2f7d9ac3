"""Classes of bugs that hide from bounded probing and from autograd as ground truth
(kexue_verify_plugins/flows/hidden_bugs.py), the magnitude sweep, a declared bounded domain, and the
conditioning-aware comparison at the round trip's point."""

from __future__ import annotations

import pytest

from kexue_verify import CheckContext, ModelSpec, Outcome
from kexue_verify.testing import assert_verdict, run_claim
from kexue_verify_plugins.flows import hidden_bugs, models, probing
from kexue_verify_plugins.flows.assertions import Probe
from kexue_verify_plugins.flows.checks import directions, inverse, logdet, structure
from kexue_verify_plugins.flows.checks.common import prepare

pytestmark = pytest.mark.usefixtures("one_thread")

CHECKS = {"logdet": logdet.logdet_check, "inverse": inverse.inverse_check,
          "directions": directions.directions_check, "structure": structure.structure_check}


def _ctx(factory, seed: int = 5, dtype: str = "float64", declared=None) -> CheckContext:
    ctx = CheckContext(case_id="t", seed=seed, dtype=dtype)
    return ctx.with_model(factory(ctx).to(dtype=ctx.torch_dtype), "t", declared or {})


def _failed(evidence) -> list[str]:
    return [e.name for e in evidence if e.outcome is Outcome.FAIL]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("bug", "check"), [("far-clamp", "logdet"), ("far-clamp", "inverse"),
                                            ("far-clamp", "structure"), *(("saturating", c) for c in sorted(CHECKS))])
def test_clamps_and_saturations_far_out_are_refuted_only_with_the_sweep(bug, check, dtype):
    """(far-clamp and directions: compared at the round trip's point the clamp is invisible by design; the round trip
    itself, which the inverse claim checks, is what moves.)"""
    factory = getattr(hidden_bugs, f"make_{bug.replace('-', '_')}")
    assert _failed(CHECKS[check](_ctx(factory, dtype=dtype), None))
    if dtype == "float64":  # what the checks did before: a few standard deviations out, all pass
        assert not _failed(CHECKS[check](_ctx(factory, dtype=dtype), Probe(magnitudes=False)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_a_wrong_custom_backward_is_refuted_by_finite_differences_alone(check, dtype):
    evidence = CHECKS[check](_ctx(hidden_bugs.make_wrong_backward, dtype=dtype), None)
    failed = _failed(evidence)
    assert failed
    assert all(name.startswith("autograd J_") for name in failed)  # everything else agrees with itself
    bad = next(e for e in evidence if e.outcome is Outcome.FAIL)
    assert "autograd disagrees with finite differences" in bad.note


@pytest.mark.parametrize("claim", ["flows.layer-logdet", "flows.layer-inverse"])
def test_the_evidence_records_the_largest_magnitude_probed(claim):
    result = run_claim(claim, model="affine-coupling-exp")
    region = next(e for e in result.parts["numeric"].evidence if e.name == "probe region")
    assert region.quantities["largest_magnitude_probed"] >= 100  # far beyond the tails (|x| ≲ 21)
    assert region.quantities["radii"][0] == 10
    assert region.quantities["sweep_stopped"]
    assert region.quantities["declared_domain_radius"] is None


def test_a_declared_bounded_domain_keeps_every_probe_inside_it_and_is_reported():
    ctx = _ctx(models.make_affine_exp, declared={"event_shape": (8,), "domain_radius": 4.0})
    flow = prepare(ctx)
    x, _ = probing.probe(flow, ctx)
    assert float(x.abs().max()) < 4.0
    assert flow.region["declared_domain_radius"] == 4.0
    assert "declared domain" in flow.region["sweep_stopped"]
    spec = ModelSpec(name="bounded", kind="flow-layer", factory="kexue_verify_plugins.flows.models:make_affine_exp",
                     declared={"event_shape": (8,), "domain_radius": 4.0})
    result = run_claim("flows.layer-logdet", model=spec)
    assert_verdict(result, "verified")
    region = next(e for e in result.parts["numeric"].evidence if e.name == "probe region")
    assert "bounded domain" in region.note


def test_the_sweep_stops_where_the_layer_overflows_its_dtype():
    """exp overflows far out: the sweep stops there, says why, and the layer is not refuted for it."""
    result = run_claim("flows.layer-logdet", model="torch-transform")
    assert_verdict(result, "verified")
    region = next(e for e in result.parts["numeric"].evidence if e.name == "probe region")
    assert region.quantities["sweep_stopped"].startswith("at radius")


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_glow_multiscale_directions_agree_at_the_round_trips_point(seed):
    """The conditioning problem of issue 10 class 9: comparing at x instead of x̂ refuted this correct layer."""
    assert_verdict(run_claim("flows.layer-directions-agree", model="glow-multiscale", seed=seed), "verified")
