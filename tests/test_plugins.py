"""Plugin discovery and isolation: order, entry points, KEXUE_VERIFY_PLUGINS, and every way a plugin can be broken."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import BROKEN_FAKES, CORE_FAKES, MODULE_FAKES

from kexue_verify import LoadOptions, PluginError, UsageError, load
from kexue_verify.plugins import ENTRY_POINT_GROUP, ENV_PLUGINS, PluginInfo

CORE_CLAIMS = ["fake.doubles", "fake.failing-squares", "fake.good-sum", "fake.nan", "fake.orphan", "fake.post-typo",
               "fake.raising", "fake.seeded", "fake.weak"]


@pytest.fixture
def fake_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make tests/fake_plugins/modules importable (with its dist-info) and stand in for the built-in topics."""
    monkeypatch.syspath_prepend(str(MODULE_FAKES))
    monkeypatch.setattr("kexue_verify.plugins.BUILTIN_PACKAGE", "kv_fake_builtins")


def by_name(loaded) -> dict[str, PluginInfo]:
    return {p.name: p for p in loaded.plugins}


def test_fake_plugins_load_with_provenance() -> None:
    loaded = load(LoadOptions(dirs=(str(CORE_FAKES),), only=()))
    assert loaded.problems == []
    assert sorted(loaded.claims.ids()) == CORE_CLAIMS
    assert loaded.claims.origin("fake.good-sum") == "good"
    assert loaded.models.origin("doubler-a") == "doublers"
    assert loaded.models.origin("doubler-b") == "more_doublers"
    plugins = by_name(loaded)
    assert plugins["writers"].origin == "core"
    assert sorted(plugins["writers"].reporters) == [".html", ".json", ".md", ".xml"]
    assert plugins["doublers"].claims == ["fake.doubles"]
    assert plugins["doublers"].models == ["doubler-a"]
    assert plugins["good"].origin == "plugins-dir"
    assert plugins["good"].module == "good"  # imported by its own name: the folder is an import root
    assert list(plugins["good"].to_dict()) == ["name", "origin", "module", "version", "claims", "models", "reporters",
                                               "error"]


def test_discovery_order_is_core_builtins_entry_points_dirs_then_modules(fake_site: None) -> None:
    loaded = load(LoadOptions(dirs=(str(CORE_FAKES),), modules=("kv_fake_cmdline",), only=None))
    order = [(p.name, p.origin) for p in loaded.plugins]
    origins = [o for _, o in order]
    assert origins == sorted(origins, key=["core", "builtin", "entry-point", "plugins-dir", "command-line"].index)
    assert order[:3] == [("writers", "core"), ("beta", "builtin"), ("alpha", "builtin")]  # DEFAULT_PLUGINS order
    assert [n for n, o in order if o == "entry-point"] == ["fake_ep", "missing_ep"]  # sorted by name
    assert order[-1] == ("kv_fake_cmdline", "command-line")


def test_entry_point_plugin_reports_its_distribution_version(fake_site: None) -> None:
    loaded = load(LoadOptions(only=None))
    ep = by_name(loaded)["fake_ep"]
    assert (ep.origin, ep.module, ep.version, ep.error) == ("entry-point", "kv_fake_ep", "1.2.3", None)
    assert (ep.claims, ep.models) == (["entry.truth"], ["ep-model"])
    missing = by_name(loaded)["missing_ep"]
    assert missing.error == "failed to import: ModuleNotFoundError: No module named 'kv_fake_no_such_module'"
    assert "entry.truth" in loaded.claims


def test_entry_points_are_looked_up_in_the_kexue_verify_group(monkeypatch: pytest.MonkeyPatch) -> None:
    groups = []

    def fake_entry_points(*, group: str):
        groups.append(group)
        return []

    monkeypatch.setattr("kexue_verify.plugins.entry_points", fake_entry_points)
    load(LoadOptions(only=()))
    assert groups == [ENTRY_POINT_GROUP] == ["kexue_verify"]


@pytest.mark.parametrize(("only", "expected"), [
    (None, ["beta", "alpha", "fake_ep", "missing_ep"]),
    ((), []),
    (("alpha",), ["alpha"]),
    (("fake_ep", "alpha"), ["alpha", "fake_ep"]),
])
def test_the_env_list_restricts_builtin_and_entry_point_plugins(fake_site: None, only, expected) -> None:
    loaded = load(LoadOptions(dirs=(str(CORE_FAKES),), modules=("kv_fake_cmdline",), only=only))
    names = [p.name for p in loaded.plugins if p.origin in ("builtin", "entry-point")]
    assert names == expected
    # --plugins-dir, -p and the core's own writers load whatever the list says
    assert {"writers", "good", "kv_fake_cmdline"} <= {p.name for p in loaded.plugins}


