"""The streaming state of the metrics that compare a generated and a real set of features as sets
(KID, PRDC, CMMD): both sets kept whole, concatenated across processes.

Example:
    >>> import torch
    >>> class Count(TwoFeatureSets):
    ...     label = "count"
    ...     def compute(self):
    ...         return torch.tensor(len(self.features()))
    >>> m = Count()
    >>> m.update(torch.ones(3, 2))
    >>> int(m.compute())
    3
"""

from __future__ import annotations

from typing import Any

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError
from xmbench.metrics.inputs import check_features


class TwoFeatureSets(Metric):
    """A Metric keeping every generated and real (N,D) feature row; `label` names it in messages,
    `what` names its rows ("features", "embeddings")."""

    label = "metric"
    what = "features"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_state("gen_features", [], dist_reduce_fx="cat")
        self.add_state("real_features", [], dist_reduce_fx="cat")

    def update(self, features: torch.Tensor, real: bool = False) -> None:
        check_features(features, self.label, self.what)
        (self.real_features if real else self.gen_features).append(features.detach())

    def features(self, real: bool = False) -> torch.Tensor:
        """The generated (real=True: reference) rows fed so far, (N,D)."""
        state = self.real_features if real else self.gen_features
        if len(state) == 0:  # a list before sync, one gathered tensor after
            raise InputError(f"{self.label} needs both generated and real {self.what}; feed real ones with real=True")
        return dim_zero_cat(state)


__all__ = ["TwoFeatureSets"]
