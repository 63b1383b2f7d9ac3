"""The formula parser builds SymPy objects from a whitelisted syntax tree and never evaluates text.

These tests import neither torch nor the CLI, so that CI can run them with ``--noconftest`` on
every supported Python (``.ci/run`` does so on 3.12 and 3.13, whose tokenizer splits f-strings
into ``FSTRING_*`` tokens, the hole the previous token filter had).
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kexue_verify.errors import FormulaError
from kexue_verify.formula import LIMITS, parse_formula

X, Y = sp.Symbol("x", positive=True), sp.Symbol("y", real=True)
NAMES = {"x": X, "y": Y}

#: Every string-prefix form Python accepts (each letter in both cases, both orders).
_PREFIXES = sorted(
    {
        "".join(chars)
        for base in ("", "r", "u", "b", "br", "f", "fr")
        for order in itertools.permutations(base)
        for chars in itertools.product(*[(c, c.upper()) for c in order])
    }
)


def _payload(canary: Path) -> str:
    return f"__import__('pathlib').Path({str(canary)!r}).touch()"


@pytest.mark.parametrize("prefix", _PREFIXES)
@pytest.mark.parametrize("quote", ["'", '"', "'''", '"""'])
def test_every_string_form_is_refused_and_nothing_runs(prefix: str, quote: str, tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    body = "{" + _payload(canary) + "}" if "f" in prefix.lower() else "x"
    text = f"sin({prefix}{quote}{body}{quote})"
    with pytest.raises(FormulaError, match=r"string literals|f-string|cannot read"):
        parse_formula(text, NAMES)
    assert not canary.exists()


def test_nested_f_strings_are_refused(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    inner = 'f"{' + _payload(canary).replace("'", '"') + '}"'
    for text in (f"sin(f'{{{inner}}}')", f"f'{{f\"{{{inner}}}\"}}'", "exp(x) + f'{x!r:>{10}}'"):
        with pytest.raises(FormulaError):
            parse_formula(text, NAMES)
    assert not canary.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "'_'"),
        ("x.__class__", "'_'"),
        ("x.func", "attribute 'func' is not allowed"),
        ("x.evalf(10**9)", "method 'evalf' is not allowed"),
        ("lambda: 1", "lambda"),
        ("[i for i in (1, 2)]", "comprehension"),
        ("x if x else y", "'if ... else'"),
        ("x < y", "comparison"),
        ("x ^ 2", r"write '\*\*'"),
        ("open", "unknown name 'open'"),
        ("Symbol(x)", "unknown name 'Symbol'"),
        ("Function(x)", "unknown name 'Function'"),
        ("sin(*[x])", "unpacking"),
        ("sin(x, **{})", "keyword"),
        ("Integral(x, (x, 0, 1), risch=x)", "keyword 'risch'"),
        ("x(1)", "not a function"),
        ("(x + y)(1)", "not a function"),
        ("Matrix([1, 2])[0:1]", "slices"),
        ("x[0]", "only matrices"),
        ("(x := 1)", "':='"),
        ("None", "not a number"),
        ("", "empty"),
        ("x +", "cannot read"),
        ("(" * 300 + "x" + ")" * 300, "cannot read"),
        ("-" * 9000 + "x", "cannot read|nested"),
        ("Matrix([" + ", ".join(["x"] * 3000) + "])", "parts"),
        ("x" + " + x" * 300, "levels deep"),
        ("x\x00", "NUL"),
    ],
)
def test_syntax_outside_the_whitelist_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        parse_formula(text, NAMES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9**9**9", "exact number of about"),
        ("2**(10**7)", "exact number of about"),
        ("sqrt(2)**(10**9)", "exact number of about"),
        ("Pow(3, 10**8)", "exact number of about"),
        ("root(2, 1/10**9)", "exact number of about"),
        ("factorial(10**9)", "evaluated in full"),
        ("gamma(10**9)", "evaluated in full"),
        ("binomial(10**12, 10**6)", "evaluated in full"),
        ("eye(10**6)", "rows and columns"),
        ("zeros(10**5, 10**5)", "rows and columns"),
        ("Float(1, 10**9)", "precision"),
        ("1" * 1200, "at most 1000 digits"),
        ("x" * 20_000, "characters long"),
    ],
)
def test_huge_objects_are_refused_before_they_are_computed(text: str, message: str) -> None:
    start = time.monotonic()
    with pytest.raises(FormulaError, match=message):
        parse_formula(text, NAMES)
    assert time.monotonic() - start < 2.0


