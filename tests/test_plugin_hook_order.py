"""Hooks are called through pluggy: load order by default, ``tryfirst``/``trylast`` honoured, wrappers work, and a
plugin that fails (a plain hook or a wrapper) is still named and rolled back while the others load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kexue_verify import LoadOptions, load

CLAIM = textwrap.dedent('''
    from kexue_verify import Claim, Evidence, Source, hookimpl
    import {log_module} as log

    SRC = Source(title="Hooks", author="Doe, Jane", date="2024", url="https://example.org")

    def check(ctx, a):
        return Evidence.passed("ok", method="constant")

    def claim(cid):
        return Claim(id=cid, title=cid, statement="x", source=SRC, symbolic=check)
''')


def _plugin(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(CLAIM.format(log_module="hook_log") + textwrap.dedent(body))


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A --plugins-dir with a shared ``hook_log`` module the fake plugins append to."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "hook_log.py").write_text("calls = []\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.delitem(__import__("sys").modules, "hook_log", raising=False)
    folder = tmp_path / "plugins"
    folder.mkdir()
    return folder


def _log() -> list[str]:
    import hook_log

    return hook_log.calls


def test_hooks_run_in_load_order_by_default(plugin_dir: Path) -> None:
    for name in ("a_first", "b_second", "c_third"):
        _plugin(plugin_dir, name, f'''
            @hookimpl
            def kexue_register_claims(registry):
                log.calls.append("{name}")
                registry.add(claim("hooks.{name.replace("_", "-")}"))
        ''')
    loaded = load(LoadOptions(dirs=(str(plugin_dir),), only=()))
    assert loaded.problems == []
    assert _log() == ["a_first", "b_second", "c_third"]


def test_tryfirst_and_trylast_move_a_hook(plugin_dir: Path) -> None:
    _plugin(plugin_dir, "a_late", '''
        @hookimpl(trylast=True)
        def kexue_register_claims(registry):
            log.calls.append("a_late")
    ''')
    _plugin(plugin_dir, "b_plain", '''
        @hookimpl
        def kexue_register_claims(registry):
            log.calls.append("b_plain")
    ''')
    _plugin(plugin_dir, "c_early", '''
        @hookimpl(tryfirst=True)
        def kexue_register_claims(registry):
            log.calls.append("c_early")
            registry.add(claim("hooks.shared"))
    ''')
    _plugin(plugin_dir, "d_plain", '''
        @hookimpl
        def kexue_register_claims(registry):
            log.calls.append("d_plain")
            registry.add(claim("hooks.shared"))  # c_early's ran first, so this one is the duplicate
    ''')
    loaded = load(LoadOptions(dirs=(str(plugin_dir),), only=()))
    assert _log() == ["c_early", "b_plain", "d_plain", "a_late"]
    assert loaded.claims.origin("hooks.shared") == "c_early"
    assert [p.name for p in loaded.problems] == ["d_plain"]
    assert "hooks.shared" in (loaded.problems[0].error or "")


def test_a_wrapper_hook_wraps_every_plugin(plugin_dir: Path) -> None:
    _plugin(plugin_dir, "a_claims", '''
        @hookimpl
        def kexue_register_claims(registry):
            registry.add(claim("hooks.one"))
            registry.add(claim("hooks.two"))
    ''')
    _plugin(plugin_dir, "z_wrapper", '''
        @hookimpl(wrapper=True)
        def kexue_register_claims(registry):
            log.calls.append(("before", sorted(c.id for c in registry if c.id.startswith("hooks."))))
            result = yield
            log.calls.append(("after", sorted(c.id for c in registry if c.id.startswith("hooks."))))
            registry.add(claim("hooks.from-wrapper"))
            return result
    ''')
    loaded = load(LoadOptions(dirs=(str(plugin_dir),), only=()))
    assert loaded.problems == []
    assert _log() == [("before", []), ("after", ["hooks.one", "hooks.two"])]
    assert loaded.claims.origin("hooks.from-wrapper") == "z_wrapper"
    info = {p.name: p for p in loaded.plugins}
    assert info["z_wrapper"].claims == ["hooks.from-wrapper"]
    assert sorted(info["a_claims"].claims) == ["hooks.one", "hooks.two"]


def test_an_old_style_hookwrapper_also_runs(plugin_dir: Path) -> None:
    _plugin(plugin_dir, "old_wrapper", '''
        @hookimpl(hookwrapper=True)
        def kexue_register_claims(registry):
            log.calls.append("before")
            outcome = yield
            log.calls.append(("after", outcome.exception is None))
    ''')
    loaded = load(LoadOptions(dirs=(str(plugin_dir),), only=()))
    assert loaded.problems == []
    assert _log() == ["before", ("after", True)]


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_failing_wrapper_is_named_and_rolled_back(plugin_dir: Path, where: str) -> None:
    _plugin(plugin_dir, "a_good", '''
        @hookimpl
        def kexue_register_claims(registry):
            registry.add(claim("hooks.good"))
    ''')
    before = 'raise RuntimeError("wrapper broke")' if where == "before" else "pass"
    after = 'raise RuntimeError("wrapper broke")' if where == "after" else "pass"
    _plugin(plugin_dir, "b_bad_wrapper", f'''
        @hookimpl(wrapper=True)
        def kexue_register_claims(registry):
            registry.add(claim("hooks.bad-early"))
            {before}
            result = yield
            registry.add(claim("hooks.bad-late"))
            {after}
            return result
    ''')
    loaded = load(LoadOptions(dirs=(str(plugin_dir),), only=()))
    assert [p.name for p in loaded.problems] == ["b_bad_wrapper"]
    assert "kexue_register_claims raised RuntimeError: wrapper broke" in (loaded.problems[0].error or "")
    ids = set(loaded.claims.ids())
    assert "hooks.good" in ids
    assert not ids & {"hooks.bad-early", "hooks.bad-late"}


def test_a_raising_hook_does_not_stop_the_hooks_after_it(plugin_dir: Path) -> None:
    _plugin(plugin_dir, "a_raises", '''
        @hookimpl(tryfirst=True)
        def kexue_register_claims(registry):
            registry.add(claim("hooks.half-way"))
            raise SystemExit(3)
    ''')
    _plugin(plugin_dir, "b_fine", '''
        @hookimpl
        def kexue_register_claims(registry):
            registry.add(claim("hooks.fine"))
    ''')
    loaded = load(LoadOptions(dirs=(str(plugin_dir),), only=()))
    assert [p.name for p in loaded.problems] == ["a_raises"]
    assert "sys.exit(3)" in (loaded.problems[0].error or "")
    assert "hooks.fine" in loaded.claims.ids()
    assert "hooks.half-way" not in loaded.claims.ids()
    assert not loaded.manager.has_plugin("a_raises")
