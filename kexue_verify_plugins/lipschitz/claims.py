"""The claims of “深度学习中的Lipschitz约束：泛化与生成模型” (Su Jianlin, 2018; kexue.fm/archives/6051), catalogue
section 8 (LIP-1 … LIP-16), and the model claim ``lipschitz.declared-bound`` of kind ``lipschitz-net``.

Declarations only (no torch or SymPy), so listing claims stays fast.  Checks are named as ``"<module>:<function>"``
in :mod:`.checks`; each false variant names the fields it changes and runs through the same checks.  The post's three
mistakes are claims "as posted" expected to be refuted, each next to its corrected claim (LIP-6, LIP-7, LIP-13).
"""

from __future__ import annotations

from kexue_verify import Claim, FalseVariant, Source, Verdict, variant

from .assertions import (
    ConvOperatorNorm,
    DeclaredBound,
    DoubleBackprop,
    GradientPenalty,
    KerasSpectralNorm,
    L2WeightDecay,
    LayerBound,
    MatrixRelations,
    PowerIteration,
    Reparametrisation,
    ResidualBound,
    SmallestConstant,
    SpectralGradient,
    SpectralNormalization,
    WassersteinDual,
    WeightClipping,
)

__all__ = ["CLAIMS", "KIND", "POST"]

POST = Source(
    title="深度学习中的Lipschitz约束：泛化与生成模型 (Lipschitz constraints in deep learning: generalisation and "
          "generative models)",
    author="Su, Jianlin",
    date="2018-10-07",
    url="https://kexue.fm/archives/6051",
    language="chinese",
)
PKG = "kexue_verify_plugins.lipschitz"
CHECKS, MATRIX, ITER, TRAIN = (f"{PKG}.checks.{m}" for m in ("network", "matrix", "iteration", "training"))
MODELS = f"{PKG}.models"
KIND = "lipschitz-net"


# ------------------------------------------------------------------------------------------ LIP-1 … LIP-5

LAYER_BOUND = Claim(
    id="lipschitz.layer-bound",
    label="LIP-1",
    title="Layer-wise Lipschitz bound: |f|_L ≤ ∏ L_σ ‖W_ℓ‖₂, with sup σ' = 1/4 (sigmoid), 1 (tanh, relu)",
    statement=r"\|f(Wx_1+b)-f(Wx_2+b)\|\le L_f\|W\|_2\|x_1-x_2\|,\quad |g\circ h|_L\le|g|_L|h|_L,"
    r"\quad \sup\sigma'=\tfrac14,\ \sup\tanh'=1,\ \sup\mathrm{relu}'=1",
    source=POST.at("L约束与泛化 · 神经网络"),
    tags=("lipschitz", "activations", "torch"),
    assertion=LayerBound(sup_sigmoid="1/4", sup_tanh="1", sup_relu="1", composition="product",
                         weight_norm="spec"),
    symbolic=f"{CHECKS}:activation_symbolic",
    numeric=f"{CHECKS}:layer_bound_numeric",
    proof="lipschitz.md#sigmoid-derivative",
    false_variants=(
        variant("sigmoid-half", "the sigmoid derivative is bounded by 1/2 (its sup)", sup_sigmoid="1/2"),
        variant("composition-sum", "the constant of a composition is the sum of the constants", composition="sum"),
        variant("max-entry", "the bound holds with max|w_ij| in place of ‖W‖₂", weight_norm="maxabs"),
    ),
)

SMALLEST_CONSTANT = Claim(
    id="lipschitz.spectral-norm-smallest-constant",
    label="LIP-2",
    title="The spectral norm (7) is the smallest C with ‖Wx‖ ≤ C‖x‖",
    statement=r"\|W\|_2=\max_{x\ne0}\frac{\|Wx\|}{\|x\|}:\ \|Wx\|\le\|W\|_2\|x\|\ \forall x,"
    r"\text{ with equality at the top right singular vector}",
    source=POST.at("矩阵范数 · 定义"),
    tags=("matrix-norm", "torch"),
    assertion=SmallestConstant(constant="spec"),
    symbolic=f"{MATRIX}:smallest_constant_symbolic",
    numeric=f"{MATRIX}:smallest_constant_numeric",
    false_variants=(
        variant("frobenius", "the Frobenius norm is the smallest valid constant", constant="fro"),
        variant("max-entry", "max|w_ij| is a valid constant", constant="maxabs"),
    ),
)

