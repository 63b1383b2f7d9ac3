"""The claims of “闲聊：神经网络与深度学习” (Su Jianlin, 2015; kexue.fm/archives/3331), catalogue NN-1 … NN-9.

Declarations only — typed assertions (:mod:`.assertions`), no torch or SymPy.  Each claim names its checks as
``"kexue_verify_plugins.networks.checks.<subject>:<function>"``; each false variant names the assertion fields it
changes and runs through the same checks.  NN-6 is the post's mistake: the sigmoid substitute tends to a 0/1 step,
not to the ±1 θ the post defines, so the claim as printed expects ``refuted`` and the corrected 2S − 1 = tanh(kx/2)
stands beside it.
"""

from __future__ import annotations

from kexue_verify import Claim, Source, Status, Verdict, variant

from .assertions import (
    AutoencoderError,
    Completeness,
    Gate,
    Layer,
    LayerCount,
    LineFit,
    OneNeuronGates,
    RungeErrors,
    SigmoidSlope,
    Surrogate,
    WidthApproximation,
    XorNetwork,
)

__all__ = ["CLAIMS", "POST"]

POST = Source(
    title="闲聊：神经网络与深度学习 (A chat about neural networks and deep learning)",
    author="Su, Jianlin",
    date="2015-06-06",
    url="https://kexue.fm/archives/3331",
    language="chinese",
)
PKG = "kexue_verify_plugins.networks.checks"


def _ref(subject: str, function: str) -> str:
    return f"{PKG}.{subject}:{function}"


# --- NN-1 -------------------------------------------------------------------------------------------------------------

FEATURE_ENGINEERING = Claim(
    id="networks.feature-engineering",
    label="NN-1",
    title="The feature t = x² makes y = x² + x linear; a line in x is left with MSE 4/45",
    statement=r"x\sim U[-1,1]:\ \min_{a,b}E(x^2+x-a-bx)^2=\operatorname{Var}(x^2)=\tfrac15-\tfrac19=\tfrac{4}{45}"
    r"\ (a=\tfrac13,\ b=1),\qquad \min_{a,b,c}E(x^2+x-a-bx-cx^2)^2=0",
    source=POST.at("机器分类"),
    tags=("features", "least-squares"),
    status=Status.EXACT,
    assertion=LineFit(linear_mse="4/45", intercept="1/3", slope="1", feature_mse="0"),
    symbolic=_ref("features", "fit_symbolic"),
    proof="networks.md#line-residual",
    numeric=_ref("features", "fit_numeric"),
    notes="Our quantification of the post's example (uniform x on [−1, 1]).",
    false_variants=(
        variant("line-fits-exactly", "a model linear in x reaches zero error", linear_mse="0"),
        variant("mse-one-45th", "the residual MSE of the line is 1/45", linear_mse="1/45"),
        variant("features-need-nonlinear-model", "the fit on (x, x²) still leaves an error (needs a nonlinear model)",
                feature_mse="positive"),
    ),
)

# --- NN-2 -------------------------------------------------------------------------------------------------------------

OVERFITTING = Claim(
    id="networks.high-degree-overfits",
    label="NN-2",
    title="High-degree polynomial fits are perfect on the training points and poor elsewhere (Runge)",
    statement=r"f(x)=\frac{1}{1+25x^2}:\ \max_{[-1,1]}|f-p_n|=0.433,\ 1.916,\ 59.8\ (n=5,10,20,\text{ equispaced})"
    r"\to\infty;\quad 0.556,\ 0.109,\ 0.0153\ (\text{Chebyshev})\to0;\quad p_n=f\text{ at the nodes}",
    source=POST.at("机器分类"),
    tags=("overfitting", "runge", "interpolation"),
    status=Status.APPROX,
    assertion=RungeErrors(equispaced=((5, 0.433), (10, 1.916), (20, 59.8)),
                          chebyshev=((5, 0.556), (10, 0.109), (20, 0.0153)),
                          equispaced_diverges=True, chebyshev_converges=True, overfit_train_error="low"),
    symbolic=_ref("runge", "runge_symbolic"),
    numeric=_ref("runge", "runge_numeric"),
    notes="The post's remark is a tendency; its precise form is the Runge phenomenon.",
    false_variants=(
        variant("equispaced-converges", "equispaced interpolation of Runge's f converges as the degree grows",
                equispaced_diverges=False),
        variant("chebyshev-diverges", "Chebyshev interpolation of Runge's f diverges too", chebyshev_converges=False),
        variant("overfit-has-high-training-error", "overfitting shows up as a high training error",
                overfit_train_error="high"),
    ),
)

