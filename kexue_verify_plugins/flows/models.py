r"""The flow models this topic registers: the built-in layers (kind ``flow-layer``), the 2-D flows (kind ``flow-2d``)
and the bug corpus as negative controls, with the factories that build them.

Every factory takes the check context, builds its layer (:mod:`.layers`, :mod:`.multiscale`) in float64 on the CPU
from the context's seed, **perturbs every parameter away from its identity initialisation** (zero-initialised last
layers make a coupling the identity, an orthogonal 1×1 convolution has log-det 0: both hide a wrong log-det formula)
and returns it; the runner moves it to the context's device and dtype.  This module is imported to *list* models, so
the factories import torch and the layers only when they are called.
"""

from __future__ import annotations

from typing import Any

from kexue_verify import Claim, ModelSpec, Verdict

from .claims import GENERIC_CLAIMS

__all__ = ["CONTROLS", "MODELS", "glow_2d", "realnvp_2d"]

PKG = "kexue_verify_plugins.flows"


def _seed(ctx: Any) -> int:
    return int(getattr(ctx, "seed", 0))


# --------------------------------------------------------------------------------------------- factories


def make_additive(ctx: Any) -> Any:
    from .layers import AdditiveCoupling, finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(AdditiveCoupling((4, 4, 4)), gen)


def make_affine_exp(ctx: Any) -> Any:
    from .layers import AffineCoupling, finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(AffineCoupling((8,), scale="exp"), gen)


def make_affine_sigmoid(ctx: Any) -> Any:
    from .layers import AffineCoupling, finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(AffineCoupling((4, 4, 4), scale="sigmoid"), gen)


def make_reverse(ctx: Any) -> Any:
    from .layers import reverse_permutation

    return reverse_permutation((4, 4, 4)).double()


def make_shuffle(ctx: Any) -> Any:
    from .layers import random_permutation, seeded

    with seeded(_seed(ctx)) as gen:
        return random_permutation((8,), gen).double()


def make_squeeze(ctx: Any) -> Any:
    from .layers import Squeeze

    return Squeeze((3, 4, 6)).double()


def make_actnorm(ctx: Any) -> Any:
    from .layers import ActNorm, finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(ActNorm((3, 4, 6)), gen)


def make_conv1x1(ctx: Any) -> Any:
    from .layers import InvConv1x1, finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(InvConv1x1((3, 4, 6), gen), gen)


def make_conv1x1_lu(ctx: Any) -> Any:
    from .layers import InvConv1x1LU, finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(InvConv1x1LU((4, 4, 4), gen), gen)


def make_split_prior(ctx: Any) -> Any:
    from .layers import finish_layer, seeded
    from .multiscale import SplitPrior

    with seeded(_seed(ctx)) as gen:
        return finish_layer(SplitPrior((4, 4, 4)), gen)


def make_glow_step(ctx: Any) -> Any:
    from .layers import finish_layer, seeded
    from .multiscale import GlowStep

    with seeded(_seed(ctx)) as gen:
        return finish_layer(GlowStep((4, 4, 4), gen), gen)


def make_multiscale_glow(ctx: Any) -> Any:
    from .layers import finish_layer, seeded
    from .multiscale import MultiScaleGlow

    with seeded(_seed(ctx)) as gen:
        return finish_layer(MultiScaleGlow((3, 8, 8), gen, levels=3, depth=1, hidden=8), gen, scale=0.05)


def realnvp_2d(gen: Any) -> Any:
    """A 2-D RealNVP: exp-affine couplings alternating with reversals, then an additive coupling."""
    from .layers import AdditiveCoupling, AffineCoupling, reverse_permutation
    from .multiscale import FlowSequence

    shape = (2,)
    return FlowSequence(shape, [
        AffineCoupling(shape, hidden=8, scale="exp"), reverse_permutation(shape),
        AffineCoupling(shape, hidden=8, scale="exp"), reverse_permutation(shape),
        AdditiveCoupling(shape, hidden=8),
    ])


def glow_2d(gen: Any) -> Any:
    """A 2-D Glow: (actnorm → LU 1×1 "convolution" → sigmoid-affine coupling) twice."""
    from .multiscale import FlowSequence, GlowStep

    shape = (2,)
    return FlowSequence(shape, [GlowStep(shape, gen, hidden=8), GlowStep(shape, gen, hidden=8)])


def make_realnvp_2d(ctx: Any) -> Any:
    from .layers import finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(realnvp_2d(gen), gen, scale=0.3)


def make_glow_2d(ctx: Any) -> Any:
    from .layers import finish_layer, seeded

    with seeded(_seed(ctx)) as gen:
        return finish_layer(glow_2d(gen), gen, scale=0.3)


