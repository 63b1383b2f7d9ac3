"""A claim that holds, with two false variants its checks refute: Σ_{k=1}^{n} k = n(n+1)/2."""

from kexue_verify import Claim, Evidence, FalseVariant, Source, close, holds, hookimpl

SOURCE = Source(title="Fake sums for testing", author="Tester, Alice", date="2020-01-02",
                url="https://example.org/sums", section="Gauss")
POINTS = range(1, 41)


def formula(a: dict, n: int) -> float:
    """n (n + offset) / divisor, the assertion's closed form."""
    return n * (n + a["offset"]) / a["divisor"]


def symbolic(ctx, a):
    """Exact integer arithmetic at every n in POINTS."""
    bad = [n for n in POINTS if sum(range(n + 1)) * a["divisor"] != n * (n + a["offset"])]
    return holds("exact sum", not bad, method="integer arithmetic, n = 1…40", expected="n(n+1)/2",
                 counterexample={"n": bad[0]} if bad else None, checked=len(POINTS))


def numeric(ctx, a) -> list[Evidence]:
    """Floats in the run's dtype (recorded with the device, to test the defaults)."""
    worst = max(POINTS, key=lambda n: abs(sum(range(n + 1)) - formula(a, n)))
    return [close("float sum at worst n", formula(a, worst), float(sum(range(worst + 1))), tol=1e-9,
                  method=f"python floats ({ctx.dtype}, {ctx.device})", counterexample={"n": worst}, n=worst,
                  dtype=ctx.dtype, device=ctx.device)]


CLAIM = Claim(
    id="fake.good-sum",
    label="FK-1",
    title="Gauss's sum of the first n integers",
    statement=r"\sum_{k=1}^{n} k = \frac{n(n+1)}{2}",
    source=SOURCE,
    tags=("sums", "exact"),
    assertion={"offset": 1, "divisor": 2},
    symbolic=symbolic,
    numeric=numeric,
    false_variants=(
        FalseVariant(name="offset-minus-one", description="n(n-1)/2", assertion={"offset": -1, "divisor": 2}),
        FalseVariant(name="no-halving", description="n(n+1)", assertion={"offset": 1, "divisor": 1}),
    ),
)


@hookimpl
def kexue_register_claims(registry):
    registry.add(CLAIM)
