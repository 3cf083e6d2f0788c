"""Seeded bootstrap over evaluated samples: the one CI convention of every metric of both tasks.

Resample indices of the N evaluated samples (images, captions) with replacement (`resamples` times,
numpy RandomState(seed), seed default 2020); reference data is held fixed. Statistics that are sums
over samples use multinomial counts (`resample_counts`) so that a resample costs a matrix product,
not a Python loop. A metric's value carries its CI by `bootstrap_value`: the replicates are centred
on the estimate and clipped to the metric's range (`centre_replicates`, the bias-corrected
percentile bootstrap), the interval is their (α/2, 1−α/2) percentiles, α = 1 − confidence, and the
replicates are kept in the value so that `xmbench check` can run its paired test on any metric.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.inputs import check_count
from xmbench.metrics.value import MetricValue


def check_bootstrap(resamples: int, confidence: float) -> None:
    """A one-line InputError unless resamples ≥ 0 and 0 < confidence < 1.

    Example:
        >>> check_bootstrap(1000, 95)
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: confidence must lie in (0, 1), got 95
    """
    if resamples < 0:
        raise InputError(f"bootstrap resamples must be ≥ 0, got {resamples}")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must lie in (0, 1), got {confidence}")


def resample_indices(n: int, resamples: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(resamples, n) int64 indices drawn with replacement; InputError for n = 0 (nothing to resample).

    Example:
        >>> resample_indices(5, 2).shape
        (2, 5)
    """
    check_count(n, 1, "bootstrap", "sample")
    return np.random.RandomState(seed % 2**32).randint(0, n, size=(resamples, n))


