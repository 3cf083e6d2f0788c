"""The `shapes-v1` extractor: the shipped evaluator of the shapes suite behind the Extractor contract.

Outputs of `images()` for uint8 (N,3,32,32):
- "features": float32 (N,256) penultimate CNN features (for FD / KID / PRDC, reported as fd_shapes);
- "logits": float32 (N,30) log-probabilities over IS_CLASSES (shape x colour of slot0, the only object
  or the leftmost / topmost one), the product of the shape and colour heads;
- "image_embed": float32 (N,128) L2-normalised joint-space embedding (CLIP-score / R-precision analogue);
- "attributes": int64 (N,9) predicted class index per head of targets.HEADS; decode with `scenes()`.
`text(captions)` gives float32 (N,128) L2-normalised caption embeddings. No resize: other sizes are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from xmbench.errors import InputError
from xmbench.extractors.shapes_family import ShapesFamilyExtractor, shape_colour_logits
from xmbench.extractors.shapes_v1.network import INPUT_SIZE
from xmbench.extractors.shapes_v1.targets import HEAD_NAMES, decode
from xmbench.extractors.shapes_v1.weights import SHIPPED, load_weights

ID = "shapes-v1"


class ShapesV1Extractor(ShapesFamilyExtractor):
    """Frozen shapes-v1 network. weights: safetensors path (default: the shipped file)."""

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str | torch.device = "cpu",
        sha256: str | None = None,
        batch_size: int = 500,
    ) -> None:
        super().__init__(ID, load_weights(weights or SHIPPED, sha256=sha256), device, batch_size, INPUT_SIZE)

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        images = self._checked(images)
        parts: dict[str, list[torch.Tensor]] = {"features": [], "logits": [], "image_embed": [], "attributes": []}
        for start in range(0, len(images), self.batch_size):
            chunk = images[start : start + self.batch_size].to(self._device)
            features, heads, embed = self.model.encode_images(chunk)
            parts["features"].append(features)
            parts["logits"].append(shape_colour_logits(heads["shape0"], heads["colour0"]))
            parts["image_embed"].append(embed)
            parts["attributes"].append(torch.stack([heads[name].argmax(1) for name in HEAD_NAMES], 1))
        if not parts["features"]:
            raise InputError(f"{ID}: need at least 1 image, got 0")
        return {k: torch.cat(v) for k, v in parts.items()}

    @staticmethod
    def scenes(attributes: torch.Tensor) -> list[dict[str, Any]]:
        """Canonical scenes (see targets.canonical) from the "attributes" output."""
        return decode(attributes.cpu())
