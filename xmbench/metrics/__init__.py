"""Metrics engine: streaming FD, KID, IS, CLIP score, R-precision, PRDC, FD-infinity, bootstrap CIs.

Each metric is a torchmetrics `Metric` with a functional twin; `Evaluator` runs an extractor once per
batch and feeds every registered metric. See README "Metrics" for definitions and conventions.
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
