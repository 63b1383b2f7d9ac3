"""LaTeX → MathML on the server side (latex2mathml), so a report's formulas render without JavaScript.

>>> math = MathRenderer()
>>> math.formula(r"\\frac{1}{2}").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
True
>>> math.formula(r"\\frac{1}{"), math.failed
('<code class="tex-failed" title="this formula could not be converted to MathML">\\\\frac{1}{</code>', 1)

A formula that cannot be converted — latex2mathml raises, or leaves a command it does not know (``\\foo``)
as literal text — is shown as code, marked ``tex-failed``, and counted (:attr:`MathRenderer.failed`), so a
broken formula is never passed off as a rendered one.

Prose that holds formulas (a false variant's description, say) is split by :meth:`MathRenderer.text`:
``$…$`` delimits math where the author wrote it; without ``$``, runs of words with LaTeX markup
(``\\``, ``^``, ``_``, ``{``) and the short symbols between them are taken as math, the rest as text
(an identifier such as ``spectral_norm`` stays text).
"""

from __future__ import annotations

import html
import re

__all__ = ["MathRenderer", "split_prose"]

_MARKUP = re.compile(r"[\\^_{]")
#: A programming identifier in prose (``spectral_norm``, ``create_graph=True``): text, not a subscript.
_IDENTIFIER = re.compile(r"^[(\[`'\"]*[A-Za-z]{2,}(?:_[A-Za-z0-9]{2,})+(?:=\w+)?[)\]`'\".,;:]*$")
#: Tokens that join a formula when they stand between or before marked tokens: a letter, a number, an operator.
_GLUE = re.compile(r"^(?:[A-Za-z]|[0-9.]+|[-+*/=<>≤≥~·×−()|,]+|[A-Za-z]?\([^ ]*\)?)$")
#: MathML text left with a backslash means latex2mathml did not know a command.
_LEFTOVER = re.compile(r">[^<]*\\[A-Za-z]+[^<]*<")
#: ``\sim`` comes out of latex2mathml as an identifier "~"; as an operator it is spaced like a relation.
_FIXES = (("<mi>&#x0007E;</mi>", "<mo>&#x0223C;</mo>"),)


def _tokens_balanced(tokens: list[str]) -> list[str]:
    """Whitespace tokens, rejoined where a brace group spans a space (``\\sqrt{2\\pi x}``)."""
    out: list[str] = []
    depth = 0
    for token in tokens:
        if depth > 0 and out:
            out[-1] += " " + token
        else:
            out.append(token)
        depth += token.count("{") - token.count("}")
        depth = max(depth, 0)
    return out


def split_prose(text: str) -> list[tuple[bool, str]]:
    """``text`` as ``(is_math, piece)`` pairs, in order (see the module docstring for the rule)."""
    if "$" in text:
        parts = re.split(r"(?<!\\)\$", text)
        if len(parts) % 2 == 1:  # balanced dollars
            return [(i % 2 == 1, p) for i, p in enumerate(parts) if p]
    tokens = _tokens_balanced(text.split())
    marked = [bool(_MARKUP.search(t)) and not _IDENTIFIER.match(t) for t in tokens]
    is_math = list(marked)
    for i in range(len(tokens) - 1, -1, -1):  # glue tokens right before a formula join it
        if not is_math[i] and _GLUE.match(tokens[i]) and i + 1 < len(tokens) and is_math[i + 1]:
            is_math[i] = True
    for i in range(1, len(tokens)):  # glue tokens between formula tokens, and closing glue after one
        if not is_math[i] and _GLUE.match(tokens[i]) and is_math[i - 1] and marked[i - 1] and (
                i + 1 < len(tokens) and is_math[i + 1]):
            is_math[i] = True
    pieces: list[tuple[bool, str]] = []
    for token, math in zip(tokens, is_math, strict=True):
        if pieces and pieces[-1][0] == math:
            pieces[-1] = (math, pieces[-1][1] + " " + token)
        else:
            pieces.append((math, token))
    out: list[tuple[bool, str]] = []
    for i, (math, piece) in enumerate(pieces):  # keep the spaces between pieces in the text pieces
        if not math:
            piece = (" " if i > 0 else "") + piece + (" " if i + 1 < len(pieces) else "")
        out.append((math, piece))
    return out


class MathRenderer:
    """Converts formulas to MathML and counts those it could not convert (``converted``, ``failed``)."""

    def __init__(self) -> None:
        self.converted = 0
        self.failed = 0
        self.failures: list[str] = []

    def formula(self, latex: str, *, display: bool = False) -> str:
        """One formula as a ``<math>`` element, or as ``<code class="tex-failed">`` when it cannot be converted."""
        from latex2mathml.converter import convert

        latex = latex.strip()
        try:
            mathml = convert(latex, display="block" if display else "inline")
        except Exception:  # noqa: BLE001 - latex2mathml raises many types on bad input; each is a failed formula
            mathml = None
        if mathml is not None and _LEFTOVER.search(mathml):
            mathml = None
        if mathml is None:
            self.failed += 1
            self.failures.append(latex)
            return (f'<code class="tex-failed" title="this formula could not be converted to MathML">'
                    f"{html.escape(latex)}</code>")
        for old, new in _FIXES:
            mathml = mathml.replace(old, new)
        self.converted += 1
        return mathml

    def text(self, text: str) -> str:
        """Prose with its formulas rendered: text pieces escaped, math pieces converted."""
        return "".join(self.formula(piece) if math else html.escape(piece) for math, piece in split_prose(text))
