"""The flow checks' figures: reported vs float64 log-det, and round-trip error against the input's magnitude."""

from __future__ import annotations

import pytest

from kexue_verify.testing import assert_verdict, run_claim

pytestmark = pytest.mark.usefixtures("one_thread")


def _evidence(parts, name):
    return next(e for e in parts["numeric"].evidence if e.name == name)


def test_the_logdet_figure_puts_a_correct_layer_on_the_diagonal_and_a_doubled_one_off_it() -> None:
    result = run_claim("flows.layer-logdet", model="affine-coupling-exp")
    assert_verdict(result, "verified")
    good = _evidence(result.parts, "forward log-det = slogdet J_f").figure
    diagonal, samples = good["series"]
    assert diagonal["x"] == diagonal["y"]
    assert len(samples["x"]) == len(samples["y"]) == _evidence(result.parts, "forward log-det = slogdet J_f"
                                                               ).quantities["samples"]
    assert max(abs(x - y) for x, y in zip(samples["x"], samples["y"], strict=True)) < 1e-9
    assert all(good[k] for k in ("caption", "xlabel", "ylabel"))
    doubled = next(v for v in result.variants if v.name == "doubled-logdet")
    bad = _evidence(doubled.parts, "forward log-det = slogdet J_f").figure["series"][1]
    assert max(abs(y - 2 * x) for x, y in zip(bad["x"], bad["y"], strict=True)) < 1e-9  # 2Σ log s: off the diagonal
    assert max(abs(y - x) for x, y in zip(bad["x"], bad["y"], strict=True)) > 0.1


def test_the_round_trip_figure_spans_the_probed_magnitudes_under_the_bound() -> None:
    result = run_claim("flows.layer-inverse", model="affine-coupling-exp")
    assert_verdict(result, "verified")
    figure = _evidence(result.parts, "f⁻¹(f(x)) = x").figure
    error, bound = figure["series"]
    assert (figure["xscale"], figure["yscale"]) == ("log", "log")
    assert error["x"] == sorted(error["x"]) == bound["x"]
    assert error["x"][-1] / error["x"][0] > 2  # bulk and tail inputs
    assert all(e is None or 0 < e <= b for e, b in zip(error["y"], bound["y"], strict=True))  # None: exact