# --- NN-3 … NN-5 ------------------------------------------------------------------------------------------------------

GATES = (
    Gate(name="and", w=(1, 1), b="-3/2"),
    Gate(name="or", w=(1, 1), b="-1/2"),
    Gate(name="not", w=(-1,), b="1/2"),
    Gate(name="nand", w=(-1, -1), b="3/2"),
)

MP_LOGIC = Claim(
    id="networks.mp-neuron-logic",
    label="NN-3",
    title="One McCulloch–Pitts neuron computes AND, OR, NOT and NAND, but not XOR",
    statement=r"\mathrm{AND}=\theta(x_1+x_2-1.5),\ \mathrm{OR}=\theta(x_1+x_2-0.5),\ \mathrm{NOT}=\theta(-x_1+0.5),"
    r"\ \mathrm{NAND}=\theta(-x_1-x_2+1.5),\quad x_i\in\{0,1\},\ \theta(z)=\pm1",
    source=POST.at("神经网络"),
    tags=("logic", "mp-neuron", "perceptron"),
    status=Status.EXACT,
    assertion=OneNeuronGates(gates=GATES, single_neuron=("and", "or", "not", "nand"), not_single_neuron=("xor",)),
    symbolic=_ref("logic", "gates_symbolic"),
    numeric=_ref("logic", "gates_numeric"),
    false_variants=(
        variant("not-impossible", "NOT cannot be realised by one neuron",
                single_neuron=("and", "or", "nand"), not_single_neuron=("xor", "not")),
        variant("and-needs-hidden-layer", "AND needs a hidden layer",
                single_neuron=("or", "not", "nand"), not_single_neuron=("xor", "and")),
        variant("xor-one-neuron", "a single θ-neuron realises XOR",
                single_neuron=("and", "or", "not", "nand", "xor"), not_single_neuron=()),
    ),
)

XOR_TWO_LAYERS = Claim(
    id="networks.xor-needs-hidden-layer",
    label="NN-4",
    title="XOR needs the composition θ(Σw⁽²⁾θ(Σw⁽¹⁾x)): two hidden units, not fewer",
    statement=r"\nexists w,b:\ \theta(w\cdot x+b)=\mathrm{XOR}(x);\quad"
    r"\mathrm{XOR}=\mathrm{AND}(\mathrm{OR}(x),\mathrm{NAND}(x))\text{ is a 2-2-1 }\theta\text{-network}",
    source=POST.at("神经网络"),
    tags=("logic", "mp-neuron", "xor"),
    status=Status.EXACT,
    assertion=XorNetwork(function="xor", min_hidden_units=2,
                         network=(Layer(weights=((1, 1), (-1, -1)), biases=("-1/2", "3/2")),
                                  Layer(weights=((1, 1),), biases=("-1",)))),
    symbolic=_ref("logic", "xor_symbolic"),
    numeric=_ref("logic", "xor_numeric"),
    notes="Constructed from the post's argument; the hidden units are OR and NAND, the output their AND on ±1 values.",
    false_variants=(
        variant("xor-linearly-separable", "XOR is linearly separable (no hidden unit needed)", min_hidden_units=0),
        variant("xor-needs-three", "XOR needs at least 3 hidden units", min_hidden_units=3),
        variant("one-hidden-unit", "a 2-layer net with 1 hidden unit computes XOR", min_hidden_units=1),
    ),
)

NAND_COMPLETE = Claim(
    id="networks.mp-networks-compute-every-boolean-function",
    label="NN-5",
    title="MP networks compute every Boolean function: NAND is one neuron and is complete; depth 2 suffices",
    statement=r"\mathrm{NAND}=\theta(-x_1-x_2+1.5)\text{ is complete};\ "
    r"\forall f:\{0,1\}^n\to\{0,1\}\ (n\le3):\ f=\theta\bigl(\textstyle\sum_r h_r+m-1\bigr),"
    r"\ h_r=\theta\bigl((2r-1)\cdot x+\tfrac12-|r|\bigr)",
    source=POST.at("神经网络"),
    tags=("logic", "mp-neuron", "completeness"),
    status=Status.APPROX,
    assertion=Completeness(gate="nand", gate_set=("nand",), complete=True, one_layer=False),
    symbolic=_ref("logic", "completeness_symbolic"),
    numeric=_ref("logic", "completeness_numeric"),
    notes="True for Boolean circuits (finite feed-forward networks), and for finite automata with recurrence; "
          "'everything a computer does' needs unbounded memory, which a fixed network lacks.",
    false_variants=(
        variant("one-layer-suffices", "one layer of MP neurons computes every Boolean function", one_layer=True),
        variant("and-or-complete", "AND and OR alone (no negation) are complete", gate="and", gate_set=("and", "or")),
        variant("xor-complete", "XOR gates alone are complete", gate="xor", gate_set=("xor",)),
    ),
)

