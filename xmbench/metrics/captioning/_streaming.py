"""Streaming mean of per-image caption scores: the shared torchmetrics base of ROUGE-L, CLIP-S, RefCLIP-S."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError
from xmbench.metrics.inputs import check_count


def gathered(metric: Metric, name: str, empty: torch.Tensor) -> torch.Tensor:
    """List state `name` of every process, concatenated along dim 0 in rank order; `empty` when nothing was fed.

    Synced across processes when torch.distributed is initialised (inside compute() the state is synced already).
    """
    if metric._is_synced:
        return _cat(getattr(metric, name), empty)
    with metric.sync_context():
        return _cat(getattr(metric, name), empty).clone()


def _cat(state: list[torch.Tensor] | torch.Tensor, empty: torch.Tensor) -> torch.Tensor:
    if isinstance(state, torch.Tensor):  # a synced list state
        return state
    return dim_zero_cat(state) if state else empty


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
        check_count(int(self.n), 1, self.metric_name, "image", "call update first")
        return self.total / self.n

    def per_image_scores(self) -> torch.Tensor:
        """(N,) float64 scores of every image fed, by every process (needs `per_image=True`)."""
        if not self.per_image:
            raise InputError(f"per-image {self.metric_name} scores need per_image=True")
        return gathered(self, "image_scores", torch.zeros(0, dtype=torch.float64))
