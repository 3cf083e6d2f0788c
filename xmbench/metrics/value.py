"""MetricValue: one metric's number with its uncertainty, as stored in result records (JSON-able)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class MetricValue:
    """A metric's value with its confidence interval and spread.

    value: the point estimate in the metric's own scale (stated in each metric module's docstring).
    ci_low / ci_high: bootstrap percentile interval (None when no bootstrap was run).
    std: the spread the metric's protocol reports (KID over subsets, IS / R-precision over folds), or None.
    n: number of generated samples the value was computed from.
    details: protocol facts (encoder id, subsets, folds, std convention, bootstrap scheme); JSON-able.
    bootstrap: the bootstrap replicates behind the CI (None when none were drawn); written to JSON as
    "bootstrap" only when present, so two records can be compared replicate by replicate.

    Example:
        >>> v = MetricValue("kid", 0.5, 0.1, 0.9, 0.2, 100, False, {"scale": "MMD² ×1"})
        >>> MetricValue.from_dict(v.to_dict()) == v
        True
        >>> MetricValue("fd", float("nan"), None, None, None, 0, False).to_dict()["value"] is None
        True
    """

    name: str
    value: float
    ci_low: float | None
    ci_high: float | None
    std: float | None
    n: int
    higher_is_better: bool
    details: dict[str, Any] = field(default_factory=dict)
    bootstrap: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (non-finite floats become None; "bootstrap" only when replicates exist)."""
        out = asdict(self)
        for key in ("value", "ci_low", "ci_high", "std"):
            v = out[key]
            out[key] = None if v is None or not math.isfinite(v) else float(v)
        if self.bootstrap is None:
            del out["bootstrap"]
        else:
            out["bootstrap"] = [float(v) for v in self.bootstrap]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricValue:
        """Inverse of to_dict (a None value reads back as NaN)."""
        value = data.get("value")
        return cls(
            name=str(data["name"]),
            value=float("nan") if value is None else float(value),
            ci_low=_opt(data.get("ci_low")),
            ci_high=_opt(data.get("ci_high")),
            std=_opt(data.get("std")),
            n=int(data["n"]),
            higher_is_better=bool(data["higher_is_better"]),
            details=dict(data.get("details") or {}),
            bootstrap=None if data.get("bootstrap") is None else [float(v) for v in data["bootstrap"]],
        )


def _opt(v: Any) -> float | None:
    return None if v is None else float(v)
