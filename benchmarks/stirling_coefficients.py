"""Time the exact Stirling-series coefficients a_0 … a_{N-1} by every route, and check that they agree.

Routes, each from a cold cache:

* ``flint``      — ``stirling_coefficients(N, method="flint")``: FLINT's ``fmpq_series.exp`` of the Bernoulli series;
* ``bernoulli``  — the pure-Python Bernoulli-exp (tangent numbers, integer convolution with a running common
  denominator);
* ``A001163``    — the plain O(n²) ``Fraction`` recurrence of OEIS A001163 with Bernoulli numbers from their
  defining recurrence (``method="recurrence"``);
* ``q-method``   — Su's q-bookkeeping in exact rationals (cubic; up to ``--q-max``);
* ``sympy rs_exp`` — SymPy's ``ring_series.rs_exp`` of the same series over ``QQ`` (up to ``--ring-max``);
* ``sympy series`` — ``sympy.series(exp(...))`` on expressions (up to ``--series-max``: it needs ~18 s at N = 14).

Every route's list is compared with the FLINT list (``=`` in the last column); numerators are never printed,
since Python refuses ``str()`` of integers over 4,300 digits.  Usage::

    python benchmarks/stirling_coefficients.py                  # N = 12, 100, 300, 1000
    python benchmarks/stirling_coefficients.py --sizes 100,300 --naive-max 300

The figures recorded in docs/topics/stirling.md come from this script.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from fractions import Fraction

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.ring_series import rs_exp
from sympy.polys.rings import ring

from kexue_verify_plugins.stirling.coefficients import (
    bernoulli_even,
    clear_cache,
    fraction_text,
    stirling_coefficients,
)


def sympy_ring_series(n: int) -> list[Fraction]:
    """``rs_exp`` of ``Σ_j B_2j/(2j(2j−1)) t^{2j−1}`` in SymPy's sparse polynomial ring over ``QQ``."""
    r, t = ring("t", QQ)
    log_series = r(0)
    for j, b in enumerate(bernoulli_even(max(1, n // 2)), start=1):
        if 2 * j - 1 < n:
            log_series += QQ(b.numerator, b.denominator * 2 * j * (2 * j - 1)) * t ** (2 * j - 1)
    series = rs_exp(log_series, t, n)
    out = []
    for k in range(n):
        c = series.coeff(t**k) if k else series.coeff(1)
        out.append(Fraction(int(c.numerator), int(c.denominator)))
    return out


def sympy_series(n: int) -> list[Fraction]:
    """``sympy.series(exp(Σ_j B_2j/(2j(2j−1)) t^{2j−1}), t, 0, n)`` on expressions (SymPy's ``bernoulli``)."""
    t = sp.Symbol("t")
    log_series = sum(sp.bernoulli(2 * j) / (2 * j * (2 * j - 1)) * t ** (2 * j - 1) for j in range(1, n // 2 + 1)
                     if 2 * j - 1 < n)
    poly = sp.Poly(sp.series(sp.exp(log_series), t, 0, n).removeO(), t)
    coeffs = poly.all_coeffs()[::-1] + [0] * n
    return [Fraction(int(sp.Rational(c).p), int(sp.Rational(c).q)) for c in coeffs[:n]]


def timed(route: Callable[[], list[Fraction]]) -> tuple[float, list[Fraction]]:
    clear_cache()
    start = time.perf_counter()
    values = route()
    return time.perf_counter() - start, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="12,100,300,1000", help="comma-separated N (default 12,100,300,1000)")
    parser.add_argument("--naive-max", type=int, default=1000, help="largest N for the A001163 recurrence")
    parser.add_argument("--q-max", type=int, default=40, help="largest N for the q-method")
    parser.add_argument("--ring-max", type=int, default=300, help="largest N for SymPy's rs_exp (N=1000: ~2 min)")
    parser.add_argument("--series-max", type=int, default=12, help="largest N for sympy.series")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    routes: list[tuple[str, int, Callable[[int], list[Fraction]]]] = [
        ("flint", max(sizes), lambda n: stirling_coefficients(n, method="flint")),
        ("bernoulli", max(sizes), lambda n: stirling_coefficients(n, method="bernoulli")),
        ("A001163", args.naive_max, lambda n: stirling_coefficients(n, method="recurrence")),
        ("q-method", args.q_max, lambda n: stirling_coefficients(n, method="q-method")),
        ("sympy rs_exp", args.ring_max, sympy_ring_series),
        ("sympy series", args.series_max, sympy_series),
    ]
    print(f"# {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"sympy {sp.__version__}; seconds, cold caches")
    header = ["N"] + [name for name, _, _ in routes] + ["agree", "a_{N-1}"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in sizes:
        cells, reference, agree = [str(n)], None, True
        for name, limit, route in routes:
            if n > limit:
                cells.append("—")
                continue
            seconds, values = timed(lambda route=route, n=n: route(n))
            if reference is None:
                reference = values
            agree = agree and values == reference
            cells.append(f"{seconds:.3g}")
            print(f"  {name:>13}  N = {n:5d}  {seconds:9.3f} s", flush=True)
        cells += ["=" if agree else "DIFFER", fraction_text(reference[-1]) if reference else ""]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