def test_parsing_runs_under_the_time_limit() -> None:
    start = time.monotonic()
    with pytest.raises(FormulaError, match=r"took longer than 0\.2 s"):
        parse_formula("expand((x + y + 1)**400)", NAMES, time_limit=0.2)
    assert time.monotonic() - start < 3.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/2", sp.Rational(1, 2)),
        ("0.5*x", sp.Float("0.5") * X),
        ("2j", 2 * sp.I),
        ("1_000", sp.Integer(1000)),
        ("2**10", sp.Integer(1024)),
        ("7 // 2 + 7 % 3", sp.Integer(4)),
        ("-x + +y", -X + Y),
        ("sqrt(2*pi*x)*(x/E)**x", sp.sqrt(2 * sp.pi * X) * (X / sp.E) ** X),
        ("Integral(exp(-x), (x, 0, oo))", sp.Integral(sp.exp(-X), (X, 0, sp.oo))),
        ("Matrix([[1, 2], [3, 4]]).T[0, 1]", sp.Integer(3)),
        ("(Matrix([1, 2]).dot(Matrix([3, 4])))", sp.Integer(11)),
        ("Matrix([[2, 1], [1, 1]]).inv()", sp.ImmutableMatrix([[1, -1], [-1, 2]])),
        ("Lambda(y, y**2)(3)", sp.Integer(9)),
        ("Min(x, 1) + Max(y, 2)", sp.Min(X, 1) + sp.Max(Y, 2)),
        ("(1, x)", sp.Tuple(1, X)),
        ("2**100000", sp.Integer(2) ** 100000),
        ("factorial(20)", sp.factorial(20)),
        ("Add(x, x, evaluate=False)", sp.Add(X, X, evaluate=False)),
    ],
)
def test_formulas_build_the_sympy_objects_they_write(text: str, expected: sp.Basic) -> None:
    assert parse_formula(text, NAMES) == expected


def test_declared_names_win_and_indexed_bases_can_be_indexed() -> None:
    sigma = sp.IndexedBase("sigma")
    i = sp.Symbol("i", integer=True)
    assert parse_formula("gamma", {"gamma": X}) == X
    assert parse_formula("Sum(sigma[i]**2, (i, 1, 3))", {"sigma": sigma, "i": i}) == sp.Sum(sigma[i] ** 2, (i, 1, 3))
    with pytest.raises(FormulaError, match="cannot be declared"):
        parse_formula("x", {"_x": X})


def test_unknown_names_suggest_close_ones() -> None:
    with pytest.raises(FormulaError, match="did you mean 'gamma'"):
        parse_formula("gama(x)", NAMES)


def test_the_module_imports_without_torch() -> None:
    import subprocess
    import sys

    code = "import sys, kexue_verify.formula; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --------------------------------------------------------------------------------------------
# Fuzzing: random token soups never run code, never crash with anything but FormulaError
# --------------------------------------------------------------------------------------------

