"""An example kexue-verify plugin: the derivative bounds of activation functions (kexue.fm/archives/6051, LIP-1).

It shows the three things a plugin does:

1. a **claim** with a symbolic and a numeric check and **false variants** the same checks must refute;
2. a **model kind** (``scalar-activation``) with a claim that runs on every model of that kind;
3. **models** of that kind, each declaring the bound it promises — one of them wrongly.

This module stays light (no torch or sympy at import time); the checks live in
:mod:`kexue_verify_example.checks` and are named as ``"module:function"`` strings.
"""

from __future__ import annotations

from kexue_verify import Claim, ClaimRegistry, FalseVariant, ModelRegistry, ModelSpec, Source, hookimpl

__version__ = "0.1.0"

POST = Source(
    title="深度学习中的Lipschitz约束：泛化与生成模型",
    author="Su, Jianlin",
    date="2018-10-07",
    url="https://kexue.fm/archives/6051",
    section="L约束与泛化",
)
CHECKS = "kexue_verify_example.checks"

SIGMOID_SLOPE = Claim(
    id="example.sigmoid-slope",
    title="The sigmoid's derivative is at most 1/4",
    statement=r"\sup_x \sigma'(x) = \sup_x \sigma(x)(1-\sigma(x)) = \tfrac14",
    source=POST,
    tags=("example", "activation"),
    assertion={"function": "1/(1 + exp(-x))", "sup": "1/4"},
    symbolic=f"{CHECKS}:sup_derivative_symbolic",
    numeric=f"{CHECKS}:sup_derivative_numeric",
    false_variants=(
        FalseVariant(
            name="one-half", description=r"\sup \sigma' = 1/2", assertion={"function": "1/(1 + exp(-x))", "sup": "1/2"}
        ),
        FalseVariant(
            name="one", description=r"\sup \sigma' = 1", assertion={"function": "1/(1 + exp(-x))", "sup": "1"}
        ),
    ),
)

DECLARED_SLOPE = Claim(
    id="example.declared-slope",
    title="A registered activation's slope never exceeds the bound it declares",
    statement=r"|f(x) - f(y)| \le L\,|x - y| \quad\text{with } L = \text{the declared bound}",
    source=POST,
    tags=("example", "activation"),
    model_kind="scalar-activation",
    numeric=f"{CHECKS}:declared_slope",
    false_variants=(
        FalseVariant(name="understated-tanh", description="tanh declared 1/2-Lipschitz",
                     model=f"{CHECKS}:understated_tanh"),
    ),
)


@hookimpl
def kexue_register_claims(registry: ClaimRegistry) -> None:
    registry.add(SIGMOID_SLOPE)
    registry.add(DECLARED_SLOPE)


@hookimpl
def kexue_register_models(registry: ModelRegistry) -> None:
    registry.add(ModelSpec(name="tanh", kind="scalar-activation", factory=f"{CHECKS}:make_tanh",
                           description="torch.nn.Tanh", declared={"lipschitz_bound": 1.0}))
    registry.add(ModelSpec(name="sigmoid", kind="scalar-activation", factory=f"{CHECKS}:make_sigmoid",
                           description="torch.nn.Sigmoid", declared={"lipschitz_bound": 0.25}))
