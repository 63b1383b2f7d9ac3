"""Normalizing flows — Su Jianlin, “细水长flow之RealNVP与Glow：流模型的传承与升华”, 2018 (kexue.fm/archives/5807),
with the change-of-variables background of “细水长flow之NICE” (kexue.fm/archives/5776).

Catalogue section 7 (FLOW-1 … FLOW-21), and the model kind ``flow-layer``: the generic claims (log-det against the
autograd Jacobian, inverse, both directions, structure) run on every registered flow layer — the built-in ones
below and any a user registers — and their false variants are the buggy layers of :mod:`.buggy`.  The 2-D flows of
kind ``flow-2d`` must have densities that integrate to 1.

This module only declares; the checks live in :mod:`.checks`, :mod:`.generic` and :mod:`.density`, imported when a
claim runs.  FLOW-9 (heuristic) and FLOW-12 (empirical ordering of final losses) have no check.
"""

from __future__ import annotations

from kexue_verify_plugins import PROOFS_DIR

from kexue_verify import Claim, ClaimRegistry, FalseVariant, ModelRegistry, ModelSpec, Source, hookimpl

POST = Source(
    title="细水长flow之RealNVP与Glow：流模型的传承与升华 "
          "(RealNVP and Glow: the heritage and sublimation of flow models)",
    author="Su, Jianlin",
    date="2018-08-26",
    url="https://kexue.fm/archives/5807",
    language="chinese",
)
NICE_POST = Source(
    title="细水长flow之NICE：流模型的基本概念与实现 (NICE: the basic concepts and implementation of flow models)",
    author="Su, Jianlin",
    date="2018-08-11",
    url="https://kexue.fm/archives/5776",
    language="chinese",
)
CHECKS = "kexue_verify_plugins.flows.checks"
GENERIC = "kexue_verify_plugins.flows.generic"
GLOW_CODE = "kexue_verify_plugins.flows.glow_code"
BUGGY = "kexue_verify_plugins.flows.buggy"
LAYERS = "kexue_verify_plugins.flows.layers"



HIDDEN_BUGS = "kexue_verify_plugins.flows.hidden_bugs"
#: Bugs that hide from bounded probing or from autograd as ground truth (:mod:`.hidden_bugs`).
HIDDEN = ("far-clamp", "saturating", "wrong-backward")


def _bug(name: str, description: str) -> FalseVariant:
    module = HIDDEN_BUGS if name in HIDDEN else BUGGY
    return FalseVariant(name=name, description=description, model=f"{module}:make_{name.replace('-', '_')}")


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


PROBE = {"bulk": 2, "tail": 2, "tail_scale": 3.0, "extreme": 7.0, "perturbation": 0.1}

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
        numeric=f"{GENERIC}:logdet_check",
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
        numeric=f"{GENERIC}:inverse_check",
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
        numeric="kexue_verify_plugins.flows.directions:directions_check",
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
        numeric=f"{GENERIC}:structure_check",
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
        assertion={"nodes": 160, "perturbation": 0.1, "bulk": 1, "tail": 0},
        numeric="kexue_verify_plugins.flows.density:density_check",
        model_kind="flow-2d",
        false_variants=(
            FalseVariant(name="doubled-logdet", description="2-D RealNVP reporting 2Σ log s",
                         model=f"{BUGGY}:make_realnvp_2d_doubled"),
            FalseVariant(name="sign-flip", description="2-D Glow whose couplings report −Σ log s",
                         model=f"{BUGGY}:make_glow_2d_sign_flip"),
            FalseVariant(name="linearised-logdet", description="2-D RealNVP reporting Σ(s−1) for Σ log s",
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
        assertion={"corpus": "all", **PROBE},
        numeric=f"{CHECKS}:consistency_suffices",
        expected="refuted",
        notes="Not a statement of the post: the testing practice many flow implementations stop at.  The "
              "counterexamples are the buggy layers that pass it while the Jacobian check refutes them.",
    ),
)

# --------------------------------------------------------------------------------------------- catalogue claims

COUPLING_LOGDET = "Sum(log(s[i]), (i, 1, d))"

