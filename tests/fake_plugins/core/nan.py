"""A claim whose check measures NaN: never a pass, always ``error``."""

from kexue_verify import Claim, FalseVariant, Source, close, hookimpl


def nan_check(ctx, a):
    return close("0/0 in floating point", float("nan"), 1.0, tol=1e-12, method="inf - inf",
                 series=[1.0, float("inf")])


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.nan",
        title="A check that measures NaN",
        statement="x = 1",
        source=Source(title="Broken checks", author="Tester, Bob", date="2021", url="https://example.org/broken"),
        assertion=1.0,
        numeric=nan_check,
        false_variants=(FalseVariant(name="two", description="x = 2", assertion=2.0),),
    ))
