"""Metrics engine: streaming FD, KID, IS, CLIP score, R-precision, PRDC, FD-infinity, bootstrap CIs.

One module per metric holds its functional form, its torchmetrics `Metric` class (whose update /
compute call the function), the Evaluator's adapter (which wraps the class) and its registration with
an explicit VERSION. `Evaluator` runs an extractor once per batch and feeds every requested metric.
Conventions: functional metrics take (generated, reference) in that order (keyword-only where a swap
would be silent) and return a `MetricResult`; Metric classes return dict[str, Tensor]; the Evaluator
returns dict[str, MetricValue]; every seed defaults to 2020 (`defaults.DEFAULT_SEED`).
"""

from xmbench.metrics.registry import (
    KNOWN_NEEDS,
    EvalMetric,
    MetricContext,
    MetricSpec,
    get_metric_spec,
    list_metrics,
    register_metric,
)
from xmbench.metrics.value import MetricValue

__all__ = [
    "KNOWN_NEEDS",
    "EvalMetric",
    "MetricContext",
    "MetricSpec",
    "MetricValue",
    "get_metric_spec",
    "list_metrics",
    "register_metric",
]
