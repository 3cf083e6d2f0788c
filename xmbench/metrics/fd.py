"""Fréchet distance (FD; FID with Inception-v3 pool3 features) between Gaussian fits of two feature sets.

FD = ‖μ−μ_r‖² + tr Σ + tr Σ_r − 2 tr (Σ_r Σ)^½, in squared feature units, ≥ 0, lower is better. The
eigenvalues of Σ_r Σ are those of the *symmetric* matrix Fᵀ Σ F for any factor Σ_r = F Fᵀ (F = L, the
Cholesky factor, or F = √Σ_r), so tr (Σ_r Σ)^½ = Σ √λᵢ(Fᵀ Σ F) from one `eigvalsh` — never from
`eigvals` of the non-symmetric Σ Σ_r (what torchmetrics 1.9 and torch-fidelity 0.4 do). F is cached
with the reference statistics (`ReferenceStats`), so scoring another model costs one congruence Fᵀ Σ F
and one symmetric eigenvalue solve. Dimensions with zero reference variance are dropped first: they add
only zero eigenvalues. The result is clamped at 0 (round-off can otherwise make identical inputs
slightly negative). Covariances use the (n−1) divisor; sums are float64.

This module holds FD's functional form (`frechet_distance_features`), its Metric class
(`FrechetDistance`), the Evaluator's adapter and the registration of "fd".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.linalg import eigh
from scipy.linalg.lapack import dsygst
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.adapter import MetricAdapter, extractor_details, extractor_tag, metric_value, require_reference
from xmbench.metrics.bootstrap import resample_counts
from xmbench.metrics.inputs import check_count, check_features, check_pair
from xmbench.metrics.reference import UNKNOWN, ReferenceStats, sym_sqrt
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

__all__ = [
    "INCEPTION_FID_ID",
    "VERSION",
    "FDResult",
    "FrechetDistance",
    "RankDeficientWarning",
    "ReferenceStats",
    "add_gram",
    "congruence_eigvals",
    "fd_name",
    "fd_to_reference",
    "frechet_distance",
    "frechet_distance_features",
    "stats_from_features",
    "stats_from_sums",
    "sym_sqrt",
    "warn_if_rank_deficient",
]

#: bump by hand when FD's outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 1
INCEPTION_FID_ID = "inception-v3-fid"
#: fewest samples per side: the covariance has the (n−1) divisor
MIN_SAMPLES = 2


class RankDeficientWarning(UserWarning):
    """Fewer samples than feature dimensions: the covariance is singular and FD is biased upwards."""


def fd_name(info: ExtractorInfo) -> str:
    """The reported name: 'fid' for the standard Inception pool3 protocol, else 'fd_<extractor tag>'
    (`adapter.extractor_tag`: 'fd_shapes', 'fd_clip', 'fd_clip_vit_l_14_openai').

    Example:
        >>> from xmbench.extractors.base import ExtractorInfo
        >>> fd_name(ExtractorInfo("shapes-v1", "", 32, "none", 64))
        'fd_shapes'
    """
    return "fid" if info.id == INCEPTION_FID_ID else f"fd_{extractor_tag(info.id)}"


# -- functional ---------------------------------------------------------------------------------------
def add_gram(acc: torch.Tensor, x: torch.Tensor, blocks: int = 8) -> torch.Tensor:
    """acc + xᵀx for float64 x (N,D) and acc (D,D), in place; only the lower triangle (row ≥ column)
    is guaranteed, so read the sum through `stats_from_sums`.

    Row block p of acc gets x_pᵀ x[:, :end_p] (`addmm_`, no temporary): b(b+1)/2 of b² blocks, 36 of
    64 for b = 8.

    Example:
        >>> import torch
        >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
        >>> add_gram(torch.zeros(2, 2, dtype=torch.float64), x).tril()
        tensor([[10.,  0.],
                [14., 20.]], dtype=torch.float64)
    """
    acc = acc.contiguous()
    bounds = [x.shape[1] * i // blocks for i in range(blocks + 1)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        acc[lo:hi, :hi].addmm_(x[:, lo:hi].mT, x[:, :hi])
    return acc


def stats_from_sums(total: torch.Tensor, outer: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and covariance (d,d, divisor n−1) from float64 Σx, the lower triangle of Σxxᵀ, count n ≥ 2.

    Example:
        >>> import torch
        >>> x = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
        >>> stats_from_sums(x.sum(0), x.mT @ x, 2)
        (tensor([1.], dtype=torch.float64), tensor([[2.]], dtype=torch.float64))
    """
    mu = total / n
    outer = outer.tril() + outer.tril(-1).mT
    return mu, (outer - n * torch.outer(mu, mu)) / (n - 1)