CATALOGUE_CLAIMS = (
    Claim(
        id="flows.affine-coupling-invertible",
        label="FLOW-1",
        title="The affine coupling is invertible: x₂ = (h₂ − t(h₁))/s(h₁)",
        statement=r"h_1=x_1,\ h_2=s(x_1)\otimes x_2+t(x_1)\ \Longleftrightarrow\ x_1=h_1,\ "
        r"x_2=(h_2-t(h_1))/s(h_1),\quad s>0",
        source=POST.at("仿射耦合层, eq. (1)"),
        tags=("flows", "coupling", "inverse"),
        assertion={"inverse": "(h2 - t)/s"},
        symbolic=f"{CHECKS}:coupling_inverse_symbolic",
        numeric=f"{CHECKS}:coupling_inverse_numeric",
        false_variants=(
            FalseVariant(name="divide-then-shift", description="x₂ = h₂/s − t", assertion={"inverse": "h2/s - t"}),
            FalseVariant(name="multiply-by-s", description="x₂ = (h₂ − t)·s", assertion={"inverse": "(h2 - t)*s"}),
        ),
    ),
    Claim(
        id="flows.coupling-logdet",
        label="FLOW-2",
        title="The coupling Jacobian is block triangular: log|det J| = Σ log s",
        statement=r"\frac{\partial h}{\partial x}=\begin{pmatrix}I_d&0\\ \frac{\partial h_2}{\partial x_1}&"
        r"\mathrm{diag}(s)\end{pmatrix},\qquad \log\left|\det\frac{\partial h}{\partial x}\right|=\sum_i\log s_i",
        source=POST.at("仿射耦合层, eq. (2)"),
        tags=("flows", "coupling", "log-det"),
        assertion={"logdet": COUPLING_LOGDET},
        proof="flows.md#affine-coupling-logdet",
        symbolic=f"{CHECKS}:coupling_logdet_symbolic",
        numeric=f"{CHECKS}:coupling_logdet_numeric",
        false_variants=(
            FalseVariant(name="det-is-sum", description="det = Σ s_i",
                         assertion={"logdet": "log(Sum(s[i], (i, 1, d)))"}),
            FalseVariant(name="extra-shift-term", description="an extra Σ log|∂t_i/∂x_{1,i}| term",
                         assertion={"logdet": COUPLING_LOGDET + " + Sum(log(Abs(dt[i])), (i, 1, d))"}),
            FalseVariant(name="both-halves", description="2Σ log s (both halves counted)",
                         assertion={"logdet": "2*" + COUPLING_LOGDET}),
        ),
    ),
    Claim(
        id="flows.additive-volume-preserving",
        label="FLOW-3",
        title="Additive coupling is volume preserving (det = 1)",
        statement=r"h_2=x_2+m(x_1)\ \Rightarrow\ \det\frac{\partial h}{\partial x}=1",
        source=POST.at("仿射耦合层 (RealNVP = real-valued non-volume preserving)"),
        tags=("flows", "coupling", "log-det"),
        assertion={"logdet": "0"},
        proof="flows.md#additive-coupling",
        symbolic=f"{CHECKS}:additive_logdet_symbolic",
        numeric=f"{CHECKS}:additive_logdet_numeric",
        false_variants=(
            FalseVariant(name="sum-of-m", description="log det = Σ m(x₁)",
                         assertion={"logdet": "Sum(m[i], (i, 1, d))"}),
            FalseVariant(name="det-two", description="det = 2", assertion={"logdet": "log(2)"}),
        ),
    ),
    Claim(
        id="flows.permutation",
        label="FLOW-4",
        title="Permutations: the example P(1,2,3,4)ᵀ = (2,1,4,3)ᵀ, |det P| = 1, log-det 0",
        statement=r"P\,(1,2,3,4)^\top=(2,1,4,3)^\top;\quad |\det P|=1,\ \log|\det P|=0\ "
        r"\text{for reversal and random shuffles}",
        source=POST.at("随机打乱维度, eq. (6)"),
        tags=("flows", "permutation"),
        assertion={"example": {"rows": [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
                               "input": [1, 2, 3, 4], "output": [2, 1, 4, 3]},
                   "vanishes_for_every_permutation": "Abs(det) - 1", "logdet_change": "0"},
        symbolic=f"{CHECKS}:permutation_symbolic",
        numeric=f"{CHECKS}:permutation_numeric",
        false_variants=(
            FalseVariant(name="det-is-one", description="det P = 1 always (it is ±1)",
                         assertion={"example": {"rows": [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
                                                "input": [1, 2, 3, 4], "output": [2, 1, 4, 3]},
                                    "vanishes_for_every_permutation": "det - 1", "logdet_change": "0"}),
            FalseVariant(name="log-factorial", description="a shuffle changes the log-likelihood by log D!",
                         assertion={"example": {"rows": [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
                                                "input": [1, 2, 3, 4], "output": [2, 1, 4, 3]},
                                    "vanishes_for_every_permutation": "Abs(det) - 1",
                                    "logdet_change": "log(factorial(D))"}),
        ),
        notes="The remark that NICE's alternation of halves is 'theoretically equivalent' to reversal holds up to a "
              "permutation inside each half (APPROX); the symbolic check shows that factorisation.",
    ),
    Claim(
        id="flows.channel-permutation-conv",
        label="FLOW-5",
        title="A channel permutation applied at every pixel is a 1×1 convolution with a permutation matrix",
        statement=r"\mathrm{conv2d}(x,\,P_{c\times c\times1\times1})=x_{[:,\pi]},\qquad P_{i,\pi(i)}=1",
        source=POST.at("引入卷积层"),
        tags=("flows", "permutation", "convolution"),
        assertion={"weight": "P"},
        numeric=f"{CHECKS}:channel_permutation_numeric",
        false_variants=(
            FalseVariant(name="transposed", description="the weight is Pᵀ (the inverse permutation)",
                         assertion={"weight": "P.T"}),
        ),
    ),
    Claim(
        id="flows.squeeze",
        label="FLOW-6",
        title="Squeeze h×w×c → h/2×w/2×4c permutes entries: invertible, log-det 0, needs even h and w",
        statement=r"h\times w\times c\to\tfrac h2\times\tfrac w2\times4c,\quad \log|\det J|=0,\quad "
        r"h\equiv w\equiv0\pmod 2",
        source=POST.at("引入卷积层 (squeeze)"),
        tags=("flows", "squeeze", "permutation"),
        assertion={"output_shape": ["4*c", "h/2", "w/2"], "logdet": "0", "requires": ["Mod(h, 2)", "Mod(w, 2)"]},
        numeric=f"{CHECKS}:squeeze_numeric",
        false_variants=(
            FalseVariant(name="log4-per-block", description="log-det = log 4 per 2×2 block",
                         assertion={"output_shape": ["4*c", "h/2", "w/2"], "logdet": "c*h*w/4*log(4)",
                                    "requires": ["Mod(h, 2)", "Mod(w, 2)"]}),
            FalseVariant(name="two-c", description="output h/2 × w/2 × 2c",
                         assertion={"output_shape": ["2*c", "h/2", "w/2"], "logdet": "0",
                                    "requires": ["Mod(h, 2)", "Mod(w, 2)"]}),
            FalseVariant(name="c-divisible-by-4", description="c must be divisible by 4",
                         assertion={"output_shape": ["4*c", "h/2", "w/2"], "logdet": "0", "requires": ["Mod(c, 4)"]}),
        ),
    ),
    Claim(
        id="flows.multiscale-sizes",
        label="FLOW-7",
        title="Multi-scale factor-out: three outputs of sizes D/2, D/4, D/4 that add up to D",
        statement=r"D/2+D/4+D/4=D;\quad 32\times32\times3:\ 1536+768+768=3072",
        source=POST.at("多尺度结构"),
        tags=("flows", "multiscale"),
        assertion={"sizes": ["D/2", "D/4", "D/4"], "total": "D"},
        symbolic=f"{CHECKS}:multiscale_symbolic",
        numeric=f"{CHECKS}:multiscale_numeric",
        false_variants=(
            FalseVariant(name="halving-each-level", description="sizes D/2, D/4, D/8",
                         assertion={"sizes": ["D/2", "D/4", "D/8"], "total": "D"}),
            FalseVariant(name="smaller-output", description="the total output is smaller than the input (7D/8)",
                         assertion={"sizes": ["D/2", "D/4", "D/4"], "total": "7*D/8"}),
        ),
    ),
    Claim(
        id="flows.conditional-prior",
        label="FLOW-8",
        title="The conditional prior: log N(z; μ, σ²) = log N((z−μ)/σ; 0, 1) − log σ, conditioned on the other half",
        statement=r"\log\mathcal N(z_2;\mu(z_1),\sigma(z_1)^2)=\log\mathcal N(\hat z_2;0,I)-\sum\log\sigma,\quad "
        r"\hat z_2=\frac{z_2-\mu(z_1)}{\sigma(z_1)}",
        source=POST.at("多尺度结构, eqs. (3)–(5)"),
        tags=("flows", "multiscale", "prior"),
        assertion={"correction": "-log(sigma)", "conditioner": "other-half"},
        symbolic=f"{CHECKS}:conditional_prior_symbolic",
        numeric=f"{CHECKS}:conditional_prior_numeric",
        false_variants=(
            FalseVariant(name="plus-log-sigma", description="the NLL gains −Σ log σ",
                         assertion={"correction": "log(sigma)", "conditioner": "other-half"}),
            FalseVariant(name="log-sigma-squared", description="Σ log σ² without the ½",
                         assertion={"correction": "-log(sigma**2)", "conditioner": "other-half"}),
            FalseVariant(name="same-half", description="σ and μ computed from the factored variable itself",
                         assertion={"correction": "-log(sigma)", "conditioner": "same-half"}),
        ),
        notes="Attribution caveat (catalogue): the learned conditional prior is in Glow's code (split2d_prior, "
              "learntop); RealNVP's paper uses a standard-normal prior for the factored-out variables.",
    ),
    Claim(
        id="flows.conv1x1-logdet",
        label="FLOW-10",
        title="The invertible 1×1 convolution: log|det J| = h·w·log|det W|",
        statement=r"\det\left(I_{hw}\otimes W\right)=\det(W)^{hw},\qquad \log|\det J|=h\,w\,\log|\det W|",
        source=POST.at("可逆1x1卷积"),
        tags=("flows", "convolution", "log-det"),
        assertion={"logdet": "h*w*L"},
        proof="flows.md#one-by-one-conv-logdet",
        symbolic=f"{CHECKS}:conv1x1_symbolic",
        numeric=f"{CHECKS}:conv1x1_numeric",
        false_variants=(
            FalseVariant(name="missing-hw", description="log|det W| (the h·w factor missing)",
                         assertion={"logdet": "L"}),
            FalseVariant(name="times-c", description="c·log|det W|", assertion={"logdet": "c*L"}),
            FalseVariant(name="times-hwc", description="h·w·c·log|det W|", assertion={"logdet": "h*w*c*L"}),
            FalseVariant(name="sign-flip", description="−h·w·log|det W| (sign flipped in the NLL)",
                         assertion={"logdet": "-h*w*L"}),
        ),
        notes="The post gives the vector form (Jacobian W); the h·w factor of the image case is implicit there.",
    ),
    Claim(
        id="flows.lu-logdet",
        label="FLOW-11",
        title="LU parametrisation W = PLU: log|det W| = Σ log|U_ii| (times h·w for images)",
        statement=r"W=PLU\ (\text{partial pivoting}),\quad \log|\det W|=\sum_i\log|U_{ii}|,\quad "
        r"\log|\det J|=h\,w\sum_i\log|U_{ii}|",
        source=POST.at("利用LU分解, eqs. (8)–(9)"),
        tags=("flows", "convolution", "log-det", "lu"),
        assertion={"factorisation": "PLU", "logdet": "Sum(log(Abs(u[i])), (i, 1, c))", "image_factor": "h*w"},
        symbolic=f"{CHECKS}:lu_symbolic",
        numeric=f"{CHECKS}:lu_numeric",
        false_variants=(
            FalseVariant(name="log-of-sum", description="log|Σ U_ii|",
                         assertion={"factorisation": "PLU", "logdet": "log(Abs(Sum(u[i], (i, 1, c))))",
                                    "image_factor": "h*w"}),
            FalseVariant(name="sum-no-log", description="Σ U_ii", assertion={
                "factorisation": "PLU", "logdet": "Sum(u[i], (i, 1, c))", "image_factor": "h*w"}),
            FalseVariant(name="no-pivoting", description="every invertible W has W = LU without pivoting",
                         assertion={"factorisation": "LU", "logdet": "Sum(log(Abs(u[i])), (i, 1, c))",
                                    "image_factor": "h*w"}),
            FalseVariant(name="missing-hw", description="the image log-det without h·w", assertion={
                "factorisation": "PLU", "logdet": "Sum(log(Abs(u[i])), (i, 1, c))", "image_factor": "1"}),
        ),
    ),
    Claim(
        id="flows.actnorm-logdet",
        label="FLOW-13",
        title="Actnorm log-det: h·w·Σ log|s| (equivalently −h·w·Σ log|σ|), the same for every batch",
        statement=r"y=s\odot x+b:\ \log|\det J|=h\,w\sum_c\log|s_c|;\qquad \hat z=\frac{z-\mu}{\sigma}:\ "
        r"-h\,w\sum_c\log|\sigma_c|",
        source=POST.at("Actnorm, eq. (10)"),
        tags=("flows", "actnorm", "log-det"),
        assertion={"logdet": "h*w*Sum(log(Abs(s[i])), (i, 1, c))", "batch_dependent": False},
        symbolic=f"{CHECKS}:actnorm_symbolic",
        numeric=f"{CHECKS}:actnorm_numeric",
        false_variants=(
            FalseVariant(name="missing-hw", description="Σ log|s| without h·w",
                         assertion={"logdet": "Sum(log(Abs(s[i])), (i, 1, c))", "batch_dependent": False}),
            FalseVariant(name="sign-flip", description="−h·w·Σ log|s|",
                         assertion={"logdet": "-h*w*Sum(log(Abs(s[i])), (i, 1, c))", "batch_dependent": False}),
            FalseVariant(name="batch-dependent", description="the log-det depends on the batch after initialisation",
                         assertion={"logdet": "h*w*Sum(log(Abs(s[i])), (i, 1, c))", "batch_dependent": True}),
        ),
    ),
    Claim(
        id="flows.actnorm-ddi-as-posted",
        label="FLOW-14",
        title="As posted: the released Glow code does not initialise actnorm from data (\"pure zero init\")",
        statement=r"\text{openai/glow initialises actnorm with }b=0,\ \log s=0\ \text{(no data-dependent init)}",
        source=POST.at("Actnorm"),
        tags=("flows", "actnorm", "mistake", "fact"),
        assertion={"released_code_initialisation": "zero"},
        numeric=f"{GLOW_CODE}:actnorm_ddi_fact",
        expected="refuted",
        notes="MISTAKE (factual). tfops.actnorm_center/actnorm_scale set their variables from the batch "
              "(get_variable_ddi), model.py runs that init on data_init, train.py has --n_batch_init 256; the line "
              "'if init and False:' only disables an MPI all-reduce.",
    ),
    Claim(
        id="flows.actnorm-ddi",
        label="FLOW-14",
        title="Actnorm's data-dependent initialisation gives the initial batch zero mean and unit variance",
        statement=r"b=-\mathrm{mean}(x),\ \log s=-\log(\mathrm{std}(x)+10^{-6})\ \Rightarrow\ "
        r"\mathrm{mean}(y)=0,\ \mathrm{std}(y)=1\ \text{per channel on that batch}",
        source=POST.at("Actnorm"),
        tags=("flows", "actnorm", "fact"),
        assertion={"released_code_initialisation": "data-dependent", "sets": "batch-statistics",
                   "unit_variance_on_later_batches": False},
        numeric=f"{GLOW_CODE}:actnorm_ddi_numeric",
        false_variants=(
            FalseVariant(name="later-batches-unit-variance",
                         description="after DDI every later batch has unit variance",
                         assertion={"released_code_initialisation": "data-dependent", "sets": "batch-statistics",
                                    "unit_variance_on_later_batches": True}),
            FalseVariant(name="sets-identity", description="DDI sets μ = 0, σ = 1",
                         assertion={"released_code_initialisation": "data-dependent", "sets": "identity",
                                    "unit_variance_on_later_batches": False}),
        ),
    ),
    Claim(
        id="flows.conditional-actnorm",
        label="FLOW-15",
        title="The split2d prior is a 'conditional actnorm' followed by a standard normal",
        statement=r"\log\mathcal N(z_2;\mu(z_1),\sigma(z_1)^2)=\log\mathcal N(\hat z_2;0,I)+\log|\det J|,\quad "
        r"\hat z_2=\frac{z_2-\mu(z_1)}{\sigma(z_1)},\ \log|\det J|=-\sum\log\sigma",
        source=POST.at("源码分析 (split2d)"),
        tags=("flows", "multiscale", "actnorm"),
        assertion={"zhat": "(z2 - mu)/sigma", "logdet": "-log(sigma)"},
        symbolic=f"{CHECKS}:conditional_actnorm_symbolic",
        numeric=f"{CHECKS}:conditional_actnorm_numeric",
        false_variants=(
            FalseVariant(name="plus-log-sigma", description="log-det +Σ log σ",
                         assertion={"zhat": "(z2 - mu)/sigma", "logdet": "log(sigma)"}),
            FalseVariant(name="multiply-by-sigma", description="ẑ = (z₂ − μ)·σ with log-det Σ log σ",
                         assertion={"zhat": "(z2 - mu)*sigma", "logdet": "log(sigma)"}),
        ),
    ),
    Claim(
        id="flows.affine-doubles-compute-as-posted",
        label="FLOW-16",
        title="As posted: affine coupling doubles the compute of additive coupling",
        statement=r"\mathrm{FLOPs}(f_{\mathrm{affine}})/\mathrm{FLOPs}(f_{\mathrm{additive}})=2",
        source=POST.at("源码分析 (f)"),
        tags=("flows", "coupling", "compute", "imprecision"),
        assertion={"ratio": "2", "channels": 12, "width": 512},
        numeric=f"{GLOW_CODE}:coupling_flops",
        expected="refuted",
        notes="APPROX/overstated: in openai/glow only the last convolution's output channels double.",
    ),
    Claim(
        id="flows.affine-compute-ratio",
        label="FLOW-16",
        title="Affine/additive compute ratio of Glow's f is ≈ 1.087 at c = 12 (2 only with separate s and t nets)",
        statement=r"\frac{9\cdot6\cdot512+512^2+9\cdot512\cdot12}{9\cdot6\cdot512+512^2+9\cdot512\cdot6}\approx1.087",
        source=POST.at("源码分析 (f)"),
        tags=("flows", "coupling", "compute"),
        assertion={"ratio": "(9*6*512 + 512**2 + 9*512*12)/(9*6*512 + 512**2 + 9*512*6)", "channels": 12,
                   "width": 512, "separate_networks_ratio": "2"},
        numeric=f"{GLOW_CODE}:coupling_flops",
        false_variants=(
            FalseVariant(name="doubles", description="the ratio is 2", assertion={
                "ratio": "2", "channels": 12, "width": 512, "separate_networks_ratio": "2"}),
            FalseVariant(name="separate-nets-same-cost", description="separate s and t networks cost the same",
                         assertion={
                "ratio": "(9*6*512 + 512**2 + 9*512*12)/(9*6*512 + 512**2 + 9*512*6)", "channels": 12,
                "width": 512, "separate_networks_ratio": "1"}),
        ),
    ),
    Claim(
        id="flows.glow-celeba-additive",
        label="FLOW-17",
        title="Glow trained 256×256 CelebA-HQ with additive coupling",
        statement=r"\texttt{--problem celeba --image\_size 256 --flow\_coupling 0}\ (0=\text{additive})",
        source=POST.at("复现"),
        tags=("flows", "fact"),
        assertion={"problem": "celeba", "image_size": 256, "coupling": "additive"},
        numeric=f"{GLOW_CODE}:celeba_fact",
        false_variants=(
            FalseVariant(name="affine", description="CelebA-HQ 256 used affine coupling",
                         assertion={"problem": "celeba", "image_size": 256, "coupling": "affine"}),
        ),
    ),
    Claim(
        id="flows.zero-init-identity-as-posted",
        label="FLOW-18",
        title="As posted: a zero-initialised last layer makes every coupling the identity, Glow's included",
        statement=r"f_{\text{last}}\equiv0\ \Rightarrow\ \text{coupling}=\mathrm{id}\ \text{for additive, "
        r"exp-affine and } s=\sigma(h+2)",
        source=POST.at("源码分析 (f, zero initialisation)"),
        tags=("flows", "coupling", "initialisation", "imprecision"),
        assertion={"init_scale": {"additive": "1", "affine-exp": "1", "affine-sigmoid": "1"}},
        symbolic=f"{CHECKS}:zero_init_symbolic",
        numeric=f"{CHECKS}:zero_init_numeric",
        expected="refuted",
        notes="APPROX (implementation-dependent): with scale = sigmoid(h + 2) the initial scale is sigmoid(2).",
    ),
    Claim(
        id="flows.zero-init-identity",
        label="FLOW-18",
        title="Zero init gives the identity for additive and exp-affine couplings; scale sigmoid(2) for Glow's",
        statement=r"f_{\text{last}}\equiv0:\ s=1\ \text{(additive, exp)},\quad s=\sigma(2)\approx0.8808,\ "
        r"\log s\approx-0.12693\ \text{(Glow)}",
        source=POST.at("源码分析 (f, zero initialisation)"),
        tags=("flows", "coupling", "initialisation"),
        assertion={"init_scale": {"additive": "1", "affine-exp": "1", "affine-sigmoid": "1/(1 + exp(-2))"}},
        symbolic=f"{CHECKS}:zero_init_symbolic",
        numeric=f"{CHECKS}:zero_init_numeric",
        false_variants=(
            FalseVariant(name="scale-zero", description="zero init makes s = 0 (that map is not invertible)",
                         assertion={"init_scale": {"affine-exp": "0"}}),
            FalseVariant(name="sigmoid-identity", description="the sigmoid(h+2) coupling is the identity at init",
                         assertion={"init_scale": {"affine-sigmoid": "1"}}),
        ),
    ),
    Claim(
        id="flows.objective",
        label="FLOW-19",
        title="Glow's objective: NLL = ½‖z‖² + (D/2)log 2π − log|det J| + D log n_bins; bits/dim = NLL/(D ln 2)",
        statement=r"\mathrm{NLL}=\tfrac12\|z\|^2+\tfrac D2\log2\pi-\sum\log|\det J|+D\log n_{\rm bins},\quad "
        r"\mathrm{bpd}=\frac{\mathrm{NLL}}{D\ln2}",
        source=POST.at("源码分析 (objective)"),
        tags=("flows", "objective"),
        assertion={"nll": "zz/2 + D/2*log(2*pi) - logdet + D*log(n_bins)", "bits_per_dim": "nll/(D*log(2))"},
        numeric=f"{GLOW_CODE}:objective_numeric",
        false_variants=(
            FalseVariant(name="mse", description="loss = MSE(z, x)",
                         assertion={"nll": "mse", "bits_per_dim": "nll/(D*log(2))"}),
            FalseVariant(name="bits-without-ln2", description="bits/dim = NLL/D", assertion={
                "nll": "zz/2 + D/2*log(2*pi) - logdet + D*log(n_bins)", "bits_per_dim": "nll/D"}),
            FalseVariant(name="dequantisation-sign", description="−D log n_bins", assertion={
                "nll": "zz/2 + D/2*log(2*pi) - logdet - D*log(n_bins)", "bits_per_dim": "nll/(D*log(2))"}),
        ),
    ),
    Claim(
        id="flows.default-hyperparameters",
        label="FLOW-20",
        title="Glow's defaults: L = 3 levels, K = 32 steps; L = 6 for 256×256",
        statement=r"L=3,\ K=32\ \text{(train.py)};\quad L=6\ \text{for CelebA-HQ }256\times256\ \text{(README)}",
        source=POST.at("源码分析"),
        tags=("flows", "fact"),
        assertion={"n_levels": 3, "depth": 32, "celeba_256_n_levels": 6},
        numeric=f"{GLOW_CODE}:hyperparameters_fact",
        false_variants=(
            FalseVariant(name="depth-48", description="K = 48 by default (the ImageNet setting)",
                         assertion={"n_levels": 3, "depth": 48, "celeba_256_n_levels": 6}),
            FalseVariant(name="celeba-levels-5", description="L = 5 for 256×256",
                         assertion={"n_levels": 3, "depth": 32, "celeba_256_n_levels": 5}),
        ),
    ),
    Claim(
        id="flows.temperature",
        label="FLOW-21",
        title="Temperature T: z = μ + Tσε scales the variance by T²",
        statement=r"z=\mu+T\sigma\epsilon,\ \epsilon\sim\mathcal N(0,1)\ \Rightarrow\ \mathrm{Var}(z)=T^2\sigma^2",
        source=POST.at("复现 (退火参数)"),
        tags=("flows", "sampling"),
        assertion={"variance_factor": "T**2", "temperature": 0.8},
        symbolic=f"{CHECKS}:temperature_symbolic",
        numeric=f"{CHECKS}:temperature_numeric",
        false_variants=(
            FalseVariant(name="variance-times-t", description="the variance scales by T",
                         assertion={"variance_factor": "T", "temperature": 0.8}),
            FalseVariant(name="std-times-t-squared", description="the standard deviation scales by T²",
                         assertion={"variance_factor": "T**4", "temperature": 0.8}),
        ),
    ),
)

CLAIMS = GENERIC_CLAIMS + CATALOGUE_CLAIMS

# --------------------------------------------------------------------------------------------- models


def _layer(name: str, factory: str, description: str, shape: tuple[int, ...]) -> ModelSpec:
    return ModelSpec(name=name, kind="flow-layer", factory=f"{LAYERS}:{factory}", description=description,
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
    ModelSpec(name="realnvp-2d", kind="flow-2d", factory=f"{LAYERS}:make_realnvp_2d",
              description="2-D RealNVP: exp couplings, reversals, additive coupling", declared={"event_shape": (2,)}),
    ModelSpec(name="glow-2d", kind="flow-2d", factory=f"{LAYERS}:make_glow_2d",
              description="2-D Glow: two (actnorm, LU, sigmoid coupling) steps", declared={"event_shape": (2,)}),
)




def _controls(claims: tuple[Claim, ...]) -> tuple[ModelSpec, ...]:
    """The bug corpus as negative controls: one ModelSpec per buggy model, expecting ``refuted`` on every generic
    claim that lists it as a false variant (and running only there).  The claims' false variants and these controls
    are the same declarations, so they cannot drift apart."""
    expect: dict[tuple[str, str], dict[str, str]] = {}
    described: dict[tuple[str, str], str] = {}
    for claim in claims:
        for variant in claim.false_variants:
            if variant.model is None or claim.model_kind is None:
                continue
            key = (claim.model_kind, str(variant.model))
            expect.setdefault(key, {})[claim.id] = "refuted"
            described[key] = variant.description
    specs = []
    for (kind, factory), claims_expected in expect.items():
        slug = factory.rsplit(":make_", 1)[1].replace("_", "-")
        specs.append(ModelSpec(name=f"bug-{slug}", kind=kind, factory=factory, expect=claims_expected,
                               description=f"negative control: {described[(kind, factory)]}"))
    return tuple(specs)


#: The bug corpus, registered as negative controls of kind flow-layer / flow-2d.
CONTROLS = _controls(GENERIC_CLAIMS)


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add_proof_dir(PROOFS_DIR)
    for claim in CLAIMS:
        registry.add(claim)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    for spec in MODELS + CONTROLS:
        registry.add(spec)
