"""``kexue-verify new-plugin NAME``: a small installable plugin package to start from.

The package registers one claim (the AM–GM inequality for two numbers) with a symbolic
check, a numeric check and one false variant, through the ``kexue_verify`` entry-point
group, plus a pytest file showing how to test it.
"""

from __future__ import annotations

import re
from pathlib import Path

from kexue_verify.errors import UsageError

__all__ = ["WELL_KNOWN", "create_plugin", "shadowing"]

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "Claims for kexue-verify"
requires-python = ">=3.10"
dependencies = ["kexue-verify"]

[project.entry-points.kexue_verify]
{module} = "{module}"
"""

MODULE = '''\
"""Claims of {dist}: registered through the ``kexue_verify`` entry-point group."""

from __future__ import annotations

from kexue_verify import Claim, ClaimRegistry, FalseVariant, Source, hookimpl

SOURCE = Source(title="Where the claim comes from", author="Surname, Given", date="2024-01-01",
                url="https://example.org/post")

AM_GM = Claim(
    id="{family}.am-gm",
    title="AM–GM for two numbers",
    statement=r"\\frac{{a+b}}{{2}} \\ge \\sqrt{{ab}}\\quad (a, b \\ge 0)",
    source=SOURCE,
    tags=("inequality",),
    assertion={{"factor": 1}},
    symbolic="{module}.checks:symbolic",
    numeric="{module}.checks:numeric",
    false_variants=(
        FalseVariant(name="factor-two", description=r"(a+b)/2 \\ge 2\\sqrt{{ab}}", assertion={{"factor": 2}}),
    ),
)


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add(AM_GM)
'''

CHECKS = '''\
"""Checks of {dist}'s claims: imported only when a claim runs, so they may import torch and sympy."""

from __future__ import annotations

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds


def symbolic(ctx: CheckContext, assertion: dict) -> Evidence:
    """(a+b)/2 − c·√(ab) = (√a − √b)²/2 ≥ 0 for c = 1; SymPy decides the sign of the difference."""
    a, b = sp.symbols("a b", nonnegative=True)
    diff = (a + b) / 2 - assertion["factor"] * sp.sqrt(a * b)
    x, y = sp.symbols("x y", nonnegative=True)
    gap = sp.factor(sp.expand(diff.subs({{a: x**2, b: y**2}})))
    nonnegative = bool(gap.is_nonnegative)
    return holds("(a+b)/2 - c*sqrt(ab) >= 0", nonnegative, method="sympy: substitute a = x², b = y², factor",
                 gap=str(gap), counterexample={{"a": 1, "b": 1}} if not nonnegative else None)


def numeric(ctx: CheckContext, assertion: dict) -> Evidence:
    """torch: the smallest (a+b)/2 − c·√(ab) over 10⁴ random non-negative pairs is ≥ 0."""
    ab = torch.rand(10_000, 2, generator=ctx.generator(), dtype=ctx.torch_dtype) * 10
    gap = ab.mean(dim=1) - assertion["factor"] * ab.prod(dim=1).sqrt()
    worst = int(gap.argmin())
    return holds("min over random pairs >= 0", bool(gap.min() >= 0), method=f"torch ({{ctx.dtype}}), 10⁴ pairs",
                 min_gap=float(gap.min()), counterexample={{"a": float(ab[worst, 0]), "b": float(ab[worst, 1])}})
'''

TEST = '''\
from kexue_verify.testing import assert_verdict, builtin_plugins, run_claim


def test_am_gm_is_verified_and_its_false_variant_refuted():
    loaded = builtin_plugins()
    assert "{family}.am-gm" in loaded.claims, "is the package installed (pip install -e .)?"
    assert_verdict(run_claim("{family}.am-gm", loaded=loaded), "verified")
'''


#: Distributions a new plugin must not be named after even where they are not installed here: installing it
#: would replace (or be replaced by) the real package.
WELL_KNOWN = frozenset({
    "kexue-verify", "kexue-verify-plugins", "torch", "torchvision", "torchaudio", "numpy", "scipy", "sympy", "mpmath",
    "pandas", "matplotlib", "pluggy", "click", "rich", "pytest", "hypothesis", "setuptools", "pip", "wheel",
    "tensorflow", "keras", "jax", "jaxlib", "flax", "zuko", "nflows", "normflows", "python-flint", "flint", "requests",
    "markdown-it-py", "scikit-learn", "sklearn", "transformers", "tox", "build", "ruff", "typing-extensions",
})


def _normal(name: str) -> str:
    """A distribution name as packaging compares them (PEP 503): lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def shadowing(name: str) -> str | None:
    """Why ``name`` would shadow an existing package or plugin, or None when it is free."""
    import importlib.util
    import sys
    from importlib.metadata import distributions

    dist, module = _normal(name), name.replace("-", "_").lower()
    if dist in WELL_KNOWN or module in WELL_KNOWN:
        return f"{name!r} is the name of a well-known package"
    if dist.startswith("kexue-verify") or module.startswith("kexue_verify"):
        return f"{name!r} is one of kexue-verify's own names"
    if module in getattr(sys, "stdlib_module_names", ()):
        return f"{module!r} is a module of Python's standard library"
    try:
        import kexue_verify_plugins

        families = set(getattr(kexue_verify_plugins, "DEFAULT_PLUGINS", ()))
    except ImportError:  # pragma: no cover - the built-in topics are part of the distribution
        families = set()
    if module in families or module.replace("_", "-") in families:
        return f"{module!r} is a built-in topic of kexue-verify"
    installed = {_normal(d.metadata["Name"] or "") for d in distributions()}
    if dist in installed:
        return f"a distribution named {dist!r} is installed"
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = True
    if found:
        return f"a module named {module!r} can already be imported here"
    return None


def create_plugin(name: str, directory: Path) -> Path:
    """Create ``directory/name/`` with pyproject, package, checks and a test; return its path.

    Refuses a name that would shadow an installed or well-known distribution, an importable module, the
    standard library or a built-in topic: installing the package would replace the real one.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise UsageError(f"plugin name {name!r} must start with a letter and use letters, digits, '-' or '_'")
    clash = shadowing(name)
    if clash:
        raise UsageError(f"{clash}; installing a plugin called that would shadow it. Choose another name, "
                         f"e.g. 'kexue-{name.lower()}-claims'")
    root = directory / name
    if root.exists():
        raise UsageError(f"{root} already exists; choose another name or --dir")
    module = name.replace("-", "_").lower()
    family = module.replace("_", "-")
    fill = {"dist": name, "module": module, "family": family}
    files = {
        root / "pyproject.toml": PYPROJECT,
        root / module / "__init__.py": MODULE,
        root / module / "checks.py": CHECKS,
        root / "tests" / f"test_{module}.py": TEST,
    }
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fill), encoding="utf-8")
    return root
