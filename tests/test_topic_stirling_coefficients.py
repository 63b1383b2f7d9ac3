"""Exact Stirling-series coefficients: every method against OEIS A001163/A001164 and against each other.

The stored values are the first 30 terms of OEIS A001163 (numerators) and A001164 (denominators).  Terms 0–16
are the ones printed in the OEIS entries; terms 17–29 were computed here by three routes that share no code
(Bernoulli-exp with tangent numbers, the A001163 Fraction recurrence, FLINT), and the test below re-derives all
30 by a fourth route, the Lagrange-inversion recurrence given in the OEIS entry (P. Luschny), with none of the
plugin's code.
"""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import flint
import pytest
import sympy as sp

from kexue_verify_plugins.stirling.coefficients import (
    METHODS,
    bernoulli_even,
    fraction_text,
    gaussian_moment,
    log_series_coefficients,
    q_expansion,
    stirling_coefficients,
    tangent_numbers,
)

A001163 = [
    1,
    1,
    1,
    -139,
    -571,
    163879,
    5246819,
    -534703531,
    -4483131259,
    432261921612371,
    6232523202521089,
    -25834629665134204969,
    -1579029138854919086429,
    746590869962651602203151,
    1511513601028097903631961,
    -8849272268392873147705987190261,
    -142801712490607530608130701097701,
    2355444393109967510921431436000087153,
    2346608607351903737647919577082115121863,
    -2603072187220373277150999431416562396331667,
    -73239727426811935976967471475430268695630993,
    34856851734234401648335623107688675640839679447003,
    909773124599542506852275229422593983242880452145053,
    -1527335577854677023023224272800947125313629267269390501,
    -183856455668177802003316143799518064719008299958634826921,
    2583312098861137963745902036370496943872138148651712093816393,
    5180134290822682443757710427952467581918233549140896702364013,
    -527550309097873396592733540579928993424142983691519876840948418433873,
    -2114866241537081164613223324215572812504648703648482437460602956015127,
    180394412915538782140015777241228025103785450235726235175126981743099027459,
]

A001164 = [
    1,
    12,
    288,
    51840,
    2488320,
    209018880,
    75246796800,
    902961561600,
    86684309913600,
    514904800886784000,
    86504006548979712000,
    13494625021640835072000,
    9716130015581401251840000,
    116593560186976815022080000,
    2798245444487443560529920000,
    299692087104605205332754432000000,
    57540880724084199423888850944000000,
    13119320805091197468646658015232000000,
    155857531164483425927522297220956160000000,
    1870290373973801111130267566651473920000000,
    628417565655197173339769902394895237120000000,
    2601648721812516297626647395914866281676800000000,
    811714401205505084859513987525438279883161600000000,
    9740572814466061018314167850305259358597939200000000,
    14026424852831127866372401704439573476381032448000000000,
    1178219687637814740775281743172924172016006725632000000000,
    28277272503307553778606761836150180128384161415168000000000,
    14613128884259277641708402381685690086746366936130519040000000000,
    701430186444445326802003314320913124163825612934264913920000000000,
    260932029357333661570345232927379682188943128011546547978240000000000,
]

OEIS = [Fraction(p, q) for p, q in zip(A001163, A001164, strict=True)]

#: DLMF 5.11.1: B_2j / (2j(2j−1)) for j = 1 … 6.
DLMF_LOG_SERIES = [Fraction(1, 12), Fraction(-1, 360), Fraction(1, 1260), Fraction(-1, 1680), Fraction(1, 1188),
                   Fraction(-691, 360360)]


def _lagrange_inversion(count: int) -> list[Fraction]:
    """OEIS A001163's second program (P. Luschny): ``h_k`` from ``h_0 = 1``,
    ``h_k (1 + 1/(k+1)) = h_{k-1}/k − Σ_{j=1}^{k-1} h_{k-j} h_j/(j+1)``, then ``a_n = h_{2n} 2^n (1/2)_n``."""
    h = [Fraction(1)]
    for k in range(1, 2 * count):
        h.append((h[k - 1] / k - sum(h[k - j] * h[j] / (j + 1) for j in range(1, k))) / (1 + Fraction(1, k + 1)))
    out = []
    for n in range(count):
        rising = math.prod((Fraction(1, 2) + i for i in range(n)), start=Fraction(1))
        out.append(h[2 * n] * 2**n * rising)
    return out


