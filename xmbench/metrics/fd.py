"""Fréchet distance between Gaussian fits of two feature sets, streaming in float64.

FD = ‖μ−μ_r‖² + tr Σ + tr Σ_r − 2 tr (Σ_r Σ)^½. The eigenvalues of Σ_r Σ are those of the
*symmetric* matrix Fᵀ Σ F for any factor Σ_r = F Fᵀ (F = L, the Cholesky factor, or F = √Σ_r), so
tr (Σ_r Σ)^½ = Σ √λᵢ(Fᵀ Σ F) from one `eigvalsh` — never from `eigvals` of the non-symmetric Σ Σ_r
(what torchmetrics 1.9 and torch-fidelity 0.4 do). F is cached with the reference statistics, so
scoring another model costs one congruence Fᵀ Σ F (LAPACK `dsygst` on CPU, two matmuls on GPU) and one
symmetric eigenvalue solve. Dimensions with zero reference variance (dead units) are dropped first:
they add only zero eigenvalues. F is the Cholesky factor when the rest of Σ_r is positive definite
(cheap: n³/3 flops), else the symmetric PSD square root (eigh).
Result is clamped at 0 (round-off can otherwise make identical inputs slightly negative).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from scipy.linalg import eigh
from scipy.linalg.lapack import dsygst
from torchmetrics import Metric

from xmbench.atomic import atomic_write_bytes
from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo

STATS_FORMAT = "xmbench-fd-stats-2"
UNKNOWN = "unknown"


class RankDeficientWarning(UserWarning):
    """Fewer samples than feature dimensions: the covariance is singular and FD is biased upwards."""


def sym_sqrt(sigma: torch.Tensor) -> torch.Tensor:
    """Symmetric PSD square root (d,d) of a covariance (eigh; negative round-off eigenvalues -> 0)."""
    sigma = (sigma + sigma.mT) / 2
    evals, evecs = torch.linalg.eigh(sigma)
    return (evecs * evals.clamp_min(0).sqrt()) @ evecs.mT


def support(sigma: torch.Tensor) -> torch.Tensor:
    """int64 indices of the dimensions with non-zero variance (diagonal > 0) of a covariance (d,d).

    A zero-variance dimension (a ReLU unit that never fires) has an all-zero row and column, so
    Σ_r Σ is block triangular and its eigenvalues are those of Σ_r Σ restricted to the support, plus
    zeros: FD needs only the support block, which is often positive definite when Σ_r is not (117 of
    2048 dead units in the random-CNN benchmark turned a 4.1 s eigh-based FD into a Cholesky one).
    """
    return torch.nonzero(sigma.diagonal() > 0).flatten()


def cov_factor(sigma: torch.Tensor) -> tuple[torch.Tensor, str]:
    """F with F Fᵀ = sigma restricted to `support(sigma)` (k,k): ("cholesky", lower L) when that block
    is positive definite, else ("sqrt", its symmetric square root)."""
    idx = support(sigma)
    block = sigma[idx][:, idx]
    factor, info = torch.linalg.cholesky_ex(block)
    if int(info) == 0:
        return factor, "cholesky"
    return sym_sqrt(block), "sqrt"


@dataclass
class ReferenceStats:
    """Gaussian statistics of a reference (real) feature set, with the cached √Σ.

    mu: float64 (d,); sigma: float64 (d,d) covariance with the (n−1) divisor; count: samples (0 = unknown);
    extractor_id / weights_hash: the extractor that produced the features ("unknown" when imported).
    """

    mu: torch.Tensor
    sigma: torch.Tensor
    count: int
    extractor_id: str
    weights_hash: str
    _factor: torch.Tensor | None = field(default=None, repr=False)
    _factor_kind: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.mu = torch.as_tensor(self.mu, dtype=torch.float64)
        self.sigma = torch.as_tensor(self.sigma, dtype=torch.float64)
        d = self.mu.shape[0] if self.mu.ndim == 1 else -1
        if self.mu.ndim != 1 or self.sigma.shape != (d, d):
            raise InputError(
                f"reference statistics need mu (d,) and sigma (d,d), got {tuple(self.mu.shape)} "
                f"and {tuple(self.sigma.shape)}"
            )
        if not (torch.isfinite(self.mu).all() and torch.isfinite(self.sigma).all()):
            raise InputError("reference statistics contain NaN or Inf; recompute them from the real images")

    @property
    def dim(self) -> int:
        return int(self.mu.shape[0])

    def factor(self) -> torch.Tensor:
        """F (k,k) with F Fᵀ = Σ_ref on its support (k ≤ d non-zero-variance dimensions; Cholesky, or the
        symmetric square root when that block is singular), computed once and cached."""
        if self._factor is None:
            self._factor, self._factor_kind = cov_factor(self.sigma)
        return self._factor

    def on_support(self, sigma: torch.Tensor) -> torch.Tensor:
        """sigma (d,d) restricted to the dimensions the factor covers (the reference's support)."""
        f = self.factor()
        if f.shape[0] == sigma.shape[0]:
            return sigma
        idx = support(self.sigma).to(sigma.device)
        return sigma[idx][:, idx]

    @property
    def factor_kind(self) -> str:
        """ "cholesky" or "sqrt" (computes the factor if needed)."""
        self.factor()
        return self._factor_kind

    def to(self, device: torch.device | str) -> ReferenceStats:
        f = None if self._factor is None else self._factor.to(device)
        return ReferenceStats(
            self.mu.to(device),
            self.sigma.to(device),
            self.count,
            self.extractor_id,
            self.weights_hash,
            f,
            self._factor_kind,
        )

    def check_compatible(self, info: ExtractorInfo) -> None:
        """InputError unless these statistics come from the extractor `info` (id, weights hash, dim)."""
        if self.extractor_id != UNKNOWN and self.extractor_id != info.id:
            raise InputError(
                f"reference statistics come from extractor {self.extractor_id!r}, not {info.id!r}; "
                "recompute them with the same extractor"
            )
        if self.weights_hash != UNKNOWN and info.weights_hash and self.weights_hash != info.weights_hash:
            raise InputError(
                f"reference statistics were made with weights {self.weights_hash[:12]}, the extractor "
                f"has {info.weights_hash[:12]}; recompute them with the same weights"
            )
        if self.dim != info.feature_dim:
            raise InputError(
                f"reference statistics have dimension {self.dim}, extractor {info.id!r} gives "
                f"{info.feature_dim}; recompute them with the same extractor"
            )

    # -- disk ---------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write an npz (mu, sigma, factor, factor_kind, count, extractor_id, weights_hash, format), atomically."""
        buf = io.BytesIO()
        np.savez(
            buf,
            mu=self.mu.cpu().numpy(),
            sigma=self.sigma.cpu().numpy(),
            factor=self.factor().cpu().numpy(),
            factor_kind=np.str_(self.factor_kind),
            count=np.int64(self.count),
            extractor_id=np.str_(self.extractor_id),
            weights_hash=np.str_(self.weights_hash),
            format=np.str_(STATS_FORMAT),
        )
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> ReferenceStats:
        """Read statistics written by `save` (no pickle); a pytorch-fid npz needs `from_pytorch_fid`."""
        arrays = _read_npz(path)
        if "format" not in arrays:
            raise InputError(
                f"{path}: not xmbench reference statistics (no 'format'); for a pytorch-fid "
                "mu/sigma file use ReferenceStats.from_pytorch_fid"
            )
        if str(arrays["format"]) != STATS_FORMAT:
            raise InputError(f"{path}: statistics format {str(arrays['format'])!r}, expected {STATS_FORMAT!r}")
        f = torch.from_numpy(arrays["factor"]).double() if "factor" in arrays else None
        return cls(
            torch.from_numpy(arrays["mu"]),
            torch.from_numpy(arrays["sigma"]),
            int(arrays["count"]),
            str(arrays["extractor_id"]),
            str(arrays["weights_hash"]),
            f,
            str(arrays["factor_kind"]) if f is not None else "",
        )

    @classmethod
    def from_pytorch_fid(
        cls, path: str | Path, extractor_id: str = "inception-v3-fid", weights_hash: str = UNKNOWN
    ) -> ReferenceStats:
        """Import a pytorch-fid / clean-fid style npz holding `mu` and `sigma` (count unknown)."""
        arrays = _read_npz(path)
        missing = {"mu", "sigma"} - set(arrays)
        if missing:
            raise InputError(f"{path}: missing {sorted(missing)}; a pytorch-fid statistics file holds 'mu' and 'sigma'")
        return cls(torch.from_numpy(arrays["mu"]), torch.from_numpy(arrays["sigma"]), 0, extractor_id, weights_hash)

    def to_pytorch_fid(self, path: str | Path) -> Path:
        """Write the pytorch-fid format (npz with float64 `mu`, `sigma` only), atomically."""
        buf = io.BytesIO()
        np.savez(buf, mu=self.mu.cpu().numpy(), sigma=self.sigma.cpu().numpy())
        return atomic_write_bytes(path, buf.getvalue())


def _read_npz(path: str | Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise InputError(f"reference statistics file {path} not found; compute it with update_reference") from None
    except (ValueError, OSError) as e:
        raise InputError(f"{path}: not a readable npz ({e}); recompute the statistics") from None


# -- functional ---------------------------------------------------------------------------------------
def add_gram(acc: torch.Tensor, x: torch.Tensor, blocks: int = 8) -> torch.Tensor:
    """acc + xᵀx for float64 x (N,D) and acc (D,D), in place; only the lower triangle (row ≥ column)
    is guaranteed, so read the sum through `stats_from_sums`.

    Row block p of acc gets x_pᵀ x[:, :end_p] (`addmm_`, no temporary): b(b+1)/2 of b² blocks, 36 of
    64 for b = 8. 10k × 2048 features: 0.85 s against 2.06 s for `acc += x.mT @ x` (2-core CPU).
    BLAS `dsyrk` from scipy took 0.98 s but slowed the extractor's next passes by more than it saved
    (its thread pool contends with torch's: 28.6 s against 27.4 s end to end).
    """
    acc = acc.contiguous()
    bounds = [x.shape[1] * i // blocks for i in range(blocks + 1)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        acc[lo:hi, :hi].addmm_(x[:, lo:hi].mT, x[:, :hi])
    return acc


def stats_from_sums(total: torch.Tensor, outer: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and covariance (d,d, divisor n−1) from float64 Σx, the lower triangle of Σxxᵀ, count n ≥ 2."""
    mu = total / n
    outer = outer.tril() + outer.tril(-1).mT
    return mu, (outer - n * torch.outer(mu, mu)) / (n - 1)


def stats_from_features(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance (n−1 divisor) of features (N,D), in float64."""
    x = features.double()
    return stats_from_sums(x.sum(0), add_gram(x.new_zeros(x.shape[1], x.shape[1]), x), x.shape[0])


def congruence_eigvals(sigma: torch.Tensor, f: torch.Tensor, kind: str) -> torch.Tensor:
    """Eigenvalues (d,) float64 of the symmetric Fᵀ Σ F (= those of Σ_ref Σ when F Fᵀ = Σ_ref).

    On CPU with a Cholesky F: LAPACK's `dsygst` (itype 2, which uses both the symmetry of Σ and the
    triangle of F: 0.30 s at d = 2048 against 0.59 s for two dense matmuls) and `dsyevd` from the same
    library, so one BLAS thread pool does both (with torch's `eigvalsh` after scipy's `dsygst` the two
    pools' threads contend: 1.2-2.8 s against 0.7-0.9 s, 2-core CPU, load 2.8, medians of 5).
    Elsewhere (GPU, or the √Σ_ref factor): two matmuls and torch's `eigvalsh`.
    """
    if f.shape[0] == 0:  # a reference without any variance
        return torch.zeros(0, dtype=torch.float64, device=sigma.device)
    if kind == "cholesky" and sigma.device.type == "cpu":
        # U = Lᵀ is f.mT, Fortran-ordered without a copy; U Σ Uᵀ = Lᵀ Σ L (sigma is symmetric)
        a, info = dsygst(sigma.mT.numpy(), f.mT.numpy(), itype=2, lower=0)
        if info == 0:
            return torch.from_numpy(
                eigh(a, lower=False, eigvals_only=True, overwrite_a=True, check_finite=False, driver="evd")
            )
    a = f.mT @ sigma @ f
    return torch.linalg.eigvalsh((a + a.mT) / 2)


def fd_to_reference(mu: torch.Tensor, sigma: torch.Tensor, ref: ReferenceStats) -> float:
    """FD between N(mu, sigma) and the reference, through Fᵀ Σ F with F Fᵀ = Σ_ref (one eigvalsh). ≥ 0."""
    f = ref.factor().to(sigma.device)
    mu_r, sigma_r = ref.mu.to(mu.device), ref.sigma.to(sigma.device)
    if torch.equal(mu, mu_r) and torch.equal(sigma, sigma_r):
        return 0.0  # exactly the same statistics: the distance is exactly 0
    evals = congruence_eigvals(ref.on_support(sigma.double()), f, ref.factor_kind).to(sigma.device)
    tr_covmean = evals.clamp_min(0).sqrt().sum()
    diff = mu.double() - mu_r
    fd = diff @ diff + sigma.diagonal().sum() + sigma_r.diagonal().sum() - 2 * tr_covmean
    return max(float(fd), 0.0)


def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """FD between N(mu1, sigma1) and N(mu2, sigma2) (float64, symmetric form, ≥ 0)."""
    ref = ReferenceStats(mu2, sigma2, 0, UNKNOWN, UNKNOWN)
    return fd_to_reference(torch.as_tensor(mu1, dtype=torch.float64), torch.as_tensor(sigma1, dtype=torch.float64), ref)


def frechet_distance_features(features: torch.Tensor, reference: torch.Tensor | ReferenceStats) -> float:
    """FD of generated features (N,D) to reference features (M,D) or to ReferenceStats."""
    if not isinstance(reference, ReferenceStats):
        mu_r, sigma_r = stats_from_features(reference)
        reference = ReferenceStats(mu_r, sigma_r, reference.shape[0], UNKNOWN, UNKNOWN)
    mu, sigma = stats_from_features(features)
    return fd_to_reference(mu, sigma, reference)


def warn_if_rank_deficient(n: int, dim: int, what: str = "generated") -> None:
    """Warn when n < dim: the covariance is singular (rank ≤ n−1) and FD is biased upwards."""
    if 0 < n < dim:
        warnings.warn(
            f"{n} {what} samples < feature dimension {dim}: the covariance is rank-deficient and "
            f"FD is biased upwards; use at least {dim} samples",
            RankDeficientWarning,
            stacklevel=3,
        )


# -- streaming metric -----------------------------------------------------------------------------------
class FrechetDistance(Metric):
    """Streaming FD: float64 running sums (n, Σx, Σxxᵀ), memory O(d²) regardless of N.

    update(features (N,D), real=False): accumulate generated (or, real=True, reference) features.
    compute() -> float64 scalar tensor. With `reference` (ReferenceStats) the real side is fixed and
    `update(..., real=True)` is refused. States are summed across processes (torch.distributed).
    """

    is_differentiable = False
    higher_is_better = False
    full_state_update = False

    def __init__(self, num_features: int, reference: ReferenceStats | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if reference is not None and reference.dim != num_features:
            raise InputError(f"reference statistics have dimension {reference.dim}, features have {num_features}")
        self.num_features = num_features
        self.reference = reference
        d = num_features
        for side in ("gen", "real"):
            self.add_state(f"{side}_sum", torch.zeros(d, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state(f"{side}_outer", torch.zeros(d, d, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state(f"{side}_n", torch.zeros((), dtype=torch.int64), dist_reduce_fx="sum")
        self._warned = False

    def update(self, features: torch.Tensor, real: bool = False) -> None:
        if features.ndim != 2 or features.shape[1] != self.num_features:
            raise InputError(f"features must be (N,{self.num_features}), got {tuple(features.shape)}")
        if not torch.isfinite(features).all():
            raise InputError("features contain NaN or Inf; check the extractor's input images")
        if real and self.reference is not None:
            raise InputError("this FD has fixed reference statistics; don't feed real features as well")
        if features.device != self.gen_sum.device:  # the states follow the extractor's device (e.g. cuda)
            self.to(features.device)
        x = features.detach().double()
        side = "real" if real else "gen"
        setattr(self, f"{side}_sum", getattr(self, f"{side}_sum") + x.sum(0))
        setattr(self, f"{side}_outer", add_gram(getattr(self, f"{side}_outer"), x))
        setattr(self, f"{side}_n", getattr(self, f"{side}_n") + x.shape[0])

    def generated_stats(self) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(mu, sigma, n) of the generated features; InputError when fewer than 2."""
        return self._stats("gen", "generated")

    def reference_stats(self, extractor_id: str = UNKNOWN, weights_hash: str = UNKNOWN) -> ReferenceStats:
        """The reference: the fixed ReferenceStats, or the statistics of the real features fed so far."""
        if self.reference is not None:
            return self.reference
        mu, sigma, n = self._stats("real", "reference")
        return ReferenceStats(mu, sigma, n, extractor_id, weights_hash)

    def _stats(self, side: str, what: str) -> tuple[torch.Tensor, torch.Tensor, int]:
        n = int(getattr(self, f"{side}_n"))
        if n < 2:
            raise InputError(f"FD needs at least 2 {what} samples, got {n}")
        mu, sigma = stats_from_sums(getattr(self, f"{side}_sum"), getattr(self, f"{side}_outer"), n)
        return mu, sigma, n

    def compute(self) -> torch.Tensor:
        mu, sigma, n = self.generated_stats()
        ref = self.reference_stats()
        if not self._warned:
            warn_if_rank_deficient(n, self.num_features)
            warn_if_rank_deficient(ref.count, self.num_features, "reference")
            self._warned = True
        return torch.tensor(fd_to_reference(mu, sigma, ref), dtype=torch.float64)
