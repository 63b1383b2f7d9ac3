"""The claims of “让Keras更酷一些！”：精巧的层与花式的回调 (catalogue section 6, KER-1 … KER-9).

Most claims run on every registered model of a kind, so each runs on the post's Keras 3 code *and* on the same
idea in plain torch (``claim[keras-…]`` and ``claim[torch-…]``); without Keras the Keras cases are ``skipped``.
KER-5 and KER-8 are stated on the post's schedules and checked as torch ``LambdaLR`` and as plain functions; the
post's Keras callbacks are models of the ``lr-schedule`` kind, on which the kind's claims run.

Declarations only — typed assertions (:mod:`.assertions`), no torch or Keras — so that listing claims stays fast:
the claims, and the models (:data:`MODELS`, factories in :mod:`.models`) the kinds' claims run on.  Each claim
names its checks as ``"kexue_verify_plugins.keras.checks.<module>:<function>"``; each false variant names the
assertion fields it changes, or the buggy model it swaps in.
"""

from __future__ import annotations

from typing import Any

from kexue_verify import Claim, ModelSpec, Source, Status, Verdict, variant

from .assertions import (
    BestModelTies,
    CallbackHooks,
    CenterLoss,
    FollowsFormula,
    MixedTarget,
    ParameterFree,
    PostSchedule,
    ReachesPhases,
    SplitWidths,
    TrainOnlyNoise,
)

__all__ = ["CLAIMS", "MODELS", "PIECEWISE", "POST", "WARMUP"]

POST = Source(
    title="“让Keras更酷一些！”：精巧的层与花式的回调 (Make Keras cooler: neat layers and fancy callbacks)",
    author="Su, Jianlin",
    date="2018-08-06",
    url="https://kexue.fm/archives/5765",
    language="chinese",
)
PKG = "kexue_verify_plugins.keras"
CHECKS = f"{PKG}.checks"
FACTORIES = f"{PKG}.models"


LAMBDA = Claim(
    id="keras.lambda-layer-parameter-free",
    label="KER-1",
    title="Lambda(lambda x: x + 2) has no parameters and computes y = x + 2",
    statement=r"\texttt{Lambda}(x\mapsto x+2):\ y = x + 2,\ \#\text{weights} = 0",
    source=POST.at("层的自定义 / 基本定义方法"),
    tags=("keras", "layer"),
    status=Status.EXACT,
    model_kind="parameter-free-layer",
    assertion=ParameterFree(offset=2, weights=0),
    numeric=f"{CHECKS}.layers:parameter_free",
    false_variants=(
        variant("lambda-holds-weights", "Lambda layers can hold trainable weights", weights="some"),
        variant("hidden-zero-weight", "a layer x + 2 + w with a trainable w = 0 (the same outputs) is parameter-free",
                model=f"{FACTORIES}:buggy_add_two_with_weight"),
    ),
)

NOISE = Claim(
    id="keras.train-only-noise",
    label="KER-2",
    title="Train-only Gaussian noise: y = x + ε, ε ~ N(0, I), in training; y = x in inference",
    statement=r"y = \begin{cases} x + \varepsilon,\ \varepsilon\sim\mathcal N(0, I) & \text{training}\\ x & "
    r"\text{inference}\end{cases}\quad(\texttt{K.in\_train\_phase}(x+\varepsilon, x))",
    source=POST.at("层的自定义 / 基本定义方法"),
    tags=("keras", "layer", "noise"),
    status=Status.EXACT,
    model_kind="train-only-noise",
    assertion=TrainOnlyNoise(variance=1.0, test_noise=False),
    numeric=f"{CHECKS}.layers:train_only_noise",
    false_variants=(
        variant("noise-at-test-time", "the noise is also applied at test time", test_noise=True),
        variant("variance-one-half", "the noise has variance 0.5", variance=0.5),
        variant("layer-noisy-at-test", "a layer that adds the noise in inference too passes",
                model=f"{FACTORIES}:buggy_noise_at_test"),
        variant("in-train-phase-mixes", "in_train_phase mixes both branches: ½(x + ε) + ½x in training",
                model=f"{FACTORIES}:buggy_noise_mixed_branches"),
        variant("layer-half-variance", "a layer with noise of variance 0.5 passes",
                model=f"{FACTORIES}:buggy_noise_half_variance"),
    ),
)

