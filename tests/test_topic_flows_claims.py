"""The catalogue claims of section 7 (FLOW-1 … FLOW-21): verdicts, counterexamples, and why each false variant fails."""

from __future__ import annotations

import json

import pytest

from kexue_verify import Outcome, Verdict
from kexue_verify.testing import assert_verdict, builtin_plugins, run_claim
from kexue_verify_plugins.flows.catalogue import CATALOGUE_CLAIMS
from kexue_verify_plugins.flows.checks.glow_code import released_initialisation

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


@pytest.fixture(scope="module")
def results():
    """Each catalogue claim run once (float64, seed 0), shared by the tests below."""
    return {c.id: run_claim(c.id) for c in CATALOGUE_CLAIMS}


def _failed(parts) -> list:
    return [e for p in parts.values() for e in p.evidence if e.outcome is Outcome.FAIL]


def test_the_plugin_registers_every_claim_and_model():
    loaded = builtin_plugins()
    labels = {c.label for c in loaded.claims if c.family == "flows" and c.label}
    assert labels == {f"FLOW-{k}" for k in range(1, 22)} - {"FLOW-9", "FLOW-12"}
    layers_ = [m for m in loaded.models.of_kind("flow-layer") if not m.expect]
    assert len(layers_) == 13
    assert {m.name for m in loaded.models.of_kind("flow-2d") if not m.expect} == {"realnvp-2d", "glow-2d"}
    controls = {m.name for m in loaded.models if m.expect and m.name.startswith("bug-")}
    assert len(controls) == 23  # 20 buggy flow layers and 3 buggy 2-D flows, each a negative control


@pytest.mark.parametrize("claim", [c.id for c in CATALOGUE_CLAIMS])
def test_catalogue_claim_has_its_expected_verdict(results, claim):
    result = results[claim]
    assert_verdict(result, result.expected)


@pytest.mark.parametrize("claim", [c.id for c in CATALOGUE_CLAIMS if c.expected is Verdict.REFUTED])
def test_refuted_claims_carry_a_counterexample(results, claim):
    assert any(e.counterexample for e in _failed(results[claim].parts))


def test_flow14_as_posted_is_refuted_by_the_quoted_code():
    evidence = _failed(run_claim("flows.actnorm-ddi-as-posted").parts)[0]
    assert evidence.counterexample["released_code_does"] == "data-dependent"
    files = {ref.split(" ")[0] for ref in evidence.counterexample["references"]}
    assert files == {"tfops.py", "model.py", "train.py"}
    assert "lines 68-76" in json.dumps(evidence.counterexample)


def test_flow14_fact_parser_notices_when_the_ddi_line_is_missing(monkeypatch):
    from kexue_verify_plugins.flows import facts

    quoted = dict(facts.GLOW["actnorm_center"])
    quoted["text"] = quoted["text"].replace("initial_value=-x_mean", "initial_value=tf.zeros_like(x_mean)")
    monkeypatch.setitem(facts.GLOW, "actnorm_center", quoted)
    conclusion, found = released_initialisation()
    assert conclusion == "zero"
    assert not found["center initial value is -mean"]


def test_flow16_measured_ratio_is_1_087(results):
    ev = results["flows.affine-compute-ratio"].parts["numeric"].evidence[0]
    assert abs(ev.quantities["measured_ratio"] - 1.0871) < 1e-4
    assert ev.quantities["affine_flops"] - ev.quantities["additive_flops"] == 2 * 9 * 512 * 6 * 16


def test_flow18_counterexample_is_sigmoid_of_two(results):
    ev = next(e for e in _failed(results["flows.zero-init-identity-as-posted"].parts)
              if e.counterexample.get("coupling") == "affine-sigmoid")
    assert abs(ev.counterexample["scale"] - 0.880797) < 1e-6
    assert abs(ev.counterexample["log_scale"] + 0.126928) < 1e-6


def _variant(result, name):
    return next(v for v in result.variants if v.name == name)


