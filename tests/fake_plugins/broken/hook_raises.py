"""A plugin whose hook adds a claim and then raises: the claim it added is rolled back."""

from kexue_verify import Claim, Source, holds, hookimpl


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="broken.rolled-back", title="Added, then rolled back", statement="d",
                       source=Source(title="Raising", author="Tester, Fay", date="2024", url="https://example.org/r"),
                       numeric=lambda ctx, a: holds("d", True)))
    raise RuntimeError("the plugin changed its mind")
