r"""Numerical evaluation with mpmath at random points of the declared domain, shared by all steps.

A derivation's points are drawn once, reproducibly from ``(seed, name)``: the first at the lower edge of
every range, the second at the upper edge, then a mix of uniform and log-uniform placements (near an edge,
or at small magnitude), an open edge approached to within ``10⁻⁸`` of the width; undefined functions get
random smooth instances of their declared sign.  Expressions are evaluated with ``digits + 10`` working
digits, unevaluated integrals by tanh-sinh quadrature (:func:`mpmath.quad`), infinite sums by :func:`mpmath.nsum`.
Two values agree to ``d`` digits when

.. math:: |l - r| \le 10^{-d} \max(|l|, |r|) \quad(\text{or } |l - r| \le 10^{-d} \text{ next to an exact } 0).
"""

from __future__ import annotations

import decimal
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from kexue_verify.derivation.parsing import _Compiled, _Range
from kexue_verify.derivation.series import SeriesCoeff


class _NoValueError(Exception):
    """An expression could not be evaluated at a point (undefined, infinite, unreliable)."""


_HUGE = mpmath.mpf(10) ** 100


def _safe_exp(z: Any) -> Any:
    """``exp`` that does not try to build numbers with astronomically many digits.

    Far tails of infinite integrals evaluate ``exp(-x·e^u)`` at huge ``u``; an argument with
    real part beyond ±10¹⁰⁰ stands for 0 (or ∞), which is what it is at any precision.
    """
    re_z = mpmath.re(z)
    if re_z < -_HUGE:
        return mpmath.mpf(0)
    if re_z > _HUGE:
        return mpmath.inf
    return mpmath.exp(z)


_MODULES = [{"exp": _safe_exp}, "mpmath"]


def _decimal(value: Any) -> str:
    """A point coordinate as text: exact for a decimal fraction, else 20 significant digits."""
    if isinstance(value, sp.Rational):
        q = int(value.q)
        for prime in (2, 5):
            while q % prime == 0:
                q //= prime
        if q == 1:
            with decimal.localcontext() as ctx:
                ctx.prec = 60
                return str(decimal.Decimal(int(value.p)) / decimal.Decimal(int(value.q)))
        return str(sp.N(value, 20))
    return cast(str, mpmath.nstr(value, 20))


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        if len(value) == 1:
            return _show(value[0])
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, mpmath.mpc) and value.imag == 0:
        value = value.real
    return cast(str, mpmath.nstr(value, 20))


#: How random points after the two edge points are placed (one entry drawn per variable and point).
_SAMPLING = ("uniform", "uniform", "uniform", "near-lower", "near-upper", "small")
#: Index offset of the interior points (:meth:`_Numeric.interior_candidate`), so that their cached values never
#: collide with those of the edge-and-mix points.
_INTERIOR = 10**6
#: How close (relative to the width of the range) a point comes to an open edge; the smallest log-uniform distance.
_NUDGE = sp.Rational(1, 10**8)


def _log_uniform(rng: random.Random, top: Any) -> Any:
    """A rational ``top·10^u`` with ``u`` uniform on ``[−8, 0]`` (12 significant digits)."""
    return top * sp.Rational(f"{10 ** rng.uniform(-8.0, 0.0):.12e}")


def _sampled_range(cands: Iterable[_Candidate], symbols: Iterable[Any]) -> str:
    """``x ∈ [min, max]`` over the points used, per symbol: the region the numerical check actually covered."""
    cands = list(cands)
    parts = []
    for sym in sorted(symbols, key=str):
        values = [c.values[sym] for c in cands if sym in c.values]
        if values:
            parts.append(f"{sym} ∈ [{_decimal(min(values))}, {_decimal(max(values))}]")
    return ", ".join(parts)


@dataclass(frozen=True)
class _Candidate:
    """A random point of the domain, with random instances of the undefined functions."""

    index: int
    values: Mapping[Any, Any]  # Symbol -> sympy Rational
    functions: Mapping[Any, Any]  # (function class, arity) -> Lambda

    def describe(self, symbols: Iterable[Any]) -> dict[str, str]:
        out = {str(s): _decimal(self.values[s]) for s in sorted(symbols, key=str) if s in self.values}
        for (fn, _), body in sorted(self.functions.items(), key=lambda kv: str(kv[0][0])):
            out[str(fn)] = sp.sstr(body)
        return out


