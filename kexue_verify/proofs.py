"""Proof documents: Markdown a reader can follow, whose derivation blocks the tool checks.

A document in ``proofs/`` is ordinary Markdown (prose and math) with derivations in fenced
blocks whose info string is ``derivation NAME``::

    ```derivation gaussian
    title: The Gaussian integral
    assume x: positive, 1 <= x <= 40
    assume u: real
      Integral(exp(-x*u**2/2), (u, -oo, oo))
    = sqrt(2*pi/x)                        # complete the square; DLMF 7.4.2
    ```

Inside a block, in this order:

* ``title: TEXT`` — optional; the derivation's title.
* ``assume NAMES: PROPERTIES, BOUNDS`` — declares symbols once, with SymPy assumptions
  (``positive``, ``integer``, ...) and optional domain bounds like ``1 <= x <= 60``.
* ``function NAMES: PROPERTIES`` — declares undefined functions (``s1(x1, x2)``).
* ``let NAME = EXPR`` — an abbreviation for later expressions.
* the start expression, alone on its line;
* steps ``REL EXPR [as VAR -> POINT] [with OLD = NEW] [# justification]`` with ``REL`` one of
  ``= <= < >= > ~ ->``.  ``as`` names the limit of a ``~`` or ``->`` step (``as x -> oo``,
  ``as h -> 0+``); ``with`` names the change of variables between two integrals.

An expression continues on the next lines while a bracket is open; a line holding only a
``# comment`` continues the justification of the step above.  See ``docs/derivations.md``.

The module imports SymPy only when a document is loaded.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kexue_verify.errors import DerivationError

if TYPE_CHECKING:  # pragma: no cover
    from kexue_verify.derivation import Derivation, DerivationResult, StepResult

__all__ = [
    "DEFAULT_PROOF_DIRS",
    "ProofDocument",
    "check_document",
    "format_results",
    "load_document",
    "resolve_proof",
]

_SITE = Path(__file__).resolve().parent.parent
#: Where the built-in proof documents live: ``proofs/`` at the top of a source tree, or
#: ``kexue_verify_plugins/proofs/`` beside the package in an installed wheel.
DEFAULT_PROOF_DIRS: tuple[Path, ...] = (_SITE / "proofs", _SITE / "kexue_verify_plugins" / "proofs")

_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_RELATIONS = ("<=", ">=", "->", "=", "<", ">", "~")
_IDENT = r"[A-Za-z][A-Za-z0-9_]*"
_CHAIN = re.compile(rf"^(?P<lo>.+?)\s*(?P<r1><=|<)\s*(?P<name>{_IDENT})\s*(?P<r2><=|<)\s*(?P<hi>.+)$")
_UPPER = re.compile(rf"^(?P<name>{_IDENT})\s*(?P<rel><=|<)\s*(?P<value>.+)$")
_LOWER = re.compile(rf"^(?P<name>{_IDENT})\s*(?P<rel>>=|>)\s*(?P<value>.+)$")
_LIMIT = re.compile(rf"^(?P<var>{_IDENT})\s*->\s*(?P<point>.+?)\s*$")


@dataclass(frozen=True, kw_only=True)
class ProofDocument:
    """A loaded proof document: its title (the first ``#`` heading) and its derivations in order."""

    path: Path
    title: str
    derivations: tuple[Derivation, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.derivations)

    def __getitem__(self, name: str) -> Derivation:
        for derivation in self.derivations:
            if derivation.name == name:
                return derivation
        raise DerivationError(f"{self.path} has no derivation {name!r}; available: {', '.join(self.names) or '(none)'}")

    def __iter__(self) -> Iterator[Derivation]:
        return iter(self.derivations)

    def __len__(self) -> int:
        return len(self.derivations)


# --------------------------------------------------------------------------------------------
# Reading a document
# --------------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """A step or the start, while its lines are being read."""

    line: int
    relation: str | None
    code: list[str]
    why: list[str]


def _split_comment(text: str) -> tuple[str, str]:
    code, _, comment = text.partition("#")
    return code, comment.strip()


def _depth(code: str) -> int:
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


class _BlockReader:
    """Turns the lines of one ``derivation`` block into a :class:`Derivation`."""

    def __init__(self, path: str, name: str, open_line: int) -> None:
        self.path = path
        self.name = name
        self.open_line = open_line
        self.title = ""
        self.assumptions: list[Any] = []
        self.definitions: list[Any] = []
        self.items: list[_Pending] = []
        self.pending_let: tuple[str, int, list[str]] | None = None
        self.open: _Pending | None = None
        self.depth = 0

    def fail(self, line: int, message: str) -> DerivationError:
        return DerivationError(f"{self.path}:{line}: derivation {self.name!r}: {message}")

    def feed(self, line_no: int, raw: str) -> None:
        code, comment = _split_comment(raw)
        if self.depth > 0:  # continuation of an open bracket
            self.depth += _depth(code)
            if self.pending_let is not None:
                self.pending_let[2].append(code)
                if self.depth <= 0:
                    self._finish_let()
            else:
                assert self.open is not None
                self.open.code.append(code)
                if comment:
                    self.open.why.append(comment)
            return
        stripped = code.strip()
        if not stripped:
            if comment and self.items:
                self.items[-1].why.append(comment)
            return
        head = raw.strip()
        if head.startswith("title:"):
            self._header(line_no)
            self.title = head[len("title:") :].strip()
        elif re.match(r"^assume\b", stripped):
            self._header(line_no)
            self._assume(line_no, stripped[len("assume") :].strip())
        elif re.match(r"^function\b", stripped):
            self._header(line_no)
            self._functions(line_no, stripped[len("function") :].strip())
        elif re.match(r"^let\b", stripped):
            self._header(line_no)
            match = re.match(rf"^let\s+(?P<name>{_IDENT})\s*=(?P<expr>.*)$", stripped)
            if not match:
                raise self.fail(line_no, f"expected 'let NAME = EXPR', got {stripped!r}")
            self.pending_let = (match["name"], line_no, [match["expr"]])
            self.depth = _depth(match["expr"])
            if self.depth <= 0:
                self._finish_let()
        else:
            relation = next((r for r in _RELATIONS if stripped.startswith(r)), None)
            if relation is None and self.items:
                raise self.fail(
                    line_no,
                    f"a step must begin with a relation ({' '.join(_RELATIONS)}); got {stripped!r}",
                )
            body = stripped[len(relation) :] if relation else stripped
            item = _Pending(line_no, relation, [body], [comment] if comment else [])
            self.items.append(item)
            self.open = item
            self.depth = _depth(body)
        if self.depth < 0:
            raise self.fail(line_no, "a closing bracket without an opening one")

    def _header(self, line_no: int) -> None:
        if self.items:
            raise self.fail(
                line_no, "declarations (title, assume, function, let) must come before the start expression"
            )

    def _finish_let(self) -> None:
        from kexue_verify.derivation import Definition

        assert self.pending_let is not None
        name, line_no, parts = self.pending_let
        if self.depth < 0:
            raise self.fail(line_no, "a closing bracket without an opening one")
        self.pending_let = None
        self.depth = 0
        try:
            self.definitions.append(Definition(name=name, expr=" ".join(p.strip() for p in parts), line=line_no))
        except DerivationError as exc:
            raise self.fail(line_no, str(exc)) from None

    def _names(self, line_no: int, text: str, what: str) -> list[str]:
        names = [n.strip() for n in text.split(",")]
        bad = [n for n in names if not re.fullmatch(_IDENT, n)]
        if not names or bad:
            raise self.fail(line_no, f"expected {what} names separated by commas, got {text!r}")
        return names

    def _assume(self, line_no: int, text: str) -> None:
        from kexue_verify.derivation import Assumption

        names_text, colon, spec = text.partition(":")
        names = self._names(line_no, names_text, "symbol")
        props: list[str] = []
        bounds: dict[str, dict[str, Any]] = {n: {} for n in names}
        for item in (s.strip() for s in spec.split(",")) if colon else ():
            if not item:
                continue
            match = _CHAIN.match(item)
            if match:
                target = bounds.get(match["name"])
                if target is None:
                    raise self.fail(line_no, f"the bound {item!r} is about {match['name']!r}, not {', '.join(names)}")
                target.update(
                    lower=match["lo"],
                    lower_strict=match["r1"] == "<",
                    upper=match["hi"],
                    upper_strict=match["r2"] == "<",
                )
                continue
            one = _UPPER.match(item) or _LOWER.match(item)
            if one:
                target = bounds.get(one["name"])
                if target is None:
                    raise self.fail(line_no, f"the bound {item!r} is about {one['name']!r}, not {', '.join(names)}")
                side = "upper" if one["rel"].startswith("<") else "lower"
                target.update({side: one["value"], f"{side}_strict": len(one["rel"]) == 1})
                continue
            if re.fullmatch(r"[A-Za-z ]+", item):
                props.extend(item.split())
                continue
            raise self.fail(
                line_no, f"cannot read {item!r}: expected assumptions like 'positive' or bounds like '1 <= x <= 60'"
            )
        for name in names:
            try:
                self.assumptions.append(Assumption(name=name, properties=tuple(props), line=line_no, **bounds[name]))
            except DerivationError as exc:
                raise self.fail(line_no, str(exc)) from None

    def _functions(self, line_no: int, text: str) -> None:
        from kexue_verify.derivation import Assumption

        names_text, _, spec = text.partition(":")
        props = tuple(w for w in re.split(r"[\s,]+", spec) if w)
        for name in self._names(line_no, names_text, "function"):
            try:
                self.assumptions.append(Assumption(name=name, properties=props, function=True, line=line_no))
            except DerivationError as exc:
                raise self.fail(line_no, str(exc)) from None

    def _step(self, item: _Pending) -> Any:
        from kexue_verify.derivation import Step

        text = " ".join(part.strip() for part in item.code).strip()
        pieces = re.split(r"\b(as|with)\b", text)
        expr, clauses = pieces[0].strip(), {}
        for keyword, clause in zip(pieces[1::2], pieces[2::2], strict=True):
            if keyword in clauses:
                raise self.fail(item.line, f"'{keyword}' appears twice in one step")
            clauses[keyword] = clause.strip()
        kwargs: dict[str, Any] = {}
        if "as" in clauses:
            match = _LIMIT.match(clauses["as"])
            if not match:
                raise self.fail(item.line, f"expected 'as VAR -> POINT', got 'as {clauses['as']}'")
            point = match["point"]
            suffix = re.search(r"(\+-|\+|-)$", point)
            if suffix and point not in ("-oo",) and len(point) > len(suffix.group(1)):
                kwargs["direction"] = suffix.group(1)
                point = point[: -len(suffix.group(1))].strip()
            kwargs.update(var=match["var"], point=point)
        if "with" in clauses:
            kwargs["substitution"] = clauses["with"]
        try:
            return Step(
                relation=item.relation or "=",
                expr=expr,
                why=" ".join(item.why),
                line=item.line,
                **kwargs,
            )
        except DerivationError as exc:
            raise self.fail(item.line, str(exc)) from None

    def finish(self, close_line: int) -> Derivation:
        from kexue_verify.derivation import Derivation

        if self.depth > 0:
            line = self.pending_let[1] if self.pending_let else (self.open.line if self.open else close_line)
            raise self.fail(line, "a bracket is still open at the end of the block")
        if not self.items:
            raise self.fail(self.open_line, "the block has no start expression")
        start, *steps = self.items
        if start.relation is not None:
            raise self.fail(start.line, "the first expression is the start; it takes no relation")
        if not steps:
            raise self.fail(start.line, "the derivation has no steps")
        start_text = " ".join(p.strip() for p in start.code).strip()
        if re.search(r"\b(as|with)\b", start_text):
            raise self.fail(start.line, "'as' and 'with' belong to steps, not to the start expression")
        built = [self._step(item) for item in steps]
        try:
            return Derivation(
                name=self.name,
                title=self.title,
                start=start_text,
                steps=tuple(built),
                assumptions=tuple(self.assumptions),
                definitions=tuple(self.definitions),
                origin=self.path,
                line=start.line,
            )
        except DerivationError as exc:
            message = str(exc)
            if message.startswith(f"{self.path}:"):
                raise
            raise self.fail(self.open_line, message) from None


def load_document(path: str | os.PathLike[str]) -> ProofDocument:
    """Read a proof document and build its derivations (without checking them).

    Raises :class:`~kexue_verify.errors.DerivationError` naming the file and line of the first
    malformed block, declaration or step.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise DerivationError(f"cannot read proof document {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DerivationError(
            f"{path} is not a proof document: byte {exc.start} is not UTF-8 (a binary file?)"
        ) from None
    if "\x00" in text:
        raise DerivationError(f"{path} is not a proof document: it contains NUL bytes (a binary file?)")
    lines = text.splitlines()
    where = str(path)
    title = ""
    derivations: list[Any] = []
    seen: dict[str, int] = {}
    fence: str | None = None
    reader: _BlockReader | None = None
    for number, line in enumerate(lines, 1):
        match = _FENCE.match(line)
        if fence is not None:
            if (
                match
                and match["fence"][0] == fence[0]
                and len(match["fence"]) >= len(fence)
                and not match["info"].strip()
            ):
                if reader is not None:
                    derivations.append(reader.finish(number))
                fence, reader = None, None
            elif reader is not None:
                reader.feed(number, line)
            continue
        if match:
            fence = match["fence"]
            info = match["info"].split()
            if info and info[0] != "derivation" and difflib.get_close_matches(info[0], ["derivation"], cutoff=0.8):
                raise DerivationError(
                    f"{where}:{number}: the fence says {info[0]!r}; a derivation block starts with '```derivation NAME'"
                )
            if info and info[0] == "derivation":
                if len(info) != 2:
                    raise DerivationError(f"{where}:{number}: a derivation block starts with '```derivation NAME'")
                name = info[1]
                if name in seen:
                    raise DerivationError(
                        f"{where}:{number}: a second derivation named {name!r} (the first is on line {seen[name]})"
                    )
                seen[name] = number
                reader = _BlockReader(where, name, number)
            continue
        if not title and line.startswith("# "):
            title = line[2:].strip()
    if fence is not None:
        opened = reader.open_line if reader else len(lines)
        raise DerivationError(f"{where}:{opened}: the fenced block opened here is never closed")
    return ProofDocument(path=path, title=title or path.stem, derivations=tuple(derivations))


def check_document(
    path: str | os.PathLike[str],
    *,
    seed: int = 0,
    digits: int = 30,
    points: int = 8,
    time_limit: float | None = 10.0,
) -> list[DerivationResult]:
    """Load a proof document and check every derivation in it, in order."""
    from kexue_verify.derivation import check_derivation

    document = load_document(path)
    if not document.derivations:
        raise DerivationError(
            f"{path}: no derivation found; a derivation is a fenced block opened with '```derivation NAME' "
            "(see docs/derivations.md)"
        )
    return [check_derivation(d, seed=seed, digits=digits, points=points, time_limit=time_limit) for d in document]


def resolve_proof(ref: str, search_dirs: Iterable[str | os.PathLike[str]] | None = None) -> Derivation:
    """The derivation a claim's ``proof`` field names, e.g. ``"stirling.md#laplace-route"``.

    The document is looked up in ``search_dirs`` in order (default: :data:`DEFAULT_PROOF_DIRS`).
    A missing document or name raises :class:`~kexue_verify.errors.DerivationError` listing
    what is available.
    """
    file_name, hash_, name = ref.partition("#")
    if not hash_ or not file_name or not name:
        raise DerivationError(f"a proof reference looks like 'topic.md#name', got {ref!r}")
    dirs = [Path(d) for d in (search_dirs if search_dirs is not None else DEFAULT_PROOF_DIRS)]
    for directory in dirs:
        candidate = directory / file_name
        if candidate.is_file():
            return load_document(candidate)[name]
    available = sorted({p.name for d in dirs if d.is_dir() for p in d.glob("*.md")})
    searched = ", ".join(str(d) for d in dirs if d.is_dir()) or "(no existing directory)"
    raise DerivationError(
        f"no proof document {file_name!r} in {searched}; available: {', '.join(available) or '(none)'}"
    )


# --------------------------------------------------------------------------------------------
# Printing results
# --------------------------------------------------------------------------------------------

_MARK = {"proved": "✓", "numerically verified": "✓", "refuted": "✗", "undecided": "?"}


def _step_lines(step: StepResult) -> list[str]:
    mark = _MARK[step.status.value]
    limit = f"   as {step.limit}" if step.limit else ""
    lines = [f"  {mark} {step.index:>2}  {step.relation:<2} {step.text or step.rhs}{limit}"]
    pad = " " * 10
    if step.justification:
        lines.append(f"{pad}# {step.justification}")
    lines.append(f"{pad}{step.status.value} · {step.method}")
    if not step.ok:
        lines.append(f"{pad}lhs: {step.lhs}")
        lines.append(f"{pad}rhs: {step.rhs}")
        if step.detail:
            lines.append(f"{pad}{step.detail}")
        pairs = [f"{k} = {v}" for k, v in (step.counterexample or {}).items()]
        if pairs and not all(pair in step.detail for pair in pairs):
            lines.append(f"{pad}counterexample: {', '.join(pairs)}")
    return lines


def format_results(results: Sequence[DerivationResult]) -> str:
    """Every derivation with each step marked ✓ (proved or numerically verified), ✗ (refuted)
    or ? (undecided), its number, relation and method; a failing step also shows both sides
    and the point where they differ."""
    out: list[str] = []
    for result in results:
        where = f"  ({result.origin})" if result.origin else ""
        out.append(f"{result.name} — {result.title}{where}")
        out.append(f"          {result.start_text or result.start}")
        for step in result.steps:
            out.extend(_step_lines(step))
        failure = result.first_failure
        if failure is None:
            out.append(f"  ok: {result.summary()}")
        else:
            line = f", line {failure.line}" if failure.line else ""
            out.append(f"  FAILED at step {failure.index}{line} ({failure.status.value}): {result.summary()}")
        out.append("")
    bad = [r for r in results if not r.ok]
    total = len(results)
    if bad:
        names = ", ".join(f"{r.name} (step {r.first_failure.index})" for r in bad if r.first_failure)
        out.append(f"{total - len(bad)} of {total} derivations hold; failing: {names}")
    else:
        out.append(f"all {total} derivation{'s' if total != 1 else ''} hold")
    return "\n".join(out)
