"""Inception Score from class logits: exp(E_x KL(p(y|x) ‖ p(y))) over splits, mean and std.

Scale: in [1, C] for C classes, higher is better. Protocol (torch-fidelity's): shuffle with
`numpy.random.RandomState(seed).permutation(N)` (seed default 2020, torch-fidelity's), softmax in
float64, split i covers rows [i·N//splits, (i+1)·N//splits), p(y) is the split's mean. std is the
*population* std over splits (np.std, torch-fidelity's convention) by default; torchmetrics uses
Bessel's correction (larger by √(splits/(splits−1))) — pass std="bessel" to match it.

This module holds IS's functional form (`inception_score`), its Metric class (`InceptionScore`), the
Evaluator's adapter and the registration of "is".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError
from xmbench.metrics.adapter import MetricAdapter, extractor_details, metric_value
from xmbench.metrics.bootstrap import bootstrap_values
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.inputs import check_count, check_features
from xmbench.metrics.options import Option
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

#: bump by hand when IS's outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 1
STD_CONVENTIONS = ("population", "bessel")
#: IS's options, checked by the function and (before any work) the Evaluator
OPTIONS = {"splits": Option("int", low=1), "std": Option("choice", choices=STD_CONVENTIONS)}


@dataclass(frozen=True)
class ISResult(MetricResult):
    """Inception Score: mean and std over splits (in [1, C])."""

    mean: float
    std: float
    splits: int
    std_convention: str
    split_values: np.ndarray = field(repr=False)  # (splits,) per-split scores

    def values(self) -> dict[str, float]:
        return {"is": self.mean, "is_std": self.std}


def min_samples(splits: int) -> int:
    """The fewest samples IS takes with `splits` splits: two per split.

    Example:
        >>> min_samples(10)
        20
    """
    return 2 * splits


def split_scores(logits: torch.Tensor, splits: int) -> np.ndarray:
    """Per-split Inception Scores of (already ordered) logits (N,C).

    Example:
        >>> import torch
        >>> split_scores(torch.eye(2).repeat(2, 1) * 50, splits=2).round(6).tolist()
        [2.0, 2.0]
    """
    n = logits.shape[0]
    log_p = logits.double().log_softmax(dim=1)
    p = log_p.exp()
    out = np.empty(splits)
    for i in range(splits):
        lo, hi = i * n // splits, (i + 1) * n // splits
        q = p[lo:hi].mean(0, keepdim=True)
        out[i] = float((p[lo:hi] * (log_p[lo:hi] - q.log())).sum(1).mean().exp())
    return out


def inception_score(
    logits: torch.Tensor, *, splits: int = 10, seed: int | None = DEFAULT_SEED, std: str = "population"
) -> ISResult:
    """Inception Score of class logits (N,C) of generated images.

    Args:
        logits: (N,C) class logits, finite; N ≥ 2·splits.
        splits: number of splits.
        seed: seed of the shuffle before splitting (default 2020, torch-fidelity's); None keeps the order.
        std: "population" (np.std, default) or "bessel" (torchmetrics').

    Returns:
        ISResult with `mean` and `std` over splits, in [1, C].

    Example:
        >>> import torch
        >>> logits = torch.eye(5).repeat(8, 1) * 50  # confident and balanced over 5 classes
        >>> round(inception_score(logits, splits=2, seed=None).mean, 3)  # unshuffled: balanced splits
        5.0
    """
    check_features(logits, "IS", "logits")
    if std not in STD_CONVENTIONS:
        raise InputError(f"unknown std convention {std!r}; use one of {STD_CONVENTIONS}")
    OPTIONS["splits"].check("IS", "splits", splits)
    n = check_count(
        logits.shape[0], min_samples(splits), "IS", fix=f"evaluate more samples or lower splits (now {splits})"
    )
    if seed is not None:
        logits = logits[torch.as_tensor(np.random.RandomState(seed % 2**32).permutation(n), device=logits.device)]
    values = split_scores(logits, splits)
    return ISResult(float(values.mean()), float(values.std(ddof=1 if std == "bessel" else 0)), splits, std, values)


class InceptionScore(Metric):
    """IS as a torchmetrics Metric: keeps the logits (N·C floats).

    Args: as `inception_score` (splits, seed = 2020, std).

    `update(logits (N,C))`; `compute()` returns {"is": mean, "is_std": std} (float64 scalars);
    `result()` the `ISResult`.

    Example:
        >>> import torch
        >>> metric = InceptionScore(splits=2, seed=None)
        >>> metric.update(torch.eye(5).repeat(8, 1) * 50)
        >>> round(float(metric.compute()["is"]), 3)
        5.0
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(
        self, splits: int = 10, seed: int | None = DEFAULT_SEED, std: str = "population", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.splits, self.seed, self.std = splits, seed, std
        self.add_state("logits", [], dist_reduce_fx="cat")

    def update(self, logits: torch.Tensor) -> None:
        check_features(logits, "IS", "logits")
        self.logits.append(logits.detach())

    def all_logits(self) -> torch.Tensor:
        """The logits fed so far, (N,C)."""
        if len(self.logits) == 0:  # a list before sync, one gathered tensor after
            raise InputError("IS needs logits; call update first")
        return dim_zero_cat(self.logits)

    def result(self) -> ISResult:
        """The ISResult of the logits fed so far (this process's state; compute() syncs first)."""
        return inception_score(self.all_logits(), splits=self.splits, seed=self.seed, std=self.std)

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


class ISAdapter(MetricAdapter):
    """IS in the Evaluator; options "splits", "std"; CI: logits resampled, split in resample order."""

    key = "logits"

    def __init__(self, ctx: MetricContext) -> None:
        o = ctx.options
        super().__init__(ctx, InceptionScore(o.get("splits", 10), seed=ctx.seed, std=o.get("std", "population")))

    def compute(self) -> list[MetricValue]:
        r = self.metric.result()
        logits = self.metric.all_logits()
        details = {
            **extractor_details(self.ctx.extractor),
            "splits": r.splits,
            "std": r.std_convention,
            "shuffle": "numpy RandomState(seed).permutation",
        }
        replicates = None
        if self.ctx.bootstrap:
            replicates = bootstrap_values(
                lambda idx: inception_score(logits[torch.as_tensor(idx)], splits=r.splits, seed=None).mean,
                logits.shape[0],
                self.ctx.bootstrap,
                self.ctx.seed,
            )
        return [
            metric_value(
                self.ctx,
                name="is",
                value=r.mean,
                std=r.std,
                n=logits.shape[0],
                higher_is_better=self.higher_is_better,
                details=details,
                replicates=replicates,
                scheme="logits resampled, split into `splits` in resample order",
                bounds=(1.0, None),
            )
        ]


register_metric(
    "is",
    ISAdapter,
    frozenset({"logits"}),
    version=VERSION,
    higher_is_better=True,
    options=OPTIONS,
    min_samples=lambda o: min_samples(int(o.get("splits", 10))),
)
