"""A plugin that registers a claim of its own, then one whose id the plugin ``good`` already took."""

from kexue_verify import Claim, Source, holds, hookimpl

SOURCE = Source(title="Duplicates", author="Tester, Fay", date="2024", url="https://example.org/dup")


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="broken.dup-extra", title="Registered before the duplicate", statement="a",
                       source=SOURCE, numeric=lambda ctx, a: holds("a", True)))
    registry.add(Claim(id="fake.good-sum", title="Same id as good's claim", statement="b",
                       source=SOURCE, numeric=lambda ctx, a: holds("b", True)))
