"""Streaming mean of per-image caption scores: the shared torchmetrics base of ROUGE-L, CLIP-S, RefCLIP-S."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError


class PerImageMean(Metric):
    """compute() -> mean of per-image scores (float64 scalar).

    State: float64 sum and count (memory independent of N), plus, with `per_image=True`, every
    image's score (a list state for bootstrap CIs over images). All sync across processes.
    Subclasses implement `scores(*args) -> (N,)` and set `metric_name`.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False
    metric_name = "score"

    def __init__(self, per_image: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.per_image = per_image
        self.add_state("total", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n", torch.zeros((), dtype=torch.int64), dist_reduce_fx="sum")
        if per_image:
            self.add_state("image_scores", [], dist_reduce_fx="cat")

    @abstractmethod
    def scores(self, *args: Any) -> torch.Tensor:
        """Per-image scores (N,) of one batch."""

    def update(self, *args: Any) -> None:
        s = self.scores(*args).double()
        self.total = self.total + s.sum()
        self.n = self.n + s.shape[0]
        if self.per_image:
            self.image_scores.append(s)

    def compute(self) -> torch.Tensor:
        if int(self.n) == 0:
            raise InputError(f"{self.metric_name} needs at least one image; call update first")
        return self.total / self.n

    def per_image_scores(self) -> torch.Tensor:
        """(N,) float64 scores of every image fed (needs `per_image=True`)."""
        if not self.per_image:
            raise InputError(f"per-image {self.metric_name} scores need per_image=True")
        return dim_zero_cat(self.image_scores) if self.image_scores else torch.zeros(0, dtype=torch.float64)
