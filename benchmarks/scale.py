"""Scale figures, as ratios measured in one run (docs/distributed.md quotes them).

    python benchmarks/scale.py            # everything (about 5 minutes on 2 cores)
    python benchmarks/scale.py --quick    # skip `run all`
    python benchmarks/scale.py --only dask --repeat 3   # only dask against local, alternating, 3 runs each

* one claim, cold and with a warm cache, against ``python -c "import torch"``;
* ``run all -j 2``, and a second ``run all`` with nothing changed (the result cache);
* N user models of one kind, as the issue measured them: the marginal cost of one more model — the slope of
  ``run <4 flow-layer claims> -j 1 --no-cache`` against the number of user models registered by a plugin
  (``--plugins-dir``), from alternating runs with few and many models (medians);
* the same in one process: the model-independent false variants evaluated once per claim (the per-worker memo in
  ``kexue_verify.verdicts``) against once per model;
* ``--executor dask`` on a 2-worker LocalCluster against the local executor (same cases, same report id).

``--baseline PYTHON`` also measures an older checkout, installed in its own environment, whose interpreter is
PYTHON, in the same run: ``run all -j 2`` on the claims it has (the four topics of then), and the per-model slope.

Every command runs in a private cache directory; the user's cache is not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CLAIM = "stirling.formula"
DASK_SELECTION = ("stirling", "svd")
FLOW_CLAIMS = ("flows.layer-logdet", "flows.layer-inverse", "flows.layer-directions-agree", "flows.layer-structure")
#: The topics of the first release, the `run all` of an older checkout (``--baseline``).
FIRST_TOPICS = ("stirling", "flows", "svd", "lipschitz")

ZOO_PLUGIN = '''"""N user flow layers of one factory (N from KV_BENCH_MODELS), as a user's model zoo registers them."""
import os

from kexue_verify import ModelSpec, hookimpl


@hookimpl
def kexue_register_models(registry):
    for i in range(int(os.environ["KV_BENCH_MODELS"])):
        registry.add(ModelSpec(name=f"user-{{i}}", kind="flow-layer", factory={factory!r},
                               description="a user's RealNVP coupling", declared={{"event_shape": (8,)}}))