SPLIT = Claim(
    id="keras.split-vector-shapes",
    label="KER-3",
    title="SplitVector splits d features into d//2 and d − d//2; concatenating them recovers the input",
    statement=r"x\in\mathbb R^{d}\mapsto (x_{1:\lfloor d/2\rfloor},\ x_{\lfloor d/2\rfloor+1:d}),\ "
    r"\text{widths } \lfloor d/2\rfloor,\ d-\lfloor d/2\rfloor\ (d = 7: 3, 4)",
    source=POST.at("层的自定义 / 双输出的层"),
    tags=("keras", "layer", "shapes"),
    status=Status.EXACT,
    model_kind="split-vector",
    assertion=SplitWidths(first="floor", second="rest"),
    numeric=f"{CHECKS}.layers:split_vector",
    false_variants=(
        variant("both-halves-floor", "both halves have d//2 features (a feature is lost when d is odd)",
                second="floor"),
        variant("first-half-ceil", "the first half gets (d + 1)//2 features", first="ceil"),
        variant("layer-drops-last-feature", "a layer returning two d//2 halves (and promising them) is a SplitVector",
                model=f"{FACTORIES}:buggy_split_floor_both"),
    ),
)

CENTER_LOSS = Claim(
    id="keras.center-loss",
    label="KER-4",
    title="The center-loss layer: ∂L/∂c_y = 2λ(c_y − x), and training drives the centres to the class means",
    statement=r"L = \mathrm{CE}_{\text{logits}}(y, xW+b) + \lambda\sum_k (c_{y,k}-x_k)^2,\ \lambda=\tfrac12:\ "
    r"\frac{\partial L}{\partial c_y} = 2\lambda(c_y - x),\ c_k\to\frac1{n_k}\sum_{y_i=k}x_i",
    source=POST.at("层的自定义 / 层与loss的结合"),
    tags=("keras", "layer", "loss", "center-loss"),
    status=Status.EXACT,
    model_kind="center-loss-layer",
    assertion=CenterLoss(grad_factor=2, optimum="mean", reaches_features=True),
    symbolic=f"{CHECKS}.center_loss:center_loss_symbolic",
    numeric=f"{CHECKS}.center_loss:center_loss_numeric",
    notes="Wen et al. (ECCV 2016) use λ·½Σ‖x_i − c_{y_i}‖² with a separate α-update of the centres: Su's loss is "
    "their λ = 1 with the centres learned by the optimizer, and its gradient also reaches the features.",
    false_variants=(
        variant("gradient-lambda", r"\partial L/\partial c_y = \lambda(c_y - x)", grad_factor=1),
        variant("optimum-median", "the optimal centre is the class median", optimum="median"),
        variant("features-untouched", "the centre term does not reach the features", reaches_features=False),
        variant("frozen-centres", "a layer whose centres are a buffer, not trainable weights, learns the class means",
                model=f"{FACTORIES}:buggy_center_loss_frozen_centres"),
    ),
)

SMOOTHING = Claim(
    id="keras.mixed-target-is-label-smoothing",
    label="KER-6",
    title="Mixing a uniform target into the cross-entropy is label smoothing with target (1 − e)y + e/K",
    statement=r"(1-e)\,\mathrm{CE}(y,p) + e\,\mathrm{CE}(\tfrac1K\mathbf 1,p) = \mathrm{CE}\bigl((1-e)y + "
    r"\tfrac eK\mathbf 1,\ p\bigr) = \texttt{F.cross\_entropy}(z, y, \texttt{label\_smoothing}=e)",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "loss", "label-smoothing"),
    status=Status.EXACT,
    model_kind="mixed-target-loss",
    assertion=MixedTarget(target="uniform-over-k"),
    symbolic=f"{CHECKS}.smoothing:smoothing_symbolic",
    numeric=f"{CHECKS}.smoothing:smoothing_numeric",
    notes="The post's callback sets e = 0.01 only from epoch 100 on, which its 10-epoch example never reaches.",
    false_variants=(
        variant("no-division-by-k", "the mixed loss is CE with target (1 − e)y + e", target="no-division"),
        variant("over-k-minus-one", "the mixed loss is CE with target (1 − e)y + e/(K − 1)·(1 − y)",
                target="over-k-minus-1"),
        variant("temperature-scaling", "the mixing is equivalent to temperature scaling of the logits",
                target="temperature"),
    ),
)

PIECEWISE = {"piecewise": [[0, 1e-2], [50, 1e-3], [80, 1e-4]], "unit": "epoch", "counting": 0}
_PHASES = (1e-2, 1e-3, 1e-4)

