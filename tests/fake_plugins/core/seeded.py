"""A claim whose evidence is random draws, to test that each claim's seed depends only on its id and --seed."""

import random

from kexue_verify import Claim, FalseVariant, Source, holds, hookimpl


def draws(ctx, a):
    """A mean of uniform draws lies in [0, 1] (false variant: in [1, 2]); records the draws themselves."""
    import numpy as np

    local = ctx.rng().random(4).tolist()
    global_ = [random.random(), float(np.random.random())]
    mean = sum(local) / len(local)
    return holds("mean of uniforms in range", a["low"] <= mean <= a["high"], method="numpy Generator",
                 seed=str(ctx.seed), local=local, global_draws=global_, mean=mean)


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.seeded",
        title="Random draws from the claim's own seed",
        statement=r"\bar U \in [0, 1]",
        source=Source(title="Fake sums for testing", author="Tester, Alice", date="2020-01-02",
                      url="https://example.org/sums"),
        assertion={"low": 0.0, "high": 1.0},
        numeric=draws,
        false_variants=(FalseVariant(name="shifted", description="in [1, 2]", assertion={"low": 1.0, "high": 2.0}),),
    ))