FROBENIUS = Claim(
    id="lipschitz.frobenius-bound",
    label="LIP-3",
    title="‖W‖₂ ≤ ‖W‖_F ≤ √rank·‖W‖₂ (the Frobenius bound (10))",
    statement=r"\|Wx\|\le\|W\|_F\|x\|,\qquad \|W\|_2\le\|W\|_F=\Big(\sum_i\sigma_i^2\Big)^{1/2}"
    r"\le\sqrt{\operatorname{rank}W}\,\|W\|_2",
    source=POST.at("矩阵范数 · Frobenius范数"),
    tags=("matrix-norm", "torch"),
    assertion=MatrixRelations(relations=("spec <= fro", "fro <= sqrt(rank)*spec")),
    symbolic=f"{MATRIX}:frobenius_symbolic",
    numeric=f"{MATRIX}:relations_numeric",
    proof="lipschitz.md#frobenius-spectral",
    false_variants=(
        variant("reversed", "‖W‖_F ≤ ‖W‖₂", relations=("fro <= spec",)),
        variant("equal-for-square", "‖W‖_F = ‖W‖₂ for square W", relations=("Eq(fro, spec)",), on="square"),
        variant("max-entry", "‖Wx‖ ≤ max|w_ij|·‖x‖, i.e. ‖W‖₂ ≤ max|w_ij|", relations=("spec <= maxabs",)),
    ),
)

L2_DECAY = Claim(
    id="lipschitz.l2-regularisation-is-weight-decay",
    label="LIP-4",
    title="The l2 penalty λ‖W‖_F² (11)–(12) is weight decay for SGD (rate 2λ), not for Adam",
    statement=r"\nabla_W\lambda\|W\|_F^2=2\lambda W:\ \text{SGD on }L+\lambda\|W\|_F^2\equiv"
    r"\text{SGD with weight decay }2\lambda;\ \text{Adam on }L+\lambda\|W\|_F^2\not\equiv\text{AdamW}",
    source=POST.at("矩阵范数 · l2正则项"),
    tags=("regularisation", "optimiser", "torch"),
    assertion=L2WeightDecay(penalty="lam*fro**2", sgd_decay="2*lam", adam_equivalent=False),
    symbolic=f"{TRAIN}:l2_weight_decay_symbolic",
    numeric=f"{TRAIN}:l2_weight_decay_numeric",
    notes="The catalogue's note: for Adam, L2 regularisation and decoupled weight decay differ (AdamW).",
    false_variants=(
        variant("unsquared", "the penalty is λ‖W‖_F (not squared)", penalty="lam*fro"),
        variant("decay-lambda", "SGD weight decay with rate λ (missing the factor 2)", sgd_decay="lam"),
        variant("adam-equivalent", "L2 regularisation ≡ decoupled weight decay under Adam", adam_equivalent=True),
    ),
)

LARGEST_SV = Claim(
    id="lipschitz.spectral-norm-is-largest-singular-value",
    label="LIP-5",
    title="‖W‖₂ = √λ_max(WᵀW) = σ_max(W)",
    statement=r"\|W\|_2=\sqrt{\lambda_{\max}(W^\top W)}=\sigma_{\max}(W)",
    source=POST.at("谱范数 · 主特征根"),
    tags=("matrix-norm", "torch"),
    assertion=MatrixRelations(relations=("Eq(spec, sqrt(lmax))", "Eq(spec, svmax)")),
    symbolic=f"{MATRIX}:sup_identity_symbolic",
    numeric=f"{MATRIX}:relations_numeric",
    notes="The post's sketch proves only ≤; equality is attained at the top eigenvector of WᵀW.",
    false_variants=(
        variant("no-square-root", "‖W‖₂ = λ_max(WᵀW)", relations=("Eq(spec, lmax)",)),
        variant("frobenius", "‖W‖₂ = ‖W‖_F", relations=("Eq(spec, fro)",)),
        variant("largest-eigenvalue", "‖W‖₂ = max|λ_i(W)| for square W", relations=("Eq(spec, rho)",), on="square"),
    ),
)

# ------------------------------------------------------------------------------------------ LIP-6, LIP-7