PIECEWISE_SCHEDULE = Claim(
    id="keras.piecewise-schedule",
    label="KER-5",
    title="lr_schedule: 1e-2 before epoch 50, 1e-3 before epoch 80, then 1e-4 (epochs counted from 0)",
    statement=r"\mathrm{lr}(e) = 10^{-2}\,[e<50] + 10^{-3}\,[50\le e<80] + 10^{-4}\,[e\ge80],\ e = 0, 1, \dots;"
    r"\ \text{all three phases within 100 epochs}",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "schedule"),
    status=Status.EXACT,
    assertion=PostSchedule(schedule="piecewise", epochs=100, formula=PIECEWISE, phases=_PHASES),
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    false_variants=(
        variant("epoch-50-uses-1e-2", "epoch 50 still uses 1e-2",
                formula={**PIECEWISE, "piecewise": [[0, 1e-2], [51, 1e-3], [80, 1e-4]]}),
        variant("counted-from-one", "the epochs the schedule receives are counted from 1",
                formula={**PIECEWISE, "counting": 1}),
        variant("ten-epochs-reach-1e-4", "the 10-epoch example reaches 1e-4", epochs=10),
    ),
)

PIECEWISE_AS_POSTED = Claim(
    id="keras.piecewise-schedule-as-posted",
    label="KER-5",
    title="As posted: fit(epochs=10) with lr_schedule goes through 1e-2, 1e-3 and 1e-4",
    statement=r"\texttt{fit(epochs=10, callbacks=[LearningRateScheduler(lr\_schedule)])}\ \text{uses }"
    r"10^{-2}, 10^{-3}, 10^{-4}",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "schedule", "as-posted"),
    status=Status.MISTAKE,
    expected=Verdict.REFUTED,
    assertion=PostSchedule(schedule="piecewise", epochs=10, formula=PIECEWISE, phases=_PHASES),
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    notes="The catalogue calls it a harmless inconsistency of the example: the schedule is right, the 10 epochs never "
    "leave 1e-2. The corrected statements are keras.piecewise-schedule and keras.piecewise-schedule-ten-epochs.",
)

PIECEWISE_TEN = Claim(
    id="keras.piecewise-schedule-ten-epochs",
    label="KER-5",
    title="Corrected: fit(epochs=10) with lr_schedule uses 1e-2 only",
    statement=r"\{\mathrm{lr}(e) : 0\le e<10\} = \{10^{-2}\}",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "schedule"),
    status=Status.EXACT,
    assertion=PostSchedule(schedule="piecewise", epochs=10, formula=PIECEWISE, phases=(1e-2,), only=True),
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    false_variants=(
        variant("ten-epochs-reach-1e-3", "the 10-epoch example also reaches 1e-3", phases=(1e-2, 1e-3)),
        variant("fifty-epochs-reach-1e-3", "50 epochs are enough to reach 1e-3", epochs=50, phases=(1e-2, 1e-3),
                only=False),
    ),
)

WARMUP: dict[str, Any] = {"warmup": {"peak": 1e-3, "epochs": 10, "offset": 1}, "unit": "batch"}

WARMUP_SCHEDULE = Claim(
    id="keras.warmup-schedule",
    label="KER-8",
    title="Linear warmup: lr_t = 0.001 (t + 1)/(10S) for the 0-based batch t < 10S, S = ⌈N/B⌉, then 0.001",
    statement=r"S=\lceil N/B\rceil:\ \mathrm{lr}_t = 0.001\min\Bigl(1,\frac{t+1}{10S}\Bigr);\ "
    r"\mathrm{lr}_0 = \frac{0.001}{10S},\ \mathrm{lr}_{10S-1} = 0.001",
    source=POST.at("花式回调器 / warmup"),
    tags=("keras", "schedule", "warmup"),
    status=Status.EXACT,
    assertion=PostSchedule(schedule="warmup", epochs=12, formula=WARMUP, phases=(1e-3,)),
    symbolic=f"{CHECKS}.schedules:warmup_symbolic",
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    false_variants=(
        variant("rises-epoch-wise", "the lr rises in epoch-wise steps, 0.001 (e + 1)/10",
                formula={**WARMUP, "unit": "epoch"}),
        variant("peak-after-nine-epochs", "it reaches 0.001 after 9 epochs",
                formula={**WARMUP, "warmup": {**WARMUP["warmup"], "epochs": 9}}),
        variant("first-lr-zero", "the first lr is exactly 0: lr_t = 0.001 t/(10S)",
                formula={**WARMUP, "warmup": {**WARMUP["warmup"], "offset": 0}}),
        variant("steps-floor", "S = ⌊N/B⌋, the last partial batch not counted", steps="floor"),
    ),
)

