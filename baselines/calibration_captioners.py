"""Calibration captioners: where every captioning leaderboard's ceiling and floors lie.

- RealCaptioner: a held-out human caption of the same image, scored by the other references (the
  ceiling). On `shapes` it is the sample's own caption, a sixth independent description of the scene.
- ConstantCaptioner: the most frequent training caption for every image (a floor).
- RandomCaptioner: a random training caption per image, seeded (a floor).
All follow the Captioner contract: one str per uint8 image, deterministic given the seed. They are
registered in `xmbench.registry.CAPTION_CALIBRATION` (each class has `for_suite(suite, split)`,
its `role` on a leaderboard and a VERSION).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch

from xmbench.data.base import Suite
from xmbench.errors import InputError
from xmbench.registry import CAPTION_CALIBRATION
from xmbench.seeding import derive_seed


def _digest(image: torch.Tensor) -> str:
    return hashlib.sha256(image.contiguous().numpy().tobytes()).hexdigest()


class RealCaptioner:
    """Held-out human captions of `split`'s images; `references_for` gives the references that score them.

    `captions_for(indices)` answers by sample index for callers that know it; `caption(images, seed)`
    finds each image among the split's (every image of the split is loaded once, on the first call).
    """

    VERSION = 1
    role = "ceiling"
    summary = "a held-out reference caption of the same image, scored by the others (the ceiling)"

    @classmethod
    def for_suite(cls, suite: Suite, split: str | None = None) -> RealCaptioner:
        """The real captioner of `split` (default the suite's evaluation split)."""
        return cls(suite, split or suite.eval_split)

    def __init__(self, suite: Suite, split: str) -> None:
        suite.check_split(split)
        self.suite, self.split = suite, split
        self._by_digest: dict[str, int] | None = None

    def captions_for(self, indices: Sequence[int]) -> list[str]:
        """The held-out caption of each sample index's image."""
        return self.suite.held_out_references(self.split, indices)[0]

    def references_for(self, indices: Sequence[int]) -> list[list[str]]:
        """The references that score `captions_for(indices)` (never containing the held-out caption)."""
        return self.suite.held_out_references(self.split, indices)[1]

    def _index(self) -> dict[str, int]:
        if self._by_digest is None:
            indices = self.suite.image_indices(self.split)
            self._by_digest = {}
            for start in range(0, len(indices), 256):
                chunk = indices[start : start + 256]
                for i, image in zip(chunk, self.suite.batch(self.split, chunk).images, strict=True):
                    self._by_digest.setdefault(_digest(image), i)
        return self._by_digest

    def caption(self, images: torch.Tensor, seed: int) -> list[str]:
        table = self._index()
        digests = [_digest(image) for image in images.cpu()]
        missing = next((k for k, d in enumerate(digests) if d not in table), None)
        if missing is not None:
            raise InputError(
                f"the real captioner only knows images of {self.suite.name}/{self.split}; image {missing} "
                "is not one (evaluate it on that split)"
            )
        return self.captions_for([table[d] for d in digests])


def training_captions(suite: Suite, split: str = "train") -> list[str]:
    """Every caption of `split` (each sample's), in index order."""
    return suite.captions(split, range(suite.size(split)))


class ConstantCaptioner:
    """The most frequent caption of `split` for every image (ties: the alphabetically first)."""

    VERSION = 1
    role = "floor"
    summary = "the most frequent training caption for every image (the floor)"

    @classmethod
    def for_suite(cls, suite: Suite, split: str | None = None) -> ConstantCaptioner:
        return cls(suite, split or "train")

    def __init__(self, suite: Suite, split: str = "train") -> None:
        counts = Counter(training_captions(suite, split))
        self.text = min(counts, key=lambda c: (-counts[c], c))

    def caption(self, images: torch.Tensor, seed: int) -> list[str]:
        return [self.text] * len(images)


class RandomCaptioner:
    """A caption of `split` drawn per image from (seed, position in the batch)."""

    VERSION = 1
    role = "reference"
    summary = "a random training caption per image, seeded (a reference)"

    @classmethod
    def for_suite(cls, suite: Suite, split: str | None = None) -> RandomCaptioner:
        return cls(suite, split or "train")

    def __init__(self, suite: Suite, split: str = "train") -> None:
        self.pool = training_captions(suite, split)

    def caption(self, images: torch.Tensor, seed: int) -> list[str]:
        n = len(self.pool)
        return [
            self.pool[int(np.random.default_rng(derive_seed(seed, "image", i)).integers(n))] for i in range(len(images))
        ]


for _cls, _name in ((RealCaptioner, "real"), (RandomCaptioner, "random"), (ConstantCaptioner, "constant")):
    CAPTION_CALIBRATION.register(_name, _cls, summary=_cls.summary)


def get_calibration_captioner(name: str, suite: Suite, split: str | None = None) -> object:
    """A calibration captioner by name: "real" (of `split`, default the suite's eval split), "random"
    or "constant" (drawing from `split`, default "train").

    Example:
        >>> from xmbench.data.shapes import ShapesSuite
        >>> cap = get_calibration_captioner("real", ShapesSuite())
        >>> cap.captions_for([0]) == ShapesSuite().captions("test", [0])
        True
    """
    return CAPTION_CALIBRATION.get(name).for_suite(suite, split)
