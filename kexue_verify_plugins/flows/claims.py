r"""The claims of the flows topic: the generic claims over every registered flow layer (and 2-D flow), with the bug
corpus as their false variants, and (from :mod:`.catalogue`) the catalogue claims FLOW-1 … FLOW-21 of
“细水长flow之RealNVP与Glow” (kexue.fm/archives/5807) and the NICE post (kexue.fm/archives/5776).

Declarations only — typed assertions (:mod:`.assertions`), no torch or SymPy — so that listing claims stays fast.
The generic claims (model kinds ``flow-layer`` and ``flow-2d``) take the buggy layers of :mod:`.buggy` and
:mod:`.hidden_bugs` as false variants (``variant(name, description, model=...)``); :mod:`.models` registers the same
buggy layers as negative controls.
"""

from __future__ import annotations

from kexue_verify import Claim, FalseVariant, Verdict, variant

from .assertions import CorpusProbe, DensityQuadrature, Probe
from .catalogue import CATALOGUE_CLAIMS
from .sources import NICE_POST, PKG, POST
from .sources import check as _check

__all__ = ["BUGS", "CATALOGUE_CLAIMS", "CLAIMS", "GENERIC_CLAIMS", "HIDDEN", "NICE_POST", "POST", "PROBE"]

BUGGY = f"{PKG}.buggy"
HIDDEN_BUGS = f"{PKG}.hidden_bugs"
#: Bugs that hide from bounded probing or from autograd as ground truth (:mod:`.hidden_bugs`).
HIDDEN = ("far-clamp", "saturating", "wrong-backward")


def _bug(name: str, description: str) -> FalseVariant:
    module = HIDDEN_BUGS if name in HIDDEN else BUGGY
    return variant(name, description, model=f"{module}:make_{name.replace('-', '_')}")


# --------------------------------------------------------------------------------------------- the bug corpus

BUGS = {
    "inverse-sign-flip": "the inverse reports +Σ log s: a wrong sign in one direction",
    "sign-flip": "both directions report the other direction's log-det (x→z and z→x conventions mixed up)",
    "missing-abs": "1×1 convolution with torch.log(torch.det(W)): the abs is missing, NaN once det W < 0",
    "per-element-logdet": "log s returned per element, not summed per sample",
    "batch-summed-logdet": "log s summed over the whole batch: one 0-dim log-det for N samples",
    "stale-cache": "h·w·log|det W| cached on the first call and reused after W changed",
    "linearised-logdet": "Σ(s−1) reported for Σ log s; exact at the zero-initialised identity, where tests often stop",
    "orthogonal-assumed": "1×1 convolution reporting log-det 0 because W was initialised orthogonal",
    "missing-hw": "1×1 convolution reporting log|det W| without the h·w factor (FLOW-10)",
    "doubled-logdet": "2Σ log s: both halves counted (FLOW-2)",
    "lu-without-pivoting": "LU 1×1 convolution factored without pivoting from the channel reversal: a zero pivot "
                           "(FLOW-11)",
    "tail-clamp": "scale clamped to e^{±1} but the unclamped Σ log s reported: wrong only in the tails",
    "wrong-inverse": "inverse x₂ = h₂/s − t (FLOW-1)",
    "wrong-inverse-scaled": "inverse x₂ = (h₂ − t)·s (FLOW-1)",
    "mask-leak": "the conditioner also sees the half it transforms (mask applied to the wrong tensor)",
    "duplicate-shuffle": "a 'random shuffle' drawn with randint: not a permutation",
    "raw-scale": "s = 1 + h instead of exp(h): the reported Σ log|s| is right but scales change sign in the tails",
    "far-clamp": "an affine coupling whose output is clamped to ±R/8 (1024 in float64; R the probe's reach), "
                 "reporting the unclamped log-det",
    "saturating": "identity up to |x| = T = R/160 (51 in float64), then T + tanh(|x| − T), reporting log-det 0",
    "wrong-backward": "x + c·tanh x through a custom autograd.Function whose backward doubles the tanh term; "
                      "log-det and inverse consistent with that wrong derivative",
}


def _bugs(*names: str) -> tuple[FalseVariant, ...]:
    return tuple(_bug(n, BUGS[n]) for n in names)


#: How the generic checks probe a layer (the defaults of :class:`.assertions.Probe`).
PROBE = Probe()

# --------------------------------------------------------------------------------------------- generic claims