WARMUP_AS_POSTED = Claim(
    id="keras.warmup-from-zero-as-posted",
    label="KER-8",
    title="As posted: the warmup starts the learning rate from zero",
    statement=r"\mathrm{lr}_0 = 0",
    source=POST.at("花式回调器 / warmup"),
    tags=("keras", "schedule", "warmup", "as-posted"),
    status=Status.APPROX,
    expected=Verdict.REFUTED,
    assertion=PostSchedule(schedule="warmup", epochs=12, formula=WARMUP, phases=(1e-3,), first_lr=0.0),
    symbolic=f"{CHECKS}.schedules:warmup_symbolic",
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    notes="The first learning rate is 0.001/(10S), not 0; the corrected statement is keras.warmup-schedule.",
)

_FIRES = {"on_train_begin": "fit", "on_train_end": "fit", "on_epoch_begin": "epoch", "on_epoch_end": "epoch",
          "on_batch_begin": "batch", "on_batch_end": "batch"}

HOOKS = Claim(
    id="keras.callback-hooks",
    label="KER-7",
    title="Callbacks have six hooks on_{train,epoch,batch}_{begin,end}, fired once a fit, an epoch and a batch",
    statement=r"\texttt{on\_\{train,epoch,batch\}\_\{begin,end\}}:\ 1,\ E,\ E\cdot S\ \text{calls, nested}",
    source=POST.at("花式回调器"),
    tags=("keras", "callback", "behavioural"),
    status=Status.EMPIRICAL,
    assertion=CallbackHooks(fires=_FIRES, order="nested"),
    numeric=f"{CHECKS}.callbacks:hooks_numeric",
    notes="Behavioural and version-specific (the post used Keras 2.2): observed in Keras 3, which has these six "
    "and more (test and predict hooks, on_train_batch_* behind on_batch_*).",
    false_variants=(
        variant("batch-hooks-once-an-epoch", "on_batch_begin and on_batch_end fire once an epoch",
                fires={**_FIRES, "on_batch_begin": "epoch", "on_batch_end": "epoch"}),
        variant("train-begin-every-epoch", "on_train_begin fires at the start of every epoch",
                fires={**_FIRES, "on_train_begin": "epoch"}),
        variant("epoch-begin-after-first-batch", "on_epoch_begin fires after the epoch's first batch",
                order="epoch-begin-after-first-batch"),
    ),
)

BEST_MODEL = Claim(
    id="keras.best-model-callback",
    label="KER-9",
    title="The best-model callback saves when acc ≥ best, so a tie overwrites with the later epoch",
    statement=r"\text{save at epoch } e \iff \mathrm{acc}_e \ge \max_{e'<e}\mathrm{acc}_{e'}",
    source=POST.at("花式回调器 / 保存最优模型"),
    tags=("keras", "callback", "behavioural"),
    status=Status.EMPIRICAL,
    model_kind="best-model-callback",
    assertion=BestModelTies(ties="later"),
    numeric=f"{CHECKS}.callbacks:best_model_numeric",
    notes="Behavioural: checked on what the callback writes to disk, not derived.",
    false_variants=(
        variant("ties-keep-earlier", "on a tie the earlier epoch's weights are kept", ties="earlier"),
        variant("strict-comparison", "a callback saving on acc > best behaves the same",
                model=f"{FACTORIES}:buggy_best_model_strict"),
    ),
)

SCHEDULE_FOLLOWS_FORMULA = Claim(
    id="keras.schedule-follows-formula",
    title="A registered schedule, stepped as a training loop steps it, uses its stated formula's rate at every batch",
    statement=r"\mathrm{lr}^{\text{used}}_t = \mathrm{lr}^{\text{stated}}(t)\quad\forall\,t < E\cdot S"
    r"\quad(t = eS + b,\ \text{0-based})",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "schedule", "model"),
    status=Status.EXACT,
    model_kind="lr-schedule",
    assertion=FollowsFormula(shift=0, regroup=False),
    numeric=f"{CHECKS}.schedules:follows_formula",
    false_variants=(
        variant("counted-one-off", "the schedule gives the stated rate one unit late (0- vs 1-based counting)",
                shift=1),
        variant("other-granularity", "it does not matter whether the schedule is stepped per batch or per epoch",
                regroup=True),
    ),
)

