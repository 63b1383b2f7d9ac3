"""The claims of “漫话模型|模型与选芒果” (Su Jianlin, 2015; kexue.fm/archives/3390), catalogue MG-1 … MG-8.

The post has no formulas.  Every claim here is **constructed**: a checkable formalisation that this project built
from an informal sentence, not the post's own words; each carries ``status=constructed`` and says in ``notes`` what
it formalises, and every report shows that status.  The catalogue labels MG-6 … MG-8 "empirical" as well; they carry
the ``empirical`` tag.  Declarations only — typed assertions (:mod:`.assertions`), no torch or SymPy; each false
variant names the assertion fields it changes.
"""

from __future__ import annotations

from kexue_verify import Claim, Source, Status, variant

from .assertions import (
    FeatureErrors,
    LeastSquaresRisk,
    LogisticModel,
    OccamSetup,
    OneClassData,
    RidgeEffect,
    SampleSize,
    ThresholdRule,
)

__all__ = ["CLAIMS", "POST"]

POST = Source(
    title="漫话模型|模型与选芒果 (On models: models and choosing mangoes)",
    author="Su, Jianlin",
    date="2015-07-15",
    url="https://kexue.fm/archives/3390",
    language="chinese",
)
PKG = "kexue_verify_plugins.mangoes.checks"


def _ref(subject: str, function: str) -> str:
    return f"{PKG}.{subject}:{function}"


CONSTRUCTED = "Constructed formalisation (not the post's words): "

# --- MG-1 -------------------------------------------------------------------------------------------------------------

PROPORTIONS_ARE_WEIGHTS = Claim(
    id="mangoes.feature-weights",
    label="MG-1",
    title="“How much each feature counts” are the weights of P(tasty | x) = σ(w·x + b), learnt by maximum likelihood",
    statement=r"p(\text{tasty}\mid x)=\sigma(w^\top x+b);\ \nabla^2\ell=-X^\top\operatorname{diag}(p(1-p))X\preceq0;"
    r"\ \hat w\to w;\ \textstyle\sum_i\sigma(\hat w^\top x_i+\hat b)=\sum_i y_i",
    source=POST.at("模型的比喻"),
    tags=("logistic-regression", "constructed"),
    status=Status.CONSTRUCTED,
    assertion=LogisticModel(concave=True, collinear_identifiable=False, batch_fraction="mean"),
    symbolic=_ref("logistic", "likelihood_symbolic"),
    numeric=_ref("logistic", "likelihood_numeric"),
    notes=CONSTRUCTED + "the post's 'learn how much colour, smell and size count, and output the probability that a "
          "mango tastes good' as logistic regression.",
    false_variants=(
        variant("collinear-identifiable", "the weights are identifiable under exact collinearity",
                collinear_identifiable=True),
        variant("non-concave", "the log-likelihood is not concave", concave=False),
        variant("each-probability-is-the-batch-fraction",
                "σ(w·x + b) equals the fraction of tasty mangoes in the training batch", batch_fraction="per-point"),
    ),
)

# --- MG-2 -------------------------------------------------------------------------------------------------------------

BOTH_CLASSES_NEEDED = Claim(
    id="mangoes.both-classes-needed",
    label="MG-2",
    title="Good and bad samples are both needed: on one-class data the likelihood has no finite maximiser",
    statement=r"y_i=1\ \forall i:\ \ell(w,b)=\sum_i\log\sigma(w^\top x_i+b)<0,\ \ \partial_b\ell>0,"
    r"\ \ \ell\to0\ (b\to\infty):\ \text{no finite MLE}",
    source=POST.at("模型的做法"),
    tags=("logistic-regression", "constructed"),
    status=Status.CONSTRUCTED,
    assertion=OneClassData(finite_mle=False, optimum=None),
    symbolic=_ref("logistic", "one_class_symbolic"),
    numeric=_ref("logistic", "one_class_numeric"),
    notes=CONSTRUCTED + "the post's 'collect good and bad samples' as the non-existence of a finite maximiser on "
          "one-class data.",
    false_variants=(
        variant("finite-mle", "a finite MLE exists for one-class data", finite_mle=True),
        variant("zero-solution", "one-class training gives w = 0, b = 0", optimum=(0, 0)),
    ),
)

# --- MG-3 -------------------------------------------------------------------------------------------------------------

