"""CLIP score: agreement of generated images with their captions in a joint image–text space.

Per image: c = max(cos(image_embed, text_embed), 0); the score is the mean of c. Reported as
100·mean (torchmetrics' scale, but clamped per image, not after the mean) and as Hessel et al.'s
CLIPScore 2.5·mean. Streaming state: float64 Σc and n — memory independent of N.
The encoder is whatever joint extractor fed the embeddings; results name it.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric

from xmbench.errors import InputError

TORCHMETRICS_SCALE = 100.0
HESSEL_W = 2.5


def per_image_clip_cos(image_embed: torch.Tensor, text_embed: torch.Tensor) -> torch.Tensor:
    """max(cos, 0) per pair, float64 (N,), from embeddings (N,E) (renormalised here)."""
    if image_embed.shape != text_embed.shape or image_embed.ndim != 2:
        raise InputError(
            f"CLIP score needs image and text embeddings of the same shape (N,E), got "
            f"{tuple(image_embed.shape)} and {tuple(text_embed.shape)}"
        )
    a = torch.nn.functional.normalize(image_embed.double(), dim=1)
    b = torch.nn.functional.normalize(text_embed.double(), dim=1)
    return (a * b).sum(1).clamp_min(0)


def clip_score(image_embed: torch.Tensor, text_embed: torch.Tensor) -> float:
    """Mean per-image max(cos, 0) in [0, 1]; multiply by 100 (torchmetrics) or 2.5 (Hessel)."""
    return float(per_image_clip_cos(image_embed, text_embed).mean())


class CLIPScore(Metric):
    """Streaming CLIP score: compute() -> mean max(cos, 0) in [0,1] (float64). O(1) memory."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("total", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n", torch.zeros((), dtype=torch.int64), dist_reduce_fx="sum")

    def update(self, image_embed: torch.Tensor, text_embed: torch.Tensor) -> None:
        c = per_image_clip_cos(image_embed.detach(), text_embed.detach())
        self.total = self.total + c.sum()
        self.n = self.n + c.shape[0]

    def compute(self) -> torch.Tensor:
        if int(self.n) == 0:
            raise InputError("CLIP score needs at least one image; call update first")
        return self.total / self.n
