"""FD∞ (Chong & Forsyth, CVPR 2020): FD is biased in N; fit FD_N = FD∞ + b/N and extrapolate to N→∞.

FD_N is the FD of a seeded random subset of N generated samples (without replacement) to the fixed
reference, at `points` values of N evenly spaced in 1/N between n_min and N (Chong & Forsyth: 15
points, 5k..50k). Least-squares line in 1/N; the intercept is FD∞ (squared feature units, like FD;
lower is better; can dip below 0), with its standard error, the slope, and R² of the fit. The CI comes
from the fit (intercept ± t·SE), not from a bootstrap. Seed default 2020.

This module holds the functional form (`fd_infinity`), the Metric class (`FDInfinity`), the Evaluator's
adapter and the registration of "fd_infinity" (reported as "<fd name>_inf", e.g. "fd_shapes_inf").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import stats as sps
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError
from xmbench.metrics.adapter import MetricAdapter, extractor_details, require_reference
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.fd import fd_name, fd_to_reference, stats_from_features
from xmbench.metrics.inputs import check_count, check_features
from xmbench.metrics.options import Option
from xmbench.metrics.reference import ReferenceStats
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

#: bump by hand when FD∞'s outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 1


@dataclass(frozen=True)
class FDInfinityResult(MetricResult):
    """FD∞ and its fit: value (the intercept), stderr, ci (intercept ± t·stderr), slope, r2, and the
    subset sizes `ns` with their FDs `fds`."""

    value: float
    stderr: float
    ci: tuple[float, float]
    slope: float
    r2: float
    ns: list[int]
    fds: list[float]

    def values(self) -> dict[str, float]:
        return {"fd_inf": self.value}


def fd_infinity(
    generated: torch.Tensor,
    reference: ReferenceStats,
    *,
    points: int = 15,
    n_min: int | None = None,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> FDInfinityResult:
    """FD∞ of generated features (N,D) against the reference statistics; see the module docstring.

    Args:
        generated: features of generated images, (N,D), finite.
        reference: the reference's `ReferenceStats`.
        points: number of subset sizes (≥ 3); n_min: the smallest (≥ 2, default max(2, N//10)); N ≥ n_min + 2.
        seed: seed of the subset draws (default 2020); confidence: level of the fit's CI.

    Example:
        >>> import torch
        >>> x = torch.randn(2000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> r = fd_infinity(x, ReferenceStats(torch.zeros(2), torch.eye(2)), points=5)
        >>> len(r.ns), abs(r.value) < 0.01
        (5, True)
    """
    check_features(generated, "FD-infinity", "generated features", reference.dim)
    n = generated.shape[0]
    n_min = n_min if n_min is not None else max(2, n // 10)
    Option("int", low=3).check("FD-infinity", "points", points)
    Option("int", low=2).check("FD-infinity", "n_min", n_min)
    check_count(n, min_samples(n_min), "FD-infinity", fix=f"evaluate more samples or lower n_min (now {n_min})")
    # N ≥ n_min + 2 and ≥ 3 points (both ends included) always give at least 3 distinct sizes
    ns = sorted({int(round(1.0 / v)) for v in np.linspace(1.0 / n_min, 1.0 / n, points)})
    rng = np.random.RandomState(seed % 2**32)
    fds = []
    for m in ns:
        sub = generated[torch.as_tensor(rng.choice(n, m, replace=False), device=generated.device)]
        mu, sigma = stats_from_features(sub)
        fds.append(fd_to_reference(mu, sigma, reference))
    intercept, se, slope, r2 = line_fit(1.0 / np.asarray(ns, dtype=np.float64), np.asarray(fds))
    t = sps.t.ppf(0.5 + confidence / 2, len(ns) - 2)
    ci = (float(intercept - t * se), float(intercept + t * se))
    return FDInfinityResult(intercept, se, ci, slope, r2, ns, fds)


def min_samples(n_min: int | None = None) -> int:
    """The fewest generated samples FD∞ takes: subset sizes n_min < n_min + 1 < N (n_min default 2).

    Example:
        >>> min_samples(), min_samples(100)
        (4, 102)
    """
    return (2 if n_min is None else n_min) + 2


def line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """(intercept, its standard error, slope, R²) of the least-squares line y = a + b·x (≥ 3 points).

    When every y is the same (a constant generator: every subset has the same FD) the flat line fits
    exactly: standard error 0 and R² 1, where the general formulas divide 0 by 0.

    Example:
        >>> import numpy as np
        >>> line_fit(np.array([0.1, 0.2, 0.5]), np.array([3.0, 3.0, 3.0]))
        (3.0, 0.0, 0.0, 1.0)
    """
    if np.ptp(y) == 0:
        return float(y[0]), 0.0, 0.0, 1.0
    fit = sps.linregress(x, y)
    return float(fit.intercept), float(fit.intercept_stderr), float(fit.slope), float(fit.rvalue**2)


class FDInfinity(Metric):
    """FD∞ as a torchmetrics Metric: keeps the generated features (N·D floats); the reference is fixed.

    Args:
        reference: the reference's `ReferenceStats`; points, n_min, seed (2020), confidence: as `fd_infinity`.

    `update(features (N,D))`; `compute()` returns {"fd_inf": value} (float64 scalar); `result(reference=None)`
    the `FDInfinityResult`.

    Example:
        >>> import torch
        >>> metric = FDInfinity(ReferenceStats(torch.zeros(2), torch.eye(2)), points=5)
        >>> metric.update(torch.randn(2000, 2, generator=torch.Generator().manual_seed(0)))
        >>> abs(float(metric.compute()["fd_inf"])) < 0.01
        True
    """

    is_differentiable = False
    higher_is_better = False
    full_state_update = False

    def __init__(
        self,
        reference: ReferenceStats | None = None,
        points: int = 15,
        n_min: int | None = None,
        seed: int = DEFAULT_SEED,
        confidence: float = 0.95,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.reference, self.points, self.n_min, self.seed, self.confidence = reference, points, n_min, seed, confidence
        self.add_state("gen_features", [], dist_reduce_fx="cat")

    def update(self, features: torch.Tensor) -> None:
        check_features(features, "FD-infinity")
        self.gen_features.append(features.detach())

    def features(self) -> torch.Tensor:
        """The generated features fed so far, (N,D)."""
        if len(self.gen_features) == 0:  # a list before sync, one gathered tensor after
            raise InputError("FD-infinity needs generated features; call update first")
        return dim_zero_cat(self.gen_features)

    def result(self, reference: ReferenceStats | None = None) -> FDInfinityResult:
        """The FDInfinityResult against `reference` (default: the one given at construction)."""
        ref = reference if reference is not None else self.reference
        if ref is None:
            raise InputError("FD-infinity needs reference statistics: pass FDInfinity(reference=ReferenceStats(...))")
        return fd_infinity(
            self.features(), ref, points=self.points, n_min=self.n_min, seed=self.seed, confidence=self.confidence
        )

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


class FDInfinityAdapter(MetricAdapter):
    """FD∞ in the Evaluator; options "points", "n_min"; the CI comes from the fit."""

    def __init__(self, ctx: MetricContext) -> None:
        o = ctx.options
        metric = FDInfinity(points=o.get("points", 15), n_min=o.get("n_min"), seed=ctx.seed, confidence=ctx.confidence)
        super().__init__(ctx, metric)

    def compute(self) -> list[MetricValue]:
        r = self.metric.result(require_reference(self.ctx, "FD-infinity"))
        details = {
            **extractor_details(self.ctx.extractor),
            "ns": r.ns,
            "fds": r.fds,
            "slope": r.slope,
            "r2": r.r2,
            "stderr": r.stderr,
            "ci": "intercept ± t·stderr of the linear fit in 1/N",
        }
        name = f"{fd_name(self.ctx.extractor)}_inf"
        n = self.metric.features().shape[0]
        return [MetricValue(name, r.value, r.ci[0], r.ci[1], None, n, self.higher_is_better, details)]


register_metric(
    "fd_infinity",
    FDInfinityAdapter,
    frozenset({"features"}),
    version=VERSION,
    higher_is_better=False,
    options={"points": Option("int", low=3), "n_min": Option("int", low=2, nullable=True)},
    min_samples=lambda o: min_samples(o.get("n_min")),
)
