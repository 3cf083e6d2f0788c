"""Training data for the baselines: a suite split rendered once into a uint8 tensor.

The rendering and its on-disk cache are xmbench.data.rendered's (one cache for every trainer).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from xmbench.data.base import Suite
from xmbench.data.rendered import render_split
from xmbench.home import cache_home


@dataclass(frozen=True)
class SplitTensors:
    """A whole split in memory. images: uint8 (N,3,H,W); captions: N strings."""

    images: torch.Tensor
    captions: list[str]


def cache_dir() -> Path:
    """Folder for the baselines' cached, re-creatable files (e.g. pre-trained caption encoders)."""
    return cache_home() / "baselines"


def load_split(suite: Suite, split: str = "train", limit: int | None = None, cache: bool = True) -> SplitTensors:
    """The first `limit` (default all) samples of `split`, rendered once and cached on disk."""
    rendered = render_split(suite, split, limit=limit, use_cache=cache)
    return SplitTensors(rendered.images, rendered.captions)
