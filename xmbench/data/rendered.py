"""Render a suite split once into a uint8 tensor and cache it on disk (no pickles: .npy + JSON).

Rendering shapes costs ~0.5 ms per image; training loops (evaluator, baselines) and the sanity
ladder read the cached tensor under xmbench.home.cache_home()/rendered/.
The cache key is the suite's protocol (seed, resolution, generator version), so a changed renderer
never serves stale images.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xmbench.atomic import atomic_write_bytes, atomic_write_json
from xmbench.data.base import Suite
from xmbench.errors import CacheRepairWarning
from xmbench.home import cache_home


@dataclass(frozen=True)
class RenderedSplit:
    """A whole split in memory. images: uint8 (N,3,H,W); records: suite attribute records."""

    images: torch.Tensor
    captions: list[str]
    records: list[dict[str, Any]]


def render_split(suite: Suite, split: str, limit: int | None = None, use_cache: bool = True) -> RenderedSplit:
    """The first `limit` (default: all) samples of `split`, from the cache when present."""
    n = suite.size(split) if limit is None else min(limit, suite.size(split))
    key = hashlib.sha256(json.dumps(suite.protocol(), sort_keys=True).encode()).hexdigest()[:16]
    stem = cache_home() / "rendered" / key / f"{split}-{n}"
    npy, meta = stem.with_suffix(".npy"), stem.with_suffix(".json")
    if use_cache and npy.exists() and meta.exists():
        try:
            side = json.loads(meta.read_text(encoding="utf-8"))
            images = torch.from_numpy(np.load(npy, allow_pickle=False))
            return RenderedSplit(images, side["captions"], side["records"])
        except (OSError, ValueError, TypeError, KeyError, EOFError) as e:  # damaged: render it again
            warnings.warn(
                f"rendered split {npy} is unreadable ({type(e).__name__}); rendering it again",
                CacheRepairWarning,
                stacklevel=2,
            )
    batch = suite.batch(split, range(n))
    records = [{k: v for k, v in (r or {}).items() if k != "geometry"} for r in batch.attributes]
    if use_cache:
        buf = io.BytesIO()
        np.save(buf, batch.images.numpy(), allow_pickle=False)
        atomic_write_bytes(npy, buf.getvalue())
        atomic_write_json(meta, {"captions": batch.captions, "records": records})
    return RenderedSplit(batch.images, batch.captions, records)
