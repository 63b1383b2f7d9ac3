"""The typed assertions of the networks topic (NN-1 … NN-9): what each claim states, field by field.

Formula fields (the fitted coefficients of NN-1, the surrogates of NN-6, the gate biases) are read when the plugin
loads and parsed on first use; the rest are the plain values the checks of :mod:`.checks` compare with what they
measure.  False variants in :mod:`.claims` name only the fields they change.
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue_verify import Assertion, Formula
from kexue_verify.assertions import symbols

__all__ = [
    "AutoencoderError",
    "Completeness",
    "Gate",
    "Layer",
    "LayerCount",
    "LineFit",
    "OneNeuronGates",
    "RungeErrors",
    "SigmoidSlope",
    "Surrogate",
    "WidthApproximation",
    "XorNetwork",
]

#: The sharpness k of the sigmoid substitute and its argument x.
SIGMOID_SYMBOLS = symbols(k={"positive": True}, x={"real": True})


@dataclass(frozen=True, kw_only=True)
class LineFit(Assertion):
    """NN-1: for x ~ U[−1, 1] the least-squares line of y = x² + x is ``intercept + slope·x`` with residual MSE
    ``linear_mse``; on the features (1, x, x²) the residual is ``feature_mse``, ``"0"`` or ``"positive"``."""

    linear_mse: Formula
    intercept: Formula
    slope: Formula
    feature_mse: str


@dataclass(frozen=True, kw_only=True)
class RungeErrors(Assertion):
    """NN-2: the max interpolation errors of Runge's 1/(1 + 25x²) as ``(degree, error)`` pairs at equispaced and at
    Chebyshev nodes; whether each diverges / converges with the degree; the training error (``"low"`` or ``"high"``)
    of an overfitting fit."""

    equispaced: tuple[tuple[int, float], ...]
    chebyshev: tuple[tuple[int, float], ...]
    equispaced_diverges: bool
    chebyshev_converges: bool
    overfit_train_error: str

    def errors(self, kind: str) -> tuple[tuple[int, float], ...]:
        """The stated ``(degree, max error)`` pairs of one node family, ``"equispaced"`` or ``"chebyshev"``."""
        return {"equispaced": self.equispaced, "chebyshev": self.chebyshev}[kind]


@dataclass(frozen=True, kw_only=True)
class Gate(Assertion):
    """One McCulloch–Pitts neuron θ(w·x + b) said to compute the Boolean function ``name``."""

    name: str
    w: tuple[int, ...]
    b: Formula


@dataclass(frozen=True, kw_only=True)
class OneNeuronGates(Assertion):
    """NN-3: the stated ``gates``; the functions one θ-neuron computes (``single_neuron``) and those it cannot."""

    gates: tuple[Gate, ...]
    single_neuron: tuple[str, ...]
    not_single_neuron: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Layer(Assertion):
    """One layer v ↦ θ(W v + b) of a θ-network: the rows of W and the biases."""

    weights: tuple[tuple[int, ...], ...]
    biases: tuple[Formula, ...]


@dataclass(frozen=True, kw_only=True)
class XorNetwork(Assertion):
    """NN-4: ``function`` needs ``min_hidden_units`` hidden θ-units, and ``network`` computes it."""

    function: str
    min_hidden_units: int
    network: tuple[Layer, ...]

    def layers(self) -> list[tuple[tuple[tuple[int, ...], ...], tuple[Formula, ...]]]:
        """The network as the ``(W, b)`` pairs of :func:`~.boolean.network_table`."""
        return [(layer.weights, layer.biases) for layer in self.network]


@dataclass(frozen=True, kw_only=True)
class Completeness(Assertion):
    """NN-5: ``gate`` is one θ-neuron; circuits of ``gate_set`` are ``complete``; ``one_layer`` of θ-neurons computes
    every Boolean function."""

    gate: str
    gate_set: tuple[str, ...]
    complete: bool
    one_layer: bool


@dataclass(frozen=True, kw_only=True)
class Surrogate(Assertion):
    """NN-6: ``surrogate(k, x)`` equals ``equals(k, x)`` and tends to ``limit`` (``"theta"``: θ = ±1) as k → ∞."""

    SYMBOLS = SIGMOID_SYMBOLS
    surrogate: Formula
    equals: Formula
    limit: str


@dataclass(frozen=True, kw_only=True)
class SigmoidSlope(Assertion):
    """NN-6: ``function(k, x)`` has derivative ``derivative`` (in terms of S = the function) and maximum ``max_slope``
    over x."""

    SYMBOLS = symbols(k={"positive": True}, x={"real": True}, S={})
    function: Formula
    derivative: Formula
    max_slope: Formula


@dataclass(frozen=True, kw_only=True)
class LayerCount(Assertion):
    """NN-7: a ``side``×``side`` image into a layer of ``width_out`` units needs ``params`` weights."""

    side: int
    width_out: int
    params: int


@dataclass(frozen=True, kw_only=True)
class AutoencoderError(Assertion):
    """NN-8: the least error of a bottleneck autoencoder is the ``"tail"`` (or ``"head"``) of σᵢ²; whether any data
    (``any_data_exact``) and low-rank data (``low_rank_exact``) are reconstructed exactly."""

    min_error: str
    any_data_exact: bool
    low_rank_exact: bool


@dataclass(frozen=True, kw_only=True)
class WidthApproximation(Assertion):
    """NN-9: one hidden ``activation`` layer approximates sin 3x, the error falling over ``widths`` and reaching
    ``eps`` at width ``reaches_eps_at``; ``min_hidden_layers`` hidden layers are needed."""

    activation: str
    widths: tuple[int, ...]
    eps: float
    reaches_eps_at: int
    min_hidden_layers: int
