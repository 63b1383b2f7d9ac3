"""A check that never returns: the runner stops it at --timeout and gives the verdict ``timeout``."""

import time

from kexue_verify import Claim, Source, holds, hookimpl


def hangs(ctx, a):
    time.sleep(120)
    return holds("unreachable", True)


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="slow.hang",
        title="A check that hangs",
        statement="\\infty",
        source=Source(title="Misbehaving checks", author="Tester, Eve", date="2023", url="https://example.org/slow"),
        numeric=hangs,
    ))
