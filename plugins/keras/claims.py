"""The claims of “让Keras更酷一些！”：精巧的层与花式的回调 (catalogue section 6, KER-1 … KER-9), as plain data.

Most claims run on every registered model of a kind, so each runs on the post's Keras 3 code *and* on the same
idea in plain torch (``claim[keras-…]`` and ``claim[torch-…]``); without Keras the Keras cases are ``skipped``.
KER-5 and KER-8 are stated on the post's schedules and checked as torch ``LambdaLR`` and as plain functions; the
post's Keras callbacks are models of the ``lr-schedule`` kind, on which the kind's claims run.
"""

from __future__ import annotations

from kexue_verify import Claim, FalseVariant, Source, Status

POST = Source(
    title="“让Keras更酷一些！”：精巧的层与花式的回调 (Make Keras cooler: neat layers and fancy callbacks)",
    author="Su, Jianlin",
    date="2018-08-06",
    url="https://kexue.fm/archives/5765",
    language="chinese",
)
PKG = "kexue_verify_plugins.keras"
CHECKS = f"{PKG}.checks"
MODELS = f"{PKG}.models"



LAMBDA = Claim(
    id="keras.lambda-layer-parameter-free",
    label="KER-1",
    title="Lambda(lambda x: x + 2) has no parameters and computes y = x + 2",
    statement=r"\texttt{Lambda}(x\mapsto x+2):\ y = x + 2,\ \#\text{weights} = 0",
    source=POST.at("层的自定义 / 基本定义方法"),
    tags=("keras", "layer"),
    status=Status.EXACT,
    model_kind="parameter-free-layer",
    assertion={"offset": 2, "weights": 0},
    numeric=f"{CHECKS}.layers:parameter_free",
    false_variants=(
        FalseVariant(name="lambda-holds-weights", assertion={"offset": 2, "weights": "some"},
                     description="Lambda layers can hold trainable weights"),
        FalseVariant(name="hidden-zero-weight", model=f"{MODELS}:buggy_add_two_with_weight",
                     description="a layer x + 2 + w with a trainable w = 0 (the same outputs) is parameter-free"),
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
    assertion={"variance": 1.0, "test_noise": False},
    numeric=f"{CHECKS}.layers:train_only_noise",
    false_variants=(
        FalseVariant(name="noise-at-test-time", assertion={"variance": 1.0, "test_noise": True},
                     description="the noise is also applied at test time"),
        FalseVariant(name="variance-one-half", assertion={"variance": 0.5, "test_noise": False},
                     description="the noise has variance 0.5"),
        FalseVariant(name="layer-noisy-at-test", model=f"{MODELS}:buggy_noise_at_test",
                     description="a layer that adds the noise in inference too passes"),
        FalseVariant(name="in-train-phase-mixes", model=f"{MODELS}:buggy_noise_mixed_branches",
                     description="in_train_phase mixes both branches: ½(x + ε) + ½x in training"),
        FalseVariant(name="layer-half-variance", model=f"{MODELS}:buggy_noise_half_variance",
                     description="a layer with noise of variance 0.5 passes"),
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
    assertion={"first": "floor", "second": "rest"},
    numeric=f"{CHECKS}.layers:split_vector",
    false_variants=(
        FalseVariant(name="both-halves-floor", assertion={"first": "floor", "second": "floor"},
                     description="both halves have d//2 features (a feature is lost when d is odd)"),
        FalseVariant(name="first-half-ceil", assertion={"first": "ceil", "second": "rest"},
                     description="the first half gets (d + 1)//2 features"),
        FalseVariant(name="layer-drops-last-feature", model=f"{MODELS}:buggy_split_floor_both",
                     description="a layer returning two d//2 halves (and promising them) is a SplitVector"),
    ),
)

_CENTER = {"grad_factor": 2, "optimum": "mean", "reaches_features": True}

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
    assertion=_CENTER,
    symbolic=f"{CHECKS}.center_loss:center_loss_symbolic",
    numeric=f"{CHECKS}.center_loss:center_loss_numeric",
    notes="Wen et al. (ECCV 2016) use λ·½Σ‖x_i − c_{y_i}‖² with a separate α-update of the centres: Su's loss is "
    "their λ = 1 with the centres learned by the optimizer, and its gradient also reaches the features.",
    false_variants=(
        FalseVariant(name="gradient-lambda", assertion={**_CENTER, "grad_factor": 1},
                     description=r"\partial L/\partial c_y = \lambda(c_y - x)"),
        FalseVariant(name="optimum-median", assertion={**_CENTER, "optimum": "median"},
                     description="the optimal centre is the class median"),
        FalseVariant(name="features-untouched", assertion={**_CENTER, "reaches_features": False},
                     description="the centre term does not reach the features"),
        FalseVariant(name="frozen-centres", model=f"{MODELS}:buggy_center_loss_frozen_centres",
                     description="a layer whose centres are a buffer, not trainable weights, learns the class means"),
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
    assertion={"target": "uniform-over-k"},
    symbolic=f"{CHECKS}.smoothing:smoothing_symbolic",
    numeric=f"{CHECKS}.smoothing:smoothing_numeric",
    notes="The post's callback sets e = 0.01 only from epoch 100 on, which its 10-epoch example never reaches.",
    false_variants=(
        FalseVariant(name="no-division-by-k", assertion={"target": "no-division"},
                     description="the mixed loss is CE with target (1 − e)y + e"),
        FalseVariant(name="over-k-minus-one", assertion={"target": "over-k-minus-1"},
                     description="the mixed loss is CE with target (1 − e)y + e/(K − 1)·(1 − y)"),
        FalseVariant(name="temperature-scaling", assertion={"target": "temperature"},
                     description="the mixing is equivalent to temperature scaling of the logits"),
    ),
)

PIECEWISE = {"piecewise": [[0, 1e-2], [50, 1e-3], [80, 1e-4]], "unit": "epoch", "counting": 0}
_PHASES = [1e-2, 1e-3, 1e-4]

PIECEWISE_SCHEDULE = Claim(
    id="keras.piecewise-schedule",
    label="KER-5",
    title="lr_schedule: 1e-2 before epoch 50, 1e-3 before epoch 80, then 1e-4 (epochs counted from 0)",
    statement=r"\mathrm{lr}(e) = 10^{-2}\,[e<50] + 10^{-3}\,[50\le e<80] + 10^{-4}\,[e\ge80],\ e = 0, 1, \dots;"
    r"\ \text{all three phases within 100 epochs}",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "schedule"),
    status=Status.EXACT,
    assertion={"schedule": "piecewise", "epochs": 100, "formula": PIECEWISE, "phases": _PHASES},
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    false_variants=(
        FalseVariant(name="epoch-50-uses-1e-2",
                     assertion={"schedule": "piecewise", "epochs": 100, "phases": _PHASES,
                                "formula": {**PIECEWISE, "piecewise": [[0, 1e-2], [51, 1e-3], [80, 1e-4]]}},
                     description="epoch 50 still uses 1e-2"),
        FalseVariant(name="counted-from-one",
                     assertion={"schedule": "piecewise", "epochs": 100, "phases": _PHASES,
                                "formula": {**PIECEWISE, "counting": 1}},
                     description="the epochs the schedule receives are counted from 1"),
        FalseVariant(name="ten-epochs-reach-1e-4",
                     assertion={"schedule": "piecewise", "epochs": 10, "formula": PIECEWISE, "phases": _PHASES},
                     description="the 10-epoch example reaches 1e-4"),
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
    expected="refuted",
    assertion={"schedule": "piecewise", "epochs": 10, "formula": PIECEWISE, "phases": _PHASES},
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
    assertion={"schedule": "piecewise", "epochs": 10, "formula": PIECEWISE, "phases": [1e-2], "only": True},
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    false_variants=(
        FalseVariant(name="ten-epochs-reach-1e-3",
                     assertion={"schedule": "piecewise", "epochs": 10, "formula": PIECEWISE,
                                "phases": [1e-2, 1e-3], "only": True},
                     description="the 10-epoch example also reaches 1e-3"),
        FalseVariant(name="fifty-epochs-reach-1e-3",
                     assertion={"schedule": "piecewise", "epochs": 50, "formula": PIECEWISE,
                                "phases": [1e-2, 1e-3]},
                     description="50 epochs are enough to reach 1e-3"),
    ),
)

WARMUP = {"warmup": {"peak": 1e-3, "epochs": 10, "offset": 1}, "unit": "batch"}
_WARM = {"schedule": "warmup", "epochs": 12, "phases": [1e-3]}

WARMUP_SCHEDULE = Claim(
    id="keras.warmup-schedule",
    label="KER-8",
    title="Linear warmup: lr_t = 0.001 (t + 1)/(10S) for the 0-based batch t < 10S, S = ⌈N/B⌉, then 0.001",
    statement=r"S=\lceil N/B\rceil:\ \mathrm{lr}_t = 0.001\min\Bigl(1,\frac{t+1}{10S}\Bigr);\ "
    r"\mathrm{lr}_0 = \frac{0.001}{10S},\ \mathrm{lr}_{10S-1} = 0.001",
    source=POST.at("花式回调器 / warmup"),
    tags=("keras", "schedule", "warmup"),
    status=Status.EXACT,
    assertion={**_WARM, "formula": WARMUP},
    symbolic=f"{CHECKS}.schedules:warmup_symbolic",
    numeric=f"{CHECKS}.schedules:post_schedule_numeric",
    false_variants=(
        FalseVariant(name="rises-epoch-wise", assertion={**_WARM, "formula": {**WARMUP, "unit": "epoch"}},
                     description="the lr rises in epoch-wise steps, 0.001 (e + 1)/10"),
        FalseVariant(name="peak-after-nine-epochs",
                     assertion={**_WARM, "formula": {**WARMUP, "warmup": {**WARMUP["warmup"], "epochs": 9}}},
                     description="it reaches 0.001 after 9 epochs"),
        FalseVariant(name="first-lr-zero",
                     assertion={**_WARM, "formula": {**WARMUP, "warmup": {**WARMUP["warmup"], "offset": 0}}},
                     description="the first lr is exactly 0: lr_t = 0.001 t/(10S)"),
        FalseVariant(name="steps-floor", assertion={**_WARM, "formula": WARMUP, "steps": "floor"},
                     description="S = ⌊N/B⌋, the last partial batch not counted"),
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
    expected="refuted",
    assertion={**_WARM, "formula": WARMUP, "first_lr": 0.0},
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
    assertion={"fires": _FIRES, "order": "nested"},
    numeric=f"{CHECKS}.callbacks:hooks_numeric",
    notes="Behavioural and version-specific (the post used Keras 2.2): observed in Keras 3, which has these six "
    "and more (test and predict hooks, on_train_batch_* behind on_batch_*).",
    false_variants=(
        FalseVariant(name="batch-hooks-once-an-epoch",
                     assertion={"fires": {**_FIRES, "on_batch_begin": "epoch", "on_batch_end": "epoch"},
                                "order": "nested"},
                     description="on_batch_begin and on_batch_end fire once an epoch"),
        FalseVariant(name="train-begin-every-epoch",
                     assertion={"fires": {**_FIRES, "on_train_begin": "epoch"}, "order": "nested"},
                     description="on_train_begin fires at the start of every epoch"),
        FalseVariant(name="epoch-begin-after-first-batch",
                     assertion={"fires": _FIRES, "order": "epoch-begin-after-first-batch"},
                     description="on_epoch_begin fires after the epoch's first batch"),
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
    assertion={"ties": "later"},
    numeric=f"{CHECKS}.callbacks:best_model_numeric",
    notes="Behavioural: checked on what the callback writes to disk, not derived.",
    false_variants=(
        FalseVariant(name="ties-keep-earlier", assertion={"ties": "earlier"},
                     description="on a tie the earlier epoch's weights are kept"),
        FalseVariant(name="strict-comparison", model=f"{MODELS}:buggy_best_model_strict",
                     description="a callback saving on acc > best behaves the same"),
    ),
)

_FOLLOWS = {"shift": 0, "regroup": False}

SCHEDULE_FOLLOWS_FORMULA = Claim(
    id="keras.schedule-follows-formula",
    title="A registered schedule, stepped as a training loop steps it, uses its stated formula's rate at every batch",
    statement=r"\mathrm{lr}^{\text{used}}_t = \mathrm{lr}^{\text{stated}}(t)\quad\forall\,t < E\cdot S"
    r"\quad(t = eS + b,\ \text{0-based})",
    source=POST.at("花式回调器 / 修改超参数"),
    tags=("keras", "schedule", "model"),
    status=Status.EXACT,
    model_kind="lr-schedule",
    assertion=_FOLLOWS,
    numeric=f"{CHECKS}.schedules:follows_formula",
    false_variants=(
        FalseVariant(name="counted-one-off", assertion={"shift": 1, "regroup": False},
                     description="the schedule gives the stated rate one unit late (0- vs 1-based counting)"),
        FalseVariant(name="other-granularity", assertion={"shift": 0, "regroup": True},
                     description="it does not matter whether the schedule is stepped per batch or per epoch"),
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
    assertion={"training": "declared"},
    numeric=f"{CHECKS}.schedules:reaches_phases",
    false_variants=(
        FalseVariant(name="one-epoch-before-the-last-phase", assertion={"training": "before-last-phase"},
                     description="the phases are all reached even when training stops in the epoch before the "
                     "stated formula enters the last one"),
    ),
)

CLAIMS: tuple[Claim, ...] = (LAMBDA, NOISE, SPLIT, CENTER_LOSS, SMOOTHING, PIECEWISE_SCHEDULE, PIECEWISE_AS_POSTED,
                             PIECEWISE_TEN, WARMUP_SCHEDULE, WARMUP_AS_POSTED, HOOKS, BEST_MODEL,
                             SCHEDULE_FOLLOWS_FORMULA, SCHEDULE_REACHES_PHASES)
