"""The catalogue claims of section 6 (KER-1 … KER-9): verdicts on the torch and the Keras models, why each false
variant fails, float32, and what happens without Keras.

The Keras cases import Keras 3 (about half a minute on a busy machine) and run ``model.fit``; they are marked slow
and skipped where Keras is not installed (``pip install -e ".[keras]"``; CI installs it).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from kexue_verify import ModelSpec, Outcome, Status, Verdict
from kexue_verify.testing import assert_verdict, builtin_plugins, run_claim
from kexue_verify_plugins.keras import CLAIMS, MODELS
from kexue_verify_plugins.keras import backend as keras_backend
from kexue_verify_plugins.keras.layers_keras import post_keras

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest

HAS_KERAS = importlib.util.find_spec("keras") is not None
needs_keras = pytest.mark.skipif(not HAS_KERAS, reason="Keras is not installed (extra [keras])")


def _cases(framework: str) -> list[str]:
    """Every (claim, model) case whose model is of ``framework`` (``torch``, ``function`` or ``keras``)."""
    out = []
    for claim in CLAIMS:
        if claim.model_kind is None:
            if framework == "torch" and claim.id != "keras.callback-hooks":
                out.append(claim.id)
            if framework == "keras" and claim.id == "keras.callback-hooks":
                out.append(claim.id)
            continue
        out += [f"{claim.id}[{m.name}]" for m in MODELS
                if m.kind == claim.model_kind and m.name.split("-")[0] in
                {"torch": ("torch", "function"), "keras": ("keras",)}[framework]]
    return out


TORCH_CASES = _cases("torch")
KERAS_CASES = _cases("keras")


def _run(case: str, **kwargs):
    claim, _, model = case.partition("[")
    return run_claim(claim, model=model.rstrip("]") or None, **kwargs)


def _expected(case: str) -> Verdict:
    claim = next(c for c in CLAIMS if c.id == case.partition("[")[0])
    return claim.expected


def _variant(result, name):
    return next(v for v in result.variants if v.name == name)


def _failed(parts):
    return [e for p in parts.values() for e in p.evidence if e.outcome is Outcome.FAIL]


@pytest.fixture(scope="module")
def torch_results():
    return {case: _run(case) for case in TORCH_CASES}


@pytest.fixture(scope="module")
def keras_results():
    return {case: _run(case) for case in KERAS_CASES}


# -- registration -------------------------------------------------------------------------------------------------


def test_every_catalogue_claim_is_registered_with_its_status():
    loaded = builtin_plugins()
    keras_claims = [c for c in loaded.claims if c.family == "keras"]
    assert {c.label for c in keras_claims} - {None} == {f"KER-{i}" for i in range(1, 10)}
    status = {c.label: c.status for c in keras_claims if c.expected is Verdict.VERIFIED and c.label}
    assert status["KER-7"] is Status.EMPIRICAL
    assert status["KER-9"] is Status.EMPIRICAL
    assert all(s is Status.EXACT for label, s in status.items() if label not in ("KER-7", "KER-9"))
    as_posted = {c.id: c.status for c in keras_claims if c.expected is Verdict.REFUTED}
    assert as_posted == {"keras.piecewise-schedule-as-posted": Status.MISTAKE,
                         "keras.warmup-from-zero-as-posted": Status.APPROX}
    assert all(c.false_variants for c in keras_claims if c.expected is Verdict.VERIFIED)


def test_every_layer_kind_has_a_keras_and_a_torch_model():
    loaded = builtin_plugins()
    kinds = {c.model_kind for c in CLAIMS if c.model_kind and c.model_kind != "lr-schedule"}
    for kind in kinds:
        names = {m.name.split("-")[0] for m in loaded.models.of_kind(kind)}
        assert names == {"keras", "torch"}, kind
    schedules = {m.name for m in loaded.models.of_kind("lr-schedule")}
    assert schedules >= {f"{f}-{s}" for f in ("keras", "torch", "function") for s in ("piecewise", "warmup")}


def test_listing_the_topic_imports_neither_keras_nor_torch():
    code = ("import sys; import kexue_verify_plugins.keras as k; assert k.CLAIMS; "
            "print(sorted(m for m in ('keras', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


# -- the torch cases ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", TORCH_CASES)
def test_torch_case_gets_its_expected_verdict(torch_results, case):
    assert_verdict(torch_results[case], _expected(case), variants_refuted=_expected(case) is Verdict.VERIFIED)


@pytest.mark.parametrize("case", [c for c in TORCH_CASES if _expected(c) is Verdict.VERIFIED])
def test_every_false_variant_fails_a_check_rather_than_crashing(torch_results, case):
    for variant in torch_results[case].variants:
        assert _failed(variant.parts), variant.name
        assert not any(p.outcome is Outcome.ERROR for p in variant.parts.values()), variant.name


def test_ker5_as_posted_only_ever_uses_1e_2(torch_results):
    result = torch_results["keras.piecewise-schedule-as-posted"]
    failed = _failed(result.parts)
    assert failed
    assert all("phase" in e.name for e in failed)
    assert all(e.counterexample["learning_rates_used"] == [0.01] for e in failed)
    formula = [e for e in result.parts["numeric"].evidence if "relative" in e.name]
    assert formula
    assert all(e.outcome is Outcome.PASS for e in formula)


def test_ker8_as_posted_first_rate_is_one_thirtieth_of_the_peak(torch_results):
    result = torch_results["keras.warmup-from-zero-as-posted"]
    numeric = [e for e in _failed(result.parts) if e.name.endswith("the first learning rate")]
    assert numeric
    assert all(e.counterexample["first_lr"] == pytest.approx(0.001 / 30, rel=1e-12) for e in numeric)
    symbolic = [e for e in result.parts["symbolic"].evidence if e.outcome is Outcome.FAIL]
    assert [e.counterexample["S"] for e in symbolic] == [1]


@pytest.mark.parametrize(("variant", "stated"), [("rises-epoch-wise", 0.001 / 10), ("first-lr-zero", 0.0),
                                                 ("steps-floor", 0.001 / 20)])
def test_ker8_variants_fail_at_the_first_batch_with_the_rate_they_state(torch_results, variant, stated):
    parts = _variant(torch_results["keras.warmup-schedule"], variant).parts
    cxs = [e.counterexample for e in _failed(parts) if "relative" in e.name]
    assert len(cxs) == 2  # torch LambdaLR and the plain function
    for cx in cxs:
        assert (cx["t"], cx["stated"]) == (0, pytest.approx(stated, rel=1e-12))
        assert cx["used"] == pytest.approx(0.001 / 30, rel=1e-12)


def test_ker8_variant_peak_after_nine_epochs_fails_inside_the_warmup(torch_results):
    parts = _variant(torch_results["keras.warmup-schedule"], "peak-after-nine-epochs").parts
    assert {e.counterexample["t"] for e in _failed(parts) if "relative" in e.name} == {0}


def test_center_loss_variants_fail_where_expected(torch_results):
    result = torch_results["keras.center-loss[torch-center-loss]"]
    names = {v.name: {e.name for e in _failed(v.parts)} for v in result.variants}
    assert any("∂L/∂c" in n for n in names["gradient-lambda"])
    assert any("median" in n for n in names["optimum-median"])
    assert any("CE only" in n for n in names["features-untouched"])
    assert "the centres are a trainable weight" in names["frozen-centres"]


def test_split_variants_fail_only_on_odd_widths(torch_results):
    result = torch_results["keras.split-vector-shapes[torch-split-vector]"]
    for name in ("both-halves-floor", "first-half-ceil"):
        assert {e.counterexample["d"] for e in _failed(_variant(result, name).parts)} == {7, 9}


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("case", ["keras.train-only-noise[torch-train-noise]", "keras.center-loss[torch-center-loss]",
                                  "keras.mixed-target-is-label-smoothing[torch-mixed-crossentropy]",
                                  "keras.warmup-schedule"])
def test_torch_cases_in_float32_at_other_seeds(case, seed):
    assert_verdict(_run(case, dtype="float32", seed=seed), Verdict.VERIFIED)


# -- attacks: models wrong in ways the variants do not name -----------------------------------------------------------


def _noise_reused(ctx):
    """One scalar draw shared by every entry: zero mean on average, but no variance across the entries of a call."""
    import torch

    from kexue_verify_plugins.keras.subjects import LayerSubject

    class SharedNoise(torch.nn.Module):
        def forward(self, x):
            return x + torch.randn(()) if self.training else x

    return LayerSubject(SharedNoise(), "torch")


def _noise_from_input(ctx):
    """``x + x/3`` in training: for inputs of scale 3 the "noise" has mean 0 and variance 1, but it is the input."""
    import torch

    from kexue_verify_plugins.keras.subjects import LayerSubject

    class InputAsNoise(torch.nn.Module):
        def forward(self, x):
            return x + x / 3 if self.training else x

    return LayerSubject(InputAsNoise(), "torch")


def _split_swapped(ctx):
    """The right widths, but the features reversed: concatenation does not give the input back."""
    import torch

    from kexue_verify_plugins.keras.layers_torch import SplitVector
    from kexue_verify_plugins.keras.subjects import LayerSubject

    class Swapped(SplitVector):
        def forward(self, x):
            flipped = torch.flip(x, [-1])
            return flipped[..., : x.shape[-1] // 2], flipped[..., x.shape[-1] // 2 :]

    return LayerSubject(Swapped(), "torch")


def _center_quarter(ctx):
    """λ = 0.25 where the layer promises 0.5."""
    from kexue_verify_plugins.keras.layers_torch import DenseWithCenterLoss
    from kexue_verify_plugins.keras.subjects import LayerSubject

    return LayerSubject(DenseWithCenterLoss(2, 3, lamb=0.25).to(dtype=ctx.torch_dtype), "torch")


@pytest.mark.parametrize(("claim", "kind", "factory"), [
    ("keras.train-only-noise", "train-only-noise", _noise_reused),
    ("keras.train-only-noise", "train-only-noise", _noise_from_input),
    ("keras.split-vector-shapes", "split-vector", _split_swapped),
    ("keras.center-loss", "center-loss-layer", _center_quarter),
])
def test_a_wrong_user_model_is_refuted(claim, kind, factory):
    spec = ModelSpec(name="user-model", kind=kind, factory=factory)
    assert run_claim(claim, model=spec).verdict is Verdict.REFUTED


# -- without Keras --------------------------------------------------------------------------------------------------


@pytest.fixture
def no_keras(monkeypatch):
    """Keras as if it were not installed: the factories' import raises SkipCheck."""
    post_keras.cache_clear()
    monkeypatch.setattr(keras_backend, "keras_available", lambda: False)
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    yield
    post_keras.cache_clear()


