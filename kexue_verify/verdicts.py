"""Deciding one case: run a claim's checks on its assertion and on every false variant, and reach a verdict.

The rules, in order (see ``docs/explanation.md``):

* a part (symbolic or numeric) **errors** if its check raises or measures NaN/Inf;
  it **fails** if any evidence fails; it **passes** only if every piece of evidence passes;
* the assertion is ``error`` if a part errored, ``refuted`` if a part failed, ``verified``
  if every part passed, ``skipped`` if a part was skipped, else ``inconclusive``;
* a verified claim stays verified only if the **same checks refute every false variant**:
  a variant that also passes means the check cannot tell true from false, so the claim
  is ``inconclusive``; so is a claim with no false variant at all; a variant whose check
  crashes makes the claim ``error``;
* a **control model** (a ``ModelSpec`` with ``expect``) runs only on the claims it names, its declared verdict is the
  case's expectation (``expected_by`` says so), and a case it expects ``refuted`` runs no false variants.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kexue_verify import memo
from kexue_verify.capture import Output, captured_output
from kexue_verify.claims import Claim, FalseVariant, ModelSpec, Verdict, resolve
from kexue_verify.context import CheckContext, derive_seed
from kexue_verify.errors import KexueError
from kexue_verify.evidence import Evidence, Outcome, as_evidence_list
from kexue_verify.isolation import preserved_global_state, seed_globals
from kexue_verify.precision import no_tf32
from kexue_verify.threads import ensure_sound_lapack
from kexue_verify.tracebacks import plugin_traceback

__all__ = ["Case", "CaseResult", "PartResult", "RunConfig", "SkipCheck", "VariantResult", "evaluate", "expand",
           "symbolic_ahead"]


class SkipCheck(Exception):  # noqa: N818 - it is a signal, like pytest's Skipped
    """Raised by a check that cannot run here (e.g. CUDA requested but absent)."""


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """How to run: base seed, device, dtype, per-case timeout (seconds), parallel jobs and where.

    ``executor`` is ``"local"`` (worker processes on this machine) or ``"dask"`` (:mod:`kexue_verify.distributed`:
    an embedded LocalCluster, or the cluster at ``scheduler``).  Neither changes any result.
    """

    seed: int = 0
    device: str = "cpu"
    dtype: str = "float64"
    timeout: float = 600.0
    jobs: int = 1
    in_process: bool = False
    executor: str = "local"
    scheduler: str | None = None


@dataclass(frozen=True)
class Case:
    """A claim, possibly bound to one model of its kind."""

    claim: Claim
    model: ModelSpec | None = None

    @property
    def id(self) -> str:
        return f"{self.claim.id}[{self.model.name}]" if self.model else self.claim.id


@dataclass
class PartResult:
    """The symbolic or numeric part of one assertion: its outcome and evidence."""

    part: str
    outcome: Outcome
    evidence: list[Evidence] = field(default_factory=list)
    error: str | None = None
    duration: float = 0.0
    output: Output | None = None  # what the check printed (kexue_verify.capture), when it printed anything

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "outcome": self.outcome.value,
            "evidence": [e.to_dict() for e in self.evidence],
            "error": self.error,
        }
        if self.output is not None and self.output.size:
            data["output"] = self.output.to_dict()
        if timings:
            data["duration_s"] = round(self.duration, 4)
        return data


@dataclass
class VariantResult:
    """What the claim's checks said about one false variant."""

    name: str
    description: str
    verdict: Verdict
    parts: dict[str, PartResult]

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "verdict": self.verdict.value,
            "refuted": self.verdict is Verdict.REFUTED,
            **{k: v.to_dict(timings=timings) for k, v in self.parts.items()},
        }