EIGEN_AS_POSTED = Claim(
    id="lipschitz.spectral-norm-is-max-eigenvalue-as-posted",
    label="LIP-6",
    title="As posted: for square W, ‖W‖₂ is W's largest |eigenvalue| (“also called the spectral radius”)",
    statement=r"W\in\mathbb R^{n\times n}\ \Rightarrow\ \|W\|_2=\max_i|\lambda_i(W)|=\rho(W)",
    source=POST.at("谱范数 · 主特征根"),
    tags=("matrix-norm", "as-posted", "mistake"),
    assertion=MatrixRelations(relations=("Eq(spec, rho)",), on="square"),
    symbolic=f"{MATRIX}:relations_symbolic",
    numeric=f"{MATRIX}:relations_numeric",
    expected=Verdict.REFUTED,
    proof="lipschitz.md#nilpotent-counterexample",
    notes="False for non-normal W: [[0,1],[0,0]] has ‖W‖₂ = 1, ρ = 0; [[1,1],[0,1]] has ‖W‖₂ = (1+√5)/2, ρ = 1.",
)

SPECTRAL_RADIUS = Claim(
    id="lipschitz.spectral-radius-bound",
    label="LIP-6",
    title="Corrected: ρ(W) ≤ ‖W‖₂ for square W, with equality for normal W",
    statement=r"\rho(W)=\max_i|\lambda_i(W)|\le\|W\|_2,\qquad W^\top W=WW^\top\Rightarrow\rho(W)=\|W\|_2",
    source=POST.at("谱范数 · 主特征根"),
    tags=("matrix-norm", "corrected"),
    assertion=MatrixRelations(relations=("rho <= spec",), on="square", equality_on="normal"),
    symbolic=f"{MATRIX}:relations_symbolic",
    numeric=f"{MATRIX}:relations_numeric",
    proof="lipschitz.md#spectral-radius",
    false_variants=(
        variant("as-posted", "‖W‖₂ = ρ(W) for every square W (the post)", relations=("Eq(spec, rho)",),
                equality_on=None),
        variant("reversed", "ρ(W) ≥ ‖W‖₂", relations=("rho >= spec",), equality_on=None),
        variant("equality-for-triangular", "equality holds for triangular W", equality_on="triangular"),
    ),
)

POWER = PowerIteration(requires="c1 != 0", rate="(s2/s1)**2", limit="s1")
POWER_AS_POSTED = Claim(
    id="lipschitz.power-iteration-all-ones-as-posted",
    label="LIP-7",
    title="As posted: power iteration (13)–(15) from the all-ones start converges to σ_max",
    statement=r"u_0=\mathbf 1,\ v\leftarrow\frac{W^\top u}{\|W^\top u\|},\ u\leftarrow\frac{Wv}{\|Wv\|}:\ "
    r"u^\top Wv\to\|W\|_2\ \text{for every }W",
    source=POST.at("谱范数 · 幂迭代"),
    tags=("power-iteration", "as-posted", "mistake"),
    assertion=POWER.changed(requires="nothing"),
    symbolic=f"{ITER}:power_iteration_symbolic",
    numeric=f"{ITER}:power_iteration_numeric",
    expected=Verdict.REFUTED,
    proof="lipschitz.md#ones-fixed-point",
    notes="W = [[2,−1],[−1,2]]: the all-ones vector is a singular vector for σ = 1, orthogonal to u₁; the estimate "
          "stays 1.",
)

POWER_ITERATION = Claim(
    id="lipschitz.power-iteration",
    label="LIP-7",
    title="Corrected: power iteration converges to σ_max when c₁ ≠ 0, the angle shrinking by (σ₂/σ₁)² per step",
    statement=r"u_0=\sum_ic_iu_i,\ c_1\ne0:\ \ \Big|\frac{c_2}{c_1}\Big|\rho^r\le\tan\theta_r\le\tan\theta_0\,\rho^r,"
    r"\ \ \rho=\Big(\frac{\sigma_2}{\sigma_1}\Big)^2,\qquad u_r^\top Wv_r=\|Wv_r\|\to\sigma_1",
    source=POST.at("谱范数 · 幂迭代"),
    tags=("power-iteration", "corrected", "torch"),
    assertion=POWER,
    symbolic=f"{ITER}:power_iteration_symbolic",
    numeric=f"{ITER}:power_iteration_numeric",
    proof="lipschitz.md#power-rate",
    false_variants=(
        variant("rate-not-squared", "the error shrinks by σ₂/σ₁ per iteration", rate="s2/s1"),
        variant("rate-fourth-power", "the angle shrinks by (σ₂/σ₁)⁴ per iteration", rate="(s2/s1)**4"),
        variant("limit-squared", "uᵀWv → σ_max²", limit="s1**2"),
        variant("no-condition", "any start converges (the all-ones start of the post included)", requires="nothing"),
    ),
)

