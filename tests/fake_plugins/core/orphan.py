"""A claim about a model kind that no plugin provides: ``inconclusive`` with a message."""

from kexue_verify import Claim, Source, holds, hookimpl


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.orphan",
        title="A claim about models nobody registered",
        statement="f = f",
        source=Source(title="Fake models", author="Tester, Dan", date="2022", url="https://example.org/models"),
        numeric=lambda ctx, a: holds("never runs", True),
        model_kind="fake-nothing",
    ))
