r"""``flows.consistency-checks-suffice``: the testing practice many flow implementations stop at — round trip plus
cancelling log-dets, no Jacobian — against the generic checks, on every buggy layer of the corpus (:mod:`..buggy`).

The statement is refuted by each bug that passes the consistency-only check (:func:`consistency_only`, with
``allclose``-style tolerances of √ε) and fails a generic check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from kexue_verify import CheckContext, Evidence, Outcome
from kexue_verify.helpers import eps
from kexue_verify_plugins.flows import buggy
from kexue_verify_plugins.flows.assertions import CorpusProbe
from kexue_verify_plugins.flows.checks.common import prepare
from kexue_verify_plugins.flows.checks.directions import directions_check
from kexue_verify_plugins.flows.checks.inverse import inverse_check
from kexue_verify_plugins.flows.checks.logdet import logdet_check
from kexue_verify_plugins.flows.checks.structure import structure_check
from kexue_verify_plugins.flows.probing import probe
from kexue_verify_plugins.flows.protocol import Flow

__all__ = ["consistency_only", "consistency_suffices"]


def consistency_only(flow: Flow, x: Tensor) -> dict[str, Any]:
    """The check many test suites stop at: round trip and ``ld_f(x) + ld_f⁻¹(f(x)) = 0``, no Jacobian.

    Uses ``allclose``-style tolerances of √ε (generous, as such tests are).  Returns what it saw.
    """
    tol = math.sqrt(eps(str(x.dtype)))
    with torch.no_grad():
        y, ld = flow.forward(x)
        x_back, ld_inv = flow.inverse(y)
    round_trip = bool(torch.isfinite(x_back).all()) and bool(torch.allclose(x_back, x, rtol=tol, atol=tol))
    cancel = True
    if ld_inv is not None:
        total = ld + ld_inv
        cancel = bool(torch.isfinite(total).all()) and bool((total.abs() <= tol * (1 + ld.abs())).all())
    return {"passed": round_trip and cancel, "round_trip": round_trip, "log_dets_cancel": cancel}


def built_model(ctx: CheckContext, factory: Callable[[Any], Any]) -> Any:
    """Build a model as the runner does: factory(ctx), then onto the run's device and dtype."""
    model = factory(ctx)
    return model.to(device=ctx.device, dtype=ctx.torch_dtype) if hasattr(model, "to") else model


def consistency_suffices(ctx: CheckContext, a: CorpusProbe) -> Evidence:
    """Run the consistency-only check (round trip, log-dets cancel, √ε tolerances) and the generic checks on every
    buggy layer of the corpus; the statement fails on each bug that passes the first and fails the second."""
    generic = (("log-det", logdet_check), ("structure", structure_check), ("directions", directions_check),
               ("inverse", inverse_check))
    rows, missed = [], []
    for name, ref in buggy.CORPUS.items():
        factory = getattr(buggy, ref.split(":")[1])
        cctx = ctx.with_model(built_model(ctx, factory), name)
        flow = prepare(cctx, a)
        x, _ = probe(flow, cctx, a)
        seen = consistency_only(flow, x)
        caught_by = None if seen["passed"] else "(not run: the consistency-only check already catches it)"
        for check_name, check in generic if seen["passed"] else ():
            evidence = check(ctx.with_model(built_model(ctx, factory), name), a)
            if any(e.outcome is Outcome.FAIL for e in evidence):
                caught_by = check_name
                break
        rows.append({"bug": name, "consistency_only": "passes" if seen["passed"] else "catches it",
                     "caught_by": caught_by})
        if seen["passed"] and caught_by:
            missed.append(f"{name} (caught by the {caught_by} check)")
    return Evidence(
        name="every bug the Jacobian checks catch is also caught by the consistency-only check",
        outcome=Outcome.FAIL if missed else Outcome.PASS,
        method=f"{len(rows)} buggy layers; consistency: allclose(f⁻¹(f(x)), x) and |ld_f + ld_f⁻¹| ≤ √ε(1+|ld|)",
        quantities={"bugs": rows, "passed_consistency_but_caught": len(missed)},
        expected="no bug passes the consistency-only check",
        counterexample={"bugs_missed_by_consistency_only": missed} if missed else None,
    )