# ------------------------------------------------------------------------------------------ LIP-8 … LIP-12

KERAS_SN = Claim(
    id="lipschitz.keras-spectral-norm",
    label="LIP-8",
    title="The post's Keras spectral_norm (r = 5, u = ones) under-estimates σ_max of the reshaped kernel, "
          "within the power-iteration bound",
    statement=r"w\in\mathbb R^{(k_hk_wc_{in})\times c_{out}}:\ \sigma_1\cos\theta_5\le\hat\sigma\le\sigma_1(w),"
    r"\ \tan\theta_5\le(\sigma_2/\sigma_1)^{8}\tan\theta(w^\top\mathbf 1,v_1)",
    source=POST.at("谱范数 · 谱正则化"),
    tags=("power-iteration", "keras", "torch"),
    assertion=KerasSpectralNorm(r=5, target="reshaped", side="below"),
    numeric=f"{ITER}:keras_spectral_norm_numeric",
    false_variants=(
        variant("conv-operator-norm", "it approximates the conv layer's operator norm", target="conv"),
        variant("frobenius", "it approximates ‖w‖_F", target="frobenius"),
        variant("exact-after-five", "five iterations give σ_max to rounding", side="exact"),
        variant("over-estimate", "it over-estimates σ_max (a safe bound)", side="above"),
    ),
)

SPECTRAL_GRADIENT = Claim(
    id="lipschitz.spectral-norm-gradient",
    label="LIP-9",
    title="Spectral norm regularisation (16): ∂‖W‖₂²/∂W = 2σ₁u₁v₁ᵀ (σ₁ simple)",
    statement=r"\frac{\partial\sigma_1}{\partial W}=u_1v_1^\top,\qquad"
    r"\frac{\partial\,\lambda\|W\|_2^2}{\partial W}=2\lambda\sigma_1u_1v_1^\top",
    source=POST.at("谱范数 · 谱正则化"),
    tags=("spectral-norm", "gradient", "torch"),
    assertion=SpectralGradient(coefficient="2*s1", outer="u1 v1^T", penalty="s1**2"),
    symbolic=f"{ITER}:spectral_gradient_symbolic",
    numeric=f"{ITER}:spectral_gradient_numeric",
    notes="Yoshida & Miyato (2017) write the penalty as (λ/2) Σ_ℓ σ(W^ℓ)².",
    false_variants=(
        variant("missing-two", "∂σ₁²/∂W = σ₁u₁v₁ᵀ", coefficient="s1"),
        variant("transposed", "∂σ₁²/∂W = 2σ₁v₁u₁ᵀ", outer="v1 u1^T"),
        variant("frobenius-penalty", "the spectral penalty equals the Frobenius penalty ‖W‖_F²", penalty="fro**2"),
    ),
)

WGAN_DUAL = Claim(
    id="lipschitz.wgan-dual",
    label="LIP-10",
    title="The WGAN dual (17)–(18): sup over 1-Lipschitz critics is W₁; W₁(N(0,1), N(2,1)) = 2",
    statement=r"W(P_r,P_g)=\sup_{|f|_L\le1}\mathbb E_{P_r}f-\mathbb E_{P_g}f,\qquad W_1(\mathcal N(2,1),"
    r"\mathcal N(0,1))=\int|F_r-F_g|=2",
    source=POST.at("生成模型 · WGAN"),
    tags=("wgan", "duality", "torch"),
    assertion=WassersteinDual(critic_lipschitz="1", value="2"),
    symbolic=f"{TRAIN}:wgan_dual_symbolic",
    numeric=f"{TRAIN}:wgan_dual_numeric",
    notes="The post writes |f|_L = 1; harmless: for P_r ≠ P_g the supremum is attained on the boundary.",
    false_variants=(
        variant("lipschitz-two", "replacing ≤ 1 by ≤ 2 gives the same value", critic_lipschitz="2"),
        variant("unconstrained", "the supremum over all critics is finite (= W₁)", critic_lipschitz="oo"),
        variant("value-four", "W₁(N(0,1), N(2,1)) = 4", value="4"),
    ),
)