@dataclass
class CaseResult:
    """The outcome of one case: verdict, expectation, evidence and false variants."""

    case_id: str
    claim_id: str
    model: str | None
    verdict: Verdict
    expected: Verdict
    seed: int
    parts: dict[str, PartResult] = field(default_factory=dict)
    variants: list[VariantResult] = field(default_factory=list)
    message: str = ""
    duration: float = 0.0
    #: Who set ``expected``: ``"claim"``, or ``"model <name>"`` for a control model's declared expectation.
    expected_by: str = "claim"
    #: Seconds spent checking the claim's derivation (``Claim.proof``), included in ``duration``.
    proof_duration: float = 0.0
    #: Whether this result was reused from the result cache (:mod:`kexue_verify.result_cache`), not computed.
    reused: bool = False

    @property
    def as_expected(self) -> bool:
        return self.verdict is self.expected

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "case_id": self.case_id,
            "claim_id": self.claim_id,
            "model": self.model,
            "verdict": self.verdict.value,
            "expected": self.expected.value,
            "expected_by": self.expected_by,
            "as_expected": self.as_expected,
            "seed": self.seed,
            "message": self.message,
            "symbolic": self.parts["symbolic"].to_dict(timings=timings) if "symbolic" in self.parts else None,
            "numeric": self.parts["numeric"].to_dict(timings=timings) if "numeric" in self.parts else None,
            "false_variants": [v.to_dict(timings=timings) for v in self.variants],
        }
        if timings:
            data["duration_s"] = round(self.duration, 4)
            if round(self.proof_duration, 4):
                data["timings"] = {"proof_s": round(self.proof_duration, 4)}
        if self.reused:
            data["cache"] = "reused"  # left out of the report id, like the timings
        return data


def expand(claims: Sequence[Claim], models: Any) -> list[Case]:
    """One case per claim, or per (claim, model) for claims about a model kind."""
    cases: list[Case] = []
    for claim in claims:
        if claim.model_kind is None:
            cases.append(Case(claim))
            continue
        specs = [spec for spec in models.of_kind(claim.model_kind) if spec.runs(claim.id)]
        cases.extend(Case(claim, spec) for spec in specs) if specs else cases.append(Case(claim))
    return cases


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _combine(evidence: list[Evidence]) -> Outcome:
    outcomes = {e.outcome for e in evidence}
    for outcome in (Outcome.ERROR, Outcome.FAIL, Outcome.UNDECIDED):
        if outcome in outcomes:
            return outcome
    if outcomes == {Outcome.SKIPPED}:
        return Outcome.SKIPPED
    return Outcome.PASS if Outcome.PASS in outcomes else Outcome.UNDECIDED


def run_part(part: str, check: Any, ctx: CheckContext, assertion: Any, extra: Sequence[Evidence] = ()) -> PartResult:
    """Run one check, catching everything: a crash is an ``error`` outcome, never a pass."""
    start = time.perf_counter()
    evidence = list(extra)
    error = None
    printed = None
    if check is not None:
        seed_globals(ctx.seed)
        try:
            if "torch" in sys.modules:
                ensure_sound_lapack()
            with preserved_global_state(), captured_output() as printed:  # output into the report
                returned = resolve(check)(ctx, assertion)
            evidence += as_evidence_list(returned, part)
        except SkipCheck as exc:
            return PartResult(part, Outcome.SKIPPED, evidence, f"skipped: {exc}", time.perf_counter() - start,
                              printed)
        except Exception as exc:  # noqa: BLE001 - a crashing check is reported, not raised
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            error = f"{error}\n{plugin_traceback(exc)}" if not isinstance(exc, KexueError) else error
    outcome = Outcome.ERROR if error else _combine(evidence)
    return PartResult(part, outcome, evidence, error, time.perf_counter() - start, printed)


def _verdict(parts: dict[str, PartResult]) -> Verdict:
    outcomes = {p.outcome for p in parts.values()}
    if Outcome.ERROR in outcomes:
        return Verdict.ERROR
    if Outcome.FAIL in outcomes:
        return Verdict.REFUTED
    if outcomes == {Outcome.PASS}:
        return Verdict.VERIFIED
    if Outcome.SKIPPED in outcomes:
        return Verdict.SKIPPED
    return Verdict.INCONCLUSIVE


