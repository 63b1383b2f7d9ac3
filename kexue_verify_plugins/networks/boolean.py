"""Exact Boolean facts about McCulloch–Pitts (θ) neurons: truth tables, witnesses, Farkas certificates, closures.

A θ-neuron on inputs :math:`x\\in\\{0,1\\}^n` outputs :math:`\\theta(w\\cdot x+b)`, with the post's
:math:`\\theta(z)=1` for :math:`z\\ge0` and :math:`-1` for :math:`z<0`; output 1 reads "true".  Everything here is
exact (``fractions.Fraction``), so a verdict never rests on rounding:

* a **witness** — weights whose exact truth table is the function — proves that one neuron realises it;
* a **Farkas (Motzkin) certificate** — multipliers :math:`y\\ge0`, some strict one positive, with
  :math:`\\sum_i y_i s_i (x_i, 1) = 0` where :math:`s_i=+1` for :math:`f(x_i)=1` (constraint :math:`w\\cdot x_i+b\\ge0`)
  and :math:`s_i=-1` for :math:`f(x_i)=0` (constraint :math:`-(w\\cdot x_i+b)>0`) — proves that none does:
  summing the constraints gives :math:`0>0` (Motzkin's transposition theorem; Schrijver, *Theory of Linear and
  Integer Programming*, §7.8).

>>> realisable_by_one_neuron(FUNCTIONS["and"])[0]
True
>>> realisable_by_one_neuron(FUNCTIONS["xor"])
(False, {'multipliers': [1, 1, 1, 1]})
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from typing import Any

__all__ = [
    "FUNCTIONS",
    "TruthTable",
    "all_functions",
    "closure_under_gate",
    "dnf_network",
    "evaluate_network",
    "farkas_certificate",
    "inputs",
    "min_hidden_units",
    "neuron_witness",
    "realisable_by_one_neuron",
    "table_of",
    "theta",
]

#: A Boolean function of n inputs: its outputs (0/1) on :func:`inputs` order (lexicographic, x₁ most significant).
TruthTable = tuple[int, ...]

#: The named functions the claims speak of.
FUNCTIONS: dict[str, TruthTable] = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
    "xnor": (1, 0, 0, 1),
    "not": (1, 0),
}

#: Small integer weights and half-integer biases: enough for every threshold function of at most 3 inputs.
WEIGHTS = tuple(range(-2, 3))
BIASES = tuple(Fraction(2 * k + 1, 2) for k in range(-4, 4))


@cache
def inputs(n: int) -> tuple[tuple[int, ...], ...]:
    """All points of ``{0,1}^n`` in lexicographic order."""
    return tuple(itertools.product((0, 1), repeat=n))


def arity(table: TruthTable) -> int:
    n = max(len(table).bit_length() - 1, 0)
    if 2**n != len(table):
        raise ValueError(f"a truth table has 2^n entries, got {len(table)}")
    return n


def theta(z: Fraction | float) -> int:
    """The post's θ: 1 for z ≥ 0, −1 for z < 0."""
    return 1 if z >= 0 else -1


def table_of(weights: Sequence[Any], bias: Any) -> TruthTable:
    """The exact truth table (0/1) of the neuron θ(w·x + b) on {0,1}^n."""
    w = [Fraction(str(v)) for v in weights]
    b = Fraction(str(bias))
    return tuple(int(theta(sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b) == 1) for x in inputs(len(w)))


def neuron_witness(table: TruthTable, signs: Sequence[tuple[int, ...]] | None = None) -> dict[str, Any] | None:
    """Small weights (w ∈ {−2..2}ⁿ, b ∈ {±½, ±3/2, …}) whose neuron computes ``table``, or ``None``.

    ``signs`` replaces the {0,1} inputs, e.g. by the ±1 outputs of a previous θ-layer.
    """
    points = signs if signs is not None else inputs(arity(table))
    n = len(points[0])
    for w in itertools.product(WEIGHTS, repeat=n):
        for b in BIASES:
            if all(int(theta(sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b) == 1) == t
                   for x, t in zip(points, table, strict=True)):
                return {"w": list(w), "b": str(b)}
    return None


def farkas_certificate(table: TruthTable, bound: int = 2) -> list[int] | None:
    """Multipliers ``y ∈ {0..bound}^{2^n}`` proving that no θ-neuron computes ``table`` (see the module doc)."""
    points = inputs(arity(table))
    rows = [((1 if t else -1), (*x, 1)) for x, t in zip(points, table, strict=True)]
    for y in itertools.product(range(bound + 1), repeat=len(rows)):
        if not any(yi and s < 0 for yi, (s, _) in zip(y, rows, strict=True)):
            continue  # no strict constraint used: no contradiction
        total = [sum(yi * s * v[j] for yi, (s, v) in zip(y, rows, strict=True)) for j in range(len(rows[0][1]))]
        if all(c == 0 for c in total):
            return list(y)
    return None


