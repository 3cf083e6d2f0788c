"""Kernel Inception Distance: unbiased MMD² with the cubic polynomial kernel k(x,y) = (xᵀy/d + 1)³.

Scale: the raw (unscaled, ×1) MMD² in squared kernel units, as torch-fidelity reports it; many papers
print KID×10³. It can be negative (the estimator is unbiased); lower is better.
Protocol (torch-fidelity's): `subsets` random subsets of `subset_size` from each side, drawn with
`numpy.random.RandomState(seed).choice(n, subset_size, replace=False)` — generated side first, then
reference — per subset; value = mean of the subset MMD², std = population std (np.std) over subsets.
With the same seed (default 2020, torch-fidelity's) and sizes, the subsets are identical to
torch-fidelity's `kid_features_to_metric`. The Gram matrix xᵀy is computed in the features' dtype
(float32 features: float32 matmul, as the peers do), the cube and all sums in float64.

This module holds KID's functional form (`kernel_inception_distance`), its Metric class
(`KernelInceptionDistance`), the Evaluator's adapter and the registration of "kid".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from xmbench.metrics.adapter import MetricAdapter, extractor_details, metric_value
from xmbench.metrics.bootstrap import resample_counts
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.feature_sets import TwoFeatureSets
from xmbench.metrics.inputs import check_count, check_pair
from xmbench.metrics.options import Option
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

#: bump by hand when KID's outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 1
#: the scale label results carry (details["scale"]) and the leaderboard header shows
SCALE = "MMD² ×1"
#: KID's options, checked by the function, the Metric class and (before any work) the Evaluator
OPTIONS = {"subsets": Option("int", low=1), "subset_size": Option("int", low=2)}


@dataclass(frozen=True)
class KIDResult(MetricResult):
    """KID over subsets: mean and population std of the per-subset unbiased MMD² (raw scale, ×1)."""

    mean: float
    std: float
    subsets: int
    subset_size: int  # may be below the requested size when a side has fewer samples
    subset_values: np.ndarray = field(repr=False)  # (subsets,) per-subset MMD²

    def values(self) -> dict[str, float]:
        return {"kid": self.mean, "kid_std": self.std}


def poly_kernel(x: torch.Tensor, y: torch.Tensor, degree: int = 3, coef0: float = 1.0) -> torch.Tensor:
    """(x yᵀ / d + coef0) ** degree, (N,M) float64; the Gram matmul runs in the inputs' dtype (in place
    after the cast: one temporary instead of four).

    Example:
        >>> import torch
        >>> poly_kernel(torch.ones(1, 2), torch.ones(1, 2))  # (2/2 + 1)³
        tensor([[8.]], dtype=torch.float64)
    """
    return (x @ y.mT).double().mul_(1 / x.shape[1]).add_(coef0).pow_(degree)


def check_kid_inputs(generated: torch.Tensor, reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both feature sets checked (`check_pair`), each with at least 2 samples (the unbiased MMD² divides by
    m(m−1)), cast to one float dtype (at least float32).

    Example:
        >>> check_kid_inputs(torch.zeros(1, 2), torch.zeros(5, 2))
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: KID needs at least 2 generated samples, got 1; evaluate more samples
    """
    check_pair(generated, reference, "KID")
    check_count(generated.shape[0], 2, "KID")
    check_count(reference.shape[0], 2, "KID", "reference sample")
    dtype = torch.promote_types(torch.promote_types(generated.dtype, reference.dtype), torch.float32)
    return generated.to(dtype), reference.to(dtype)


def check_subsets(subsets: int, subset_size: int) -> None:
    """A one-line InputError unless subsets ≥ 1 and subset_size ≥ 2.

    Example:
        >>> check_subsets(100, 1)
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: option 'subset_size' of metric 'KID' must be at least 2, got 1
    """
    OPTIONS["subsets"].check("KID", "subsets", subsets)
    OPTIONS["subset_size"].check("KID", "subset_size", subset_size)


