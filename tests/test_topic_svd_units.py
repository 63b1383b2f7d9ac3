"""The SVD topic's building blocks: test matrices, principal angles, the bounds, exact matrices, trainers, models."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy as sp
import torch

from kexue_verify import memo
from kexue_verify.context import CheckContext
from kexue_verify.reports.figures import draw_figure
from kexue_verify_plugins import PROOFS_DIR
from kexue_verify_plugins.svd.assertions import StorageThreshold
from kexue_verify_plugins.svd.bounds import autoencoder_bounds, loss_floor
from kexue_verify_plugins.svd.checks.clipping import EXACT_NONNEGATIVE, entrywise_inequality
from kexue_verify_plugins.svd.checks.eckart_young import optimum_formula
from kexue_verify_plugins.svd.checks.l1 import find_counterexample
from kexue_verify_plugins.svd.checks.storage import _first_disagreement
from kexue_verify_plugins.svd.checks.toy import exact_reconstruction
from kexue_verify_plugins.svd.exact import EXACT_MATRIX, cayley, exact_eigenbasis, rank_projector
from kexue_verify_plugins.svd.figures import loss_curve, singular_value_bars
from kexue_verify_plugins.svd.linalg import (
    cpu_generator,
    pca_target,
    planted_matrix,
    principal_angles,
    projector,
    spectrum,
    svd_target,
    truncated_svd,
)
from kexue_verify_plugins.svd.models import TiedAutoencoder, linear, relu_bottleneck, seeded, shape
from kexue_verify_plugins.svd.training import fit_lbfgs


def _ctx(seed: int = 0, dtype: str = "float64") -> CheckContext:
    return CheckContext(case_id="test", seed=seed, dtype=dtype)


def test_plugin_init_imports_neither_torch_nor_sympy():
    code = ("import sys, kexue_verify_plugins.svd as m; "
            "print(sorted(x for x in ('torch', 'sympy', 'numpy', 'mpmath', 'scipy') if x in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# Planted matrices --------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "n", "k"), [(40, 10, 3), (32, 8, 2), (24, 6, 1)])
def test_planted_tail_matrix_has_the_designed_spectrum_and_a_mean(m, n, k):
    data = planted_matrix(m, n, k, cpu_generator(1), mean="tail")
    s = torch.cat([torch.linspace(3, 2, k, dtype=torch.float64), torch.linspace(0.8, 0.2, n - k, dtype=torch.float64)])
    expected = (s**2).clone()
    expected[-1] = (s[k - 1] ** 2 + s[k] ** 2) / 2  # the mean direction takes the place of the weakest one
    got = torch.linalg.svdvals(data) ** 2
    assert torch.allclose(got, expected.sort(descending=True).values, atol=1e-12)
    assert float(data.mean(dim=0).norm()) > 0.1
    # centring removes exactly the mean energy m c²: PCA of the centred data keeps the planted s
    centred = torch.linalg.svdvals(data - data.mean(dim=0)) ** 2
    assert torch.allclose(centred, (s**2).sort(descending=True).values, atol=1e-12)


def test_planted_top_matrix_puts_the_mean_first():
    data = planted_matrix(64, 8, 2, cpu_generator(2), mean="top")
    top = svd_target(data, 2).basis
    mean = data.mean(dim=0)
    assert float((top.T @ (mean / mean.norm())).norm()) == pytest.approx(1.0, abs=1e-10)
    assert float(principal_angles(top, pca_target(data, 2).basis)[-1]) == pytest.approx(math.pi / 2, abs=1e-8)


@pytest.mark.parametrize(("m", "n", "k"), [(8, 8, 2), (10, 4, 4), (10, 4, 0)])
def test_planted_matrix_rejects_impossible_shapes(m, n, k):
    with pytest.raises(ValueError, match="m > n > k"):
        planted_matrix(m, n, k, cpu_generator(0))


def test_planted_matrix_is_reproducible_and_device_independent():
    a = planted_matrix(20, 6, 2, cpu_generator(5))
    b = planted_matrix(20, 6, 2, cpu_generator(5))
    assert torch.equal(a, b)
    assert not torch.equal(a, planted_matrix(20, 6, 2, cpu_generator(6)))


# Principal angles and the gap inequality of bounds.py -----------------------------------


@pytest.mark.parametrize("theta", [1e-12, 1e-7, 1e-3, 0.5, math.pi / 2])
def test_principal_angle_of_a_known_rotation(theta):
    e = torch.eye(5, dtype=torch.float64)
    a = e[:, :2]
    b = torch.stack([e[:, 0], math.cos(theta) * e[:, 1] + math.sin(theta) * e[:, 2]], dim=1)
    angles = principal_angles(a, b)
    assert float(angles[0]) == pytest.approx(0.0, abs=1e-15)
    assert float(angles[1]) == pytest.approx(theta, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_ky_fan_gap_inequality_behind_the_bounds(seed):
    """‖M − MP_S‖² − Σ_{i>k}σ_i² ≥ (σ_k² − σ_{k+1}²)‖sin Θ(S, V_k)‖²_F for any k-dimensional S."""
    gen = cpu_generator(seed)
    data = torch.randn(30, 7, generator=gen, dtype=torch.float64)
    k = 3
    spec = spectrum(data, k)
    basis = torch.linalg.qr(svd_target(data, k).basis + 0.3 * torch.randn(7, k, generator=gen,
                                                                            dtype=torch.float64))[0]
    excess = float(((data - data @ projector(basis)) ** 2).sum()) - spec.tail_energy
    sines = torch.sin(principal_angles(basis, svd_target(data, k).basis))
    assert excess >= spec.gap * float((sines**2).sum()) - 1e-12
    recon_gap = float((data @ projector(basis) - truncated_svd(data, k)).norm())
    assert recon_gap <= math.sqrt(excess) * (1 + spec.largest * math.sqrt(2 / spec.gap)) + 1e-12


def test_bounds_scale_with_the_dtype_and_follow_from_the_loss_floor():
    kw = {"m": 32, "n": 8, "norm_sq": 40.0, "largest": 4.0, "smallest": 0.2, "gap": 1.7, "mean_norm": 0.0}
    b64, b32 = autoencoder_bounds("float64", **kw), autoencoder_bounds("float32", **kw)
    assert b32.loss / b64.loss == pytest.approx(2.0**29, rel=1e-4)  # γ_n = nu/(1 − nu), nearly linear in u
    assert b64.loss == loss_floor("float64", m=32, n=8, norm_sq=40.0)
    assert b64.excess == 2 * b64.loss
    assert b64.sine == pytest.approx(math.sqrt(b64.excess / 1.7))
    assert b64.angle < 1e-5 < b32.angle


# Exact matrices ----------------------------------------------------------------------------


@pytest.mark.parametrize("abc", [(1, 2, 0), (0, 1, 1), (2, -1, 3)])
def test_cayley_transform_is_rational_orthogonal(abc):
    q = cayley(*abc)
    assert q.T * q == sp.eye(3)
    assert all(x.is_rational for x in q)


def test_exact_matrix_has_singular_values_three_two_one():
    assert sorted(EXACT_MATRIX.singular_values(), reverse=True) == [3, 2, 1]
    assert [v for v, _ in exact_eigenbasis(EXACT_MATRIX)] == [9, 4, 1]
    p = rank_projector(EXACT_MATRIX, 2)
    assert p * p == p
    assert p == p.T


def test_exact_nonnegative_example():
    m = EXACT_NONNEGATIVE
    assert sorted(m.eigenvals()) == [1, 4, 7]
    assert min(m * rank_projector(m, 2)) == sp.Rational(-2, 9)
    assert min(m * rank_projector(m, 1)) >= 0


@pytest.mark.parametrize(("formula", "k", "expected"), [
    ("Sum(sigma(i)**2, (i, k + 1, r))", 1, 5), ("Sum(sigma(i)**2, (i, k + 1, r))", 2, 1),
    ("sigma(k + 1)**2", 1, 4), ("Sum(sigma(i)**2, (i, 1, k))", 2, 13),
])
def test_optimum_formula_is_read_with_sigma_k_and_r(formula, k, expected):
    assert optimum_formula(formula, [3, 2, 1], k) == expected


def test_toy_reconstruction_matches_the_catalogue_values():
    recon, values = exact_reconstruction(1)
    root = sp.sqrt(65)
    assert values == [sp.sqrt((9 + root) / 2), sp.sqrt((9 - root) / 2)]
    assert sp.simplify(recon[0, 4] - 4 * root / 65) == 0
    assert sp.simplify(recon[0, 0] - (sp.Rational(1, 2) + 7 * root / 130)) == 0
    assert sp.simplify(recon[1, 4] - (sp.Rational(1, 2) + root / 130)) == 0
    full, _ = exact_reconstruction(2)
    assert full == sp.Matrix([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])


# Storage, clipping, L1 ---------------------------------------------------------------------


def test_storage_disagreement_is_the_first_shape_where_the_rules_differ():
    cx = _first_disagreement(StorageThreshold(threshold="Min(m, n)/2").threshold.expr, 24)
    m, n, k = cx["m"], cx["n"], cx["k"]
    assert ((m + n) * k < m * n) != (k < min(m, n) / 2)
    assert _first_disagreement(StorageThreshold(threshold="m*n/(m + n)").threshold.expr, 24) is None


def test_entrywise_clipping_inequality():
    assert entrywise_inequality("nonnegative") == (True, None)
    proved, cx = entrywise_inequality("real")
    assert not proved
    a, m = Fraction(cx["a"]), Fraction(cx["m"])
    assert abs(max(a, 0) - m) > abs(a - m)


def test_l1_search_is_deterministic_and_finds_an_improvement():
    first = find_counterexample(3, "l1")
    assert first == find_counterexample(3, "l1")
    assert first["improvement"] > 0.5
    assert find_counterexample(3, "squared")["improvement"] < 1e-12


# Models, training, helpers -----------------------------------------------------------------


def test_seeded_models_do_not_depend_on_the_global_rng():
    torch.manual_seed(1)
    a = linear(_ctx(seed=7))
    torch.manual_seed(2)
    b = linear(_ctx(seed=7))
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a[0].weight, linear(_ctx(seed=8))[0].weight)
    assert a[0].weight.dtype == torch.float64
    assert seeded(torch.nn.Linear(3, 2), _ctx(dtype="float32")).weight.dtype == torch.float32


def test_tied_autoencoder_is_x_c_ct():
    model = TiedAutoencoder(5, 2)
    x = torch.randn(3, 5)
    c = model.encoder.weight.T
    assert torch.allclose(model(x), x @ c @ c.T)


def test_shape_reads_declared_values_or_the_default():
    assert shape(_ctx()) == (8, 2)
    ctx = _ctx().with_model(None, "x", {"n": 12, "k": 4})
    assert shape(ctx) == (12, 4)


def test_lbfgs_reaches_the_eckart_young_optimum_and_records_its_history():
    data = planted_matrix(32, 8, 2, cpu_generator(0))
    fit = fit_lbfgs(linear(_ctx()), data)
    assert fit.converged
    assert fit.final == pytest.approx(spectrum(data, 2).tail_energy, abs=1e-10)
    assert len(fit.losses) == fit.evaluations
    assert "L-BFGS" in fit.method


def test_lbfgs_stops_at_its_evaluation_budget():
    data = planted_matrix(32, 8, 2, cpu_generator(0))
    fit = fit_lbfgs(relu_bottleneck(_ctx()), data, max_evals=40)
    assert not fit.converged
    assert 40 <= fit.evaluations < 40 + 80  # one more call of at most 50 iterations may finish


def test_memo_reuses_and_evicts(monkeypatch):
    monkeypatch.setattr(memo, "SIZE", 2)
    memo.clear()
    calls = []
    for key in ("a", "a", "b", "c", "a"):
        memo.remember(key, lambda key=key: calls.append(key) or key.upper())
    assert calls == ["a", "b", "c", "a"]  # "a" was evicted by "c"
    memo.clear()


def test_figures_render(tmp_path):
    bars = singular_value_bars([3.0, 2.0, 0.5, 0.1], 2)
    assert bars["vlines"][0]["x"] == 1.5
    curve = loss_curve([5.0, 7.0, 3.0, 2.0, 2.5], 2.0, label="L-BFGS", optimum_label="optimum")
    assert curve["series"][0]["y"] == [5.0, 5.0, 3.0, 2.0, 2.0]
    for name, figure in (("bars.png", bars), ("curve.png", curve)):
        assert draw_figure(figure, tmp_path / name).stat().st_size > 1000


@pytest.mark.parametrize(("name", "old", "new"), [
    ("eckart-young-attained", "= 2**2 + 1**2", "= 2**2"),                      # the spectral-norm answer
    ("shen-shu-entry", "= 4*sqrt(65)/65", "= 4*sqrt(65)/13"),                  # a wrong constant
    ("clipping-negative-case", "<= m - a ", "<= m + a "),                       # a sign slip
])
def test_a_wrong_step_in_the_svd_proofs_is_refuted(tmp_path, name, old, new):
    from kexue_verify.proofs import check_document

    text = (PROOFS_DIR / "svd.md").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "svd.md"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = next(r for r in check_document(path) if r.name == name)
    assert not result.ok
    assert result.first_failure is not None
