"""MetricResult: the one return type of the functional metrics, and how Metric classes report it.

Families and their return types:

- functional metrics (`kernel_inception_distance(generated, reference)`, ...) return a frozen dataclass
  derived from `MetricResult`; `values()` gives its headline numbers by reported name;
- Metric classes (torchmetrics) return `compute() -> dict[str, Tensor]`: the same names, float64 scalars;
  `result()` gives the functional result of the state fed so far;
- the Evaluator returns `dict[str, MetricValue]` (value, confidence interval, details) by reported name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch


class MetricResult(ABC):
    """Base of the functional metrics' results.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class Half(MetricResult):
        ...     value: float
        ...     def values(self):
        ...         return {"half": self.value / 2}
        >>> Half(3.0).tensors()
        {'half': tensor(1.5000, dtype=torch.float64)}
    """

    @abstractmethod
    def values(self) -> dict[str, float]:
        """Headline numbers by reported name (the keys of the Metric class's `compute()`)."""

    def tensors(self) -> dict[str, torch.Tensor]:
        """`values()` as float64 scalar tensors: what a Metric class's `compute()` returns."""
        return {k: torch.tensor(v, dtype=torch.float64) for k, v in self.values().items()}
