r"""The typed assertions of the flows topic: what each claim states, field by field.

Two families:

* the **generic** claims (``flows.layer-*``, ``flows.density-normalised``, ``flows.consistency-checks-suffice``)
  assert a property of every registered model of their kind; their assertion is *how the layer is probed*
  (:class:`Probe`: bulk and tail samples, the magnitude sweep, the parameter perturbation), and their false
  variants are buggy models (``variant(name, description, model=...)``), not changed fields;
* the **catalogue** claims (FLOW-1 … FLOW-21) assert formulas and facts of the posts; their false variants name
  only the fields they change.

Formula fields are read when the plugin is loaded; those written with indexed names summed over a size
(``Sum(log(s[i]), (i, 1, d))``) are expanded at a given size by :func:`.checks.formulas.indexed`, the others are
parsed with the class's :attr:`~kexue_verify.Assertion.SYMBOLS` on first use (``a.inverse.expr``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kexue_verify import Assertion, ClaimDefinitionError, Formula
from kexue_verify.assertions import symbols

__all__ = [
    "ActnormDDI",
    "ActnormLogdet",
    "ChannelPermutationConv",
    "ConditionalActnorm",
    "ConditionalPrior",
    "Conv1x1Logdet",
    "CorpusProbe",
    "CouplingCompute",
    "CouplingInverse",
    "CouplingLogdet",
    "DensityQuadrature",
    "GlowCelebaSetup",
    "GlowHyperparameters",
    "LULogdet",
    "MultiscaleSizes",
    "Objective",
    "Permutation",
    "Probe",
    "ReleasedInitialisation",
    "Squeeze",
    "Temperature",
    "ZeroInitScale",
]

POSITIVE = {"positive": True}
REAL = {"real": True}
PLAIN: dict[str, bool] = {}
SIZE = {"positive": True, "integer": True}


def _one_of(assertion: Assertion, field: str, allowed: tuple[str, ...]) -> None:
    value = getattr(assertion, field)
    if value not in allowed:
        raise ClaimDefinitionError(f"{type(assertion).__name__}.{field} must be one of {list(allowed)}, got {value!r}")


# --------------------------------------------------------------------------------------------- generic claims


@dataclass(frozen=True, kw_only=True)
class Probe(Assertion):
    """How a generic check probes a flow layer (:mod:`.probing`): ``bulk`` samples of N(0, I), ``tail`` samples
    (alternately ``tail_scale``× scaled, and with a quarter of the coordinates at ±``extreme``), the magnitude sweep
    when ``magnitudes``, and the relative size of the parameter perturbation applied before measuring."""

    bulk: int = 2
    tail: int = 2
    tail_scale: float = 3.0
    extreme: float = 7.0
    perturbation: float = 0.1
    magnitudes: bool = True


@dataclass(frozen=True, kw_only=True)
class DensityQuadrature(Probe):
    """``flows.density-normalised``: ∫ φ(f(x)) |det J_f(x)| dx = 1 by Gauss–Legendre quadrature on ``nodes``² and
    (2·``nodes``)² points; the probe settings are those of the warm-up call before the perturbation."""

    nodes: int = 160


@dataclass(frozen=True, kw_only=True)
class CorpusProbe(Probe):
    """``flows.consistency-checks-suffice``: the consistency-only check against the generic checks on the bug corpus
    (``corpus="all"``: every buggy layer of :data:`.buggy.CORPUS`), each probed as :class:`Probe` says."""

    corpus: str = "all"

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of(self, "corpus", ("all",))


# --------------------------------------------------------------------------------------------- catalogue claims


@dataclass(frozen=True, kw_only=True)
class CouplingInverse(Assertion):
    """FLOW-1: the affine coupling ``h₂ = s·x₂ + t`` is inverted by ``x₂ = inverse(h₂, s, t)``."""

    SYMBOLS = symbols(h2=REAL, s=POSITIVE, t=REAL)
    inverse: Formula


@dataclass(frozen=True, kw_only=True)
class CouplingLogdet(Assertion):
    """FLOW-2, FLOW-3: a coupling's log|det J| in the indexed names ``s[i]`` (scales), ``dt[i]`` (∂t_i/∂x_{1,i}) and
    ``m[i]`` (additive shifts), summed over ``(i, 1, d)``."""

    logdet: Formula


@dataclass(frozen=True, kw_only=True)
class Permutation(Assertion):
    """FLOW-4: the example ``rows · input = output``, an expression in ``det`` that vanishes for every permutation
    matrix, and the change of the log-likelihood a shuffle of ``D`` coordinates makes."""

    SYMBOLS = symbols(det=PLAIN, D=SIZE)
    example_rows: tuple[tuple[int, ...], ...]
    example_input: tuple[int, ...]
    example_output: tuple[int, ...]
    vanishes_for_every_permutation: Formula
    logdet_change: Formula


@dataclass(frozen=True, kw_only=True)
class ChannelPermutationConv(Assertion):
    """FLOW-5: the 1×1 convolution weight that permutes channels: ``"P"`` (P[i, π(i)] = 1) or ``"P.T"``."""

    weight: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of(self, "weight", ("P", "P.T"))


@dataclass(frozen=True, kw_only=True)
class Squeeze(Assertion):
    """FLOW-6: squeeze of ``c×h×w`` gives ``output_shape`` (channels first) with log-det ``logdet``, and accepts
    exactly the shapes where every expression of ``requires`` is 0."""

    SYMBOLS = symbols(c=SIZE, h=SIZE, w=SIZE)
    output_shape: tuple[Formula, ...]
    logdet: Formula
    requires: tuple[Formula, ...]


@dataclass(frozen=True, kw_only=True)
class MultiscaleSizes(Assertion):
    """FLOW-7: the sizes of the factored-out parts of a multi-scale flow of ``D`` inputs, and their total."""

    SYMBOLS = symbols(D=POSITIVE)
    sizes: tuple[Formula, ...]
    total: Formula


@dataclass(frozen=True, kw_only=True)
class ConditionalPrior(Assertion):
    """FLOW-8: log N(z; μ, σ²) = log N((z−μ)/σ; 0, 1) + ``correction(σ)``, with μ, σ computed from ``conditioner``
    (``"other-half"`` or ``"same-half"``)."""

    SYMBOLS = symbols(sigma=POSITIVE)
    correction: Formula
    conditioner: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of(self, "conditioner", ("other-half", "same-half"))


@dataclass(frozen=True, kw_only=True)
class Conv1x1Logdet(Assertion):
    """FLOW-10: the 1×1 convolution's log|det J| in ``h``, ``w``, ``c`` and ``L = log|det W|``."""

    SYMBOLS = symbols(h=REAL, w=REAL, c=REAL, L=REAL)
    logdet: Formula