@pytest.mark.parametrize(("raw", "only"), [
    (None, None),
    ("", ()),
    (" , ", ()),
    ("stirling", ("stirling",)),
    (" stirling, flows ,", ("stirling", "flows")),
])
def test_env_variable_is_parsed_as_a_comma_separated_list(raw: str | None, only) -> None:
    environ = {} if raw is None else {ENV_PLUGINS: raw}
    assert LoadOptions.from_env(environ=environ).only == only


def test_env_variable_is_read_from_the_process_environment(fake_site: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_PLUGINS, "alpha")
    assert [p.name for p in load().plugins] == ["writers", "alpha"]
    monkeypatch.setenv(ENV_PLUGINS, "")
    assert [p.name for p in load().plugins] == ["writers"]


def test_builtin_topics_are_loaded_by_name_from_the_plugins_package() -> None:
    import kexue_verify_plugins

    loaded = load(LoadOptions(only=None))
    builtins = [p.name for p in loaded.plugins if p.origin == "builtin"]
    assert builtins == list(kexue_verify_plugins.DEFAULT_PLUGINS)
    assert "stirling" in builtins
    first = kexue_verify_plugins.DEFAULT_PLUGINS[0]
    only_first = load(LoadOptions(only=(first,)))
    assert [p.name for p in only_first.plugins if p.origin == "builtin"] == [first]


@pytest.mark.parametrize(("plugin", "fragments"), [
    ("broken_import", ["failed to import", "ModuleNotFoundError", "kexue_verify_no_such_module"]),
    ("duplicate", ["DuplicateIdError", "'fake.good-sum' is registered twice", "by plugin 'good'",
                   "by plugin 'duplicate'"]),
    ("misspelt", ["unknown hook", "kexue_register_claim'", "kexue_verify.hookspecs"]),
    ("hook_raises", ["kexue_register_claims raised RuntimeError: the plugin changed its mind"]),
])
def test_a_broken_plugin_is_reported_by_name_and_the_others_still_load(plugin: str, fragments: list[str]) -> None:
    loaded = load(LoadOptions(dirs=(str(CORE_FAKES), str(BROKEN_FAKES)), only=()))
    info = by_name(loaded)[plugin]
    assert info.origin == "plugins-dir"
    for fragment in fragments:
        assert fragment in info.error
    assert (info.claims, info.models) == ([], [])
    assert sorted(p.name for p in loaded.problems) == ["broken_import", "duplicate", "hook_raises", "misspelt"]
    assert sorted(loaded.claims.ids()) == CORE_CLAIMS  # everything the good plugins registered, nothing else
    assert loaded.claims.origin("fake.good-sum") == "good"


def test_a_hook_that_raises_or_hits_a_duplicate_is_rolled_back() -> None:
    loaded = load(LoadOptions(dirs=(str(CORE_FAKES), str(BROKEN_FAKES)), only=()))
    assert "broken.rolled-back" not in loaded.claims  # added before the hook raised
    assert "broken.dup-extra" not in loaded.claims  # added before the duplicate
    assert "broken.misspelt" not in loaded.claims


def test_check_pending_rejects_the_misspelt_hook_and_keeps_the_manager_valid() -> None:
    loaded = load(LoadOptions(dirs=(str(BROKEN_FAKES),), only=()))
    assert loaded.manager.get_plugin("misspelt") is None
    assert loaded.manager.get_plugin("hook_raises") is None  # its hook raised: rolled back, hooks included
    loaded.manager.check_pending()  # nothing unknown is left registered


def test_strict_turns_the_first_problem_into_an_error() -> None:
    with pytest.raises(PluginError, match=r"plugin 'broken_import' \(plugins-dir\): failed to import"):
        load(LoadOptions(dirs=(str(CORE_FAKES), str(BROKEN_FAKES)), only=(), strict=True))
    assert load(LoadOptions(dirs=(str(CORE_FAKES),), only=(), strict=True)).problems == []


