"""The claims of “三味Capsule：矩阵Capsule与EM路由” (Su Jianlin, 2018; kexue.fm/archives/5155), catalogue
CAP-1 … CAP-14, with the generic claims of the ``em-routing`` model kind (declared in :mod:`.generic_claims`).

Declarations only — typed assertions (:mod:`.assertions`), no torch or SymPy — so that listing claims stays fast.
Each false variant names the assertion fields it changes and runs through the claim's own checks.  The post's two
mistakes are claims “as printed” that expect ``refuted`` (CAP-5, CAP-10), each next to its corrected claim; the
K-means typo of CAP-6 likewise.
"""
from __future__ import annotations

from kexue_verify import Claim, Source, Status, Verdict, variant

from .assertions import (
    ActivationFamily,
    ClusterRecovery,
    CostFormula,
    EMUpdates,
    EntropyClosedForm,
    EntropyEstimate,
    GaussianNormaliser,
    KMeansLimit,
    KroneckerMap,
    MisprintImpact,
    Routing1,
    Routing4,
    Votes,
)
from .generic_claims import GENERIC, PAPER

__all__ = ["CLAIMS", "GENERIC", "PAPER", "POST"]

POST = Source(
    title="三味Capsule：矩阵Capsule与EM路由 (Three flavours of capsules: matrix capsules and EM routing)",
    author="Su, Jianlin",
    date="2018-03-02",
    url="https://kexue.fm/archives/5155",
    language="chinese",
)
PKG = "kexue_verify_plugins.capsules"


def _ref(module: str, function: str) -> str:
    return f"{PKG}.checks.{module}:{function}"


# --- CAP-1, CAP-13: matrix capsules ----------------------------------------------------------------------

KRON = Claim(
    id="capsules.matrix-capsule-parameters",
    label="CAP-1",
    title="A 4×4 → 4×4 map P ↦ PW has 16 parameters: it is a 16×16 map of Kronecker form Wᵀ ⊗ I",
    statement=r"\mathrm{vec}(PW) = (W^\top\otimes I_4)\,\mathrm{vec}(P),\quad 16\text{ parameters, not }256",
    source=POST.at("一波疑问"),
    tags=("capsules", "kronecker"),
    status=Status.EXACT,
    assertion=KroneckerMap(operator="kron(W.T, I)", parameters=16, span=16),
    numeric=_ref("capsule", "kronecker_numeric"),
    proof="capsules.md#kronecker-vec",
    false_variants=(
        variant("general-16x16", "the matrix capsule is a general 16×16 map (256 parameters)", parameters=256,
                span=256),
        variant("i-kron-w", r"\mathrm{vec}(PW) = (I\otimes W)\mathrm{vec}(P)", operator="kron(I, W)"),
        variant("thirty-two-parameters", "the map needs 32 parameters", parameters=32),
    ),
)

VOTES = Claim(
    id="capsules.votes",
    label="CAP-13",
    title="Votes V_ij = P_i W_ij with a separate 4×4 W_ij for each pair (i, j), then EM routing",
    statement=r"V_{ij} = P_iW_{ij},\quad W_{ij}\in\mathbb R^{4\times4}\ \text{for each}\ (i,j)",
    source=POST.at("权重矩阵"),
    tags=("capsules", "votes"),
    status=Status.EXACT,
    assertion=Votes(votes="P W", weights="per-pair"),
    numeric=_ref("capsule", "votes_numeric"),
    notes="The paper writes V_ij = M_i W_ij, M_i the pose of child i: the same thing.",
    false_variants=(
        variant("w-times-p", "V_ij = W_ij P_i (the product in the other order)", votes="W P"),
        variant("shared-over-children", "one W_j per parent, shared by all children", weights="shared-over-children"),
    ),
)

# --- CAP-2 … CAP-7: the GMM background -------------------------------------------------------------------------------

GAUSSIAN = Claim(
    id="capsules.gaussian-density",
    label="CAP-2",
    title="The Gaussian density N(x; μ, Σ) = exp(−½(x−μ)ᵀΣ⁻¹(x−μ)) / ((2π)^{d/2}|Σ|^{1/2}) integrates to 1",
    statement=r"\int_{\mathbb R^d}\frac{1}{(2\pi)^{d/2}|\Sigma|^{1/2}}e^{-\frac12(x-\mu)^\top\Sigma^{-1}(x-\mu)}dx=1",
    source=POST.at("GMM模型简介"),
    tags=("gmm", "gaussian"),
    status=Status.EXACT,
    assertion=GaussianNormaliser(covariance="full", two_pi_power=(0.5, 0.0)),
    symbolic=_ref("density", "density_symbolic"),
    numeric=_ref("density", "density_numeric"),
    proof="capsules.md#gaussian-normaliser",
    false_variants=(
        variant("two-pi-to-the-d", r"normaliser (2\pi)^{d}|\Sigma|^{1/2}", two_pi_power=(1.0, 0.0)),
    ),
)

