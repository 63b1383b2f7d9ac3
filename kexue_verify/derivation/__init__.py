"""Derivations: chains of steps from what a source assumes to what it claims, each step checked.

A derivation starts from an expression and relates every new expression to the one before it,
the way a textbook page does::

    Γ(x+1) = ∫₀^∞ e^{-t} t^x dt                      Euler's integral (DLMF 5.2.1)
           = x^{x+1} ∫₀^∞ e^{-x(s - ln s)} ds        substitute t = x s

Each relation is one of ``=``, ``<=``, ``<``, ``>=``, ``>``, ``~`` (asymptotic equivalence:
the ratio of the two sides tends to 1) and ``->`` (the previous expression tends to the new one).
:func:`check_derivation` checks every step and records *how* it was checked:

``proved``
    SymPy decided the step exactly: the difference of the two sides simplified to 0, two
    integrals have identical integrands after a checked change of variables, a limit was
    evaluated, or the sign of a difference follows from the declared assumptions.
``numerically verified``
    SymPy could not decide, and the two sides agree to ``digits`` significant digits at
    ``points`` random points of the declared domain, evaluated with mpmath (unevaluated
    integrals with :func:`mpmath.quad`); for an inequality no violation was found at those
    points nor by a local search from the worst of them.  This is evidence, never a proof.
``refuted``
    The step is false: SymPy reduced the difference to a nonzero constant, or mpmath found a
    point where the two sides differ (or where the inequality fails), confirmed again at a
    higher precision.  The point is recorded as the counterexample.
``undecided``
    Neither: for instance too few points could be evaluated.

Expressions are written in SymPy syntax and read by :func:`kexue_verify.formula.parse_formula`,
which builds them from Python's syntax tree against the symbols the derivation declares and a
restricted namespace of SymPy's mathematical functions and classes; nothing is evaluated, and
strings, private names and any syntax outside its whitelist are refused.

>>> d = (Derivation.begin("square", start="(x + 1)**2", assume={"x": "real"})
...      .eq("x**2 + 2*x + 1", why="binomial theorem"))
>>> check_derivation(d).steps[0].status.value
'proved'
"""

from __future__ import annotations

from kexue_verify.derivation.budget import _Budget as _Budget
from kexue_verify.derivation.builder import Derivation
from kexue_verify.derivation.check import check_derivation
from kexue_verify.derivation.model import PROPERTIES, RELATIONS, Assumption, Definition, Step, StepStatus
from kexue_verify.derivation.results import DerivationResult, StepResult
from kexue_verify.derivation.series import SeriesCoeff

__all__ = [
    "PROPERTIES",
    "RELATIONS",
    "Assumption",
    "Definition",
    "Derivation",
    "DerivationResult",
    "SeriesCoeff",
    "Step",
    "StepResult",
    "StepStatus",
    "check_derivation",
]
