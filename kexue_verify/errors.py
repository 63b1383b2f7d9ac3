"""Every exception kexue-verify raises on purpose.

A *refuted* claim is never an exception: it is a verdict. Exceptions are for
mistakes in how the tool is used or extended, and for checks that crash::

    KexueError                      base class; catch this to catch them all
    ├── UsageError                  the user asked for something impossible (unknown id, bad option)
    ├── PluginError                 a plugin could not be loaded or registered something invalid
    │   └── DuplicateIdError        two plugins registered the same claim or model id
    ├── ClaimDefinitionError        a Claim, Source, ModelSpec or FalseVariant was built with bad arguments
    ├── DerivationError             a derivation document or step cannot be parsed
    ├── FormulaError                a formula string uses syntax or names a formula may not (kexue_verify.formula)
    ├── CheckError                  a check could not produce evidence (it crashed; not "the claim is false")
    └── UnsoundEnvironmentError     the installed numerical libraries give wrong answers (kexue_verify.threads)

Every message says what was wrong and, where it can, how to fix it.
"""

from __future__ import annotations

__all__ = [
    "CheckError",
    "ClaimDefinitionError",
    "DerivationError",
    "DuplicateIdError",
    "FormulaError",
    "KexueError",
    "PluginError",
    "UnsoundEnvironmentError",
    "UsageError",
]


class KexueError(Exception):
    """Base class of every deliberate kexue-verify exception."""


class UsageError(KexueError):
    """The user asked for something that cannot be done (unknown claim id, bad option value)."""


class PluginError(KexueError):
    """A plugin failed to import, or registered something invalid."""


class DuplicateIdError(PluginError):
    """Two plugins registered the same claim or model id."""


class ClaimDefinitionError(KexueError):
    """A claim or one of its parts was constructed with invalid arguments."""


class DerivationError(KexueError):
    """A derivation document or one of its steps cannot be parsed."""


class FormulaError(KexueError, ValueError):
    """A formula string cannot be read, or asks for something a formula may not (code, huge numbers)."""


class CheckError(KexueError):
    """A check could not produce evidence; distinct from a claim being false."""


class UnsoundEnvironmentError(KexueError):
    """The numerical libraries of this installation give wrong answers, so no check can be trusted here."""