def _build_model(spec: ModelSpec | Any, ctx: CheckContext) -> Any:
    """Build the model with the global generators seeded from the case (``nn.Linear``'s default init included)."""
    seed_globals(ctx.seed, import_torch=True)
    with preserved_global_state():
        model = spec.build(ctx) if isinstance(spec, ModelSpec) else resolve(spec)(ctx)
    to = getattr(model, "to", None)
    if callable(to):
        model = to(device=ctx.device, dtype=ctx.torch_dtype)
    return model


def _assess(claim: Claim, ctx: CheckContext, assertion: Any, proof_evidence: Sequence[Evidence],
            symbolic: PartResult | None = None) -> dict[str, PartResult]:
    """The claim's parts on ``ctx``; ``symbolic``, when given, is that part already decided (:func:`symbolic_ahead`)."""
    parts: dict[str, PartResult] = {}
    if symbolic is not None:
        parts["symbolic"] = replace(symbolic)  # a copy: the caller's part is not changed (the proof time is added)
    elif claim.symbolic is not None or proof_evidence:
        parts["symbolic"] = run_part("symbolic", claim.symbolic, ctx, assertion, proof_evidence)
    if claim.numeric is not None:
        parts["numeric"] = run_part("numeric", claim.numeric, ctx, assertion)
    return parts


def _ref_name(ref: Any) -> str:
    """A buggy model's name for the evidence: ``"module:function"``, never a ``repr`` with a memory address
    (which would differ from run to run, and so would the report id)."""
    if isinstance(ref, str):
        return ref
    module, name = getattr(ref, "__module__", None), getattr(ref, "__qualname__", None)
    return f"{module}:{name}" if module and name else type(ref).__name__


def _with_model(ctx: CheckContext, model: Any) -> tuple[CheckContext, PartResult | None]:
    if model is None:
        return ctx, None
    try:
        built = _build_model(model, ctx)
    except SkipCheck as exc:
        return ctx, PartResult("model", Outcome.SKIPPED, error=f"skipped: {exc}")
    except Exception as exc:  # noqa: BLE001
        return ctx, PartResult("model", Outcome.ERROR, error=f"building the model failed: {type(exc).__name__}: {exc}")
    name = model.name if isinstance(model, ModelSpec) else _ref_name(model)
    declared = dict(model.declared) if isinstance(model, ModelSpec) else {}
    return ctx.with_model(built, name, declared), None


#: Results of false variants that replace the model, per worker: (claim, variant, seed, device, dtype) -> result.
_MODEL_VARIANTS: dict[tuple[Any, ...], VariantResult] = {}


def forget_measurements() -> None:
    """Forget what this process decided once for many cases: the false variants that replace the model, and the
    checks' :func:`~kexue_verify.helpers.remember`-ed measurements.  Neither key names the code (a model reference
    ``"module:function"`` reads the same after an edit), so each run starts without them (:func:`kexue_verify.run`);
    within a run the code is fixed (or the run says it was not: ``code_changed``)."""
    _MODEL_VARIANTS.clear()
    memo.clear()


def _case_context(case: Case, config: RunConfig) -> CheckContext:
    """The context a case's checks run in (before its model is built), seeded from the run seed and the case id."""
    return CheckContext(case_id=case.id, seed=derive_seed(config.seed, case.id), device=config.device,
                        dtype=config.dtype)


def _variant_context(ctx: CheckContext, variant: FalseVariant, seed: int) -> CheckContext:
    return CheckContext(case_id=ctx.case_id, seed=seed, device=ctx.device, dtype=ctx.dtype, variant=variant.name)


def _variant_assertion(claim: Claim, variant: FalseVariant) -> Any:
    """What a false variant asserts: its own assertion, or the claim's (a variant that replaces the model)."""
    return claim.assertion if variant.assertion is None else variant.assertion


