"""Precision / recall (Kynkäänniemi et al. 2019, k=3) and density / coverage (Naeem et al. 2020, k=5).

A sample's ball has radius = distance to its k-th nearest neighbour in its own set (itself excluded).
precision = share of generated samples inside at least one reference ball (k_pr); recall = share of
reference samples inside at least one generated ball (k_pr); density = (1/(k·M)) Σ_gen #reference balls
(k_dc) holding it; coverage = share of reference balls (k_dc) holding at least one generated sample.
Precision, recall and coverage are fractions in [0, 1]; density is ≥ 0 (1 on average for identical
distributions); all four higher is better. Euclidean distances in float64, batched in torch (blocks of
rows: memory O(block·N), not O(N²)).

Ties — a point exactly on a ball's edge — follow each metric's own reference code:

- precision / recall count it INSIDE (distance ≤ radius), as NVlabs' precision-recall code does;
- density / coverage count it OUTSIDE (distance < radius), as Naeem et al.'s `prdc` package does.

(`prdc` uses < for all four; on inputs with such ties its precision / recall are lower than these.)
So a sample with k or more exact copies in its own set has a ball of radius 0 that holds nothing for
density / coverage: two identical constant sets have precision = recall = 1, density = coverage = 0.
Each side needs more than max(k_pr, k_dc) samples (a ball reaches the k-th nearest *other* sample).
This module holds the functional form (`prdc`), the Metric class (`PRDC`), the Evaluator's adapter and
the registration of "prdc".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from xmbench.metrics.adapter import MetricAdapter, extractor_details, metric_value
from xmbench.metrics.bootstrap import bootstrap_mean_values
from xmbench.metrics.feature_sets import TwoFeatureSets
from xmbench.metrics.inputs import check_count, check_pair
from xmbench.metrics.options import Option
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

#: bump by hand when PRDC's outputs change (golden-value tests in tests/metrics/test_metric_golden.py).
#: 2: density / coverage count a point on a ball's edge as outside (Naeem et al.'s prdc), was inside.
VERSION = 2
BLOCK = 2048
#: PRDC's options, checked by the function and (before any work) the Evaluator
OPTIONS = {"k_pr": Option("int", low=1), "k_dc": Option("int", low=1)}


@dataclass(frozen=True)
class PRDCResult(MetricResult):
    """The four values and, for bootstrap CIs, their per-sample parts (whose means they are)."""

    precision: float
    recall: float
    density: float
    coverage: float
    k_pr: int
    k_dc: int
    gen_in_real: torch.Tensor = field(repr=False)  # (M,) bool: generated sample inside a reference k_pr ball
    gen_density: torch.Tensor = field(repr=False)  # (M,) float64: reference k_dc balls holding it, / k_dc
    real_in_gen: torch.Tensor = field(repr=False)  # (N,) bool: reference sample inside a generated k_pr ball
    real_covered: torch.Tensor = field(repr=False)  # (N,) bool: reference k_dc ball holds a generated sample

    def values(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "density": self.density, "coverage": self.coverage}


def min_samples(*ks: int) -> int:
    """The fewest samples per side PRDC takes with neighbour ranks `ks`: one more than the largest.

    Example:
        >>> min_samples(3, 5)
        6
    """
    return max(ks) + 1


def kth_nn_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    """(N,) distance of each row of x (N,D) to its k-th nearest other row.

    Example:
        >>> import torch
        >>> kth_nn_radius(torch.tensor([[0.0], [1.0], [3.0]]), k=1).tolist()
        [1.0, 1.0, 2.0]
    """
    check_count(x.shape[0], min_samples(k), "PRDC", "sample per side", f"evaluate more samples or lower k (now {k})")
    out = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
    for lo in range(0, x.shape[0], BLOCK):
        d = torch.cdist(x[lo : lo + BLOCK], x)
        out[lo : lo + BLOCK] = d.topk(k + 1, dim=1, largest=False).values[:, k]  # index 0 is the point itself
    return out


def prdc(*, generated: torch.Tensor, reference: torch.Tensor, k_pr: int = 3, k_dc: int = 5) -> PRDCResult:
    """Precision, recall, density and coverage of generated features against reference features.

    Keyword-only: swapping the two sides would silently swap precision with recall.

    Args:
        generated: features of generated images, (M,D), M > max(k_pr, k_dc), finite.
        reference: features of real images, (N,D), N > max(k_pr, k_dc), finite.
        k_pr: neighbour rank of the precision / recall balls; k_dc: of the density / coverage balls.

    Returns:
        PRDCResult; precision, recall, coverage in [0, 1], density ≥ 0.

    Example:
        >>> import torch
        >>> x = torch.randn(100, 4, generator=torch.Generator().manual_seed(0))
        >>> r = prdc(generated=x + 1.0, reference=x)
        >>> {k: round(v, 3) for k, v in r.values().items()}
        {'precision': 0.75, 'recall': 0.74, 'density': 0.558, 'coverage': 0.6}
    """
    check_pair(generated, reference, "PRDC")
    OPTIONS["k_pr"].check("PRDC", "k_pr", k_pr)
    OPTIONS["k_dc"].check("PRDC", "k_dc", k_dc)
    fix = f"evaluate more samples or lower k_pr / k_dc (now {k_pr} / {k_dc})"
    check_count(generated.shape[0], min_samples(k_pr, k_dc), "PRDC", fix=fix)
    check_count(reference.shape[0], min_samples(k_pr, k_dc), "PRDC", "reference sample", fix)
    r, g = reference.double(), generated.double()
    r_pr, r_dc, g_pr = kth_nn_radius(r, k_pr), kth_nn_radius(r, k_dc), kth_nn_radius(g, k_pr)
    m = g.shape[0]
    gen_in_real = torch.empty(m, dtype=torch.bool, device=g.device)
    gen_density = torch.empty(m, dtype=torch.float64, device=g.device)
    real_in_gen = torch.zeros(r.shape[0], dtype=torch.bool, device=g.device)
    real_covered = torch.zeros(r.shape[0], dtype=torch.bool, device=g.device)
    for lo in range(0, m, BLOCK):
        d = torch.cdist(g[lo : lo + BLOCK], r)  # (b, N)
        gen_in_real[lo : lo + BLOCK] = (d <= r_pr).any(1)  # NVlabs: on the edge is inside
        inside_dc = d < r_dc  # Naeem et al.'s prdc: on the edge is outside
        gen_density[lo : lo + BLOCK] = inside_dc.sum(1).double() / k_dc
        real_covered |= inside_dc.any(0)
        real_in_gen |= (d <= g_pr[lo : lo + BLOCK, None]).any(0)
    return PRDCResult(
        precision=float(gen_in_real.double().mean()),
        recall=float(real_in_gen.double().mean()),
        density=float(gen_density.mean()),
        coverage=float(real_covered.double().mean()),
        k_pr=k_pr,
        k_dc=k_dc,
        gen_in_real=gen_in_real,
        gen_density=gen_density,
        real_in_gen=real_in_gen,
        real_covered=real_covered,
    )


class PRDC(TwoFeatureSets):
    """PRDC as a torchmetrics Metric: keeps both sides' features (N·D floats each).

    Args: as `prdc` (k_pr = 3, k_dc = 5).

    `update(features (N,D), real=False)`; `compute()` returns {"precision", "recall", "density",
    "coverage"} (float64 scalars); `result()` the `PRDCResult`.

    Example:
        >>> import torch
        >>> x = torch.randn(100, 4, generator=torch.Generator().manual_seed(0))
        >>> metric = PRDC()
        >>> metric.update(x, real=True)
        >>> metric.update(x + 1.0)
        >>> round(float(metric.compute()["precision"]), 3)
        0.75
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False
    label = "PRDC"

    def __init__(self, k_pr: int = 3, k_dc: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.k_pr, self.k_dc = k_pr, k_dc

    def result(self) -> PRDCResult:
        """The PRDCResult of the features fed so far (this process's state; compute() syncs first)."""
        return prdc(generated=self.features(), reference=self.features(real=True), k_pr=self.k_pr, k_dc=self.k_dc)

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


#: per reported name: the per-sample part, what a bootstrap resamples, and the value's range
_PARTS = {
    "precision": ("gen_in_real", "generated samples resampled, reference fixed", (0.0, 1.0)),
    "recall": ("real_in_gen", "real samples resampled, generated set fixed (resampling a set biases it)", (0.0, 1.0)),
    "density": ("gen_density", "generated samples resampled, reference fixed", (0.0, None)),
    "coverage": (
        "real_covered",
        "real samples resampled, generated set fixed (resampling a set biases it)",
        (0.0, 1.0),
    ),
}


class PRDCAdapter(MetricAdapter):
    """PRDC in the Evaluator: four values; options "k_pr", "k_dc"."""

    takes_reference = True

    def __init__(self, ctx: MetricContext) -> None:
        super().__init__(ctx, PRDC(ctx.options.get("k_pr", 3), ctx.options.get("k_dc", 5)))

    def compute(self) -> list[MetricValue]:
        self.require_real("PRDC")
        r = self.metric.result()
        base = {
            **extractor_details(self.ctx.extractor),
            "k_pr": r.k_pr,
            "k_dc": r.k_dc,
            "reference_count": len(r.real_covered),
            "ties": "on a ball's edge: inside for precision / recall (NVlabs), outside for density / coverage (prdc)",
        }
        out = []
        for name, value in r.values().items():
            part, scheme, bounds = _PARTS[name]
            replicates = None
            if self.ctx.bootstrap:
                replicates = bootstrap_mean_values(getattr(r, part), self.ctx.bootstrap, self.ctx.seed)
            out.append(
                metric_value(
                    self.ctx,
                    name=name,
                    value=value,
                    n=len(r.gen_in_real),
                    higher_is_better=self.higher_is_better,
                    details=dict(base),
                    replicates=replicates,
                    scheme=scheme,
                    bounds=bounds,
                )
            )
        return out


register_metric(
    "prdc",
    PRDCAdapter,
    frozenset({"features"}),
    version=VERSION,
    higher_is_better=True,
    options=OPTIONS,
    min_samples=lambda o: min_samples(o.get("k_pr", 3), o.get("k_dc", 5)),
)