ONE_SIZE_FITS_ALL = Claim(
    id="mangoes.one-threshold-is-suboptimal",
    label="MG-3",
    title="A one-feature threshold (“一刀切”) misclassifies: the best T ≥ τ rule has τ* = 50/11, error ≈ 0.2196",
    statement=r"T\sim U[0,10],\ E\sim U[0.2,2],\ \text{good}\iff TE\ge5:\ P(\text{good})=\tfrac56-\tfrac59\ln2;"
    r"\ \min_\tau P(\mathbb 1[T\ge\tau]\ne\text{good})=\tfrac16+\tfrac59\ln\tfrac{11}{10}"
    r"\ \text{at }\tau^*=\tfrac{50}{11}"
    r";\ \tau=5:\ \tfrac29",
    source=POST.at("模型的意义"),
    tags=("threshold", "bayes-error", "constructed"),
    status=Status.CONSTRUCTED,
    assertion=ThresholdRule(p_good="5/6 - 5*log(2)/9", tau_star="50/11", min_error="1/6 + 5*log(11/10)/9",
                            error_at_5="2/9"),
    symbolic=_ref("threshold", "threshold_symbolic"),
    numeric=_ref("threshold", "threshold_numeric"),
    notes=CONSTRUCTED + "the post's 'studies more than 5 h a day ⇒ good student' with a made-up model of students; "
          "the post's τ = 5 is close to, but not, the best threshold.",
    false_variants=(
        variant("best-tau-is-five", "the best threshold is the post's τ = 5", tau_star="5"),
        variant("some-threshold-is-exact", "some threshold on T alone is error-free", min_error="0"),
        variant("min-error-one-sixth", "the minimum error is 1/6", min_error="1/6"),
    ),
)

# --- MG-4 -------------------------------------------------------------------------------------------------------------

STRIKE_A_FEW_MATCHES = Claim(
    id="mangoes.strike-a-few-matches",
    label="MG-4",
    title="Striking a few matches judges the box: p̂ is unbiased, and n = 185 gives ±0.1 at 95 %",
    statement=r"\operatorname{Var}\hat p=\frac{p(1-p)}{n}\,\frac{N-n}{N-1},\qquad"
    r"n\ge\frac{\ln(2/\delta)}{2\varepsilon^2}=185\ (\varepsilon=0.1,\ \delta=0.05)",
    source=POST.at("模型的比喻"),
    tags=("sampling", "hoeffding", "constructed"),
    status=Status.CONSTRUCTED,
    assertion=SampleSize(variance="p*(1 - p)/n*(N - n)/(N - 1)", n_formula="log(2/delta)/(2*eps**2)", eps="1/10",
                         delta="1/20", n=185),
    symbolic=_ref("sampling", "sampling_symbolic"),
    numeric=_ref("sampling", "sampling_numeric"),
    notes=CONSTRUCTED + "the post's 'strike a few matches to judge the box' as sampling without replacement.",
    false_variants=(
        variant("ten-matches", "n = 10 gives ±0.1 at 95 %", n=10),
        variant("n-like-one-over-eps", "the required n scales like 1/ε", n_formula="log(2/delta)/(2*eps)", n=19),
        variant("no-finite-population-correction", "the variance is p(1 − p)/n even when n = N",
                variance="p*(1 - p)/n"),
    ),
)

# --- MG-5 -------------------------------------------------------------------------------------------------------------

IRRELEVANT_FEATURES = Claim(
    id="mangoes.irrelevant-features-hurt",
    label="MG-5",
    title="Irrelevant features (which tree, which weekday) do not help and raise the least-squares risk",
    statement=r"x\sim N(0,I_p):\ E[\text{test MSE}]=\sigma^2\Bigl(1+\frac{p}{n-p-1}\Bigr)"
    r"\ \nearrow\ \sigma^2\Bigl(1+\frac{p+k}{n-p-k-1}\Bigr)\ \text{with }k\text{ noise features}",
    source=POST.at("模型的做法"),
    tags=("least-squares", "features", "constructed"),
    status=Status.CONSTRUCTED,
    assertion=LeastSquaresRisk(risk="sigma**2*(1 + p/(n - p - 1))", n=50, p=5, k=20, increasing_in_p=True),
    symbolic=_ref("risk", "risk_symbolic"),
    numeric=_ref("risk", "risk_numeric"),
    notes=CONSTRUCTED + "the post's 'irrelevant features do not help' as the risk of least squares with a Gaussian "
          "design.",
    false_variants=(
        variant("never-raises", "adding independent features never raises the test error", increasing_in_p=False),
        variant("risk-one-plus-p-over-n", "the risk is exactly σ²(1 + p/n)", risk="sigma**2*(1 + p/n)"),
        variant("risk-falls-with-p", "the risk falls with p", risk="sigma**2*(1 - p/n)", increasing_in_p=False),
    ),
)

