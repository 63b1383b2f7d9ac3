"""Exact coefficients of Stirling's series, by independent routes that must agree digit for digit.

Stirling's series (DLMF 5.11.3; OEIS A001163/A001164) is the asymptotic expansion

.. math::  \\Gamma(x+1) \\sim \\sqrt{2\\pi x}\\,\\Bigl(\\frac{x}{e}\\Bigr)^x \\sum_{k\\ge 0} \\frac{a_k}{x^k},
           \\qquad a = 1,\\ \\tfrac1{12},\\ \\tfrac1{288},\\ -\\tfrac{139}{51840},\\ \\dots

and its logarithm is the series of DLMF 5.11.1,

.. math::  \\sum_k a_k t^k = \\exp\\Bigl(\\sum_{j\\ge1} \\frac{B_{2j}}{2j(2j-1)}\\, t^{2j-1}\\Bigr).

:func:`stirling_coefficients` computes ``a_0 … a_{n-1}`` as exact :class:`~fractions.Fraction` by one of

``"bernoulli"``
    The exponential of the Bernoulli series in pure Python: ``B_2 … B_2m`` from the integer tangent-number
    algorithm (Brent & Harvey 2011, §3; no ``B_1`` is ever formed, so its sign convention cannot leak in), then
    ``n a_n = Σ_m m l_m a_{n-m}`` (the derivative of ``A = exp L``) in integer arithmetic with a running common
    denominator, reduced once per coefficient.
``"flint"``
    The same exponential with FLINT (``fmpq.bernoulli`` and ``fmpq_series.exp``, a Newton iteration on fast
    polynomial arithmetic) — the fast path, about a second for 1000 coefficients.
``"q-method"``
    Su's route (kexue.fm/archives/3731, “斯特灵级数”): expand the Laplace integrand in the bookkeeping parameter
    ``q`` and integrate term by term with Gaussian moments (:func:`q_expansion`).  No Bernoulli number appears.
    Cubic in ``n``; meant for a few dozen terms.
``"recurrence"``
    The plain recurrence of OEIS A001163, ``c_n = (1/n) Σ_{k<n} B_{n-k+1} c_k / (n-k+1)``, with
    :class:`~fractions.Fraction` throughout and Bernoulli numbers from ``Σ_{k≤m} C(m+1,k) B_k = 0``.
    The slow baseline of ``benchmarks/stirling_coefficients.py``.
``"auto"``
    ``"flint"`` when python-flint imports, else ``"bernoulli"``.

The numerators grow fast (``a_999`` has about 5,700 digits): Python refuses ``str()`` of an integer over 4,300
digits, so :func:`fraction_text` is the way to show one.

>>> [str(a) for a in stirling_coefficients(4, method="bernoulli")]
['1', '1/12', '1/288', '-139/51840']
>>> stirling_coefficients(8, method="q-method") == stirling_coefficients(8, method="bernoulli")
True
>>> [str(c) for c in log_series_coefficients(3)]
['1/12', '-1/360', '1/1260']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache

__all__ = [
    "METHODS",
    "bernoulli_even",
    "clear_cache",
    "fraction_text",
    "gaussian_moment",
    "log_series_coefficients",
    "q_expansion",
    "stirling_coefficients",
    "tangent_numbers",
]

#: The names ``stirling_coefficients(method=...)`` accepts.
METHODS: tuple[str, ...] = ("auto", "bernoulli", "flint", "q-method", "recurrence")


# --- Bernoulli numbers ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _tangent_numbers(n: int) -> tuple[int, ...]:
    t = [0] * (n + 1)
    if n >= 1:
        t[1] = 1
    for k in range(2, n + 1):
        t[k] = (k - 1) * t[k - 1]
    for k in range(2, n + 1):
        for j in range(k, n + 1):
            t[j] = (j - k) * t[j - 1] + (j - k + 2) * t[j]
    return tuple(t)


def tangent_numbers(n: int) -> list[int]:
    """Tangent numbers ``T_1 … T_n``, ``tan x = Σ T_k x^{2k-1}/(2k-1)!`` (1, 2, 16, 272, …; OEIS A000182).

    Integer-only, ``O(n²)`` additions and small multiplications (Brent & Harvey, *Fast computation of Bernoulli,
    Tangent and Secant numbers*, 2011, Algorithm TangentNumbers).

    >>> tangent_numbers(5)
    [1, 2, 16, 272, 7936]
    """
    return list(_tangent_numbers(_count(n))[1:])


def bernoulli_even(n: int) -> list[Fraction]:
    """``B_2, B_4, …, B_2n`` exactly, from the tangent numbers: ``B_2k = (-1)^{k-1} 2k T_k / (4^k (4^k - 1))``.

    Only even indices are produced; ``B_1`` (whose sign differs between conventions — SymPy's ``bernoulli(1)`` is
    ``+1/2`` since 1.12) never enters Stirling's series.

    >>> [str(b) for b in bernoulli_even(4)]
    ['1/6', '-1/30', '1/42', '-1/30']
    """
    t = _tangent_numbers(_count(n))
    out = []
    for k in range(1, n + 1):
        four = 4**k
        out.append(Fraction((-1) ** (k - 1) * 2 * k * t[k], four * (four - 1)))
    return out


def log_series_coefficients(n: int) -> list[Fraction]:
    """The first ``n`` coefficients of the log series, ``B_2j / (2j(2j-1))`` for ``j = 1 … n`` (DLMF 5.11.1).

    ``ln Γ(x+1) ~ (x+½) ln x - x + ½ ln 2π + Σ_j c_j x^{-(2j-1)}``; entry ``j-1`` is ``c_j``.

    >>> [str(c) for c in log_series_coefficients(6)]
    ['1/12', '-1/360', '1/1260', '-1/1680', '1/1188', '-691/360360']
    """
    return [b / (2 * j * (2 * j - 1)) for j, b in enumerate(bernoulli_even(_count(n)), start=1)]


# --- the exponential of the Bernoulli series --------------------------------------------------------------------------

def _bernoulli_exp(n: int) -> tuple[Fraction, ...]:
    """``a_0 … a_{n-1}`` from ``k a_k = Σ_{m odd} b_m a_{k-m}``, ``b_m = m l_m = B_{m+1}/(m+1)``.

    All arithmetic is on integers: the ``b_m`` share one denominator ``Δ``; ``a_k = A_k / d_k`` where ``d_k`` is
    a multiple of every earlier ``d_i`` (``d_k = lcm(d_{k-1}, den a_k)``), so the convolution is a Horner sum with
    integer ratios ``r_i = d_i / d_{i-1}`` and one gcd per coefficient.
    """
    if n <= 0:
        return ()
    top = n - 1
    b = {2 * j - 1: bj / (2 * j) for j, bj in enumerate(bernoulli_even(max(1, (top + 1) // 2)), start=1)}
    delta = 1
    for f in b.values():
        delta = math.lcm(delta, f.denominator)
    gam = {m: f.numerator * (delta // f.denominator) for m, f in b.items()}
    num, den, ratio = [1], [1], [1]
    for k in range(1, top + 1):
        acc = 0
        for i in range(k):
            if i:
                acc *= ratio[i]
            if (k - i) & 1:
                acc += gam[k - i] * num[i]
        p, q = acc, delta * den[k - 1] * k
        g = math.gcd(p, q)
        p, q = p // g, q // g
        r = q // math.gcd(q, den[k - 1])
        d = den[k - 1] * r
        num.append(p * (d // q))
        den.append(d)
        ratio.append(r)
    return tuple(Fraction(p, d) for p, d in zip(num, den, strict=True))


def _flint_exp(n: int) -> tuple[Fraction, ...]:
    """``a_0 … a_{n-1}`` with FLINT: ``exp`` of the truncated Bernoulli series as an ``fmpq_series``."""
    import flint

    if n <= 0:
        return ()
    coeffs: list[int | flint.fmpq] = [0] * n
    for j in range(1, n // 2 + 1):
        if 2 * j - 1 < n:
            coeffs[2 * j - 1] = flint.fmpq.bernoulli(2 * j) / (2 * j * (2 * j - 1))
    saved = flint.ctx.cap
    flint.ctx.cap = max(n, 1)
    try:
        series = flint.fmpq_series(coeffs).exp()
    finally:
        flint.ctx.cap = saved
    out = [Fraction(int(c.p), int(c.q)) for c in series.coeffs()]
    out += [Fraction(0)] * (n - len(out))  # trailing zero coefficients are dropped by coeffs()
    return tuple(out[:n])


def _a001163_recurrence(n: int) -> tuple[Fraction, ...]:
    """OEIS A001163: ``c_0 = 1``, ``c_n = (1/n) Σ_{k<n} B_{n-k+1} c_k/(n-k+1)``, in plain ``Fraction`` arithmetic."""
    if n <= 0:
        return ()
    bern = [Fraction(1)]
    for m in range(1, n + 1):  # Σ_{k=0}^{m} C(m+1, k) B_k = 0  (B_1 = -1/2, which the sum below never uses)
        bern.append(-sum((math.comb(m + 1, k) * bern[k] for k in range(m)), Fraction(0)) / (m + 1))
    c = [Fraction(1)]
    for k in range(1, n):
        c.append(sum((bern[k - i + 1] * c[i] / (k - i + 1) for i in range(k)), Fraction(0)) / k)
    return tuple(c)


# --- Su's q-method ----------------------------------------------------------------------------------------------------

def gaussian_moment(p: int) -> int:
    """``(p-1)!!`` for even ``p`` and 0 for odd ``p``: ``∫ e^{-xu²/2} u^p du = (p-1)!! √(2π) x^{-(p+1)/2}``.

    >>> [gaussian_moment(p) for p in range(7)]
    [1, 0, 1, 0, 3, 0, 15]
    """
    if p < 0:
        raise ValueError(f"p must be ≥ 0, got {p}")
    return 0 if p % 2 else math.prod(range(p - 1, 0, -2))


@lru_cache(maxsize=8)
def _q_expansion(order: int) -> tuple[dict[tuple[int, int], Fraction], ...]:
    # G(q) = q u − x Σ_{m≥3} q^{m−2} u^m / m!  →  G_1 = u − x u³/6,  G_b = −x u^{b+2}/(b+2)!  (b ≥ 2).
    # F = exp(G) = Σ F_a q^a with F_0 = 1 and a F_a = Σ_{b=1}^{a} b G_b F_{a−b}   (from ∂F/∂q = G'(q) F).
    g: list[dict[tuple[int, int], Fraction]] = [{}]
    for b in range(1, order + 1):
        term = {(b + 2, 1): Fraction(-1, math.factorial(b + 2))}
        if b == 1:
            term[(1, 0)] = Fraction(1)
        g.append(term)
    f: list[dict[tuple[int, int], Fraction]] = [{(0, 0): Fraction(1)}]
    for a in range(1, order + 1):
        acc: dict[tuple[int, int], Fraction] = {}
        for b in range(1, a + 1):
            for (p1, j1), c1 in g[b].items():
                for (p2, j2), c2 in f[a - b].items():
                    key = (p1 + p2, j1 + j2)
                    acc[key] = acc.get(key, Fraction(0)) + b * c1 * c2
        f.append({key: c / a for key, c in acc.items() if c})
    return tuple(f)


def q_expansion(order: int) -> dict[tuple[int, int, int], Fraction]:
    """Coefficients of ``exp(q u − (x/q²)(e^{qu} − 1 − qu − q²u²/2))`` up to ``q^order``, exactly.

    Su's bookkeeping (ST-7): the Laplace integrand of ``Γ(x+1)`` after ``u → qu``, ``x → x/q²``, without its
    Gaussian factor ``e^{-xu²/2}``.  Returns ``{(a, p, j): c}`` for the monomials ``c q^a u^p x^j``.
    Expanded through ``∂F/∂q = G'(q) F``, ``F = e^{G}``, which is exact order by order in ``q``.

    >>> sorted((k, str(v)) for k, v in q_expansion(1).items())
    [((0, 0, 0), '1'), ((1, 1, 0), '1'), ((1, 3, 1), '-1/6')]
    """
    terms = _q_expansion(_count(order))
    return {(a, p, j): c for a, fa in enumerate(terms) for (p, j), c in fa.items()}


def _q_method(n: int) -> tuple[Fraction, ...]:
    """``a_k = Σ_{p, j} [q^{2k} u^p x^j] · (p−1)!!`` with the power of ``x`` checked to be ``−k``."""
    if n <= 0:
        return ()
    out = []
    expansion = _q_expansion(2 * (n - 1))
    for k in range(n):
        total = Fraction(0)
        for (p, j), c in expansion[2 * k].items():
            if 2 * j - p != -2 * k:  # u^p x^j ↦ x^{j − p/2}: must be x^{−k}
                raise ArithmeticError(f"monomial q^{2 * k} u^{p} x^{j} breaks the q ↔ x^(-1/2) bookkeeping")
            total += c * gaussian_moment(p)
        out.append(total)
    return tuple(out)


# --- the public entry point -------------------------------------------------------------------------------------------

def _flint_available() -> bool:
    try:
        import flint  # noqa: F401
    except ImportError:  # pragma: no cover - python-flint is a dependency
        return False
    return True


_ROUTES: dict[str, Callable[[int], tuple[Fraction, ...]]] = {
    "bernoulli": _bernoulli_exp,
    "flint": _flint_exp,
    "q-method": _q_method,
    "recurrence": _a001163_recurrence,
}


@lru_cache(maxsize=32)
def _cached(n: int, method: str) -> tuple[Fraction, ...]:
    return _ROUTES[method](n)


def stirling_coefficients(n: int, method: str = "auto") -> list[Fraction]:
    """The first ``n`` Stirling-series coefficients ``a_0 … a_{n-1}`` of ``Γ(x+1)``, exactly.

    ``Γ(x+1) ~ √(2πx)(x/e)^x Σ_k a_k x^{-k}`` (DLMF 5.11.3 with ``g_k = a_k``; numerators OEIS A001163,
    denominators A001164).  ``method`` is one of :data:`METHODS` (see the module docstring); every method returns
    the same list.  Results are cached per ``(n, method)``.

    >>> [str(a) for a in stirling_coefficients(6)]
    ['1', '1/12', '1/288', '-139/51840', '-571/2488320', '163879/209018880']
    """
    n = _count(n)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if method == "auto":
        method = "flint" if _flint_available() else "bernoulli"
    return list(_cached(n, method))


def clear_cache() -> None:
    """Forget cached results (coefficients, tangent numbers, the q-expansion) — for timing the methods afresh."""
    _cached.cache_clear()
    _tangent_numbers.cache_clear()
    _q_expansion.cache_clear()


def _count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"the number of coefficients must be an integer ≥ 0, got {n!r}")
    return n


def fraction_text(value: Fraction, max_digits: int = 60) -> str:
    """``"p/q"`` when both fit in ``max_digits`` digits, else a float-style summary that never calls ``str(int)``.

    CPython refuses ``str()`` of an integer with more than 4,300 digits (``sys.set_int_max_str_digits``), and
    Stirling coefficients pass that size near ``k = 750``; reports show such numbers by magnitude and digit count.

    >>> fraction_text(Fraction(-139, 51840))
    '-139/51840'
    >>> fraction_text(Fraction(10**5000 + 1, 3))
    '≈ 3.333e+4999 (numerator 5001 digits, denominator 1 digits)'
    """
    p, q = value.numerator, value.denominator
    if _digits(p) <= max_digits and _digits(q) <= max_digits:
        return f"{p}/{q}" if q != 1 else f"{p}"
    log10 = math.log10(abs(p)) - math.log10(q) if p else float("-inf")
    exponent = math.floor(log10)
    mantissa = 10 ** (log10 - exponent)
    sign = "-" if p < 0 else ""
    return f"≈ {sign}{mantissa:.3f}e{exponent:+d} (numerator {_digits(p)} digits, denominator {_digits(q)} digits)"


def _digits(value: int) -> int:
    """Decimal digits of ``|value|`` without converting it to a string."""
    value = abs(value)
    if value < 10:
        return 1
    guess = int(value.bit_length() * math.log10(2))
    return guess + 1 if value >= 10**guess else guess