EM_FULL = Claim(
    id="capsules.em-full-covariance",
    label="CAP-3",
    title="EM algorithm 1 (moment/Bayes derivation): the log-likelihood never decreases and the fixed point is "
          "stationary",
    statement=r"\mu_j=\frac{\sum_ip(j|x_i)x_i}{n\pi_j},\ \Sigma_j=\frac{\sum_ip(j|x_i)(x_i-\mu_j)(x_i-\mu_j)^\top}"
              r"{n\pi_j},\ \pi_j=\frac1n\sum_ip(j|x_i)",
    source=POST.at("求解"),
    tags=("gmm", "em"),
    status=Status.EXACT,
    assertion=EMUpdates(covariance="full", sigma_divisor="n_pi", pi="posterior", mu_divisor="n_pi"),
    numeric=_ref("gmm", "em_numeric"),
    proof="capsules.md#population-identity",
    false_variants=(
        variant("sigma-over-n-pi-minus-1", r"\Sigma_j divided by n\pi_j - 1", sigma_divisor="n_pi_minus_1"),
        variant("pi-from-likelihoods", r"\pi_j=\frac1n\sum_ip(x_i|j)", pi="likelihood"),
        variant("mu-without-pi", r"\mu_j=\frac1n\sum_ip(j|x_i)x_i (no 1/\pi_j)", mu_divisor="n"),
    ),
)

EM_DIAGONAL = Claim(
    id="capsules.em-diagonal-covariance",
    label="CAP-4",
    title="EM algorithm 2 (diagonal covariance, elementwise variances): monotone and stationary",
    statement=r"(\sigma_j^l)^2=\frac{\sum_ip(j|x_i)(x_i^l-\mu_j^l)^2}{n\pi_j}",
    source=POST.at("约简"),
    tags=("gmm", "em"),
    status=Status.EXACT,
    assertion=EMUpdates(covariance="diagonal", sigma_divisor="n_pi", pi="posterior", mu_divisor="n_pi"),
    numeric=_ref("gmm", "em_numeric"),
    proof="capsules.md#single-gaussian-variance",
    false_variants=(
        variant("sigma-over-n-pi-minus-1", r"\sigma_j^2 divided by n\pi_j - 1", sigma_divisor="n_pi_minus_1"),
        variant("mu-without-pi", r"\mu_j=\frac1n\sum_ip(j|x_i)x_i", mu_divisor="n"),
    ),
)

SHARED_AS_PRINTED = Claim(
    id="capsules.shared-sigma-density-as-printed",
    label="CAP-5",
    title="As printed, eq. (11): the shared-σ density with normaliser √(2π)σ^d integrates to 1",
    statement=r"\int_{\mathbb R^d}\frac{1}{\sqrt{2\pi}\sigma^d}e^{-\frac{\|x-\mu\|^2}{2\sigma^2}}dx = 1",
    source=POST.at("更简单些"),
    tags=("gmm", "gaussian", "mistake"),
    status=Status.MISTAKE,
    expected=Verdict.REFUTED,
    assertion=GaussianNormaliser(covariance="shared", two_pi_power=(0.0, 0.5)),
    symbolic=_ref("density", "density_symbolic"),
    numeric=_ref("density", "density_numeric"),
    proof="capsules.md#printed-normaliser",
    notes="The printed density integrates to (2π)^{(d−1)/2}; the normaliser is (2π)^{d/2}σ^d. Minor: the constant "
          "is the same for every component, so the responsibilities do not change "
          "(capsules.shared-sigma-responsibilities).",
    false_variants=(
        variant("two-pi-to-the-d", r"normaliser (2\pi)^{d}\sigma^d, another wrong constant", two_pi_power=(1.0, 0.0)),
    ),
)

