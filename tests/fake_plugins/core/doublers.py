"""A model kind ``fake-doubler`` (models that multiply by two), one model, and a claim that runs on every model."""

from kexue_verify import Claim, FalseVariant, ModelSpec, Source, close, hookimpl


class Scaler:
    """A stand-in for a torch module: ``model(x) = factor·x + shift``."""

    def __init__(self, factor, shift=0.0):
        self.factor, self.shift = factor, shift

    def __call__(self, x):
        return self.factor * x + self.shift


def make_exact(ctx):
    return Scaler(2.0)


def make_buggy(ctx):
    return Scaler(2.0, shift=0.5)


def doubles(ctx, a):
    x = 3.0
    return close("model(x) vs 2x", ctx.model(x), a["factor"] * x, tol=1e-12, method=f"model {ctx.model_name}",
                 counterexample={"x": x}, model=ctx.model_name, declared_factor=ctx.declared.get("factor", 0))


@hookimpl
def kexue_register_claims(registry):
    registry.add(Claim(
        id="fake.doubles",
        title="Every fake-doubler doubles its input",
        statement="f(x) = 2x",
        source=Source(title="Fake models", author="Tester, Dan", date="2022", url="https://example.org/models"),
        assertion={"factor": 2.0},
        numeric=doubles,
        model_kind="fake-doubler",
        false_variants=(
            FalseVariant(name="shifted-model", description="a model that adds 0.5", model=make_buggy),
            FalseVariant(name="triples", description="f(x) = 3x", assertion={"factor": 3.0}),
        ),
    ))


@hookimpl
def kexue_register_models(registry):
    registry.add(ModelSpec(name="doubler-a", kind="fake-doubler", factory=make_exact, description="exact",
                           declared={"factor": 2.0}))