@dataclass(frozen=True, kw_only=True)
class LULogdet(Assertion):
    """FLOW-11: every invertible W has the ``factorisation`` (``"PLU"`` or ``"LU"``); log|det W| is ``logdet`` in the
    indexed diagonal ``u[i]`` of U summed over ``(i, 1, c)``; an image's log-det is ``image_factor(h, w)`` times it."""

    SYMBOLS = symbols(h=POSITIVE, w=POSITIVE)
    factorisation: str
    logdet: Formula
    image_factor: Formula

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of(self, "factorisation", ("PLU", "LU"))


@dataclass(frozen=True, kw_only=True)
class ActnormLogdet(Assertion):
    """FLOW-13: actnorm's log|det J| in ``h``, ``w`` and the indexed scales ``s[i]`` summed over ``(i, 1, c)``, and
    whether a sample's log-det depends on the rest of its batch."""

    logdet: Formula
    batch_dependent: bool


@dataclass(frozen=True, kw_only=True)
class ReleasedInitialisation(Assertion):
    """FLOW-14 as posted: what openai/glow's released code does to actnorm, ``"data-dependent"`` or ``"zero"``."""

    released_code_initialisation: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of(self, "released_code_initialisation", ("data-dependent", "zero"))


@dataclass(frozen=True, kw_only=True)
class ActnormDDI(ReleasedInitialisation):
    """FLOW-14: the released code's actnorm initialisation, what DDI ``sets`` the parameters to
    (``"batch-statistics"`` or ``"identity"``), and whether later batches also leave with unit variance."""

    sets: str
    unit_variance_on_later_batches: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of(self, "sets", ("batch-statistics", "identity"))


@dataclass(frozen=True, kw_only=True)
class ConditionalActnorm(Assertion):
    """FLOW-15: the split prior as ``ẑ = zhat(z₂, μ, σ)`` with log-det ``logdet(σ)`` onto a standard normal."""

    SYMBOLS = symbols(z2=REAL, mu=REAL, sigma=POSITIVE)
    zhat: Formula
    logdet: Formula


@dataclass(frozen=True, kw_only=True)
class CouplingCompute(Assertion):
    """FLOW-16: FLOPs(affine f)/FLOPs(additive f) of Glow's coupling network at ``channels`` and ``width``, and (when
    given) the ratio with separate s and t networks."""

    ratio: Formula
    channels: int
    width: int
    separate_networks_ratio: Formula | None = None


@dataclass(frozen=True, kw_only=True)
class GlowCelebaSetup(Assertion):
    """FLOW-17: the README's CelebA-HQ command: ``problem``, ``image_size`` and the ``coupling`` it selects."""

    problem: str
    image_size: int
    coupling: str


@dataclass(frozen=True, kw_only=True)
class ZeroInitScale(Assertion):
    """FLOW-18: the scale of each coupling whose last layer is zero-initialised; a coupling left ``None`` is not
    asserted (checked: only the couplings given)."""

    additive: Formula | None = None
    affine_exp: Formula | None = None
    affine_sigmoid: Formula | None = None

    def scales(self) -> dict[str, Formula]:
        """The stated scales by coupling kind, in the order ``"additive"``, ``"affine-exp"``, ``"affine-sigmoid"``."""
        stated = {"additive": self.additive, "affine-exp": self.affine_exp, "affine-sigmoid": self.affine_sigmoid}
        return {kind: text for kind, text in stated.items() if text is not None}


@dataclass(frozen=True, kw_only=True)
class Objective(Assertion):
    """FLOW-19: Glow's NLL in ``zz = ‖z‖²``, ``D``, ``logdet``, ``n_bins`` (or ``mse``); bits/dim in ``nll``, ``D``."""

    SYMBOLS = symbols(zz=PLAIN, D=PLAIN, logdet=PLAIN, n_bins=PLAIN, mse=PLAIN, nll=PLAIN)
    nll: Formula
    bits_per_dim: Formula


@dataclass(frozen=True, kw_only=True)
class GlowHyperparameters(Assertion):
    """FLOW-20: train.py's default levels and depth, and the README's levels for CelebA-HQ 256."""

    n_levels: int
    depth: int
    celeba_256_n_levels: int


@dataclass(frozen=True, kw_only=True)
class Temperature(Assertion):
    """FLOW-21: sampling at temperature ``T`` scales the variance by ``variance_factor(T)``; checked at
    ``temperature``."""

    SYMBOLS = symbols(T=POSITIVE)
    variance_factor: Formula
    temperature: float