'''


#: Where the commands run: not in a checkout, whose folders ``python -m`` would import instead of the installed ones.
WORKDIR = tempfile.mkdtemp(prefix="kv-bench-cwd-")


def wall(argv: list[str], env: dict[str, str], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs of a command (its exit code must be 0)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=WORKDIR)
        best = min(best, time.perf_counter() - start)
    return best


def kv(*args: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "kexue_verify", *args]


def _has_cache_option(python: str, env: dict[str, str]) -> bool:
    """Whether this checkout's ``run`` has ``--cache/--no-cache`` (a checkout older than the result cache has not)."""
    out = subprocess.run(kv("run", "--help", python=python), env=env, check=True, capture_output=True, text=True,
                         cwd=WORKDIR)
    return "--no-cache" in out.stdout


def _zoo_factory(python: str, env: dict[str, str]) -> str:
    """The RealNVP coupling's factory in this checkout (it moved from ``layers`` to ``models``)."""
    probe = "import kexue_verify_plugins.flows.models as m; m.make_affine_exp"
    found = subprocess.run([python, "-c", probe], env=env, capture_output=True, cwd=WORKDIR).returncode == 0
    return f"kexue_verify_plugins.flows.{'models' if found else 'layers'}:make_affine_exp"


def model_slope(python: str, env: dict[str, str], few: int, many: int, repeat: int) -> tuple[float, float, float]:
    """Seconds per extra user model: ``run <FLOW_CLAIMS> -j 1`` with ``few`` and with ``many`` user flow layers,
    alternating, ``repeat`` runs each; (slope of the medians, median with few, median with many)."""
    folder = Path(tempfile.mkdtemp(prefix="kv-bench-zoo-"))
    (folder / "bench_zoo.py").write_text(ZOO_PLUGIN.format(factory=_zoo_factory(python, env)), encoding="utf-8")
    argv = kv("run", *FLOW_CLAIMS, "--plugins-dir", str(folder), "-j", "1", "-q", python=python)
    if _has_cache_option(python, env):
        argv.append("--no-cache")
    times: dict[int, list[float]] = {few: [], many: []}
    for _ in range(repeat):
        for n in (few, many):
            times[n].append(wall(argv, {**env, "KV_BENCH_MODELS": str(n)}))
    low, high = statistics.median(times[few]), statistics.median(times[many])
    return (high - low) / (many - few), low, high


def report_id(path: Path) -> str:
    return str(json.loads(path.read_text(encoding="utf-8"))["report_id"])


def user_models(count: int) -> list[Any]:
    """``count`` user flow layers of one factory, as a user's model zoo would register them."""
    from kexue_verify import ModelSpec

    return [ModelSpec(name=f"user-{i}", kind="flow-layer", factory="kexue_verify_plugins.flows.models:make_affine_exp",
                      description="a user's RealNVP coupling", declared={"event_shape": (8,)}) for i in range(count)]


def per_model_cost(count: int) -> tuple[float, float, int, int]:
    """Seconds per model for the 4 generic flow-layer claims, once per model vs once per claim, in this process."""
    from kexue_verify import Case, RunConfig, load, verdicts
    from kexue_verify.threads import single_threaded
    from kexue_verify.verdicts import evaluate

    loaded = load()
    claims = [loaded.claims[c] for c in FLOW_CLAIMS]
    config = RunConfig()
    with single_threaded():
        evaluate(Case(claims[0], user_models(1)[0]), config)  # warm up: torch, the layers module
        timings = []
        for once_per_claim in (False, True):
            verdicts._MODEL_VARIANTS.clear()
            start = time.perf_counter()
            seen: list[str] = []
            for m in user_models(count):
                if not once_per_claim:
                    verdicts._MODEL_VARIANTS.clear()
                seen += [evaluate(Case(c, m), config).verdict.value for c in claims]
            timings.append((time.perf_counter() - start) / count)
            assert set(seen) == {"verified"}, seen
    computed = len(verdicts._MODEL_VARIANTS)
    reused = sum(len([v for v in c.false_variants if v.model is not None]) for c in claims) * count - computed
    return timings[0], timings[1], computed, reused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the two `run all` measurements")
    parser.add_argument("--models", type=int, default=8, help="N user models in one process (default 8)")
    parser.add_argument("--slope", default="1,33", metavar="FEW,MANY",
                        help="user models in the runs the per-model slope compares (default 1,33)")
    parser.add_argument("--slope-repeat", type=int, default=5,
                        help="runs with each number of models for the slope, alternating (default 5)")
    parser.add_argument("--baseline", metavar="PYTHON",
                        help="also measure the checkout installed for this interpreter, in the same run")
    parser.add_argument("--only", choices=["dask"], help="measure only this (dask: --executor dask against local)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternating runs of each side for the dask figure and the baseline's `run all` "
                             "(default 1)")
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="kv-bench-cache-"))
    env = {**os.environ, "KEXUE_VERIFY_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    rows: list[tuple[str, float, str]] = []

    if args.only != "dask":
        general(args, env, rows)
    dask_against_local(args.repeat, cache, env, rows)

    print(f"{'what':<62} {'seconds':>8}  ratio")
    for what, seconds, ratio in rows:
        print(f"{what:<62} {seconds:8.2f}  {ratio}")


def general(args: argparse.Namespace, env: dict[str, str], rows: list[tuple[str, float, str]]) -> None:
    """Every figure but the dask one."""
    torch_s = wall([sys.executable, "-c", "import torch"], env, repeat=3)
    rows.append(('python -c "import torch"', torch_s, "1.00×"))
    cold = wall(kv("run", CLAIM, "-j", "1", "-q", "--no-cache"), env, repeat=3)
    rows.append((f"run {CLAIM} -j 1, cold (--no-cache)", cold, f"{cold / torch_s:.2f}× import torch"))
    wall(kv("run", CLAIM, "-j", "1", "-q"), env)  # fills the cache
    warm = wall(kv("run", CLAIM, "-j", "1", "-q"), env, repeat=3)
    rows.append((f"run {CLAIM}, warm cache", warm, f"{warm / torch_s:.2f}× import torch"))

    if not args.quick:
        first = wall(kv("run", "all", "-j", "2", "-q"), env)
        rows.append(("run all -j 2 (empty cache)", first, "1.00×"))
        second = wall(kv("run", "all", "-j", "2", "-q"), env)
        rows.append(("run all -j 2 again, nothing changed", second, f"{second / first:.2f}× the first"))
        if args.baseline:  # alternating, so that a change in the machine's load reaches both
            topics = " ".join(FIRST_TOPICS)
            nows, thens = [], []
            for _ in range(args.repeat):
                nows.append(wall(kv("run", *FIRST_TOPICS, "-j", "2", "-q", "--no-cache"), env))
                thens.append(wall(kv("run", "all", "-j", "2", "-q", python=args.baseline), env))
            pairs = ", ".join(f"{n / t:.2f}" for n, t in zip(nows, thens, strict=True))
            runs = f", best of {args.repeat}" if args.repeat > 1 else ""
            rows.append((f"baseline: run all -j 2 ({topics}{runs})", min(thens), "1.00×"))
            rows.append((f"run {topics} -j 2 --no-cache{runs}", min(nows),
                         f"{min(nows) / min(thens):.2f}× the baseline (each pair: {pairs})"))

    few, many = (int(n) for n in args.slope.split(","))
    slope, low, high = model_slope(sys.executable, env, few, many, args.slope_repeat)
    what = f"one more user flow layer, 4 claims, -j 1 ({few} vs {many} models)"
    if args.baseline:
        then, then_low, then_high = model_slope(args.baseline, env, few, many, args.slope_repeat)
        rows.append((f"baseline: {what}", then, f"per model ({then_low:.2f} s, {then_high:.2f} s)"))
        rows.append((what, slope, f"per model ({low:.2f} s, {high:.2f} s), {slope / then:.2f}× the baseline"))
    else:
        rows.append((what, slope, f"per model ({low:.2f} s, {high:.2f} s)"))

    once_per_model, once_per_claim, computed, reused = per_model_cost(args.models)
    rows.append((f"{args.models} user flow layers × 4 claims, variants once per model", once_per_model, "per model"))
    rows.append((f"{args.models} user flow layers × 4 claims, variants once per claim", once_per_claim,
                 f"per model, {once_per_claim / once_per_model:.2f}× ({computed} computed, {reused} reused)"))



def dask_against_local(repeat: int, cache: Path, env: dict[str, str], rows: list[tuple[str, float, str]]) -> None:
    """``--executor dask`` (a 2-worker LocalCluster) against the local executor: ``repeat`` runs of each, alternating
    (local first), so that a change in the machine's load reaches both; the best of each, and every pair's ratio."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        rows.append(("--executor dask", float("nan"), "dask.distributed not installed"))
        return
    out = cache / "reports"
    out.mkdir(exist_ok=True)
    base = ("run", *DASK_SELECTION, "-j", "2", "-q", "--no-cache")
    local: list[float] = []
    dask: list[float] = []
    ids = set()
    for i in range(repeat):
        local.append(wall(kv(*base, "-o", str(out / f"local-{i}.json")), env))
        dask.append(wall(kv(*base, "--executor", "dask", "-o", str(out / f"dask-{i}.json")), env))
        ids |= {report_id(out / f"local-{i}.json"), report_id(out / f"dask-{i}.json")}
    pairs = ", ".join(f"{d / lo:.2f}" for lo, d in zip(local, dask, strict=True))
    what = f"run {' '.join(DASK_SELECTION)} -j 2"
    runs = f" (best of {repeat})" if repeat > 1 else ""
    rows.append((f"{what}, local{runs}", min(local), "1.00×"))
    rows.append((f"{what}, --executor dask{runs}", min(dask),
                 f"{min(dask) / min(local):.2f}× local (each pair: {pairs}), report id "
                 + ("identical" if len(ids) == 1 else "DIFFERENT")))
    if repeat > 1:
        print("local:", " ".join(f"{t:.2f}" for t in local), " dask:", " ".join(f"{t:.2f}" for t in dask))


if __name__ == "__main__":
    main()
