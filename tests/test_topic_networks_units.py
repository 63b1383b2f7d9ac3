"""The exact McCulloch–Pitts machinery of the ``networks`` topic (catalogue NN-3 … NN-5), tested directly."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kexue_verify_plugins.networks.boolean import (
    FUNCTIONS,
    all_functions,
    closure_under_gate,
    dnf_network,
    farkas_certificate,
    inputs,
    min_hidden_units,
    network_table,
    realisable_by_one_neuron,
    table_of,
    theta,
)


def test_theta_is_the_posts_sign_function():
    assert (theta(0), theta(Fraction(1, 10**9)), theta(-Fraction(1, 10**9))) == (1, 1, -1)


@pytest.mark.parametrize(("name", "w", "b"), [("and", [1, 1], "-3/2"), ("or", [1, 1], "-1/2"), ("not", [-1], "1/2"),
                                              ("nand", [-1, -1], "3/2")])
def test_the_catalogue_gates_have_exact_truth_tables(name, w, b):
    assert table_of(w, b) == FUNCTIONS[name]


def test_a_wrong_bias_gives_a_different_gate():
    assert table_of([1, 1], "-1/2") != FUNCTIONS["and"]  # that is OR


def test_exactly_fourteen_two_input_functions_are_one_neuron():
    verdicts = [realisable_by_one_neuron(t)[0] for t in all_functions(2)]
    assert verdicts.count(True) == 14
    assert {t for t, v in zip(all_functions(2), verdicts, strict=True) if v is False} == {FUNCTIONS["xor"],
                                                                                          FUNCTIONS["xnor"]}


def test_the_xor_certificate_sums_the_constraints_to_zero():
    y = farkas_certificate(FUNCTIONS["xor"])
    assert y is not None
    rows = [((1 if t else -1), (*x, 1)) for x, t in zip(inputs(2), FUNCTIONS["xor"], strict=True)]
    assert [sum(yi * s * v[j] for yi, (s, v) in zip(y, rows, strict=True)) for j in range(3)] == [0, 0, 0]
    assert any(yi and s < 0 for yi, (s, _) in zip(y, rows, strict=True))


def test_no_certificate_exists_for_a_separable_function():
    assert farkas_certificate(FUNCTIONS["and"]) is None


def test_xor_needs_exactly_two_hidden_units_and_the_witness_works():
    k, steps = min_hidden_units(FUNCTIONS["xor"], most=3)
    assert k == 2
    hidden, out = steps["k=2"]["hidden"], steps["k=2"]["output"]
    layers = [([h["w"] for h in hidden], [h["b"] for h in hidden]), ([out["w"]], [out["b"]])]
    assert network_table(layers, 2) == FUNCTIONS["xor"]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_dnf_network_computes_every_table(n):
    assert all(network_table(dnf_network(t), n) == t for t in all_functions(n))


@pytest.mark.parametrize(("gates", "n", "size"), [(["nand"], 2, 16), (["nand"], 3, 256), (["nor"], 2, 16),
                                                  (["and", "or"], 2, 4), (["xor"], 2, 4)])
def test_gate_closures(gates, n, size):
    assert len(closure_under_gate(gates, n)) == size