GRADIENT_PENALTY = Claim(
    id="lipschitz.gradient-penalty",
    label="LIP-11",
    title="The gradient penalty (19)–(21): λ(‖∇f(x̂)‖ − 1)², x̂ = εx_r + (1 − ε)x_f, ε ~ U[0, 1]; one-sided max(·, 0)²",
    statement=r"\lambda\,\mathbb E\big(\|\nabla_x f(\hat x)\|-1\big)^2,\ \ \hat x=\varepsilon x_r+(1-\varepsilon)x_f,"
    r"\ \varepsilon\sim U[0,1];\qquad f=a^\top x:\ (\|a\|-1)^2,\ \max(\|a\|-1,0)^2",
    source=POST.at("生成模型 · 梯度惩罚"),
    tags=("wgan", "gradient-penalty", "torch"),
    assertion=GradientPenalty(penalty="(g - 1)**2", one_sided="Max(g - 1, 0)**2", interpolation="uniform"),
    symbolic=f"{TRAIN}:gradient_penalty_symbolic",
    numeric=f"{TRAIN}:gradient_penalty_numeric",
    notes="WGAN-GP (Gulrajani et al. 2017) uses λ = 10 and the two-sided form; Petzka et al. (2018) the one-sided.",
    false_variants=(
        variant("squared-norm", "the penalty is (‖∇f‖² − 1)²", penalty="(g**2 - 1)**2"),
        variant("midpoint", "x̂ = (x_r + x_f)/2", interpolation="midpoint"),
        variant("one-sided-penalises-below", "the one-sided penalty also penalises ‖∇f‖ < 1", one_sided="(g - 1)**2"),
    ),
)

CLIPPING = Claim(
    id="lipschitz.weight-clipping",
    label="LIP-12",
    title="Weight clipping |w_ij| ≤ c gives ‖W‖₂ ≤ ‖W‖_F ≤ c√(mn); scaling the weights only rescales the loss",
    statement=r"|w_{ij}|\le c\ \Rightarrow\ \|W\|_2\le\|W\|_F\le c\sqrt{mn};\qquad f_{k\theta}=k^Lf_\theta"
    r"\text{ (bias-free ReLU, }L\text{ layers)}",
    source=POST.at("生成模型 · WGAN"),
    tags=("wgan", "clipping", "torch"),
    assertion=WeightClipping(relations=("spec <= fro", "fro <= c*sqrt(m*n)"), c="1/100", rescale="k**L"),
    symbolic=f"{MATRIX}:relations_symbolic",
    numeric=f"{MATRIX}:clipping_scale_numeric",
    false_variants=(
        variant("sqrt-m-plus-n", "‖W‖_F ≤ c√(m + n)", relations=("spec <= fro", "fro <= c*sqrt(m+n)")),
        variant("spectral-at-most-c", "‖W‖₂ ≤ c", relations=("spec <= c",)),
        variant("rescale-linear", "scaling the weights by k scales the loss by k", rescale="k"),
    ),
)

# ------------------------------------------------------------------------------------------ LIP-13 … LIP-16

SN_AS_POSTED = Claim(
    id="lipschitz.spectral-normalization-as-posted",
    label="LIP-13",
    title="As posted: W → W/‖W‖₂ of the reshaped kernel makes dense, conv and BatchNorm layers 1-Lipschitz",
    statement=r"\bar W=W/\sigma\big(\mathrm{reshape}(W)\big)\ \Rightarrow\ |f|_L\le\prod_\ell\|\bar W_\ell\|=1"
    r"\ \text{for dense, conv (“special fully-connected layers”) and BN }\gamma",
    source=POST.at("生成模型 · 谱归一化 / Keras实现"),
    tags=("spectral-normalisation", "convolution", "batchnorm", "as-posted", "mistake", "torch"),
    assertion=SpectralNormalization(layers=("dense", "conv2d", "batchnorm")),
    symbolic=f"{CHECKS}:normalization_symbolic",
    numeric=f"{CHECKS}:normalization_numeric",
    expected=Verdict.REFUTED,
    proof="lipschitz.md#conv-kernel-of-thirds",
    notes="A 3×3 kernel of 1/3's has reshaped norm 1 and circular operator norm 3; γ = (0.5, 2, −1) has ‖γ‖₂ ≈ 2.29 "
          "but max|γ| = 2, and BN's division by the running std is not accounted for.",
)

