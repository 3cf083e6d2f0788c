"""Significance of a difference between two recorded metric values (two independent evaluations).

With bootstrap replicates stored in both records (field "bootstrap"), the distribution of the
difference is the exact convolution of the two bootstrap distributions: every pair of replicates,
a_i - b_j. Without replicates it falls back on a normal approximation with standard errors read off
the recorded confidence intervals (half-width / z).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm
from scipy.stats import t as t_dist

#: most replicate pairs used; above it a fixed, evenly spaced subset of pairs is taken
_MAX_PAIRS = 1_000_000


@dataclass(frozen=True)
class Difference:
    """a - b for one metric. ci_low/ci_high: two-sided interval at `confidence`; method: how."""

    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str  # "bootstrap" | "normal" | "seeds"
    draws: np.ndarray | None  # bootstrap draws of a - b, when method == "bootstrap"
    se: float  # standard error of the difference (std of the draws for "bootstrap")

    def prob_at_most(self, threshold: float) -> float:
        """Estimated P(a - b <= threshold): one-sided bootstrap fraction, or the normal CDF."""
        if self.draws is not None:
            return float(np.mean(self.draws <= threshold))
        if self.se == 0.0:
            return 1.0 if self.delta <= threshold else 0.0
        return float(norm.cdf((threshold - self.delta) / self.se))

    def prob_at_least(self, threshold: float) -> float:
        """Estimated P(a - b >= threshold)."""
        if self.draws is not None:
            return float(np.mean(self.draws >= threshold))
        if self.se == 0.0:
            return 1.0 if self.delta >= threshold else 0.0
        return float(norm.sf((threshold - self.delta) / self.se))

    @property
    def significant(self) -> bool:
        """The two-sided interval excludes 0."""
        return self.ci_low > 0.0 or self.ci_high < 0.0


def difference(a: dict[str, Any], b: dict[str, Any], confidence: float = 0.95) -> Difference:
    """Difference a - b of two recorded metric dicts (value, ci_low, ci_high, optional bootstrap).

    When both hold `seed_values` of at least two training seeds each (xmbench.results.seeds), the
    difference is tested across seeds: Welch's t interval on the per-seed values, which carry both
    training and evaluation-sampling variance.
    """
    delta = float(a["value"]) - float(b["value"])
    ra, rb = a.get("bootstrap"), b.get("bootstrap")
    tail = (1.0 - confidence) / 2.0
    sa, sb = a.get("seed_values") or [], b.get("seed_values") or []
    if len(sa) > 1 and len(sb) > 1 and None not in sa + sb:
        return _welch(np.asarray(sa, dtype=np.float64), np.asarray(sb, dtype=np.float64), confidence)
    if ra and rb:
        draws = _pair_differences(np.asarray(ra, dtype=np.float64), np.asarray(rb, dtype=np.float64))
        # centre the draws on the point estimate (the replicate means carry the bootstrap's own bias)
        draws = draws - draws.mean() + delta
        lo, hi = np.quantile(draws, [tail, 1.0 - tail])
        return Difference(delta, float(lo), float(hi), confidence, "bootstrap", draws, float(draws.std()))
    se = float(np.hypot(_standard_error(a), _standard_error(b)))
    z = float(norm.ppf(1.0 - tail))
    return Difference(delta, delta - z * se, delta + z * se, confidence, "normal", None, se)


def _welch(sa: np.ndarray, sb: np.ndarray, confidence: float) -> Difference:
    """Welch's t interval for mean(sa) - mean(sb) (Welch-Satterthwaite degrees of freedom)."""
    delta = float(sa.mean() - sb.mean())
    va, vb = sa.var(ddof=1) / sa.size, sb.var(ddof=1) / sb.size
    se = float(np.sqrt(va + vb))
    if se == 0.0:
        return Difference(delta, delta, delta, confidence, "seeds", None, 0.0)
    df = (va + vb) ** 2 / (va**2 / (sa.size - 1) + vb**2 / (sb.size - 1))
    half = float(t_dist.ppf(0.5 + confidence / 2.0, df)) * se
    return Difference(delta, delta - half, delta + half, confidence, "seeds", None, se)


def _pair_differences(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    diffs = (ra[:, None] - rb[None, :]).ravel()
    if diffs.size > _MAX_PAIRS:
        diffs = diffs[np.linspace(0, diffs.size - 1, _MAX_PAIRS).astype(np.int64)]
    return diffs


def _standard_error(metric: dict[str, Any]) -> float:
    lo, hi = metric.get("ci_low"), metric.get("ci_high")
    if lo is None or hi is None:
        return 0.0
    level = float(metric.get("confidence", 0.95))
    return (float(hi) - float(lo)) / (2.0 * float(norm.ppf(0.5 + level / 2.0)))
