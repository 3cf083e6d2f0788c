"""The Extractor contract: a frozen network mapping images (and captions) to features.

One forward pass per image feeds every metric: `images()` returns all the outputs the extractor
yields in one dict.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class ExtractorInfo:
    """What results record about an extractor."""

    id: str  # registry name, e.g. "shapes-v1", "inception-v3-fid"
    weights_hash: str  # sha256 of the weights file (hex)
    input_size: int | None  # pixels the network sees; None: any size
    resize: str  # resize mode applied to other sizes, e.g. "tf1-bilinear", "none"
    feature_dim: int  # dimension of "features"
    yields: frozenset[str] = field(default_factory=frozenset)  # keys of images() / "text"
    model: str = ""  # architecture and weights release, e.g. "open_clip ViT-L-14/openai"; "" when the id says it
    mean: tuple[float, ...] | None = None  # per-channel input normalisation after scaling to [0, 1], when used
    std: tuple[float, ...] | None = None


class Extractor(ABC):
    """Frozen feature extractor. Outputs of `images()`:

    - "features": float32 (N,D), the space for FD / KID / PRDC;
    - "logits": float32 (N,C) class logits, for the Inception Score (if yielded);
    - "image_embed": float32 (N,E) L2-normalised joint-space image embedding (if joint);
    - "attributes": extractor-specific attribute predictions (if yielded).
    `text()` returns float32 (N,E) L2-normalised caption embeddings for joint encoders.
    """

    info: ExtractorInfo

    @abstractmethod
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """images: uint8 (N,3,H,W) on the extractor's device. Returns the yielded outputs."""

    def text(self, captions: list[str]) -> torch.Tensor:
        raise NotImplementedError(f"extractor {self.info.id} has no text encoder")

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")
