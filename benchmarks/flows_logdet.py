"""Verify the log-det of a Glow step from its full Jacobian, and time it: torch.func against the row-by-row loop.

For a Glow step (actnorm → LU 1×1 convolution → sigmoid-affine coupling, conditioner width ``--width``) on a
3×s×s input, D = 3s², this script

1. computes the full D×D Jacobian with ``torch.func`` — ``vmap(jacrev)`` (reverse mode, ``--chunk`` rows per batched
   pass) and ``jacfwd`` (forward mode, ``--chunk`` columns per batched pass);
2. computes it by Jacobian compression (:func:`local_jacobian`, radius 2: exact for this architecture only, whose
   outputs depend on inputs at most two pixels away) — one batched ``vjp`` per colour instead of one per row;
3. computes it with the naive loop, one ``torch.autograd.grad`` call per row — in full for D ≤ ``--naive-max``, and
   above that on the first ``--naive-rows`` rows only, the full time being estimated as (time per row) × D (marked
   "est." in the table);
4. takes ``slogdet`` in float64 and compares it with the log-det the layer reports;

and prints one row per D.  Usage::

    python benchmarks/flows_logdet.py                         # D = 48, 192, 768, 3072 on the CPU, float64
    python benchmarks/flows_logdet.py --dtype float32 --sizes 4,8,16,32 --device cuda

The figures recorded in docs/topics/flows.md come from this script.
"""

from __future__ import annotations

import argparse
import os
import platform

import torch
from timing import timed

from kexue_verify.threads import set_threads
from kexue_verify.tolerances import tolerance
from kexue_verify_plugins.flows import layers, multiscale
from kexue_verify_plugins.flows.jacobian import (
    batch_jacobian,
    componentwise_condition,
    local_jacobian,
    naive_jacobian,
    slogdet64,
)


def glow_step(side: int, width: int, device: str, dtype: torch.dtype, seed: int = 0) -> multiscale.GlowStep:
    with layers.seeded(seed) as gen:
        step = layers.finish_layer(multiscale.GlowStep((3, side, side), gen, hidden=width), gen, scale=0.05)
    return step.to(device=device, dtype=dtype).eval()




def row(side: int, args: argparse.Namespace) -> dict[str, float | int | str]:
    dtype = getattr(torch, args.dtype)
    step = glow_step(side, args.width, args.device, dtype)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 3, side, side, generator=gen, dtype=torch.float64).to(args.device, dtype)
    d = x.numel()

    def fn(v: torch.Tensor) -> torch.Tensor:
        return step(v)[0]

    with torch.no_grad():
        _, reported = step(x)
    fn(x)  # warm-up
    jac_rev, t_rev = timed(lambda: batch_jacobian(fn, x, method="rev", chunk_size=args.chunk)[0], args.device)
    jac_fwd, t_fwd = timed(lambda: batch_jacobian(fn, x, method="fwd", chunk_size=args.chunk)[0], args.device)
    jac_local, t_local = timed(lambda: local_jacobian(fn, x, radius=2), args.device)
    rows = d if d <= args.naive_max else min(args.naive_rows, d)
    jac_loop, t_loop = timed(lambda: naive_jacobian(fn, x, rows=rows), args.device)
    t_loop_full = t_loop * d / rows
    (sign, logabs), t_slogdet = timed(lambda: slogdet64(jac_rev), args.device)
    kappa = float(componentwise_condition(jac_rev)[0])
    err = abs(float(reported[0]) - float(logabs[0]))
    tol = tolerance(args.dtype, n=d, condition=kappa) + tolerance(args.dtype, n=d, scale=abs(float(logabs[0])))
    agree = float((jac_rev - jac_fwd).abs().max())
    loop_agree = float((jac_rev[0, :rows] - jac_loop[0]).abs().max())
    return {
        "D": d, "rev_s": t_rev, "fwd_s": t_fwd, "loop_s": t_loop_full, "loop_est": rows < d,
        "speedup_rev": t_loop_full / t_rev, "speedup_fwd": t_loop_full / t_fwd, "slogdet_s": t_slogdet,
        "logdet": float(logabs[0]), "error": err, "tolerance": tol, "ok": err <= tol and float(sign[0]) != 0,
        "rev_vs_fwd": agree, "rev_vs_loop": loop_agree, "rows_timed": rows, "local_s": t_local,
        "speedup_local": t_loop_full / t_local, "rev_vs_local": float((jac_rev[0] - jac_local).abs().max()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4,8,16,32", help="image sides s (D = 3 s²), comma-separated")
    parser.add_argument("--width", type=int, default=64, help="conditioner width (Glow uses 512)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--chunk", type=int, default=256, help="rows (rev) / columns (fwd) per batched pass")
    parser.add_argument("--naive-max", type=int, default=768, help="largest D whose naive loop runs in full")
    parser.add_argument("--naive-rows", type=int, default=256, help="rows timed for larger D (then extrapolated)")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    args = parser.parse_args(argv)
    if args.threads:
        set_threads(args.threads)  # ≥ 2 must come from OMP_NUM_THREADS
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device")
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "cpu"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# Glow step (actnorm, LU 1x1 conv, sigmoid coupling, width {args.width}); {args.dtype} on {args.device} "
          f"({device_name}, {os.cpu_count()} CPUs, load {load:.1f}); torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; chunk {args.chunk}")
    print("|    D | vmap(jacrev) s | jacfwd s | naive loop s | speed-up rev | speed-up fwd | local r=2 s | "
          "speed-up local | slogdet s | log-det error / tol | max diff fwd, loop, local |")
    print("|-----:|---------------:|---------:|-------------:|-------------:|-------------:|------------:|"
          "---------------:|----------:|------------------:|------------------------:|")
    sides = [int(s) for s in args.sizes.split(",")]
    row(sides[0], args)  # warm-up: the first torch.func / autograd calls pay one-off setup costs
    for side in sides:
        r = row(side, args)
        loop = f"{r['loop_s']:.2f}" + (f" est. ({r['rows_timed']} rows)" if r["loop_est"] else "")
        print(f"| {r['D']:4d} | {r['rev_s']:14.3f} | {r['fwd_s']:8.3f} | {loop:>12} | {r['speedup_rev']:11.1f}× | "
              f"{r['speedup_fwd']:11.1f}× | {r['local_s']:11.3f} | {r['speedup_local']:13.1f}× | "
              f"{r['slogdet_s']:9.3f} | {r['error']:.1e} / {r['tolerance']:.1e} {'ok' if r['ok'] else 'FAIL'} | "
              f"{r['rev_vs_fwd']:.0e}, {r['rev_vs_loop']:.0e}, {r['rev_vs_local']:.0e} |", flush=True)


if __name__ == "__main__":
    main()
