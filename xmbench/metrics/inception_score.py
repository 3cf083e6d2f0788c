"""Inception Score from class logits: exp(E_x KL(p(y|x) ‖ p(y))) over splits, mean and std.

Protocol (torch-fidelity's): shuffle with `numpy.random.RandomState(seed).permutation(N)`, softmax in
float64, split i covers rows [i·N//splits, (i+1)·N//splits), p(y) is the split's mean. std is the
*population* std over splits (np.std, torch-fidelity's convention) by default; torchmetrics uses
Bessel's correction (larger by √(splits/(splits−1))) — pass std="bessel" to match it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError

STD_CONVENTIONS = ("population", "bessel")


@dataclass(frozen=True)
class ISResult:
    mean: float
    std: float
    splits: int
    std_convention: str
    values: np.ndarray  # (splits,) per-split scores


def split_scores(logits: torch.Tensor, splits: int) -> np.ndarray:
    """Per-split Inception Scores of (already ordered) logits (N,C)."""
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
    logits: torch.Tensor, splits: int = 10, seed: int | None = 2020, std: str = "population"
) -> ISResult:
    """IS of logits (N,C); seed=None keeps the input order. std: "population" (default) or "bessel"."""
    if logits.ndim != 2:
        raise InputError(f"IS needs logits (N,C), got shape {tuple(logits.shape)}")
    if std not in STD_CONVENTIONS:
        raise InputError(f"unknown std convention {std!r}; use one of {STD_CONVENTIONS}")
    n = logits.shape[0]
    if n < 2 * splits:
        raise InputError(f"IS with {splits} splits needs at least {2 * splits} samples, got {n}; lower splits")
    if seed is not None:
        logits = logits[torch.as_tensor(np.random.RandomState(seed % 2**32).permutation(n), device=logits.device)]
    values = split_scores(logits, splits)
    return ISResult(float(values.mean()), float(values.std(ddof=1 if std == "bessel" else 0)), splits, std, values)


class InceptionScore(Metric):
    """IS as a torchmetrics Metric: keeps the logits (N·C floats). compute() -> (mean, std) float64."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, splits: int = 10, seed: int | None = 2020, std: str = "population", **kwargs) -> None:
        super().__init__(**kwargs)
        self.splits, self.seed, self.std = splits, seed, std
        self.add_state("logits", [], dist_reduce_fx="cat")

    def update(self, logits: torch.Tensor) -> None:
        self.logits.append(logits.detach())

    def compute(self) -> tuple[torch.Tensor, torch.Tensor]:
        if len(self.logits) == 0:  # a list before sync, one gathered tensor after
            raise InputError("IS needs logits; call update first")
        r = inception_score(dim_zero_cat(self.logits), self.splits, self.seed, self.std)
        return torch.tensor(r.mean, dtype=torch.float64), torch.tensor(r.std, dtype=torch.float64)