def make_torch_transform(ctx: Any) -> Any:
    """A ``torch.distributions`` transform (built-in adapter): affine with mixed signs, exp, affine.

    Not softplus: ``SoftplusTransform`` reverts to the identity above ``threshold = 20``, so its log-det
    ``-softplus(-x)`` is off by up to ``e^{-20} ≈ 2·10⁻⁹`` for ``-x`` just past 20 — far above float64 rounding, and
    the magnitude sweep refutes it (a finding about torch, recorded in ``docs/topics/flows.md``)."""
    import torch
    from torch.distributions import transforms as T  # noqa: N812 - torch's own alias

    from .layers import seeded

    with seeded(_seed(ctx)) as gen:
        d = 6
        scale1 = 0.5 * torch.randn(d, generator=gen, dtype=torch.float64)
        loc1 = torch.randn(d, generator=gen, dtype=torch.float64)
        scale2 = torch.rand(d, generator=gen, dtype=torch.float64) + 0.5
        dtype = getattr(ctx, "torch_dtype", torch.float64)
        device = getattr(ctx, "device", "cpu")
        return T.ComposeTransform([
            T.AffineTransform(loc1.to(device, dtype), scale1.to(device, dtype), event_dim=1),
            T.ExpTransform(),
            T.AffineTransform(torch.zeros((), dtype=dtype, device=device), scale2.to(device, dtype), event_dim=1),
        ])


# --------------------------------------------------------------------------------------------- model specs


def _layer(name: str, factory: str, description: str, shape: tuple[int, ...]) -> ModelSpec:
    return ModelSpec(name=name, kind="flow-layer", factory=f"{__name__}:{factory}", description=description,
                     declared={"event_shape": shape})


MODELS = (
    _layer("additive-coupling", "make_additive", "NICE additive coupling, Glow's conv f, on 4×4×4", (4, 4, 4)),
    _layer("affine-coupling-exp", "make_affine_exp", "RealNVP affine coupling s = exp(h), tanh MLP, D = 8", (8,)),
    _layer("affine-coupling-sigmoid", "make_affine_sigmoid", "Glow affine coupling s = sigmoid(h+2) on 4×4×4",
           (4, 4, 4)),
    _layer("reverse-permutation", "make_reverse", "channel reversal on 4×4×4", (4, 4, 4)),
    _layer("random-permutation", "make_shuffle", "seeded random shuffle, D = 8", (8,)),
    _layer("squeeze", "make_squeeze", "Glow squeeze2d on 3×4×6", (3, 4, 6)),
    _layer("actnorm", "make_actnorm", "actnorm with data-dependent initialisation on 3×4×6", (3, 4, 6)),
    _layer("conv1x1", "make_conv1x1", "invertible 1×1 convolution (plain W) on 3×4×6", (3, 4, 6)),
    _layer("conv1x1-lu", "make_conv1x1_lu", "LU-parametrised invertible 1×1 convolution on 4×4×4", (4, 4, 4)),
    _layer("split-prior", "make_split_prior", "multi-scale split with conditional prior (conditional actnorm)",
           (4, 4, 4)),
    _layer("glow-step", "make_glow_step", "Glow step: actnorm → LU 1×1 conv → sigmoid affine coupling, 4×4×4",
           (4, 4, 4)),
    _layer("glow-multiscale", "make_multiscale_glow", "multi-scale Glow, L = 3, K = 1, on 3×8×8 (D = 192)",
           (3, 8, 8)),
    _layer("torch-transform", "make_torch_transform",
           "torch.distributions ComposeTransform (affine, exp, affine), built-in adapter, D = 6", (6,)),
    ModelSpec(name="realnvp-2d", kind="flow-2d", factory=f"{__name__}:make_realnvp_2d",
              description="2-D RealNVP: exp couplings, reversals, additive coupling", declared={"event_shape": (2,)}),
    ModelSpec(name="glow-2d", kind="flow-2d", factory=f"{__name__}:make_glow_2d",
              description="2-D Glow: two (actnorm, LU, sigmoid coupling) steps", declared={"event_shape": (2,)}),
)


def _controls(claims: tuple[Claim, ...]) -> tuple[ModelSpec, ...]:
    """The bug corpus as negative controls: one ModelSpec per buggy model, expecting ``refuted`` on every generic
    claim that lists it as a false variant (and running only there).  The claims' false variants and these controls
    are the same declarations, so they cannot drift apart."""
    expect: dict[tuple[str, str], dict[str, Verdict]] = {}
    described: dict[tuple[str, str], str] = {}
    for claim in claims:
        for variant in claim.false_variants:
            if variant.model is None or claim.model_kind is None:
                continue
            key = (claim.model_kind, str(variant.model))
            expect.setdefault(key, {})[claim.id] = Verdict.REFUTED
            described[key] = variant.description
    specs = []
    for (kind, factory), claims_expected in expect.items():
        slug = factory.rsplit(":make_", 1)[1].replace("_", "-")
        specs.append(ModelSpec(name=f"bug-{slug}", kind=kind, factory=factory, expect=claims_expected,
                               description=f"negative control: {described[(kind, factory)]}"))
    return tuple(specs)


#: The bug corpus, registered as negative controls of kind flow-layer / flow-2d.
CONTROLS = _controls(GENERIC_CLAIMS)