SN_DENSE = Claim(
    id="lipschitz.spectral-normalization-dense",
    label="LIP-13",
    title="Corrected: spectral normalisation makes dense layers 1-Lipschitz (after its power iteration converges)",
    statement=r"\Big\|\frac{W}{\|W\|_2}\Big\|_2=1\ \Rightarrow\ |f|_L\le\prod_\ell L_{\sigma_\ell}\le1"
    r"\ \text{for dense layers and 1-Lipschitz activations}",
    source=POST.at("生成模型 · 谱归一化"),
    tags=("spectral-normalisation", "corrected", "torch"),
    assertion=SpectralNormalization(layers=("dense",)),
    symbolic=f"{CHECKS}:normalization_symbolic",
    numeric=f"{CHECKS}:normalization_numeric",
    false_variants=(
        variant("conv2d", "an SN-normalised conv layer is 1-Lipschitz (reshaped kernel, or torch's spectral_norm on "
                "Conv2d)", layers=("conv2d",)),
        variant("batchnorm", "normalising γ by ‖γ‖₂ makes the BN layer 1-Lipschitz", layers=("batchnorm",)),
    ),
)

CONV_NORM = Claim(
    id="lipschitz.conv-operator-norm",
    label="LIP-13",
    title="Corrected: a conv layer's norm is max over frequencies of σ_max(K̂(ω)), between ‖R‖₂ and √(k_h k_w)‖R‖₂",
    statement=r"\|T_K\|_2=\max_{\omega}\sigma_{\max}\big(\hat K(\omega)\big)\ \text{(circular, }n\times n),\qquad"
    r"\|R\|_2\le\|T_K\|_2\le\sqrt{k_hk_w}\,\|R\|_2",
    source=Source(title="The Singular Values of Convolutional Layers", author="Sedghi, Hanie and Gupta, Vineet "
                  "and Long, Philip M.", date="2019", url="https://openreview.net/forum?id=rJevYoA9Fm",
                  section="Theorem 6"),
    tags=("convolution", "fft", "corrected", "torch"),
    assertion=ConvOperatorNorm(fft_grid="input", lower="reshaped", upper="sqrt(kh*kw)*reshaped"),
    symbolic=f"{CHECKS}:conv_norm_symbolic",
    numeric=f"{CHECKS}:conv_norm_numeric",
    proof="lipschitz.md#conv-upper-bound",
    false_variants=(
        variant("reshaped-equals-operator", "the reshaped-kernel norm is the conv operator norm", upper="reshaped"),
        variant("sqrt-kh", "‖T‖₂ ≤ √k_h ‖R‖₂", upper="sqrt(kh)*reshaped"),
        variant("fft-on-kernel-grid", "the DFT of the unpadded k×k kernel gives the norm", fft_grid="kernel"),
    ),
)

RESIDUAL = Claim(
    id="lipschitz.residual-block",
    label="LIP-14",
    title="A residual block x + relu(Wx + b) is (1 + ‖W‖₂)-Lipschitz, not 1-Lipschitz, even with SN",
    statement=r"|x\mapsto x+\mathrm{relu}(Wx+b)|_L\le1+\|W\|_2\le2\ \text{(SN)},\ \text{attained at }W=sI",
    source=POST.at("生成模型 · 谱归一化"),
    tags=("residual", "torch"),
    assertion=ResidualBound(bound="1 + spec"),
    symbolic=f"{CHECKS}:residual_symbolic",
    numeric=f"{CHECKS}:residual_numeric",
    proof="lipschitz.md#residual-bound",
    false_variants=(
        variant("at-most-one", "the block is 1-Lipschitz", bound="1"),
        variant("at-most-norm", "the block is ‖W‖₂-Lipschitz", bound="spec"),
    ),
)

