"""Time to the SVD optimum for a bias-free linear autoencoder: full-batch L-BFGS against plain Adam and SGD.

For each size ``n/k`` and each spectrum (data ``M`` of shape ``4n × n`` from ``planted_matrix``, spectral gap at
``k``: ``easy`` is the claims' spectrum, top singular values 3 … 2 and tail 0.8 … 0.2; ``hard`` has top 3 … 1 and
tail 0.9 … 0.1, so ``(σ_k² − σ_{k+1}²)/σ_1²`` is 0.02 instead of 0.37) the post's
autoencoder ``nn.Sequential(Linear(n, k), Linear(k, n))`` (no biases) is trained from the same seeded start by

1. **L-BFGS**: the claims' trainer (:func:`kexue_verify_plugins.svd.training.fit_lbfgs`: full batch, strong Wolfe,
   history 100) until it stops on its own;
2. **Adam**: full batch, constant learning rate, the best of ``--adam-lrs`` for each case (the table also
   says how many of the learning rates reached the tighter target at all);
3. **SGD**: full-batch gradient descent with momentum 0.9, the best of ``--sgd-lrs``;

each on the normalised loss ``‖M − f(M)‖²/‖M‖²`` and with a budget of ``--budget`` seconds.  It reports the time
and the number of gradient evaluations until the relative excess ``(L − L*)/L*`` first falls below ``1e-4`` and
``1e-10`` (L* = Σ_{i>k} σ_i²), and, for reference, the time of ``torch.linalg.svd`` of ``M`` itself.  All methods run
in the same process, on one thread (``--threads``), in float64.  Usage::

    python benchmarks/svd_autoencoder.py                          # n/k = 8/2, 32/4, 128/8, both spectra, 5 s
    python benchmarks/svd_autoencoder.py --sizes 8/2,64/8 --budget 10 --threads 1

The figures recorded in docs/topics/svd.md come from this script.
"""

from __future__ import annotations

import argparse
import math
import platform
import time

import torch

from kexue_verify.context import CheckContext
from kexue_verify.threads import set_threads
from kexue_verify_plugins.svd.linalg import cpu_generator, planted_matrix, spectrum
from kexue_verify_plugins.svd.models import linear_autoencoder, seeded
from kexue_verify_plugins.svd.training import Fit, fit_lbfgs

TARGETS = (1e-4, 1e-10)
SPECTRA = {"easy": {"top": (3.0, 2.0), "tail": (0.8, 0.2)}, "hard": {"top": (3.0, 1.0), "tail": (0.9, 0.1)}}


def first_reach(fit: Fit, optimum: float, target: float) -> tuple[float, int] | None:
    """(seconds, evaluations) at which the relative excess first drops to ``target``, or None."""
    for i, (loss, seconds) in enumerate(zip(fit.losses, fit.times, strict=True)):
        if (loss - optimum) / optimum <= target:
            return seconds, i + 1
    return None


def first_order(model: torch.nn.Module, data: torch.Tensor, method: str, lr: float, budget: float) -> Fit:
    """Full-batch Adam or SGD (momentum 0.9) at a constant learning rate, for ``budget`` seconds."""
    scale = float((data**2).sum())
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if method == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    fit = Fit(method=f"{method} lr {lr:g}")
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        opt.zero_grad()
        value = ((data - model(data)) ** 2).sum() / scale
        value.backward()
        opt.step()
        fit.losses.append(float(value.detach()) * scale)
        fit.times.append(time.perf_counter() - start)
    fit.evaluations, fit.seconds = len(fit.losses), time.perf_counter() - start
    return fit


def rank(fit: Fit, optimum: float) -> tuple[float, float, float]:
    """Order runs by time to the tighter target, then to the looser one, then by the best loss reached."""
    times = [(first_reach(fit, optimum, t) or (math.inf,))[0] for t in reversed(TARGETS)]
    return times[0], times[1], min(fit.losses)


def fmt(reached: tuple[float, int] | None, budget: float) -> str:
    return f"{reached[0]:.3f} s ({reached[1]})" if reached else f"> {budget:g} s"


def run_size(n: int, k: int, regime: str, args: argparse.Namespace) -> list[str]:
    data = planted_matrix(4 * n, n, k, cpu_generator(args.seed), **SPECTRA[regime])
    optimum = spectrum(data, k).tail_energy
    ctx = CheckContext(case_id="benchmark", seed=args.seed)
    start = time.perf_counter()
    for _ in range(10):
        torch.linalg.svd(data, full_matrices=False)
    svd_time = (time.perf_counter() - start) / 10
    rows = []
    lbfgs = fit_lbfgs(seeded(linear_autoencoder(n, k), ctx), data, max_evals=10**6)
    runs = [("L-BFGS (no tuning)", lbfgs)]
    for method, lrs in (("adam", args.adam_lrs), ("sgd", args.sgd_lrs)):
        fits = [first_order(seeded(linear_autoencoder(n, k), ctx), data, method, lr, args.budget) for lr in lrs]
        best = min(fits, key=lambda f: rank(f, optimum))
        reached = sum(first_reach(f, optimum, TARGETS[-1]) is not None for f in fits)
        label = "Adam" if method == "adam" else "SGD+momentum"
        runs.append((f"{label} ({best.method.split(' ', 1)[1]}; {reached}/{len(fits)} lrs reach 1e-10)", best))
    gap = spectrum(data, k)
    where = f"{n}/{k} {regime}"
    for name, fit in runs:
        excess = (min(fit.losses) - optimum) / optimum
        cells = [fmt(first_reach(fit, optimum, t), args.budget) for t in TARGETS]
        rows.append(f"| {where} | {name} | {cells[0]} | {cells[1]} | {excess:.1e} | {fit.evaluations} |")
    rows.append(f"| {where} | torch.linalg.svd of M (reference; gap/σ₁² = {gap.gap / gap.largest**2:.2f}) | "
                f"{svd_time * 1e3:.2f} ms | — | — | — |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="8/2,32/4,128/8", help="comma-separated n/k pairs (data has 4n rows)")
    parser.add_argument("--spectra", default="easy,hard", help="comma-separated: easy (the claims'), hard")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per first-order run")
    parser.add_argument("--adam-lrs", type=lambda s: [float(x) for x in s.split(",")], default=[3e-3, 1e-2, 3e-2])
    parser.add_argument("--sgd-lrs", type=lambda s: [float(x) for x in s.split(",")], default=[0.03, 0.1, 0.3])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    set_threads(args.threads)  # ≥ 2 must come from OMP_NUM_THREADS
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s), "
          f"float64, budget {args.budget:g} s per first-order run")
    print("| n/k | method | time to 1e-4 (evals) | time to 1e-10 (evals) | best rel. excess | evals |")
    print("|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        n, k = (int(x) for x in size.split("/"))
        for regime in args.spectra.split(","):
            for row in run_size(n, k, regime, args):
                print(row, flush=True)


if __name__ == "__main__":
    main()
