"""The seed sweep: ``run`` over many base seeds, in float64 and float32, and a table of every unexpected verdict.

A check whose own machinery falls short at some seed (an optimiser that did not converge, a witness that is not
generic, an error estimate taken for a bound) gives a *true* claim ``refuted`` there, or a false one ``verified``.
Every claim is expected to give its expected verdict at every seed; this script measures it.  For each seed and
dtype it runs ``kexue-verify run PATTERNS --seed S --dtype D -o report.json`` in a fresh process (so that each run
is exactly what a user would type), reads the JSON report, and collects the cases whose verdict is not the expected
one.  It prints (and with ``--markdown FILE`` writes) a table of those cases, then the wall time per run.

Usage::

    python benchmarks/seed_sweep.py                                   # run all, seeds 0-19, float64 and float32
    python benchmarks/seed_sweep.py 'svd.*' 'lipschitz.*' --seeds 0-4 --dtypes float64
    python benchmarks/seed_sweep.py --markdown docs/seed-sweep-table.md -j 1

The table in ``docs/seed-sweep.md`` comes from this script.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


def parse_seeds(text: str) -> list[int]:
    """``"0-19"`` → 0…19; ``"1,5,9"`` → [1, 5, 9]; the two forms can be mixed (``"0-3,10"``)."""
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            seeds.extend(range(int(lo), int(hi) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def run_once(patterns: list[str], seed: int, dtype: str, jobs: int,
             timeout: float) -> tuple[list[dict[str, Any]], float]:
    """One ``kexue-verify run``; returns the report's results and the wall time in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "kexue_verify", "run", *patterns, "--seed", str(seed), "--dtype", dtype,
                   "-j", str(jobs), "--timeout", str(timeout), "-q", "-o", str(report)]
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if not report.exists():
            raise SystemExit(f"run failed (exit {proc.returncode}) for seed {seed}, {dtype}:\n{proc.stderr[-2000:]}")
        return json.loads(report.read_text())["claims"], elapsed


def unexpected(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in results if r["verdict"] != r["expected"]]


def table(rows: dict[tuple[str, str, str, str], list[int]], runs: int, cases: int) -> str:
    lines = [f"{runs} runs, {cases} cases each; every other case gave its expected verdict at every seed.", ""]
    if not rows:
        return f"No unexpected verdict: {runs} runs, {cases} cases each, every case as expected.\n"
    lines += ["| case | dtype | expected | got | seeds |", "| --- | --- | --- | --- | --- |"]
    for (case, dtype, expected, got), seeds in sorted(rows.items()):
        lines.append(f"| `{case}` | {dtype} | {expected} | {got} | {', '.join(map(str, sorted(seeds)))} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("patterns", nargs="*", default=["all"], help="what to run (as for `kexue-verify run`)")
    parser.add_argument("--seeds", default="0-19", help="base seeds: '0-19', '1,2,3' (default 0-19)")
    parser.add_argument("--dtypes", default="float64,float32", help="comma-separated (default float64,float32)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes per run (default 1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per case (default 600)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)

    rows: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    cases = runs = 0
    for dtype in args.dtypes.split(","):
        for seed in parse_seeds(args.seeds):
            results, elapsed = run_once(args.patterns, seed, dtype, args.jobs, args.timeout)
            runs += 1
            cases = len(results)
            times[dtype].append(elapsed)
            bad = unexpected(results)
            for r in bad:
                rows[(r["id"], dtype, r["expected"], r["verdict"])].append(seed)
            print(f"seed {seed:3d} {dtype}: {len(results)} cases, {len(bad)} unexpected, {elapsed:.1f} s"
                  + "".join(f"\n    {r['id']}: {r['verdict']} (expected {r['expected']}): {r['message'][:160]}"
                            for r in bad), flush=True)
    text = table(rows, runs, cases)
    timing = ", ".join(f"{d}: mean {sum(t) / len(t):.1f} s, max {max(t):.1f} s" for d, t in times.items())
    footer = (f"\nPatterns {' '.join(args.patterns)}; seeds {args.seeds}; -j {args.jobs}; wall time per run: {timing}; "
              f"Python {platform.python_version()} on {platform.machine()}.\n")
    print("\n" + text + footer)
    if args.markdown:
        args.markdown.write_text(text + footer)
    return 1 if rows else 0


if __name__ == "__main__":
    raise SystemExit(main())
