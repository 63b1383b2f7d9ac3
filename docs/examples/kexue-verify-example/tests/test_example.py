"""How a plugin author tests a plugin with pytest.

The kexue-verify pytest plugin (installed with kexue-verify) turns each case of the example's claims into a pytest
item: ``test_claims[example.sigmoid-slope]``, ``test_claims[example.declared-slope[tanh]]``, ...  Each passes when the
claim gets its expected verdict with every false variant refuted, and fails with the evidence otherwise.
``pytest -k tanh`` runs the cases on one model, ``pytest -x`` stops at the first failure.
"""

from kexue_verify.pytest_plugin import claim_tests

test_claims = claim_tests(plugins=["kexue_verify_example"])


def test_the_understated_tanh_is_caught_by_the_model_claim(kexue_run):
    """An ordinary test can run one claim on one model with the ``kexue_run`` fixture and look at the evidence."""
    result = kexue_run.expect("example.declared-slope", model="tanh", plugins=["kexue_verify_example"])
    (variant,) = result.variants
    assert (variant.name, variant.verdict.value) == ("understated-tanh", "refuted")
