"""A claim as a post prints it, wrong, so it is expected to be refuted: 2^10 = 1000."""

from kexue_verify import Claim, FalseVariant, Source, close, hookimpl


def power(ctx, a):
    return close("2**exponent", 2 ** a["exponent"], a["value"], tol=0.0, method="integer power",
                 counterexample={"exponent": a["exponent"], "actual": 2 ** a["exponent"]})


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.post-typo",
        label="FK-2",
        title="A power of two as the post prints it",
        statement="2^{10} = 1000",
        source=Source(title="A post with a typo", author="Writer, Carol", date="2019-05", url="https://example.org/typo"),
        assertion={"exponent": 10, "value": 1000},
        numeric=power,
        expected="refuted",
        false_variants=(FalseVariant(name="also-wrong", description="2^10 = 1001",
                                     assertion={"exponent": 10, "value": 1001}),),
    ))