def stats_from_features(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and covariance (D,D, n−1 divisor) of features (N,D), in float64.

    Example:
        >>> import torch
        >>> mu, sigma = stats_from_features(torch.tensor([[0.0, 1.0], [2.0, 1.0]]))
        >>> mu.tolist(), sigma.tolist()
        ([1.0, 1.0], [[2.0, 0.0], [0.0, 0.0]])
    """
    x = features.double()
    return stats_from_sums(x.sum(0), add_gram(x.new_zeros(x.shape[1], x.shape[1]), x), x.shape[0])


def congruence_eigvals(sigma: torch.Tensor, f: torch.Tensor, kind: str) -> torch.Tensor:
    """Eigenvalues (d,) float64 of the symmetric Fᵀ Σ F (= those of Σ_ref Σ when F Fᵀ = Σ_ref).

    On CPU with a Cholesky F: LAPACK's `dsygst` (itype 2, which uses both the symmetry of Σ and the
    triangle of F) and `dsyevd` from the same library, so one BLAS thread pool does both. Elsewhere
    (GPU, or the √Σ_ref factor): two matmuls and torch's `eigvalsh`.

    Example:
        >>> import torch
        >>> f = torch.linalg.cholesky(torch.diag(torch.tensor([4.0, 1.0], dtype=torch.float64)))
        >>> congruence_eigvals(torch.eye(2, dtype=torch.float64), f, "cholesky").tolist()
        [1.0, 4.0]
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
    """FD between N(mu, sigma) and the reference, through Fᵀ Σ F with F Fᵀ = Σ_ref (one eigvalsh). ≥ 0.

    Example:
        >>> import torch
        >>> ref = ReferenceStats(torch.zeros(2), torch.eye(2))
        >>> fd_to_reference(torch.ones(2, dtype=torch.float64), 4 * torch.eye(2, dtype=torch.float64), ref)
        4.0
    """
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
    """FD between the Gaussians N(mu1, sigma1) and N(mu2, sigma2) (float64, symmetric form, ≥ 0).

    A helper on statistics; the functional metric on features is `frechet_distance_features`.

    Example:
        >>> import torch
        >>> frechet_distance(torch.zeros(2), torch.eye(2), torch.ones(2), 4 * torch.eye(2))
        4.0
    """
    ref = ReferenceStats(mu2, sigma2)
    return fd_to_reference(torch.as_tensor(mu1, dtype=torch.float64), torch.as_tensor(sigma1, dtype=torch.float64), ref)


@dataclass(frozen=True)
class FDResult(MetricResult):
    """FD of a generated set to a reference. value: squared feature units, ≥ 0; n: generated samples;
    reference_count: reference samples (0 when unknown)."""

    value: float
    n: int
    reference_count: int

    def values(self) -> dict[str, float]:
        return {"fd": self.value}


