"""Linear algebra for the SVD topic: planted test matrices, truncated SVD, PCA and principal angles.

Everything here works on torch tensors.  Test matrices are always drawn in float64 on the CPU
from a generator seeded with the claim's seed, so the same claim sees the same matrix whatever
``--device`` and ``--dtype`` it runs with; the checks then cast them to the run's dtype.

References: G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed. (2013), §2.4
(SVD, Eckart–Young) and §6.4.3 (principal angles); Å. Björck and G. H. Golub, "Numerical
methods for computing angles between linear subspaces", *Math. Comp.* 27 (1973) 579–594.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = [
    "AffineTarget",
    "Spectrum",
    "cpu_generator",
    "identity_target",
    "orthonormal_columns",
    "pca_target",
    "planted_matrix",
    "principal_angles",
    "projector",
    "spectrum",
    "svd_target",
    "top_right_singular",
    "truncated_svd",
]


def cpu_generator(seed: int, offset: int = 0) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed + offset`` (test data never depends on the device)."""
    gen = torch.Generator()
    gen.manual_seed((seed + offset) % (2**63))
    return gen


def orthonormal_columns(rows: int, cols: int, gen: torch.Generator) -> torch.Tensor:
    """A ``rows × cols`` float64 matrix with orthonormal columns, Haar-distributed (QR with sign fix)."""
    q, r = torch.linalg.qr(torch.randn(rows, cols, generator=gen, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def planted_matrix(
    m: int,
    n: int,
    k: int,
    gen: torch.Generator,
    *,
    mean: str = "tail",
    top: tuple[float, float] = (3.0, 2.0),
    tail: tuple[float, float] = (0.8, 0.2),
) -> torch.Tensor:
    r"""An ``m × n`` float64 matrix ``M = 1μᵀ + Z`` with a known spectral gap at ``k`` and a nonzero column mean.

    ``Z = U diag(s) Vᵀ`` has centred columns (``U ⊥ 1``, so ``MᵀM = ZᵀZ + m μμᵀ``) and ``μ = c v_n``
    points along its weakest right singular vector.  Hence the eigenvalues of ``MᵀM`` are the
    ``s_i²`` with ``s_n²`` raised to ``s_n² + m c²``:

    * ``mean="tail"``: ``s`` has ``k`` values from ``top[0]`` to ``top[1]`` and ``n − k`` from
      ``tail[0]`` to ``tail[1]``; ``m c²`` puts the mean direction half-way between ``s_k²`` and
      ``s_{k+1}²``, so it is the ``(k+1)``-th singular direction of ``M``: the SVD of ``M`` keeps
      ``v_1 … v_k``, and a model with biases removes the mean energy ``m c²`` on top of that.
    * ``mean="top"``: ``s`` has ``k − 1`` top values, and ``m c² = 2 top[0]²`` makes the mean the
      dominant direction of ``M`` (as in raw count data): the SVD subspace contains the mean
      direction, the PCA subspace of the centred data does not.

    Either way ``σ_k(M) > σ_{k+1}(M)`` with a gap fixed by ``top`` and ``tail``.  Needs ``m > n > k``.
    """
    if not (m > n > k >= 1):
        raise ValueError(f"planted_matrix needs m > n > k >= 1, got m={m}, n={n}, k={k}")
    v = orthonormal_columns(n, n, gen)
    ones = torch.ones(m, 1, dtype=torch.float64)
    u = torch.linalg.qr(torch.cat([ones, torch.randn(m, n, generator=gen, dtype=torch.float64)], dim=1))[0][:, 1:]
    kept = k if mean == "tail" else k - 1
    s = torch.cat([torch.linspace(top[0], top[1], kept, dtype=torch.float64),
                   torch.linspace(tail[0], tail[1], n - kept, dtype=torch.float64)])
    if mean == "tail":
        energy = (s[k - 1] ** 2 + s[k] ** 2) / 2 - s[-1] ** 2
    elif mean == "top":
        energy = torch.tensor(2 * top[0] ** 2, dtype=torch.float64)
    else:
        raise ValueError(f"mean must be 'tail' or 'top', got {mean!r}")
    mu = torch.sqrt(energy / m) * v[:, -1]
    return u @ torch.diag(s) @ v.T + mu


@dataclass(frozen=True)
class Spectrum:
    """Singular values of a matrix and the quantities the bounds need at rank ``k``."""

    values: torch.Tensor
    k: int

    @property
    def tail_energy(self) -> float:
        """``Σ_{i>k} σ_i²``, the Eckart–Young optimum."""
        return float((self.values[self.k:] ** 2).sum())

    @property
    def gap(self) -> float:
        """``σ_k² − σ_{k+1}²`` (``σ_k²`` when ``k`` is the full rank)."""
        nxt = float(self.values[self.k]) if self.k < len(self.values) else 0.0
        return float(self.values[self.k - 1]) ** 2 - nxt**2

    @property
    def largest(self) -> float:
        return float(self.values[0])

    @property
    def smallest(self) -> float:
        return float(self.values[-1])


def spectrum(matrix: torch.Tensor, k: int) -> Spectrum:
    """The singular values of ``matrix`` (float64) with the rank ``k`` they are read at."""
    return Spectrum(torch.linalg.svdvals(matrix.detach().to(torch.float64).cpu()), k)


def top_right_singular(matrix: torch.Tensor, k: int) -> torch.Tensor:
    """``V_k``: the ``n × k`` orthonormal top-``k`` right singular vectors of ``matrix``."""
    return torch.linalg.svd(matrix, full_matrices=False)[2][:k].T


def truncated_svd(matrix: torch.Tensor, k: int) -> torch.Tensor:
    """``M_k = U_k Σ_k V_kᵀ``, the best rank-``k`` approximation (Eckart–Young–Mirsky)."""
    u, s, vh = torch.linalg.svd(matrix, full_matrices=False)
    return u[:, :k] @ torch.diag(s[:k]) @ vh[:k]


def projector(basis: torch.Tensor) -> torch.Tensor:
    """The orthogonal projector onto the column space of ``basis`` (orthonormalised first)."""
    q = torch.linalg.qr(basis)[0]
    return q @ q.T


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""Principal angles (radians, ascending) between the column spaces of ``a`` and ``b`` of equal dimension.

    ``cos θ_i`` are the singular values of ``Q_aᵀQ_b`` and ``sin θ_i`` those of ``(I − Q_aQ_aᵀ)Q_b``
    (Björck & Golub 1973); ``θ_i = atan2(sin θ_i, cos θ_i)`` pairs the ascending sines with the descending cosines
    (Knyazev & Argentati, *SIAM J. Sci. Comput.* 23, 2002), accurate at every angle: ``arccos`` of a number near 1
    loses the small angles, ``arcsin`` of a number near 1 the ones near π/2 (``arcsin(1 − u)`` is π/2 − 2.1·10⁻⁸).
    """
    qa, qb = torch.linalg.qr(a)[0], torch.linalg.qr(b)[0]
    cross = qa.T @ qb
    sines = torch.sort(torch.linalg.svdvals(qb - qa @ cross)).values
    cosines = torch.sort(torch.linalg.svdvals(cross), descending=True).values
    return torch.sort(torch.atan2(sines, cosines)).values


@dataclass(frozen=True)
class AffineTarget:
    r"""An affine map ``x ↦ x P + c`` that a trained autoencoder is claimed to equal, on data ``M``.

    ``P`` is an orthogonal projector (rank ``k``) or the identity, ``c`` a row vector.  The
    spectrum is that of the matrix ``P`` is computed from (``M``, or the centred ``M`` for PCA),
    which is what the error bounds of :mod:`~kexue_verify_plugins.svd.bounds` need.
    """

    name: str
    linear: torch.Tensor
    offset: torch.Tensor
    spectrum: Spectrum
    basis: torch.Tensor | None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.linear + self.offset


def svd_target(matrix: torch.Tensor, k: int) -> AffineTarget:
    """The truncated SVD as a map: ``x ↦ x V_k V_kᵀ`` (so ``M ↦ M_k``)."""
    basis = top_right_singular(matrix, k)
    zero = torch.zeros(matrix.shape[1], dtype=matrix.dtype)
    return AffineTarget("truncated SVD of M", basis @ basis.T, zero, spectrum(matrix, k), basis)


def pca_target(matrix: torch.Tensor, k: int) -> AffineTarget:
    """PCA of the centred data as a map: ``x ↦ μ + (x − μ) P_c`` with ``P_c`` from ``M − 1μᵀ``."""
    mean = matrix.mean(dim=0)
    centred = matrix - mean
    basis = top_right_singular(centred, k)
    linear = basis @ basis.T
    return AffineTarget("PCA of the centred data", linear, mean - mean @ linear, spectrum(centred, k), basis)


def identity_target(matrix: torch.Tensor) -> AffineTarget:
    """The identity map ``x ↦ x`` (the false reading ``CD = I``)."""
    n = matrix.shape[1]
    eye = torch.eye(n, dtype=matrix.dtype)
    return AffineTarget("identity", eye, torch.zeros(n, dtype=matrix.dtype), spectrum(matrix, n), None)
