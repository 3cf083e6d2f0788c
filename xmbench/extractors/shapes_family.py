"""What the frozen shapes evaluators (`shapes-v1`, `shapes-skills-v1`) share behind the Extractor contract.

Both load a network and its word tokenizer from a safetensors file, take only 32x32 images (no resize
contract), encode captions in batches and give Inception-Score log-probabilities over shape x colour.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from xmbench.errors import InputError
from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.images import check_images
from xmbench.text.tokenizer import WordTokenizer


def shape_colour_logits(shape_logits: torch.Tensor, colour_logits: torch.Tensor) -> torch.Tensor:
    """Log-probabilities over shape x colour (shape-major) from a shape head and a colour head.

    Args:
        shape_logits: float (N,S) logits of the shape head.
        colour_logits: float (N,C) logits of the colour head.

    Returns:
        float (N, S*C): log_softmax(shape) + log_softmax(colour) for each pair, shape-major.

    Example:
        >>> shape_colour_logits(torch.zeros(1, 2), torch.zeros(1, 3)).exp().sum().item()
        1.0
    """
    shape_lp, colour_lp = F.log_softmax(shape_logits, 1), F.log_softmax(colour_logits, 1)
    return (shape_lp[:, :, None] + colour_lp[:, None, :]).flatten(1)


class ShapesFamilyExtractor(Extractor):
    """A frozen shapes evaluator: the loaded network, its tokenizer, the 32x32 check and `text()`.

    Subclasses load the weights, pass them here and implement `images()`.

    Args:
        extractor_id: the registry name, e.g. "shapes-v1".
        loaded: (model, tokenizer, sha256) from the suite's `load_weights`.
        device: where the network runs.
        batch_size: images or captions per forward pass.
        input_size: the one image side the network takes.
    """

    def __init__(
        self,
        extractor_id: str,
        loaded: tuple[nn.Module, WordTokenizer, str],
        device: str | torch.device,
        batch_size: int,
        input_size: int,
    ) -> None:
        model, self.tokenizer, digest = loaded
        self._device = torch.device(device)
        self.model: Any = model.to(self._device)
        self.batch_size = batch_size
        self.info = ExtractorInfo(
            id=extractor_id,
            weights_hash=digest,
            input_size=input_size,
            resize="none",
            feature_dim=model.cfg.feature_dim,
            yields=frozenset({"features", "logits", "image_embed", "attributes", "text"}),
        )

    @property
    def device(self) -> torch.device:
        return self._device

    def _checked(self, images: torch.Tensor) -> torch.Tensor:
        """`images` checked as uint8 (N,3,H,W) of the network's size; raises InputError otherwise."""
        images = check_images(images)
        size = self.info.input_size
        if tuple(images.shape[-2:]) != (size, size):
            raise InputError(
                f"{self.info.id} takes {size}x{size} images and has no resize contract, got "
                f"{images.shape[-2]}x{images.shape[-1]}; render or generate at resolution {size}"
            )
        return images

    @torch.no_grad()
    def text(self, captions: list[str]) -> torch.Tensor:
        if isinstance(captions, str) or not all(isinstance(c, str) for c in captions):
            raise InputError(f"{self.info.id}.text takes a list of caption strings")
        out = []
        for start in range(0, len(captions), self.batch_size):
            ids = self.tokenizer.encode(list(captions[start : start + self.batch_size]), max_len=self.model.cfg.max_len)
            out.append(self.model.encode_text(ids.to(self._device))[1])
        return torch.cat(out) if out else torch.empty((0, self.model.cfg.embed_dim), device=self._device)