# --- NN-6 -------------------------------------------------------------------------------------------------------------

SIGMOID = "1/(1 + exp(-k*x))"
SURROGATE_SECTION = "神经网络"

SIGMOID_AS_PRINTED = Claim(
    id="networks.sigmoid-tends-to-theta",
    label="NN-6",
    title="As printed: the sigmoid 1/(1 + e^{−kx}) is the smooth substitute of θ (θ = ±1)",
    statement=r"S(x)=\frac{1}{1+e^{-kx}}\ \xrightarrow{k\to\infty}\ \theta(x)=\begin{cases}1&x\ge0\\-1&x<0\end{cases}",
    source=POST.at(SURROGATE_SECTION),
    tags=("activation", "sigmoid", "as-printed"),
    status=Status.MISTAKE,
    assertion=Surrogate(surrogate=SIGMOID, equals=SIGMOID, limit="theta"),
    symbolic=_ref("sigmoid", "limit_symbolic"),
    numeric=_ref("sigmoid", "limit_numeric"),
    expected=Verdict.REFUTED,
    notes="For x < 0, S → 0, not θ = −1: S tends to the 0/1 step H(x). The corrected statement is "
          "networks.tanh-half-tends-to-theta.",
)

TANH = "tanh(k*x/2)"

TANH_SURROGATE = Claim(
    id="networks.tanh-half-tends-to-theta",
    label="NN-6",
    title="Corrected: 2S − 1 = tanh(kx/2) is the smooth substitute that tends to θ = ±1",
    statement=r"2S(x)-1=\tanh\frac{kx}{2}\ \xrightarrow{k\to\infty}\ \theta(x)\quad(x\ne0)",
    source=POST.at(SURROGATE_SECTION),
    tags=("activation", "sigmoid", "tanh", "corrected"),
    status=Status.EXACT,
    assertion=Surrogate(surrogate=f"2*{SIGMOID} - 1", equals=TANH, limit="theta"),
    symbolic=_ref("sigmoid", "limit_symbolic"),
    proof="networks.md#tanh-half",
    numeric=_ref("sigmoid", "limit_numeric"),
    false_variants=(
        variant("sigmoid-tends-to-theta", "S(x) itself tends to θ (the post as printed)", surrogate=SIGMOID,
                equals=SIGMOID),
        variant("tanh-kx", r"\tanh(kx) = 2S(x) - 1 (the argument is kx/2)", equals="tanh(k*x)"),
    ),
)

SIGMOID_SLOPE = Claim(
    id="networks.sigmoid-slope",
    label="NN-6",
    title="The substitute's slope: S' = kS(1 − S), at most k/4 (at x = 0)",
    statement=r"S'(x)=kS(x)\bigl(1-S(x)\bigr),\qquad \max_x S'(x)=S'(0)=\frac k4",
    source=POST.at(SURROGATE_SECTION),
    tags=("activation", "sigmoid"),
    status=Status.EXACT,
    assertion=SigmoidSlope(function=SIGMOID, derivative="k*S*(1 - S)", max_slope="k/4"),
    symbolic=_ref("sigmoid", "slope_symbolic"),
    proof="networks.md#sigmoid-slope",
    numeric=_ref("sigmoid", "slope_numeric"),
    false_variants=(
        variant("max-k-over-2", r"\max S' = k/2", max_slope="k/2"),
        variant("missing-k", "S' = S(1 − S), forgetting the chain-rule factor k", derivative="S*(1 - S)",
                max_slope="1/4"),
    ),
)

# --- NN-7 -------------------------------------------------------------------------------------------------------------

