"""Training data for the baselines: a suite split rendered once into a uint8 tensor, cached on disk.

Cache file: `$XMBENCH_HOME/cache/baselines/<suite>-<split>-<key>.safetensors` (XMBENCH_HOME defaults
to ~/.cache/xmbench), where key hashes the suite's protocol; images are stored as uint8 (N,3,H,W)
and captions as JSON in the safetensors metadata.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import safetensors.torch
import torch

from xmbench.atomic import atomic_write_bytes
from xmbench.data.base import Suite


@dataclass(frozen=True)
class SplitTensors:
    """A whole split in memory. images: uint8 (N,3,H,W); captions: N strings."""

    images: torch.Tensor
    captions: list[str]


def cache_dir() -> Path:
    """Folder for the baselines' cached training data."""
    home = os.environ.get("XMBENCH_HOME") or Path.home() / ".cache" / "xmbench"
    return Path(home) / "cache" / "baselines"


def _cache_path(suite: Suite, split: str, limit: int | None) -> Path:
    ident = json.dumps({"protocol": suite.protocol(), "split": split, "limit": limit}, sort_keys=True)
    key = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return cache_dir() / f"{suite.name.replace('/', '_').replace(':', '_')}-{split}-{key}.safetensors"


def load_split(suite: Suite, split: str = "train", limit: int | None = None, cache: bool = True) -> SplitTensors:
    """The first `limit` (default all) samples of `split`, rendered once and cached on disk."""
    n = suite.size(split) if limit is None else min(limit, suite.size(split))
    path = _cache_path(suite, split, limit)
    if cache and path.exists():
        try:
            with safetensors.safe_open(str(path), framework="pt") as f:
                captions = json.loads(f.metadata()["captions"])
                images = f.get_tensor("images")
            if images.shape[0] == len(captions) == n:
                return SplitTensors(images, captions)
        except Exception:  # a damaged cache file is rebuilt below
            pass
    images, captions = [], []
    for start in range(0, n, 1000):
        batch = suite.batch(split, range(start, min(n, start + 1000)))
        images.append(batch.images)
        captions.extend(batch.captions)
    data = SplitTensors(torch.cat(images).contiguous(), captions)
    if cache:
        atomic_write_bytes(path, safetensors.torch.save({"images": data.images},
                                                        metadata={"captions": json.dumps(captions)}))
    return data