SHARED = Claim(
    id="capsules.shared-sigma-density",
    label="CAP-5",
    title="Corrected eq. (11): the shared-σ density's normaliser is (2π)^{d/2}σ^d",
    statement=r"\int_{\mathbb R^d}\frac{1}{(2\pi)^{d/2}\sigma^d}e^{-\frac{\|x-\mu\|^2}{2\sigma^2}}dx = 1",
    source=POST.at("更简单些"),
    tags=("gmm", "gaussian"),
    status=Status.EXACT,
    assertion=GaussianNormaliser(covariance="shared", two_pi_power=(0.5, 0.0)),
    symbolic=_ref("density", "density_symbolic"),
    numeric=_ref("density", "density_numeric"),
    proof="capsules.md#shared-sigma-normaliser",
    false_variants=(
        variant("as-printed", r"normaliser \sqrt{2\pi}\sigma^d (eq. 11 as printed)", two_pi_power=(0.0, 0.5)),
        variant("two-pi-to-the-d", r"normaliser (2\pi)^{d}\sigma^d", two_pi_power=(1.0, 0.0)),
    ),
)

SHARED_HARMLESS = Claim(
    id="capsules.shared-sigma-responsibilities",
    label="CAP-5",
    title="The misprinted normaliser is harmless for the responsibilities (the constant cancels), not for the "
          "likelihood",
    statement=r"p(j|x)\ \text{is the same with}\ \sqrt{2\pi}\sigma^d\ \text{and}\ (2\pi)^{d/2}\sigma^d",
    source=POST.at("更简单些"),
    tags=("gmm", "gaussian"),
    status=Status.EXACT,
    assertion=MisprintImpact(quantity="responsibilities"),
    numeric=_ref("density", "misprint_impact_numeric"),
    false_variants=(
        variant("log-likelihood-too", "the misprint leaves the log-likelihood unchanged as well",
                quantity="log-likelihood"),
    ),
)

KMEANS = Claim(
    id="capsules.kmeans-limit",
    label="CAP-6",
    title="K-means is the σ → 0 limit of a shared-σ GMM: responsibilities become one-hot at the nearest mean",
    statement=r"\lim_{\sigma\to0^+}p(j|x_i)=[\,j=\arg\min_k\|x_i-\mu_k\|\,]\quad(\pi_j>0\ \text{fixed, no ties})",
    source=POST.at("更简单些"),
    tags=("gmm", "kmeans"),
    status=Status.EXACT,
    assertion=KMeansLimit(sigma_to="0", assign="nearest"),
    symbolic=_ref("density", "kmeans_symbolic"),
    numeric=_ref("density", "kmeans_numeric"),
    proof="capsules.md#kmeans-limit",
    false_variants=(
        variant("sigma-to-infinity", r"\sigma\to\infty gives K-means", sigma_to="oo"),
        variant("largest-pi", r"with unequal \pi_j the limit assigns each point to the largest \pi_j",
                assign="largest-pi"),
    ),
)

KMEANS_TYPO = Claim(
    id="capsules.kmeans-distance-as-printed",
    label="CAP-6",
    title="As printed: the K-means limit assigns x_i to argmin_j ‖x_i − μ_j²‖² (a typo for ‖x_i − μ_j‖²)",
    statement=r"\lim_{\sigma\to0^+}p(j|x_i)=[\,j=\arg\min_k\|x_i-\mu_k^2\|^2\,]",
    source=POST.at("更简单些"),
    tags=("gmm", "kmeans", "typo"),
    status=Status.TYPO,
    expected=Verdict.REFUTED,
    assertion=KMeansLimit(sigma_to="0", assign="nearest-printed"),
    numeric=_ref("density", "kmeans_numeric"),
    false_variants=(
        variant("largest-pi", r"the limit assigns each point to the largest \pi_j", assign="largest-pi"),
    ),
)

ROUTING_1 = Claim(
    id="capsules.routing-1-is-em-2",
    label="CAP-7",
    title="New routing 1 is EM algorithm 2 applied to the poses",
    statement=r"r_{ij}=\frac{R_{ij}}{\sum_iR_{ij}},\ M_j=\sum_ir_{ij}P_i,\ \sigma_j^2=\sum_ir_{ij}(P_i-M_j)^2,\ "
              r"\pi_j=\frac1n\sum_iR_{ij}",
    source=POST.at("矩阵→向量"),
    tags=("routing", "gmm"),
    status=Status.EXACT,
    assertion=Routing1(variance_weights="normalised", pi="mean"),
    numeric=_ref("gmm", "routing_1_numeric"),
    false_variants=(
        variant("unnormalised-variance", r"\sigma_j^2=\sum_iR_{ij}(P_i-M_j)^2 (weights not normalised)",
                variance_weights="unnormalised"),
        variant("pi-not-averaged", r"\pi_j=\sum_iR_{ij}", pi="sum"),
    ),
)

# --- CAP-8 … CAP-12: entropy, cost, activation, routing ---------------------------------------------------------------

