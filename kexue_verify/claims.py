"""The value types a claim is made of: sources, claims, false variants and models (evidence: :mod:`.evidence`).

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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kexue_verify.errors import ClaimDefinitionError
from kexue_verify.evidence import Evidence, Outcome, _text

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
    fn: Callable[..., Any] = obj
    return fn


def _check_ref(value: Any, what: str) -> None:
    if value is None or callable(value):
        return
    if isinstance(value, str) and LAZY_REF.match(value):
        return
    raise ClaimDefinitionError(
        f"{what} must be a callable or a 'package.module:function' string, got {value!r}"
    )


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

    def at(self, section: str) -> Source:
        """The same source, pointing at one ``section`` of it (a heading of the post, a book section).

        >>> post = Source(title="Stirling", author="Su, Jianlin", date="2016-04-15", url="https://kexue.fm/archives/3731")
        >>> post.at("斯特灵级数").section
        '斯特灵级数'
        """
        _text(section, "Source.at: section")
        return replace(self, section=section)

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

    ``assertion`` replaces the claim's assertion; ``changes`` (written with
    :func:`kexue_verify.variant`) gives only the fields of a typed claim assertion that differ,
    and the claim fills in ``assertion`` from them when it is built; ``model`` (for claims about
    a model kind) replaces the model under test with a buggy one.
    """

    name: str
    description: str
    assertion: Any = None
    model: Check | None = None
    changes: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not MODEL_NAME.match(self.name or ""):
            raise ClaimDefinitionError(
                f"FalseVariant.name must be a short slug (letters, digits, '.', '_', '-'), got {self.name!r}"
            )
        _text(self.description, "FalseVariant.description")
        _check_ref(self.model, "FalseVariant.model")
        if self.changes is not None and self.assertion is not None:
            raise ClaimDefinitionError(f"FalseVariant {self.name!r}: give either the changed fields or a whole "
                                       "assertion, not both")


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
        What the checks test: a typed :class:`~kexue_verify.Assertion` (formula fields read at load).
        False variants replace it, or change some of its fields (:func:`kexue_verify.variant`).
        Plain data (a dict of formula strings) still works for one release, with a ``DeprecationWarning``
        when a plugin that is not built in registers it.
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
        object.__setattr__(self, "false_variants", tuple(self._resolve(v) for v in self.false_variants))
        names = [v.name for v in self.false_variants]
        if len(set(names)) != len(names):
            raise ClaimDefinitionError(f"Claim {self.id}: false variant names must be unique, got {names}")
        if self.proof is not None and not re.match(r"^[\w.-]+\.md#[\w.-]+$", self.proof):
            raise ClaimDefinitionError(f"Claim {self.id}: proof must look like 'topic.md#name', got {self.proof!r}")

    def _resolve(self, v: FalseVariant) -> FalseVariant:
        """``v`` with its assertion built from its changes, checked to differ from the claim's own."""
        from kexue_verify.assertions import Assertion

        where = f"Claim {self.id}: false variant {v.name!r}"
        if not isinstance(v, FalseVariant):
            raise ClaimDefinitionError(f"Claim {self.id}: false_variants must hold FalseVariant values, got {v!r}")
        typed = isinstance(self.assertion, Assertion)
        if v.changes is not None:
            if not typed:
                raise ClaimDefinitionError(f"{where} gives changed fields, but the claim's assertion is not a typed "
                                           "kexue_verify.Assertion; give the variant a whole assertion instead")
            try:
                built = self.assertion.changed(**v.changes)
            except ClaimDefinitionError as exc:
                raise ClaimDefinitionError(f"{where}: {exc}") from None
            except (TypeError, ValueError) as exc:
                raise ClaimDefinitionError(f"{where}: {exc}") from None
            v = replace(v, assertion=built, changes=None)
        if typed and v.assertion is not None:
            if type(v.assertion) is not type(self.assertion):
                raise ClaimDefinitionError(f"{where}: its assertion is a {type(v.assertion).__name__}, the claim's "
                                           f"a {type(self.assertion).__name__}")
            if v.assertion.same_as(self.assertion):
                raise ClaimDefinitionError(f"{where} asserts exactly what the claim does; change at least one field")
        elif typed and v.model is None:
            raise ClaimDefinitionError(f"{where} changes nothing: give changed fields or a model")
        return v

    @property
    def typed(self) -> bool:
        """Whether the assertion is a typed :class:`~kexue_verify.Assertion` (not the deprecated plain data)."""
        from kexue_verify.assertions import Assertion

        return self.assertion is None or isinstance(self.assertion, Assertion)

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