def _variant(claim: Claim, variant: FalseVariant, ctx: CheckContext, model: ModelSpec | None,
             run_seed: int, symbolic: PartResult | None = None) -> VariantResult:
    """One false variant.  A variant that replaces the model does not depend on the case's model, so it is seeded
    from ``(run seed, claim, variant)`` and decided once per worker for all the claim's cases (same result, since
    every check is deterministic given its seed); an assertion variant runs on the case's model, with its seed."""
    assertion = _variant_assertion(claim, variant)
    seed = ctx.seed if variant.model is None else derive_seed(run_seed, f"{claim.id}~{variant.name}")
    key = (claim.id, variant.name, str(variant.model), seed, ctx.device, ctx.dtype)
    if variant.model is not None and key in _MODEL_VARIANTS:
        return _MODEL_VARIANTS[key]
    vctx, failure = _with_model(_variant_context(ctx, variant, seed),
                                variant.model if variant.model is not None else model)
    if failure:
        result = VariantResult(variant.name, variant.description, _verdict({"model": failure}), {"model": failure})
    else:
        parts = _assess(claim, vctx, assertion, (), symbolic if variant.model is None else None)
        result = VariantResult(variant.name, variant.description, _verdict(parts), parts)
    if variant.model is not None:
        _MODEL_VARIANTS[key] = result
    return result


def evaluate(case: Case, config: RunConfig, proof_evidence: Sequence[Evidence] = (), *,
             proof_seconds: float = 0.0, ahead: dict[str | None, PartResult] | None = None) -> CaseResult:
    """Decide ``case``: check the assertion, then every false variant with the same checks.

    ``proof_seconds`` is the time already spent producing ``proof_evidence`` (checking the claim's derivation):
    it is added to the case's ``duration`` and to its symbolic part's, and kept as ``proof_duration``.
    ``ahead``: symbolic parts already decided by :func:`symbolic_ahead` (in another process), used as they are;
    their time is counted in the case's ``duration``.

    The process's global settings are restored afterwards (:func:`~kexue_verify.isolation.preserved_global_state`),
    so that a case cannot change the verdicts of the cases after it in the same worker.  The whole case runs under
    :func:`~kexue_verify.precision.no_tf32` for its device (a no-op off CUDA), so that float32 checks see IEEE
    float32 without each check turning TF32 off itself.
    """
    with preserved_global_state(), no_tf32(config.device):
        return _evaluate_case(case, config, proof_evidence, proof_seconds, ahead or {})


def symbolic_ahead(case: Case, config: RunConfig, proof_evidence: Sequence[Evidence]) -> dict[str | None, PartResult]:
    """The symbolic parts of a case without a model, decided as :func:`evaluate` would: the claim's (key ``None``,
    with ``proof_evidence``) and each assertion variant's (key: its name).

    They need no model and, for the shipped claims, no torch, so a worker decides them in a forked child while it
    imports torch itself (``workers._ProofAhead``) and passes them to :func:`evaluate` as ``ahead``.  Every check is
    seeded from the case (:func:`~kexue_verify.isolation.seed_globals`), so the parts are the ones the worker would
    have computed.  A case with a model (or of a claim that needs one) gets ``{}``: its contexts carry the model.
    """
    claim = case.claim
    if case.model is not None or claim.model_kind:
        return {}
    parts: dict[str | None, PartResult] = {}
    with preserved_global_state(), no_tf32(config.device):
        ctx = _case_context(case, config)
        if claim.symbolic is not None or proof_evidence:
            parts[None] = run_part("symbolic", claim.symbolic, ctx, claim.assertion, proof_evidence)
        if claim.symbolic is not None:
            for variant in claim.false_variants:
                if variant.model is None:
                    parts[variant.name] = run_part("symbolic", claim.symbolic, _variant_context(ctx, variant, ctx.seed),
                                                   _variant_assertion(claim, variant))
    return parts