def test_command_line_module_plugin(fake_site: None) -> None:
    loaded = load(LoadOptions(modules=("kv_fake_cmdline", "kv_fake_cmdline"), only=()))
    first, again = (p for p in loaded.plugins if p.origin == "command-line")
    assert (first.name, first.version, first.claims, first.error) == ("kv_fake_cmdline", "0.7.1",
                                                                     ["cmdline.square"], None)
    assert "already loaded" in again.error
    with pytest.raises(UsageError, match=r"-p kv_fake_absent: no module named 'kv_fake_absent'"):
        load(LoadOptions(modules=("kv_fake_cmdline", "kv_fake_absent"), only=()))


def test_a_reporter_plugin_adds_an_output_format(fake_site: None) -> None:
    loaded = load(LoadOptions(only=("beta",)))
    assert loaded.reporters.origin(".csv") == "beta"
    assert by_name(loaded)["beta"].reporters == [".csv"]


def test_plugins_dir_must_exist() -> None:
    with pytest.raises(PluginError, match=r"--plugins-dir .*missing: no such folder"):
        load(LoadOptions(dirs=("tests/fake_plugins/missing",), only=()))


def test_plugins_dir_skips_private_files(tmp_path: Path) -> None:
    (tmp_path / "_helpers.py").write_text("raise RuntimeError('must not be imported')\n")
    (tmp_path / "notes.txt").write_text("not python\n")
    (tmp_path / "empty.py").write_text('"""A plugin without hooks."""\n')
    loaded = load(LoadOptions(dirs=(str(tmp_path),), only=()))
    assert [p.name for p in loaded.plugins] == ["writers", "empty"]
    assert loaded.problems == []


def test_hooks_do_not_fire_at_import_time(tmp_path: Path) -> None:
    (tmp_path / "counting.py").write_text(
        "from kexue_verify import hookimpl\n"
        "CALLS = []\n"
        "@hookimpl\n"
        "def kexue_register_models(registry):\n"
        "    CALLS.append(registry)\n"
    )
    loaded = load(LoadOptions(dirs=(str(tmp_path),), only=()))
    module = sys.modules["counting"]
    assert len(module.CALLS) == 1  # exactly once, when loaded
    assert module.CALLS[0] is loaded.models


def test_a_builtin_package_that_cannot_be_imported_is_reported(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "kv_unimportable_topics"
    package.mkdir()
    (package / "__init__.py").write_text("raise FileNotFoundError('no proofs/ folder next to the package')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("kexue_verify.plugins.BUILTIN_PACKAGE", "kv_unimportable_topics")
    loaded = load(LoadOptions(dirs=(str(CORE_FAKES),), only=None))
    (problem,) = loaded.problems
    assert (problem.name, problem.origin) == ("kv_unimportable_topics", "builtin")
    assert problem.error == "failed to import: FileNotFoundError: no proofs/ folder next to the package"
    assert sorted(loaded.claims.ids()) == CORE_CLAIMS
    assert load(LoadOptions(only=())).problems == []  # an empty list does not even import the package


def test_a_missing_builtin_package_is_not_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kexue_verify.plugins.BUILTIN_PACKAGE", "kv_no_such_topics_package")
    loaded = load(LoadOptions(only=None))
    assert [p for p in loaded.plugins if p.origin == "builtin"] == []


RELOADED_PLUGIN = """from kexue_verify import Claim, Source, hookimpl
from kv_reloaded.helper import TITLE


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="reloaded.claim", title=TITLE, statement="x = x", assertion=None, numeric="kv_reloaded:f",
                       source=Source(title="Fake", author="Tester, Dan", date="2022", url="https://example.org/r")))


def f(ctx, a):
    return []
"""


def test_a_plugins_dir_package_edited_since_it_was_imported_is_imported_again(tmp_path: Path) -> None:
    """A notebook that edits its plugin between two runs plans the second with the edited claims; an unchanged
    plugin keeps its module."""
    package = tmp_path / "plugins" / "kv_reloaded"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(RELOADED_PLUGIN, encoding="utf-8")
    (package / "helper.py").write_text('TITLE = "the first title"\n', encoding="utf-8")
    options = LoadOptions(dirs=(str(package.parent),), only=())
    assert load(options).claims["reloaded.claim"].title == "the first title"
    module = sys.modules["kv_reloaded"]
    assert load(options).claims["reloaded.claim"].title == "the first title"
    assert sys.modules["kv_reloaded"] is module  # unchanged: not imported again
    (package / "helper.py").write_text('TITLE = "the second, edited title"\n', encoding="utf-8")
    assert load(options).claims["reloaded.claim"].title == "the second, edited title"
    assert sys.modules["kv_reloaded"] is not module
