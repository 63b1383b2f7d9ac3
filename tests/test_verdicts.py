"""The verdict rules (kexue_verify.verdicts), table-driven, and the context a check runs in (seed, device, dtype).

Each test claim here uses *scripted* checks: the assertion says what each part returns
(``{"symbolic": ["pass", "fail"], "numeric": "raise"}``), so that every row of the rules
can be written as data.  A false variant carries its own script.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random

import numpy as np
import pytest

from kexue_verify import (
    Case,
    CheckContext,
    Claim,
    Evidence,
    FalseVariant,
    ModelSpec,
    Outcome,
    RunConfig,
    SkipCheck,
    Source,
    UsageError,
    Verdict,
    close,
    derive_seed,
    evaluate,
    holds,
)
from kexue_verify.verdicts import expand

SOURCE = Source(title="Rules", author="Tester, Ada", date="2024", url="https://example.org/rules")


def run_script(part: str, assertion: dict):
    script = assertion.get(part)
    if script == "raise":
        raise RuntimeError(f"{part} check crashed")
    if script == "usage":
        raise UsageError("a library error, reported in one line")
    if script == "skip":
        raise SkipCheck("cannot run here")
    if script == "none":
        return None
    if script == "nan":
        return close(f"{part} nan", math.nan, 1.0, tol=1e-9)
    return [Evidence(name=f"{part} {i}", outcome=outcome) for i, outcome in enumerate(script)]


def symbolic(ctx, assertion):
    return run_script("symbolic", assertion)


def numeric(ctx, assertion):
    return run_script("numeric", assertion)


#: A false variant whose every part fails: what a claim needs to be verifiable at all.
REFUTABLE = (("fail", "fail"),)


def scripted_claim(sym=None, num=None, variants=REFUTABLE, **extra) -> Claim:
    """A claim whose parts do what ``sym``/``num`` say; None leaves the part out."""
    assertion = {"symbolic": sym, "numeric": num}
    false_variants = tuple(
        FalseVariant(name=f"v{i}", description=f"variant {i}",
                     assertion={"symbolic": [vs] if vs == "fail" else vs, "numeric": [vn] if vn == "fail" else vn})
        for i, (vs, vn) in enumerate(variants)
    )
    return Claim(id="rules.case", title="scripted", statement="s", source=SOURCE, assertion=assertion,
                 symbolic=symbolic if sym is not None else None, numeric=numeric if num is not None else None,
                 false_variants=false_variants, **extra)


def decide(claim: Claim, **config) -> object:
    return evaluate(Case(claim), RunConfig(in_process=True, **config))


P, F, U, S = "pass", "fail", "undecided", "skipped"


@pytest.mark.parametrize(("sym", "num", "verdict"), [
    ([P], [P], "verified"),
    ([P], None, "verified"),
    (None, [P, P], "verified"),
    ([P, S], [P], "verified"),          # a skipped piece beside passing ones does not block
    ([P], [F], "refuted"),
    ([F], [P], "refuted"),
    ([P, F], [P], "refuted"),           # one failing piece of evidence fails its part
    ([U], [P], "inconclusive"),
    ([U], None, "inconclusive"),
    ([P, U], [P], "inconclusive"),
    ([P], "raise", "error"),
    ("raise", [F], "error"),            # a crash outranks a failure
    ([F], "nan", "error"),              # so does NaN
    ("nan", [P], "error"),
    ([P], "none", "error"),             # returning None is a bug in the check
    ([], [P], "error"),                 # so is returning no evidence
    ([P], ["error"], "error"),
    ("usage", [P], "error"),
    ("skip", [P], "skipped"),
    ([P], "skip", "skipped"),
    ([S], None, "skipped"),
    ([U], "skip", "skipped"),
    ("skip", [F], "refuted"),           # a failure found by the other part still refutes
])
def test_verdict_of_the_assertion(sym, num, verdict: str) -> None:
    result = decide(scripted_claim(sym, num))
    assert result.verdict is Verdict(verdict)
    assert set(result.parts) == {p for p, s in (("symbolic", sym), ("numeric", num)) if s is not None}


@pytest.mark.parametrize(("variants", "verdict", "message"), [
    ([], "inconclusive", "no false variant"),  # nothing shows the checks could refute anything
    ([([F], [P])], "verified", "all 1 false variant(s) refuted"),
    ([([P], [F]), ([F], [F])], "verified", "all 2 false variant(s) refuted"),
    ([([P], [P])], "inconclusive", "does not refute false variant(s) v0"),
    ([([F], [P]), ([U], [P])], "inconclusive", "does not refute false variant(s) v1"),
    ([([F], [P]), ([P], "skip")], "inconclusive", "does not refute false variant(s) v1"),
    ([([F], [P]), ("raise", [P])], "error", "crashed on false variant(s) v1"),
    ([([F], "nan")], "error", "crashed on false variant(s) v0"),
    ([([P], [P]), ("raise", [F])], "error", "crashed on false variant(s) v1"),  # a crash outranks a survivor
])
def test_a_verified_assertion_needs_every_false_variant_refuted(variants, verdict: str, message: str) -> None:
    result = decide(scripted_claim([P], [P], variants))
    assert result.verdict is Verdict(verdict)
    assert message in result.message
    assert [v.name for v in result.variants] == [f"v{i}" for i in range(len(variants))]


@pytest.mark.parametrize(("sym", "num", "verdict"), [
    ([F], [P], "refuted"),
    ("raise", [P], "error"),
    ([U], [P], "inconclusive"),
])
def test_false_variants_cannot_rescue_or_spoil_an_undecided_assertion(sym, num, verdict: str) -> None:
    result = decide(scripted_claim(sym, num, variants=[([P], [P]), ([F], [F])]))
    assert result.verdict is Verdict(verdict)
    assert [v.verdict for v in result.variants] == [Verdict.VERIFIED, Verdict.REFUTED]  # still run and reported


@pytest.mark.parametrize(("expected", "sym", "as_expected"), [
    ("verified", [P], True),
    ("verified", [F], False),
    ("refuted", [F], True),
    ("refuted", [P], False),
    ("refuted", "raise", False),
])
def test_as_expected_compares_the_verdict_with_the_claim_expectation(expected, sym, as_expected: bool) -> None:
    result = decide(scripted_claim(sym, None, expected=expected))
    assert result.expected is Verdict(expected)
    assert result.as_expected is as_expected


def test_a_refuted_verdict_names_the_failing_evidence_and_its_counterexample() -> None:
    def check(ctx, a):
        return [holds("fine", True), close("ratio", 2.0, 1.0, tol=0.1, counterexample={"n": 7})]

    claim = Claim(id="rules.refuted", title="t", statement="s", source=SOURCE, numeric=check, expected="refuted")
    result = decide(claim)
    assert result.verdict is Verdict.REFUTED
    assert "numeric: ratio failed" in result.message
    assert "counterexample {'n': 7}" in result.message


def test_an_error_keeps_the_traceback_of_a_crash_but_one_line_for_a_library_error() -> None:
    crash = decide(scripted_claim([P], "raise"))
    assert crash.parts["numeric"].error.startswith("RuntimeError: numeric check crashed")
    assert "Traceback" in crash.parts["numeric"].error
    assert crash.message == crash.parts["numeric"].error
    usage = decide(scripted_claim("usage", None))
    assert usage.parts["symbolic"].error.endswith("UsageError: a library error, reported in one line")
    assert "\n" not in usage.parts["symbolic"].error


def test_a_nan_error_is_explained() -> None:
    result = decide(scripted_claim("nan", None))
    assert result.verdict is Verdict.ERROR
    ev = result.parts["symbolic"].evidence[0]
    assert (ev.outcome, ev.quantities["measured"]) == (Outcome.ERROR, "NaN")
    assert "non-finite" in ev.note
    assert result.message == "non-finite value measured"
    json.dumps(result.to_dict(), allow_nan=False)


def test_skipped_part_records_why() -> None:
    result = decide(scripted_claim("skip", None))
    assert result.parts["symbolic"].error == "skipped: cannot run here"


def test_result_dict_without_timings_has_no_duration() -> None:
    data = decide(scripted_claim([P], [P], variants=[([F], [P])])).to_dict(timings=False)
    assert "duration_s" not in json.dumps(data)
    assert data["false_variants"][0]["refuted"] is True
    assert data["symbolic"]["outcome"] == "pass"
    assert set(data) == {"case_id", "claim_id", "model", "verdict", "expected", "expected_by", "as_expected", "seed",
                         "message", "symbolic", "numeric", "false_variants"}


def test_proof_evidence_joins_the_symbolic_part() -> None:
    claim = scripted_claim(None, [P])
    proof_ok = Evidence(name="derivation", outcome=Outcome.PASS)
    proof_bad = Evidence(name="derivation", outcome=Outcome.FAIL, counterexample={"step": 3})
    ok = evaluate(Case(claim), RunConfig(in_process=True), [proof_ok])
    assert ok.verdict is Verdict.VERIFIED
    assert [e.name for e in ok.parts["symbolic"].evidence] == ["derivation"]
    bad = evaluate(Case(claim), RunConfig(in_process=True), [proof_bad])
    assert bad.verdict is Verdict.REFUTED
    assert "symbolic: derivation failed" in bad.message


# --- seeds, device and dtype ----------------------------------------------------------------------------------------

def test_derive_seed_depends_only_on_base_seed_and_key() -> None:
    assert derive_seed(0, "a.b") == derive_seed(0, "a.b")
    assert len({derive_seed(0, "a.b"), derive_seed(1, "a.b"), derive_seed(0, "a.c"), derive_seed(0, "a.b[m]")}) == 4
    seeds = [derive_seed(s, f"x.{i}") for s in range(5) for i in range(50)]
    assert all(0 <= s < 2**63 for s in seeds)
    assert max(seeds) > 2**60  # uses the whole range
    # the documented construction, as an independent check
    import hashlib

    assert derive_seed(7, "stirling.formula") == int.from_bytes(
        hashlib.sha256(b"7:stirling.formula").digest()[:8], "big") >> 1


SEEN: list[tuple] = []


def record_context(ctx, assertion):
    import torch

    gen_draw = float(torch.rand(1, generator=ctx.generator()).item())
    SEEN.append((ctx.case_id, ctx.seed, ctx.variant, ctx.device, ctx.dtype, random.random(),
                 float(np.random.random()), float(ctx.rng().random()), gen_draw))
    return holds("recorded", assertion == "true")


def context_claim(claim_id: str = "ctx.recorder") -> Claim:
    return Claim(id=claim_id, title="t", statement="s", source=SOURCE, assertion="true", numeric=record_context,
                 false_variants=(FalseVariant(name="false", description="d", assertion="false"),))


def test_each_check_gets_the_claims_derived_seed_and_freshly_seeded_globals() -> None:
    SEEN.clear()
    result = evaluate(Case(context_claim()), RunConfig(seed=5, in_process=True))
    assert result.seed == derive_seed(5, "ctx.recorder")
    (case_id, seed, variant, device, dtype, py, npy, rng, gen), variant_row = SEEN
    assert (case_id, seed, variant, device, dtype) == ("ctx.recorder", result.seed, None, "cpu", "float64")
    assert variant_row[:3] == ("ctx.recorder", result.seed, "false")  # the variant runs with the same seed
    assert py == random.Random(result.seed).random()  # the runner seeded the global generators
    assert npy == np.random.RandomState(result.seed % 2**32).random_sample()
    assert rng == np.random.default_rng(result.seed).random()
    assert variant_row[5:] == (py, npy, rng, gen)  # reseeded before every check


def test_the_same_claim_gets_the_same_numbers_whatever_ran_before() -> None:
    SEEN.clear()
    evaluate(Case(context_claim()), RunConfig(seed=1, in_process=True))
    alone = SEEN[0]
    SEEN.clear()
    random.seed(12345)
    np.random.seed(999)
    evaluate(Case(context_claim("ctx.other")), RunConfig(seed=1, in_process=True))
    evaluate(Case(context_claim()), RunConfig(seed=1, in_process=True))
    assert SEEN[2] == alone
    assert SEEN[0][1] != alone[1]  # another claim, another seed
    SEEN.clear()
    evaluate(Case(context_claim()), RunConfig(seed=2, in_process=True))
    assert SEEN[0][1:] != alone[1:]  # another --seed, other numbers


def test_defaults_are_float64_on_cpu() -> None:
    config = RunConfig()
    assert (config.seed, config.device, config.dtype, config.jobs, config.in_process) == (0, "cpu", "float64", 1, False)
    SEEN.clear()
    evaluate(Case(context_claim()), RunConfig(in_process=True))
    assert SEEN[0][3:5] == ("cpu", "float64")


def test_context_tensors_follow_device_and_dtype() -> None:
    torch = pytest.importorskip("torch")
    ctx = CheckContext(case_id="a.b", seed=3, dtype="float32")
    t = ctx.tensor([1, 2])
    assert (t.dtype, t.device.type) == (torch.float32, "cpu")
    assert ctx.torch_dtype is torch.float32
    assert CheckContext(case_id="a.b", seed=3).torch_dtype is torch.float64
    a = torch.rand(3, generator=ctx.generator())
    assert torch.equal(a, torch.rand(3, generator=ctx.generator()))
    assert not torch.equal(a, torch.rand(3, generator=ctx.generator(offset=1)))
    assert ctx.rng().random() == ctx.rng().random() != ctx.rng(1).random()


def test_cuda_without_cuda_is_skipped_with_a_hint() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = decide(scripted_claim([P], [P]), device="cuda")
    assert result.verdict is Verdict.SKIPPED
    assert "--device cpu" in result.message
    assert result.parts == {}



def test_every_check_of_a_case_runs_with_tf32_off_for_the_case_device(monkeypatch) -> None:
    """The evaluator, not each check, turns TF32 off: once around the claim's checks and its false variants."""
    import contextlib

    from kexue_verify import verdicts

    active: list[str] = []
    entered: list[str] = []
    seen: list[tuple[str, tuple[str, ...]]] = []

    @contextlib.contextmanager
    def recording_no_tf32(device="cuda"):
        entered.append(str(device))
        active.append(str(device))
        try:
            yield
        finally:
            active.pop()

    def check(ctx, assertion):
        seen.append((ctx.device, tuple(active)))
        return [Evidence(name="n", outcome=Outcome.PASS if assertion == "true" else Outcome.FAIL)]

    monkeypatch.setattr(verdicts, "no_tf32", recording_no_tf32)
    monkeypatch.setattr(verdicts, "_cuda_available", lambda: True)
    claim = Claim(id="rules.tf32", title="t", statement="s", source=SOURCE, assertion="true", numeric=check,
                  false_variants=(FalseVariant(name="false", description="d", assertion="false"),))
    result = evaluate(Case(claim), RunConfig(device="cuda", in_process=True))
    assert result.verdict is Verdict.VERIFIED
    assert entered == ["cuda"]  # once per case, with the case's device
    assert seen == [("cuda", ("cuda",)), ("cuda", ("cuda",))]  # the claim's check and its false variant's
    assert active == []  # and left after the case


