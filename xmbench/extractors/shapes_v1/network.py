"""The shapes-v1 network family: an image CNN with attribute heads, and a caption GRU (a small CLIP).

Image path: uint8 (N,3,32,32) -> CNN -> "features" (N, feature_dim) -> attribute heads and a
projection to the joint space. Text path: word ids -> embedding -> bidirectional GRU -> attribute
heads (auxiliary, training only) and a projection to the joint space. Both projections are
L2-normalised. Tensors run channels-last: measured 5-8x faster on CPU with batch norm.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from xmbench.extractors.blocks import JsonConfig, conv_block, logit_scale, standardise_images
from xmbench.extractors.shapes_v1.targets import HEADS

INPUT_SIZE = 32


@dataclass(frozen=True)
class NetConfig(JsonConfig):
    """Architecture hyper-parameters; stored in the weights file and checked on load."""

    vocab_size: int
    widths: tuple[int, int, int] = (16, 32, 64)
    feature_dim: int = 256
    embed_dim: int = 128
    word_dim: int = 64
    text_hidden: int = 96
    max_len: int = 20


class ImageEncoder(nn.Module):
    """uint8 (N,3,32,32) -> float32 (N, feature_dim) post-ReLU features."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        w1, w2, w3 = cfg.widths
        self.body = nn.Sequential(
            *conv_block(3, w1, 5, 2),  # 16x16
            *conv_block(w1, w2),
            nn.MaxPool2d(2),  # 8x8
            *conv_block(w2, w3),
            *conv_block(w3, w3),
            nn.MaxPool2d(2),  # 4x4
            nn.Flatten(),
            nn.Linear(w3 * (INPUT_SIZE // 8) ** 2, cfg.feature_dim),
            nn.ReLU(inplace=True),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(standardise_images(images))


class TextEncoder(nn.Module):
    """int64 ids (N, L), 0 = padding -> float32 (N, 2*text_hidden) final GRU states."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab_size, cfg.word_dim, padding_idx=0)
        self.gru = nn.GRU(cfg.word_dim, cfg.text_hidden, batch_first=True, bidirectional=True)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        lengths = (ids != 0).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)  # (2, N, hidden)
        return torch.cat([h[0], h[1]], dim=1)


class AttributeHeads(nn.Module):
    """One linear classifier per canonical head (see targets.HEADS)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({name: nn.Linear(dim, len(classes)) for name, classes in HEADS.items()})

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: head(h) for name, head in self.heads.items()}


class ShapesNet(nn.Module):
    """The whole evaluator: image and text towers, attribute heads, joint-space projections."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.image = ImageEncoder(cfg)
        self.image_heads = AttributeHeads(cfg.feature_dim)
        self.image_proj = nn.Linear(cfg.feature_dim, cfg.embed_dim)
        self.text = TextEncoder(cfg)
        self.text_heads = AttributeHeads(2 * cfg.text_hidden)
        self.text_proj = nn.Linear(2 * cfg.text_hidden, cfg.embed_dim)
        self.logit_scale = logit_scale()

    def encode_images(self, images: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        """uint8 (N,3,32,32) -> (features (N,D), head logits, L2-normalised embedding (N,E))."""
        features = self.image(images)
        return features, self.image_heads(features), F.normalize(self.image_proj(features), dim=1)

    def encode_text(self, ids: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """int64 ids (N,L) -> (auxiliary head logits, L2-normalised embedding (N,E))."""
        h = self.text(ids)
        return self.text_heads(h), F.normalize(self.text_proj(h), dim=1)