PARAMETER_COUNT = Claim(
    id="networks.image-parameter-count",
    label="NN-7",
    title="A 1000×1000 image fed into an equally wide layer needs 10¹² weights",
    statement=r"1000\times1000=10^6\text{ inputs},\quad 10^6\times10^6=10^{12}\text{ weights (or more, with biases)}",
    source=POST.at("深度学习"),
    tags=("parameters", "feature-learning"),
    status=Status.EXACT,
    assertion=LayerCount(side=1000, width_out=10**6, params=10**12),
    symbolic=_ref("counting", "count_symbolic"),
    numeric=_ref("counting", "count_numeric"),
    notes="Exact under the equal-width assumption.",
    false_variants=(
        variant("ten-to-the-nine", "10⁹ weights", params=10**9),
        variant("two-million", "2·10⁶ weights (inputs plus outputs)", params=2 * 10**6),
        variant("thousand-unit-layer", "10¹² weights for a 1000-unit hidden layer", width_out=1000),
    ),
)

# --- NN-8 -------------------------------------------------------------------------------------------------------------

AUTOENCODER = Claim(
    id="networks.autoencoder-bottleneck",
    label="NN-8",
    title="A 100→50→100 autoencoder cannot reconstruct general data; its least error is Σ_{i>50} σᵢ²",
    statement=r"\min_{C\in\mathbb R^{100\times50},D}\|X-XCD\|_F^2=\sum_{i>50}\sigma_i(X)^2>0\ "
    r"\text{if }\operatorname{rank}X>50;\quad =0\text{ if }\operatorname{rank}X\le50",
    source=POST.at("自编码器"),
    tags=("autoencoder", "eckart-young"),
    status=Status.APPROX,
    assertion=AutoencoderError(min_error="tail", any_data_exact=False, low_rank_exact=True),
    symbolic=_ref("autoencoder", "ae_symbolic"),
    numeric=_ref("autoencoder", "ae_numeric"),
    notes="The linear case; in the nonlinear case no continuous injection ℝ¹⁰⁰ → ℝ⁵⁰ exists (invariance of "
          "domain), but data on a ≤ 50-dimensional set can still be reconstructed, which is why autoencoders work.",
    false_variants=(
        variant("reconstructs-anything", "a 100-50-100 linear autoencoder reconstructs any dataset exactly",
                any_data_exact=True),
        variant("largest-fifty", "its minimum error is the sum of the 50 largest σ²", min_error="head"),
        variant("rank-30-impossible", "exact reconstruction is impossible even for rank-30 data",
                low_rank_exact=False),
    ),
)

# --- NN-9 -------------------------------------------------------------------------------------------------------------

APPROXIMATION = Claim(
    id="networks.width-approximation",
    label="NN-9",
    title="One hidden sigmoid layer approximates sin 3x, better as it widens",
    statement=r"\sup_{[-\pi,\pi]}\Bigl|\sin3x-\sum_{j=1}^{m}a_j\sigma(w_jx+b_j)-c\Bigr|\ \text{falls with }m"
    r"\ (m=2,8,32),\ \le0.1\text{ at }m=32\quad(\text{Cybenko 1989: dense in }C(K))",
    source=POST.at("神经网络"),
    tags=("approximation", "universal-approximation", "empirical"),
    status=Status.EMPIRICAL,
    assertion=WidthApproximation(activation="sigmoid", widths=(2, 8, 32), eps=0.1, reaches_eps_at=32,
                                 min_hidden_layers=1),
    symbolic=_ref("approximation", "universality_symbolic"),
    numeric=_ref("approximation", "width_numeric"),
    notes="Existence is Cybenko's theorem (cited); that training finds such weights is the empirical part.",
    false_variants=(
        variant("width-two-suffices", "width 2 suffices (sup error ≤ 0.1 on sin 3x)", reaches_eps_at=2),
        variant("two-hidden-layers-necessary", "at least 2 hidden layers are necessary", min_hidden_layers=2),
        variant("linear-compositions-universal", "compositions of linear maps without a nonlinearity are universal",
                activation="identity"),
    ),
)

CLAIMS: tuple[Claim, ...] = (
    FEATURE_ENGINEERING,
    OVERFITTING,
    MP_LOGIC,
    XOR_TWO_LAYERS,
    NAND_COMPLETE,
    SIGMOID_AS_PRINTED,
    TANH_SURROGATE,
    SIGMOID_SLOPE,
    PARAMETER_COUNT,
    AUTOENCODER,
    APPROXIMATION,
)