def test_on_cuda_a_check_sees_ieee_float32() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA (the test above covers the evaluator on CPU)")
    settings = []

    def check(ctx, assertion):
        settings.append(torch.backends.cuda.matmul.fp32_precision)
        return [Evidence(name="n", outcome=Outcome.PASS if assertion == "true" else Outcome.FAIL)]

    claim = Claim(id="rules.tf32", title="t", statement="s", source=SOURCE, assertion="true", numeric=check,
                  false_variants=(FalseVariant(name="false", description="d", assertion="false"),))
    before = torch.backends.cuda.matmul.fp32_precision
    assert evaluate(Case(claim), RunConfig(device="cuda", in_process=True)).verdict is Verdict.VERIFIED
    assert settings == ["ieee", "ieee"]
    assert torch.backends.cuda.matmul.fp32_precision == before


# --- model kinds ----------------------------------------------------------------------------------------------------

class Recorder:
    """A stand-in model that remembers how ``.to`` was called and scales its input."""

    def __init__(self, factor: float) -> None:
        self.factor, self.moved = factor, None

    def to(self, *, device, dtype):
        self.moved = (device, str(dtype))
        return self

    def __call__(self, x: float) -> float:
        return self.factor * x


BUILT: list = []


def make_double(ctx):
    model = Recorder(2.0)
    BUILT.append(model)
    return model


