"""Controlled degradations of real data, each a pure function of (inputs, level, seed).

Image degradations take and return uint8 (N,3,H,W); level 0 returns the input unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torchvision.transforms.functional import gaussian_blur

from xmbench.data.shapes.suite import SEEN_PAIRS


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)


def blur(images: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """Gaussian blur with standard deviation `sigma` pixels (kernel 2*ceil(3 sigma)+1)."""
    if sigma <= 0:
        return images
    k = 2 * math.ceil(3 * sigma) + 1
    return _to_uint8(gaussian_blur(images.float() / 255.0, [k, k], [sigma, sigma]))


def noise(images: torch.Tensor, std: float, seed: int = 0) -> torch.Tensor:
    """Additive Gaussian noise of standard deviation `std` in [0,1] intensity units, seeded, clipped."""
    if std <= 0:
        return images
    gen = torch.Generator().manual_seed(seed)
    return _to_uint8(images.float() / 255.0 + std * torch.randn(images.shape, generator=gen))


def colour_shift(images: torch.Tensor, amount: float, seed: int = 0) -> torch.Tensor:
    """Warm tint: +amount on red, -amount on blue (in [0,1] units), clipped."""
    if amount <= 0:
        return images
    tint = torch.tensor([amount, 0.0, -amount]).view(1, 3, 1, 1)
    return _to_uint8(images.float() / 255.0 + tint)


def mode_drop(records: Sequence[dict[str, Any]], k: int, n: int, seed: int = 0) -> np.ndarray:
    """Indices (n,) of samples, drawn with replacement, whose every object is one of k kept
    colour-shape pairs (the first k of a seeded permutation of the seen pairs: nested in k)."""
    order = np.random.RandomState(seed % 2**32).permutation(len(SEEN_PAIRS))
    kept = {SEEN_PAIRS[i] for i in order[:k]}
    pool = np.array(
        [i for i, r in enumerate(records) if all((o["colour"], o["shape"]) in kept for o in r["objects"])],
        dtype=np.int64,
    )
    if len(pool) == 0:
        raise ValueError(f"no sample has only the {k} kept colour-shape pairs")
    return np.random.RandomState((seed + 1) % 2**32).choice(pool, size=n, replace=True)


def shuffle_captions(n: int, fraction: float, seed: int = 0) -> np.ndarray:
    """Caption index per image (n,): a seeded `fraction` of the images get another image's caption
    (a cyclic shift inside the chosen subset, so none keeps its own); the rest keep their own.
    Nested: the images wrong at a lower fraction stay among those wrong at a higher one."""
    order = np.random.RandomState(seed % 2**32).permutation(n)
    chosen = order[: int(round(fraction * n))]
    out = np.arange(n)
    if len(chosen) >= 2:
        out[chosen] = np.roll(chosen, 1)
    return out
