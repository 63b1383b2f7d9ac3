"""The registries: validation, duplicate ids naming both plugins, provenance, and roll-back of a failed hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from kexue_verify import Claim, ClaimRegistry, DuplicateIdError, ModelRegistry, ModelSpec, PluginError, Source, holds
from kexue_verify.registry import ReporterRegistry

SOURCE = Source(title="T", author="A, B", date="2020", url="https://example.org")


def claim(claim_id: str) -> Claim:
    return Claim(id=claim_id, title="t", statement="s", source=SOURCE, numeric=lambda ctx, a: holds("h", True))


def model(name: str, kind: str = "k") -> ModelSpec:
    return ModelSpec(name=name, kind=kind, factory=lambda ctx: None)


def test_claims_are_recorded_with_the_plugin_that_added_them() -> None:
    reg = ClaimRegistry()
    with reg.recording("alpha"):
        first = reg.add(claim("a.one"))
        reg.add(claim("a.two"))
    with reg.recording("beta"):
        reg.add(claim("b.one"))
    reg.add(claim("c.direct"))
    assert first.id == "a.one"
    assert reg.origin("a.two") == "alpha"
    assert reg.by_plugin("alpha") == ["a.one", "a.two"]
    assert reg.by_plugin("beta") == ["b.one"]
    assert reg.origin("c.direct") == "<direct>"
    assert "a.one" in reg
    assert "z.none" not in reg
    assert len(reg) == 4
    assert reg["b.one"].id == "b.one"
    assert [c.id for c in reg.sorted()] == ["a.one", "a.two", "b.one", "c.direct"]


def test_duplicate_id_names_both_plugins() -> None:
    reg = ClaimRegistry()
    with reg.recording("first-plugin"):
        reg.add(claim("x.same"))
    with pytest.raises(DuplicateIdError, match=r"'x\.same' is registered twice: by plugin 'first-plugin' and by "
                                               r"plugin 'second-plugin'"), reg.recording("second-plugin"):
        reg.add(claim("x.same"))
    assert reg.origin("x.same") == "first-plugin"
    assert isinstance(DuplicateIdError("x"), PluginError)


def test_a_block_that_raises_is_rolled_back_and_the_rest_stays() -> None:
    reg = ClaimRegistry()
    with reg.recording("good"):
        reg.add(claim("g.kept"))
    def register_two_then_fail() -> None:
        with reg.recording("bad"):
            reg.add(claim("b.first"))
            reg.add(claim("b.second"))
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        register_two_then_fail()
    assert reg.ids() == ["g.kept"]
    assert reg.by_plugin("bad") == []
    with reg.recording("bad-again"):  # the rolled-back ids are free again
        reg.add(claim("b.first"))
    assert reg.origin("b.first") == "bad-again"


def test_recording_restores_the_previous_plugin_name() -> None:
    reg = ModelRegistry()
    with reg.recording("outer"):
        with reg.recording("inner"):
            reg.add(model("m1"))
        reg.add(model("m2"))
    assert (reg.origin("m1"), reg.origin("m2")) == ("inner", "outer")


@pytest.mark.parametrize(("registry", "item"), [
    (ClaimRegistry(), "stirling.formula"),
    (ClaimRegistry(), model("m")),
    (ModelRegistry(), claim("a.b")),
])
def test_registries_refuse_the_wrong_type(registry, item) -> None:
    with pytest.raises(PluginError, match=r"registry\.add\(\) takes a"):
        registry.add(item)


def test_models_by_kind_are_sorted_by_name() -> None:
    reg = ModelRegistry()
    for name, kind in [("zeta", "flow"), ("alpha", "flow"), ("net", "lipschitz")]:
        reg.add(model(name, kind))
    assert [m.name for m in reg.of_kind("flow")] == ["alpha", "zeta"]
    assert reg.of_kind("none") == []
    assert reg.kinds() == ["flow", "lipschitz"]
    with pytest.raises(DuplicateIdError, match="model 'alpha'"):
        reg.add(model("alpha", "other"))


def test_proof_dirs_must_exist_and_are_kept_once(tmp_path: Path) -> None:
    reg = ClaimRegistry()
    reg.add_proof_dir(tmp_path)
    reg.add_proof_dir(str(tmp_path))
    assert reg.proof_dirs == [tmp_path]
    with pytest.raises(PluginError, match="does not exist"):
        reg.add_proof_dir(tmp_path / "missing")


def test_reporters_are_keyed_by_lower_case_extension() -> None:
    reg = ReporterRegistry()

    def writer(report, path):
        return None

    reg.add(".MD", writer)
    assert reg.for_path(Path("out/Report.md")) is writer
    assert reg.for_path(Path("report.MD")) is writer
    assert reg.for_path(Path("report.txt")) is None
    assert reg.for_path(Path("report")) is None
    with pytest.raises(PluginError, match=r"registry\.add\('\.ext', writer\)"):
        reg.add("md", writer)
    with pytest.raises(PluginError):
        reg.add(".csv", "not callable")
    with pytest.raises(DuplicateIdError, match=r"report format '\.md'"):
        reg.add(".md", writer)