@pytest.mark.parametrize(("claim", "variant", "part", "evidence_name"), [
    ("flows.affine-coupling-invertible", "divide-then-shift", "symbolic", "inverse(forward(x₂)) − x₂ = 0"),
    ("flows.affine-coupling-invertible", "multiply-by-s", "numeric", "x₂ recovered by the stated inverse"),
    ("flows.coupling-logdet", "both-halves", "numeric", "stated log-det = slogdet of the autograd Jacobian"),
    ("flows.coupling-logdet", "extra-shift-term", "symbolic", "stated log-det − log det J = 0"),
    ("flows.additive-volume-preserving", "sum-of-m", "numeric", "stated log-det = slogdet of the autograd Jacobian"),
    ("flows.permutation", "det-is-one", "symbolic", "det - 1 = 0 for every permutation of n ≤ 4"),
    ("flows.channel-permutation-conv", "transposed", "numeric", "conv2d(x, W) = x[:, π]"),
    ("flows.squeeze", "c-divisible-by-4", "numeric",
     "the stated requirements are exactly the shapes squeeze accepts"),
    ("flows.multiscale-sizes", "halving-each-level", "numeric", "sizes of the factored-out parts (32×32×3)"),
    ("flows.conditional-prior", "same-half", "numeric", "∫ p(z₂ | conditioner) dz₂ = 1"),
    ("flows.conv1x1-logdet", "missing-hw", "numeric", "stated log-det = slogdet J (1×3×4×6)"),
    ("flows.conv1x1-logdet", "times-c", "symbolic", "stated log-det = (exponent) · log|det W|"),
    ("flows.lu-logdet", "no-pivoting", "symbolic", "every invertible W has W = LU"),
    ("flows.lu-logdet", "missing-hw", "numeric",
     "image factor × stated formula = slogdet J (LU 1×1 conv, 4×4×4)"),
    ("flows.actnorm-logdet", "batch-dependent", "numeric", "the log-det of a sample depends on its batch"),
    ("flows.actnorm-ddi", "later-batches-unit-variance", "numeric",
     "a later batch (other statistics) also leaves with unit variance"),
    ("flows.conditional-actnorm", "plus-log-sigma", "numeric", "split prior = N(ẑ;0,I) + log-det"),
    ("flows.objective", "dequantisation-sign", "numeric", "stated NLL = −log p(x̃) − log vol(bin)"),
    ("flows.objective", "bits-without-ln2", "numeric", "stated bits/dim = NLL in bits per dimension"),
    ("flows.temperature", "variance-times-t", "numeric", "Var((z₂ − μ)/σ) = stated factor at T = 0.8"),
])
def test_false_variant_is_refuted_for_the_right_reason(results, claim, variant, part, evidence_name):
    v = _variant(results[claim], variant)
    assert v.verdict is Verdict.REFUTED
    assert evidence_name in [e.name for e in v.parts[part].evidence if e.outcome is Outcome.FAIL]


def test_lu_no_pivoting_counterexample_is_the_swap_matrix(results):
    ev = next(e for e in _variant(results["flows.lu-logdet"], "no-pivoting").parts["symbolic"].evidence
              if e.outcome is Outcome.FAIL)
    assert ev.counterexample == {"W": "[[0,1],[1,0]]"}


@pytest.mark.parametrize("claim", ["flows.conv1x1-logdet", "flows.coupling-logdet", "flows.actnorm-logdet",
                                   "flows.objective", "flows.zero-init-identity"])
def test_float32_gives_the_same_verdicts(claim):
    assert_verdict(run_claim(claim, dtype="float32"), "verified")


def test_every_flows_claim_is_typed_and_its_variants_change_fields_or_the_model():
    from kexue_verify_plugins.flows.claims import CLAIMS

    for c in CLAIMS:
        assert c.typed, c.id
        for v in c.false_variants:
            if v.model is None:
                assert type(v.assertion) is type(c.assertion)
                assert not v.assertion.same_as(c.assertion), (c.id, v.name)
            else:
                assert v.assertion is None, (c.id, v.name)  # a buggy model, probed as the claim says


def test_every_flows_formula_without_indexed_names_parses():
    from kexue_verify_plugins.flows.claims import CLAIMS

    parsed = 0
    for c in CLAIMS:
        for a in (c.assertion, *(v.assertion for v in c.false_variants if v.assertion is not None)):
            for path, formula in a.formulas():
                if "[" in formula:
                    continue  # Sum(…, (i, 1, d)) over s[i]: expanded at a size by checks.formulas.indexed
                assert formula.expr is not None, (c.id, path)
                parsed += 1
    assert parsed > 40
