"""What the Evaluator's metric adapters share: each drives one torchmetrics Metric and turns its result
into MetricValues with bootstrap confidence intervals.

An adapter (`MetricAdapter`) feeds the Evaluator's per-batch `outputs` into its Metric class's `update`,
and at the end reads the Metric's `result()` — the functional metric on the state fed so far — so the
Evaluator, the Metric class and the function give one number by one code path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from torchmetrics import Metric

from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.bootstrap import bootstrap_value
from xmbench.metrics.registry import EvalMetric, MetricContext
from xmbench.metrics.value import MetricValue

if TYPE_CHECKING:
    from xmbench.metrics.reference import ReferenceStats


def extractor_details(info: ExtractorInfo) -> dict[str, Any]:
    """The extractor facts every value records: id, weights hash, resize mode.

    Example:
        >>> extractor_details(ExtractorInfo("toy-v1", "ab", None, "none", 8))
        {'extractor': 'toy-v1', 'weights_hash': 'ab', 'resize': 'none'}
    """
    return {"extractor": info.id, "weights_hash": info.weights_hash, "resize": info.resize}


#: built-in ids whose tag is not their family
_TAGS = {"shapes-skills-v1": "shapes_skills"}


def extractor_tag(extractor_id: str) -> str:
    """The extractor's part of a reported name (fd_<tag>, mmd_rbf_<tag>): the family before the first "-"
    for the built-in ids (`shapes_skills` for shapes-skills-v1, whose family would read as shapes-v1's),
    the whole id as a lower-case identifier for family ids such as "clip:ARCH/TAG".

    Example:
        >>> extractor_tag("shapes-v1"), extractor_tag("shapes-skills-v1"), extractor_tag("clip:ViT-L-14/openai")
        ('shapes', 'shapes_skills', 'clip_vit_l_14_openai')
    """
    if extractor_id in _TAGS:
        return _TAGS[extractor_id]
    if ":" not in extractor_id:
        return extractor_id.split("-")[0]
    return re.sub(r"[^a-z0-9]+", "_", extractor_id.lower()).strip("_")


def require_reference(ctx: MetricContext, metric: str) -> ReferenceStats:
    """ctx.reference, or a one-line InputError naming how to give one.

    Example:
        >>> require_reference(MetricContext(ExtractorInfo("toy-v1", "", None, "none", 8)), "FD")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: FD needs a reference: pass reference=ReferenceStats(...) to the Evaluator ...
    """
    if ctx.reference is None:
        raise InputError(
            f"{metric} needs a reference: pass reference=ReferenceStats(...) to the Evaluator or feed at least "
            "2 real images to update_reference"
        )
    return ctx.reference


def metric_value(
    ctx: MetricContext,
    *,
    name: str,
    value: float,
    n: int,
    higher_is_better: bool,
    details: dict[str, Any],
    replicates: np.ndarray | None = None,
    std: float | None = None,
    scheme: str = "",
    bounds: tuple[float | None, float | None] = (None, None),
) -> MetricValue:
    """A MetricValue with the bias-corrected percentile CI of `replicates` (None: no bootstrap, no CI).

    The replicates are centred on `value` and clipped to the metric's range `bounds` (see
    `bootstrap.centre_replicates`); `scheme` says what was resampled.

    Example:
        >>> ctx = MetricContext(ExtractorInfo("toy-v1", "", None, "none", 8))
        >>> v = metric_value(ctx, name="acc", value=0.5, n=4, higher_is_better=True, details={},
        ...                  replicates=np.array([0.4, 0.5, 0.6]), bounds=(0.0, 1.0))
        >>> v.ci_low < 0.5 < v.ci_high, v.details["resamples"]
        (True, 3)
    """
    return bootstrap_value(
        name, value, n, higher_is_better, details, replicates, ctx.confidence, std=std, scheme=scheme, bounds=bounds
    )


class MetricAdapter(EvalMetric):
    """An EvalMetric driving one torchmetrics Metric, `self.metric`.

    Subclasses set `key` (the extractor output fed to `metric.update`) or override `update`, and
    implement `compute` from `self.metric.result()`. Reference features, when the metric takes them,
    go to `metric.update(x, real=True)` (set `takes_reference = True`).

    Example:
        >>> import torch
        >>> from xmbench.metrics.inception_score import InceptionScore
        >>> class MeanIS(MetricAdapter):
        ...     key = "logits"
        ...     def compute(self):
        ...         r = self.metric.result()
        ...         return [metric_value(self.ctx, name="is", value=r.mean, n=8, higher_is_better=True, details={})]
        >>> adapter = MeanIS(MetricContext(ExtractorInfo("toy-v1", "", None, "none", 8)), InceptionScore(2, seed=None))
        >>> adapter.update({"logits": torch.eye(2).repeat(4, 1) * 50})
        >>> round(adapter.compute()[0].value, 3)
        2.0
    """

    key = "features"
    takes_reference = False

    def __init__(self, ctx: MetricContext, metric: Metric) -> None:
        self.ctx = ctx
        self.metric = metric

    @property
    def higher_is_better(self) -> bool:
        return bool(type(self.metric).higher_is_better)

    def update(self, outputs: Mapping[str, Any]) -> None:
        self.metric.update(outputs[self.key])

    def update_reference(self, outputs: Mapping[str, Any]) -> None:
        if self.takes_reference:
            self.metric.update(outputs[self.key], real=True)

    def require_real(self, metric: str) -> None:
        """A one-line InputError unless reference features were fed (metrics with takes_reference)."""
        if len(self.metric.real_features) == 0:
            raise InputError(f"{metric} needs reference features: call update_reference(real_images)")
