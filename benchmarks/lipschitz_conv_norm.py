"""The operator norm of a 3×3 circular convolution with c → c channels on n×n inputs, three ways, in the same run.

1. **FFT** (Sedghi, Gupta & Long 2019): the largest singular value of the matrices ``K̂(ω)`` (c×c) of the 2-D DFT
   of the kernel zero-padded to n×n — exact; half the n² frequencies suffice (``rfft2``: ``K̂(−ω)`` is the
   conjugate of ``K̂(ω)`` for a real kernel);
2. **power iteration on the operator**: ``--power-steps`` steps of ``v ← Aᵀ A v`` with ``conv2d`` and its adjoint
   (``torch.func.vjp``); the estimate is a lower bound, its relative error against the FFT is reported;
3. **SVD of the explicit matrix** (c·n² × c·n², built column by column by applying the layer to the identity): run
   when ``c·n² ≤ --explicit-max``; above that its time is *estimated* from the largest size measured with the same
   c, scaled by ``N³`` (build and SVD are both cubic here), and its memory (8N² bytes in float64) is reported — the
   row is marked "est.".

Usage::

    python benchmarks/lipschitz_conv_norm.py                        # c = 16, 32, 64 on 32×32, float64, CPU
    python benchmarks/lipschitz_conv_norm.py --sizes 8,16 --explicit-max 4096
    python benchmarks/lipschitz_conv_norm.py --figure docs/topics/lipschitz_conv_norm.svg

The figures recorded in docs/topics/lipschitz.md come from this script.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path
from typing import Any

import torch
from timing import timed

from kexue_verify.threads import set_threads
from kexue_verify_plugins.lipschitz.norms import (
    circular_conv,
    conv_explicit_matrix,
    conv_operator_norm,
    operator_power_iteration,
)


def explicit_norm(weight: torch.Tensor, n: int) -> float:
    layer = circular_conv(weight, 1)
    with torch.no_grad():
        matrix = conv_explicit_matrix(layer, (weight.shape[1], n, n), dtype=weight.dtype, device=str(weight.device))
        return float(torch.linalg.matrix_norm(matrix, ord=2))


def row(c: int, n: int, args: argparse.Namespace, calibration: dict[int, tuple[int, float]]) -> dict[str, Any]:
    dtype = getattr(torch, args.dtype)
    gen = torch.Generator().manual_seed(c)
    weight = torch.randn(c, c, 3, 3, generator=gen, dtype=torch.float64).to(args.device, dtype) / (3 * c**0.5)
    fft, t_fft = timed(lambda: float(conv_operator_norm(weight, (n, n), padding=1, padding_mode="circular").value),
                       args.device, repeat=3)
    x0 = torch.randn(1, c, n, n, generator=gen, dtype=torch.float64).to(args.device, dtype)
    trace, t_power = timed(lambda: operator_power_iteration(circular_conv(weight, 1), x0, args.power_steps),
                           args.device)
    errors = ((fft - trace.estimates) / fft).tolist()
    to_1e6 = next((i + 1 for i, e in enumerate(errors) if e <= 1e-6), None)
    size = c * n * n
    out: dict[str, Any] = {"c": c, "n": n, "N": size, "fft": fft, "fft_s": t_fft, "power_s": t_power,
                           "power_rel_error": errors[-1], "power_steps_to_1e-6": to_1e6,
                           "explicit_GB": 8 * size**2 / 1e9 if dtype == torch.float64 else 4 * size**2 / 1e9}
    if size <= args.explicit_max:
        value, t_svd = timed(lambda: explicit_norm(weight, n), args.device)
        out.update(svd=value, svd_s=t_svd, svd_est=False, svd_vs_fft=abs(value - fft) / fft)
        calibration[c] = (size, t_svd)
    elif c in calibration:
        base, t_base = calibration[c]
        out.update(svd=None, svd_s=t_base * (size / base) ** 3, svd_est=True, svd_vs_fft=None)
    else:
        out.update(svd=None, svd_s=None, svd_est=True, svd_vs_fft=None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", default="16,32,64")
    parser.add_argument("--sizes", default="8,16,32", help="input sizes n; the last is the target, the smaller "
                        "ones calibrate the explicit-SVD estimate")
    parser.add_argument("--power-steps", type=int, default=100)
    parser.add_argument("--explicit-max", type=int, default=4096, help="largest N = c·n² for the explicit SVD")
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    parser.add_argument("--figure", type=Path, action="append", default=[],
                        help="write the timing figure (SVG or PNG; may be repeated)")
    args = parser.parse_args()
    if args.threads:
        set_threads(args.threads)  # ≥ 2 must come from OMP_NUM_THREADS
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {args.dtype}, {args.device}")
    header = (f"{'c':>3} {'n':>3} {'N=c·n²':>7} {'FFT norm':>10} {'FFT s':>9} {'power s':>9} "
              f"{'power rel.err':>13} {'steps→1e-6':>10} {'SVD s':>12} {'|SVD−FFT|/FFT':>13} {'matrix GB':>9}")
    print(header)
    warm = torch.randn(2, 2, 3, 3, dtype=getattr(torch, args.dtype), device=args.device)
    conv_operator_norm(warm, (4, 4), padding=1, padding_mode="circular")
    operator_power_iteration(circular_conv(warm, 1), torch.ones(1, 2, 4, 4, dtype=warm.dtype, device=warm.device), 2)
    rows, calibration = [], {}
    for c in (int(v) for v in args.channels.split(",")):
        for n in (int(v) for v in args.sizes.split(",")):
            r = row(c, n, args, calibration)
            rows.append(r)
            svd = "—" if r["svd_s"] is None else (f"~{r['svd_s']:.3g} est." if r["svd_est"] else f"{r['svd_s']:.3g}")
            agree = "—" if r["svd_vs_fft"] is None else f"{r['svd_vs_fft']:.1e}"
            print(f"{c:>3} {n:>3} {r['N']:>7} {r['fft']:>10.6f} {r['fft_s']:>9.2e} {r['power_s']:>9.3f} "
                  f"{r['power_rel_error']:>13.2e} {r['power_steps_to_1e-6'] or '>' + str(args.power_steps):>10} "
                  f"{svd:>12} {agree:>13} {r['explicit_GB']:>9.3g}")
    if args.figure:
        from kexue_verify.reports.figures import draw_figure

        target = int(args.sizes.split(",")[-1])
        final = [r for r in rows if r["n"] == target]
        series = [
            {"label": "FFT (exact)", "x": [r["c"] for r in final], "y": [r["fft_s"] for r in final]},
            {"label": f"power iteration ({args.power_steps} steps)", "x": [r["c"] for r in final],
             "y": [r["power_s"] for r in final]},
        ]
        svd = [r for r in final if r["svd_s"] is not None]
        if svd:
            series.append({"label": "explicit SVD (est. above N = " + str(args.explicit_max) + ")",
                           "x": [r["c"] for r in svd], "y": [r["svd_s"] for r in svd]})
        figure = {"title": f"Operator norm of a 3×3 circular conv on {target}×{target}", "xlabel": "channels c",
                  "ylabel": "seconds", "yscale": "log", "xscale": "log", "series": series}
        for path in args.figure:
            draw_figure(figure, path)
            print(f"figure: {path}")


if __name__ == "__main__":
    main()