def make_triple(ctx):
    return Recorder(3.0)


def model_check(ctx, a):
    return close("f(1)", ctx.model(1.0), a, tol=0.0, model=ctx.model_name, declared=ctx.declared.get("factor"))


WRONG_CONSTANT = (FalseVariant(name="wrong-constant", description="f(x) = 3x", assertion=3.0),)


def model_claim(variants=WRONG_CONSTANT) -> Claim:
    return Claim(id="rules.model", title="t", statement="f(x) = 2x", source=SOURCE, assertion=2.0,
                 numeric=model_check, model_kind="scaler", false_variants=variants)


DOUBLE = ModelSpec(name="double", kind="scaler", factory=make_double, declared={"factor": 2})


def test_a_model_claim_sees_the_built_model_moved_to_device_and_dtype() -> None:
    BUILT.clear()
    result = evaluate(Case(model_claim(), DOUBLE), RunConfig(in_process=True))
    assert result.verdict is Verdict.VERIFIED
    assert (result.case_id, result.model) == ("rules.model[double]", "double")
    assert result.seed == derive_seed(0, "rules.model[double]")
    assert BUILT[0].moved == ("cpu", "torch.float64")
    assert result.parts["numeric"].evidence[0].quantities == {"measured": 2.0, "error": 0.0, "model": "double",
                                                              "declared": 2}


