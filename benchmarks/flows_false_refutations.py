"""False-refutation study: the generic flow checks on correct third-party layers, over many seeds.

Every model below is a correct flow from zuko, nflows or normflows, with every parameter moved well off its
initialisation (``perturb_`` with scale 0.3: zero-initialised last layers no longer give the identity, splines get
uneven bins and slopes).  Each of the four generic checks (log-det, inverse, both directions, structure) runs on it
at every seed; any failing evidence is a **false refutation** (the layers are correct), an undecided one is counted
as inconclusive, a crash as an error.  The table printed (Markdown) is the one in ``docs/topics/flows.md``.

    python benchmarks/flows_false_refutations.py --seeds 20               # float64
    python benchmarks/flows_false_refutations.py --seeds 20 --dtype float32

Needs the ``[flows]`` extra (zuko, nflows, normflows).
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable
from typing import Any

import torch

from kexue_verify import CheckContext, Outcome
from kexue_verify_plugins.flows import layers
from kexue_verify_plugins.flows.checks.directions import directions_check
from kexue_verify_plugins.flows.checks.inverse import inverse_check
from kexue_verify_plugins.flows.checks.logdet import logdet_check
from kexue_verify_plugins.flows.checks.structure import structure_check

D = 4
SCALE = 0.3
CHECKS = {"log-det": logdet_check, "inverse": inverse_check, "directions": directions_check,
          "structure": structure_check}


def _perturbed(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    with layers.seeded(seed + 1_000_003) as gen:
        return layers.perturb_(module.double(), gen, SCALE)


def zuko_models() -> dict[str, Callable[[], Any]]:
    import zuko

    return {
        "zuko MAF": lambda: zuko.flows.MAF(D, transforms=3, hidden_features=(32, 32)),
        "zuko NSF": lambda: zuko.flows.NSF(D, transforms=3, bins=8, hidden_features=(32, 32)),
        "zuko RealNVP": lambda: zuko.flows.RealNVP(D, transforms=3, hidden_features=(32, 32)),
        "zuko NICE": lambda: zuko.flows.NICE(D, transforms=3, hidden_features=(32, 32)),
    }


def nflows_models() -> dict[str, Callable[[], Any]]:
    from nflows import transforms
    from nflows.nn.nets import ResidualNet

    mask = torch.tensor([1, 0, 1, 0])

    def net(i: int, o: int) -> torch.nn.Module:
        return ResidualNet(i, o, hidden_features=16, num_blocks=2)

    return {
        "nflows MAF": lambda: transforms.CompositeTransform([
            transforms.MaskedAffineAutoregressiveTransform(D, hidden_features=16), transforms.ReversePermutation(D),
            transforms.MaskedAffineAutoregressiveTransform(D, hidden_features=16)]),
        "nflows affine coupling": lambda: transforms.CompositeTransform([
            transforms.AffineCouplingTransform(mask, net), transforms.ReversePermutation(D),
            transforms.AffineCouplingTransform(mask, net)]),
        "nflows rational-quadratic coupling": lambda: transforms.CompositeTransform([
            transforms.PiecewiseRationalQuadraticCouplingTransform(mask, net, num_bins=8, tails="linear",
                                                                   tail_bound=3.0),
            transforms.ReversePermutation(D),
            transforms.PiecewiseRationalQuadraticCouplingTransform(mask, net, num_bins=8, tails="linear",
                                                                   tail_bound=3.0)]),
    }


def normflows_models() -> dict[str, Callable[[], Any]]:
    import normflows as nf

    return {
        "normflows affine coupling": lambda: nf.flows.AffineCouplingBlock(nf.nets.MLP([2, 16, 4], init_zeros=True)),
        "normflows masked affine autoregressive": lambda: nf.flows.MaskedAffineAutoregressive(D, 16),
        "normflows rational-quadratic coupling": lambda: nf.flows.CoupledRationalQuadraticSpline(D, 2, 16),
    }


def run(seeds: int, dtype: str) -> list[dict[str, Any]]:
    models = {**zuko_models(), **nflows_models(), **normflows_models()}
    rows = []
    for name, make in models.items():
        counts: collections.Counter[str] = collections.Counter()
        worst: dict[str, float] = {}
        start = time.process_time()
        for seed in range(seeds):
            for check_name, check in CHECKS.items():
                torch.manual_seed(seed)
                model = _perturbed(make(), seed).to(getattr(torch, dtype))
                ctx = CheckContext(case_id=f"{name}/{check_name}", seed=seed, dtype=dtype).with_model(
                    model, name, {"event_shape": (D,)})
                try:
                    evidence = check(ctx, None)
                except Exception as exc:  # noqa: BLE001 - a crash is counted, not raised
                    counts["error"] += 1
                    print(f"  error: {name} {check_name} seed {seed}: {type(exc).__name__}: {exc}")
                    continue
                outcomes = {e.outcome for e in evidence}
                if Outcome.FAIL in outcomes:
                    counts["refuted"] += 1
                    bad = next(e for e in evidence if e.outcome is Outcome.FAIL)
                    print(f"  FALSE REFUTATION: {name} {check_name} seed {seed}: {bad.name} {bad.quantities}")
                elif Outcome.UNDECIDED in outcomes:
                    counts["inconclusive"] += 1
                else:
                    counts["verified"] += 1
                for e in evidence:
                    for key in ("max_error_over_tolerance", "max_error_over_bound", "max_difference_over_bound"):
                        value = e.quantities.get(key)
                        if isinstance(value, float):
                            worst[check_name] = max(worst.get(check_name, 0.0), value)
                largest = next((e.quantities.get("largest_magnitude_probed") for e in evidence
                                if e.name == "probe region"), None)
                counts["largest"] = max(counts["largest"], int(largest or 0))
        rows.append({"model": name, "runs": seeds * len(CHECKS), **counts, "worst": worst,
                     "cpu_s": time.process_time() - start})
    return rows


def table(rows: list[dict[str, Any]], seeds: int, dtype: str) -> str:
    lines = [f"{seeds} seeds × 4 checks, {dtype}, parameters perturbed by {SCALE}(1 + |p|)ε:", "",
             "| model | runs | verified | false refutations | inconclusive | errors | largest magnitude probed "
             "| worst error/tolerance (log-det, inverse, directions, structure) | CPU s |",
             "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        worst = ", ".join(f"{r['worst'].get(c, float('nan')):.2g}" for c in CHECKS)
        lines.append(f"| {r['model']} | {r['runs']} | {r.get('verified', 0)} | {r.get('refuted', 0)} | "
                     f"{r.get('inconclusive', 0)} | {r.get('error', 0)} | {r.get('largest', 0):.3g} | {worst} | "
                     f"{r['cpu_s']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(table(run(args.seeds, args.dtype), args.seeds, args.dtype))


if __name__ == "__main__":
    main()
