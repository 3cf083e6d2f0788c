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
    """A latent float (N, dim) -> images float (N,3,R,R) in [-1,1] (resize-convolutions from 4x4)."""

    def __init__(self, dim: int, resolution: int, width: int) -> None:
        super().__init__()
        ups = int(round(math.log2(resolution // 4)))
        widths = [width * 2 ** (ups - k) for k in range(ups + 1)]
        self.fc = nn.Sequential(nn.Linear(dim, widths[0] * 16), nn.ReLU(inplace=True))
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
        return self.net(self.fc(z).view(len(z), self.start, 4, 4))