# --- MG-6 … MG-8 ------------------------------------------------------------------------------------------------------

REGULARISATION = Claim(
    id="mangoes.regularisation-against-overfitting",
    label="MG-6",
    title="Regularisation fights overfitting: ridge beats least squares on test data while training worse",
    statement=r"n=40,\ p=35:\ E\,\mathrm{MSE}_{\text{test}}(\hat\beta_{\lambda_{\mathrm{CV}}})"
    r"<E\,\mathrm{MSE}_{\text{test}}(\hat\beta_{\mathrm{OLS}}),\quad \mathrm{RSS}(\hat\beta_\lambda)\ge"
    r"\mathrm{RSS}(\hat\beta_{\mathrm{OLS}});\quad \text{1-NN: train error }0",
    source=POST.at("模型的做法"),
    tags=("ridge", "overfitting", "constructed", "empirical"),
    status=Status.CONSTRUCTED,
    assertion=RidgeEffect(train="higher", test="lower", nn_overfits=True),
    symbolic=_ref("regularisation", "ridge_symbolic"),
    numeric=_ref("regularisation", "ridge_numeric"),
    notes=CONSTRUCTED + "the post's 'prevent overfitting with regularisation' (catalogue: EMPIRICAL, CONSTRUCTED).",
    false_variants=(
        variant("regularisation-lowers-training-error", "regularisation lowers the training error", train="lower"),
        variant("ridge-never-beats-ols", "ridge never beats least squares on new data", test="higher"),
        variant("nearest-neighbour-does-not-overfit", "1-NN does not overfit (its training error says how it tests)",
                nn_overfits=False),
    ),
)

OCCAM = Claim(
    id="mangoes.prefer-linear-models",
    label="MG-7",
    title="Prefer linear models (Occam's razor): with a linear truth a degree-9 fit varies far more than a line",
    statement=r"y=a+bx+\varepsilon:\ \operatorname{Var}_{\text{bootstrap}}\hat f_9(x)\gg\operatorname{Var}\hat f_1(x),"
    r"\quad \operatorname{tr}H_9=10>\operatorname{tr}H_1=2",
    source=POST.at("模型的做法"),
    tags=("occam", "variance", "constructed", "empirical"),
    status=Status.CONSTRUCTED,
    assertion=OccamSetup(low=1, high=9, high_variance_larger=True, high_error="larger"),
    symbolic=_ref("regularisation", "occam_symbolic"),
    numeric=_ref("regularisation", "occam_numeric"),
    notes=CONSTRUCTED + "the post's 'prefer linear models' (catalogue: EMPIRICAL).",
    false_variants=(
        variant("no-extra-variance", "a degree-9 fit has no larger variance than a line", high_variance_larger=False),
        variant("high-degree-more-accurate", "with a linear truth the degree-9 fit is more accurate",
                high_error="smaller"),
    ),
)

FEATURES_OVER_MODEL = Claim(
    id="mangoes.features-matter-more",
    label="MG-8",
    title="Features matter more than the model: a line on (log T, log E) is perfect, no model of T alone is",
    statement=r"\text{good}\iff\log T+\log E\ge\log5\ (\text{linear, error }0);\quad"
    r"\inf_{g}P(g(T)\ne\text{good})=\tfrac16+\tfrac59\ln\tfrac{11}{10}",
    source=POST.at("模型的做法"),
    tags=("features", "bayes-error", "constructed", "empirical"),
    status=Status.CONSTRUCTED,
    assertion=FeatureErrors(good_features_error="0", best_raw_error="1/6 + 5*log(11/10)/9"),
    symbolic=_ref("threshold", "features_symbolic"),
    numeric=_ref("threshold", "features_numeric"),
    notes=CONSTRUCTED + "the post's 'features matter most, the model less' on the MG-3 students "
          "(catalogue: EMPIRICAL).",
    false_variants=(
        variant("flexible-model-on-raw-feature", "a flexible enough model of T alone is as good as the log features",
                best_raw_error="0"),
        variant("good-features-no-better", "the linear model on log features errs as much as the best threshold",
                good_features_error="1/6 + 5*log(11/10)/9"),
    ),
)

CLAIMS: tuple[Claim, ...] = (
    PROPORTIONS_ARE_WEIGHTS,
    BOTH_CLASSES_NEEDED,
    ONE_SIZE_FITS_ALL,
    STRIKE_A_FEW_MATCHES,
    IRRELEVANT_FEATURES,
    REGULARISATION,
    OCCAM,
    FEATURES_OVER_MODEL,
)