@cache
def realisable_by_one_neuron(table: TruthTable) -> tuple[bool | None, dict[str, Any]]:
    """``(True, witness)``, ``(False, certificate)``, or ``(None, {})`` when neither is found in the search box."""
    witness = neuron_witness(table)
    if witness is not None:
        return True, witness
    certificate = farkas_certificate(table)
    if certificate is not None:
        return False, {"multipliers": certificate}
    return None, {}


def evaluate_network(layers: Sequence[tuple[Sequence[Sequence[Any]], Sequence[Any]]], x: Sequence[int]) -> list[int]:
    """An exact feed-forward θ-network: each layer ``(W, b)`` maps its input v to θ(Wv + b) ∈ {±1}."""
    v: list[Fraction] = [Fraction(xi) for xi in x]
    for weights, biases in layers:
        v = [Fraction(theta(sum(Fraction(str(w)) * vi for w, vi in zip(row, v, strict=True)) + Fraction(str(b))))
             for row, b in zip(weights, biases, strict=True)]
    return [int(vi) for vi in v]


def network_table(layers: Sequence[tuple[Sequence[Sequence[Any]], Sequence[Any]]], n: int) -> TruthTable:
    """The truth table of a one-output θ-network (output 1 = true)."""
    return tuple(int(evaluate_network(layers, x)[0] == 1) for x in inputs(n))


@cache
def min_hidden_units(table: TruthTable, most: int = 2) -> tuple[int | None, dict[str, Any]]:
    """The fewest hidden θ-units of an n-k-1 θ-network computing ``table``, with the proof of each step.

    k = 0 is one neuron (witness or Farkas certificate).  k = 1 reduces to k = 0: the output θ(a·h + c) of a single
    ±1 value h is a constant, h or ¬h, each a threshold function of x.  For k ≥ 2 the hidden units are searched among
    the threshold functions (one witness each) and the output neuron over their ±1 values.
    """
    ok, proof = realisable_by_one_neuron(table)
    steps: dict[str, Any] = {"k=0": proof}
    if ok:
        return 0, steps
    if ok is None:
        return None, steps
    steps["k=1"] = "reduces to k=0: θ(a·h+c) of one θ-unit h is constant, h or ¬h, all threshold functions"
    n = arity(table)
    units = [w for w in (neuron_witness(t) for t in all_functions(n)) if w is not None]
    for k in range(2, most + 1):
        for hidden in itertools.product(units, repeat=k):
            layer = ([h["w"] for h in hidden], [h["b"] for h in hidden])
            signs = [tuple(evaluate_network([layer], x)) for x in inputs(n)]
            out = neuron_witness(table, signs=signs)
            if out is not None:
                steps[f"k={k}"] = {"hidden": [dict(h) for h in hidden], "output": out}
                return k, steps
    return None, steps


@cache
def all_functions(n: int) -> tuple[TruthTable, ...]:
    """All 2^(2^n) truth tables of n inputs."""
    return tuple(itertools.product((0, 1), repeat=2**n))


GATES = {
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
}


def closure_under_gate(gates: Sequence[str], n: int) -> set[TruthTable]:
    """Every truth table a circuit of the given two-input gates computes from the n projections x₁ … xₙ.

    The closure is reached by repeatedly applying each gate to every pair of known tables until nothing new appears
    (a finite fixed point: there are 2^(2^n) tables).
    """
    known = {tuple(x[i] for x in inputs(n)) for i in range(n)}
    while True:
        new = {tuple(GATES[g](a, b) for a, b in zip(s, t, strict=True))
               for g in gates for s in known for t in known} - known
        if not new:
            return known
        known |= new


def dnf_network(table: TruthTable) -> list[tuple[list[list[int]], list[Fraction]]]:
    """A depth-2 θ-network for any truth table: one AND-of-literals unit per true row, then an OR.

    The unit for row r fires iff x = r: weights 2r − 1 and bias ½ − |r|.  The output fires iff some unit fires: its
    inputs are ±1, so θ(Σh + (m − 1)) with m units is true iff at least one h is +1.  A function with no true row gets
    one unit that never fires (zero weights, bias −½).
    """
    n = arity(table)
    rows = [x for x, t in zip(inputs(n), table, strict=True) if t]
    if not rows:
        return [([[0] * n], [Fraction(-1, 2)]), ([[1]], [Fraction(0)])]
    hidden = ([[2 * xi - 1 for xi in r] for r in rows], [Fraction(1, 2) - sum(r) for r in rows])
    output = ([[1] * len(rows)], [Fraction(len(rows) - 1)])
    return [hidden, output]