def resample_counts(
    n: int, resamples: int, seed: int = DEFAULT_SEED, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """(resamples, n) float64 counts: how often each sample occurs in each resample (rows sum to n).

    Example:
        >>> resample_counts(5, 2).sum(1).tolist()
        [5.0, 5.0]
    """
    idx = torch.as_tensor(resample_indices(n, resamples, seed), device=device)
    counts = torch.zeros(resamples, n, dtype=torch.float64, device=device)
    return counts.scatter_add_(1, idx, torch.ones_like(idx, dtype=torch.float64))


def percentile_interval(values: np.ndarray | torch.Tensor, confidence: float = 0.95) -> tuple[float, float]:
    """(low, high) percentiles of bootstrap values for a two-sided `confidence` interval; InputError for none.

    Example:
        >>> import numpy as np
        >>> [round(v, 6) for v in percentile_interval(np.arange(101.0), 0.9)]
        [5.0, 95.0]
    """
    v = np.asarray(values.cpu() if isinstance(values, torch.Tensor) else values, dtype=np.float64)
    check_count(v.size, 1, "bootstrap CI", "resample", "pass resamples ≥ 1")
    alpha = 1.0 - confidence
    lo, hi = np.percentile(v, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(lo), float(hi)


def centre_replicates(
    replicates: np.ndarray, estimate: float, lower: float | None = None, upper: float | None = None
) -> np.ndarray:
    """Replicates shifted so that their mean is the point estimate (bias-corrected percentile bootstrap),
    then clipped to the metric's range [lower, upper] (None: unbounded on that side).

    Resampling with replacement repeats samples, which biases plug-in statistics such as FD upwards,
    so that the plain percentile interval can exclude its own estimate. Shifting by (estimate - mean)
    removes that bootstrap bias; for unbiased statistics (means, accuracies) the shift is ~0. The shift
    can carry replicates out of the metric's range (below 0 for a recall near 0); clipping keeps every
    interval inside the values the metric can take.

    Example:
        >>> import numpy as np
        >>> centre_replicates(np.array([5.0, 6.0, 7.0]), 1.0, lower=0.5).tolist()
        [0.5, 1.0, 2.0]
    """
    v = np.asarray(replicates, dtype=np.float64)
    return np.clip(v - (float(v.mean()) - estimate), lower, upper)


def bootstrap_values(
    statistic: Callable[[np.ndarray], float], n: int, resamples: int = 1000, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """(resamples,) replicates of statistic(indices) over resamples of range(n).

    Example:
        >>> bootstrap_values(lambda idx: float(len(idx)), n=4, resamples=3).tolist()
        [4.0, 4.0, 4.0]
    """
    check_bootstrap(resamples, 0.5)
    return np.array([statistic(idx) for idx in resample_indices(n, resamples, seed)], dtype=np.float64)


def bootstrap_mean_values(per_sample: torch.Tensor, resamples: int = 1000, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(resamples,) replicates of the mean of per-sample values (N,), via multinomial counts.

    Example:
        >>> import torch
        >>> bootstrap_mean_values(torch.ones(10), resamples=3).tolist()
        [1.0, 1.0, 1.0]
    """
    check_bootstrap(resamples, 0.5)
    x = per_sample.double().flatten()
    counts = resample_counts(x.shape[0], resamples, seed, x.device)
    return (counts @ x / x.shape[0]).cpu().numpy()


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float],
    n: int,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float]:
    """Percentile CI of statistic(indices) over `resamples` resamples of range(n).

    Example:
        >>> import numpy as np
        >>> x = np.arange(100.0)
        >>> lo, hi = bootstrap_ci(lambda idx: float(x[idx].mean()), n=100, resamples=200)
        >>> lo < 49.5 < hi
        True
    """
    check_bootstrap(resamples, confidence)
    return percentile_interval(bootstrap_values(statistic, n, resamples, seed), confidence)


def bootstrap_mean_ci(
    per_sample: torch.Tensor, resamples: int = 1000, confidence: float = 0.95, seed: int = DEFAULT_SEED
) -> tuple[float, float]:
    """Percentile CI of the mean of per-sample values (N,), via multinomial counts.

    Example:
        >>> import torch
        >>> lo, hi = bootstrap_mean_ci(torch.arange(100.0), resamples=200)
        >>> lo < 49.5 < hi
        True
    """
    check_bootstrap(resamples, confidence)
    return percentile_interval(bootstrap_mean_values(per_sample, resamples, seed), confidence)


def bootstrap_value(
    name: str,
    value: float,
    n: int,
    higher_is_better: bool,
    details: dict[str, Any],
    replicates: np.ndarray | torch.Tensor | None,
    confidence: float,
    *,
    std: float | None = None,
    scheme: str = "",
    bounds: tuple[float | None, float | None] = (None, None),
) -> MetricValue:
    """A MetricValue with the bias-corrected percentile CI of `replicates` (None: no bootstrap, no CI).

    The replicates are centred on `value` and clipped to the metric's range `bounds` (see
    `centre_replicates`) and kept in the value; `scheme` says what was resampled. Non-finite
    replicates (a ratio whose resample judged nothing) are dropped.

    Example:
        >>> v = bootstrap_value("acc", 0.5, 4, True, {}, np.array([0.4, 0.5, 0.6]), 0.95, bounds=(0.0, 1.0))
        >>> v.ci_low < 0.5 < v.ci_high, v.details["resamples"], len(v.bootstrap)
        (True, 3, 3)
    """
    if replicates is None:
        return MetricValue(name, value, None, None, std, n, higher_is_better, details)
    v = np.asarray(replicates.cpu() if isinstance(replicates, torch.Tensor) else replicates, dtype=np.float64)
    centred = centre_replicates(v[np.isfinite(v)], value, *bounds)
    lo, hi = percentile_interval(centred, confidence)
    details = {
        **details,
        "resamples": len(centred),
        "confidence": confidence,
        "ci": "bias-corrected percentile bootstrap (replicates centred on the estimate)"
        + (f"; {scheme}" if scheme else ""),
    }
    return MetricValue(name, value, lo, hi, std, n, higher_is_better, details, [float(x) for x in centred])
