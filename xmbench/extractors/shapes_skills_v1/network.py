"""The shapes-skills-v1 network: a CNN with per-cell and scene heads, and v1's caption GRU (a small CLIP).

Image path: uint8 (N,3,32,32) -> CNN -> a 4x4 map. Each 2x2 cell pools its quarter of the map (max
and mean) and one set of cell heads, shared by the four cells, reads it: the same weights read every
cell, so objects are read one by one wherever they are, which is what lets counts, bindings and
arrangements never seen in training be read. The four central positions of the map (the occlusion
anchors) are read by one set of anchor heads the same way. The whole map, flattened, gives "features"
(FD, the joint space, grid position, overlap); the map's max and mean over all positions feed the
lone-object heads.
Text path: v1's `TextEncoder` with heads for the canonical text scene (auxiliary, training only).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from xmbench.extractors.blocks import JsonConfig, conv_block, logit_scale, standardise_images
from xmbench.extractors.shapes_skills_v1.targets import ANCHOR_HEADS, CELL_HEADS, GLOBAL_HEADS, TEXT_HEADS
from xmbench.extractors.shapes_v1.network import TextEncoder

INPUT_SIZE = 32
_LONE = ("single_shape", "single_colour", "single_size")


@dataclass(frozen=True)
class NetConfig(JsonConfig):
    """Architecture hyper-parameters; stored in the weights file and checked on load."""

    vocab_size: int
    widths: tuple[int, int, int] = (32, 64, 128)
    feature_dim: int = 256
    cell_dim: int = 128
    embed_dim: int = 128
    word_dim: int = 64
    text_hidden: int = 96
    max_len: int = 28


def _mlp(cin: int, hidden: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(cin, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, cout))


class SharedHeads(nn.Module):
    """One classifier per attribute (and optionally a regressor), shared by K places: (N,K,C) -> heads.

    heads: attribute -> class names; prefix: of the head names ("shape0", "anchor_shape0", ...).
    """

    def __init__(self, dim: int, hidden: int, heads: dict[str, tuple[str, ...]], prefix: str, regress: bool) -> None:
        super().__init__()
        self.sizes = {name: len(classes) for name, classes in heads.items()}
        self.prefix = prefix
        self.net = _mlp(dim, hidden, sum(self.sizes.values()) + int(regress))

    def forward(self, places: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Logits {"<prefix>shape0": (N,6), ...} and the regressed value (N,K) (empty without a regressor)."""
        out = self.net(places)
        logits, start = {}, 0
        for name, size in self.sizes.items():
            for k in range(places.shape[1]):
                logits[f"{self.prefix}{name}{k}"] = out[:, k, start : start + size]
            start += size
        return logits, out[:, :, start:].squeeze(2)


class ImageEncoder(nn.Module):
    """uint8 (N,3,32,32) -> float32 (N, C, 4, 4) post-ReLU map."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        w1, w2, w3 = cfg.widths
        self.body = nn.Sequential(
            *conv_block(3, w1, 5, 2),  # 16x16
            *conv_block(w1, w1),
            nn.MaxPool2d(2),  # 8x8
            *conv_block(w1, w2),
            *conv_block(w2, w2),
            nn.MaxPool2d(2),  # 4x4
            *conv_block(w2, w3),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(standardise_images(images))


class SkillsNet(nn.Module):
    """The whole evaluator: image and text towers, cell / scene / text heads, joint-space projections."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        width = cfg.widths[-1]
        self.image = ImageEncoder(cfg)
        self.cell_heads = SharedHeads(2 * width, cfg.cell_dim, CELL_HEADS, "", regress=True)
        self.anchor_heads = SharedHeads(width, cfg.cell_dim, ANCHOR_HEADS, "anchor_", regress=False)
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(width * 16, cfg.feature_dim), nn.ReLU(inplace=True))
        self.lone_heads = nn.ModuleDict({n: _mlp(2 * width, cfg.cell_dim, len(GLOBAL_HEADS[n])) for n in _LONE})
        self.position_head = _mlp(cfg.feature_dim, cfg.cell_dim, len(GLOBAL_HEADS["single_position"]))
        self.overlap_head = _mlp(2 * width + cfg.feature_dim, cfg.cell_dim, len(GLOBAL_HEADS["overlap"]))
        self.image_proj = nn.Linear(cfg.feature_dim, cfg.embed_dim)
        self.text = TextEncoder(cfg)  # reads vocab_size, word_dim and text_hidden
        self.text_heads = nn.ModuleDict({n: nn.Linear(2 * cfg.text_hidden, len(c)) for n, c in TEXT_HEADS.items()})
        self.text_proj = nn.Linear(2 * cfg.text_hidden, cfg.embed_dim)
        self.logit_scale = logit_scale()

    def encode_images(
        self, images: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
        """uint8 (N,3,32,32) -> (features (N,D), head logits, cell radii (N,CELLS), L2-normalised embedding)."""
        grid = self.image(images)
        pooled = torch.cat([F.max_pool2d(grid, 2), F.avg_pool2d(grid, 2)], 1)  # (N, 2C, 2, 2)
        logits, radii = self.cell_heads(pooled.flatten(2).transpose(1, 2))  # cells row-major
        logits.update(self.anchor_heads(grid[:, :, 1:3, 1:3].flatten(2).transpose(1, 2))[0])
        whole = torch.cat([grid.amax((2, 3)), grid.mean((2, 3))], 1)
        logits.update({n: head(whole) for n, head in self.lone_heads.items()})
        features = self.features(grid)
        logits["single_position"] = self.position_head(features)
        logits["overlap"] = self.overlap_head(torch.cat([whole, features], 1))
        return features, logits, radii, F.normalize(self.image_proj(features), dim=1)

    def encode_text(self, ids: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """int64 ids (N,L) -> (auxiliary head logits, L2-normalised embedding (N,E))."""
        h = self.text(ids)
        return {n: head(h) for n, head in self.text_heads.items()}, F.normalize(self.text_proj(h), dim=1)
