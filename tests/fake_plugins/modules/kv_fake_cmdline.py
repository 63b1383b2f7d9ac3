"""A plugin loaded by module name (``-p kv_fake_cmdline``)."""

from kexue_verify import Claim, FalseVariant, Source, close, hookimpl

__version__ = "0.7.1"


def square(ctx, a):
    return close("3²", 3.0 ** 2, a["value"], tol=0.0, method="float power")


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="cmdline.square", title="Three squared is nine", statement="3^2 = 9",
        source=Source(title="Module plugin", author="Tester, Gil", date="2024", url="https://example.org/cmd"),
        assertion={"value": 9.0}, numeric=square,
        false_variants=(FalseVariant(name="six", description="3² = 6", assertion={"value": 6.0}),),
    ))