def frechet_distance_features(generated: torch.Tensor, reference: torch.Tensor | ReferenceStats) -> FDResult:
    """FD of generated features (N,D) to reference features (M,D) or to `ReferenceStats`.

    Args:
        generated: features of generated images, (N,D), N ≥ 2, finite.
        reference: features of real images, (M,D), M ≥ 2, or their `ReferenceStats`.

    Returns:
        FDResult; `.value` in squared feature units, ≥ 0, lower is better.

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> real = torch.randn(2000, 3, generator=g, dtype=torch.float64)
        >>> fake = torch.randn(2000, 3, generator=g, dtype=torch.float64) + 1.0
        >>> round(frechet_distance_features(fake, real).value, 1)  # ‖μ−μ_r‖² = 3 for unit shifts in 3-D
        3.0
    """
    if isinstance(reference, ReferenceStats):
        check_features(generated, "FD", "generated features", reference.dim)
    else:
        check_pair(generated, reference, "FD")
        check_count(reference.shape[0], MIN_SAMPLES, "FD", "reference sample")
        mu_r, sigma_r = stats_from_features(reference)
        reference = ReferenceStats(mu_r, sigma_r, reference.shape[0])
    check_count(generated.shape[0], MIN_SAMPLES, "FD")
    mu, sigma = stats_from_features(generated)
    return FDResult(fd_to_reference(mu, sigma, reference), generated.shape[0], reference.count)


def warn_if_rank_deficient(n: int, dim: int, what: str = "generated") -> None:
    """Warn (RankDeficientWarning) when 0 < n < dim: the covariance is singular and FD is biased upwards.

    Example:
        >>> warn_if_rank_deficient(100, 64)  # enough samples: silent
    """
    if 0 < n < dim:
        warnings.warn(
            f"{n} {what} samples < feature dimension {dim}: the covariance is rank-deficient and "
            f"FD is biased upwards; use at least {dim} samples",
            RankDeficientWarning,
            stacklevel=3,
        )