SCHEDULE_REACHES_PHASES = Claim(
    id="keras.schedule-reaches-phases",
    title="A registered schedule uses every phase it states, in order, within the stated training length",
    statement=r"\forall\,\text{phase } \ell_j:\ \exists\,t_j < E\cdot S,\ \mathrm{lr}^{\text{used}}_{t_j} = \ell_j,"
    r"\ t_1 < t_2 < \dots",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "schedule", "model"),
    status=Status.EXACT,
    model_kind="lr-schedule",
    assertion=ReachesPhases(training="declared"),
    numeric=f"{CHECKS}.schedules:reaches_phases",
    false_variants=(
        variant("one-epoch-before-the-last-phase", "the phases are all reached even when training stops in the "
                "epoch before the stated formula enters the last one", training="before-last-phase"),
    ),
)

CLAIMS: tuple[Claim, ...] = (LAMBDA, NOISE, SPLIT, CENTER_LOSS, SMOOTHING, PIECEWISE_SCHEDULE, PIECEWISE_AS_POSTED,
                             PIECEWISE_TEN, WARMUP_SCHEDULE, WARMUP_AS_POSTED, HOOKS, BEST_MODEL,
                             SCHEDULE_FOLLOWS_FORMULA, SCHEDULE_REACHES_PHASES)


# --- the models the kinds' claims run on (factories in .models) ----------------------------------------------

_PIECEWISE = {"formula": PIECEWISE, "epochs": 100, "steps_per_epoch": 2, "phases": [1e-2, 1e-3, 1e-4]}
_WARMUP = {"formula": WARMUP, "epochs": 12, "samples": 7, "batch_size": 3, "phases": [1e-3]}


def _pair(kind: str, name: str, what: str, **declared: object) -> tuple[ModelSpec, ModelSpec]:
    return (ModelSpec(name=f"keras-{name}", kind=kind, factory=f"{FACTORIES}:keras_{name.replace('-', '_')}",
                      description=f"the post's {what}, Keras 3 (torch backend)", declared=declared),
            ModelSpec(name=f"torch-{name}", kind=kind, factory=f"{FACTORIES}:torch_{name.replace('-', '_')}",
                      description=f"{what}, plain torch", declared=declared))


MODELS: tuple[ModelSpec, ...] = (
    *_pair("parameter-free-layer", "add-two", "Lambda(lambda x: x + 2)"),
    *_pair("train-only-noise", "train-noise", "Lambda(add_noise_in_train)"),
    *_pair("split-vector", "split-vector", "SplitVector"),
    *_pair("center-loss-layer", "center-loss", "Dense_with_Center_loss"),
    *_pair("mixed-target-loss", "mixed-crossentropy", "mycrossentropy"),
    *_pair("best-model-callback", "best-model", "Evaluate callback (save when acc >= best)"),
    ModelSpec(name="keras-piecewise", kind="lr-schedule", factory=f"{FACTORIES}:piecewise_keras",
              description="LearningRateScheduler(lr_schedule), the post's code", declared=_PIECEWISE),
    ModelSpec(name="torch-piecewise", kind="lr-schedule", factory=f"{FACTORIES}:piecewise_lambdalr",
              description="LambdaLR(SGD(lr=1), lr_schedule), stepped per epoch",
              declared={**_PIECEWISE, "step": "epoch"}),
    ModelSpec(name="function-piecewise", kind="lr-schedule", factory=f"{FACTORIES}:piecewise_function",
              description="lr_schedule(epoch), 0-based epochs", declared={**_PIECEWISE, "step": "epoch",
                                                                          "counting": 0}),
    ModelSpec(name="keras-warmup", kind="lr-schedule", factory=f"{FACTORIES}:warmup_keras",
              description="the post's Warmup callback (on_batch_begin), N = 7, B = 3", declared=_WARMUP),
    ModelSpec(name="torch-warmup", kind="lr-schedule", factory=f"{FACTORIES}:warmup_lambdalr",
              description="LambdaLR(SGD(lr=0.001), t ↦ min(1, (t+1)/(10S))), stepped per batch",
              declared={**_WARMUP, "step": "batch"}),
    ModelSpec(name="function-warmup", kind="lr-schedule", factory=f"{FACTORIES}:warmup_function",
              description="t ↦ 0.001 min(1, (t+1)/(10S)), 0-based batches",
              declared={**_WARMUP, "step": "batch", "counting": 0}),
)
