"""The wheel: it ships every built-in topic and derivation, and the *installed* package (not the source tree) works.

The wheel test builds from a copy of the source tree, installs the wheel with ``--no-deps`` into a
throwaway venv made without pip, and borrows the current interpreter's dependencies (torch, sympy, …)
through a ``.pth`` file listing the folders they live in.  A ``.pth`` line that names a folder only
adds it to ``sys.path``; the ``.pth`` files *inside* that folder (such as the editable install's
finder) are not run, so the source tree cannot leak in.  Commands run from a temporary folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from kexue_verify.cli import cli

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the throwaway venv is laid out for POSIX")

DEPENDENCIES = ("torch", "sympy", "mpmath", "numpy", "click", "pluggy", "rich", "matplotlib", "flint", "latex2mathml")


def topic_packages() -> list[str]:
    """``kexue_verify_plugins.<topic>[.<sub>]`` for every folder under kexue_verify_plugins/ with an ``__init__.py``."""
    plugins = ROOT / "kexue_verify_plugins"
    return sorted(".".join(("kexue_verify_plugins", *init.parent.relative_to(plugins).parts))
                  for init in plugins.rglob("__init__.py") if "__pycache__" not in init.parts)


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_every_topic_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    missing = [name for name in topic_packages() if name not in listed]
    assert missing == [], f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    assert {"kexue_verify", "kexue_verify.reports", "kexue_verify_plugins", "kexue_verify_plugins.proofs"} <= listed
    assert config["package-dir"] == {"kexue_verify_plugins.proofs": "proofs"}  # the rest: path = import name
    assert "*.md" in config["package-data"]["kexue_verify_plugins.proofs"]


def dependency_folders() -> list[str]:
    """The site folders the dependencies are imported from in this interpreter."""
    folders = []
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        assert spec is not None, f"{name} is not installed"
        assert spec.origin, f"{name} has no file to borrow"
        origin = Path(spec.origin)
        folder = origin.parent.parent if origin.name == "__init__.py" else origin.parent
        if str(folder) not in folders:
            folders.append(str(folder))
    return folders


def run(command: list[str], cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KEXUE_VERIFY_PLUGINS", "PYTHONHOME")}
    environ.update(env)
    done = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(wheel, venv python, a working folder outside the source tree)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", ".tox", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".ruff_cache", ".hypothesis", "tests", "benchmarks", "report*.json", "report*.md", "report*.html",
        "report*_figures", "junit*.xml"))
    run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(base / "dist"), "-q"], cwd=base)
    (wheel,) = (base / "dist").glob("kexue_verify-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                  cwd=base).stdout.strip()
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
         str(wheel)], cwd=base)
    # After the install: where this interpreter has the project installed too (tox), pip would see it through the
    # borrowed folders and install nothing. The venv's own site-packages come before a .pth's folders on sys.path.
    Path(purelib, "borrowed_dependencies.pth").write_text("\n".join(dependency_folders()) + "\n", encoding="utf-8")
    work = base / "elsewhere"
    work.mkdir()
    return wheel, python, work


@pytest.mark.wheel
@pytest.mark.slow
def test_the_wheel_ships_every_topic_and_derivation(installed) -> None:
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"kexue_verify/__init__.py", "kexue_verify/py.typed", "kexue_verify/reports/schema.json",
                "kexue_verify/reports/writers.py", "kexue_verify_plugins/__init__.py"}
    for path in (ROOT / "kexue_verify_plugins").rglob("*.py"):
        if "__pycache__" not in path.parts:
            expected.add(path.relative_to(ROOT).as_posix())
    proofs = sorted((ROOT / "proofs").glob("*.md"))
    assert proofs, "proofs/ holds no derivation document"
    expected |= {f"kexue_verify_plugins/proofs/{p.name}" for p in proofs}
    assert sorted(expected - names) == []
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]


@pytest.mark.wheel
@pytest.mark.slow
def test_the_installed_wheel_lists_every_builtin_claim(installed) -> None:
    _, python, work = installed
    where = run([str(python), "-c", "import kexue_verify, kexue_verify_plugins, sys; "
                 "print(kexue_verify.__file__); print(kexue_verify_plugins.__file__); print(sys.prefix)"], cwd=work)
    package, topics, prefix = where.stdout.split()
    venv = python.parent.parent
    assert Path(prefix) == venv
    assert Path(package).is_relative_to(venv), where.stdout
    assert Path(topics).is_relative_to(venv), where.stdout
    assert not Path(package).is_relative_to(ROOT)

    script = python.parent / "kexue-verify"
    from_wheel = json.loads(run([str(script), "list", "--json"], cwd=work).stdout)
    from_source = json.loads(CliRunner().invoke(cli, ["list", "--json"], env={"KEXUE_VERIFY_PLUGINS": None}).stdout)
    assert [c["id"] for c in from_wheel] == [c["id"] for c in from_source]
    assert "stirling.formula" in {c["id"] for c in from_wheel}
    plugins = json.loads(run([str(script), "plugins", "--json"], cwd=work).stdout)
    assert [p for p in plugins if p["error"]] == []


@pytest.mark.wheel
@pytest.mark.slow
def test_the_installed_wheel_verifies_stirling(installed) -> None:
    _, python, work = installed
    done = run([str(python.parent / "kexue-verify"), "run", "stirling.formula", "-o", "st1.json"], cwd=work)
    assert done.stdout.splitlines()[0].startswith("verified     stirling.formula")
    from_wheel = json.loads((work / "st1.json").read_text(encoding="utf-8"))
    (entry,) = from_wheel["claims"]
    assert (entry["id"], entry["verdict"]) == ("stirling.formula", "verified")
    assert [v["verdict"] for v in entry["false_variants"]] == ["refuted"] * len(entry["false_variants"])
    # the same run from this (editable) install: a wheel records no git commit, but the id must not care
    from kexue_verify import RunConfig
    from kexue_verify import run as run_claims

    from_source = run_claims(["stirling.formula"], config=RunConfig(seed=0)).report
    assert from_source["claims"][0]["definition_digest"] == entry["definition_digest"]
    assert from_source["report_id"] == from_wheel["report_id"]

