"""A claim whose check ignores the assertion, so it passes on the false variant too: ``inconclusive``."""

from kexue_verify import Claim, FalseVariant, Source, holds, hookimpl


def toothless(ctx, a):
    return holds("always true", 2 + 2 == 4, method="looks only at arithmetic, not at the assertion")


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.weak",
        title="A check without teeth",
        statement="2 + 2 = 4",
        source=Source(title="Broken checks", author="Tester, Bob", date="2021", url="https://example.org/broken"),
        assertion={"sum": 4},
        symbolic=toothless,
        false_variants=(
            FalseVariant(name="five", description="2 + 2 = 5", assertion={"sum": 5}),
        ),
    ))