@pytest.mark.parametrize("case", ["keras.center-loss[keras-center-loss]", "keras.schedule-follows-formula"
                                  "[keras-warmup]", "keras.callback-hooks"])
def test_keras_cases_are_skipped_with_the_install_hint_when_keras_is_absent(no_keras, case):
    result = _run(case)
    assert result.verdict is Verdict.SKIPPED
    reasons = result.message + " ".join(p.error or "" for p in result.parts.values())
    assert "pip install 'kexue-verify[keras]'" in reasons


def test_torch_cases_run_when_keras_is_absent(no_keras):
    assert_verdict(_run("keras.center-loss[torch-center-loss]"), Verdict.VERIFIED)


# -- the Keras cases --------------------------------------------------------------------------------------------------


@pytest.mark.slow
@needs_keras
@pytest.mark.parametrize("case", KERAS_CASES)
def test_keras_case_gets_its_expected_verdict(keras_results, case):
    assert_verdict(keras_results[case], _expected(case))


@pytest.mark.slow
@needs_keras
def test_keras_computes_64_bit_ops_in_32_bits_and_the_tolerance_follows():
    from kexue_verify_plugins.keras.backend import keras_compute_dtype

    keras = post_keras().keras
    assert keras_compute_dtype(keras, "float64") == "float32"
    result = run_claim("keras.center-loss", model="keras-center-loss")
    methods = [e.method for e in result.parts["numeric"].evidence]
    assert any("computing in float32" in m for m in methods)


@pytest.mark.slow
@needs_keras
def test_keras_schedules_store_the_rate_in_float32():
    from kexue_verify_plugins.keras.models import piecewise_keras
    from kexue_verify_plugins.keras.schedule import drive

    trace = drive(piecewise_keras(None), {"epochs": 3, "steps_per_epoch": 2})
    assert trace.storage_dtype == "float32"
    assert trace.lrs == (float(np.float32(1e-2)),) * 6
