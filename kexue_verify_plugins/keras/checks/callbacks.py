"""KER-7 and KER-9: behavioural claims about Keras callbacks, observed in a real ``model.fit``.

These are statements about what a library does, not mathematics (catalogue status ``empirical``): the checks
record what Keras 3 on the torch backend actually calls and saves.

* KER-7: the six hooks ``on_{train,epoch,batch}_{begin,end}`` exist on ``keras.callbacks.Callback``, and in
  ``fit(epochs=E)`` with S steps an epoch they fire 1, E and E·S times, nested as train ⊃ epoch ⊃ batch.
* KER-9: the post's ``Evaluate`` saves when ``acc >= best``: on a scripted accuracy sequence with a tie, the file
  left on disk holds the weights of the *later* of the tied epochs (compared weight by weight with snapshots).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from kexue_verify import Evidence, holds
from kexue_verify_plugins.keras.assertions import BestModelTies, CallbackHooks
from kexue_verify_plugins.keras.backend import keras_or_skip, quiet_keras_internals

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end")
#: The run the hooks are recorded on: N = 10 samples, batches of 4 (S = ⌈10/4⌉ = 3), E = 3 epochs.
HOOK_RUN = {"samples": 10, "batch_size": 4, "epochs": 3}


def _expected_sequence(a: CallbackHooks, epochs: int, steps: int) -> list[str]:
    """The hook calls the assertion predicts, in order (``a.fires``: once per fit, epoch or batch)."""
    per = a.fires

    def at(level: str, *hooks: str) -> list[str]:
        return [h for h in hooks if per[h] == level]

    seq = at("fit", "on_train_begin")
    for _ in range(epochs):
        epoch = at("epoch", "on_train_begin", "on_epoch_begin")
        for _ in range(steps):
            epoch += at("batch", "on_train_begin", "on_epoch_begin", "on_batch_begin")
            epoch += at("batch", "on_batch_end", "on_epoch_end", "on_train_end")
        epoch += at("epoch", "on_epoch_end", "on_train_end")
        if a.order == "epoch-begin-after-first-batch" and "on_epoch_begin" in epoch:
            i = epoch.index("on_epoch_begin")
            epoch.insert(i + 2, epoch.pop(i))
        seq += epoch
    return seq + at("fit", "on_train_end")


def _observed_sequence(keras: Any, epochs: int, batch: int, samples: int) -> list[str]:
    import numpy as np

    calls: list[str] = []

    class Recorder(keras.callbacks.Callback):
        pass

    def recorder(name: str) -> Any:
        return lambda self, *args, **kwargs: calls.append(name)

    for hook in HOOKS:
        setattr(Recorder, hook, recorder(hook))
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((samples, 1), dtype="float32")
    with quiet_keras_internals():
        model.fit(x, x, batch_size=batch, epochs=epochs, shuffle=False, verbose=0, callbacks=[Recorder()])
    return calls


def hooks_numeric(ctx: Any, a: CallbackHooks) -> list[Evidence]:
    """KER-7: the hooks exist, and fire as often and in the order the assertion says."""
    keras = keras_or_skip()
    epochs, batch, samples = HOOK_RUN["epochs"], HOOK_RUN["batch_size"], HOOK_RUN["samples"]
    steps = math.ceil(samples / batch)
    defined = sorted(m for m in dir(keras.callbacks.Callback) if m.startswith("on_"))
    method = f"Keras {keras.__version__} ({keras.backend.backend()} backend), fit(epochs={epochs}) with {steps} steps"
    missing = [h for h in HOOKS if h not in defined]
    out = [holds("keras.callbacks.Callback has the six hooks", not missing, method=method,
                 counterexample={"missing": missing}, hooks_defined=defined)]
    observed = _observed_sequence(keras, epochs, batch, samples)
    expected = _expected_sequence(a, epochs, steps)
    counts = {h: observed.count(h) for h in HOOKS}
    want = {h: expected.count(h) for h in HOOKS}
    out.append(holds("how often each hook fires", counts == want, method=method, expected=want,
                     counterexample={"observed": counts}, counts=counts))
    first_diff = next((i for i, (o, e) in enumerate(zip(observed, expected, strict=False)) if o != e), None)
    out.append(holds("the order of the calls", observed == expected, method=method,
                     counterexample={"position": first_diff, "observed": observed[: (first_diff or 0) + 3],
                                     "expected": expected[: (first_diff or 0) + 3]},
                     calls=len(observed)))
    return out


#: The accuracy each epoch reports: a new best at epoch 1, tied at epoch 3.
ACCURACIES = (0.5, 0.8, 0.6, 0.8, 0.7)


def _stated_saves(rule: str) -> list[int]:
    best, saves = 0.0, []
    for epoch, acc in enumerate(ACCURACIES):
        if (acc >= best) if rule == "later" else (acc > best):
            best = acc
            saves.append(epoch)
    return saves


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    import torch

    return a.keys() == b.keys() and all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


def best_model_numeric(ctx: Any, a: BestModelTies) -> list[Evidence]:
    """KER-9: which epochs save, and whose weights the saved file holds after a tie."""
    run = ctx.model
    with tempfile.TemporaryDirectory(prefix="kexue-best-model-") as folder:
        result = run(list(ACCURACIES), Path(folder))
    saves = _stated_saves(a.ties)
    holder = saves[-1]
    matches = [e for e, snap in enumerate(result["snapshots"]) if _same(snap, result["saved"])]
    method = f"accuracies {list(ACCURACIES)} scripted per epoch; weights change every epoch"
    distinct = len({tuple(float(v.flatten()[0]) for v in s.values()) for s in result["snapshots"]})
    return [
        holds("the epochs that save", result["saved_at"] == saves, expected=saves, method=method,
              counterexample={"saved_at": result["saved_at"]}, saved_at=result["saved_at"]),
        holds(f"the saved weights are epoch {holder}'s", matches == [holder], expected=[holder], method=method,
              counterexample={"saved_weights_match_epochs": matches}, distinct_snapshots=distinct),
    ]
