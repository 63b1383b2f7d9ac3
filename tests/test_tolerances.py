"""Tolerances from the dtype and the size of the computation (Higham's γ_n), and the SymPy→torch bridge."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kexue_verify.errors import UsageError
from kexue_verify.tolerances import EPS, eps, gamma, tolerance


@pytest.mark.parametrize("name", ["float64", "float32", "float16"])
def test_eps_matches_numpy_machine_epsilon(name: str) -> None:
    assert eps(name) == float(np.finfo(name).eps)


def test_eps_of_bfloat16_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    assert eps(torch.bfloat16) == torch.finfo(torch.bfloat16).eps
    assert eps(torch.float64) == torch.finfo(torch.float64).eps


def test_eps_table_is_the_single_source() -> None:
    assert set(EPS) == {"float64", "float32", "bfloat16", "float16"}
    assert all(eps(name) == value for name, value in EPS.items())


@pytest.mark.parametrize("dtype", ["int32", "float128", "torch.complex64", None])
def test_unsupported_dtype_is_a_usage_error_listing_the_choices(dtype: object) -> None:
    with pytest.raises(UsageError, match="use one of float64, float32, bfloat16, float16"):
        eps(dtype)


@pytest.mark.parametrize(("n", "dtype"), [(1, "float64"), (100, "float64"), (10**6, "float32"), (3, "float16")])
def test_gamma_is_higham_nu_over_one_minus_nu(n: int, dtype: str) -> None:
    u = np.finfo(dtype).eps / 2
    assert gamma(n, dtype) == pytest.approx(n * u / (1 - n * u), rel=1e-15)


def test_gamma_counts_at_least_one_operation_and_grows_with_n() -> None:
    assert gamma(0, "float64") == gamma(1, "float64")
    values = [gamma(n, "float32") for n in (1, 10, 100, 1000)]
    assert values == sorted(values)
    assert values[-1] > 1000 * values[0]


@pytest.mark.parametrize(("n", "dtype"), [(2**11, "float16"), (2**12, "float16"), (2**24, "float32")])
def test_gamma_is_infinite_once_nu_reaches_one(n: int, dtype: str) -> None:
    assert gamma(n, dtype) == math.inf


def test_tolerance_is_safety_times_gamma_times_condition_times_scale() -> None:
    g = gamma(50, "float64")
    assert tolerance("float64", n=50) == 8 * g
    assert tolerance("float64", n=50, condition=1e3, scale=-2.0, safety=1.0) == pytest.approx(g * 1e3 * 2.0, rel=1e-15)
    assert tolerance("float32", n=50) > 1e8 * tolerance("float64", n=50)  # float32 is ~2^29 times coarser
    assert tolerance("float64", scale=0.0) == 0.0


def test_float64_tolerance_is_tight_enough_to_refute_a_relative_slip_of_1e_minus_10() -> None:
    """A check that uses these tolerances must still be able to tell 1 from 1 + 1e-10 in float64."""
    assert tolerance("float64", n=1000) < 1e-10


# --- numeric.torch_function -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "reference"), [
    ("sqrt(2*pi*n)*(n/E)**n", lambda n: math.sqrt(2 * math.pi * n) * (n / math.e) ** n),
    ("loggamma(n + 1) - n*log(n) + n", lambda n: math.lgamma(n + 1) - n * math.log(n) + n),
    ("exp(-n)*Abs(sin(n))", lambda n: math.exp(-n) * abs(math.sin(n))),
    ("1/(12*n)", lambda n: 1 / (12 * n)),
])
def test_torch_function_agrees_with_math_elementwise(text: str, reference) -> None:
    torch = pytest.importorskip("torch")
    from kexue_verify.numeric import torch_function

    points = [0.5, 1.0, 2.0, 7.5]
    got = torch_function(text, "n")(torch.tensor(points, dtype=torch.float64))
    assert got.dtype == torch.float64
    assert got.tolist() == pytest.approx([reference(x) for x in points], rel=1e-13)


def test_torch_function_keeps_float32_and_lifts_python_numbers() -> None:
    torch = pytest.importorskip("torch")
    from kexue_verify.numeric import torch_function

    f = torch_function("log(x) + y", "x", "y")
    assert f(torch.tensor([1.0, 4.0], dtype=torch.float32), 2.0).dtype == torch.float32
    assert float(torch_function("sqrt(x)", "x")(9.0)) == 3.0
