r"""The catalogue claims of “细水长flow之RealNVP与Glow” (Su Jianlin, 2018; kexue.fm/archives/5807), FLOW-1 … FLOW-21.

Declarations only (typed assertions of :mod:`.assertions`).  Each claim names its checks as
``"kexue_verify_plugins.flows.checks.<subject>:<function>"``; each false variant names the assertion fields it
changes and runs through the same checks.  A statement wrong as posted is a claim “as posted” expecting ``refuted``,
with the corrected claim beside it.  FLOW-9 (heuristic) and FLOW-12 (empirical ordering of final losses) have no
check.
"""

from __future__ import annotations

from kexue_verify import Claim, Verdict, variant

from .assertions import (
    ActnormDDI,
    ActnormLogdet,
    ChannelPermutationConv,
    ConditionalActnorm,
    ConditionalPrior,
    Conv1x1Logdet,
    CouplingCompute,
    CouplingInverse,
    CouplingLogdet,
    GlowCelebaSetup,
    GlowHyperparameters,
    LULogdet,
    MultiscaleSizes,
    Objective,
    Permutation,
    ReleasedInitialisation,
    Squeeze,
    Temperature,
    ZeroInitScale,
)
from .sources import POST
from .sources import check as _check

__all__ = ["CATALOGUE_CLAIMS"]

COUPLING_LOGDET = "Sum(log(s[i]), (i, 1, d))"
#: FLOPs(affine f)/FLOPs(additive f) of Glow's f at c = 12, width 512 (3×3, 1×1, 3×3 convolutions).
GLOW_F_RATIO = "(9*6*512 + 512**2 + 9*512*12)/(9*6*512 + 512**2 + 9*512*6)"
GLOW_NLL = "zz/2 + D/2*log(2*pi) - logdet + D*log(n_bins)"

