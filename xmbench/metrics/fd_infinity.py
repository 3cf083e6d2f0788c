"""FD∞ (Chong & Forsyth, CVPR 2020): FD is biased in N; fit FD_N = FD∞ + b/N and extrapolate to N→∞.

FD_N is the FD of a seeded random subset of N generated samples (without replacement) to the fixed
reference, at `points` values of N evenly spaced in 1/N between n_min and N (Chong & Forsyth: 15
points, 5k..50k). Least-squares line in 1/N; the intercept is FD∞, with its standard error, the slope,
and R² of the fit. The CI comes from the fit (intercept ± t·SE), not from a bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats as sps

from xmbench.errors import InputError
from xmbench.metrics.fd import ReferenceStats, fd_to_reference, stats_from_features


@dataclass(frozen=True)
class FDInfinityResult:
    value: float  # extrapolated FD∞
    stderr: float  # standard error of the intercept
    ci: tuple[float, float]  # intercept ± t_{points−2} · stderr at the given confidence
    slope: float
    r2: float
    ns: list[int]
    fds: list[float]


def fd_infinity(
    features: torch.Tensor,
    reference: ReferenceStats,
    points: int = 15,
    n_min: int | None = None,
    seed: int = 0,
    confidence: float = 0.95,
) -> FDInfinityResult:
    """FD∞ of generated features (N,D) against the reference; see the module docstring."""
    n = features.shape[0]
    n_min = n_min if n_min is not None else max(2, n // 10)
    if points < 3 or not 2 <= n_min < n:
        raise InputError(f"FD-infinity needs ≥ 3 points and 2 ≤ n_min < N, got points={points}, n_min={n_min}, N={n}")
    inv = np.linspace(1.0 / n_min, 1.0 / n, points)
    ns = sorted({int(round(1.0 / v)) for v in inv})
    if len(ns) < 3:
        raise InputError(f"FD-infinity needs more samples: only {len(ns)} distinct sizes between {n_min} and {n}")
    rng = np.random.RandomState(seed % 2**32)
    fds = []
    for m in ns:
        sub = features[torch.as_tensor(rng.choice(n, m, replace=False), device=features.device)]
        mu, sigma = stats_from_features(sub)
        fds.append(fd_to_reference(mu, sigma, reference))
    x = 1.0 / np.asarray(ns, dtype=np.float64)
    fit = sps.linregress(x, np.asarray(fds))
    t = sps.t.ppf(0.5 + confidence / 2, len(ns) - 2)
    se = float(fit.intercept_stderr)
    return FDInfinityResult(
        float(fit.intercept),
        se,
        (float(fit.intercept - t * se), float(fit.intercept + t * se)),
        float(fit.slope),
        float(fit.rvalue**2),
        ns,
        [float(f) for f in fds],
    )
