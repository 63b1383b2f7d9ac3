"""The value types a claim is made of: sources, claims, false variants, models and evidence.

Everything here is a small frozen dataclass with keyword-only, validated arguments,
so a mistake in a plugin fails when the plugin is loaded, naming the offending field.
This module imports neither torch nor sympy: listing claims must stay fast.

A claim's checks are called as ``check(ctx, assertion)`` where ``assertion`` is the
claim's own :attr:`Claim.assertion` or a false variant's.  Running the *same* check
on the false variants is what proves that the check can tell true from false.
"""

from __future__ import annotations

import enum
import fnmatch
import importlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kexue_verify.errors import ClaimDefinitionError

if TYPE_CHECKING:  # pragma: no cover
    from kexue_verify.context import CheckContext

__all__ = [
    "Check",
    "Claim",
    "Evidence",
    "FalseVariant",
    "ModelSpec",
    "Outcome",
    "Source",
    "Status",
    "Verdict",
    "resolve",
]

CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
LAZY_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

#: A check: a callable ``(ctx, assertion) -> Evidence | Iterable[Evidence]``, or a lazy
#: ``"package.module:function"`` reference resolved only when the check runs.
Check = str | Callable[..., Any]


class Verdict(str, enum.Enum):
    """What the tool concluded about a claim (or a false variant)."""

    VERIFIED = "verified"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    """What kind of statement a claim is, in the catalogue's labels (``CATALOGUE.md`` §0.2).

    The status is shown in every report format, so a reader can tell a theorem the post states
    (``exact``) from a proxy test of a qualitative remark (``empirical``) or a formalisation that
    the tool built from an informal sentence (``constructed``, not the post's own words).
    """

    EXACT = "exact"  #: true as stated, possibly under a stated convention
    APPROX = "approx"  #: approximate, asymptotic or heuristic, and correct in that sense
    TYPO = "typo"  #: a local misprint; the result around it is right
    MISTAKE = "mistake"  #: wrong as stated; a counterexample is given
    EMPIRICAL = "empirical"  #: an experimental or qualitative statement; only a proxy test is possible
    CONSTRUCTED = "constructed"  #: a checkable formalisation built from an informal statement

    def __str__(self) -> str:
        return self.value


class Outcome(str, enum.Enum):
    """The outcome of one piece of evidence."""

    PASS = "pass"
    FAIL = "fail"
    UNDECIDED = "undecided"
    ERROR = "error"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


def resolve(ref: Check) -> Callable[..., Any]:
    """Return the callable behind a check, importing ``"module:attr"`` references on demand."""
    if callable(ref):
        return ref
    module_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise ClaimDefinitionError(f"{ref!r} does not name a callable")
    return obj


def _check_ref(value: Any, what: str) -> None:
    if value is None or callable(value):
        return
    if isinstance(value, str) and LAZY_REF.match(value):
        return
    raise ClaimDefinitionError(
        f"{what} must be a callable or a 'package.module:function' string, got {value!r}"
    )


