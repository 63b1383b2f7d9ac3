"""The claims of “SVD分解(一)：自编码器与人工智能” (Su Jianlin, 2017; kexue.fm/archives/4208), catalogue SVD-1 … SVD-9.

Declarations only — typed assertions (:mod:`.assertions`), no torch or SymPy — so that listing claims stays fast: the
claims, and the models of kind ``linear-autoencoder`` the model claim runs on.  Each claim names its checks as
``"kexue_verify_plugins.svd.checks.<module>:<function>"`` (imported when it runs); each false variant
names the assertion fields it changes, or the model it swaps in.  The factories are in :mod:`.models`.
"""

from __future__ import annotations

from kexue_verify import Claim, ModelSpec, Source, variant

from .assertions import (
    AutoencoderMap,
    ClippingError,
    EckartYoung,
    FirstNegativeRank,
    LossBeatsSvd,
    MinibatchSubspace,
    Nonuniqueness,
    ShenMoExample,
    StorageThreshold,
    ThreeFactorRank,
)

__all__ = ["CLAIMS", "DEFAULT_SHAPE", "MODELS", "POST"]

POST = Source(
    title="SVD分解(一)：自编码器与人工智能 (SVD, part 1: autoencoders and artificial intelligence)",
    author="Su, Jianlin",
    date="2017-01-15",
    url="https://kexue.fm/archives/4208",
    language="chinese",
)
PKG = "kexue_verify_plugins.svd"
CHECKS = f"{PKG}.checks"

#: The problem size of the ``linear-autoencoder`` claims when a model declares none (false variants).
DEFAULT_SHAPE: dict[str, int] = {"n": 8, "k": 2}


STORAGE = Claim(
    id="svd.storage-saving",
    label="SVD-1",
    title="Storing the factors A and B saves space exactly when k < mn/(m+n)",
    statement=r"(m+n)k < mn \iff k < \frac{mn}{m+n}",
    source=POST.at("等价性"),
    tags=("svd", "storage"),
    assertion=StorageThreshold(threshold="m*n/(m + n)"),
    symbolic=f"{CHECKS}.storage:storage_symbolic",
    numeric=f"{CHECKS}.storage:storage_numeric",
    proof="svd.md#storage-threshold",
    false_variants=(
        variant("half-the-smaller-side", r"saving iff k < \min(m, n)/2", threshold="Min(m, n)/2"),
        variant("half-the-sum", r"saving iff k < (m + n)/2", threshold="(m + n)/2"),
    ),
)

ECKART_YOUNG = Claim(
    id="svd.eckart-young",
    label="SVD-2",
    title="The best rank-k factorisation M ≈ AB has squared error Σ_{i>k} σ_i², attained by the truncated SVD",
    statement=r"\min_{A\in\mathbb{R}^{m\times k},\,B\in\mathbb{R}^{k\times n}}\|M-AB\|_F^2"
    r"=\sum_{i>k}\sigma_i^2,\ \text{attained at } M_k=U_k\Sigma_kV_k^\top",
    source=POST.at("等价性"),
    tags=("svd", "eckart-young"),
    assertion=EckartYoung(optimum="Sum(sigma(i)**2, (i, k + 1, r))", unique_factors=False),
    symbolic=f"{CHECKS}.eckart_young:eckart_young_symbolic",
    numeric=f"{CHECKS}.eckart_young:eckart_young_numeric",
    proof="svd.md#eckart-young-rank-one",
    false_variants=(
        variant("spectral-norm-optimum",
                r"the minimal squared Frobenius error is \sigma_{k+1}^2 (the spectral-norm answer)",
                optimum="sigma(k + 1)**2"),
        variant("kept-energy", r"the optimum is \sum_{i\le k}\sigma_i^2", optimum="Sum(sigma(i)**2, (i, 1, k))"),
        variant("unique-factors", "the optimal A and B are unique", unique_factors=True),
    ),
)

AE_EQUALS_SVD = Claim(
    id="svd.autoencoder-equals-svd",
    label="SVD-3",
    title="A bias-free linear autoencoder trained with the squared loss is the truncated SVD",
    statement=r"\min_{C,D}\|M - MCD\|_F^2 = \sum_{i>k}\sigma_i^2,\quad MCD = M_k,\quad CD = V_kV_k^\top"
    r"\quad(\text{squared loss, no biases, }\sigma_k>\sigma_{k+1})",
    source=POST.at("等价性"),
    tags=("svd", "autoencoder", "model"),
    assertion=AutoencoderMap(loss="squared", target="truncated-svd"),
    numeric=f"{CHECKS}.equivalence:autoencoder_is_svd",
    model_kind="linear-autoencoder",
    false_variants=(
        variant("biased-autoencoder", "an autoencoder with biases, trained on uncentred M, is the SVD of M",
                model=f"{PKG}.models:biased"),
        variant("relu-bottleneck", "a ReLU on the bottleneck leaves the optimum unchanged",
                model=f"{PKG}.models:relu_bottleneck"),
        variant("bottleneck-too-narrow", "a bottleneck of width k − 1 still reaches the rank-k optimum",
                model=f"{PKG}.models:too_narrow"),
        variant("cd-is-identity", "the trained autoencoder is the identity, CD = I", target="identity"),
        variant("any-loss-l1", "the equivalence holds for any loss, e.g. L1: the L1-trained autoencoder is M_k",
                loss="l1"),
    ),
)

