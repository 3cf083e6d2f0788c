"""The retrieval captioner: the caption of the nearest training image, the non-generative reference.

Images are compared in a feature space of their own: pixels averaged over 2x2 blocks, centred, and
projected on their leading principal components (fitted on the training images). It never uses the
evaluator's encoder or weights. Ties go to the lowest training index; the seed does not matter.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from baselines.data import load_split
from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import InputError
from xmbench.images import check_images

Tensor = torch.Tensor
#: query images compared with the whole training set at once (memory bound only)
QUERY_BATCH = 256


def pixel_features(images: Tensor) -> Tensor:
    """float64 (N, 3*(R/2)^2): uint8 images (N,3,R,R) in [0,1], averaged over 2x2 blocks, flattened."""
    return torch.nn.functional.avg_pool2d(images.double() / 255, 2).flatten(1)


class RetrievalCaptioner:
    """Nearest training image by Euclidean distance in a `components`-dimensional PCA of its pixels;
    returns that image's caption. Built from a suite's split (a Suite or a suite name; `limit`: its
    first N samples, for tests).
    """

    name: ClassVar[str] = "retrieval"
    VERSION: ClassVar[int] = 1

    def __init__(
        self, suite: str | Suite = "shapes", split: str = "train", components: int = 64, limit: int | None = None
    ) -> None:
        suite = get_suite(suite) if isinstance(suite, str) else suite
        data = load_split(suite, split, limit=limit)
        x = pixel_features(data.images)
        if not 1 <= components <= min(x.shape):
            raise InputError(f"components must be between 1 and {min(x.shape)}, got {components}")
        self.resolution = suite.resolution
        self.captions = data.captions
        self.mean = x.mean(0)
        centred = x - self.mean
        _, vectors = torch.linalg.eigh(centred.T @ centred)
        self.basis = vectors[:, -components:].flip(1)  # leading components first
        self.bank = centred @ self.basis

    def config(self) -> dict[str, Any]:
        return {"captioner": self.name, "version": self.VERSION, "components": self.basis.shape[1]}

    def nearest(self, images: Tensor) -> Tensor:
        """int64 (N,) training indices of the nearest training images to uint8 images (N,3,R,R)."""
        out = []
        bank_sq = self.bank.pow(2).sum(1)
        for start in range(0, len(images), QUERY_BATCH):
            q = (pixel_features(images[start : start + QUERY_BATCH]) - self.mean) @ self.basis
            distance = bank_sq[None] - 2 * q @ self.bank.T  # + |q|^2, the same for every candidate
            out.append(distance.argmin(1))
        return torch.cat(out) if out else torch.empty(0, dtype=torch.int64)

    def caption(self, images: Tensor, seed: int) -> list[str]:
        """The nearest training image's caption for each uint8 image (N,3,R,R)."""
        images = check_images(images, name="images given to 'retrieval'", min_count=0)
        if tuple(images.shape[-2:]) != (self.resolution, self.resolution):
            raise InputError(
                f"the retrieval captioner holds {self.resolution}x{self.resolution} training images, "
                f"got {tuple(images.shape[-2:])}; resize the images"
            )
        return [self.captions[i] for i in self.nearest(images.cpu()).tolist()]
