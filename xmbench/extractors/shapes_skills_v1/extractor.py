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

from xmbench.data.shapes.vocabulary import COLOURS, SHAPES
from xmbench.errors import InputError
from xmbench.extractors.shapes_family import ShapesFamilyExtractor, shape_colour_logits
from xmbench.extractors.shapes_skills_v1.network import INPUT_SIZE
from xmbench.extractors.shapes_skills_v1.targets import CELLS, HEAD_NAMES, RADIUS_UNIT, decode
from xmbench.extractors.shapes_skills_v1.weights import SHIPPED, load_weights

ID = "shapes-skills-v1"
#: Inception-Score classes: shape x colour read by the lone-object heads
IS_CLASSES: tuple[str, ...] = tuple(f"{c} {s}" for s in SHAPES for c in COLOURS)


class ShapesSkillsV1Extractor(ShapesFamilyExtractor):
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
        super().__init__(ID, load_weights(weights or SHIPPED, sha256=sha256), device, batch_size, INPUT_SIZE)
        #: width of the "attributes" output
        self.attribute_columns = len(HEAD_NAMES) + CELLS

    def _outputs(self, chunk: torch.Tensor) -> dict[str, torch.Tensor]:
        features, heads, radii, embed = self.model.encode_images(chunk)
        classes = torch.stack([heads[name].argmax(1) for name in HEAD_NAMES], 1)
        return {
            "features": features,
            "logits": shape_colour_logits(heads["single_shape"], heads["single_colour"]),
            "image_embed": embed,
            "attributes": torch.cat([classes, (radii / RADIUS_UNIT).round().long()], 1),
        }

    @torch.no_grad()
    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        images = self._checked(images)
        if len(images) == 0:
            raise InputError(f"{ID}: need at least 1 image, got 0")
        parts = [
            self._outputs(images[s : s + self.batch_size].to(self._device))
            for s in range(0, len(images), self.batch_size)
        ]
        return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}

    @staticmethod
    def scenes(attributes: torch.Tensor) -> list[dict[str, Any]]:
        """What the evaluator saw (see targets.decode) from the "attributes" output."""
        return decode(attributes.cpu())