ENTROPY = Claim(
    id="capsules.entropy-identity",
    label="CAP-8",
    title="S_j = −∫p(x|j) ln p(x|j) dx = −E[p(j|x) ln p(x|j)]/p(j) ≈ −Σ_i r_ij ln p_ij",
    statement=r"S_j=-\!\int p(x|j)\ln p(x|j)dx=-\frac{1}{p(j)}E[p(j|x)\ln p(x|j)]\approx-\frac{1}{n\pi_j}"
              r"\sum_iR_{ij}\ln p_{ij}",
    source=POST.at("激活值"),
    tags=("entropy", "monte-carlo"),
    status=Status.APPROX,
    assertion=EntropyEstimate(weights="posterior", scale="1/(n pi)"),
    numeric=_ref("entropy", "entropy_mc_numeric"),
    proof="capsules.md#entropy-identity",
    notes="The first two equalities are exact; the third is a Monte-Carlo estimate, checked for convergence.",
    false_variants=(
        variant("without-one-over-pi", r"S_j\approx-\frac1n\sum_iR_{ij}\ln p_{ij} (no 1/\pi_j)", scale="1/n"),
        variant("likelihood-weights", r"weights p(x_i|j) instead of p(j|x_i)", weights="likelihood"),
    ),
)

CLOSED_FORM = Claim(
    id="capsules.entropy-closed-form",
    label="CAP-9",
    title="With Σ_i r_ij = 1 and σ² the r-weighted variance, −Σ_i r_ij ln p_ij = d/2 + Σ_l ln σ_l + (d/2) ln 2π",
    statement=r"-\sum_ir_{ij}\ln p_{ij}=\frac d2+\sum_l\ln\sigma_j^l+\frac d2\ln2\pi",
    source=POST.at("激活值"),
    tags=("entropy",),
    status=Status.EXACT,
    assertion=EntropyClosedForm(half_d=0.5, log_2pi=0.5, log_sigma2=0.5),
    numeric=_ref("entropy", "closed_form_numeric"),
    proof="capsules.md#weighted-quadratic",
    false_variants=(
        variant("without-half-d", "the d/2 term omitted", half_d=0.0),
        variant("d-log-2pi", r"d\ln2\pi instead of \frac d2\ln2\pi", log_2pi=1.0),
        variant("log-sigma-squared", r"\sum_l\ln\sigma_l^2 without the ½", log_sigma2=1.0),
    ),
)

COST_AS_PRINTED = Claim(
    id="capsules.cost-correction-as-printed",
    label="CAP-10",
    title="As printed: the paper's cost (1) is wrong and should read S_j = d/2 + (Σ_l ln σ_l + (d/2) ln 2π) Σ_i r_ij",
    statement=r"\sum_h\mathrm{cost}_j^h = \frac d2+\Bigl(\sum_l\ln\sigma^l_j+\frac d2\ln2\pi\Bigr)\sum_ir_{ij}"
              r"\quad(r_{ij}=a_iR_{ij})",
    source=POST.at("激活值"),
    tags=("cost", "mistake"),
    status=Status.MISTAKE,
    expected=Verdict.REFUTED,
    assertion=CostFormula(formula="su-14", weights="unnormalised", variance="sum-r"),
    numeric=_ref("entropy", "cost_numeric"),
    proof="capsules.md#weighted-quadratic",
    notes="With the paper's unnormalised r_ij = a_iR_ij and σ² normalised by Σ_i r_ij the quadratic term is exactly "
          "½Σ_i r_ij, so eq. (1) is right and (14) is off by d/2(Σ_i r_ij − 1). The post is also inconsistent with "
          "itself: (15) needs Σ_i r_ij to carry the cluster weight (unnormalised r), the ½ step needs normalised r.",
    false_variants=(
        variant("half-term-dropped", r"\mathrm{cost}=(\ln\sigma+\frac{\ln2\pi}2)\sum_ir_{ij}, another wrong reading",
                formula="eq-1-without-half"),
    ),
)

COST = Claim(
    id="capsules.paper-cost-is-exact",
    label="CAP-10",
    title="The paper's eq. (1) is exact for unnormalised r_ij = a_iR_ij with σ² normalised by Σ_i r_ij",
    statement=r"\sum_i-r_{ij}\ln P^h_{i|j}=\Bigl(\ln\sigma_j^h+\frac{1+\ln2\pi}{2}\Bigr)\sum_ir_{ij}",
    source=PAPER.at("eq. (1)"),
    tags=("cost",),
    status=Status.EXACT,
    assertion=CostFormula(formula="eq-1", weights="unnormalised", variance="sum-r"),
    numeric=_ref("entropy", "cost_numeric"),
    proof="capsules.md#weighted-quadratic",
    false_variants=(
        variant("su-14", "Su's (14) with the paper's unnormalised r", formula="su-14"),
        variant("half-term-dropped", r"\mathrm{cost}=(\ln\sigma+\frac{\ln2\pi}2)\sum_ir_{ij} (the ½Σr term dropped)",
                formula="eq-1-without-half"),
        variant("variance-over-n", r"\sigma^2 normalised by n instead of \sum_ir_{ij}", variance="n"),
    ),
)

