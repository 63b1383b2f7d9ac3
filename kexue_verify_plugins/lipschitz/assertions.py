"""The typed assertions of the Lipschitz topic (LIP-1 … LIP-16 and the model claim): what each claim states.

Each class declares the symbols its formulas use (:attr:`kexue_verify.Assertion.SYMBOLS`); the formula fields are
read when the plugin is loaded and parsed by the project's one formula parser on first use (``a.bound.expr``).
Matrix relations (``"spec <= fro"``, ``"Eq(spec, rho)"``) are not formulas but relations in the vocabulary of
:mod:`~kexue_verify_plugins.lipschitz.quantities`: their syntax is checked at load and the check reads them with
:func:`kexue_verify.formula.parse_relation`.  False variants in :mod:`.claims` name only the fields they change.
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue_verify import Assertion, ClaimDefinitionError, Formula
from kexue_verify.assertions import symbols
from kexue_verify.errors import FormulaError

__all__ = [
    "ConvOperatorNorm",
    "DeclaredBound",
    "DoubleBackprop",
    "GradientPenalty",
    "KerasSpectralNorm",
    "L2WeightDecay",
    "LayerBound",
    "MatrixRelations",
    "PowerIteration",
    "Reparametrisation",
    "ResidualBound",
    "SmallestConstant",
    "SpectralGradient",
    "SpectralNormalization",
    "WassersteinDual",
    "WeightClipping",
]

POSITIVE = {"positive": True}
NONNEGATIVE = {"nonnegative": True}
PLAIN: dict[str, bool] = {}


def _one_of(owner: str, field: str, value: object, allowed: tuple[object, ...]) -> None:
    if value not in allowed:
        raise ClaimDefinitionError(f"{owner}.{field} must be one of {allowed!r}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class LayerBound(Assertion):
    """LIP-1: ``|f|_L ≤ ∏ L_σ N(W_ℓ)``: the sup of each activation's derivative, how the layer constants combine
    (``"product"`` or ``"sum"``) and the weight norm ``N`` (``"spec"``, ``"fro"`` or ``"maxabs"``)."""

    sup_sigmoid: Formula
    sup_tanh: Formula
    sup_relu: Formula
    composition: str = "product"
    weight_norm: str = "spec"

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of("LayerBound", "composition", self.composition, ("product", "sum"))
        _one_of("LayerBound", "weight_norm", self.weight_norm, ("spec", "fro", "maxabs"))

    def activation_sups(self) -> tuple[tuple[str, Formula], ...]:
        """``(activation, asserted sup σ')`` in the order the evidence lists them."""
        return (("sigmoid", self.sup_sigmoid), ("tanh", self.sup_tanh), ("relu", self.sup_relu))


@dataclass(frozen=True, kw_only=True)
class SmallestConstant(Assertion):
    """LIP-2: ``constant`` (in ``spec``, ``fro``, ``maxabs``) is the smallest ``C`` with ``‖Wx‖ ≤ C‖x‖``."""

    SYMBOLS = symbols(spec=NONNEGATIVE, fro=NONNEGATIVE, maxabs=NONNEGATIVE)
    constant: Formula


@dataclass(frozen=True, kw_only=True)
class MatrixRelations(Assertion):
    """LIP-3, LIP-5, LIP-6: ``relations`` hold on every matrix of class ``on`` (None: every matrix), and, where
    ``equality_on`` names a class, ``Eq(spec, rho)`` holds on that class too."""

    relations: tuple[str, ...]
    on: str | None = None
    equality_on: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.relations, str) or not isinstance(self.relations, tuple):
            raise ClaimDefinitionError(f"{type(self).__name__}.relations must be a tuple of relations, "
                                       f"got {self.relations!r}")
        for text in self.relations:
            try:
                Formula(text)  # the syntax only; the relation is read when the check runs
            except FormulaError as exc:
                raise ClaimDefinitionError(f"{type(self).__name__}.relations: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class WeightClipping(MatrixRelations):
    """LIP-12: the relations hold on matrices clipped at ``|w_ij| ≤ c``; scaling the weights of a bias-free ReLU
    critic with ``L`` layers by ``k`` multiplies its loss by ``rescale(k, L)``."""

    SYMBOLS = symbols(k=PLAIN, L=PLAIN)
    c: Formula
    rescale: Formula


@dataclass(frozen=True, kw_only=True)
class L2WeightDecay(Assertion):
    """LIP-4: ``∂ penalty(lam, fro)/∂W = sgd_decay(lam) · W``; whether Adam on ``L + penalty`` equals AdamW."""

    SYMBOLS = symbols(lam=POSITIVE, fro=POSITIVE)
    penalty: Formula
    sgd_decay: Formula
    adam_equivalent: bool


@dataclass(frozen=True, kw_only=True)
class PowerIteration(Assertion):
    """LIP-7: power iteration converges to ``limit(s1, s2)`` at ``rate(s1, s2)`` per step, provided ``requires``
    (``"c1 != 0"``, the start's component on ``u₁``, or ``"nothing"``)."""

    SYMBOLS = symbols(s1=POSITIVE, s2=POSITIVE)
    requires: str
    rate: Formula
    limit: Formula

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of("PowerIteration", "requires", self.requires, ("c1 != 0", "nothing"))


@dataclass(frozen=True, kw_only=True)
class KerasSpectralNorm(Assertion):
    """LIP-8: the post's Keras ``spectral_norm`` with ``r`` iterations lies ``side`` (``"below"``, ``"exact"``,
    ``"above"``) of ``target`` (``"reshaped"``, ``"frobenius"``, ``"conv"``)."""

    r: int
    target: str
    side: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of("KerasSpectralNorm", "target", self.target, ("reshaped", "frobenius", "conv"))
        _one_of("KerasSpectralNorm", "side", self.side, ("below", "exact", "above"))


@dataclass(frozen=True, kw_only=True)
class SpectralGradient(Assertion):
    """LIP-9: ``∂σ₁²/∂W = coefficient(s1) · outer`` (``"u1 v1^T"`` or ``"v1 u1^T"``); ``penalty(s1, fro) = σ₁²``."""

    SYMBOLS = symbols(s1=POSITIVE, fro=POSITIVE)
    coefficient: Formula
    outer: str
    penalty: Formula

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of("SpectralGradient", "outer", self.outer, ("u1 v1^T", "v1 u1^T"))


@dataclass(frozen=True, kw_only=True)
class WassersteinDual(Assertion):
    """LIP-10: the supremum over ``critic_lipschitz``-Lipschitz critics (``oo``: unconstrained) is ``value``."""

    critic_lipschitz: Formula
    value: Formula


@dataclass(frozen=True, kw_only=True)
class GradientPenalty(Assertion):
    """LIP-11: for ``g = ‖∇f‖`` the penalty is ``penalty(g)``, the one-sided one ``one_sided(g)``, at points
    ``x̂`` drawn by ``interpolation`` (``"uniform"`` ε or the ``"midpoint"``)."""

    SYMBOLS = symbols(g=POSITIVE)
    penalty: Formula
    one_sided: Formula
    interpolation: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of("GradientPenalty", "interpolation", self.interpolation, ("uniform", "midpoint"))


@dataclass(frozen=True, kw_only=True)
class SpectralNormalization(Assertion):
    """LIP-13: normalising as the post does makes each of ``layers`` (``dense``, ``conv2d``, ``batchnorm``)
    1-Lipschitz."""

    layers: tuple[str, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        for layer in self.layers:
            _one_of("SpectralNormalization", "layers", layer, ("dense", "conv2d", "batchnorm"))


@dataclass(frozen=True, kw_only=True)
class ConvOperatorNorm(Assertion):
    """LIP-13: the conv norm is the largest σ_max of the DFT on ``fft_grid`` (``"input"`` or ``"kernel"``), between
    ``lower`` and ``upper`` in ``reshaped`` (the reshaped-kernel norm) and the kernel size ``kh × kw``."""

    SYMBOLS = symbols(reshaped=PLAIN, kh=PLAIN, kw=PLAIN)
    fft_grid: str
    lower: Formula
    upper: Formula

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of("ConvOperatorNorm", "fft_grid", self.fft_grid, ("input", "kernel"))


@dataclass(frozen=True, kw_only=True)
class ResidualBound(Assertion):
    """LIP-14: ``x + relu(Wx + b)`` is ``bound(spec)``-Lipschitz, ``spec = ‖W‖₂``."""

    SYMBOLS = symbols(spec=PLAIN)
    bound: Formula


@dataclass(frozen=True, kw_only=True)
class DoubleBackprop(Assertion):
    """LIP-15: training the gradient penalty needs ``create_graph`` (double backprop)."""

    needs_create_graph: bool


@dataclass(frozen=True, kw_only=True)
class Reparametrisation(Assertion):
    """LIP-16: the gradient of ``L(W/σ(W))`` is ``formula`` (``"miyato"`` or ``"plain"``); whether projecting after
    the step equals the reparametrised step (``projection_equal``)."""

    formula: str
    projection_equal: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of("Reparametrisation", "formula", self.formula, ("miyato", "plain"))


@dataclass(frozen=True, kw_only=True)
class DeclaredBound(Assertion):
    """``lipschitz.declared-bound``: the model's own declaration, under the key ``declared``, holds."""

    declared: str = "lipschitz_bound"
