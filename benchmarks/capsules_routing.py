"""Time per EM-routing iteration for a convolutional capsule layer at a realistic size.

One output position of a capsule convolution with a K×K window, B input and C output capsule types routes
``n_in = K·K·B`` children to ``n_out = C`` parents with 4×4 poses (``pose = 16``); the batch runs over images × output
positions.  The default is the paper's ConvCaps size, K = 3, B = C = 32 (n_in = 288, n_out = 32), for a batch of
1, 36 (one 6×6 feature map) and 144 (four of them) positions.  For each batch it times, in float32 and float64:

* the reference :class:`kexue_verify_plugins.capsules.routing.EMRouting` (Procedure 1) with 1 and 3 iterations —
  the difference divided by 2 is the time of one M-step + E-step pair, without the vote computation;
* the matrix-capsule layer's votes ``V_ij = P_i W_ij`` (einsum over 288 × 32 4×4 products) on their own;
* forward + backward through 3 unrolled iterations.

Best of ``--repeat`` runs (CUDA synchronised), after one warm-up.  Usage::

    python benchmarks/capsules_routing.py                        # CPU, one thread
    python benchmarks/capsules_routing.py --device cuda --batches 1,36,144,1152
    python benchmarks/capsules_routing.py --threads 2 --repeat 10

The figures in docs/topics/capsules.md come from this script.
"""

from __future__ import annotations

import argparse
import platform

import torch
from timing import timed

from kexue_verify.threads import set_threads
from kexue_verify_plugins.capsules.routing import EMRouting, MatrixCapsules


def inputs(batch: int, n_in: int, n_out: int, dtype: torch.dtype, device: str) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    layer = MatrixCapsules(n_in, n_out, generator=gen).to(device=device, dtype=dtype)
    poses = torch.randn(batch, n_in, 4, 4, generator=gen, dtype=torch.float64).to(device, dtype)
    a_in = torch.rand(batch, n_in, generator=gen, dtype=torch.float64).to(device, dtype)
    return layer, poses, a_in


def bench(batch: int, n_in: int, n_out: int, dtype: torch.dtype, device: str, repeat: int) -> dict[str, float]:
    layer, poses, a_in = inputs(batch, n_in, n_out, dtype, device)
    routing = EMRouting()
    with torch.no_grad():
        votes = layer.votes(poses)
        beta = torch.zeros(n_out, dtype=dtype, device=device)

        def route(t: int):
            return lambda: routing(votes, a_in, beta, beta, 0.01, t)

        for fn in (route(1), route(3), lambda: layer.votes(poses)):
            fn()                                                     # warm-up
        _, t1 = timed(route(1), device, repeat)
        _, t3 = timed(route(3), device, repeat)
        _, tv = timed(lambda: layer.votes(poses), device, repeat)

    def backward() -> None:
        out = layer(poses, a_in)
        (out.poses.sum() + out.activations.sum()).backward()

    backward()
    _, tb = timed(backward, device, repeat)
    return {"m_step": t1, "iteration": (t3 - t1) / 2, "three": t3, "votes": tv, "fwd_bwd": tb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batches", default="1,36,144")
    parser.add_argument("--window", type=int, default=3)
    parser.add_argument("--types-in", type=int, default=32)
    parser.add_argument("--types-out", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.device == "cpu":
        set_threads(args.threads)
    n_in, n_out = args.window**2 * args.types_in, args.types_out
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "cpu"
    print(f"# EM routing, n_in = {n_in} ({args.window}×{args.window}×{args.types_in}), n_out = {n_out}, pose 4×4; "
          f"{args.device} ({name}), torch {torch.__version__}, threads {torch.get_num_threads()}")
    print("| dtype | batch | votes (ms) | 1 iteration = M-step (ms) | per extra iteration (ms) | 3 iterations (ms) "
          "| forward+backward, 3 it. (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for dtype in (torch.float32, torch.float64):
        for batch in (int(b) for b in args.batches.split(",")):
            r = bench(batch, n_in, n_out, dtype, args.device, args.repeat)
            print(f"| {str(dtype).removeprefix('torch.')} | {batch} | {1e3 * r['votes']:.2f} | {1e3 * r['m_step']:.2f} "
                  f"| {1e3 * r['iteration']:.2f} | {1e3 * r['three']:.2f} | {1e3 * r['fwd_bwd']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
