"""Cases are independent of what ran before them in the same process: globals seeded before, settings restored after.

Every setting of :data:`kexue_verify.isolation.RESTORED` gets its own test: a check changes it, and the next
case sees it as it was.  The seeding tests build a model whose factory relies on the global generators (as
``nn.Linear``'s default initialisation does) after other code has consumed them.
"""

from __future__ import annotations

import decimal
import os
import random
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest
import torch

from kexue_verify import Case, Claim, FalseVariant, ModelSpec, RunConfig, Source, Verdict, evaluate, holds
from kexue_verify.isolation import RESTORED, preserved_global_state, seed_globals

SOURCE = Source(title="Isolation", author="Tester, Ada", date="2024", url="https://example.org/isolation")


def _cuda_flag(obj: Any, name: str) -> Callable[[], None]:
    return lambda: setattr(obj, name, not getattr(obj, name))


#: For each restored setting: something a careless check might do to it.
CHANGES: dict[str, Callable[[], None]] = {
    "working directory": lambda: os.chdir(os.path.dirname(os.getcwd()) or "/"),
    "environment variables": lambda: os.environ.__setitem__("KEXUE_ISOLATION_TEST", "leaked"),
    "warnings filters": lambda: warnings.simplefilter("ignore"),
    "decimal context": lambda: setattr(decimal.getcontext(), "prec", 7),
    "mpmath.mp precision": lambda: setattr(mpmath.mp, "dps", 77),
    "numpy error handling": lambda: np.seterr(all="raise"),
    "torch grad mode": lambda: torch.set_grad_enabled(False),
    "torch default dtype": lambda: torch.set_default_dtype(torch.float64),
    "torch default device": lambda: torch.set_default_device("meta"),
    "torch deterministic algorithms": lambda: torch.use_deterministic_algorithms(True, warn_only=True),
    "torch anomaly detection": lambda: torch.autograd.set_detect_anomaly(True),
    "torch float32 matmul precision": lambda: torch.set_float32_matmul_precision("medium"),
    "torch.backends.cuda.matmul.allow_tf32": _cuda_flag(torch.backends.cuda.matmul, "allow_tf32"),
    "torch.backends.cudnn.deterministic": _cuda_flag(torch.backends.cudnn, "deterministic"),
    "torch.backends.cudnn.benchmark": _cuda_flag(torch.backends.cudnn, "benchmark"),
    "torch.backends.cudnn.allow_tf32": _cuda_flag(torch.backends.cudnn, "allow_tf32"),
    "torch.backends.cudnn.enabled": _cuda_flag(torch.backends.cudnn, "enabled"),
    "torch threads": lambda: torch.set_num_threads(torch.get_num_threads() + 1),
}

SETTINGS = {s.name: s for s in RESTORED}


def _read(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = SETTINGS[name].get()
    return str(value) if name == "decimal context" else value


def test_every_restored_setting_has_a_test() -> None:
    assert set(CHANGES) == set(SETTINGS)


def _change(name: str) -> None:
    """Make the change; torch's flags may warn about a newer API, which is silenced (except for the filters
    themselves, whose change must reach the restore untouched)."""
    if name == "warnings filters":
        CHANGES[name]()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        CHANGES[name]()


def _changing_claim(name: str) -> Claim:
    def check(ctx: Any, assertion: Any) -> Any:
        _change(name)
        return holds("changed a global setting", assertion == "true")

    return Claim(id="isolation.leaky", title="t", statement="s", source=SOURCE, assertion="true", numeric=check,
                 false_variants=(FalseVariant(name="false", description="d", assertion="false"),))


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_check_that_changes_a_global_setting_leaves_it_as_it_was(name: str) -> None:
    before = _read(name)
    result = evaluate(Case(_changing_claim(name)), RunConfig(in_process=True))
    assert result.verdict is Verdict.VERIFIED
    assert _read(name) == before, f"{name} leaked out of the case"


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_preserved_global_state_restores_also_after_an_exception(name: str) -> None:
    before = _read(name)
    def crash() -> None:
        with preserved_global_state():
            _change(name)
            raise RuntimeError("the check crashed")

    with pytest.raises(RuntimeError):
        crash()
    assert _read(name) == before


def test_a_check_sees_the_settings_the_previous_case_found() -> None:
    """Within a case too: the assertion's check cannot change what its false variants' checks see."""
    seen = []

    def check(ctx: Any, assertion: Any) -> Any:
        seen.append((torch.get_default_dtype(), mpmath.mp.dps, torch.is_grad_enabled()))
        torch.set_default_dtype(torch.float64)
        mpmath.mp.dps = 40
        torch.set_grad_enabled(False)
        return holds("recorded", assertion == "true")

    claim = Claim(id="isolation.within", title="t", statement="s", source=SOURCE, assertion="true", numeric=check,
                  false_variants=(FalseVariant(name="false", description="d", assertion="false"),))
    evaluate(Case(claim), RunConfig(in_process=True))
    assert len(seen) == 2
    assert seen[0] == seen[1] == (torch.float32, 15, True)


# -------------------------------------------------------------------------------------------- seeding


def make_default_init(ctx: Any) -> torch.nn.Module:
    """A factory relying on default initialisation, as library layers do."""
    return torch.nn.Linear(3, 3)


def weights_claim(store: list[torch.Tensor]) -> Claim:
    def check(ctx: Any, assertion: Any) -> Any:
        store.append(ctx.model.weight.detach().clone())
        return holds("recorded", assertion == "true")

    return Claim(id="isolation.seeded", title="t", statement="s", source=SOURCE, assertion="true", numeric=check,
                 model_kind="default-init", false_variants=(FalseVariant(name="f", description="d", assertion="x"),))


SPEC = ModelSpec(name="default-init-linear", kind="default-init", factory=make_default_init)


def test_a_factory_using_default_initialisation_builds_the_same_model_whatever_ran_before() -> None:
    first: list[torch.Tensor] = []
    evaluate(Case(weights_claim(first), SPEC), RunConfig(seed=3, in_process=True))
    torch.randn(1000)  # other cases consumed the global generators
    random.random()
    np.random.random(17)
    second: list[torch.Tensor] = []
    evaluate(Case(weights_claim(second), SPEC), RunConfig(seed=3, in_process=True))
    assert torch.equal(first[0], second[0])
    other: list[torch.Tensor] = []
    evaluate(Case(weights_claim(other), SPEC), RunConfig(seed=4, in_process=True))
    assert not torch.equal(first[0], other[0])  # the run seed reaches the factory


def test_seed_globals_seeds_random_numpy_and_torch() -> None:
    seed_globals(11)
    draws = (random.random(), float(np.random.random()), float(torch.rand(1)))
    seed_globals(11)
    assert draws == (random.random(), float(np.random.random()), float(torch.rand(1)))
