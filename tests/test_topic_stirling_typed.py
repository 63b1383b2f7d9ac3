"""The Stirling checks read parsed formulas, not their text: spellings that the old string tests got wrong."""

from __future__ import annotations

import pytest

from kexue_verify import ClaimDefinitionError
from kexue_verify_plugins.stirling.assertions import EulerMaclaurin, GammaSeries
from kexue_verify_plugins.stirling.checks.euler_maclaurin import _shift
from kexue_verify_plugins.stirling.checks.formula import _gamma_shift
from kexue_verify_plugins.stirling.claims import EULER_MACLAURIN, NONINTEGER


@pytest.mark.parametrize(("function", "shift"), [("gamma(x+1)", 1), ("gamma(1 + x)", 1), ("gamma(x)", 0),
                                                 ("gamma(x + 2)", 2)])
def test_the_gamma_shift_is_read_from_the_expression(function: str, shift: int) -> None:
    a = NONINTEGER.assertion.changed(function=function)
    assert _gamma_shift(a.function) == shift


@pytest.mark.parametrize("function", ["exp(x)", "gamma(x/2)", "gamma(x + 1/2)"])
def test_a_function_that_is_not_gamma_of_x_plus_an_integer_is_an_error(function: str) -> None:
    with pytest.raises(ValueError, match="gamma"):
        _gamma_shift(GammaSeries(function=function, prefactor="x").function)


@pytest.mark.parametrize(("upper", "shift"), [("n", 0), ("n-1", 1), ("n - 1", 1), ("-1 + n", 1), ("n-2", 2)])
def test_the_euler_maclaurin_upper_limit_is_read_from_the_expression(upper: str, shift: int) -> None:
    assert _shift(EULER_MACLAURIN.changed(upper=upper)) == shift


def test_an_upper_limit_beyond_n_is_an_error() -> None:
    with pytest.raises(ValueError, match="n − s"):
        _shift(EulerMaclaurin(lhs="log(factorial(n))", summand="log(k)", upper="n+1", constant="1"))


def test_holds_for_is_checked_at_load() -> None:
    with pytest.raises(ClaimDefinitionError, match="holds_for"):
        NONINTEGER.assertion.changed(holds_for="rational")
