"""The Suite contract: a dataset of (image, caption, attributes) with named splits and a protocol."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError, unknown_name


@dataclass(frozen=True)
class Sample:
    """One suite item. image: uint8 numpy (3,H,W); attributes: JSON-able dict or None."""

    split: str
    index: int
    image: np.ndarray
    caption: str
    attributes: dict[str, Any] | None


@dataclass(frozen=True)
class Batch:
    """Several suite items. images: uint8 tensor (N,3,H,W)."""

    split: str
    indices: list[int]
    images: torch.Tensor
    captions: list[str]
    attributes: list[dict[str, Any] | None]


class Suite(ABC):
    """A text-to-image dataset: random access to (image, caption, attributes) by (split, index).

    Subclasses set `name` and `resolution` and implement `splits` and `_get`; images are uint8
    (3, H, W) with H = W = `resolution`.

    Example:
        >>> from xmbench.data import get_suite
        >>> suite = get_suite("shapes")
        >>> suite.splits
        {'train': 20000, 'val': 2000, 'test': 5000, 'compositional': 2000}
        >>> sample = suite.get("test", 0)
        >>> sample.image.shape, sample.image.dtype, sample.caption
        ((3, 32, 32), dtype('uint8'), 'a little tangerine block is on the right of a tiny green lozenge')
        >>> batch = suite.batch("test", range(4))
        >>> batch.images.shape, len(batch.captions)
        (torch.Size([4, 3, 32, 32]), 4)
    """

    name: str
    resolution: int
    #: the split whose captions are the fixed evaluation captions
    eval_split: str = "test"
    #: robustness rewrites of its prompts that `rewrite` makes (none by default)
    rewrite_variants: tuple[str, ...] = ()
    #: bumped when a rewrite changes (robustness records carry it)
    rewrites_version: int = 0

    @property
    @abstractmethod
    def splits(self) -> dict[str, int]:
        """Split name -> number of samples."""

    @abstractmethod
    def _get(self, split: str, index: int) -> Sample:
        """Load one sample; split and index are already validated."""

    def describe(self) -> str:
        """One-line description for `xmbench suites`."""
        return self.name

    def protocol(self) -> dict[str, Any]:
        """The suite's identity for result records (name, resolution, split sizes, generator version)."""
        return {"suite": self.name, "resolution": self.resolution, "splits": dict(self.splits)}

    def size(self, split: str) -> int:
        """Number of samples in `split`."""
        self.check_split(split)
        return self.splits[split]

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise unknown_name(f"split of suite {self.name!r}", split, self.splits)

    def check_index(self, split: str, index: int) -> None:
        n = self.size(split)
        if not 0 <= index < n:
            raise InputError(f"index {index} out of range for split {split!r} of suite {self.name!r} (size {n})")

    def get(self, split: str, index: int) -> Sample:
        """Sample `index` of `split` (0 <= index < size(split))."""
        self.check_index(split, index)
        return self._get(split, index)

    def batch(self, split: str, indices: Sequence[int]) -> Batch:
        """Samples `indices` of `split` stacked into a Batch."""
        samples = [self.get(split, int(i)) for i in indices]
        images = (
            torch.from_numpy(np.stack([s.image for s in samples]))
            if samples
            else torch.empty((0, 3, self.resolution, self.resolution), dtype=torch.uint8)
        )
        return Batch(
            split, [int(i) for i in indices], images, [s.caption for s in samples], [s.attributes for s in samples]
        )

    def captions(self, split: str, indices: Sequence[int]) -> list[str]:
        """Captions of `indices` of `split` (may be cheaper than loading images)."""
        return [self.get(split, int(i)).caption for i in indices]

    def image_indices(self, split: str) -> list[int]:
        """One sample index per distinct image of `split` (every sample, unless images have several captions)."""
        return list(range(self.size(split)))

    def references(self, split: str, indices: Sequence[int]) -> list[list[str]]:
        """Reference captions of the image of each sample in `indices`, for image -> text evaluation.

        The base suite has one caption per image: its own. Suites whose images have several captions
        (the real suites, `shapes`) return all of them.

        Args:
            split: a split name.
            indices: sample indices of `split`.

        Returns:
            One list of reference captions (at least one) per index.
        """
        return [[c] for c in self.captions(split, indices)]

    def rewrite(self, variant: str, caption: str, record: dict[str, Any], seed: int) -> str | None:
        """Prompt `caption` (scene `record`) rewritten by robustness variant `variant` (one of
        `rewrite_variants`), drawn from `seed`; None where the variant does not apply to this prompt.

        The base suite has no rewrite table: an InputError naming the fix.
        """
        raise InputError(f"suite {self.name!r} has no rewrite table for robustness variant {variant!r}; drop it")

    def held_out_references(self, split: str, indices: Sequence[int]) -> tuple[list[str], list[list[str]]]:
        """(one human caption per sample, the references that score it): the `real` captioner's ceiling.

        The held-out caption is never among the returned references. The base splits off the first
        reference; an image with a single reference keeps it (the ceiling is then optimistic).
        """
        refs = self.references(split, indices)
        return [r[0] for r in refs], [r[1:] or r for r in refs]