CATALOGUE_CLAIMS = (
    Claim(
        id="flows.affine-coupling-invertible",
        label="FLOW-1",
        title="The affine coupling is invertible: x₂ = (h₂ − t(h₁))/s(h₁)",
        statement=r"h_1=x_1,\ h_2=s(x_1)\otimes x_2+t(x_1)\ \Longleftrightarrow\ x_1=h_1,\ "
        r"x_2=(h_2-t(h_1))/s(h_1),\quad s>0",
        source=POST.at("仿射耦合层, eq. (1)"),
        tags=("flows", "coupling", "inverse"),
        assertion=CouplingInverse(inverse="(h2 - t)/s"),
        symbolic=_check("coupling", "coupling_inverse_symbolic"),
        numeric=_check("coupling", "coupling_inverse_numeric"),
        false_variants=(
            variant("divide-then-shift", "x₂ = h₂/s − t", inverse="h2/s - t"),
            variant("multiply-by-s", "x₂ = (h₂ − t)·s", inverse="(h2 - t)*s"),
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
        assertion=CouplingLogdet(logdet=COUPLING_LOGDET),
        proof="flows.md#affine-coupling-logdet",
        symbolic=_check("coupling", "coupling_logdet_symbolic"),
        numeric=_check("coupling", "coupling_logdet_numeric"),
        false_variants=(
            variant("det-is-sum", "det = Σ s_i", logdet="log(Sum(s[i], (i, 1, d)))"),
            variant("extra-shift-term", "an extra Σ log|∂t_i/∂x_{1,i}| term",
                    logdet=COUPLING_LOGDET + " + Sum(log(Abs(dt[i])), (i, 1, d))"),
            variant("both-halves", "2Σ log s (both halves counted)", logdet="2*" + COUPLING_LOGDET),
        ),
    ),
    Claim(
        id="flows.additive-volume-preserving",
        label="FLOW-3",
        title="Additive coupling is volume preserving (det = 1)",
        statement=r"h_2=x_2+m(x_1)\ \Rightarrow\ \det\frac{\partial h}{\partial x}=1",
        source=POST.at("仿射耦合层 (RealNVP = real-valued non-volume preserving)"),
        tags=("flows", "coupling", "log-det"),
        assertion=CouplingLogdet(logdet="0"),
        proof="flows.md#additive-coupling",
        symbolic=_check("coupling", "additive_logdet_symbolic"),
        numeric=_check("coupling", "additive_logdet_numeric"),
        false_variants=(
            variant("sum-of-m", "log det = Σ m(x₁)", logdet="Sum(m[i], (i, 1, d))"),
            variant("det-two", "det = 2", logdet="log(2)"),
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
        assertion=Permutation(example_rows=((0, 1, 0, 0), (1, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0)),
                              example_input=(1, 2, 3, 4), example_output=(2, 1, 4, 3),
                              vanishes_for_every_permutation="Abs(det) - 1", logdet_change="0"),
        symbolic=_check("permutation", "permutation_symbolic"),
        numeric=_check("permutation", "permutation_numeric"),
        false_variants=(
            variant("det-is-one", "det P = 1 always (it is ±1)", vanishes_for_every_permutation="det - 1"),
            variant("log-factorial", "a shuffle changes the log-likelihood by log D!",
                    logdet_change="log(factorial(D))"),
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
        assertion=ChannelPermutationConv(weight="P"),
        numeric=_check("permutation", "channel_permutation_numeric"),
        false_variants=(
            variant("transposed", "the weight is Pᵀ (the inverse permutation)", weight="P.T"),
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
        assertion=Squeeze(output_shape=("4*c", "h/2", "w/2"), logdet="0", requires=("Mod(h, 2)", "Mod(w, 2)")),
        numeric=_check("permutation", "squeeze_numeric"),
        false_variants=(
            variant("log4-per-block", "log-det = log 4 per 2×2 block", logdet="c*h*w/4*log(4)"),
            variant("two-c", "output h/2 × w/2 × 2c", output_shape=("2*c", "h/2", "w/2")),
            variant("c-divisible-by-4", "c must be divisible by 4", requires=("Mod(c, 4)",)),
        ),
    ),
    Claim(
        id="flows.multiscale-sizes",
        label="FLOW-7",
        title="Multi-scale factor-out: three outputs of sizes D/2, D/4, D/4 that add up to D",
        statement=r"D/2+D/4+D/4=D;\quad 32\times32\times3:\ 1536+768+768=3072",
        source=POST.at("多尺度结构"),
        tags=("flows", "multiscale"),
        assertion=MultiscaleSizes(sizes=("D/2", "D/4", "D/4"), total="D"),
        symbolic=_check("multiscale", "multiscale_symbolic"),
        numeric=_check("multiscale", "multiscale_numeric"),
        false_variants=(
            variant("halving-each-level", "sizes D/2, D/4, D/8", sizes=("D/2", "D/4", "D/8")),
            variant("smaller-output", "the total output is smaller than the input (7D/8)", total="7*D/8"),
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
        assertion=ConditionalPrior(correction="-log(sigma)", conditioner="other-half"),
        symbolic=_check("multiscale", "conditional_prior_symbolic"),
        numeric=_check("multiscale", "conditional_prior_numeric"),
        false_variants=(
            variant("plus-log-sigma", "the NLL gains −Σ log σ", correction="log(sigma)"),
            variant("log-sigma-squared", "Σ log σ² without the ½", correction="-log(sigma**2)"),
            variant("same-half", "σ and μ computed from the factored variable itself", conditioner="same-half"),
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
        assertion=Conv1x1Logdet(logdet="h*w*L"),
        proof="flows.md#one-by-one-conv-logdet",
        symbolic=_check("convolution", "conv1x1_symbolic"),
        numeric=_check("convolution", "conv1x1_numeric"),
        false_variants=(
            variant("missing-hw", "log|det W| (the h·w factor missing)", logdet="L"),
            variant("times-c", "c·log|det W|", logdet="c*L"),
            variant("times-hwc", "h·w·c·log|det W|", logdet="h*w*c*L"),
            variant("sign-flip", "−h·w·log|det W| (sign flipped in the NLL)", logdet="-h*w*L"),
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
        assertion=LULogdet(factorisation="PLU", logdet="Sum(log(Abs(u[i])), (i, 1, c))", image_factor="h*w"),
        symbolic=_check("convolution", "lu_symbolic"),
        numeric=_check("convolution", "lu_numeric"),
        false_variants=(
            variant("log-of-sum", "log|Σ U_ii|", logdet="log(Abs(Sum(u[i], (i, 1, c))))"),
            variant("sum-no-log", "Σ U_ii", logdet="Sum(u[i], (i, 1, c))"),
            variant("no-pivoting", "every invertible W has W = LU without pivoting", factorisation="LU"),
            variant("missing-hw", "the image log-det without h·w", image_factor="1"),
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
        assertion=ActnormLogdet(logdet="h*w*Sum(log(Abs(s[i])), (i, 1, c))", batch_dependent=False),
        symbolic=_check("actnorm", "actnorm_symbolic"),
        numeric=_check("actnorm", "actnorm_numeric"),
        false_variants=(
            variant("missing-hw", "Σ log|s| without h·w", logdet="Sum(log(Abs(s[i])), (i, 1, c))"),
            variant("sign-flip", "−h·w·Σ log|s|", logdet="-h*w*Sum(log(Abs(s[i])), (i, 1, c))"),
            variant("batch-dependent", "the log-det depends on the batch after initialisation",
                    batch_dependent=True),
        ),
    ),
    Claim(
        id="flows.actnorm-ddi-as-posted",
        label="FLOW-14",
        title="As posted: the released Glow code does not initialise actnorm from data (\"pure zero init\")",
        statement=r"\text{openai/glow initialises actnorm with }b=0,\ \log s=0\ \text{(no data-dependent init)}",
        source=POST.at("Actnorm"),
        tags=("flows", "actnorm", "mistake", "fact"),
        assertion=ReleasedInitialisation(released_code_initialisation="zero"),
        numeric=_check("glow_code", "actnorm_ddi_fact"),
        expected=Verdict.REFUTED,
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
        assertion=ActnormDDI(released_code_initialisation="data-dependent", sets="batch-statistics",
                             unit_variance_on_later_batches=False),
        numeric=_check("glow_code", "actnorm_ddi_numeric"),
        false_variants=(
            variant("later-batches-unit-variance", "after DDI every later batch has unit variance",
                    unit_variance_on_later_batches=True),
            variant("sets-identity", "DDI sets μ = 0, σ = 1", sets="identity"),
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
        assertion=ConditionalActnorm(zhat="(z2 - mu)/sigma", logdet="-log(sigma)"),
        symbolic=_check("multiscale", "conditional_actnorm_symbolic"),
        numeric=_check("multiscale", "conditional_actnorm_numeric"),
        false_variants=(
            variant("plus-log-sigma", "log-det +Σ log σ", logdet="log(sigma)"),
            variant("multiply-by-sigma", "ẑ = (z₂ − μ)·σ with log-det Σ log σ", zhat="(z2 - mu)*sigma",
                    logdet="log(sigma)"),
        ),
    ),
    Claim(
        id="flows.affine-doubles-compute-as-posted",
        label="FLOW-16",
        title="As posted: affine coupling doubles the compute of additive coupling",
        statement=r"\mathrm{FLOPs}(f_{\mathrm{affine}})/\mathrm{FLOPs}(f_{\mathrm{additive}})=2",
        source=POST.at("源码分析 (f)"),
        tags=("flows", "coupling", "compute", "imprecision"),
        assertion=CouplingCompute(ratio="2", channels=12, width=512),
        numeric=_check("glow_code", "coupling_flops"),
        expected=Verdict.REFUTED,
        notes="APPROX/overstated: in openai/glow only the last convolution's output channels double.",
    ),
    Claim(
        id="flows.affine-compute-ratio",
        label="FLOW-16",
        title="Affine/additive compute ratio of Glow's f is ≈ 1.087 at c = 12 (2 only with separate s and t nets)",
        statement=r"\frac{9\cdot6\cdot512+512^2+9\cdot512\cdot12}{9\cdot6\cdot512+512^2+9\cdot512\cdot6}\approx1.087",
        source=POST.at("源码分析 (f)"),
        tags=("flows", "coupling", "compute"),
        assertion=CouplingCompute(ratio=GLOW_F_RATIO, channels=12, width=512,
                                  separate_networks_ratio="2"),
        numeric=_check("glow_code", "coupling_flops"),
        false_variants=(
            variant("doubles", "the ratio is 2", ratio="2"),
            variant("separate-nets-same-cost", "separate s and t networks cost the same", separate_networks_ratio="1"),
        ),
    ),
    Claim(
        id="flows.glow-celeba-additive",
        label="FLOW-17",
        title="Glow trained 256×256 CelebA-HQ with additive coupling",
        statement=r"\texttt{--problem celeba --image\_size 256 --flow\_coupling 0}\ (0=\text{additive})",
        source=POST.at("复现"),
        tags=("flows", "fact"),
        assertion=GlowCelebaSetup(problem="celeba", image_size=256, coupling="additive"),
        numeric=_check("glow_code", "celeba_fact"),
        false_variants=(
            variant("affine", "CelebA-HQ 256 used affine coupling", coupling="affine"),
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
        assertion=ZeroInitScale(additive="1", affine_exp="1", affine_sigmoid="1"),
        symbolic=_check("coupling", "zero_init_symbolic"),
        numeric=_check("coupling", "zero_init_numeric"),
        expected=Verdict.REFUTED,
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
        assertion=ZeroInitScale(additive="1", affine_exp="1", affine_sigmoid="1/(1 + exp(-2))"),
        symbolic=_check("coupling", "zero_init_symbolic"),
        numeric=_check("coupling", "zero_init_numeric"),
        false_variants=(
            variant("scale-zero", "zero init makes s = 0 (that map is not invertible)", additive=None,
                    affine_exp="0", affine_sigmoid=None),
            variant("sigmoid-identity", "the sigmoid(h+2) coupling is the identity at init", additive=None,
                    affine_exp=None, affine_sigmoid="1"),
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
        assertion=Objective(nll=GLOW_NLL, bits_per_dim="nll/(D*log(2))"),
        numeric=_check("glow_code", "objective_numeric"),
        false_variants=(
            variant("mse", "loss = MSE(z, x)", nll="mse"),
            variant("bits-without-ln2", "bits/dim = NLL/D", bits_per_dim="nll/D"),
            variant("dequantisation-sign", "−D log n_bins", nll="zz/2 + D/2*log(2*pi) - logdet - D*log(n_bins)"),
        ),
    ),
    Claim(
        id="flows.default-hyperparameters",
        label="FLOW-20",
        title="Glow's defaults: L = 3 levels, K = 32 steps; L = 6 for 256×256",
        statement=r"L=3,\ K=32\ \text{(train.py)};\quad L=6\ \text{for CelebA-HQ }256\times256\ \text{(README)}",
        source=POST.at("源码分析"),
        tags=("flows", "fact"),
        assertion=GlowHyperparameters(n_levels=3, depth=32, celeba_256_n_levels=6),
        numeric=_check("glow_code", "hyperparameters_fact"),
        false_variants=(
            variant("depth-48", "K = 48 by default (the ImageNet setting)", depth=48),
            variant("celeba-levels-5", "L = 5 for 256×256", celeba_256_n_levels=5),
        ),
    ),
    Claim(
        id="flows.temperature",
        label="FLOW-21",
        title="Temperature T: z = μ + Tσε scales the variance by T²",
        statement=r"z=\mu+T\sigma\epsilon,\ \epsilon\sim\mathcal N(0,1)\ \Rightarrow\ \mathrm{Var}(z)=T^2\sigma^2",
        source=POST.at("复现 (退火参数)"),
        tags=("flows", "sampling"),
        assertion=Temperature(variance_factor="T**2", temperature=0.8),
        symbolic=_check("multiscale", "temperature_symbolic"),
        numeric=_check("multiscale", "temperature_numeric"),
        false_variants=(
            variant("variance-times-t", "the variance scales by T", variance_factor="T"),
            variant("std-times-t-squared", "the standard deviation scales by T²", variance_factor="T**4"),
        ),
    ),
)