def test_stored_values_follow_from_lagrange_inversion():
    assert _lagrange_inversion(30) == OEIS


def test_stored_values_are_reduced_fractions():
    assert all(math.gcd(p, q) == 1 for p, q in zip(A001163, A001164, strict=True))


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_the_oeis_values(method):
    assert stirling_coefficients(30, method=method) == OEIS


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7])
def test_short_lists_are_prefixes(count):
    assert stirling_coefficients(count, method="bernoulli") == OEIS[:count]
    assert stirling_coefficients(count, method="flint") == OEIS[:count]


def test_pure_python_and_flint_agree_far_out():
    assert stirling_coefficients(250, method="bernoulli") == stirling_coefficients(250, method="flint")


def test_recurrence_agrees_beyond_the_stored_terms():
    assert stirling_coefficients(60, method="recurrence") == stirling_coefficients(60, method="bernoulli")


def test_q_method_agrees_beyond_the_stored_terms():
    assert stirling_coefficients(36, method="q-method") == stirling_coefficients(36, method="bernoulli")


def test_log_series_matches_dlmf():
    assert log_series_coefficients(6) == DLMF_LOG_SERIES


def test_even_bernoulli_numbers_match_flint_and_sympy():
    ours = bernoulli_even(60)
    assert ours == [Fraction(int(flint.fmpq.bernoulli(2 * j).p), int(flint.fmpq.bernoulli(2 * j).q))
                    for j in range(1, 61)]
    assert ours[:20] == [Fraction(int(sp.bernoulli(2 * j).p), int(sp.bernoulli(2 * j).q)) for j in range(1, 21)]


def test_sympy_bernoulli_one_is_the_trap_we_never_use():
    """SymPy ≥ 1.12 has B₁ = +1/2 (DLMF: −1/2); the series only needs even indices, so no B₁ is ever formed."""
    assert sp.bernoulli(1) == sp.Rational(1, 2)
    assert len(bernoulli_even(3)) == 3
    assert bernoulli_even(1) == [Fraction(1, 6)]


def test_tangent_numbers_are_oeis_a000182():
    assert tangent_numbers(8) == [1, 2, 16, 272, 7936, 353792, 22368256, 1903757312]


@pytest.mark.parametrize(("p", "moment"), [(0, 1), (1, 0), (2, 1), (3, 0), (4, 3), (6, 15), (8, 105), (9, 0)])
def test_gaussian_moment_is_a_double_factorial(p, moment):
    assert gaussian_moment(p) == moment


def test_q_expansion_keeps_the_bookkeeping():
    """Every monomial q^a u^p x^j has p − 2j = a, so it integrates to x^{-a/2} (ST-7)."""
    expansion = q_expansion(14)
    assert expansion
    assert all(p - 2 * j == a for (a, p, j) in expansion)
    assert expansion[(1, 1, 0)] == 1
    assert expansion[(1, 3, 1)] == Fraction(-1, 6)


@pytest.mark.parametrize(("args", "message"), [((-1,), "≥ 0"), ((2.5,), "integer"), ((True,), "integer"),
                                                ((3, "sympy"), "unknown method")])
def test_bad_arguments_are_rejected(args, message):
    with pytest.raises(ValueError, match=message):
        stirling_coefficients(*args)


def test_the_str_limit_on_big_integers_is_respected():
    """a_999's numerator has about 5,700 digits: ``str()`` refuses it, ``fraction_text`` does not need to."""
    last = stirling_coefficients(1000, method="flint")[-1]
    limit = sys.get_int_max_str_digits()
    assert limit
    assert last.numerator.bit_length() * math.log10(2) > limit
    with pytest.raises(ValueError, match="Exceeds the limit"):
        str(last.numerator)
    text = fraction_text(last)
    assert text.startswith("≈ ")
    assert "digits" in text
    assert sys.get_int_max_str_digits() == limit  # nobody changed the global limit


@pytest.mark.parametrize(("value", "text"), [(Fraction(-139, 51840), "-139/51840"), (Fraction(7), "7"),
                                             (Fraction(10**70, 3), "≈ 3.333e+69 (numerator 71 digits, "
                                                                   "denominator 1 digits)")])
def test_fraction_text(value, text):
    assert fraction_text(value) == text


def test_the_module_imports_nothing_heavy():
    code = ("import sys, kexue_verify_plugins.stirling.coefficients as c; "
            "print(sorted(m for m in ('torch', 'sympy', 'numpy', 'mpmath', 'flint') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