_TOKENS = [
    "x", "y", "sin", "exp", "Matrix", "Integral", "oo", "pi", "E", "I", "Lambda", "Pow", "factorial",
    "__import__", "os", "system", "eval", "exec", "open", "getattr", "globals", "__class__", "__globals__",
    "__builtins__", "subs", "T", "doit", "jacobian", "func", "args",
    "lambda", "if", "else", "for", "in", "not", "and", "or", "is", "await", "yield", "None", "True",
    "+", "-", "*", "/", "**", "%", "//", "@", "^", "&", "|", "~", "<", ">", "==", "!=", ".", ",", ":", ";",
    "=", ":=", "!", "$", "?", "\\", "(", ")", "[", "]", "{", "}", "\n", "#",
    "0", "1", "2", "9", "2.5", "1e5", "0x1f", "0o7", "0b1", "1_000", "2j", "9**9**9",
    *[f"{p}'a'" for p in _PREFIXES], *[f'{p}"{{x}}"' for p in _PREFIXES if "f" in p.lower()],
    "f'{f\"{x}\"}'", "f'{x!r}'", "f'{x:{y}}'", "'''", '"', "'",
]

_soup = st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=25).map(" ".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_soup)
def test_fuzz_token_soups_give_a_value_or_a_formula_error(text: str) -> None:
    try:
        value = parse_formula(text, NAMES, time_limit=2.0)
    except FormulaError:
        return
    assert isinstance(value, (sp.Basic, sp.MatrixBase))


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["x", "y", "1", "2", "3", "7", "pi", "E", "oo", "1/2", "0.25"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        power = st.tuples(inner, st.sampled_from(["2", "3", "-1", "(1/2)"])).map(lambda t: f"({t[0]})**{t[1]}")
        call = st.tuples(st.sampled_from(["sin", "exp", "log", "sqrt", "Abs", "gamma"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        )
        return binary | power | call | inner.map(lambda e: f"-{e}")

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions())
@example("gamma(gamma((2 + 7)))")
@example("(((((((((((7)**3)**3)**3)**3)**3)**3)**3)**3)**3)**3)**3")
def test_fuzz_valid_formulas_match_sympys_own_reading(text: str) -> None:
    """On text this test generated itself, both readings agree — where the parser reads it: it refuses, by one of
    its documented limits (``LIMITS``), a formula SymPy would evaluate into an enormous number (``gamma(gamma(9))``
    is 40319!, and one more ``gamma`` would not finish; so would a tower of powers) or that nests too deeply, and
    then SymPy's own parser is not asked."""
    from sympy.parsing.sympy_parser import parse_expr

    try:
        ours = parse_formula(text, NAMES)
    except FormulaError as exc:
        refused = str(exc)
    else:
        assert ours == parse_expr(text, local_dict=dict(NAMES))
        return
    limits = ("would be evaluated in full", "powers are limited to", "is nested too deeply")
    assert any(limit in refused for limit in limits), (text, refused)


def test_limits_are_documented_numbers() -> None:
    assert all(isinstance(v, (int, float)) and v > 0 for v in LIMITS.values())


# --- relations --------------------------------------------------------------------------------------------------------

def test_a_relation_is_read_unevaluated() -> None:
    from kexue_verify.formula import parse_relation

    spec, fro = sp.symbols("spec fro")
    assert parse_relation("spec <= fro", {"spec": spec, "fro": fro}) == sp.Le(spec, fro, evaluate=False)
    one = parse_relation("1 <= 2")
    assert isinstance(one, sp.core.relational.Relational)
    assert one.rel_op == "<="
    assert parse_relation("Eq(spec, 2*fro)", {"spec": spec, "fro": fro}).rel_op == "=="
    assert parse_relation("spec > fro", {"spec": spec, "fro": fro}).rel_op == ">"


@pytest.mark.parametrize("text", ["1 < 2 < 3", "x", "x != 1", "Eq(1)", "x in y", "__import__('os') <= 1",
                                  "f'{1}' <= 2", "9**9**9 <= 1"])
def test_what_is_not_one_relation_is_refused(text: str) -> None:
    from kexue_verify.formula import parse_relation

    with pytest.raises(FormulaError):
        parse_relation(text, {"x": sp.Symbol("x"), "y": sp.Symbol("y")})
