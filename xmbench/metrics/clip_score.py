"""CLIP score: agreement of generated images with their captions in a joint image–text space.

Per image: c = max(cos(image_embed, text_embed), 0) (0 for an all-zero embedding). One scale per name,
everywhere (function, Metric class, Evaluator, sanity ladder, records, leaderboard):

- `clip_score` = 100 · mean c, in [0, 100] (torchmetrics' scale, but clamped per image, not after
  the mean);
- `clip_score_hessel` = 2.5 · mean c, in [0, 2.5] (Hessel et al.'s CLIPScore weight).

Streaming state: float64 Σc and n (memory independent of N). The encoder is whatever joint extractor
fed the embeddings; results name it. This module holds the functional form (`clip_score`), the Metric
class (`CLIPScore`), the Evaluator's adapter and the registration of "clip_score".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.deprecation import renamed
from xmbench.errors import InputError
from xmbench.metrics.adapter import MetricAdapter, extractor_details, metric_value
from xmbench.metrics.bootstrap import bootstrap_mean_values
from xmbench.metrics.inputs import check_count, check_features
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

#: bump by hand when the CLIP score's outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 1
#: reported name -> (factor on mean max(cos, 0), scale label recorded in details["scale"], convention)
SCALES: dict[str, tuple[float, str, str]] = {
    "clip_score": (100.0, "100·cos", "100·mean(max(cos,0)), clamp per image"),
    "clip_score_hessel": (2.5, "2.5·cos", "Hessel et al. 2.5·mean(max(cos,0))"),
}


@dataclass(frozen=True)
class CLIPScoreResult(MetricResult):
    """CLIP score of n image–caption pairs: `value` = 100·mean max(cos, 0) in [0, 100]; `hessel` =
    2.5·mean max(cos, 0) in [0, 2.5]."""

    value: float
    hessel: float
    n: int

    @classmethod
    def from_mean(cls, mean: float, n: int) -> CLIPScoreResult:
        """The result for a mean max(cos, 0) in [0, 1] over n pairs."""
        return cls(SCALES["clip_score"][0] * mean, SCALES["clip_score_hessel"][0] * mean, n)

    def values(self) -> dict[str, float]:
        return {"clip_score": self.value, "clip_score_hessel": self.hessel}


def per_image_clip_cos(image_embed: torch.Tensor, text_embed: torch.Tensor, metric: str = "CLIP score") -> torch.Tensor:
    """max(cos, 0) per pair, float64 (N,), from embeddings (N,E) (renormalised here); `metric` names the
    metric in errors.

    Example:
        >>> import torch
        >>> per_image_clip_cos(torch.tensor([[2.0, 0.0], [1.0, 0.0]]), torch.tensor([[1.0, 1.0], [-1.0, 0.0]]))
        tensor([0.7071, 0.0000], dtype=torch.float64)
    """
    check_features(image_embed, metric, "image embeddings")
    check_features(text_embed, metric, "text embeddings")
    if image_embed.shape != text_embed.shape:
        raise InputError(
            f"{metric} needs image and text embeddings of the same shape (N,E), got "
            f"{tuple(image_embed.shape)} and {tuple(text_embed.shape)}"
        )
    a = torch.nn.functional.normalize(image_embed.double(), dim=1)
    b = torch.nn.functional.normalize(text_embed.double(), dim=1)
    return (a * b).sum(1).clamp_min(0)


def clip_score(image_embed: torch.Tensor, text_embed: torch.Tensor) -> CLIPScoreResult:
    """CLIP score of generated images' embeddings against their captions' embeddings.

    Args:
        image_embed: joint-space embeddings of the generated images, (N,E), finite.
        text_embed: embeddings of their captions (the condition), (N,E), row i for image i.

    Returns:
        CLIPScoreResult: `.value` = 100·mean max(cos, 0) in [0, 100]; `.hessel` = 2.5·mean max(cos, 0).

    Example:
        >>> import torch
        >>> img = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> txt = torch.tensor([[0.6, 0.8], [-0.6, 0.8]])  # cos 0.6 and -0.6 (clamped to 0)
        >>> r = clip_score(img, txt)
        >>> round(r.value, 6), round(r.hessel, 6)
        (30.0, 0.75)
    """
    c = per_image_clip_cos(image_embed, text_embed)
    return CLIPScoreResult.from_mean(float(c.mean()), check_count(c.shape[0], 1, "CLIP score", "image"))


class CLIPScore(Metric):
    """Streaming CLIP score: float64 Σ max(cos, 0) and n, O(1) memory.

    Args:
        per_image: also keep the per-image max(cos, 0) (N floats), e.g. for bootstrap CIs.

    `update(image_embed (N,E), text_embed (N,E))`; `compute()` returns {"clip_score": 100·mean,
    "clip_score_hessel": 2.5·mean} (float64 scalars); `result()` the `CLIPScoreResult`.

    Example:
        >>> import torch
        >>> metric = CLIPScore()
        >>> metric.update(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.6, 0.8]]))
        >>> metric.update(torch.tensor([[1.0, 0.0]]), torch.tensor([[-0.6, 0.8]]))
        >>> round(float(metric.compute()["clip_score"]), 6)
        30.0
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    @renamed(keep_per_image="per_image")
    def __init__(self, per_image: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.per_image = per_image
        self.add_state("total", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n", torch.zeros((), dtype=torch.int64), dist_reduce_fx="sum")
        if per_image:
            self.add_state("per_image_cos", [], dist_reduce_fx="cat")

    def update(self, image_embed: torch.Tensor, text_embed: torch.Tensor) -> None:
        c = per_image_clip_cos(image_embed.detach(), text_embed.detach())
        if c.device != self.total.device:  # the states follow the extractor's device
            self.to(c.device)
        self.total = self.total + c.sum()
        self.n = self.n + c.shape[0]
        if self.per_image:
            self.per_image_cos.append(c)

    def per_image_scores(self) -> torch.Tensor:
        """max(cos, 0) of every pair fed so far, float64 (N,); needs per_image=True."""
        if not self.per_image or len(self.per_image_cos) == 0:
            raise InputError("no per-image values kept: create CLIPScore(per_image=True) and update it")
        return dim_zero_cat(self.per_image_cos)

    def result(self) -> CLIPScoreResult:
        """The CLIPScoreResult of the pairs fed so far (this process's state; compute() syncs first)."""
        n = check_count(int(self.n), 1, "CLIP score", "image", "call update first")
        return CLIPScoreResult.from_mean(float(self.total / n), n)

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


class CLIPScoreAdapter(MetricAdapter):
    """CLIP score in the Evaluator: reports clip_score (100·) and clip_score_hessel (2.5·); CI: images
    resampled (per-image values kept only when bootstrap CIs are requested)."""

    def __init__(self, ctx: MetricContext) -> None:
        super().__init__(ctx, CLIPScore(per_image=bool(ctx.bootstrap)))

    def update(self, outputs: dict[str, Any]) -> None:
        self.metric.update(outputs["image_embed"], outputs["text_embed"])

    def compute(self) -> list[MetricValue]:
        r = self.metric.result()
        replicates = None
        if self.ctx.bootstrap:
            replicates = bootstrap_mean_values(self.metric.per_image_scores(), self.ctx.bootstrap, self.ctx.seed)
        out = []
        for name, value in r.values().items():
            factor, scale, convention = SCALES[name]
            details = {
                **extractor_details(self.ctx.extractor),
                "encoder": self.ctx.extractor.id,
                "convention": convention,
                "scale": scale,
            }
            out.append(
                metric_value(
                    self.ctx,
                    name=name,
                    value=value,
                    n=r.n,
                    higher_is_better=self.higher_is_better,
                    details=details,
                    replicates=None if replicates is None else factor * replicates,
                    scheme="images resampled",
                    bounds=(0.0, factor),
                )
            )
        return out


register_metric(
    "clip_score", CLIPScoreAdapter, frozenset({"image_embed", "text_embed"}), version=VERSION, higher_is_better=True
)
