"""How a plugin author tests a plugin: run each claim in-process and assert its verdict."""

import pytest

from kexue_verify import LoadOptions, load
from kexue_verify.testing import assert_verdict, run_claim


@pytest.fixture(scope="module")
def loaded():
    return load(LoadOptions(modules=("kexue_verify_example",), only=()))


def test_sigmoid_slope_verified_and_false_variants_refuted(loaded):
    assert_verdict(run_claim("example.sigmoid-slope", loaded=loaded), "verified")


@pytest.mark.parametrize("model", ["tanh", "sigmoid"])
def test_declared_slope_holds_on_each_model(loaded, model):
    assert_verdict(run_claim("example.declared-slope", model=model, loaded=loaded), "verified")
