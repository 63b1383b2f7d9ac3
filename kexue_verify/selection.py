"""Choosing which claims to run: ``all``, ids, families, catalogue labels, globs, tags and ``-k`` expressions.

A ``-k`` expression works like pytest's: words joined by ``and``, ``or``, ``not`` and
parentheses; a word matches a claim when it is a case-insensitive substring of its id,
catalogue label or one of its tags, and a case also by its model's name
(``-k glow-step`` runs every claim on that model).  Titles are prose and are not matched:
``-k 'logdet and not lu'`` must not drop a claim whose title says "convolution".  It is parsed
by a small recursive-descent parser, never evaluated as Python.

>>> matcher = parse_keyword("stirling and not series")
>>> matcher({"stirling.formula", "st-1"}), matcher({"stirling.series", "st-2"})
(True, False)
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence

from kexue_verify.claims import Claim
from kexue_verify.errors import UsageError

__all__ = ["claim_matches", "claim_words", "parse_keyword", "select"]

Matcher = Callable[[set[str]], bool]
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def _tokens(expr: str) -> list[str]:
    pos, out = 0, []
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:  # pragma: no cover - the pattern matches any non-space run
            raise UsageError(f"cannot parse -k expression {expr!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda words: a(words) or b(words)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda words: a(words) and b(words)


def parse_keyword(expr: str) -> Matcher:
    """Compile a ``-k`` expression into a predicate over a claim's lower-cased words."""
    tokens = _tokens(expr)
    if not tokens:
        raise UsageError("-k needs an expression, e.g. -k 'stirling and not series'")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expr_or() -> Matcher:
        left = expr_and()
        while peek() == "or":
            take()
            right, prev = expr_and(), left
            left = _either(prev, right)
        return left

    def expr_and() -> Matcher:
        left = expr_not()
        while peek() == "and":
            take()
            right, prev = expr_not(), left
            left = _both(prev, right)
        return left

    def expr_not() -> Matcher:
        if peek() == "not":
            take()
            inner = expr_not()
            return lambda words: not inner(words)
        return atom()

    def atom() -> Matcher:
        tok = peek()
        if tok is None or tok in ("and", "or", ")"):
            raise UsageError(f"-k {expr!r}: expected a word or '(' at position {pos + 1}")
        take()
        if tok == "(":
            inner = expr_or()
            if peek() != ")":
                raise UsageError(f"-k {expr!r}: missing ')'")
            take()
            return inner
        word = tok.lower()
        return lambda words: any(word in w for w in words)

    matcher = expr_or()
    if pos != len(tokens):
        raise UsageError(f"-k {expr!r}: unexpected {tokens[pos]!r}")
    return matcher


def claim_words(claim: Claim, model: str | None = None) -> set[str]:
    """What a ``-k`` word is matched against: id, label and tags, and the model's name for a case (not the title)."""
    words = {claim.id.lower(), *(t.lower() for t in claim.tags)}
    if claim.label:
        words.add(claim.label.lower())
    if model:
        words.add(model.lower())
    return words


def claim_matches(claim: Claim, pattern: str) -> bool:
    """``pattern`` names ``claim``: its id, family or catalogue label, or a glob over its id."""
    p = pattern.lower()
    if p in (claim.id, claim.family) or (claim.label and p == claim.label.lower()):
        return True
    return any(ch in pattern for ch in "*?") and fnmatch.fnmatchcase(claim.id, p)


def select(
    claims: Iterable[Claim],
    patterns: Sequence[str] = ("all",),
    *,
    keyword: str | None = None,
    tags: Sequence[str] = (),
) -> list[Claim]:
    """The claims matching any of ``patterns`` (and ``keyword`` and every tag), sorted by id.

    A pattern that matches nothing raises :class:`UsageError` with the closest ids.
    """
    pool = sorted(claims, key=lambda c: c.id)
    chosen: dict[str, Claim] = {}
    for pattern in patterns or ("all",):
        base = pattern.split("[", 1)[0]
        hits = pool if pattern == "all" else [c for c in pool if claim_matches(c, base)]
        if not hits:
            names = [c.id for c in pool] + [c.label for c in pool if c.label]
            close = difflib.get_close_matches(base, names, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"no claim matches {pattern!r}{hint} (see `kexue-verify list`)")
        chosen.update((c.id, c) for c in hits)
    result = sorted(chosen.values(), key=lambda c: c.id)
    if keyword:
        match = parse_keyword(keyword)
        result = [c for c in result if match(claim_words(c))]
    for tag in tags:
        result = [c for c in result if tag in c.tags]
    return result
