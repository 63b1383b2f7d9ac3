"""Adapters: torch.distributions (built in), zuko, nflows and normflows (when installed), and the documented example
of plugging in one's own layer (the code block of docs/topics/flows.md, run as a plugin)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import torch

from kexue_verify import CheckContext, LoadOptions, ModelSpec, load
from kexue_verify.testing import assert_verdict, run_claim
from kexue_verify_plugins.flows import adapters, layers
from kexue_verify_plugins.flows.protocol import as_flow_layer

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest

ROOT = Path(__file__).resolve().parent.parent
GENERIC = ["flows.layer-logdet", "flows.layer-inverse", "flows.layer-directions-agree", "flows.layer-structure"]


def _spec(name: str, factory, shape: tuple[int, ...]) -> ModelSpec:
    return ModelSpec(name=name, kind="flow-layer", factory=factory, declared={"event_shape": shape})


# --------------------------------------------------------------------------------------------- torch.distributions


def test_torch_transform_log_dets_are_summed_over_event_dimensions():
    t = torch.distributions.transforms.ExpTransform()  # elementwise: log|det| per entry
    flow = as_flow_layer(t, {"event_shape": (3,)})
    x = torch.randn(5, 3, dtype=torch.float64)
    y, ld = flow.forward(x)
    assert ld.shape == (5,)
    assert torch.allclose(ld, x.sum(dim=1))
    back, ld_inv = flow.inverse(y)
    assert torch.allclose(back, x)
    assert torch.allclose(ld_inv, -ld)


def test_torch_transform_needs_a_declared_event_shape():
    with pytest.raises(TypeError, match="declare 'event_shape'"):
        as_flow_layer(torch.distributions.transforms.ExpTransform())


def test_a_non_flow_object_is_refused_with_a_pointer_to_the_docs():
    with pytest.raises(TypeError, match=r"not a flow layer.*docs/topics/flows\.md"):
        as_flow_layer(torch.nn.Linear(2, 2))


def test_a_missing_optional_library_names_the_extra():
    with pytest.raises(ImportError, match=re.escape('pip install "kexue-verify[flows]"')):
        adapters.require("kexue_verify_no_such_flow_library")


@pytest.mark.parametrize("claim", GENERIC)
def test_a_torch_transform_passes_the_generic_claims(claim):
    spec = _spec("torch-affine-exp", lambda ctx: torch.distributions.transforms.ComposeTransform([
        torch.distributions.transforms.AffineTransform(0.5, -2.0), torch.distributions.transforms.ExpTransform()]),
        (4,))
    assert_verdict(run_claim(claim, model=spec), "verified")


# --------------------------------------------------------------------------------------------- optional libraries


def _zuko_maf(ctx):
    zuko = pytest.importorskip("zuko")
    with layers.seeded(ctx.seed) as gen:
        return layers.perturb_(zuko.flows.MAF(4, transforms=2, hidden_features=(16,)), gen)


def _zuko_transform(ctx):
    zuko = pytest.importorskip("zuko")
    dtype, device = getattr(ctx, "torch_dtype", torch.float64), getattr(ctx, "device", "cpu")
    with layers.seeded(ctx.seed) as gen:
        shift, scale = (torch.randn(4, generator=gen, dtype=torch.float64).to(device, dtype) for _ in range(2))
        return zuko.transforms.MonotonicAffineTransform(shift, scale)  # not a Module: built in the run's dtype


def _nflows_stack(ctx):
    pytest.importorskip("nflows")
    from nflows import transforms
    from nflows.nn.nets import ResidualNet

    mask = torch.tensor([1, 0, 1, 0])
    with layers.seeded(ctx.seed) as gen:
        stack = transforms.CompositeTransform([
            transforms.ReversePermutation(4),
            transforms.LULinear(4, identity_init=False),
            transforms.AffineCouplingTransform(mask, lambda i, o: ResidualNet(i, o, hidden_features=8)),
        ])
        return layers.perturb_(stack, gen)


def _normflows_stack(ctx):
    nf = pytest.importorskip("normflows")
    with layers.seeded(ctx.seed) as gen:
        model = torch.nn.ModuleList([nf.flows.AffineCouplingBlock(nf.nets.MLP([2, 8, 4], init_zeros=True)),
                                     nf.flows.Permute(4, mode="swap"), nf.flows.ActNorm((4,))])
        return layers.perturb_(nf.NormalizingFlow(nf.distributions.DiagGaussian(4), list(model)), gen)


def _normflows_layer(ctx):
    nf = pytest.importorskip("normflows")
    with layers.seeded(ctx.seed) as gen:
        return layers.perturb_(nf.flows.AffineCouplingBlock(nf.nets.MLP([2, 8, 4], init_zeros=True)), gen)


LIBRARY_MODELS = {"zuko-maf": _zuko_maf, "zuko-transform": _zuko_transform, "nflows-stack": _nflows_stack,
                  "normflows-model": _normflows_stack, "normflows-layer": _normflows_layer}
#: normflows' NormalizingFlow adds the layers' log-dets into torch.zeros(len(z)), in torch's default dtype
#: (float32): in a float64 run its log-det has float32 accuracy, which the log-det checks refute (see below).
FLOAT32_ACCUMULATION = {("normflows-model", "flows.layer-logdet"), ("normflows-model", "flows.layer-directions-agree")}


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated:UserWarning")
@pytest.mark.parametrize("claim", GENERIC)
@pytest.mark.parametrize("model", sorted(LIBRARY_MODELS))
def test_library_layers_pass_the_generic_claims(model, claim):
    factory = LIBRARY_MODELS[model]
    factory(CheckContext(case_id="probe", seed=0))  # skips when the library is not installed
    expected = "refuted" if (model, claim) in FLOAT32_ACCUMULATION else "verified"
    result = run_claim(claim, model=_spec(model, factory, (4,)))
    assert_verdict(result, expected, variants_refuted=expected == "verified")


def test_normflows_model_log_det_has_float32_accuracy_in_float64_and_passes_in_float32():
    pytest.importorskip("normflows")
    spec = _spec("normflows-model", _normflows_stack, (4,))
    result = run_claim("flows.layer-logdet", model=spec)
    evidence = next(e for e in result.parts["numeric"].evidence if e.name == "forward log-det = slogdet J_f")
    assert 1e-9 < evidence.quantities["max_error"] < 1e-5  # float32 rounding of a log-det of size ~3
    assert_verdict(run_claim("flows.layer-logdet", model=spec, dtype="float32"), "verified")


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated:UserWarning")
@pytest.mark.parametrize("model", sorted(LIBRARY_MODELS))
def test_library_layers_are_adapted_with_their_convention(model):
    obj = LIBRARY_MODELS[model](CheckContext(case_id="probe", seed=0))
    flow = as_flow_layer(obj, {"event_shape": (4,)})
    assert flow.convention.split()[0] in {"zuko", "nflows", "normflows", "torch.distributions"}
    x = torch.randn(3, 4, dtype=torch.get_default_dtype())
    with torch.no_grad():
        _, ld = flow.forward(x)
    assert ld.shape == (3,)


# --------------------------------------------------------------------------------------------- the documented example


def _doc_example() -> str:
    text = (ROOT / "docs" / "topics" / "flows.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- example: my_flows.py -->\s*```python\n(.*?)```", text, re.S)
    assert block, "docs/topics/flows.md must keep the plug-in example marked <!-- example: my_flows.py -->"
    return block.group(1)


def test_the_documented_plugin_example_runs_and_passes(tmp_path, monkeypatch):
    (tmp_path / "my_flows.py").write_text(_doc_example(), encoding="utf-8")
    loaded = load(LoadOptions(dirs=(str(tmp_path),), only=("flows",)))
    assert not [p for p in loaded.plugins if p.error], [p.error for p in loaded.plugins if p.error]
    assert "my-shear" in loaded.models
    for claim in GENERIC:
        assert_verdict(run_claim(claim, model="my-shear", loaded=loaded), "verified")
    assert_verdict(run_claim("flows.density-normalised", model="my-shear-2d", loaded=loaded), "verified")
    for name in [m for m in sys.modules if m.startswith("kexue_verify_dirplugin_my_flows")]:
        monkeypatch.delitem(sys.modules, name)
