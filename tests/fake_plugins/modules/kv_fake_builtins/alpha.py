"""Built-in stand-in topic ``alpha``."""

from kexue_verify import Claim, Source, holds, hookimpl


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(id="alpha.one", title="Alpha", statement="a", numeric=lambda ctx, a: holds("a", True),
                       source=Source(title="Alpha", author="Tester, Ann", date="2024", url="https://example.org/a")))
