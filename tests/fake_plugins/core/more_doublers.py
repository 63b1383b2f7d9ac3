"""A second plugin that only contributes a model of the kind ``fake-doubler`` defined elsewhere."""

from kexue_verify import ModelSpec, hookimpl


class Twice:
    def __call__(self, x):
        return x + x


@hookimpl
def kexue_register_models(registry):
    registry.add(ModelSpec(name="doubler-b", kind="fake-doubler", factory=lambda ctx: Twice(),
                           description="x + x"))