AE_WITH_BIAS_IS_PCA = Claim(
    id="svd.autoencoder-with-bias-is-pca",
    label="SVD-3",
    title="With biases, the linear autoencoder is PCA of the centred data, not the SVD of M",
    statement=r"\min_{C,D,b_1,b_2}\|M - ((MC + 1b_1^\top)D + 1b_2^\top)\|_F^2 = \sum_{i>k}\sigma_i(M - 1\mu^\top)^2,"
    r"\quad f(x) = \mu + (x-\mu)P_c",
    source=POST.at("等价性"),
    tags=("svd", "autoencoder", "pca"),
    assertion=AutoencoderMap(loss="squared", target="pca-of-centred"),
    numeric=f"{CHECKS}.equivalence:autoencoder_is_pca",
    false_variants=(
        variant("bias-is-svd-of-m", "with biases the autoencoder is still the truncated SVD of the uncentred M",
                target="truncated-svd"),
    ),
)

L1_BREAKS_EQUIVALENCE = Claim(
    id="svd.l1-loss-breaks-equivalence",
    label="SVD-3",
    title="Under the L1 loss a linear autoencoder beats the truncated SVD: the equivalence needs the squared loss",
    statement=r"\exists M, k:\ \min_{C,D}\|M - MCD\|_1 < \|M - M_k\|_1",
    source=POST.at("等价性"),
    tags=("svd", "autoencoder", "loss"),
    assertion=LossBeatsSvd(loss="l1"),
    symbolic=f"{CHECKS}.l1:l1_symbolic",
    numeric=f"{CHECKS}.l1:l1_numeric",
    false_variants=(
        variant("squared-loss-too", "some C, D also beat the truncated SVD under the squared loss", loss="squared"),
    ),
)

NONUNIQUE = Claim(
    id="svd.autoencoder-nonunique",
    label="SVD-4",
    title="Different seeds give different C but the same projector CD = V_k V_kᵀ",
    statement=r"(CG)(G^{-1}D) = CD\ \forall G\in GL(k);\quad CD = V_kV_k^\top\text{ at the optimum, } C\ne V_kS",
    source=POST.at("等价性"),
    tags=("svd", "autoencoder"),
    assertion=Nonuniqueness(same_projector=True, c_equals_vk_up_to_sign=False),
    symbolic=f"{CHECKS}.nonunique:nonunique_symbolic",
    numeric=f"{CHECKS}.nonunique:nonunique_numeric",
    proof="svd.md#gauge-invariance",
    false_variants=(
        variant("c-is-vk-up-to-sign", "the learned C equals V_k up to the signs of its columns",
                c_equals_vk_up_to_sign=True),
        variant("seeds-learn-different-subspaces", "different seeds converge to different subspaces",
                same_projector=False),
    ),
)

MINIBATCH = Claim(
    id="svd.autoencoder-minibatch",
    label="SVD-5",
    title="Mini-batch training of the autoencoder converges to the top-k right singular subspace",
    statement=r"\text{mini-batch SGD (batch 32)}:\ \max_i\theta_i\big(\operatorname{row}(CD), V_k\big) \le 10^{-3}",
    source=POST.at("等价性"),
    tags=("svd", "autoencoder", "sgd", "empirical"),
    assertion=MinibatchSubspace(subspace="svd-of-m", max_angle=1e-3),
    numeric=f"{CHECKS}.minibatch:minibatch_numeric",
    false_variants=(
        variant("pca-subspace", "mini-batch training converges to the PCA subspace of the centred data instead",
                subspace="pca-of-centred"),
        variant("one-batch-subspace", "mini-batch training converges to the subspace of a single mini-batch",
                subspace="svd-of-first-batch"),
    ),
)

THREE_FACTOR = Claim(
    id="svd.three-factor",
    label="SVD-6",
    title="The three-factor form M = A P Q has rank at most min(k, l): a two-factor model of inner dimension min(k, l)",
    statement=r"\operatorname{rank}(A_{m\times k}P_{k\times l}Q_{l\times n}) \le \min(k,l),\ \text{attained}",
    source=POST.at("压缩与智能"),
    tags=("svd", "factorisation"),
    assertion=ThreeFactorRank(max_rank="Min(k, l)"),
    symbolic=f"{CHECKS}.three_factor:three_factor_symbolic",
    numeric=f"{CHECKS}.three_factor:three_factor_numeric",
    false_variants=(
        variant("rank-k-plus-l", "rank ≤ k + l, and attained", max_rank="k + l"),
        variant("as-rich-as-max", "as expressive as two factors of inner dimension max(k, l)", max_rank="Max(k, l)"),
    ),
)


