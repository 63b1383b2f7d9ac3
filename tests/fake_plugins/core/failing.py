"""A claim expected to hold whose check refutes it: Σ k² = n²(n+1)/2 (wrong; the right sum is n(n+1)(2n+1)/6)."""

from kexue_verify import Claim, FalseVariant, Source, holds, hookimpl

SOURCE = Source(title="Fake sums for testing", author="Tester, Alice", date="2020-01-02",
                url="https://example.org/sums", section="Squares")


def squares(ctx, a):
    bad = [n for n in range(1, 21) if sum(k * k for k in range(n + 1)) * a["den"] != n * n * (n + 1) * a["num"]]
    return holds("sum of squares", not bad, method="integer arithmetic", counterexample={"n": bad[0]} if bad else None)


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.failing-squares",
        title="A wrong sum of squares",
        statement=r"\sum_{k=1}^{n} k^2 = \frac{n^2(n+1)}{2}",
        source=SOURCE,
        assertion={"num": 1, "den": 2},
        symbolic=squares,
        false_variants=(FalseVariant(name="third", description="n²(n+1)/3", assertion={"num": 1, "den": 3}),),
    ))
