"""On-disk cache of tensors keyed by content hashes.

Entries are safetensors files under `<root>/<kind>/<key[:2]>/<key>.safetensors`, written atomically
(temporary name, fsync, rename), so an interrupted run never leaves an entry that reads as complete.
Keys are sha256 digests of canonical JSON of everything that determines the content (checkpoint hash,
suite protocol, captions, seeds, extractor id and weights hash, ...).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

from xmbench.atomic import atomic_write_bytes
from xmbench.errors import CacheRepairWarning


def content_key(*parts: Any) -> str:
    """sha256 hex digest of the canonical JSON of `parts` (dict keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def tensor_digest(t: torch.Tensor) -> str:
    """sha256 hex digest of a tensor's dtype, shape and bytes (CPU, contiguous)."""
    t = t.detach().cpu().contiguous()
    h = hashlib.sha256(f"{t.dtype}{tuple(t.shape)}".encode())
    h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def strings_digest(strings: list[str]) -> str:
    """sha256 hex digest of a list of strings (order matters)."""
    return content_key(list(strings))


class TensorCache:
    """Named groups of tensors stored by key. Thread- and process-safe for distinct keys; two
    writers of one key write identical content, and the last rename wins."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.safetensors"

    def get(
        self, kind: str, key: str, check: Callable[[dict[str, torch.Tensor]], object] | None = None
    ) -> dict[str, torch.Tensor] | None:
        """The stored tensors, or None when absent or unreadable (then it is recomputed).

        `check(tensors)` decodes or validates an entry (e.g. captions as UTF-8 JSON); an entry it raises
        on is damaged like an unreadable file: a warning, and None.
        """
        path = self.path(kind, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            tensors = safetensors.torch.load(data)
            if check is not None:
                check(tensors)
            return tensors
        except Exception as e:  # damaged outside xmbench (atomic writes never leave half files)
            warnings.warn(
                f"cache entry {path} is unreadable ({type(e).__name__}); recomputing it",
                CacheRepairWarning,
                stacklevel=2,
            )
            return None

    def put(self, kind: str, key: str, tensors: dict[str, torch.Tensor]) -> Path:
        """Store `tensors` under (kind, key) atomically."""
        plain = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        return atomic_write_bytes(self.path(kind, key), safetensors.torch.save(plain))

    def has(self, kind: str, key: str) -> bool:
        return self.path(kind, key).is_file()
