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
import torch.nn.functional as F

from xmbench.errors import InputError
from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.extractors.shapes_v1.network import INPUT_SIZE
from xmbench.extractors.shapes_v1.targets import HEAD_NAMES, decode
from xmbench.extractors.shapes_v1.weights import SHIPPED, load_weights
from xmbench.images import check_images

ID = "shapes-v1"


class ShapesV1Extractor(Extractor):
    """Frozen shapes-v1 network. weights: safetensors path (default: the shipped file)."""

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str | torch.device = "cpu",
        sha256: str | None = None,
        batch_size: int = 500,
    ) -> None:
        model, self.tokenizer, digest = load_weights(weights or SHIPPED, sha256=sha256)
        self._device = torch.device(device)
        self.model = model.to(self._device)
        self.batch_size = batch_size
        self.info = ExtractorInfo(
            id=ID,
            weights_hash=digest,
            input_size=INPUT_SIZE,
            resize="none",
            feature_dim=model.cfg.feature_dim,
            yields=frozenset({"features", "logits", "image_embed", "attributes", "text"}),
        )

    @property
    def device(self) -> torch.device:
        return self._device

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        images = check_images(images)
        if tuple(images.shape[-2:]) != (INPUT_SIZE, INPUT_SIZE):
            raise InputError(
                f"{ID} takes {INPUT_SIZE}x{INPUT_SIZE} images and has no resize contract, got "
                f"{images.shape[-2]}x{images.shape[-1]}; render or generate at resolution {INPUT_SIZE}"
            )
        parts: dict[str, list[torch.Tensor]] = {"features": [], "logits": [], "image_embed": [], "attributes": []}
        for start in range(0, len(images), self.batch_size):
            chunk = images[start : start + self.batch_size].to(self._device)
            features, heads, embed = self.model.encode_images(chunk)
            shape_lp, colour_lp = F.log_softmax(heads["shape0"], 1), F.log_softmax(heads["colour0"], 1)
            parts["features"].append(features)
            parts["logits"].append((shape_lp[:, :, None] + colour_lp[:, None, :]).flatten(1))
            parts["image_embed"].append(embed)
            parts["attributes"].append(torch.stack([heads[name].argmax(1) for name in HEAD_NAMES], 1))
        if not parts["features"]:
            raise InputError(f"{ID}: need at least 1 image, got 0")
        return {k: torch.cat(v) for k, v in parts.items()}

    @torch.no_grad()
    def text(self, captions: list[str]) -> torch.Tensor:
        if isinstance(captions, str) or not all(isinstance(c, str) for c in captions):
            raise InputError(f"{ID}.text takes a list of caption strings")
        out = []
        for start in range(0, len(captions), self.batch_size):
            ids = self.tokenizer.encode(list(captions[start : start + self.batch_size]), max_len=self.model.cfg.max_len)
            out.append(self.model.encode_text(ids.to(self._device))[1])
        return torch.cat(out) if out else torch.empty((0, self.model.cfg.embed_dim), device=self._device)

    @staticmethod
    def scenes(attributes: torch.Tensor) -> list[dict[str, Any]]:
        """Canonical scenes (see targets.canonical) from the "attributes" output."""
        return decode(attributes.cpu())