class _Numeric:
    """High-precision evaluation of the derivation's expressions at shared random points."""

    def __init__(self, compiled: _Compiled, *, seed: int, key: str, digits: int) -> None:
        self.compiled = compiled
        self.digits = digits
        self.work_dps = digits + 10
        self.confirm_dps = digits + 25
        self.rng = random.Random(f"kexue-verify:{seed}:{key}")
        self._interior_rng = random.Random(f"kexue-verify:{seed}:{key}:interior")
        self.candidates: list[_Candidate] = []
        self._interior: list[_Candidate] = []
        self.arities = self._arities()
        self._cache: dict[Any, Any] = {}
        self._plans: dict[Any, Any] = {}
        self._placeholders: dict[Any, Any] = {}
        self._careful = False

    # -- points ----------------------------------------------------------------------------

    def _arities(self) -> list[tuple[Any, int]]:
        seen: set[tuple[Any, int]] = set()
        exprs = [self.compiled.start, *(s.expr for s in self.compiled.steps)]
        for expr in exprs:
            for app in expr.atoms(AppliedUndef):
                seen.add((app.func, len(app.args)))
        return sorted(seen, key=lambda fa: (str(fa[0]), fa[1]))

    def candidate(self, i: int) -> _Candidate:
        while len(self.candidates) <= i:
            self.candidates.append(self._draw(len(self.candidates)))
        return self.candidates[i]

    def interior_candidate(self, i: int) -> _Candidate:
        """The ``i``-th point drawn uniformly inside the ranges (no edges): for the limit extrapolation, which
        assumes an expansion that can converge arbitrarily slowly at an edge of a parameter's range."""
        while len(self._interior) <= i:
            self._interior.append(self._draw(_INTERIOR + len(self._interior), self._interior_rng, uniform=True))
        return self._interior[i]

    def _draw(self, index: int, rng: random.Random | None = None, *, uniform: bool = False) -> _Candidate:
        rng = rng or self.rng
        values = {}
        for sym, rng_ in self.compiled.ranges.items():
            values[sym] = self._draw_value(rng, rng_, 2 if uniform else index, uniform=uniform)
        functions = {}
        for fn, arity in self.arities:
            functions[(fn, arity)] = self._draw_function(rng, fn, arity)
        return _Candidate(index, values, functions)

    @staticmethod
    def _draw_value(rng: random.Random, r: _Range, index: int = 2, *, uniform: bool = False) -> Any:
        """A point of the declared domain: point 0 at its lower edge, point 1 at its upper edge, then a mix.

        The mix (:data:`_SAMPLING`): half uniform on the range, the rest log-uniform in the distance to an
        edge (``10⁻⁸`` to the full width), or in magnitude where the range contains 0 — so that terms that
        matter only near an edge or at small magnitudes are evaluated where they matter.  An open edge is
        approached to within ``10⁻⁸`` of the width.
        """
        if r.integer:
            lo = int(sp.ceiling(r.lower)) + (1 if r.lower_open and r.lower.is_Integer else 0)
            hi = int(sp.floor(r.upper)) - (1 if r.upper_open and r.upper.is_Integer else 0)
            choices = [k for k in range(lo, hi + 1) if not (r.nonzero and k == 0)] or [lo]
            if index < 2:
                return sp.Integer(choices[-index])
            return sp.Integer(rng.choice(choices))
        width = r.upper - r.lower
        mode = "uniform" if uniform else "lower" if index == 0 else "upper" if index == 1 else rng.choice(_SAMPLING)
        for _ in range(100):
            if mode in ("lower", "upper"):
                edge, inward, is_open = ((r.lower, 1, r.lower_open) if mode == "lower" else (r.upper, -1, r.upper_open))
                value = edge + inward * width * _NUDGE if is_open else edge
            elif mode == "uniform":
                value = r.lower + width * sp.Rational(rng.randrange(1, 10_000), 10_000)
            else:
                distance = width * _log_uniform(rng, 1)
                if mode == "small" and r.lower < 0 < r.upper:
                    side = r.upper if rng.random() < 0.5 else r.lower
                    value = side * _log_uniform(rng, 1)
                elif mode == "near-upper" or (mode == "small" and r.upper <= 0):
                    value = r.upper - distance
                else:
                    value = r.lower + distance
                value = min(max(value, r.lower + width * _NUDGE), r.upper - width * _NUDGE)
            if not (r.nonzero and value == 0):
                return value
            mode = "uniform"
        return r.lower + width / 3

    @staticmethod
    def _draw_function(rng: random.Random, fn: Any, arity: int) -> Any:
        """A random smooth instance of an undefined function, respecting its declared sign."""
        args = sp.symbols(f"a0:{arity}", real=True)

        def coeff() -> Any:
            return sp.Rational(rng.randint(-20, 20), 8)

        linear = sum((coeff() * a for a in args), coeff())
        body = linear + coeff() * sp.sin(sum((coeff() * a for a in args), coeff())) / 2
        body += coeff() * sum((coeff() * a for a in args), sp.Integer(0)) ** 2 / 4
        if fn.is_positive or fn.is_nonnegative:
            body = sp.exp(body / 4)
        elif fn.is_negative or fn.is_nonpositive:
            body = -sp.exp(body / 4)
        return sp.Lambda(args, body)

    # -- evaluation ------------------------------------------------------------------------

    def value(
        self, expr: Any, cand: _Candidate, dps: int, *, fixed: Mapping[Any, Any] | None = None, careful: bool = False
    ) -> tuple[Any, ...]:
        """The entries of ``expr`` at ``cand`` (and ``fixed`` overrides) with ``dps`` digits.

        ``careful`` integrates over finer subdivisions (log-spaced breakpoints on infinite
        ranges), so that a sharp peak away from the origin cannot be missed unnoticed; it is
        used to confirm differences and for limits.
        """
        key = (expr, cand.index, dps, careful, tuple(sorted(fixed.items(), key=str)) if fixed else None)
        if key in self._cache:
            result = self._cache[key]
            if isinstance(result, _NoValueError):
                raise result
            return cast(tuple[Any, ...], result)
        try:
            prepared = self._prepare(expr, cand)
            with mpmath.workdps(dps):
                env = {s: mpmath.mpf(v.p) / v.q for s, v in cand.values.items()}
                if fixed:
                    env.update(fixed)
                entries = list(prepared) if isinstance(prepared, sp.MatrixBase) else [prepared]
                self._careful = careful
                result = tuple(self._finite(self._eval(e, env)) for e in entries)
        except _NoValueError as exc:
            self._cache[key] = exc
            raise
        except (
            ArithmeticError,
            ValueError,
            TypeError,
            NameError,
            AttributeError,
            RecursionError,
            OverflowError,
        ) as exc:
            err = _NoValueError(f"{type(exc).__name__}: {exc}")
            self._cache[key] = err
            raise err from None
        self._cache[key] = result
        return result

    def _prepare(self, expr: Any, cand: _Candidate) -> Any:
        key = ("prepared", expr, cand.index if self.arities else None)
        if key in self._cache:
            return self._cache[key]
        out = expr
        if self.arities:
            for (fn, arity), body in cand.functions.items():
                out = out.replace(
                    lambda e, fn=fn, arity=arity: isinstance(e, fn) and len(e.args) == arity,
                    lambda e, body=body: body(*e.args),
                )
            out = out.doit(deep=True) if out.has(sp.Derivative, sp.Subs) else out
        exact = (SeriesCoeff, sp.Derivative, sp.Subs, sp.Determinant, sp.Trace)
        if out.has(*exact):
            out = out.replace(lambda e: isinstance(e, exact), lambda e: e.doit())
        if isinstance(out, sp.MatrixExpr) and not isinstance(out, sp.MatrixBase):
            out = out.doit()
        if out.has(sp.Limit) or out.has(AppliedUndef):
            raise _NoValueError("the expression contains an unevaluated limit or an undefined function")
        self._cache[key] = out
        return out

    @staticmethod
    def _finite(value: Any) -> Any:
        value = mpmath.mpmathify(value)
        if isinstance(value, mpmath.mpc):
            ok = mpmath.isfinite(value.real) and mpmath.isfinite(value.imag)
        else:
            ok = mpmath.isfinite(value)
        if not ok:
            raise _NoValueError("the value is infinite or undefined (nan)")
        return value

    def _eval(self, expr: Any, env: Mapping[Any, Any]) -> Any:
        plan = self._plans.get(expr)
        if plan is None:
            outer = self._outermost(expr)
            placeholders = [self._placeholders.setdefault(node, sp.Dummy("I")) for node in outer]
            body = expr.xreplace(dict(zip(outer, placeholders, strict=True))) if outer else expr
            args = tuple(sorted(body.free_symbols, key=sp.default_sort_key))
            plan = (tuple(zip(outer, placeholders, strict=True)), args, sp.lambdify(args, body, modules=_MODULES))
            self._plans[expr] = plan
        nodes, args, fn = plan
        if nodes:
            env = dict(env)
            for node, placeholder in nodes:
                env[placeholder] = self._node(node, env)
        try:
            values = [env[a] for a in args]
        except KeyError as exc:
            raise _NoValueError(f"no value for {exc.args[0]}") from None
        return mpmath.mpmathify(fn(*values))

    @staticmethod
    def _outermost(expr: Any) -> list[Any]:
        found: list[Any] = []

        def walk(e: Any) -> None:
            if isinstance(e, (sp.Integral, sp.Sum)):
                found.append(e)
                return
            for arg in e.args:
                walk(arg)

        walk(expr)
        return list(dict.fromkeys(found))

    def _node(self, node: Any, env: Mapping[Any, Any]) -> Any:
        limits = list(node.limits)
        if any(len(lim) != 3 for lim in limits):
            raise _NoValueError("an indefinite integral or sum has no value")
        return self._nested(node, node.function, limits, env)

    def _nested(self, node: Any, body: Any, limits: list[Any], env: Mapping[Any, Any]) -> Any:
        if not limits:
            return self._eval(body, env)
        *inner, (var, lo, hi) = limits
        lo_v, hi_v = self._eval(lo, env), self._eval(hi, env)
        if isinstance(lo_v, mpmath.mpc) or isinstance(hi_v, mpmath.mpc):
            raise _NoValueError("complex limits")

        def at(x: Any) -> Any:
            return self._nested(node, body, inner, {**env, var: x})

        if isinstance(node, sp.Sum):
            if mpmath.isinf(lo_v) or mpmath.isinf(hi_v):
                return mpmath.nsum(at, [lo_v, hi_v])
            if hi_v - lo_v > 100_000:
                raise _NoValueError("a finite sum too long to add up")
            return mpmath.fsum(at(mpmath.mpf(k)) for k in range(int(lo_v), int(hi_v) + 1))
        nodes = self._breakpoints(lo_v, hi_v)
        dps = mpmath.mp.dps
        bound = mpmath.mpf(10) ** (8 - dps)  # the working precision less 8 guard digits
        # tanh-sinh loses about half the digits at an endpoint singularity like 1/sqrt(v):
        # if the first attempt falls short, integrate once more with twice the precision
        for extra in (0, dps):
            with mpmath.workdps(dps + extra):
                value, error = mpmath.quad(at, nodes, error=True)
                if error <= bound * abs(value):
                    return +value
                # a small value may be the cancellation of a large integrand: judge the
                # error against the integral of |f| instead
                size, size_error = mpmath.quad(lambda x: abs(at(x)), nodes, error=True)
                if error <= bound * size and size_error <= mpmath.mpf("1e-3") * size:
                    return +value
        raise _NoValueError(
            f"mpmath.quad could not reach {dps - 8} digits (error estimate {mpmath.nstr(error, 3)} "
            f"for the value {mpmath.nstr(value, 5)})"
        )

    def _breakpoints(self, lo: Any, hi: Any) -> list[Any]:
        if lo == hi:
            return [lo, hi]
        if not self._careful:
            return [lo, 0, hi] if mpmath.isinf(lo) and mpmath.isinf(hi) else [lo, hi]
        offsets = [mpmath.mpf(4) ** j / 16 for j in range(6)]  # 1/16 ... 64
        if not mpmath.isinf(lo) and not mpmath.isinf(hi):
            return [lo + (hi - lo) * k / 8 for k in range(9)]
        if mpmath.isinf(lo) and mpmath.isinf(hi):
            inner = [-o for o in reversed(offsets)] + [mpmath.mpf(0)] + offsets
            return [lo, *inner, hi] if lo < hi else [lo, *reversed(inner), hi]
        if mpmath.isinf(hi):
            return [lo, *(lo + o for o in offsets), hi] if hi > 0 else [lo, *(lo - o for o in offsets), hi]
        return (
            [lo, *(hi - o for o in reversed(offsets)), hi] if lo < 0 else [lo, *(hi + o for o in reversed(offsets)), hi]
        )

    # -- comparisons -----------------------------------------------------------------------

    def agree(self, left: tuple[Any, ...], right: tuple[Any, ...], digits: int | None = None) -> bool:
        """Whether the entries agree to ``digits`` significant digits (absolutely, next to an exact 0)."""
        if len(left) != len(right):
            return False
        tol = mpmath.mpf(10) ** (-(digits or self.digits))
        for lv, rv in zip(left, right, strict=True):
            diff = abs(lv - rv)
            if lv == 0 or rv == 0:
                if diff > tol:
                    return False
            elif diff > tol * max(abs(lv), abs(rv)):
                return False
        return True


def _one(value: tuple[Any, ...]) -> Any:
    if len(value) != 1:
        raise _NoValueError("a matrix where a number was expected")
    return value[0]