GENERIC_CLAIMS = (
    Claim(
        id="flows.layer-logdet",
        title="A flow layer's reported log|det J| equals the float64 slogdet of its autograd Jacobian",
        statement=r"\mathrm{ld}(x)=\log\left|\det\frac{\partial f(x)}{\partial x}\right|\ \text{per sample, and }"
        r"\mathrm{ld}^{-1}(y)=\log\left|\det\frac{\partial f^{-1}(y)}{\partial y}\right|",
        source=NICE_POST.at("Jacobian determinant (雅可比行列式)"),
        tags=("flows", "generic", "log-det"),
        assertion=PROBE,
        numeric=_check("logdet", "logdet_check"),
        model_kind="flow-layer",
        false_variants=_bugs("inverse-sign-flip", "sign-flip", "missing-abs", "per-element-logdet",
                             "batch-summed-logdet", "stale-cache", "linearised-logdet", "orthogonal-assumed",
                             "missing-hw", "doubled-logdet", "lu-without-pivoting", "tail-clamp",
                             "wrong-inverse-scaled", "mask-leak", "duplicate-shuffle", *HIDDEN),
        notes="Parameters are perturbed after a warm-up call in both directions (exposes identity-init luck and "
              "stale caches); two probe samples are from the tails.",
    ),
    Claim(
        id="flows.layer-inverse",
        title="A flow layer's inverse round-trips in both directions",
        statement=r"f^{-1}(f(x))=x,\qquad f(f^{-1}(y))=y",
        source=POST.at("affine coupling (仿射耦合层)"),
        tags=("flows", "generic", "inverse"),
        assertion=PROBE,
        numeric=_check("inverse", "inverse_check"),
        model_kind="flow-layer",
        false_variants=_bugs("wrong-inverse", "wrong-inverse-scaled", "mask-leak", "duplicate-shuffle",
                             "lu-without-pivoting", *HIDDEN),
    ),
    Claim(
        id="flows.layer-directions-agree",
        title="Both directions of a flow layer agree: Jacobians are inverse matrices and reported log-dets cancel",
        statement=r"J_{f^{-1}}(f(x))\,J_f(x)=I,\qquad \mathrm{ld}(x)+\mathrm{ld}^{-1}(f(x))=0",
        source=POST.at("affine coupling (仿射耦合层)"),
        tags=("flows", "generic", "inverse", "log-det"),
        assertion=PROBE,
        numeric=_check("directions", "directions_check"),
        model_kind="flow-layer",
        false_variants=_bugs("inverse-sign-flip", "missing-abs", "wrong-inverse", "wrong-inverse-scaled",
                             "mask-leak", "duplicate-shuffle", "lu-without-pivoting", "saturating", "wrong-backward"),
    ),
    Claim(
        id="flows.layer-structure",
        title="A flow layer's Jacobian is nonsingular and has the structure its log-det formula relies on",
        statement=r"\det J\neq0;\ \text{declared: triangular (acyclic dependencies), positive scales, "
        r"permutation, orthogonal, } J=I_{hw}\otimes W,\ \text{diagonal, } |\det J|=1",
        source=POST.at("affine coupling (仿射耦合层) and invertible 1x1 convolution (可逆1x1卷积)"),
        tags=("flows", "generic", "structure"),
        assertion=PROBE,
        numeric=_check("structure", "structure_check"),
        model_kind="flow-layer",
        false_variants=_bugs("orthogonal-assumed", "mask-leak", "duplicate-shuffle", "raw-scale",
                             "lu-without-pivoting", *HIDDEN),
    ),
    Claim(
        id="flows.density-normalised",
        title="The change-of-variables density of a 2-D flow integrates to 1",
        statement=r"\int_{\mathbb R^2}\varphi(f(x))\,\left|\det J_f(x)\right|dx=1",
        source=NICE_POST.at("change of variables (概率分布的变换)"),
        tags=("flows", "generic", "density", "quadrature"),
        assertion=DensityQuadrature(nodes=160, perturbation=0.1, bulk=1, tail=0),
        numeric=_check("density", "density_check"),
        model_kind="flow-2d",
        false_variants=(
            variant("doubled-logdet", "2-D RealNVP reporting 2Σ log s", model=f"{BUGGY}:make_realnvp_2d_doubled"),
            variant("sign-flip", "2-D Glow whose couplings report −Σ log s", model=f"{BUGGY}:make_glow_2d_sign_flip"),
            variant("linearised-logdet", "2-D RealNVP reporting Σ(s−1) for Σ log s",
                    model=f"{BUGGY}:make_realnvp_2d_linearised"),
        ),
    ),
    Claim(
        id="flows.consistency-checks-suffice",
        title="Round trip plus cancelling log-dets is enough to validate a flow layer (it is not)",
        statement=r"f^{-1}(f(x))=x\ \wedge\ \mathrm{ld}(x)+\mathrm{ld}^{-1}(f(x))=0\ \Rightarrow\ "
        r"\mathrm{ld}(x)=\log|\det J_f(x)|",
        source=POST.at("复现 (reproduction)"),
        tags=("flows", "generic", "testing-practice"),
        assertion=CorpusProbe(corpus="all"),
        numeric=_check("consistency", "consistency_suffices"),
        expected=Verdict.REFUTED,
        notes="Not a statement of the post: the testing practice many flow implementations stop at.  The "
              "counterexamples are the buggy layers that pass it while the Jacobian check refutes them.",
    ),
)

CLAIMS = GENERIC_CLAIMS + CATALOGUE_CLAIMS