DOUBLE_BACKPROP = Claim(
    id="lipschitz.gradient-penalty-double-backprop",
    label="LIP-15",
    title="The gradient penalty needs double backprop (create_graph), hence a larger backward graph per step",
    statement=r"\frac{\partial}{\partial\theta}\big(\|\nabla_xf_\theta(\hat x)\|-1\big)^2\ \text{needs the graph of }"
    r"\nabla_xf_\theta",
    source=POST.at("生成模型 · 梯度惩罚"),
    tags=("wgan", "gradient-penalty", "cost", "torch"),
    assertion=DoubleBackprop(needs_create_graph=True),
    numeric=f"{TRAIN}:double_backprop_numeric",
    notes="The time per step is reported, not judged (EMPIRICAL in the catalogue).",
    false_variants=(
        variant("single-backward", "one backward pass without create_graph trains the penalty",
                needs_create_graph=False),
    ),
)

REPARAMETRISATION = Claim(
    id="lipschitz.constraint-vs-reparametrisation",
    label="LIP-16",
    title="Keras kernel_constraint projects after the step; it differs from GD on L(W/σ(W)), whose gradient is "
          "(G − ⟨G, W̄⟩u₁v₁ᵀ)/σ",
    statement=r"\nabla_WL\Big(\frac{W}{\sigma(W)}\Big)=\frac1\sigma\big(G-\langle G,\bar W\rangle u_1v_1^\top\big),"
    r"\qquad \Pi(\bar W-\eta G)\ne\frac{W-\eta\nabla_W}{\sigma(W-\eta\nabla_W)}",
    source=POST.at("生成模型 · Keras实现"),
    tags=("spectral-normalisation", "keras", "torch"),
    assertion=Reparametrisation(formula="miyato", projection_equal=False),
    numeric=f"{ITER}:reparametrisation_numeric",
    notes="The gradient is that of Miyato et al. (2018), eq. (12).",
    false_variants=(
        variant("plain-gradient", "the gradient is G/σ (σ treated as a constant)", formula="plain"),
        variant("projection-same", "applying the constraint after the step equals the reparametrisation",
                projection_equal=True),
    ),
)

# ------------------------------------------------------------------------------------------ model kind

DECLARED_BOUND = Claim(
    id="lipschitz.declared-bound",
    title="A network's declared Lipschitz bound: certified from above, or refuted by an input pair",
    statement=r"\max_{\text{found}}\frac{\|f(x_1)-f(x_2)\|}{\|x_1-x_2\|}\ \le\ |f|_L\ \le\ \prod_\ell|f_\ell|_L"
    r"\quad\text{vs the declared }L",
    source=POST.at("生成模型 · 谱归一化"),
    tags=("lipschitz", "model", "sandwich", "torch"),
    assertion=DeclaredBound(declared="lipschitz_bound"),
    numeric=f"{PKG}.checks.declared:declared_bound_numeric",
    model_kind=KIND,
    false_variants=(
        FalseVariant(name="reshaped-kernel-sn-convnet", description="the post's recipe on a conv net, declared 1",
                     model=f"{MODELS}:make_reshaped_sn_convnet"),
        variant("torch-sn-conv2d", "torch's spectral_norm on a Conv2d, declared 1",
                model=f"{MODELS}:make_torch_sn_conv"),
        variant("bn-gamma-normalized", "BatchNorm with γ/‖γ‖₂, declared 1", model=f"{MODELS}:make_bn_gamma_normalized"),
        FalseVariant(name="residual-declared-one", description="an SN residual block declared 1-Lipschitz",
                     model=f"{MODELS}:make_residual_declared_one"),
    ),
)

CLAIMS: tuple[Claim, ...] = (
    LAYER_BOUND, SMALLEST_CONSTANT, FROBENIUS, L2_DECAY, LARGEST_SV, EIGEN_AS_POSTED, SPECTRAL_RADIUS,
    POWER_AS_POSTED, POWER_ITERATION, KERAS_SN, SPECTRAL_GRADIENT, WGAN_DUAL, GRADIENT_PENALTY, CLIPPING,
    SN_AS_POSTED, SN_DENSE, CONV_NORM, RESIDUAL, DOUBLE_BACKPROP, REPARAMETRISATION, DECLARED_BOUND,
)
