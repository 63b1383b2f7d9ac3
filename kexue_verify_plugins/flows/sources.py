"""Where the flows claims come from, and how they name their checks: the two posts, and
``check("subject", "function")`` for ``"kexue_verify_plugins.flows.checks.<subject>:<function>"``."""

from __future__ import annotations

from kexue_verify import Source

__all__ = ["NICE_POST", "PKG", "POST", "check"]

POST = Source(
    title="细水长flow之RealNVP与Glow：流模型的传承与升华 "
          "(RealNVP and Glow: the heritage and sublimation of flow models)",
    author="Su, Jianlin",
    date="2018-08-26",
    url="https://kexue.fm/archives/5807",
    language="chinese",
)
NICE_POST = Source(
    title="细水长flow之NICE：流模型的基本概念与实现 (NICE: the basic concepts and implementation of flow models)",
    author="Su, Jianlin",
    date="2018-08-11",
    url="https://kexue.fm/archives/5776",
    language="chinese",
)
PKG = "kexue_verify_plugins.flows"


def check(subject: str, function: str) -> str:
    """The reference of a check in :mod:`.checks`: ``"kexue_verify_plugins.flows.checks.<subject>:<function>"``."""
    return f"{PKG}.checks.{subject}:{function}"