TOY = Claim(
    id="svd.shen-mo-example",
    label="SVD-7",
    title="神/魔 toy example: the rank-1 reconstruction puts 4√65/65 on the unseen word 神术",
    statement=r"M=\begin{pmatrix}1&1&1&1&0\\1&1&1&1&1\end{pmatrix},\ \sigma=\sqrt{(9\pm\sqrt{65})/2},\ "
    r"(M_1)_{神,术}=\tfrac{4\sqrt{65}}{65},\ \|M-M_1\|_F^2=\tfrac{9-\sqrt{65}}{2}",
    source=POST.at("衍生新词"),
    tags=("svd", "example"),
    assertion=ShenMoExample(singular_values=("sqrt((9 + sqrt(65))/2)", "sqrt((9 - sqrt(65))/2)"), rank=1,
                            entry="4*sqrt(65)/65", shen="1/2 + 7*sqrt(65)/130", mo="1/2 + 9*sqrt(65)/130",
                            mo_shu="1/2 + sqrt(65)/130", squared_error="(9 - sqrt(65))/2"),
    symbolic=f"{CHECKS}.toy:toy_symbolic",
    numeric=f"{CHECKS}.toy:toy_numeric",
    proof="svd.md#shen-shu-entry",
    false_variants=(
        variant("entry-zero", "the rank-1 reconstruction gives 0 for 神术", entry="0"),
        variant("entry-one", "the rank-1 reconstruction gives 1 for 神术", entry="1"),
        variant("rank-two-new-word", "the rank-2 reconstruction also creates the new word 神术",
                rank=2, shen="1", mo="1", mo_shu="1", squared_error="0"),
    ),
)

CLIPPING = Claim(
    id="svd.relu-clipping",
    label="SVD-9",
    title="Clipping the negative entries of a truncated SVD of nonnegative data never increases the error",
    statement=r"M\ge 0:\ \|M-\max(M_k,0)\|_F\le\|M-M_k\|_F,\ \text{since } |\max(a,0)-m|\le|a-m|\ (m\ge0)",
    source=POST.at("激活函数"),
    tags=("svd", "relu"),
    assertion=ClippingError(clipping="never-increases", data="nonnegative", clipped_rank_at_most_k=False),
    symbolic=f"{CHECKS}.clipping:clipping_symbolic",
    numeric=f"{CHECKS}.clipping:clipping_numeric",
    proof="svd.md#clipping-negative-case",
    false_variants=(
        variant("clipping-can-hurt", "clipping can increase the Frobenius error", clipping="can-increase"),
        variant("any-sign-data", "clipping never hurts, whatever the sign of the data", data="real"),
        variant("clipped-is-nmf", "the clipped matrix is the best nonnegative rank-k approximation (that is NMF)",
                clipped_rank_at_most_k=True),
    ),
)

NEGATIVES = Claim(
    id="svd.relu-negatives-need-rank-two",
    label="SVD-9",
    title="Negative reconstructed frequencies need k ≥ 2: the rank-1 SVD of a nonnegative matrix is nonnegative",
    statement=r"M\ge0\Rightarrow M_1\ge0\ \text{(Perron–Frobenius)};\ M_2\not\ge0\text{ for some }M\ge0",
    source=POST.at("激活函数"),
    tags=("svd", "relu", "perron-frobenius"),
    assertion=FirstNegativeRank(smallest_rank_with_negatives=2),
    symbolic=f"{CHECKS}.clipping:negatives_symbolic",
    numeric=f"{CHECKS}.clipping:negatives_numeric",
    proof="svd.md#negative-at-rank-two",
    false_variants=(
        variant("rank-one-can-be-negative", "the rank-1 SVD of a nonnegative matrix can have negative entries",
                smallest_rank_with_negatives=1),
    ),
)

CLAIMS: tuple[Claim, ...] = (STORAGE, ECKART_YOUNG, AE_EQUALS_SVD, AE_WITH_BIAS_IS_PCA, L1_BREAKS_EQUIVALENCE,
                             NONUNIQUE, MINIBATCH, THREE_FACTOR, TOY, CLIPPING, NEGATIVES)

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(name="linear-ae", kind="linear-autoencoder", factory=f"{PKG}.models:linear",
              description="nn.Sequential(Linear(n, k, bias=False), Linear(k, n, bias=False)), the post's autoencoder",
              declared={**DEFAULT_SHAPE, "bias": False}),
    ModelSpec(name="linear-ae-tied", kind="linear-autoencoder", factory=f"{PKG}.models:tied",
              description="tied weights, x ↦ x C Cᵀ", declared={**DEFAULT_SHAPE, "bias": False}),
)