def test_a_model_variant_replaces_the_model_and_an_assertion_variant_keeps_it() -> None:
    BUILT.clear()
    variants = (FalseVariant(name="buggy-model", description="triples", model=make_triple),
                FalseVariant(name="wrong-constant", description="f(x) = 3x", assertion=3.0))
    result = evaluate(Case(model_claim(variants), DOUBLE), RunConfig(in_process=True))
    assert result.verdict is Verdict.VERIFIED
    assert [v.verdict for v in result.variants] == [Verdict.REFUTED, Verdict.REFUTED]
    buggy = result.variants[0].parts["numeric"].evidence[0]
    assert buggy.quantities["measured"] == 3.0
    assert buggy.quantities["declared"] is None  # a replacement model has no declared promises
    assert len(BUILT) == 2  # the case's model is built afresh for the assertion variant


@pytest.mark.parametrize(("factory", "verdict", "fragment"), [
    (lambda ctx: 1 / 0, "error", "building the model failed: ZeroDivisionError"),
    (lambda ctx: (_ for _ in ()).throw(SkipCheck("needs a GPU")), "skipped", "skipped: needs a GPU"),
])
def test_a_model_that_cannot_be_built(factory, verdict: str, fragment: str) -> None:
    spec = ModelSpec(name="broken", kind="scaler", factory=factory)
    result = evaluate(Case(model_claim(), spec), RunConfig(in_process=True))
    assert result.verdict is Verdict(verdict)
    assert fragment in result.message


