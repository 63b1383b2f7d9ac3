"""The models of kind ``lipschitz-net`` that the topic ships: three registered, two to run by hand.

Declarations only (:class:`~kexue_verify.ModelSpec` values naming their factories in :mod:`.models` by
``"module:function"``), so that registering them imports no torch.
"""

from __future__ import annotations

from kexue_verify import ModelSpec

from .claims import KIND, MODELS

__all__ = ["MODELS_REGISTERED", "POST_RESHAPED_CONVNET", "SWISH_MLP"]

MODELS_REGISTERED: tuple[ModelSpec, ...] = (
    ModelSpec(name="sn-mlp", kind=KIND, factory=f"{MODELS}:make_sn_mlp",
              description="16→32→32→4 MLP (tanh, relu), torch spectral_norm on every Linear, converged",
              declared={"lipschitz_bound": 1.0, "input_shape": (16,)}),
    ModelSpec(name="sn-residual-block", kind=KIND, factory=f"{MODELS}:make_sn_residual_block",
              description="x + relu(Wx + b) on ℝ¹⁶ with ‖W‖₂ = 1/2", declared={"lipschitz_bound": 1.5,
                                                                                "input_shape": (16,)}),
    ModelSpec(name="fft-normalized-convnet", kind=KIND, factory=f"{MODELS}:make_fft_normalized_convnet",
              description="two 3×3 convs (zero and circular padding) divided by their FFT operator norms, then a "
                          "normalised Linear; 2×8×8 inputs",
              declared={"lipschitz_bound": 1.0, "input_shape": (2, 8, 8)}),
)

#: Not registered (their verdicts are not "verified"): the post's conv recipe (refuted) and a network
#: with a hand-written activation the certificate does not know (inconclusive).  Run them with
#: ``kexue_verify.testing.run_claim("lipschitz.declared-bound", model=SPEC)``.
POST_RESHAPED_CONVNET = ModelSpec(name="post-reshaped-sn-convnet", kind=KIND,
                                  factory=f"{MODELS}:make_reshaped_sn_convnet",
                                  description="the post's recipe: kernels divided by the reshaped-kernel norm",
                                  declared={"lipschitz_bound": 1.0, "input_shape": (1, 8, 8)})
SWISH_MLP = ModelSpec(name="swish-mlp", kind=KIND, factory=f"{MODELS}:make_swish_mlp",
                      description="a normalised Linear and a hand-written Swish (no certificate)",
                      declared={"lipschitz_bound": 1.2, "input_shape": (8,)})
