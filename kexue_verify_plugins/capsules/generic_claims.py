"""The generic claims of the ``em-routing`` model kind (CAP-10, CAP-12): they run on every registered routing
implementation (protocol in :mod:`.routing`) and must refute the buggy corpus of :mod:`.buggy`.

Declarations only.  These claims have no assertion: each false variant swaps the routing under test for one of the
buggy routings (factories in :mod:`.models`), and the checks of :mod:`.checks.generic` must refute it.
"""

from __future__ import annotations

from kexue_verify import Claim, FalseVariant, Source, Status, variant

__all__ = ["BUGS", "GENERIC", "PAPER"]

PAPER = Source(
    title="Matrix Capsules with EM Routing",
    author="Hinton, Geoffrey E. and Sabour, Sara and Frosst, Nicholas",
    date="2018",
    url="https://openreview.net/forum?id=HJWLfGWRb",
    section="ICLR 2018, eq. (1), eq. (2), Procedure 1",
)
PKG = "kexue_verify_plugins.capsules"


def _ref(module: str, function: str) -> str:
    return f"{PKG}.checks.{module}:{function}"


def _bug(name: str, description: str) -> FalseVariant:
    """A false variant that swaps the routing under test for the buggy one of :mod:`.models` (``name`` in
    snake case)."""
    return variant(name, description, model=f"{PKG}.models:{name.replace('-', '_')}")


_ROUTING_SOURCE = PAPER.at("Procedure 1")

#: The buggy routings of :mod:`.buggy`, as the false variants of the generic claims.
BUGS = {name: _bug(name, description) for name, description in (
    ("no-variance-floor", "σ² without ε: a parent with a single child gives NaN"),
    ("normalised-cost", "the cost uses Σ_i r_ij = 1"),
    ("per-position-competition", "parents at different positions do not compete for a child"),
    ("missing-input-activation", "the M-step weights by R_ij without a_i"),
    ("mixing-weight-e-step", "the E-step uses π_j instead of a_j"),
    ("variance-over-n", "σ² normalised by n instead of Σ_i r_ij"),
    ("beta-u-once", "β_u added once instead of once per pose dimension"),
    ("detached-assignments", "R detached from the graph in the E-step"),
)}


def _bugs(*names: str) -> tuple[FalseVariant, ...]:
    return tuple(BUGS[name] for name in names)


GENERIC = (
    Claim(
        id="capsules.routing-matches-reference",
        label="CAP-12",
        title="The routing implementation agrees with the reference Procedure 1 (random layer and a single child)",
        statement=r"(\mu_j,\sigma_j^2,a_j,R_{ij})_{\text{impl}}=(\mu_j,\sigma_j^2,a_j,R_{ij})_{\text{Procedure 1}}",
        source=_ROUTING_SOURCE,
        tags=("routing", "model"),
        status=Status.CONSTRUCTED,
        model_kind="em-routing",
        numeric=_ref("generic", "agreement"),
        false_variants=(
            BUGS["no-variance-floor"],
            _bug("normalised-cost", "the cost uses Σ_i r_ij = 1 (data per parent normalised away)"),
            *_bugs("per-position-competition", "missing-input-activation", "mixing-weight-e-step", "variance-over-n",
                   "beta-u-once"),
        ),
    ),
    Claim(
        id="capsules.routing-assignments-are-distributions",
        label="CAP-12",
        title="Every child's assignments R_ij are a distribution over all parents",
        statement=r"R_{ij}\ge0,\quad\sum_jR_{ij}=1",
        source=_ROUTING_SOURCE,
        tags=("routing", "model"),
        status=Status.CONSTRUCTED,
        model_kind="em-routing",
        numeric=_ref("generic", "assignments_are_distributions"),
        false_variants=_bugs("per-position-competition"),
    ),
    Claim(
        id="capsules.routing-weighted-statistics",
        label="CAP-12",
        title="μ, σ² and a are the paper's a_iR_ij-weighted statistics of the implementation's own assignments",
        statement=r"\mu_j=\frac{\sum_ir_{ij}V_{ij}}{\sum_ir_{ij}},\ \sigma_j^2=\frac{\sum_ir_{ij}(V_{ij}-\mu_j)^2}"
                  r"{\sum_ir_{ij}}+\varepsilon,\ a_j=\mathrm{logistic}(\lambda(\beta_a-\sum_h(\beta_u+\ln\sigma_j^h)"
                  r"\sum_ir_{ij}))",
        source=_ROUTING_SOURCE,
        tags=("routing", "model"),
        status=Status.CONSTRUCTED,
        model_kind="em-routing",
        numeric=_ref("generic", "weighted_statistics"),
        false_variants=_bugs("missing-input-activation", "variance-over-n", "beta-u-once", "normalised-cost"),
    ),
    Claim(
        id="capsules.routing-cost-identity",
        label="CAP-10",
        title="Eq. (1) holds for the implementation's own μ, σ² and R",
        statement=r"\sum_i-r_{ij}\ln\mathcal N(V^h_{ij};\mu^h_j,(\sigma^h_j)^2)=\Bigl(\ln\sigma^h_j+"
                  r"\frac{1+\ln2\pi}2\Bigr)\sum_ir_{ij}",
        source=PAPER.at("eq. (1)"),
        tags=("routing", "model", "cost"),
        status=Status.CONSTRUCTED,
        model_kind="em-routing",
        numeric=_ref("generic", "cost_identity"),
        false_variants=_bugs("variance-over-n", "missing-input-activation"),
    ),
    Claim(
        id="capsules.routing-gradients",
        label="CAP-12",
        title="Gradients through the unrolled routing are finite and equal finite differences of its forward pass",
        statement=r"\nabla_{V,a,\beta}L\ \text{finite},\quad \nabla L\cdot u=\frac{L(x+hu)-L(x-hu)}{2h}+O(h^2)",
        source=_ROUTING_SOURCE,
        tags=("routing", "model", "gradients"),
        status=Status.CONSTRUCTED,
        model_kind="em-routing",
        numeric=_ref("generic", "gradients"),
        false_variants=_bugs("no-variance-floor", "detached-assignments"),
    ),
)