ACTIVATION = Claim(
    id="capsules.activation-reparametrisation",
    label="CAP-11",
    title="Activation (15), paper eq. (2) and Procedure 1 are one affine family: equal when dβ_u′ = β_u + d(1+ln2π)/2",
    statement=r"a_j=\mathrm{sigmoid}\bigl(\lambda(\beta_a-(\beta_u''+\textstyle\sum_l\ln\sigma^l_j)\sum_ir_{ij})\bigr),"
              r"\quad d\beta_u'=\beta_u''=\beta_u+d\,\frac{1+\ln2\pi}{2}",
    source=POST.at("激活值"),
    tags=("activation",),
    status=Status.EXACT,
    assertion=ActivationFamily(beta_u_prime="(beta_u + d*c)/d", beta_u_count="d"),
    numeric=_ref("entropy", "activation_numeric"),
    proof="capsules.md#activation-affine",
    notes="EXACT up to reparametrisation of β_u.",
    false_variants=(
        variant("not-a-reparametrisation", "(15) is not a reparametrisation of eq. (2): no β_u′ makes them equal",
                beta_u_prime=None),
        variant("beta-u-once", "Procedure 1's cost adds β_u only once, not once per pose dimension",
                beta_u_count="1"),
    ),
)

ROUTING_4 = Claim(
    id="capsules.routing-4-matches-procedure-1",
    label="CAP-12",
    title="Su's routing 4 is the paper's Procedure 1: a_iR_ij-weighted statistics, unnormalised cost, R ∝ a_j p_ij",
    statement=r"\mu_j=\frac{\sum_ia_iR_{ij}V_{ij}}{\sum_ia_iR_{ij}},\ \mathrm{cost}\propto\sum_ia_iR_{ij},\ "
              r"R_{ij}\propto a_jp_{ij}",
    source=POST.at("路由现"),
    tags=("routing", "gradcheck"),
    status=Status.EXACT,
    assertion=Routing4(e_step="a_j", cost_weights="unnormalised", mean_weights="aR"),
    numeric=_ref("procedure", "routing_4_numeric"),
    false_variants=(
        variant("e-step-uses-pi", r"the E-step uses \pi_j instead of a_j", e_step="pi_j"),
        variant("normalised-cost", r"the cost uses the normalised \sum_ir_{ij}=1", cost_weights="normalised"),
        variant("mean-without-a", r"\mu weighted by R_{ij} without a_i", mean_weights="R"),
    ),
)

CLUSTERS = Claim(
    id="capsules.gmm-finds-elliptic-clusters",
    label="CAP-14",
    title="A full-covariance GMM finds anisotropic (quadric-shaped) clusters; K-means, finding only spherical ones, "
          "does worse",
    statement=r"\mathrm{ARI}(\text{GMM, full }\Sigma)\ge0.95>0.9\ge\mathrm{ARI}(\text{K-means})\ "
              r"\text{on anisotropic blobs}",
    source=POST.at("一波疑问"),
    tags=("gmm", "kmeans", "empirical"),
    status=Status.EMPIRICAL,
    assertion=ClusterRecovery(gmm_ari_min=0.95, kmeans_ari_max=0.9),
    numeric=_ref("gmm", "clusters_numeric"),
    notes="A proxy test of a qualitative remark: 3 sheared Gaussian blobs, 600 points, best of 5 starts for each "
          "method, adjusted Rand index against the true labels.",
    false_variants=(
        variant("kmeans-finds-them-too", "K-means also recovers the anisotropic clusters (ARI ≥ 0.95)",
                gmm_ari_min=0.0, kmeans_ari_max=None, kmeans_ari_min=0.95),
    ),
)

CLAIMS: tuple[Claim, ...] = (
    KRON, VOTES, GAUSSIAN, EM_FULL, EM_DIAGONAL, SHARED_AS_PRINTED, SHARED, SHARED_HARMLESS, KMEANS, KMEANS_TYPO,
    ROUTING_1, ENTROPY, CLOSED_FORM, COST_AS_PRINTED, COST, ACTIVATION, ROUTING_4, CLUSTERS, *GENERIC,
)