def test_a_claim_about_a_kind_without_models_is_inconclusive_with_a_message() -> None:
    from kexue_verify import ModelRegistry

    registry = ModelRegistry()
    registry.add(DOUBLE)
    (case,) = expand([dataclasses.replace(model_claim(), model_kind="absent")], registry)
    assert case.model is None
    result = evaluate(case, RunConfig(in_process=True))
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "no model of kind 'absent' is registered" in result.message
    assert "kexue_register_models" in result.message
    assert [c.id for c in expand([model_claim()], registry)] == ["rules.model[double]"]


def test_a_control_model_declares_the_verdict_it_expects_and_runs_only_there() -> None:
    spec = ModelSpec(name="buggy", kind="k", factory=lambda ctx: object(), expect={"fam.other": "verified",
                                                                                   "fam.*": "refuted"})
    assert spec.expected_for("fam.other") is Verdict.VERIFIED
    assert spec.expected_for("fam.one") is Verdict.REFUTED
    assert spec.expected_for("else.one") is None
    failing = scripted_claim([F], [F], variants=[([F], [F])])
    claim = dataclasses.replace(failing, id="fam.one", model_kind="k")
    other = dataclasses.replace(failing, id="else.one", model_kind="k")

    class Models:
        def of_kind(self, kind):
            return [spec]

    assert [c.id for c in expand([claim, other], Models())] == ["fam.one[buggy]", "else.one"]
    result = evaluate(Case(claim, spec), RunConfig(in_process=True))
    assert result.verdict is Verdict.REFUTED
    assert result.as_expected
    assert result.expected_by == "model buggy"
    assert result.variants == []  # a refutation does not rest on them


def test_a_control_with_a_bad_expectation_is_refused() -> None:
    from kexue_verify.errors import ClaimDefinitionError

    with pytest.raises(ClaimDefinitionError, match="must be 'verified' or 'refuted'"):
        ModelSpec(name="m", kind="k", factory=lambda ctx: None, expect={"a.b": "inconclusive"})
