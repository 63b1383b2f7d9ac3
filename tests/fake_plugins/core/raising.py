"""A claim whose numeric check raises: the verdict is ``error`` and the other claims are unaffected."""

from kexue_verify import Claim, Source, holds, hookimpl


def fine(ctx, a):
    return holds("trivial", True)


def explodes(ctx, a):
    return 1 / a["zero"]


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.raising",
        title="A check that divides by zero",
        statement="1/0",
        source=Source(title="Broken checks", author="Tester, Bob", date="2021", url="https://example.org/broken"),
        assertion={"zero": 0},
        symbolic=fine,
        numeric=explodes,
    ))
