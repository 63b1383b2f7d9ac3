"""Helpers for testing claims and plugins with pytest, the way plugin authors do.

>>> from kexue_verify.testing import run_claim          # doctest: +SKIP
>>> result = run_claim("stirling.formula")              # doctest: +SKIP
>>> assert_verdict(result, "verified")                  # doctest: +SKIP

``run_claim`` evaluates in the calling process (no worker, no timeout) so a failure shows a
plain traceback; ``assert_verdict`` fails with the evidence and the false variants that did
not behave, which is what one needs to see when a check is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kexue_verify.claims import Claim, ModelSpec, Verdict
from kexue_verify.plugins import LoadedPlugins, LoadOptions, load
from kexue_verify.threads import single_threaded
from kexue_verify.verdicts import Case, CaseResult, RunConfig, evaluate
from kexue_verify.workers import proof_evidence

__all__ = ["assert_verdict", "builtin_plugins", "explain", "run_claim", "run_claims"]

_LOADED: dict[tuple[Any, ...], LoadedPlugins] = {}


def builtin_plugins(options: LoadOptions | None = None) -> LoadedPlugins:
    """The plugins as the command line would load them (cached per options within a test session)."""
    options = options or LoadOptions(only=None)
    key = (options.modules, options.dirs, options.only)
    if key not in _LOADED:
        _LOADED[key] = load(options)
    return _LOADED[key]


def _case(claim: Claim | str, model: ModelSpec | str | None, loaded: LoadedPlugins) -> Case:
    obj = loaded.claims[claim] if isinstance(claim, str) else claim
    spec = loaded.models[model] if isinstance(model, str) else model
    return Case(obj, spec)


def run_claim(claim: Claim | str, *, model: ModelSpec | str | None = None, seed: int = 0, device: str = "cpu",
              dtype: str = "float64", loaded: LoadedPlugins | None = None) -> CaseResult:
    """Evaluate one claim (by id or object), optionally on one model, in this process."""
    loaded = loaded or builtin_plugins()
    config = RunConfig(seed=seed, device=device, dtype=dtype, in_process=True)
    case = _case(claim, model, loaded)
    with single_threaded():  # as in a worker (and as run_cases in process), so that the numbers are the same
        return evaluate(case, config, proof_evidence(case, loaded, config))


def run_claims(claims: Iterable[Claim | str], **kwargs: Any) -> list[CaseResult]:
    return [run_claim(c, **kwargs) for c in claims]


def explain(result: CaseResult) -> str:
    """The result as indented JSON, for assertion messages."""
    return json.dumps(result.to_dict(timings=False), indent=1, ensure_ascii=False, default=str)[:6000]


def assert_verdict(result: CaseResult, verdict: Verdict | str, *, variants_refuted: bool = True) -> None:
    """Fail unless ``result`` has ``verdict`` and (by default) every false variant was refuted."""
    want = Verdict(verdict)
    assert result.verdict is want, (
        f"{result.case_id}: verdict {result.verdict.value}, wanted {want.value}\n{explain(result)}")
    if variants_refuted:
        alive = [v.name for v in result.variants if v.verdict is not Verdict.REFUTED]
        assert not alive, f"{result.case_id}: false variants not refuted: {alive}\n{explain(result)}"
