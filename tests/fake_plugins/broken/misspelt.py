"""A plugin whose hook name is misspelt (``claim`` for ``claims``): check_pending() must catch it."""

from kexue_verify import Claim, Source, holds, hookimpl


@hookimpl
def kexue_register_claim(registry):
    registry.add(Claim(id="broken.misspelt", title="Never registered", statement="c",
                       source=Source(title="Typos", author="Tester, Fay", date="2024", url="https://example.org/t"),
                       numeric=lambda ctx, a: holds("c", True)))
