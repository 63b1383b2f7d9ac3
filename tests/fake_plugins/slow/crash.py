"""A check that kills its own process (like a segfault): the verdict is ``error`` and the run goes on."""

import os

from kexue_verify import Claim, Source, holds, hookimpl


def dies(ctx, a):
    os._exit(1)
    return holds("unreachable", True)


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="slow.crash",
        title="A check that kills its process",
        statement="\\bot",
        source=Source(title="Misbehaving checks", author="Tester, Eve", date="2023", url="https://example.org/slow"),
        numeric=dies,
    ))
