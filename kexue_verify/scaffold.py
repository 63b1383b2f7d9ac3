"""``kexue-verify new-plugin NAME``: a small installable plugin package to start from.

The package registers one claim (the AM–GM inequality for two numbers) with a symbolic
check, a numeric check and one false variant, through the ``kexue_verify`` entry-point
group, plus a pytest file that makes each case a pytest item (the ``kexue_verify`` pytest plugin) and runs the
claim inside an ordinary test with the ``kexue_run`` fixture.
"""

from __future__ import annotations

import re
from pathlib import Path

from kexue_verify.errors import UsageError

__all__ = ["WELL_KNOWN", "create_plugin", "family_of", "shadowing"]

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

import itertools

import sympy as sp
import torch

from kexue_verify import CheckContext, Evidence, holds, undecided
from kexue_verify.tolerances import tolerance

#: Exact points searched for a violation when SymPy cannot prove the inequality.
GRID = [sp.Integer(0), sp.Rational(1, 4), sp.Integer(1), sp.Integer(4), sp.Integer(9)]


def symbolic(ctx: CheckContext, assertion: dict) -> Evidence:
    """(a+b)/2 − c·√(ab) ≥ 0: with a = x², b = y² it is (x − y)²/2 for c = 1, which SymPy proves non-negative.

    SymPy's ``is_nonnegative`` is three-valued: ``True`` proves the inequality; ``False`` or ``None`` ("cannot
    decide") proves nothing, so exact points are searched for a violation; none found is ``undecided``.
    """
    a, b = sp.symbols("a b", nonnegative=True)
    diff = (a + b) / 2 - sp.nsimplify(assertion["factor"]) * sp.sqrt(a * b)
    x, y = sp.symbols("x y", nonnegative=True)
    gap = sp.factor(sp.expand(diff.subs({{a: x**2, b: y**2}})))
    decided = gap.is_nonnegative
    method = "sympy: substitute a = x², b = y², factor, decide the sign"
    if decided is True:
        return holds("(a+b)/2 - c*sqrt(ab) >= 0", True, method=method, gap=str(gap))
    for a_val, b_val in itertools.product(GRID, repeat=2):
        value = diff.subs({{a: a_val, b: b_val}})
        if value.is_negative:
            return holds("(a+b)/2 - c*sqrt(ab) >= 0", False, method=method + "; exact search for a violation",
                         gap=str(gap), counterexample={{"a": str(a_val), "b": str(b_val), "value": str(value)}})
    return undecided("(a+b)/2 - c*sqrt(ab) >= 0", method=method,
                     note=f"SymPy's is_nonnegative returned {{decided}} for {{gap}}, and no grid point violates it",
                     quantities={{"gap": str(gap)}})


def numeric(ctx: CheckContext, assertion: dict) -> Evidence:
    """torch: the smallest (a+b)/2 − c·√(ab) over 10⁴ random non-negative pairs is ≥ −tol (rounding of the dtype)."""
    ab = torch.rand(10_000, 2, generator=ctx.generator(), dtype=ctx.torch_dtype, device=ctx.device) * 10
    gap = ab.mean(dim=1) - assertion["factor"] * ab.prod(dim=1).sqrt()
    tol = tolerance(ctx.dtype, n=4, scale=10.0)  # a few roundings of numbers up to 10
    worst = int(gap.argmin())
    return holds("min over random pairs >= -tol", bool(gap.min() >= -tol),
                 method=f"torch on {{ctx.device}} ({{ctx.dtype}}), 10⁴ pairs", min_gap=float(gap.min()), tol=tol,
                 counterexample={{"a": float(ab[worst, 0]), "b": float(ab[worst, 1])}})
'''

TEST = '''\
"""The claims as pytest items (one per case), and one claim run inside an ordinary test."""

from kexue_verify.pytest_plugin import claim_tests

test_claims = claim_tests(plugins=["{module}"])


def test_am_gm_false_variant_is_refuted(kexue_run):
    result = kexue_run.expect("{family}.am-gm", plugins=["{module}"])
    assert [v.verdict.value for v in result.variants] == ["refuted"]
'''


def family_of(name: str) -> str:
    """The claim family a plugin called ``name`` gets: ``my_claims`` and ``My-Claims`` give ``my-claims``."""
    return name.replace("_", "-").lower()


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
    from kexue_verify.plugins import builtin_names

    families = set(builtin_names())
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
    family = family_of(name)
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
