"""The empirical lower bound of a network's Lipschitz constant: the search against random sampling at equal budget.

For each built-in ``lipschitz-net`` model (and the post's conv recipe, and a network with a hand-written
activation), and each seed, this script runs

* the **search** of ``kexue_verify_plugins.lipschitz.bounds.empirical_lower_bound`` — screening, gradient ascent on
  difference quotients, power iteration on ``JᵀJ`` at the centres found — with ``--restarts`` starts, and
* **random sampling**: ``‖J_f(x)‖₂`` (10 steps of power iteration each) at ``x ~ N(0, I)``, as many points as the
  search's budget allows,

with the budget counted in Jacobian products (one ``jvp`` or ``vjp``, or one forward-and-backward of a point).  It
prints, per model and budget, the best value each found (mean over seeds, and how often the search won), next to
the certified upper bound.  ``--budgets`` multiplies the number of restarts (and so the budget) of both.

Usage::

    python benchmarks/lipschitz_lower_bound.py                          # 5 seeds, budgets ×1 ×4
    python benchmarks/lipschitz_lower_bound.py --seeds 10 --figure docs/topics/lipschitz_sandwich.svg

The figures recorded in docs/topics/lipschitz.md come from this script.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from kexue_verify import CheckContext
from kexue_verify.threads import set_threads
from kexue_verify_plugins.lipschitz import models
from kexue_verify_plugins.lipschitz.bounds import (
    certified_upper_bound,
    empirical_lower_bound,
    random_search_lower_bound,
)

MODELS = {
    "sn-mlp": models.make_sn_mlp,
    "sn-residual-block": models.make_sn_residual_block,
    "fft-normalized-convnet": models.make_fft_normalized_convnet,
    "post-reshaped-sn-convnet": models.make_reshaped_sn_convnet,
    "torch-sn-conv2d": models.make_torch_sn_conv,
    "swish-mlp": models.make_swish_mlp,
}
RANDOM_POWER_STEPS = 10


def compare(name: str, factor: int, seeds: int, restarts: int) -> dict[str, Any]:
    model = MODELS[name](CheckContext(case_id="benchmark", seed=0))
    shape = model.kexue_declared["input_shape"]
    search, random_, times = [], [], [0.0, 0.0]
    budget = 0
    for seed in range(seeds):
        start = time.perf_counter()
        found = empirical_lower_bound(model, shape, restarts=restarts * factor,
                                      generator=torch.Generator().manual_seed(seed))
        times[0] += time.perf_counter() - start
        budget = found.evaluations * restarts * factor
        points = budget // (2 * RANDOM_POWER_STEPS + 1)
        start = time.perf_counter()
        random_.append(random_search_lower_bound(model, shape, points=points, power_steps=RANDOM_POWER_STEPS,
                                                 generator=torch.Generator().manual_seed(seed)))
        times[1] += time.perf_counter() - start
        search.append(found.value)
    upper = certified_upper_bound(model, shape).value
    return {"model": name, "budget": budget, "search_mean": statistics.fmean(search), "search_min": min(search),
            "random_mean": statistics.fmean(random_), "random_max": max(random_),
            "wins": sum(s > r for s, r in zip(search, random_, strict=True)),
            "ties": sum(s == r for s, r in zip(search, random_, strict=True)),
            "seeds": seeds, "upper": upper, "declared": model.kexue_declared["lipschitz_bound"],
            "search_s": times[0] / seeds, "random_s": times[1] / seeds}


def draw_sandwich(rows: list[dict[str, Any]], path: Path) -> None:
    """Grouped bars per model at the smallest budget: random sampling, the search (both lower bounds), the
    certified upper bound (hatched "none" where there is no certificate) and the declared bound (a tick)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    base = [r for r in rows if r["budget"] == min(x["budget"] for x in rows if x["model"] == r["model"])]
    fig, ax = plt.subplots(figsize=(9.0, 4.2))
    width = 0.27
    for i, r in enumerate(base):
        ax.bar(i - width, r["random_max"], width, color="tab:gray", label="random sampling, best of seeds" if not i
               else None)
        ax.bar(i, r["search_mean"], width, color="tab:blue", label="search, mean over seeds" if not i else None)
        if r["upper"] is not None:
            ax.bar(i + width, r["upper"], width, color="tab:green", label="certified upper" if not i else None)
        else:
            ax.text(i + width, 0.02, "no certificate", rotation=90, ha="center", va="bottom", fontsize=7,
                    transform=ax.get_xaxis_transform())
        ax.plot([i - 1.6 * width, i + 1.6 * width], [r["declared"]] * 2, color="black", linestyle="--",
                label="declared bound" if not i else None)
    ax.set_xticks(range(len(base)), [r["model"] for r in base], rotation=20, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("Lipschitz constant")
    ax.set_title(f"Lipschitz sandwich per model (budget {base[0]['budget']} Jacobian products)")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--restarts", type=int, default=8)
    parser.add_argument("--budgets", default="1,4", help="multiples of the default budget")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--figure", type=Path, action="append", default=[],
                        help="write the sandwich figure (SVG or PNG; may be repeated)")
    args = parser.parse_args()
    set_threads(args.threads)  # ≥ 2 must come from OMP_NUM_THREADS
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, float64; {args.seeds} seeds")
    print(f"{'model':<26} {'budget':>7} {'search mean':>11} {'search min':>10} {'random mean':>11} "
          f"{'random max':>10} {'wins':>6} {'upper':>9} {'declared':>8} {'search s':>8} {'random s':>8}")
    rows = []
    for name in args.models.split(","):
        for factor in (int(v) for v in args.budgets.split(",")):
            r = compare(name, factor, args.seeds, args.restarts)
            rows.append(r)
            upper = "none" if r["upper"] is None else f"{r['upper']:.4f}"
            print(f"{name:<26} {r['budget']:>7} {r['search_mean']:>11.4f} {r['search_min']:>10.4f} "
                  f"{r['random_mean']:>11.4f} {r['random_max']:>10.4f} {r['wins']:>2}/{r['seeds']:<3} {upper:>9} "
                  f"{r['declared']:>8g} {r['search_s']:>8.2f} {r['random_s']:>8.2f}")
    for path in args.figure:
        draw_sandwich(rows, path)
        print(f"figure: {path}")

if __name__ == "__main__":
    main()