def _evaluate_case(case: Case, config: RunConfig, proof_evidence: Sequence[Evidence],
                   proof_seconds: float, ahead: dict[str | None, PartResult]) -> CaseResult:
    start = time.perf_counter() - proof_seconds - sum(part.duration for part in ahead.values())
    claim = case.claim
    seed = derive_seed(config.seed, case.id)
    declared = case.model.expected_for(claim.id) if case.model is not None else None
    model_name = case.model.name if case.model else None
    result = CaseResult(case.id, claim.id, model_name, Verdict.INCONCLUSIVE, declared or claim.expected, seed,
                        expected_by=f"model {model_name}" if declared is not None else "claim",
                        proof_duration=proof_seconds)
    if claim.model_kind and case.model is None:
        result.message = (f"no model of kind {claim.model_kind!r} is registered; "
                          "a plugin adds one with kexue_register_models")
        result.duration = time.perf_counter() - start
        return result
    if config.device.startswith("cuda") and not _cuda_available():
        result.verdict = Verdict.SKIPPED
        result.message = "CUDA was asked for (--device cuda) but torch sees no CUDA device; use --device cpu or auto"
        result.duration = time.perf_counter() - start
        return result
    base = _case_context(case, config)
    ctx, failure = _with_model(base, case.model)
    if failure:
        result.parts = {"model": failure}
        result.verdict = _verdict(result.parts)
        result.message = failure.error or ""
        result.duration = time.perf_counter() - start
        return result
    result.parts = _assess(claim, ctx, claim.assertion, proof_evidence, ahead.get(None))
    if "symbolic" in result.parts:
        result.parts["symbolic"].duration += proof_seconds
    verdict = _verdict(result.parts)
    control_refuted = declared is Verdict.REFUTED
    result.variants = [] if control_refuted else [_variant(claim, v, base, case.model, config.seed, ahead.get(v.name))
                                                  for v in claim.false_variants]
    if verdict is Verdict.VERIFIED and control_refuted and case.model is not None:
        result.message = (f"the checks pass on {case.model.name}, which declares that {claim.id} is refuted on it: "
                          "the negative control is not caught")
    elif verdict is Verdict.VERIFIED:
        verdict, result.message = _judge_variants(result.variants)
    elif verdict is Verdict.REFUTED:
        result.message = _first_failure(result.parts)
    elif verdict is Verdict.INCONCLUSIVE:
        result.message = _first_undecided(result.parts)
    elif verdict is Verdict.ERROR:
        result.message = next((p.error or "non-finite value measured" for p in result.parts.values()
                               if p.outcome is Outcome.ERROR), "")
    result.verdict = verdict
    result.duration = time.perf_counter() - start
    return result


def _judge_variants(variants: list[VariantResult]) -> tuple[Verdict, str]:
    crashed = [v.name for v in variants if v.verdict in (Verdict.ERROR, Verdict.TIMEOUT)]
    if crashed:
        return Verdict.ERROR, f"the check crashed on false variant(s) {', '.join(crashed)}"
    passing = [v.name for v in variants if v.verdict is not Verdict.REFUTED]
    if passing:
        return Verdict.INCONCLUSIVE, (
            f"the check does not refute false variant(s) {', '.join(passing)}, so it cannot tell the claim from them")
    if not variants:
        return Verdict.INCONCLUSIVE, ("the checks pass, but the claim has no false variant, so nothing shows "
                                      "that they could refute a wrong neighbour; add one")
    return Verdict.VERIFIED, f"all {len(variants)} false variant(s) refuted"


def _first_undecided(parts: dict[str, PartResult]) -> str:
    for part in parts.values():
        for ev in part.evidence:
            if ev.outcome is Outcome.UNDECIDED:
                return f"{part.part}: {ev.name} could not be decided" + (f" ({ev.note})" if ev.note else "")
    return ""


def _first_failure(parts: dict[str, PartResult]) -> str:
    for part in parts.values():
        for ev in part.evidence:
            if ev.outcome is Outcome.FAIL:
                measured = [f"measured {ev.quantities}"] if ev.quantities else []
                measured += [f"expected {ev.expected}"] if ev.expected is not None else []
                detail = f" ({', '.join(measured)})" if measured else ""
                detail += f"; counterexample {ev.counterexample}" if ev.counterexample is not None else ""
                detail += f"; {ev.note}" if ev.note else ""
                return f"{part.part}: {ev.name} failed{detail}"
    return ""
