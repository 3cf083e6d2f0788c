"""The `shapes-skills-v1` extractor: the shipped evaluator of the shapes-skills suite.

Outputs of `images()` for uint8 (N,3,32,32):
- "features": float32 (N,256) CNN features (for FD / KID / PRDC, reported as fd_shapes_skills);
- "logits": float32 (N,30) log-probabilities over shape x colour of the lone-object heads (IS_CLASSES);
- "image_embed": float32 (N,128) L2-normalised joint-space embedding (CLIP-score / R-precision analogue);
- "attributes": int64 (N, len(HEADS) + CELLS): the class index of each head of targets.HEADS, then each
  cell's radius in targets.RADIUS_UNIT; decode with `scenes()`.
`text(captions)` gives float32 (N,128) L2-normalised caption embeddings. No resize: other sizes are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from xmbench.data.shapes.vocabulary import COLOURS, SHAPES
from xmbench.errors import InputError
from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.extractors.shapes_skills_v1.network import INPUT_SIZE
from xmbench.extractors.shapes_skills_v1.targets import CELLS, HEAD_NAMES, RADIUS_UNIT, decode
from xmbench.extractors.shapes_skills_v1.weights import SHIPPED, load_weights
from xmbench.images import check_images

ID = "shapes-skills-v1"
#: Inception-Score classes: shape x colour read by the lone-object heads
IS_CLASSES: tuple[str, ...] = tuple(f"{c} {s}" for s in SHAPES for c in COLOURS)


class ShapesSkillsV1Extractor(Extractor):
    """Frozen shapes-skills-v1 network. weights: safetensors path (default: the shipped file).

    Example:
        >>> extractor = ShapesSkillsV1Extractor()
        >>> out = extractor.images(torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
        >>> out["features"].shape, out["attributes"].shape[1] == extractor.attribute_columns
        (torch.Size([2, 256]), True)
    """

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
        #: width of the "attributes" output
        self.attribute_columns = len(HEAD_NAMES) + CELLS
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

    def _outputs(self, chunk: torch.Tensor) -> dict[str, torch.Tensor]:
        features, heads, radii, embed = self.model.encode_images(chunk)
        shape_lp = F.log_softmax(heads["single_shape"], 1)
        colour_lp = F.log_softmax(heads["single_colour"], 1)
        classes = torch.stack([heads[name].argmax(1) for name in HEAD_NAMES], 1)
        return {
            "features": features,
            "logits": (shape_lp[:, :, None] + colour_lp[:, None, :]).flatten(1),
            "image_embed": embed,
            "attributes": torch.cat([classes, (radii / RADIUS_UNIT).round().long()], 1),
        }

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        images = check_images(images)
        if tuple(images.shape[-2:]) != (INPUT_SIZE, INPUT_SIZE):
            raise InputError(
                f"{ID} takes {INPUT_SIZE}x{INPUT_SIZE} images and has no resize contract, got "
                f"{images.shape[-2]}x{images.shape[-1]}; render or generate at resolution {INPUT_SIZE}"
            )
        if len(images) == 0:
            raise InputError(f"{ID}: need at least 1 image, got 0")
        parts = [
            self._outputs(images[s : s + self.batch_size].to(self._device))
            for s in range(0, len(images), self.batch_size)
        ]
        return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}

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
        """What the evaluator saw (see targets.decode) from the "attributes" output."""
        return decode(attributes.cpu())