# -- Metric class ---------------------------------------------------------------------------------------
class FrechetDistance(Metric):
    """Streaming FD: float64 running sums (n, Σx, Σxxᵀ), memory O(d²) regardless of N.

    Args:
        num_features: the feature dimension d.
        reference: fixed reference statistics; then `update(..., real=True)` is refused.
        keep_features: also keep the generated features (N·d floats), e.g. for bootstrap CIs.

    `update(features (N,d), real=False)` accumulates generated (real=True: reference) features;
    `compute()` returns {"fd": float64 scalar}; `result(reference=None)` the `FDResult`. States are summed
    across processes (torch.distributed).

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> metric = FrechetDistance(3)
        >>> metric.update(torch.randn(2000, 3, generator=g) + 1.0)
        >>> metric.update(torch.randn(2000, 3, generator=g), real=True)
        >>> round(float(metric.compute()["fd"]), 1)
        3.0
    """

    is_differentiable = False
    higher_is_better = False
    full_state_update = False

    def __init__(
        self, num_features: int, reference: ReferenceStats | None = None, keep_features: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if reference is not None and reference.dim != num_features:
            raise InputError(f"reference statistics have dimension {reference.dim}, features have {num_features}")
        self.num_features = num_features
        self.reference = reference
        self.keep_features = keep_features
        d = num_features
        for side in ("gen", "real"):
            self.add_state(f"{side}_sum", torch.zeros(d, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state(f"{side}_outer", torch.zeros(d, d, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state(f"{side}_n", torch.zeros((), dtype=torch.int64), dist_reduce_fx="sum")
        if keep_features:
            self.add_state("gen_features", [], dist_reduce_fx="cat")
        self._warned = False

    def update(self, features: torch.Tensor, real: bool = False) -> None:
        check_features(features, "FD", dim=self.num_features)
        if real and self.reference is not None:
            raise InputError("this FD has fixed reference statistics; don't feed real features as well")
        if features.device != self.gen_sum.device:  # the states follow the extractor's device (e.g. cuda)
            self.to(features.device)
        x = features.detach().double()
        side = "real" if real else "gen"
        setattr(self, f"{side}_sum", getattr(self, f"{side}_sum") + x.sum(0))
        setattr(self, f"{side}_outer", add_gram(getattr(self, f"{side}_outer"), x))
        setattr(self, f"{side}_n", getattr(self, f"{side}_n") + x.shape[0])
        if self.keep_features and not real:
            self.gen_features.append(features.detach())

    def features(self) -> torch.Tensor:
        """The generated features fed so far (N,d); needs keep_features=True."""
        if not self.keep_features or len(self.gen_features) == 0:
            raise InputError("no generated features kept: create FrechetDistance(keep_features=True) and update it")
        return dim_zero_cat(self.gen_features)

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
        n = check_count(int(getattr(self, f"{side}_n")), MIN_SAMPLES, "FD", f"{what} sample")
        mu, sigma = stats_from_sums(getattr(self, f"{side}_sum"), getattr(self, f"{side}_outer"), n)
        return mu, sigma, n

    def result(self, reference: ReferenceStats | None = None) -> FDResult:
        """FD of the generated state to `reference` (default: `reference_stats()`); warns once when
        either side has fewer samples than dimensions. This process's state (compute() syncs first)."""
        mu, sigma, n = self.generated_stats()
        ref = reference if reference is not None else self.reference_stats()
        if not self._warned:
            warn_if_rank_deficient(n, self.num_features)
            warn_if_rank_deficient(ref.count, self.num_features, "reference")
            self._warned = True
        return FDResult(fd_to_reference(mu, sigma, ref), n, ref.count)

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


# -- Evaluator adapter ------------------------------------------------------------------------------------
class FDAdapter(MetricAdapter):
    """FD / FID in the Evaluator: FrechetDistance's sums; generated features kept only for bootstrap CIs."""

    def __init__(self, ctx: MetricContext) -> None:
        super().__init__(ctx, FrechetDistance(ctx.extractor.feature_dim, keep_features=bool(ctx.bootstrap)))

    def compute(self) -> list[MetricValue]:
        ref = require_reference(self.ctx, "FD")
        r = self.metric.result(ref)
        details = {
            **extractor_details(self.ctx.extractor),
            "reference_count": ref.count,
            "dtype": "float64",
            "trace_sqrt": f"eigvalsh(F^T S F), F F^T = S_ref ({ref.factor_kind})",
        }
        return [
            metric_value(
                self.ctx,
                name=fd_name(self.ctx.extractor),
                value=r.value,
                n=r.n,
                higher_is_better=self.higher_is_better,
                details=details,
                replicates=fd_bootstrap(self.metric.features(), ref, self.ctx.bootstrap, self.ctx.seed)
                if self.ctx.bootstrap
                else None,
                scheme="generated side resampled, reference statistics fixed",
                bounds=(0.0, None),
            )
        ]


def fd_bootstrap(features: torch.Tensor, ref: ReferenceStats, resamples: int, seed: int) -> np.ndarray:
    """(resamples,) FDs of bootstrap resamples of the generated features (N,D) to the fixed reference.

    Weighted moments are formed in the features' dtype (float32 for float32 features: ~1e-7 relative,
    far below a CI's width), batched over resamples with bounded memory, then finished in float64.

    Example:
        >>> import torch
        >>> x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> fd_bootstrap(x, ReferenceStats(torch.zeros(2), torch.eye(2)), resamples=3, seed=0).shape
        (3,)
    """
    ref.factor()
    ref = ref.to(features.device)  # once, not per resample
    n = features.shape[0]
    centre = features.double().mean(0)
    xc = (features.double() - centre).to(torch.promote_types(features.dtype, torch.float32))
    counts = resample_counts(n, resamples, seed, features.device).to(xc.dtype)
    out = np.empty(counts.shape[0])
    d = xc.shape[1]
    chunk = max(1, 2**24 // max(d * d, n * d))  # resamples per batched einsum (bounded memory)
    for lo in range(0, counts.shape[0], chunk):
        w = counts[lo : lo + chunk]
        s1, s2 = (w @ xc).double(), torch.einsum("bn,ni,nj->bij", w, xc, xc).double()
        for b in range(w.shape[0]):
            mu, sigma = stats_from_sums(s1[b], s2[b], n)
            out[lo + b] = fd_to_reference(mu + centre, sigma, ref)
    return out


register_metric(
    "fd", FDAdapter, frozenset({"features"}), version=VERSION, higher_is_better=False, min_samples=lambda o: MIN_SAMPLES
)