def _text(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ClaimDefinitionError(f"{what} must be a non-empty string, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a claim comes from: a post, a paper, a book section.

    >>> Source(title="Stirling", author="Su, Jianlin", date="2016-04-15",
    ...        url="https://kexue.fm/archives/3731").key
    'su2016stirling'
    """

    title: str
    author: str
    date: str
    url: str
    section: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        for name in ("title", "author", "date", "url"):
            _text(getattr(self, name), f"Source.{name}")
        if not re.match(r"^\d{4}(-\d{2}){0,2}$", self.date):
            raise ClaimDefinitionError(f"Source.date must look like YYYY[-MM[-DD]], got {self.date!r}")

    @property
    def year(self) -> str:
        return self.date[:4]

    @property
    def key(self) -> str:
        """A BibTeX key: the first author's surname, the year, the title's first ASCII word.

        Authors are written as BibTeX writes them, ``"Surname, Given"``; without a comma
        the last word is taken as the surname.
        """
        first = self.author.split(" and ")[0]
        surname = first.split(",")[0] if "," in first else first.split()[-1]
        surname = re.sub(r"[^a-z]", "", surname.lower())
        words = re.findall(r"[A-Za-z]{3,}", self.title)
        return f"{surname or 'anon'}{self.year}{words[0].lower() if words else ''}"

    def to_dict(self) -> dict[str, Any]:
        data = {
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "url": self.url,
            "section": self.section,
            "language": self.language,
        }
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class FalseVariant:
    """A plausible wrong neighbour of a claim, which the claim's own checks must refute.

    ``assertion`` replaces the claim's assertion; ``model`` (for claims about a model
    kind) replaces the model under test with a buggy one.
    """

    name: str
    description: str
    assertion: Any = None
    model: Check | None = None

    def __post_init__(self) -> None:
        if not MODEL_NAME.match(self.name or ""):
            raise ClaimDefinitionError(
                f"FalseVariant.name must be a short slug (letters, digits, '.', '_', '-'), got {self.name!r}"
            )
        _text(self.description, "FalseVariant.description")
        _check_ref(self.model, "FalseVariant.model")


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A model a plugin contributes: a factory for a torch module of a declared kind.

    ``factory(ctx)`` returns the module, built on ``ctx.device`` with ``ctx.dtype``.
    ``declared`` holds kind-specific promises (e.g. ``{"lipschitz_bound": 1.0}``)
    that the claims of that kind check.

    ``expect`` makes the model a **control**: it maps claim ids, or ``fnmatch`` patterns of them
    (``"flows.layer-*"``), to the verdict the claim must get *on this model* — ``"refuted"`` for a
    known-buggy layer kept as a negative control, ``"verified"`` for a positive one.  A control runs
    only on the claims its ``expect`` matches (the first matching key wins: put exact ids before
    patterns), its expectation replaces the claim's own, and the report says where the expectation
    came from.  A case expected ``refuted`` does not run the claim's false variants (a refutation
    does not rest on them).  An empty ``expect`` (the default) is an ordinary model: every claim of its
    kind runs on it with the claim's own expectation.
    """

    name: str
    kind: str
    factory: Check
    description: str = ""
    declared: Mapping[str, Any] = field(default_factory=dict)
    expect: Mapping[str, Verdict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not MODEL_NAME.match(self.name or ""):
            raise ClaimDefinitionError(f"ModelSpec.name must be a slug, got {self.name!r}")
        _text(self.kind, "ModelSpec.kind")
        _check_ref(self.factory, "ModelSpec.factory")
        if self.factory is None:
            raise ClaimDefinitionError(f"ModelSpec {self.name!r} needs a factory")
        if not isinstance(self.expect, Mapping):
            raise ClaimDefinitionError(f"ModelSpec {self.name!r}: expect must map claim ids or patterns to "
                                       f"'verified' or 'refuted', got {type(self.expect).__name__}")
        checked: dict[str, Verdict] = {}
        for pattern, verdict in self.expect.items():
            if not isinstance(pattern, str) or not pattern:
                raise ClaimDefinitionError(f"ModelSpec {self.name!r}: expect keys are claim ids or patterns, "
                                           f"got {pattern!r}")
            if verdict not in (Verdict.VERIFIED, Verdict.REFUTED, "verified", "refuted"):
                raise ClaimDefinitionError(f"ModelSpec {self.name!r}: expect[{pattern!r}] must be 'verified' or "
                                           f"'refuted', got {verdict!r}")
            checked[pattern] = Verdict(verdict)
        object.__setattr__(self, "expect", checked)

    def expected_for(self, claim_id: str) -> Verdict | None:
        """The verdict this model declares for ``claim_id`` (exact id first, then the first matching pattern)."""
        if claim_id in self.expect:
            return self.expect[claim_id]
        return next((v for p, v in self.expect.items() if fnmatch.fnmatchcase(claim_id, p)), None)

    def runs(self, claim_id: str) -> bool:
        """Whether a claim about this model's kind runs on it: always, unless the model is a control for others."""
        return not self.expect or self.expected_for(claim_id) is not None

    def build(self, ctx: CheckContext) -> Any:
        return resolve(self.factory)(ctx)


@dataclass(frozen=True, kw_only=True)
class Claim:
    """One checkable statement, with the checks that decide it and the false variants they must refute.

    Parameters
    ----------
    id:
        ``family.name``, lower case, e.g. ``stirling.formula``.
    statement:
        The statement in LaTeX, as it will appear in the report.
    assertion:
        Plain data the checks interpret (a formula string, numbers). False variants replace it.
    symbolic, numeric:
        Checks ``(ctx, assertion) -> Evidence | Iterable[Evidence]``; at least one is required.
    expected:
        The verdict the claim should get.  Claims "as the post prints them" that are wrong
        expect :attr:`Verdict.REFUTED`, like pytest's strict xfail.
    model_kind:
        If set, the claim runs once on every registered model of this kind.
    proof:
        A derivation the symbolic side rests on, ``"document.md#name"`` in ``proofs/``.
    status:
        The catalogue's label for the statement (:class:`Status`); ``None`` when not stated.
    """

    id: str
    title: str
    statement: str
    source: Source
    label: str | None = None
    tags: tuple[str, ...] = ()
    assertion: Any = None
    symbolic: Check | None = None
    numeric: Check | None = None
    false_variants: tuple[FalseVariant, ...] = ()
    expected: Verdict = Verdict.VERIFIED
    model_kind: str | None = None
    proof: str | None = None
    status: Status | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not CLAIM_ID.match(self.id):
            raise ClaimDefinitionError(
                f"Claim.id must be 'family.name' in lower case (e.g. 'stirling.formula'), got {self.id!r}"
            )
        _text(self.title, f"Claim {self.id}: title")
        _text(self.statement, f"Claim {self.id}: statement")
        if not isinstance(self.source, Source):
            raise ClaimDefinitionError(f"Claim {self.id}: source must be a Source, got {type(self.source).__name__}")
        _check_ref(self.symbolic, f"Claim {self.id}: symbolic")
        _check_ref(self.numeric, f"Claim {self.id}: numeric")
        if self.symbolic is None and self.numeric is None:
            raise ClaimDefinitionError(f"Claim {self.id}: give a symbolic check, a numeric check, or both")
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "false_variants", tuple(self.false_variants))
        if self.expected not in (Verdict.VERIFIED, Verdict.REFUTED, "verified", "refuted"):
            raise ClaimDefinitionError(f"Claim {self.id}: expected must be 'verified' or 'refuted', "
                                       f"got {self.expected!r}")
        object.__setattr__(self, "expected", Verdict(self.expected))
        if self.status is not None:
            try:
                object.__setattr__(self, "status", Status(self.status))
            except ValueError:
                raise ClaimDefinitionError(f"Claim {self.id}: status must be one of "
                                           f"{[s.value for s in Status]}, got {self.status!r}") from None
        names = [v.name for v in self.false_variants]
        if len(set(names)) != len(names):
            raise ClaimDefinitionError(f"Claim {self.id}: false variant names must be unique, got {names}")
        if self.proof is not None and not re.match(r"^[\w.-]+\.md#[\w.-]+$", self.proof):
            raise ClaimDefinitionError(f"Claim {self.id}: proof must look like 'topic.md#name', got {self.proof!r}")

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def summary(self) -> dict[str, Any]:
        """The claim's metadata as JSON-ready data (used by ``list --json`` and reports)."""
        return {
            "id": self.id,
            "label": self.label,
            "family": self.family,
            "title": self.title,
            "statement": self.statement,
            "source": self.source.to_dict(),
            "tags": list(self.tags),
            "expected": self.expected.value,
            "model_kind": self.model_kind,
            "proof": self.proof,
            "status": self.status.value if self.status else None,
            "false_variants": [{"name": v.name, "description": v.description} for v in self.false_variants],
            "parts": [p for p in ("symbolic", "numeric") if getattr(self, p) is not None],
        }


def _jsonable(value: Any) -> Any:
    """Turn numbers, arrays and containers into plain JSON data; floats stay floats."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy / torch without importing them
    if callable(tolist):
        return _jsonable(tolist())
    try:
        return float(value)  # mpmath.mpf, sympy Float, Fraction
    except (TypeError, ValueError):
        return str(value)


def _finite(value: Any) -> bool:
    """True if every number inside ``value`` is finite: NaN or ±Inf of any numeric type makes it False.

    Python floats and complex numbers, numpy and torch scalars and arrays (through ``tolist``), mpmath
    ``mpf``/``mpc``, ``Decimal`` and SymPy numbers (``nan``, ``zoo``, ``oo``) are all looked into; a
    value that is not a number (a string, a symbolic expression) counts as finite.
    """
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, complex):
        return math.isfinite(value.real) and math.isfinite(value.imag)
    if isinstance(value, Mapping):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_finite(v) for v in value)
    tolist = getattr(value, "tolist", None)  # numpy / torch scalars and arrays
    if callable(tolist):
        try:
            listed = tolist()
        except (TypeError, ValueError, RuntimeError):
            listed = value
        if listed is not value:
            return _finite(listed)
    try:
        number = complex(value)  # mpmath, Decimal, Fraction, SymPy numbers (nan and zoo give nan)
    except (TypeError, ValueError, OverflowError):
        return True  # not a number: a symbolic expression or an arbitrary object
    return math.isfinite(number.real) and math.isfinite(number.imag)


#: How a non-finite float is written into evidence once it has been judged (JSON has no NaN or Inf).
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _json_safe(value: Any, *, figure: bool = False) -> Any:
    """``value`` with every NaN/±Inf replaced by ``"NaN"``/``"±Infinity"`` (by ``None`` in figure data)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if figure else NON_FINITE[repr(float(value))]
    if isinstance(value, dict):
        return {k: _json_safe(v, figure=figure) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v, figure=figure) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What one check measured, and whether that supports the assertion.

    A non-finite number among the quantities, the expected value or the tolerance turns the
    outcome into :attr:`Outcome.ERROR`: NaN or Inf is never a pass, and never counts as a
    refutation either.  Once judged, non-finite numbers are stored as the strings ``"NaN"``,
    ``"Infinity"`` and ``"-Infinity"`` (``None`` in figure data), so the report stays valid JSON.
    """

    name: str
    outcome: Outcome
    method: str = ""
    quantities: Mapping[str, Any] = field(default_factory=dict)
    expected: Any = None
    tolerance: Any = None
    counterexample: Any = None
    note: str = ""
    steps: tuple[Mapping[str, Any], ...] = ()
    figure: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        _text(self.name, "Evidence.name")
        outcome = Outcome(self.outcome)
        # judged on the values as given: once made JSON data, a complex NaN would be the string "(nan+1j)"
        finite = _finite(dict(self.quantities)) and _finite(self.expected) and _finite(self.tolerance)
        quantities = _jsonable(dict(self.quantities))
        object.__setattr__(self, "quantities", quantities)
        object.__setattr__(self, "expected", _jsonable(self.expected))
        object.__setattr__(self, "tolerance", _jsonable(self.tolerance))
        object.__setattr__(self, "counterexample", _jsonable(self.counterexample))
        object.__setattr__(self, "steps", tuple(_jsonable(dict(s)) for s in self.steps))
        if self.figure is not None:
            object.__setattr__(self, "figure", _jsonable(dict(self.figure)))
        if outcome in (Outcome.PASS, Outcome.FAIL) and not finite:
            outcome = Outcome.ERROR
            note = (self.note + " " if self.note else "") + "non-finite value (NaN/Inf) measured"
            object.__setattr__(self, "note", note)
        object.__setattr__(self, "outcome", outcome)
        for name in ("quantities", "expected", "tolerance", "counterexample"):
            object.__setattr__(self, name, _json_safe(getattr(self, name)))
        object.__setattr__(self, "steps", tuple(_json_safe(s) for s in self.steps))
        if self.figure is not None:
            object.__setattr__(self, "figure", _json_safe(self.figure, figure=True))

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "outcome": self.outcome.value,
            "method": self.method,
            "quantities": self.quantities,
            "expected": self.expected,
            "tolerance": self.tolerance,
            "counterexample": self.counterexample,
            "note": self.note,
        }
        if self.steps:
            data["steps"] = list(self.steps)
        if self.figure is not None:
            data["figure"] = self.figure
        return data


def as_evidence_list(value: Evidence | Iterable[Evidence] | None, part: str) -> list[Evidence]:
    """Normalise what a check returned; anything but Evidence is a bug in the check."""
    if value is None:
        raise TypeError(f"the {part} check returned None; it must return Evidence or a list of Evidence")
    items = [value] if isinstance(value, Evidence) else list(value)
    if not items:
        raise TypeError(f"the {part} check returned no evidence")
    for item in items:
        if not isinstance(item, Evidence):
            raise TypeError(f"the {part} check returned {type(item).__name__}, not Evidence")
    return items
