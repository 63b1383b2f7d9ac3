"""A plugin found through the ``kexue_verify`` entry-point group of the distribution ``kv-fake-ep``."""

from kexue_verify import Claim, ModelSpec, Source, holds, hookimpl


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="entry.truth", title="True is true", statement=r"\top",
        source=Source(title="Entry point plugin", author="Tester, Hal", date="2024", url="https://example.org/ep"),
        numeric=lambda ctx, a: holds("true", True),
    ))


@hookimpl
def kexue_register_models(registry):
    registry.add(ModelSpec(name="ep-model", kind="ep-kind", factory=lambda ctx: object()))
