"""Network pieces the captioners and the shared-latent model own (never the evaluator's)."""

from __future__ import annotations

import math

import torch
from torch import nn

Tensor = torch.Tensor


def conv_block(cin: int, cout: int, pool: bool) -> nn.Sequential:
    """3x3 convolution, batch norm, ReLU, then (pool) 2x2 max pooling that halves the side."""
    layers = [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers, nn.MaxPool2d(2)) if pool else nn.Sequential(*layers)


class ConvEncoder(nn.Module):
    """Images float (N,3,R,R) in [-1,1] -> a feature grid float (N, channels, grid, grid).

    `depth` convolution blocks whose widths double from `width`; the first ones halve the side (2x2
    max pooling) until it is `grid`, the others keep it.
    """

    def __init__(self, resolution: int, width: int, grid: int, depth: int = 3) -> None:
        super().__init__()
        halvings = int(round(math.log2(resolution // grid)))
        if grid * 2**halvings != resolution or halvings > depth:
            raise ValueError(f"{depth} blocks cannot take resolution {resolution} to grid {grid}")
        widths = [3] + [width * 2**k for k in range(depth)]
        self.net = nn.Sequential(
            *(conv_block(a, b, pool=k < halvings) for k, (a, b) in enumerate(zip(widths, widths[1:], strict=False)))
        )
        self.channels, self.grid = widths[-1], grid

    def forward(self, images: Tensor) -> Tensor:
        return self.net(images)


class ImageDecoder(nn.Module):
    """A latent float (N, dim) -> images float (N,3,R,R) in [-1,1] (resize-convolutions from 4x4).

    grid: the latent is a 4x4 grid of vectors, float (N, 16, dim) in row-major cell order, each cell
    mapped to its place of the 4x4 map by a 1x1 convolution (instead of one linear layer for the map).
    """

    def __init__(self, dim: int, resolution: int, width: int, grid: bool = False) -> None:
        super().__init__()
        ups = int(round(math.log2(resolution // 4)))
        widths = [width * 2 ** (ups - k) for k in range(ups + 1)]
        self.grid = grid
        project = nn.Conv2d(dim, widths[0], 1) if grid else nn.Linear(dim, widths[0] * 16)
        self.fc = nn.Sequential(project, nn.ReLU(inplace=True))
        blocks = []
        for a, b in zip(widths, widths[1:], strict=False):
            blocks += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(a, b, 3, 1, 1, bias=False),
                nn.BatchNorm2d(b),
                nn.ReLU(inplace=True),
            ]
        self.net = nn.Sequential(*blocks, nn.Conv2d(widths[-1], 3, 3, 1, 1), nn.Tanh())
        self.start = widths[0]

    def forward(self, z: Tensor) -> Tensor:
        if self.grid:
            return self.net(self.fc(z.transpose(1, 2).reshape(len(z), -1, 4, 4)))
        return self.net(self.fc(z).view(len(z), self.start, 4, 4))


def attention_decoder(cells: int, channels: int, hidden: int, embed: int, attention: int, vocab: int) -> dict:
    """The modules of a soft-attention LSTM decoder (Xu et al. 2015) over `cells` feature vectors of
    `channels` each: position embeddings, initial state, attention MLP, gate, LSTM, deep output.
    Keyed by the names `attend_words` and its siblings read; a model adds them to its ModuleDict."""
    d, h, e, a = channels, hidden, embed, attention
    return {
        "position": nn.Embedding(cells, d),
        "init_h": nn.Linear(d, h),
        "init_c": nn.Linear(d, h),
        "att_features": nn.Linear(d, a),
        "att_hidden": nn.Linear(h, a),
        "att_score": nn.Linear(a, 1),
        "gate": nn.Linear(h, 1),
        "words": nn.Embedding(vocab, e),
        "lstm": nn.LSTMCell(e + d, h),
        "out_hidden": nn.Linear(h, e),
        "out_context": nn.Linear(d, e),
        "out": nn.Linear(e, vocab),
    }


def attention_start(nets: nn.ModuleDict, cells: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The decoder state (h, c, annotations, attention keys) for cells float (N, cells, channels); the
    cells get their position embeddings, so the attended average says where it looked."""
    feats = cells + nets["position"](torch.arange(cells.shape[1], device=cells.device))
    mean = feats.mean(1)
    return torch.tanh(nets["init_h"](mean)), torch.tanh(nets["init_c"](mean)), feats, nets["att_features"](feats)


def attend_words(
    nets: nn.ModuleDict, word: Tensor, state: tuple[Tensor, Tensor, Tensor, Tensor]
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor, Tensor], Tensor]:
    """One word: (logits (B, V), the new state, attention weights (B, cells)) for embedded previous
    words (B, embed): gated soft attention, LSTM, deep output."""
    h, c, feats, keys = state
    scores = nets["att_score"](torch.tanh(keys + nets["att_hidden"](h)[:, None])).squeeze(2)
    alpha = torch.softmax(scores, 1)
    context = torch.sigmoid(nets["gate"](h)) * (alpha[:, :, None] * feats).sum(1)
    h, c = nets["lstm"](torch.cat([word, context], 1), (h, c))
    logits = nets["out"](word + nets["out_hidden"](h) + nets["out_context"](context))
    return logits, (h, c, feats, keys), alpha


def teacher_forced_attention(
    nets: nn.ModuleDict, state: tuple[Tensor, Tensor, Tensor, Tensor], inputs: Tensor, mask: Tensor
) -> tuple[Tensor, Tensor]:
    """(logits (N, L, V), attention summed over the unmasked words (N, cells)) of the decoder fed the
    embedded teacher inputs (N, L, embed); mask float (N, L) is 1 on real target words."""
    logits, attention = [], torch.zeros(state[2].shape[:2], device=inputs.device)
    for t in range(inputs.shape[1]):
        step_logits, state, alpha = attend_words(nets, inputs[:, t], state)
        logits.append(step_logits)
        attention = attention + alpha * mask[:, t, None]
    return torch.stack(logits, 1), attention