def offdiag_kernel_sum(x: torch.Tensor, degree: int = 3, coef0: float = 1.0, blocks: int = 4) -> torch.Tensor:
    """Σ_{i≠j} k(x_i, x_j) (float64 scalar) for x (m,D), from the kernel's lower block triangle only.

    K is symmetric: row block p is computed against the columns up to its diagonal block, and the
    blocks left of the diagonal are counted twice, so b(b+1)/2 of b² Gram blocks in b matmuls.

    Example:
        >>> import torch
        >>> offdiag_kernel_sum(torch.ones(3, 2))  # 6 off-diagonal pairs of kernel value 8
        tensor(48., dtype=torch.float64)
    """
    bounds = [len(x) * i // blocks for i in range(blocks + 1)]
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        k = poly_kernel(x[lo:hi], x[:hi], degree, coef0)
        diagonal_block = k[:, lo:]
        total += 2 * k[:, :lo].sum() + diagonal_block.sum() - diagonal_block.diagonal().sum()
    return total


def subset_indices(
    n_gen: int, n_ref: int, subsets: int, subset_size: int, seed: int = DEFAULT_SEED
) -> list[tuple[np.ndarray, np.ndarray]]:
    """torch-fidelity's subset draws: per subset, generated indices then reference indices.

    Example:
        >>> [len(g) for g, r in subset_indices(10, 8, subsets=2, subset_size=5)]
        [5, 5]
    """
    rng = np.random.RandomState(seed % 2**32)
    return [
        (rng.choice(n_gen, subset_size, replace=False), rng.choice(n_ref, subset_size, replace=False))
        for _ in range(subsets)
    ]


def kernel_inception_distance(
    generated: torch.Tensor,
    reference: torch.Tensor,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = DEFAULT_SEED,
    degree: int = 3,
    coef0: float = 1.0,
) -> KIDResult:
    """KID between generated (N,D) and reference (M,D) features; see the module docstring.

    Args:
        generated: features of generated images, (N,D), finite.
        reference: features of real images, (M,D), finite.
        subsets: number of subsets; subset_size: samples per subset and side (reduced, with a warning,
            to min(N, M) when a side is smaller).
        seed: seed of the subset draws (default 2020, torch-fidelity's).
        degree, coef0: the polynomial kernel's degree and offset.

    Returns:
        KIDResult with `mean` and population `std` over subsets, raw MMD² (×1).

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> real = torch.randn(200, 8, generator=g)
        >>> fake = torch.randn(200, 8, generator=g) + 0.5
        >>> r = kernel_inception_distance(fake, real, subsets=10, subset_size=100)
        >>> round(r.mean, 2), r.subsets
        (0.74, 10)
    """
    check_subsets(subsets, subset_size)
    x, y = check_kid_inputs(generated, reference)
    size = min(subset_size, x.shape[0], y.shape[0])
    if size < subset_size:
        warnings.warn(
            f"KID subset size reduced from {subset_size} to {size} (fewer samples); values from "
            "different subset sizes have different variance",
            UserWarning,
            stacklevel=2,
        )
    values = np.empty(subsets)
    for i, (gi, ri) in enumerate(subset_indices(x.shape[0], y.shape[0], subsets, size, seed)):
        fx, fy = x[torch.as_tensor(gi, device=x.device)], y[torch.as_tensor(ri, device=y.device)]
        same = offdiag_kernel_sum(fx, degree, coef0) + offdiag_kernel_sum(fy, degree, coef0)
        values[i] = float(same / (size * (size - 1)) - 2 * poly_kernel(fx, fy, degree, coef0).sum() / size**2)
    return KIDResult(float(values.mean()), float(values.std()), subsets, size, values)


def kid_bootstrap(
    generated: torch.Tensor,
    reference: torch.Tensor,
    *,
    resamples: int,
    seed: int = DEFAULT_SEED,
    degree: int = 3,
    coef0: float = 1.0,
    block: int = 1024,
) -> tuple[float, np.ndarray]:
    """Full-sample unbiased MMD² and its values over `resamples` bootstrap resamples of the generated side.

    With multinomial counts w (Σw = n) a resample's generated–generated term is
    (wᵀK w − Σ w_i K_ii) / (n(n−1)) and its cross term wᵀ(K_xy 1) / (n m); the reference term is fixed.
    Kernels are built in row blocks (memory O(block·n + resamples·n)), summed in float64.

    Example:
        >>> import torch
        >>> x = torch.randn(30, 4, generator=torch.Generator().manual_seed(0))
        >>> full, replicates = kid_bootstrap(x + 1, x, resamples=5)
        >>> full > 0, replicates.shape
        (True, (5,))
    """
    x, y = check_kid_inputs(generated, reference)
    n, m = x.shape[0], y.shape[0]
    yy = offdiag_kernel_sum(y, degree, coef0, blocks=-(-m // block)) / (m * (m - 1))
    w = torch.cat(
        [torch.ones(1, n, dtype=torch.float64, device=x.device), resample_counts(n, resamples, seed, x.device)]
    )  # row 0: the full sample
    xx = torch.zeros(w.shape[0], dtype=torch.float64, device=x.device)
    cross = torch.zeros(w.shape[0], dtype=torch.float64, device=x.device)
    for lo in range(0, n, block):
        k = poly_kernel(x[lo : lo + block], x, degree, coef0)  # (b, n)
        wb = w[:, lo : lo + block]  # (B, b)
        xx += ((k @ w.mT) * wb.mT).sum(0) - wb @ k.diagonal(offset=lo)
        cross += wb @ poly_kernel(x[lo : lo + block], y, degree, coef0).sum(1)
    values = (xx / (n * (n - 1)) + yy - 2 * cross / (n * m)).cpu().numpy()
    return float(values[0]), values[1:]


class KernelInceptionDistance(TwoFeatureSets):
    """KID as a torchmetrics Metric: keeps the features of both sides (N·D floats each).

    Args: as `kernel_inception_distance` (subsets, subset_size, seed = 2020, degree, coef0).

    `update(features (N,D), real=False)`; `compute()` returns {"kid": mean, "kid_std": std} (float64
    scalars, raw MMD² ×1); `result()` the `KIDResult`. Seeded, so the same inputs always give the same
    value (torchmetrics' KID draws unseeded subsets).

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> metric = KernelInceptionDistance(subsets=10, subset_size=100)
        >>> metric.update(torch.randn(200, 8, generator=g), real=True)
        >>> metric.update(torch.randn(200, 8, generator=g) + 0.5)
        >>> round(float(metric.compute()["kid"]), 2)
        0.74
    """

    is_differentiable = False
    higher_is_better = False
    full_state_update = False
    label = "KID"

    def __init__(
        self,
        subsets: int = 100,
        subset_size: int = 1000,
        seed: int = DEFAULT_SEED,
        degree: int = 3,
        coef0: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_subsets(subsets, subset_size)
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed
        self.degree, self.coef0 = degree, coef0

    def result(self) -> KIDResult:
        """The KIDResult of the features fed so far (this process's state; compute() syncs first)."""
        generated, reference = self.features(), self.features(real=True)
        return kernel_inception_distance(
            generated,
            reference,
            subsets=self.subsets,
            subset_size=self.subset_size,
            seed=self.seed,
            degree=self.degree,
            coef0=self.coef0,
        )

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


class KIDAdapter(MetricAdapter):
    """KID in the Evaluator; options "subsets", "subset_size"; CI from bootstrap replicates of the
    full-sample MMD² (generated side resampled)."""

    takes_reference = True

    def __init__(self, ctx: MetricContext) -> None:
        o = ctx.options
        super().__init__(ctx, KernelInceptionDistance(o.get("subsets", 100), o.get("subset_size", 1000), seed=ctx.seed))

    def compute(self) -> list[MetricValue]:
        self.require_real("KID")
        r = self.metric.result()
        details = {
            **extractor_details(self.ctx.extractor),
            "subsets": r.subsets,
            "subset_size": r.subset_size,
            "kernel": "(x.y/d + 1)^3",
            "std": "population (np.std) over subsets",
            "subset_draws": "numpy RandomState(seed).choice without replacement, generated then reference",
            "scale": SCALE,
        }
        replicates = None
        if self.ctx.bootstrap:
            details["mmd2_full_sample"], replicates = kid_bootstrap(
                self.metric.features(),
                self.metric.features(real=True),
                resamples=self.ctx.bootstrap,
                seed=self.ctx.seed,
            )
        return [
            metric_value(
                self.ctx,
                name="kid",
                value=r.mean,
                std=r.std,
                n=self.metric.features().shape[0],
                higher_is_better=self.higher_is_better,
                details=details,
                replicates=replicates,
                scheme="replicates of the full-sample unbiased MMD²; generated resampled, reference fixed",
            )
        ]


register_metric(
    "kid",
    KIDAdapter,
    frozenset({"features"}),
    version=VERSION,
    higher_is_better=False,
    options=OPTIONS,
    min_samples=lambda o: 2,
)
